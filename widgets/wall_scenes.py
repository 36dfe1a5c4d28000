"""The wall's scenes, built from a snapshot; and the in-place updates of every live part.

``scene_*`` build the sections as first rendered. ``updates`` returns, for the
same snapshot, the new value of each live property keyed by (component id,
property): text as children, status as className, charts as a ``Patch``. The
page's one callback returns them in the order of ``OUTPUTS``.
"""

from __future__ import annotations

from dash import dcc, html

from ioc.areas import AreaCatalogue
from ioc.i18n import t
from ioc.i18n.format import local_time
from ioc.model.alarm import AlarmBoard
from ioc.model.wall import AreaState, WallSnapshot
from widgets import wall_charts as charts
from widgets.district_map import map_figure, map_patch
from widgets.theme import GRAPH_CONFIG, STATUS_COLOURS
from widgets.tiles import (
    kpi_tile,
    metric_body,
    metric_class,
    presence_body,
    presence_status,
    presence_tile,
    tile_body,
    tile_class,
    tile_id,
    tile_status,
    trend_patch,
)
from widgets.wall_alarms import jump_districts, ticker_chips

KPIS = (
    "traffic_flow",
    "traffic_speed",
    "wifi_up",
    "wifi_uptime",
    "backlog_pending",
    "backlog_overdue",
    "backlog_on_time",
)
# A wall says less, larger: the overview (and a district's scene) shows the map and the
# four judged tiles; the kpis scene shows all eight, four across.
OVERVIEW_KPIS = ("traffic_speed", "wifi_up", "backlog_overdue")
# Tile scopes: "city" (the overview), "district" (the district scene), "kpis" (the city's).
SCOPES = ("city", "district", "kpis")
DX_PAGE = 12  # tiles of one page of the database-metrics scene (4 x 3)
DX_SLOTS = 2 * DX_PAGE  # two pages, in turn; the page's outputs are fixed
PENDING = "#4cc3ff"
RESOLVED = STATUS_COLOURS["ok"]


def _graph(component_id: str, figure: dict, class_name: str = "chart") -> dcc.Graph:
    return dcc.Graph(id=component_id, figure=figure, config=GRAPH_CONFIG, className=class_name)


def _panel(title: str, body, class_name: str = "") -> html.Div:
    return html.Div(
        [html.H3(title, className="panel-title"), body], className=f"panel {class_name}"
    )


def _names(catalogue: AreaCatalogue, lang: str) -> dict[str, str]:
    return {area.slug: area.name(lang) for area in catalogue.areas}


def _scope_state(snap: WallSnapshot, scope: str, district: str | None) -> AreaState | None:
    return snap.district(district or "") if scope == "district" else snap.city


def _scope_kpis(scope: str) -> tuple[str, ...]:
    return KPIS if scope == "kpis" else OVERVIEW_KPIS


def _scope_alarms(snap: WallSnapshot, scope: str, district: str | None):
    return snap.alarms if scope == "city" else [a for a in snap.alarms if a.district == district]


def _presence_of(snap: WallSnapshot, scope: str, district: str | None) -> list:
    if scope != "district":
        return list(snap.districts)
    state = snap.district(district or "")
    return [state] if state else []


# --- first render ---------------------------------------------------------------------


def scene_overview(
    snap: WallSnapshot, catalogue: AreaCatalogue, lang: str, scope: str = "city",
    district: str | None = None,
) -> html.Section:  # fmt: skip
    """City overview (or one district's): map, KPI tiles, alarm ticker."""
    state = _scope_state(snap, scope, district)
    kpis = state.kpis if state else {}
    figures = state.figures if state else {}
    tiles = [kpi_tile(scope, key, kpis.get(key), lang, snap.now, figures) for key in OVERVIEW_KPIS]
    tiles.append(presence_tile(scope, _presence_of(snap, scope, district), lang))
    focus = district if scope == "district" else None
    names = _names(catalogue, lang)
    marker = []
    if scope == "district":
        # What the district scene shows now: the wall's script waits for this to
        # match the district it rotates to before it shows the scene.
        marker = [
            html.Span(state.name(lang) if state else "", id="wall-district-name", hidden=True),
            html.Span(district or "", id="wall-district-slug", hidden=True),
        ]
    return html.Section(
        [
            *marker,
            html.Div(
                _graph(f"wall-{scope}-map", _map(catalogue, snap, lang, focus)),
                className="overview-map",
            ),
            html.Div(tiles, className="tile-grid"),
            html.Div(
                [
                    html.Span(t("alarms_title", lang), className="ticker-title"),
                    html.Div(
                        html.Div(
                            charts.ticker_items(
                                _scope_alarms(snap, scope, district), names, lang, snap.now
                            ),
                            id=f"wall-{scope}-ticker",
                            className="ticker-track",
                        ),
                        className="ticker-window",
                    ),
                ],
                className="ticker",
            ),
        ],
        id=f"wall-scene-{'overview' if scope == 'city' else 'district'}",
        className="scene scene--overview",
        **{"data-scene": "overview" if scope == "city" else "district"},
    )


