"""KPI tiles: label, value and unit, status mark and word, time, a small trend. Data in, out.

A tile is a box (whose class carries the status) around a body (text) and a
trend chart. The wall updates the three in place: the class, the body's
children, and the trend through a ``Patch`` of its y values.
"""

from __future__ import annotations

from datetime import datetime

from dash import Patch, dcc, html

from ioc.i18n import t
from ioc.i18n.format import age_text, local_time, number
from ioc.model.wall import Kpi
from widgets.mark import mark
from widgets.theme import GRAPH_CONFIG, STATUS_COLOURS, chart_layout

DIGITS = {"traffic_speed": 1, "wifi_uptime": 1}
TREND_POINTS = 60


def tile_id(scope: str, key: str, part: str) -> str:
    """The component id of one part ("box", "body", "trend") of a tile."""
    return f"wall-{scope}-{key}-{part}"


def value_text(key: str, kpi: Kpi | None, lang: str) -> str:
    """The big number of a tile ("1.234", "98,7"), or a dash."""
    if kpi is None or kpi.value is None:
        return "—"
    return number(kpi.value, lang, DIGITS.get(key, 0))


def unit_text(key: str, kpi: Kpi | None, lang: str) -> str:
    """The unit after the number; a part of a whole says of how many ("/ 204 điểm")."""
    unit = t(f"unit_{key}", lang)
    if kpi is not None and kpi.value is not None and kpi.total is not None:
        return f"/ {number(kpi.total, lang)} {unit}"
    return unit


def value_class(text: str, unit: str = "") -> str:
    """Long numbers get a smaller size, never under 64 px (read across the room): 76 or 64."""
    width = len(text) + 0.4 * len(unit)  # the unit is set at under half the value's size
    return "tile-value" if width <= 7.5 else "tile-value tile-value--long"


def sub_text(key: str, kpi: Kpi | None, lang: str, figures: dict) -> str:
    """The line under the value: the judged share, the usual level, today's intake."""
    if kpi is not None and kpi.share is not None:
        return t(f"share_{key}", lang, pct=number(kpi.share, lang, 1))
    if key == "traffic_flow" and figures.get("usual_flow") is not None:
        return t("sub_traffic_flow", lang, usual=number(figures["usual_flow"], lang))
    if key == "backlog_pending" and figures.get("received_today") is not None:
        return t("sub_backlog_pending", lang, received=number(figures["received_today"], lang))
    if key in ("wifi_uptime", "traffic_speed"):
        return t(f"sub_{key}", lang)
    return "\u00a0"


def time_text(kpi: Kpi | None, lang: str, now: datetime) -> str:
    """When the value is from; a stale value says how old it is."""
    if kpi is None or kpi.as_of is None:
        return ""  # the status word already says "no data"
    # Minutes only: at 28 px, "lúc 14:32" fits beside the status on a quarter-width tile.
    when = f"{t('as_of', lang)} {local_time(kpi.as_of, seconds=False)}"
    if kpi.status == "stale":  # the status word says "stale"; say when and how long ago
        return f"{when} · {age_text((now - kpi.as_of).total_seconds(), lang)}"
    return when


def tile_status(kpi: Kpi | None) -> str:
    """The tile's status (no KPI at all: no_data)."""
    return "no_data" if kpi is None else kpi.status


def tile_class(status: str, extra: str = "") -> str:
    """The class of a tile's box, carrying its status."""
    return f"tile tile--{status} {extra}".strip()


def tile_body(key: str, kpi: Kpi | None, lang: str, now: datetime, figures: dict) -> list:
    """The text of a tile, rebuilt each refresh (React changes only what differs)."""
    status = tile_status(kpi)
    shown = value_text(key, kpi, lang)
    unit = unit_text(key, kpi, lang)
    return [
        html.Div(html.Span(t(f"kpi_{key}", lang), className="tile-label"), className="tile-head"),
        html.Div(
            [
                html.Span(shown, className=value_class(shown, unit)),
                html.Span(unit, className="tile-unit"),
            ],
            className="tile-main",
        ),
        html.Div(sub_text(key, kpi, lang, figures), className="tile-sub"),
        html.Div(
            [mark(status, lang), html.Span(time_text(kpi, lang, now), className="tile-time")],
            className="tile-foot",
        ),
    ]


def _trend_values(kpi: Kpi | None) -> list[float | None]:
    return list(kpi.trend) if kpi is not None else []


def trend_figure(kpi: Kpi | None) -> dict:
    """A small line of the last hour, in the tile's status colour."""
    values = _trend_values(kpi)
    colour = STATUS_COLOURS[tile_status(kpi)]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(range(len(values))),
                "y": values,
                "line": {"color": colour, "width": 3, "shape": "spline", "smoothing": 0.6},
                "fill": "tozeroy",
                "fillcolor": colour + "22",
                "connectgaps": False,
            }
        ],
        "layout": chart_layout(
            margin={"l": 0, "r": 0, "t": 2, "b": 2},
            xaxis={"visible": False, "fixedrange": True},
            yaxis={"visible": False, "fixedrange": True},
        ),
    }


