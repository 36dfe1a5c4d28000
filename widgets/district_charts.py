"""The district page's charts on a light theme: lines over time, intake bars, outages, heat map."""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from ioc.clock import LOCAL_TZ
from ioc.district_view import DistrictView
from ioc.i18n import t
from ioc.i18n.format import duration_text, number
from ioc.model.district import Table
from widgets.theme import GRAPH_CONFIG, STATUS_COLOURS

# Light-theme chart colours (the wall's dark palette stays on the wall).
LIGHT_INK = "#1d2433"
LIGHT_MUTED = "#5b6579"
LIGHT_GRID = "#e3e7ef"
SERIES = {"a": "#1f5fbf", "b": "#d9480f", "c": "#2b8a3e", "d": "#7048e8"}
DESK_FONT = "Be Vietnam Pro, Noto Sans, DejaVu Sans, sans-serif"
DESK_GRAPH_CONFIG = {
    **GRAPH_CONFIG,
    "staticPlot": False,
    "displayModeBar": False,
    "scrollZoom": False,
}


def _layout(**extra) -> dict:
    layout = {
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": DESK_FONT, "size": 14, "color": LIGHT_INK},
        "margin": {"l": 56, "r": 56, "t": 16, "b": 48},
        "hovermode": "x unified",
        "dragmode": False,
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "xaxis": {"gridcolor": LIGHT_GRID, "linecolor": LIGHT_GRID, "type": "date"},
        "yaxis": {"gridcolor": LIGHT_GRID, "zeroline": False, "rangemode": "tozero"},
        "uirevision": "district",
    }
    layout.update(extra)
    return layout


def _local(ts: datetime) -> str:
    return ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _graph(component_id: str, figure: dict, height: int = 320) -> dcc.Graph:
    return dcc.Graph(
        id=component_id, figure=figure, config=DESK_GRAPH_CONFIG, style={"height": f"{height}px"}
    )


def line_chart(
    component_id: str, rows: list[dict], lines: list[tuple[str, str, str, str]], lang: str,
    *, second_axis: bool = False, shape: str = "linear", mode: str = "lines",
    span: tuple[datetime, datetime] | None = None,
) -> dcc.Graph:  # fmt: skip
    """Lines over time from series rows: (key, label key, colour, axis) per line.

    ``span``: the range shown on the time axis (the view's), however little data there is.
    """
    x = [_local(row["time"]) for row in rows]
    traces = []
    for key, label, colour, axis in lines:
        points = sum(1 for row in rows if row.get(key) is not None)
        traces.append(
            {
                "type": "scatter",
                # Few points, far apart, would draw no line at all: mark each one.
                "mode": "lines+markers" if points < 60 else mode,
                "name": t(label, lang),
                "x": x,
                "y": [row.get(key) for row in rows],
                "line": {"color": colour, "width": 2.5, "shape": shape},
                "yaxis": axis,
                "connectgaps": False,
            }
        )
    extra = {}
    if span is not None:
        extra["xaxis"] = {"gridcolor": LIGHT_GRID, "linecolor": LIGHT_GRID, "type": "date",
                          "range": [_local(span[0]), _local(span[1])]}  # fmt: skip
    if second_axis:
        extra["yaxis2"] = {
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "title": {"text": t(lines[-1][1], lang)},
        }
        extra["yaxis"] = {
            "gridcolor": LIGHT_GRID,
            "zeroline": False,
            "rangemode": "tozero",
            "title": {"text": t(lines[0][1], lang)},
        }
    return _graph(component_id, {"data": traces, "layout": _layout(**extra)})


def intake_chart(rows: list[dict], lang: str) -> dcc.Graph:
    """Received and resolved per period, as grouped bars."""
    x = [_local(row["period"]) for row in rows]
    traces = [
        {"type": "bar", "name": t("col_received", lang), "x": x,
         "y": [row["received"] for row in rows], "marker": {"color": SERIES["a"]}},
        {"type": "bar", "name": t("col_resolved", lang), "x": x,
         "y": [row["resolved"] for row in rows], "marker": {"color": SERIES["c"]}},
    ]  # fmt: skip
    return _graph("district-intake", {"data": traces, "layout": _layout(barmode="group")})