def scene_kpis(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> html.Section:
    """The city's eight tiles, four across: every KPI with its trend, large."""
    city = snap.city
    tiles = [kpi_tile("kpis", key, city.kpis.get(key), lang, snap.now, city.figures)
             for key in KPIS]  # fmt: skip
    tiles.append(presence_tile("kpis", list(snap.districts), lang))
    return html.Section(
        html.Div(tiles, className="tile-grid tile-grid--kpis"),
        id="wall-scene-kpis",
        className="scene scene--kpis",
        **{"data-scene": "kpis"},
    )


def _map(catalogue: AreaCatalogue, snap: WallSnapshot, lang: str, focus: str | None) -> dict:
    return charts.wall_map(map_figure(catalogue, snap.districts, lang, focus))


def scene_traffic(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> html.Section:
    """Flow and speed per district, today against the usual day, the slowest cameras."""
    figures = _traffic_figures(snap, catalogue, lang)
    return html.Section(
        [
            _panel(t("flow_by_district", lang) + "  " + t("usual_marker", lang),
                   _graph("wall-traffic-flow", figures["wall-traffic-flow"])),
            _panel(t("speed_by_district", lang),
                   _graph("wall-traffic-speed", figures["wall-traffic-speed"])),
            _panel(t("today_vs_usual", lang),
                   _graph("wall-traffic-hours", figures["wall-traffic-hours"])),
            _panel(t("congested", lang), html.Ul(
                charts.congested_list(snap.congested, _names(catalogue, lang), lang),
                id="wall-traffic-congested", className="rows")),
        ],
        id="wall-scene-traffic",
        className="scene scene--grid",
        **{"data-scene": "traffic"},
    )  # fmt: skip


def scene_wifi(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> html.Section:
    """Uptime per district, outages by hour, access points down now."""
    figures = _wifi_figures(snap, catalogue, lang)
    return html.Section(
        [
            _panel(t("uptime_by_district", lang),
                   _graph("wall-wifi-uptime", figures["wall-wifi-uptime"])),
            _panel(t("down_by_hour", lang),
                   _graph("wall-wifi-hours", figures["wall-wifi-hours"])),
            _panel(t("aps_down_now", lang), html.Ul(
                charts.down_list(snap.aps_down, _names(catalogue, lang), lang, snap.now),
                id="wall-wifi-down", className="rows rows--two"), "panel--wide"),
        ],
        id="wall-scene-wifi",
        className="scene scene--grid",
        **{"data-scene": "wifi"},
    )  # fmt: skip


def scene_backlog(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> html.Section:
    """Pending and overdue per district, intake against resolution, the 1022 hotline."""
    figures = _backlog_figures(snap, catalogue, lang)
    return html.Section(
        [
            _panel(t("pending_overdue_by_district", lang),
                   _graph("wall-backlog-pending", figures["wall-backlog-pending"])),
            _panel(t("intake_vs_resolved", lang),
                   _graph("wall-backlog-flow", figures["wall-backlog-flow"])),
            _panel(t("hotline", lang), html.Div(
                charts.hotline_panel(snap.city.figures, lang), id="wall-backlog-hotline",
                className="cells")),
            _panel(t("on_time_by_district", lang),
                   _graph("wall-backlog-on-time", figures["wall-backlog-on-time"])),
        ],
        id="wall-scene-backlog",
        className="scene scene--grid",
        **{"data-scene": "backlog"},
    )  # fmt: skip


def scene_dx(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> html.Section:
    """Digital transformation and public services: a tile per city-wide database metric."""
    views = dx_views(snap)
    tiles = []
    for slot in range(DX_SLOTS):
        view = views[slot] if slot < len(views) else None
        tiles.append(
            html.Div(
                metric_body(view, lang, snap.now),
                id=f"wall-dx-{slot}-box",
                className=metric_class(view),
            )
        )
    # Pages of twelve (4 x 3), shown in turn within the scene's time (wall.js).
    pages = [tiles[start : start + DX_PAGE] for start in range(0, DX_SLOTS, DX_PAGE)]
    return html.Section(
        [
            html.Div(
                page,
                className="tile-grid tile-grid--dx" + (" is-shown" if not n else ""),
                **{"data-page": str(n)},
            )
            for n, page in enumerate(pages)
        ],
        id="wall-scene-dx",
        className="scene scene--dx",
        **{"data-scene": "dx"},
    )


def dx_views(snap: WallSnapshot) -> list:
    """The city-wide metrics, in catalogue order, as many as there are tiles."""
    return [view for view in snap.metrics if not view.metric.by_district][:DX_SLOTS]


# --- figures shared by first render and updates ------------------------------------------


def _kpi_values(snap: WallSnapshot, key: str, *, share: bool = False):
    values, statuses = [], []
    for district in snap.districts:
        kpi = district.kpis.get(key)
        values.append(None if kpi is None else (kpi.share if share else kpi.value))
        statuses.append(tile_status(kpi))
    return values, statuses


def _traffic_figures(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> dict:
    names = [d.name(lang) for d in snap.districts]
    flow, flow_status = _kpi_values(snap, "traffic_flow")
    speed, speed_status = _kpi_values(snap, "traffic_speed")
    usual = [d.figures.get("usual_flow") for d in snap.districts]
    return {
        "wall-traffic-flow": charts.district_bars(names, flow, flow_status, lang, markers=usual),
        "wall-traffic-speed": charts.district_bars(names, speed, speed_status, lang, digits=1),
        "wall-traffic-hours": charts.hourly_lines(snap.traffic_today, snap.traffic_usual, lang),
    }


def _wifi_figures(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> dict:
    names = [d.name(lang) for d in snap.districts]
    uptime, statuses = _kpi_values(snap, "wifi_uptime")
    return {
        "wall-wifi-uptime": charts.district_bars(
            names, uptime, statuses, lang, digits=1, suffix=" %", upper=100,
            limits=charts.kpi_limits(snap.districts, "wifi_uptime")),
        "wall-wifi-hours": charts.down_hours(snap.wifi_down_hours, lang),
    }  # fmt: skip


def _backlog_figures(snap: WallSnapshot, catalogue: AreaCatalogue, lang: str) -> dict:
    names = [d.name(lang) for d in snap.districts]
    pending, _ = _kpi_values(snap, "backlog_pending")
    overdue, _ = _kpi_values(snap, "backlog_overdue")
    on_time, statuses = _kpi_values(snap, "backlog_on_time", share=True)
    not_overdue = [
        None if p is None else p - (o or 0) for p, o in zip(pending, overdue, strict=True)
    ]
    received = [d.figures.get("received_today") for d in snap.districts]
    resolved = [d.figures.get("resolved_today") for d in snap.districts]
    return {
        "wall-backlog-pending": charts.stacked_bars(
            names,
            [(t("within_deadline", lang), not_overdue, PENDING),
             (t("kpi_backlog_overdue", lang), overdue, STATUS_COLOURS["alarm"])],
            lang,
        ),
        "wall-backlog-flow": charts.overlaid_bars(
            names, (t("received_today", lang), received, PENDING),
            (t("resolved", lang), resolved, RESOLVED), lang,
        ),
        "wall-backlog-on-time": charts.district_bars(
            names, on_time, statuses, lang, digits=1, suffix=" %", upper=100,
            limits=charts.kpi_limits(snap.districts, "backlog_on_time")),
    }  # fmt: skip


# --- updates --------------------------------------------------------------------------------


def _scope_updates(
    out: dict, snap: WallSnapshot, catalogue: AreaCatalogue, lang: str, scope: str,
    district: str | None, board: AlarmBoard | None = None,
) -> None:  # fmt: skip
    state = _scope_state(snap, scope, district)
    if state is None:
        return
    for key in _scope_kpis(scope):
        kpi = state.kpis.get(key)
        out[(tile_id(scope, key, "box"), "className")] = tile_class(tile_status(kpi))
        out[(tile_id(scope, key, "body"), "children")] = tile_body(
            key, kpi, lang, snap.now, state.figures
        )
        out[(tile_id(scope, key, "trend"), "figure")] = trend_patch(kpi)
    present = _presence_of(snap, scope, district)
    out[(tile_id(scope, "ioc_online", "box"), "children")] = presence_body(present, lang)
    out[(tile_id(scope, "ioc_online", "box"), "className")] = tile_class(
        presence_status(present), "tile--presence"
    )
    if scope == "kpis":  # tiles only: no map, no ticker
        return
    focus = district if scope == "district" else None
    out[(f"wall-{scope}-map", "figure")] = map_patch(snap.districts, lang, focus)
    if board is not None:  # the alarm log's active alarms (issue 15)
        chips = ticker_chips(board, district if scope == "district" else None, lang)
        out[(f"wall-{scope}-ticker", "children")] = chips
        return
    out[(f"wall-{scope}-ticker", "children")] = charts.ticker_items(
        _scope_alarms(snap, scope, district), _names(catalogue, lang), lang, snap.now
    )


ALL_SCENES = ("overview", "kpis", "traffic", "wifi", "backlog", "dx", "district")


def updates(
    snap: WallSnapshot,
    catalogue: AreaCatalogue,
    lang: str,
    district: str | None,
    scenes=ALL_SCENES,
    board: AlarmBoard | None = None,
) -> dict:
    """New values of the live properties of ``scenes`` (the one on screen and the next).

    ``board``: the alarm log's active alarms, counts and flood (issue 15) for the ticker
    and the alarm jump; without it, the wall's own alarm lines (statuses) as before.

    Scenes not asked for keep their values until they are about to be shown:
    the browser then redraws only what can be seen, and the answer is smaller.
    """
    out: dict = {}
    wanted = set(scenes)
    names = _names(catalogue, lang)
    if "overview" in wanted:
        _scope_updates(out, snap, catalogue, lang, "city", None, board)
    if "kpis" in wanted:
        _scope_updates(out, snap, catalogue, lang, "kpis", None)
    if "district" in wanted and district is not None and snap.district(district) is not None:
        _scope_updates(out, snap, catalogue, lang, "district", district, board)
        out[("wall-district-name", "children")] = snap.district(district).name(lang)
        out[("wall-district-slug", "children")] = district
    for scene, build in (
        ("traffic", _traffic_figures), ("wifi", _wifi_figures), ("backlog", _backlog_figures)
    ):  # fmt: skip
        if scene in wanted:
            for component_id, figure in build(snap, catalogue, lang).items():
                out[(component_id, "figure")] = charts.figure_patch(figure)
    if "traffic" in wanted:
        out[("wall-traffic-congested", "children")] = charts.congested_list(
            snap.congested, names, lang
        )
    if "wifi" in wanted:
        out[("wall-wifi-down", "children")] = charts.down_list(snap.aps_down, names, lang, snap.now)
    if "backlog" in wanted:
        out[("wall-backlog-hotline", "children")] = charts.hotline_panel(snap.city.figures, lang)
    if "dx" in wanted:
        views = dx_views(snap)
        for slot in range(DX_SLOTS):
            view = views[slot] if slot < len(views) else None
            out[(f"wall-dx-{slot}-box", "children")] = metric_body(view, lang, snap.now)
            out[(f"wall-dx-{slot}-box", "className")] = metric_class(view)
    # Always: the header, what the alarm jump watches, and the stamp the banner watches.
    out[("wall-updated", "children")] = f"{t('updated', lang)} {local_time(snap.now)}"
    out[("wall-alarm-districts", "children")] = (
        jump_districts(board)
        if board is not None
        else ",".join(d.slug for d in snap.districts if d.status == "alarm")
    )
    out[("wall-stamp", "children")] = str(int(snap.now.timestamp() * 1000))
    return out


def output_keys() -> list[tuple[str, str]]:
    """Every (id, property) the refresh callback writes, in a fixed order."""
    keys: list[tuple[str, str]] = []
    for scope in SCOPES:
        for key in _scope_kpis(scope):
            keys += [
                (tile_id(scope, key, "box"), "className"),
                (tile_id(scope, key, "body"), "children"),
                (tile_id(scope, key, "trend"), "figure"),
            ]
        keys += [
            (tile_id(scope, "ioc_online", "box"), "children"),
            (tile_id(scope, "ioc_online", "box"), "className"),
        ]
        if scope != "kpis":
            keys += [(f"wall-{scope}-map", "figure"), (f"wall-{scope}-ticker", "children")]
    keys += [("wall-district-name", "children"), ("wall-district-slug", "children")]
    keys += [
        (cid, "figure")
        for cid in (
            "wall-traffic-flow", "wall-traffic-speed", "wall-traffic-hours",
            "wall-wifi-uptime", "wall-wifi-hours",
            "wall-backlog-pending", "wall-backlog-flow", "wall-backlog-on-time",
        )
    ]  # fmt: skip
    for slot in range(DX_SLOTS):
        keys += [(f"wall-dx-{slot}-box", "children"), (f"wall-dx-{slot}-box", "className")]
    keys += [
        ("wall-traffic-congested", "children"),
        ("wall-wifi-down", "children"),
        ("wall-backlog-hotline", "children"),
        ("wall-updated", "children"),
        ("wall-alarm-districts", "children"),
        ("wall-stamp", "children"),
    ]
    return keys
