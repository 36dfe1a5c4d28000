"""``/wall``: the executive wall display. Scenes rotate in the browser; values refresh in place.

The page is one 1920-pixel-wide stage that ``assets/wall.js`` scales to the
screen, so a 1080p panel and a 4K wall show the same layout. That script also
rotates the scenes, takes keys, hides the cursor, shifts the stage against
burn-in, shows the connection-lost banner and reloads the page on schedule.
The server's part is one callback: a snapshot per refresh interval (shared by
every screen) turned into in-place updates.

A viewer limited to some districts (ioc/scope.py) gets a wall of their
districts: the snapshot is cut to them (ioc/services/wall_scope.py) before any
scene or update is built from it, and the rotation holds no city scene.
"""

from __future__ import annotations

import json

import dash
from dash import Input, Output, State, dcc, html, no_update

from ioc.i18n import t
from ioc.i18n.format import local_time
from ioc.scope import Scope, scoped_callback, scoped_layout, viewer
from ioc.services.container import get_services
from ioc.services.wall_scope import within
from ioc.wall_view import parse_view
from widgets.mark import mark
from widgets.wall_alarms import jump_districts
from widgets.wall_scenes import (
    ALL_SCENES,
    output_keys,
    scene_backlog,
    scene_dx,
    scene_kpis,
    scene_overview,
    scene_traffic,
    scene_wifi,
    updates,
)

dash.register_page(__name__, path="/wall", title="IOC Cần Thơ – màn hình tường", name="wall")

OUTPUT_KEYS = output_keys()
SCENE_BUILDERS = {
    "overview": scene_overview,
    "kpis": scene_kpis,
    "traffic": scene_traffic,
    "wifi": scene_wifi,
    "backlog": scene_backlog,
    "dx": scene_dx,
}


def _title(view: dict, names: dict[str, str], lang: str) -> str:
    if view["scene"] == "district":
        return f"{t('scene_district', lang)} · {names[view['district']]}"
    return t(f"scene_{view['scene']}", lang)


@scoped_layout(screens=True)
def layout(scope: Scope, /, **query) -> html.Div:
    """Build the wall for the URL's parameters, with the current values already in place.

    A screen whose token names its scenes shows those, whatever its URL says.
    """
    services = get_services()
    areas = services.areas
    who = viewer()
    if who is not None and who.scenes:
        query = {**query, "scenes": ",".join(who.scenes)}
    view = parse_view(
        query, areas, services.settings.lang, metrics=services.metrics.enabled, allows=scope.limit
    )
    lang = view.lang
    mine = [area.slug for area in areas.areas if scope.allows(area.slug)]
    if not mine:
        return _refusal(lang)
    snap = within(services.wall.snapshot(), scope.limit)
    sequence = view.sequence(areas)
    names = {area.slug: area.name(lang) for area in areas.areas if area.slug in mine}
    first_district = next((v["district"] for v in sequence if v["scene"] == "district"), mine[0])
    config = {
        "views": [{**v, "title": _title(v, names, lang)} for v in sequence],
        "districtTitles": {
            slug: _title({"scene": "district", "district": slug}, names, lang) for slug in names
        },
        # The map's shapes, in order; a district outside the scope opens nothing.
        "districtSlugs": [area.slug if area.slug in mine else "" for area in areas.areas],
        "rotateS": view.rotate_s,
        "jump": view.jump,
        "refreshMs": services.settings.wall_refresh_ms,
        "reloadH": services.settings.wall_reload_h,
        "lang": lang,
        # A screen on its token opens no district page (it may read its wall only).
        "links": not (who is not None and who.is_screen),
        "texts": {k: t(k, lang) for k in ("connection_lost", "no_updates", "paused")},
    }
    # Every scene is in the page (the one callback writes to all of them); the
    # rotation shows only those asked for.
    scenes = [build(snap, areas, lang) for build in SCENE_BUILDERS.values()]
    scenes.append(scene_overview(snap, areas, lang, scope="district", district=first_district))
    return html.Div(
        [
            dcc.Interval(id="wall-tick", interval=services.settings.wall_refresh_ms),
            dcc.Store(id="wall-view", data=first_district),
            # The scenes to keep updated: the one on screen and the next (wall.js).
            dcc.Store(id="wall-scenes", data=_first_scenes(sequence)),
            dcc.Store(id="wall-lang", data=lang),
            html.Div(
                [
                    _header(lang, services.settings.simulator_enabled, snap),
                    html.Div(id="wall-progress", className="wall-progress"),
                    html.Main(scenes, className="wall-scenes"),
                    _footer(view.notices, lang, snap),
                    html.Div(
                        [
                            mark("alarm", lang, word=False, size=40),
                            html.Span(id="wall-banner-text"),
                            html.Span(id="wall-banner-since", className="banner-since"),
                        ],
                        id="wall-banner",
                        className="wall-banner",
                        hidden=True,
                        role="alert",
                    ),  # fmt: skip
                    html.Div(
                        t("paused", lang), id="wall-paused", className="wall-paused", hidden=True
                    ),  # fmt: skip
                ],
                id="wall-stage",
                className="wall-stage",
                **{"data-config": json.dumps(config, ensure_ascii=False)},
            ),
            html.Div(
                jump_districts(services.alarms.board(snap.now, scope.limit)),
                id="wall-alarm-districts",
                hidden=True,
            ),
            html.Div(str(int(snap.now.timestamp() * 1000)), id="wall-stamp", hidden=True),
        ],
        className="wall-root marks-on-dark",
        lang=lang,
    )