def outage_chart(table: Table, view: DistrictView, lang: str, limit: int = 25) -> dcc.Graph:
    """Each access point with an outage on its own line; thick red bars where it was down."""
    by_ap: dict[str, list[dict]] = {}
    for row in table.rows:
        by_ap.setdefault(row["name"], []).append(row)
    names = sorted(by_ap, key=lambda n: -sum(r["down_min"] for r in by_ap[n]))[:limit]
    x, y, text = [], [], []
    for name in names:
        for row in by_ap[name]:
            x += [_local(row["start"]), _local(row["end"]), None]
            y += [name, name, None]
            label = f"{name}: {duration_text(row['down_min'], lang)}"
            text += [label, label, None]
    trace = {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "y": y,
        "text": text,
        "hoverinfo": "text",
        "line": {"color": STATUS_COLOURS["alarm"], "width": 14},
        "name": t("outage_timeline", lang),
    }
    layout = _layout(
        hovermode="closest",
        showlegend=False,
        margin={"l": 200, "r": 24, "t": 16, "b": 48},
        xaxis={"type": "date", "range": [_local(view.since), _local(view.until)],
               "gridcolor": LIGHT_GRID},
        yaxis={"type": "category", "autorange": "reversed", "gridcolor": LIGHT_GRID,
               "categoryorder": "array", "categoryarray": names},
    )  # fmt: skip
    height = max(160, 34 * len(names) + 80)
    return _graph("district-outages", {"data": [trace], "layout": layout}, height)


def _heat_colour(speed: float | None, warn: float, alarm: float) -> str:
    """Red (slow) through amber to teal (free-flowing); grey for no data."""
    if speed is None:
        return "#eef0f4"
    free = warn * 2
    share = max(0.0, min(1.0, (speed - alarm) / max(free - alarm, 1)))
    stops = [(0.0, (214, 40, 40)), (0.45, (242, 178, 51)), (1.0, (47, 181, 160))]
    for (a, ca), (b, cb) in zip(stops, stops[1:], strict=False):
        if share <= b:
            f = (share - a) / (b - a)
            r, g, bl = (round(ca[i] + f * (cb[i] - ca[i])) for i in range(3))
            return f"rgb({r},{g},{bl})"
    return "rgb(47,181,160)"


def heatmap(table: Table, lang: str, *, warn: float = 25, alarm: float = 15) -> html.Div:
    """Days down, hours across: each cell's colour is its mean speed (CSS grid, no plotly)."""
    cells = {(row["date"], row["hour"]): row for row in table.rows}
    dates = sorted({row["date"] for row in table.rows})
    grid_rows = [html.Div(""), *[html.Div(f"{h:02d}", className="hm-hour") for h in range(24)]]
    for date in dates:
        day = datetime.strptime(date, "%Y-%m-%d")
        grid_rows.append(html.Div(day.strftime("%d/%m"), className="hm-date"))
        for hour in range(24):
            row = cells.get((date, hour))
            speed = row["speed"] if row else None
            title = f"{day.strftime('%d/%m')} {hour:02d}:00 – " + (
                f"{number(speed, lang, 1)} km/h, {number(row['flow'], lang, 1)} "
                f"{t('vehicles_per_min', lang)}"
                if row and speed is not None
                else t("no_data", lang)
            )
            grid_rows.append(
                html.Div(
                    className="hm-cell",
                    title=title,
                    style={"background": _heat_colour(speed, warn, alarm)},
                    **{"data-speed": "" if speed is None else f"{speed:.1f}"},
                )
            )
    legend = html.Div(
        [
            html.Span(t("status_alarm", lang) + f" < {number(alarm, lang)} km/h"),
            html.Span(className="hm-scale"),
            html.Span(f"> {number(warn * 2, lang)} km/h"),
        ],
        className="hm-legend",
    )
    return html.Div([html.Div(grid_rows, className="heatmap"), legend], id="district-heatmap")