def trend_patch(kpi: Kpi | None) -> Patch:
    """Update a trend in place: new y values and colour, nothing rebuilt."""
    values = _trend_values(kpi)
    colour = STATUS_COLOURS[tile_status(kpi)]
    patch = Patch()
    patch["data"][0]["x"] = list(range(len(values)))
    patch["data"][0]["y"] = values
    patch["data"][0]["line"]["color"] = colour
    patch["data"][0]["fillcolor"] = colour + "22"
    return patch


def kpi_tile(
    scope: str, key: str, kpi: Kpi | None, lang: str, now: datetime, figures: dict
) -> html.Div:
    """A whole tile, as first rendered."""
    return html.Div(
        [
            html.Div(tile_body(key, kpi, lang, now, figures), id=tile_id(scope, key, "body")),
            dcc.Graph(
                id=tile_id(scope, key, "trend"),
                figure=trend_figure(kpi),
                config=GRAPH_CONFIG,
                className="tile-trend",
            ),
        ],
        id=tile_id(scope, key, "box"),
        className=tile_class(tile_status(kpi)),
    )


def presence_tile(scope: str, districts, lang: str) -> html.Div:
    """The "district IOCs online" tile (no trend: presence is a state, not a series)."""
    return html.Div(
        presence_body(districts, lang),
        id=tile_id(scope, "ioc_online", "box"),
        className=tile_class(presence_status(districts), "tile--presence"),
    )


def presence_status(districts) -> str:
    """Alarm when a district IOC is offline; no_data before any reported."""
    known = [d for d in districts if d.online is not None]
    if not known:
        return "no_data"
    return "alarm" if any(d.online is False for d in known) else "ok"


def presence_body(districts, lang: str) -> list:
    """The text of the presence tile."""
    status = presence_status(districts)
    online = sum(1 for d in districts if d.online)
    offline = [d.name(lang) for d in districts if d.online is False]
    sub = (
        t("sub_ioc_offline", lang, names=", ".join(offline))
        if offline
        else t("sub_ioc_all_online", lang)
    )
    if len(districts) == 1:  # one district's scene: its IOC, online or not, since when
        (district,) = districts
        word = {True: "online", False: "offline", None: "unknown"}[district.online]
        value, unit = t(word, lang), ""
        since = district.online_since
        sub = f"{t('since', lang)} {local_time(since)}" if since else "\u00a0"
    else:
        value = number(online, lang)
        unit = f"/ {number(len(districts), lang)} {t('unit_ioc_online', lang)}"
    parts = [
        html.Div(
            html.Span(t("kpi_ioc_online", lang), className="tile-label"), className="tile-head"
        ),
        html.Div(
            [
                # A word (online, offline) is set smaller than a number.
                html.Span(
                    value,
                    className=value_class(value, unit) if unit else "tile-value tile-value--long",
                ),
                html.Span(unit, className="tile-unit"),
            ],
            className="tile-main",
        ),
        html.Div(sub, className="tile-sub"),
        html.Div([mark(status, lang)], className="tile-foot"),
    ]
    return [html.Div(parts)]  # one wrapper, as in KPI tiles


def metric_class(view) -> str:
    """A database metric tile's class: its status; an empty slot is hidden."""
    if view is None:
        return "tile tile--empty"
    return tile_class(view.status, "tile--metric" + (" tile--error" if view.error else ""))


def metric_body(view, lang: str, now: datetime) -> list:
    """A database metric tile: title, value and unit, target or error, status and time."""
    if view is None:
        return []
    metric = view.metric
    shown = "—" if view.value is None else number(view.value, lang, metric.digits)
    if view.error:
        sub = f"{t('metric_error', lang)}: {view.error}"
    elif metric.thresholds.target is not None:  # progress toward it: "6 / mục tiêu 5"
        target = number(metric.thresholds.target, lang, metric.digits)
        sub = t("target_progress", lang, value=shown, target=target)
    else:
        sub = "\u00a0"
    if view.as_of is None:
        when = ""  # the status word already says "no data"
    else:
        when = f"{t('as_of', lang)} {local_time(view.as_of, seconds=False)}"
        if view.status == "stale":
            when += f" · {age_text((now - view.as_of).total_seconds(), lang)}"
    parts = [
        html.Div(
            [
                html.Span(metric.title(lang), className="tile-label"),
                # In the head, not beside the value: the value line has no room to spare.
                html.Span(t("demo_short", lang), className="demo-tag") if metric.demo else None,
            ],
            className="tile-head",
        ),
        html.Div(
            [
                html.Span(shown, className=value_class(shown, metric.unit_in(lang))),
                html.Span(metric.unit_in(lang), className="tile-unit"),
            ],
            className="tile-main",
        ),
        html.Div(sub, className="tile-sub"),
        html.Div(
            [mark(view.status, lang), html.Span(when, className="tile-time")],
            className="tile-foot",
        ),
    ]
    return [html.Div(parts)]
