"""The charts of a briefing document: static plotly.js figures drawn from the record's series."""

from __future__ import annotations

import json
import math

import plotly.graph_objects as go

from ioc.clock import to_local
from ioc.i18n import t
from ioc.i18n.format import local_time, number

CHART_W, CHART_H = 500, 250


def _chart(div_id: str, fig: go.Figure) -> str:
    """A figure drawn by plotly.js from inline JSON (static: it is a record, not a tool)."""
    data = fig.to_plotly_json()
    spec = json.dumps({"data": data["data"], "layout": data["layout"]}, sort_keys=True,
                      separators=(",", ":"), default=str).replace("</", "<\\/")  # fmt: skip
    return (
        f'<div class="chart" id="{div_id}" style="width:{CHART_W}px;height:{CHART_H}px"></div>'
        f"<script>(function(){{var s={spec};Plotly.newPlot({json.dumps(div_id)},s.data,s.layout,"
        "{staticPlot:true,displayModeBar:false});})();</script>"
    )


def _layout(y_title: str) -> dict:
    return {
        "width": CHART_W,
        "height": CHART_H,
        "margin": {"l": 52, "r": 12, "t": 10, "b": 36},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "Be Vietnam Pro, DejaVu Sans, sans-serif", "size": 12,
                 "color": "#1d2433"},
        "legend": {"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        "xaxis": {"gridcolor": "#e6e9f0", "linecolor": "#9aa3b5"},
        "yaxis": {"gridcolor": "#e6e9f0", "linecolor": "#9aa3b5", "title": {"text": y_title},
                  "rangemode": "tozero"},
        "showlegend": True,
    }  # fmt: skip


def traffic_chart(series: dict, lang: str) -> str:
    """Today's city flow by local hour beside the usual level of each hour."""
    hours = [f"{h:02d}" for h in range(24)]
    fig = go.Figure(layout=_layout(t("unit_traffic_flow", lang)))
    fig.add_scatter(x=hours, y=series.get("traffic_usual") or [None] * 24,
                    name=t("brief_usual", lang), mode="lines",
                    line={"color": "#9aa3b5", "dash": "dot", "width": 2})  # fmt: skip
    fig.add_scatter(x=hours, y=series.get("traffic_today") or [None] * 24,
                    name=t("brief_today", lang), mode="lines+markers",
                    line={"color": "#1f4fb5", "width": 3}, marker={"size": 5})  # fmt: skip
    return _chart("chart-traffic", fig)


def wifi_chart(series: dict, lang: str) -> str:
    """Mean access points down in each of the last 24 hours."""
    points = series.get("wifi_down_hours") or []
    fig = go.Figure(layout={**_layout(t("unit_wifi_up", lang)), "showlegend": False})
    fig.add_bar(x=[local_time(at, seconds=False) for at, _ in points], y=[v for _, v in points],
                marker={"color": "#d9381e"}, name=t("brief_aps_down", lang))  # fmt: skip
    fig.update_xaxes(type="category")
    return _chart("chart-wifi", fig)


def series_chart(div_id: str, table: dict, lines: list[tuple[str, str, str]], lang: str) -> str:
    """A district table of time rows as lines: (column, legend text, colour)."""
    rows = table.get("rows") or []
    # Local wall-clock times on a time axis (a 24-hour range holds the same HH:MM twice).
    x = [to_local(r["time"]).strftime("%Y-%m-%d %H:%M") for r in rows]
    fig = go.Figure(layout=_layout(""))
    for column, name, colour in lines:
        fig.add_scatter(x=x, y=[r.get(column) for r in rows], name=name, mode="lines+markers",
                        line={"color": colour, "width": 2.5})  # fmt: skip
    fig.update_xaxes(type="date", nticks=8, tickformat="%H:%M\n%d/%m")
    return _chart(div_id, fig)


# Threshold lines: the statuses' colours (assets/marks.css), dashed so they read in grey too.
LINE_COLOURS = {"warn": "#b07d00", "alarm": "#d9381e"}


def percent_axis(values: list[float], thresholds: dict | None) -> list[float]:
    """A share's y range: from a little under the lowest value or threshold (in steps of 5)
    to 100, so 89.7 % and 100 % no longer look alike, as they do on an axis from 0."""
    marks = [v for v in values if v is not None]
    marks += [v for k in ("warn", "alarm") if (v := (thresholds or {}).get(k)) is not None]
    low = min(marks, default=90.0)
    return [max(0.0, 5 * math.floor((low - 2) / 5)), 100.5]


def percent_chart(
    div_id: str, table: dict, column: str, colour: str, thresholds: dict | None, lang: str
) -> str:
    """A district table's share over time (e.g. access points up, %), on a sensible axis,
    with the KPI's warn and alarm thresholds drawn as dashed lines."""
    rows = table.get("rows") or []
    x = [to_local(r["time"]).strftime("%Y-%m-%d %H:%M") for r in rows]
    y = [r.get(column) for r in rows]
    fig = go.Figure(layout=_layout("%"))
    fig.add_scatter(x=x, y=y, name="%", mode="lines+markers", line={"color": colour, "width": 2.5})
    for level in ("warn", "alarm"):
        value = (thresholds or {}).get(level)
        if value is None:
            continue
        said = t("brief_threshold_line", lang, what=t(f"status_{level}", lang),
                 value=number(value, lang))  # fmt: skip
        fig.add_hline(y=value, line={"color": LINE_COLOURS[level], "dash": "dash", "width": 1.5},
                      annotation_text=said, annotation_position="bottom right",
                      annotation_font={"color": LINE_COLOURS[level], "size": 11})  # fmt: skip
    fig.update_yaxes(range=percent_axis(y, thresholds), rangemode="normal")
    fig.update_xaxes(type="date", nticks=8, tickformat="%H:%M\n%d/%m")
    fig.update_layout(showlegend=False)
    return _chart(div_id, fig)
