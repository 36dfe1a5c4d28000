"""The wall's charts and lists: per-district bars, today vs usual, outages, ticker. Data in, out.

Charts are plain figure dicts. ``figure_patch`` turns a freshly built figure
into a ``Patch`` of its traces' data only, so the browser updates the chart in
place (no new layout, no flicker) while one builder stays the single source
of what the chart shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dash import Patch, html

from ioc.clock import LOCAL_TZ
from ioc.i18n import t
from ioc.i18n.format import age_text, local_time, number
from ioc.model.wall import AreaState
from widgets.mark import mark
from widgets.theme import FONT, GRID, INK, MUTED, STATUS_COLOURS, chart_layout

DATA_KEYS = ("x", "y", "text", "marker", "line", "fillcolor", "base")
TODAY = "#4cc3ff"  # sky blue: today's line, apart from every status colour
USUAL = MUTED
# Every chart text on the wall, in logical pixels of the 1920-wide stage: 28 px is about
# 11 minutes of arc from 4 m on a 55-inch 1080p screen, the least a label may be.
TEXT_PX = 28


def figure_patch(figure: dict) -> Patch:
    """A Patch carrying the data of every trace of ``figure`` (same trace count assumed)."""
    patch = Patch()
    for index, trace in enumerate(figure["data"]):
        for key in DATA_KEYS:
            if key in trace:
                patch["data"][index][key] = trace[key]
    for axis in ("xaxis", "yaxis"):
        bounds = figure["layout"].get(axis, {}).get("range")
        if bounds is not None:
            patch["layout"][axis]["range"] = bounds
    return patch


def _axis(**extra) -> dict:
    return {
        "gridcolor": GRID,
        "zeroline": False,
        "fixedrange": True,
        "tickfont": {"size": TEXT_PX},
        "automargin": True,
        **extra,
    }


def wall_layout(**extra) -> dict:
    """A wall chart's layout: 28 px type, and no bar text shrunk by plotly to fit a bar."""
    return chart_layout(
        font={"family": FONT, "size": TEXT_PX, "color": INK},
        # Bar texts all at 28 px: plotly may not scale one down to fit its bar.
        uniformtext={"minsize": TEXT_PX, "mode": "show"},
        **extra,
    )


def _legend() -> dict:
    return {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0,
            "font": {"size": TEXT_PX}, "traceorder": "normal"}  # fmt: skip


SHAPES = {"ok": "●", "warn": "▲", "alarm": "■", "stale": "◌", "neutral": "◆"}


def kpi_limits(areas: Sequence[AreaState], key: str) -> tuple[float | None, float | None]:
    """A KPI's (warn, alarm) as the districts' tiles were judged by (kpis.toml)."""
    return next((a.kpis[key].limits for a in areas if key in a.kpis), (None, None))


def district_bars(
    names: Sequence[str],
    values: Sequence[float | None],
    statuses: Sequence[str],
    lang: str,
    *,
    digits: int = 0,
    suffix: str = "",
    markers: Sequence[float | None] | None = None,
    upper: float | None = None,
    limits: tuple[float | None, float | None] = (None, None),
) -> dict:
    """Horizontal bars, one per district, coloured by status; values in a column at the right.

    ``limits`` (warn, alarm) are drawn as dashed lines across the bars.

    ``markers`` (e.g. the usual level at this hour) are drawn as white diamonds.
    Missing values draw no bar and say so.
    """
    shown = [v if v is not None else 0 for v in values]
    # The status's shape beside each value, as the marks draw it: not colour alone.
    texts = [
        f"{SHAPES.get(s, '')} {number(v, lang, digits)}{suffix}".strip()
        if v is not None else t("status_no_data", lang)
        for v, s in zip(values, statuses, strict=True)
    ]  # fmt: skip
    peak = max([*shown, *[m for m in markers or [] if m is not None], 1])
    # A share (``upper``: 100 %) starts near its lowest value, so 89.7 % and 100 % differ.
    present = [v for v in values if v is not None] + [v for v in limits if v is not None]
    floor = 0.0 if upper is None or not present else max(0.0, (min(present) - 5) // 5 * 5)
    lines = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": v, "x1": v, "y0": 0, "y1": 1,
         "line": {"color": STATUS_COLOURS[s], "width": 3, "dash": "dash"}}
        for v, s in zip(limits, ("warn", "alarm"), strict=True) if v is not None
    ]  # fmt: skip
    # Bars use the left three quarters; the value column the rest, clear of any mark.
    right = floor + ((upper if upper is not None else peak) - floor) * 1.3
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": list(names),
            "x": shown,
            "marker": {"color": [STATUS_COLOURS[s] for s in statuses]},
        },
        {
            "type": "scatter",
            "mode": "text",
            "y": list(names),
            "x": [right] * len(names),
            "text": texts,
            "textposition": "middle left",
            "textfont": {"size": TEXT_PX},
            "cliponaxis": False,
        },
    ]
    if markers is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "y": list(names),
                "x": [m if m is not None else None for m in markers],
                "marker": {
                    "symbol": "diamond-tall",
                    "size": 24,
                    "color": "#ffffff",
                    "line": {"width": 2, "color": "#0b0f17"},
                },
            }
        )
    return {
        "data": traces,
        "layout": wall_layout(
            xaxis=_axis(range=[floor, right], showticklabels=False, showgrid=False),
            shapes=lines,
            # Every district named: plotly would skip names when the plot is short.
            yaxis=_axis(autorange="reversed", showgrid=False, dtick=1),
            bargap=0.3,
            margin={"l": 8, "r": 8, "t": 4, "b": 4},
        ),
    }


