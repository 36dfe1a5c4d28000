"""The district page's charts on a light theme: lines over time, intake bars, outages, heat map."""

from __future__ import annotations

from datetime import datetime, timedelta

from dash import dcc, html

from ioc.clock import LOCAL_TZ
from ioc.district_view import DistrictView
from ioc.i18n import t
from ioc.i18n.format import duration_text, number
from ioc.model.district import Table
from widgets.district_axes import SEPARATORS, date_axis, graph_locale, limit_lines, share_range
from widgets.theme import GRAPH_CONFIG, STATUS_COLOURS

# Light-theme chart colours (the wall's dark palette stays on the wall).
LIGHT_INK = "#1d2433"
LIGHT_MUTED = "#5b6579"
LIGHT_GRID = "#e3e7ef"
SERIES = {"a": "#1f5fbf", "b": "#d9480f", "c": "#2b8a3e", "d": "#7048e8"}
DESK_FONT = "Be Vietnam Pro, Noto Sans, DejaVu Sans, sans-serif"
# Intake is counted per hour up to this span, per local day beyond (ioc.services.district_backlog).
INTAKE_HOURLY = timedelta(hours=48)
DESK_GRAPH_CONFIG = {
    **GRAPH_CONFIG,
    "staticPlot": False,
    "displayModeBar": False,
    "scrollZoom": False,
}


def _layout(lang: str, **extra) -> dict:
    layout = {
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": DESK_FONT, "size": 14, "color": LIGHT_INK},
        "separators": SEPARATORS.get(lang, SEPARATORS["en"]),
        "margin": {"l": 56, "r": 24, "t": 16, "b": 48},
        "hovermode": "x unified",
        "dragmode": False,
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "xaxis": date_axis(gridcolor=LIGHT_GRID, linecolor=LIGHT_GRID),
        "yaxis": {"gridcolor": LIGHT_GRID, "zeroline": False, "rangemode": "tozero",
                  "automargin": True},
        "uirevision": "district",
    }  # fmt: skip
    layout.update(extra)
    return layout


def _local(ts: datetime) -> str:
    return ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _graph(component_id: str, figure: dict, lang: str, height: int = 320) -> dcc.Graph:
    return dcc.Graph(
        id=component_id,
        figure=figure,
        config={**DESK_GRAPH_CONFIG, **graph_locale(lang)},
        style={"height": f"{height}px"},
    )


def line_chart(
    component_id: str, rows: list[dict], lines: list[tuple[str, str, str, str]], lang: str,
    *, shape: str = "linear", mode: str = "lines",
    span: tuple[datetime, datetime] | None = None,
    limits: tuple[float | None, float | None] | None = None,
) -> dcc.Graph:  # fmt: skip
    """Lines over time from series rows: (key, label key, colour, panel) per line.

    Lines on panel "y2" are drawn in a second panel under the first, with its own
    axis (two measures, two scales, round ticks each), sharing the time axis.
    ``span``: the range shown on the time axis (the view's), however little data there is.
    ``limits``: (warn, alarm) of a share in %: the axis starts near the data, not at 0,
    and both limits are drawn as lines.
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
    xaxis = date_axis(gridcolor=LIGHT_GRID, linecolor=LIGHT_GRID)
    if span is not None:
        xaxis["range"] = [_local(span[0]), _local(span[1])]
    extra: dict = {"xaxis": xaxis}
    height = 320
    if any(axis == "y2" for *_x, axis in lines):
        first = next(label for _k, label, _c, axis in lines if axis == "y")
        second = next(label for _k, label, _c, axis in lines if axis == "y2")
        xaxis["anchor"] = "y2"
        extra["yaxis"] = {
            "domain": [0.56, 1],
            "gridcolor": LIGHT_GRID,
            "zeroline": False,
            "rangemode": "tozero",
            "automargin": True,
            "title": {"text": t(first, lang)},
        }
        # Round ticks, chosen here rather than left to plotly (30.8/20.5/10.3 before).
        key2 = next(k for k, _l, _c, axis in lines if axis == "y2")
        top = max([v for row in rows if (v := row.get(key2)) is not None] or [0])
        step = 5 if top <= 25 else 10 if top <= 60 else 20
        extra["yaxis2"] = {"domain": [0, 0.44], "gridcolor": LIGHT_GRID, "zeroline": False,
                           "rangemode": "tozero", "automargin": True, "dtick": step,
                           "title": {"text": t(second, lang)}}  # fmt: skip
        height = 420
    if limits is not None:
        values = [row.get(key) for row in rows for key, *_r in lines]
        extra["yaxis"] = {
            "gridcolor": LIGHT_GRID,
            "zeroline": False,
            "automargin": True,
            "range": share_range(values, list(limits)),
            "ticksuffix": " %",
        }
        extra["shapes"], extra["annotations"] = limit_lines(lang, *limits)  # fmt: skip
    return _graph(component_id, {"data": traces, "layout": _layout(lang, **extra)}, lang, height)


def intake_chart(rows: list[dict], view: DistrictView, lang: str) -> dcc.Graph:
    """Received and resolved per period (hour or local day), side by side within it.

    The time axis covers the view's range and each bar its own period, so one
    hour of data is one narrow pair of bars, not a bar across the chart.
    """
    period = timedelta(hours=1) if view.span <= INTAKE_HOURLY else timedelta(days=1)
    width = period.total_seconds() * 1000 * 0.42
    x = [_local(row["period"]) for row in rows]
    traces = [
        {"type": "bar", "name": t("col_received", lang), "x": x, "width": width,
         "offset": width * 0.1, "y": [row["received"] for row in rows],
         "marker": {"color": SERIES["a"]}},
        {"type": "bar", "name": t("col_resolved", lang), "x": x, "width": width,
         "offset": width * 1.15, "y": [row["resolved"] for row in rows],
         "marker": {"color": SERIES["c"]}},
    ]  # fmt: skip
    layout = _layout(
        lang, barmode="overlay", hovermode="x",
        xaxis=date_axis(gridcolor=LIGHT_GRID, linecolor=LIGHT_GRID,
                        range=[_local(view.since), _local(view.until)]),
    )  # fmt: skip
    return _graph("district-intake", {"data": traces, "layout": layout}, lang)


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
        lang,
        hovermode="closest",
        showlegend=False,
        margin={"l": 24, "r": 24, "t": 16, "b": 48},
        xaxis=date_axis(range=[_local(view.since), _local(view.until)], gridcolor=LIGHT_GRID),
        yaxis={"type": "category", "autorange": "reversed", "gridcolor": LIGHT_GRID,
               "categoryorder": "array", "categoryarray": names, "automargin": True},
    )  # fmt: skip
    height = max(160, 34 * len(names) + 80)
    return _graph("district-outages", {"data": [trace], "layout": layout}, lang, height)


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