def _refusal(lang: str) -> html.Div:
    """The wall of a viewer who may see no district: say so, in their language."""
    return html.Div(
        html.Main(
            [html.P("403", className="refusal-code"), html.H1(t("forbidden_title", lang)),
             html.P(t("forbidden_none", lang))],
            className="refusal",
        ),
        className="wall-root wall-root--refusal",
        lang=lang,
        **{"data-code": "403"},
    )  # fmt: skip


def _first_scenes(sequence: list[dict]) -> list[str]:
    scenes = [view["scene"] for view in sequence[:2]] or ["overview"]
    return list(dict.fromkeys(scenes))


def _header(lang: str, demo: bool, snap) -> html.Header:
    return html.Header(
        [
            html.Div(
                [html.Span(t("wall_title", lang), className="brand"),
                 html.Span(id="wall-scene-title", className="scene-title")],
                className="header-left",
            ),
            html.Div(t("demo_label", lang), className="wall-demo", hidden=not demo),
            html.Div(
                [html.Span(className="live-dot"),
                 html.Span(id="wall-clock", className="clock"),
                 html.Span(id="wall-date", className="date")],
                className="header-right",
            ),
        ],
        className="wall-header",
    )  # fmt: skip


def _footer(notices, lang: str, snap) -> html.Footer:
    # The update time sits here, not in the header: at 28 px the header has room for
    # the name, the scene, the demo label, the clock and the date only.
    return html.Footer(
        [
            html.Span(t("keys_hint", lang), className="keys-hint"),
            *[html.Span(notice, className="notice") for notice in notices],
            html.Span(
                f"{t('updated', lang)} {local_time(snap.now)}",
                id="wall-updated",
                className="updated",
            ),
        ],
        className="wall-footer",
    )


@scoped_callback(
    [Output(component, prop) for component, prop in OUTPUT_KEYS],
    Input("wall-tick", "n_intervals"),
    Input("wall-view", "data"),
    Input("wall-scenes", "data"),
    State("wall-lang", "data"),
    district=lambda _tick, district, _scenes, _lang: district,
    screens=True,
    prevent_initial_call=True,
)
def refresh(scope: Scope, _tick, district, scenes, lang):
    """Refresh the scenes on screen and next from this interval's snapshot (shared by all)."""
    services = get_services()
    lang = lang if lang in ("vi", "en") else services.settings.lang
    if district not in services.areas:
        district = None
    if not isinstance(scenes, list) or not all(isinstance(s, str) for s in scenes):
        scenes = list(ALL_SCENES)
    snap = within(services.wall.snapshot(), scope.limit)
    board = services.alarms.board(snap.now, scope.limit)
    values = updates(snap, services.areas, lang, district, scenes, board=board)
    return [values.get(key, no_update) for key in OUTPUT_KEYS]