def stacked_bars(
    names: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    lang: str,
) -> dict:
    """Bars per district made of parts (label, values, colour); the parts' numbers in a
    column at the right ("812 · 64"), at full size, never squeezed into a thin bar."""
    totals = [0.0] * len(names)
    traces = []
    for label, values, colour in series:
        shown = [v or 0 for v in values]
        totals = [a + b for a, b in zip(totals, shown, strict=True)]
        traces.append({"type": "bar", "orientation": "h", "name": label, "y": list(names),
                       "x": shown, "marker": {"color": colour}})  # fmt: skip
    parts = zip(*[values for _label, values, _colour in series], strict=True)
    right = max([*totals, 1]) * 1.45
    traces.append(_value_column(names, [" · ".join(number(v, lang) for v in p) for p in parts],
                                right))  # fmt: skip
    return {
        "data": traces,
        "layout": wall_layout(
            barmode="stack",
            xaxis=_axis(range=[0, right], showticklabels=False, showgrid=False),
            # Every district named: plotly would skip names when the plot is short.
            yaxis=_axis(autorange="reversed", showgrid=False, dtick=1),
            bargap=0.3, showlegend=True, legend=_legend(),
            margin={"l": 8, "r": 8, "t": 44, "b": 4},
        ),
    }  # fmt: skip


def overlaid_bars(
    names: Sequence[str],
    whole: tuple[str, Sequence[float | None], str],
    part: tuple[str, Sequence[float | None], str],
    lang: str,
) -> dict:
    """A thin bar over a wide one (resolved over received), both numbers at the right."""
    whole_values = [v or 0 for v in whole[1]]
    part_values = [v or 0 for v in part[1]]
    right = max([*whole_values, *part_values, 1]) * 1.45
    # In the legend's order ("received · resolved"): resolved today may exceed received
    # today (older applications), so not "part / whole".
    texts = [f"{number(w, lang)} · {number(p, lang)}"
             for p, w in zip(part_values, whole_values, strict=True)]  # fmt: skip
    traces = [
        {"type": "bar", "orientation": "h", "name": label, "y": list(names), "x": values,
         "width": width, "marker": {"color": colour}}
        for (label, _raw, colour), values, width in (
            (whole, whole_values, 0.75), (part, part_values, 0.4)
        )
    ]  # fmt: skip
    traces.append(_value_column(names, texts, right))
    return {
        "data": traces,
        "layout": wall_layout(
            barmode="overlay",
            xaxis=_axis(range=[0, right], showticklabels=False, showgrid=False),
            yaxis=_axis(autorange="reversed", showgrid=False),
            showlegend=True, legend=_legend(),
            margin={"l": 8, "r": 8, "t": 44, "b": 4},
        ),
    }  # fmt: skip


def _value_column(names: Sequence[str], texts: Sequence[str], right: float) -> dict:
    return {
        "type": "scatter", "mode": "text", "y": list(names), "x": [right] * len(names),
        "text": list(texts), "textposition": "middle left",
        "textfont": {"size": TEXT_PX}, "cliponaxis": False, "showlegend": False,
    }  # fmt: skip


def hourly_lines(today: Sequence[float | None], usual: Sequence[float | None], lang: str) -> dict:
    """Today's flow by local hour against the usual flow of each hour."""
    hours = [f"{h}h" for h in range(24)]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": t("usual", lang),
                "x": hours,
                "y": list(usual),
                "line": {"color": USUAL, "width": 3, "dash": "dash"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": t("today", lang),
                "x": hours,
                "y": list(today),
                "line": {"color": TODAY, "width": 5},
                "marker": {"size": 9, "color": TODAY},
                "connectgaps": False,
            },
        ],
        "layout": wall_layout(
            showlegend=True,
            legend=_legend(),
            xaxis=_axis(dtick=3, showgrid=False),
            yaxis=_axis(rangemode="tozero", nticks=5),
            margin={"l": 8, "r": 16, "t": 44, "b": 8},
        ),
    }


def down_hours(hours: Sequence[tuple[datetime, float]], lang: str) -> dict:
    """Mean access points down in each of the last 24 hours (read on the axis: 24 numbers
    at 28 px would not fit over 24 bars)."""
    labels = [f"{h.astimezone(LOCAL_TZ).hour}h" for h, _ in hours]
    values = [round(v, 1) for _, v in hours]
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": values,
                "marker": {"color": STATUS_COLOURS["warn"]},
            }
        ],
        "layout": wall_layout(
            xaxis=_axis(showgrid=False, type="category", nticks=8),
            yaxis=_axis(rangemode="tozero", range=[0, max([*values, 1]) * 1.15], nticks=5),
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
        ),
    }


