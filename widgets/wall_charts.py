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
from widgets.theme import GRID, MUTED, STATUS_COLOURS, TICK_FONT_PX, chart_layout
from widgets.tiles import status_mark

DATA_KEYS = ("x", "y", "text", "marker", "line", "fillcolor", "base")
TODAY = "#4cc3ff"  # sky blue: today's line, apart from every status colour
USUAL = MUTED


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
        "tickfont": {"size": TICK_FONT_PX},
        "automargin": True,
        **extra,
    }


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
) -> dict:
    """Horizontal bars, one per district, coloured by status; values in a column at the right.

    ``markers`` (e.g. the usual level at this hour) are drawn as white diamonds.
    Missing values draw no bar and say so.
    """
    shown = [v if v is not None else 0 for v in values]
    texts = [
        f"{number(v, lang, digits)}{suffix}" if v is not None else t("status_no_data", lang)
        for v in values
    ]
    peak = max([*shown, *[m for m in markers or [] if m is not None], 1])
    # Bars use the left three quarters; the value column the rest, clear of any mark.
    right = (upper if upper is not None else peak) * 1.3
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
            "textfont": {"size": 20},
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
        "layout": chart_layout(
            xaxis=_axis(range=[0, right], showticklabels=False),
            yaxis=_axis(autorange="reversed", showgrid=False),
            bargap=0.3,
            margin={"l": 8, "r": 8, "t": 4, "b": 4},
        ),
    }


def grouped_bars(
    names: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    lang: str,
    *,
    stacked: bool = False,
) -> dict:
    """Bars per district for several series (label, values, colour), grouped or stacked."""
    traces = []
    totals = [0.0] * len(names)
    for position, (label, values, colour) in enumerate(series):
        shown = [v or 0 for v in values]
        last = position == len(series) - 1
        totals = (
            [a + b for a, b in zip(totals, shown, strict=True)]
            if stacked
            else [max(a, b) for a, b in zip(totals, shown, strict=True)]
        )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": list(names),
                "x": shown,
                "text": [number(v, lang) for v in shown],
                # Stacked: numbers inside, but the last (small) part's after the bar.
                "textposition": "inside" if stacked and not last else "outside",
                "insidetextanchor": "middle",
                "cliponaxis": False,
                "textfont": {"size": 18},
                "marker": {"color": colour},
            }
        )
    return {
        "data": traces,
        "layout": chart_layout(
            barmode="stack" if stacked else "group",
            xaxis=_axis(range=[0, max([*totals, 1]) * 1.18], showticklabels=False),
            yaxis=_axis(autorange="reversed", showgrid=False),
            bargap=0.25,
            showlegend=True,
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                    "font": {"size": 20}, "traceorder": "normal"},
            margin={"l": 8, "r": 16, "t": 36, "b": 4},
        ),
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
        "layout": chart_layout(
            showlegend=True,
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                    "font": {"size": 20}},
            xaxis=_axis(dtick=3, showgrid=False),
            yaxis=_axis(rangemode="tozero"),
            margin={"l": 8, "r": 16, "t": 36, "b": 8},
        ),
    }  # fmt: skip


def down_hours(hours: Sequence[tuple[datetime, float]], lang: str) -> dict:
    """Mean access points down in each of the last 24 hours."""
    labels = [f"{h.astimezone(LOCAL_TZ).hour}h" for h, _ in hours]
    values = [round(v, 1) for _, v in hours]
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": values,
                "marker": {"color": STATUS_COLOURS["warn"]},
                "text": [number(v, lang) for v in values],
                "textposition": "outside",
                "cliponaxis": False,
                "textfont": {"size": 18},
            }
        ],
        "layout": chart_layout(
            xaxis=_axis(showgrid=False, type="category"),
            yaxis=_axis(rangemode="tozero", range=[0, max([*values, 1]) * 1.25]),
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
        ),
    }


# --- lists ---------------------------------------------------------------------------


def _row(status: str, main: str, detail: str) -> html.Li:
    return html.Li(
        [status_mark(status), html.Span(main, className="row-main"),
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
        )  # fmt: skip
        for item in items
    ]


def ticker_items(alarms: Sequence, names: dict[str, str], lang: str, now: datetime) -> list:
    """One chip per alarm: district, what, how bad; offline IOCs and stale feeds too."""
    if not alarms:
        return [html.Span([status_mark("ok"), t("no_alarms", lang)], className="chip chip--ok")]
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
                [status_mark(status), html.B(place), f" {what} · {word}"],
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