def wall_map(figure: dict) -> dict:
    """The district map sized for the wall: 28 px names, 30 px marks, names kept apart."""
    labels = figure["data"][-1]
    labels["textfont"] = {"size": TEXT_PX, "color": INK}
    labels["marker"]["size"] = 30
    labels["textposition"] = _label_sides(labels["x"], labels["y"])
    return figure


def _label_sides(xs: list[float], ys: list[float]) -> list[str]:
    """Names under their marks; a name with another mark just below it goes to the side
    away from that mark, so names at 28 px do not run over each other."""
    dx, dy = 0.2 * (max(xs) - min(xs) or 1), 0.18 * (max(ys) - min(ys) or 1)
    sides = []
    for x, y in zip(xs, ys, strict=True):
        below = [x2 for x2, y2 in zip(xs, ys, strict=True) if abs(x - x2) < dx and 0 < y - y2 < dy]
        sides.append("bottom center" if not below else
                     "middle left" if below[0] > x else "middle right")  # fmt: skip
    return sides


# --- lists ---------------------------------------------------------------------------


def _row(status: str, main: str, detail: str, lang: str) -> html.Li:
    return html.Li(
        [mark(status, lang, word=False), html.Span(main, className="row-main"),
         html.Span(detail, className="row-detail")],
        className=f"row row--{status}",
    )  # fmt: skip


def congested_list(items: Sequence[dict], names: dict[str, str], lang: str) -> list:
    """The slowest cameras: name, district, speed and occupancy."""
    if not items:
        return [html.Li(t("status_no_data", lang), className="row row--empty")]
    return [
        _row(
            item["status"],
            f"{item['name']} · {names.get(item['district'], item['district'])}",
            f"{number(item['speed_kmh'], lang, 1)} km/h"
            + (
                f" · {t('occupancy', lang)} {number(100 * item['occupancy'], lang)} %"
                if item.get("occupancy") is not None
                else ""
            ),
            lang,
        )
        for item in items
    ]


def down_list(items: Sequence[dict], names: dict[str, str], lang: str, now: datetime) -> list:
    """Access points down now, longest outage first."""
    if not items:
        return [html.Li(t("none_down", lang), className="row row--empty")]
    return [
        _row(
            "alarm",
            f"{item['name']} · {names.get(item['district'], item['district'])}",
            t(
                "down_since",
                lang,
                time=local_time(item["since"], seconds=False),
                age=age_text((now - item["since"]).total_seconds(), lang),
            ),
            lang,
        )  # fmt: skip
        for item in items
    ]


def ticker_items(alarms: Sequence, names: dict[str, str], lang: str, now: datetime) -> list:
    """One chip per alarm: district, what, how bad; offline IOCs and stale feeds too."""
    if not alarms:
        return [html.Span([mark("ok", lang, text=t("no_alarms", lang))], className="chip chip--ok")]
    chips = []
    for alarm in alarms:
        place = names.get(alarm.district, alarm.district)
        if alarm.kind == "offline":
            status, what = "alarm", t("ticker_offline", lang, time=local_time(alarm.since))
            word = t("status_offline", lang)
        elif alarm.kind == "stale":
            age = age_text((now - alarm.since).total_seconds(), lang) if alarm.since else "—"
            status, what = "stale", t("ticker_stale", lang, feed=t(alarm.key, lang), age=age)
            word = t("status_stale", lang)
        else:
            status, word = alarm.status, t(f"status_{alarm.status}", lang)
            digits = 0 if alarm.key in ("traffic_flow", "backlog_pending") else 1
            shown = number(alarm.value, lang, digits)
            unit = "%" if alarm.key in SHARE_UNITS else t(f"unit_{alarm.key}", lang)
            what = f"{t(f'kpi_{alarm.key}', lang)} {shown} {unit}"
        chips.append(
            html.Span(
                [
                    mark("offline" if alarm.kind == "offline" else status, lang, word=False),
                    html.B(place),
                    f" {what} · {word}",
                ],
                className=f"chip chip--{status}",
            )
        )
    return chips


SHARE_UNITS = frozenset({"wifi_up", "wifi_uptime", "backlog_overdue", "backlog_on_time"})


def hotline_panel(figures: dict, lang: str) -> list:
    """The 1022 hotline's four numbers."""
    cells = [
        ("kpi_backlog_pending", figures.get("hotline_pending")),
        ("kpi_backlog_overdue", figures.get("hotline_overdue")),
        ("received_today", figures.get("hotline_received")),
        ("resolved", figures.get("hotline_resolved")),
    ]
    return [
        html.Div(
            [
                html.Div(number(value, lang), className="cell-value"),
                html.Div(t(key, lang), className="cell-label"),
            ],
            className="cell",
        )  # fmt: skip
        for key, value in cells
    ]
