"""The district page's parts: header and KPI cards, range and tab controls, grids, charts.

Data in (a ``DistrictReport`` and its ``Table``s), components out. A light
theme: this is a desk page, read at arm's length, and printed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import dash_ag_grid as dag
from dash import dcc, html

from ioc.clock import LOCAL_TZ
from ioc.district_view import RANGES, TABS, DistrictView
from ioc.i18n import t
from ioc.i18n.format import duration_text, local_stamp, number, short_stamp
from ioc.model.wall import SHARE_KPIS
from ioc.services.district import Column, DistrictReport, HeaderKpi, SourceDetail, Table
from widgets.theme import GRAPH_CONFIG, STATUS_COLOURS

DIGITS = {"num1": 1, "num2": 2, "int": 0}
KPI_DIGITS = {"traffic_speed": 1, "wifi_uptime": 1}
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
TAB_ICONS = {"traffic": "🚦", "wifi": "📶", "services": "🗂"}


# --- text -----------------------------------------------------------------------------


def cell_text(value, kind: str, lang: str) -> str:
    """How a table cell reads on the page."""
    if value is None:
        return "—"
    if kind in DIGITS:
        return number(value, lang, DIGITS[kind])
    if kind == "time":
        return local_stamp(value)
    if kind == "duration":
        return duration_text(value, lang)
    if kind == "status":
        return t(f"status_{value}", lang)
    if kind == "state":
        return t(f"state_{value}", lang)
    if kind == "i18n":
        return value.get(lang) or value.get("vi", "")
    if kind == "hour":
        return f"{int(value):02d}"
    return str(value)


# --- header -----------------------------------------------------------------------------


def _kpi_value(kpi: HeaderKpi, lang: str) -> tuple[str, str]:
    if kpi.value is None:
        return "—", ""
    text = number(kpi.value, lang, KPI_DIGITS.get(kpi.key, 0))
    unit = t(f"unit_{kpi.key}", lang)
    if kpi.total is not None:
        unit = f"/ {number(kpi.total, lang)} {unit}"
    return text, unit


def _versus(kpi: HeaderKpi, lang: str) -> str:
    judged, median = kpi.judged, kpi.median
    digits = 1 if kpi.key in SHARE_KPIS or kpi.key in KPI_DIGITS else 0
    if median is None:
        return ""
    suffix = " %" if kpi.key in SHARE_KPIS else ""
    base = t("city_median", lang, value=number(median, lang, digits) + suffix)
    if judged is None:
        return base
    if not median or math.isclose(judged, median, rel_tol=0.005):
        return f"{base} · {t('vs_median_same', lang)}"
    pct = number(abs(judged - median) / abs(median) * 100, lang)
    word = "vs_median_above" if judged > median else "vs_median_below"
    return f"{base} · {t(word, lang, pct=pct)}"


def kpi_card(kpi: HeaderKpi, lang: str, now: datetime) -> html.Div:
    """One headline KPI: value, status (mark and word), time, and the city median beside it."""
    value, unit = _kpi_value(kpi, lang)
    share = ""
    if kpi.key in SHARE_KPIS and kpi.share is not None:
        share = t(f"share_{kpi.key}", lang, pct=number(kpi.share, lang, 1))
    return html.Div(
        [
            html.Div(t(f"kpi_{kpi.key}", lang), className="kpi-label"),
            html.Div(
                [html.Span(value, className="kpi-value"), html.Span(unit, className="kpi-unit")]
            ),
            html.Div(share, className="kpi-share") if share else None,
            html.Div(
                [
                    html.Span(className=f"mark mark--{kpi.status}", **{"aria-hidden": "true"}),
                    html.Span(t(f"status_{kpi.status}", lang), className="kpi-word"),
                    html.Span(
                        f"· {t('as_of', lang)} {short_stamp(kpi.as_of, now)}" if kpi.as_of else "",
                        className="kpi-time",
                    ),
                ],
                className="kpi-status",
            ),
            html.Div(_versus(kpi, lang), className="kpi-median"),
        ],
        className=f"kpi-card kpi-card--{kpi.status}",
        **{"data-kpi": kpi.key, "data-status": kpi.status},
    )


def presence(report: DistrictReport, lang: str) -> html.Span:
    """The district IOC's link state and since when."""
    if report.online is None:
        text, state = t("ioc_unknown", lang), "unknown"
    elif report.online:
        text = t("ioc_online_since", lang, time=local_stamp(report.online_since))
        state = "online"
    else:
        text = t("ioc_offline_since", lang, time=local_stamp(report.online_since))
        state = "offline"
    return html.Span(text, className=f"presence presence--{state}", id="district-presence")


def kpi_cards(report: DistrictReport, lang: str) -> list:
    """The header's KPI cards and the time they were read."""
    return [
        html.Div([kpi_card(k, lang, report.now) for k in report.kpis], className="kpi-row"),
        html.Div(
            [
                presence(report, lang),
                html.Span(
                    t("data_as_of", lang, time=local_stamp(report.now, seconds=True)),
                    className="as-of",
                ),
            ],
            className="header-meta",
        ),
    ]


# --- controls -----------------------------------------------------------------------------


def tabs(view: DistrictView, lang: str) -> html.Nav:
    """The three tabs, as links: a tab is part of the URL."""
    return html.Nav(
        [
            dcc.Link(
                t(f"tab_{tab}", lang),
                href=view.href(tab=tab, source=None),
                className="tab" + (" tab--on" if tab == view.tab else ""),
                id=f"district-tab-{tab}",
            )
            for tab in TABS
        ],
        className="tabs",
        **{"aria-label": "tabs"},
    )


def range_controls(view: DistrictView, lang: str) -> html.Div:
    """Last hour / 24 h / 7 d / 30 d as links, and a custom range form (local dates)."""
    links = [
        dcc.Link(
            t(f"range_{key}", lang),
            href=view.href(range=key, from_=None, to=None),
            className="range" + (" range--on" if key == view.range else ""),
            id=f"district-range-{key}",
        )
        for key in RANGES
    ]
    today = datetime.now(LOCAL_TZ).date()
    first = (view.custom_from or (today - timedelta(days=6)).isoformat())[:10]
    last = (view.custom_to or today.isoformat())[:10]
    form = html.Div(
        [
            html.Span(t("range_custom", lang), className="range-custom-label"
                      + (" range--on" if view.range == "custom" else "")),
            dcc.DatePickerRange(
                id="district-dates", start_date=first, end_date=last,
                max_date_allowed=today.isoformat(), display_format="DD/MM/YYYY",
                first_day_of_week=1, minimum_nights=0, number_of_months_shown=2,
                start_date_placeholder_text=t("range_from", lang),
                end_date_placeholder_text=t("range_to", lang),
            ),
            html.Button(t("range_apply", lang), id="district-apply", n_clicks=0),
            dcc.Location(id="district-nav", refresh="callback-nav"),
        ],
        className="range-form",
    )  # fmt: skip
    return html.Div(
        [html.Span(t("range_label", lang), className="range-label"), *links, form],
        className="ranges",
    )


def range_caption(view: DistrictView, lang: str) -> str:
    """ "From … to … (GMT+7)"."""
    return t("range_shown", lang, since=local_stamp(view.since), until=local_stamp(view.until))


def csv_link(view: DistrictView, key: str, lang: str) -> html.A:
    """A link to the CSV file of one table, with the page's range and language."""
    return html.A(
        t("csv", lang),
        href=view.path_with(f"/district/{view.slug}/export/{key}.csv"),
        className="csv-link",
        download=f"{view.slug}-{key}.csv",
        id=f"csv-{key}",
    )


def panel(title: str, body, view: DistrictView, lang: str, key: str | None = None, extra=None):
    """A titled box with its CSV link."""
    head = [html.H3(title)]
    if extra:
        head.append(html.Span(extra, className="dpanel-note"))
    if key:
        head.append(csv_link(view, key, lang))
    return html.Section([html.Div(head, className="dpanel-head"), body], className="dpanel")


# --- tables ------------------------------------------------------------------------------


def _epoch_ms(value: datetime | None):
    return None if value is None else int(value.timestamp() * 1000)


def grid(table: Table, view: DistrictView, lang: str, *, height: int = 520) -> dag.AgGrid:
    """A sortable, filterable grid; a source's name links to its detail (in the URL)."""
    defs = []
    for column in table.columns:
        spec = {
            "field": column.key,
            "headerName": t(column.label, lang),
            "sortable": True,
            "filter": True,
            "resizable": True,
        }
        if column.kind in DIGITS or column.kind == "duration":
            spec["filter"] = "agNumberColumnFilter"
            spec["type"] = "rightAligned"
            spec["valueFormatter"] = {
                "function": f"iocNumber(params.value, {DIGITS.get(column.kind, 0)}, '{lang}')"
            }
            if column.kind == "duration":
                spec["valueFormatter"] = {"function": f"iocDuration(params.value, '{lang}')"}
        elif column.kind == "time":
            spec["filter"] = "agNumberColumnFilter"
            spec["valueFormatter"] = {"function": "iocTime(params.value)"}
            spec["minWidth"] = 150
        elif column.kind in ("status", "state"):
            spec["cellRenderer"] = "IocStatus"
            spec["valueFormatter"] = {"function": "params.data." + column.key + "_text"}
            spec["filterValueGetter"] = {"function": "params.data." + column.key + "_text"}
            spec["minWidth"] = 140
        elif column.kind == "link":
            spec["cellRenderer"] = "IocLink"
            spec["pinned"] = "left"
            spec["minWidth"] = 240
        defs.append(spec)
    rows = []
    for row in table.rows:
        shown = {}
        for column in table.columns:
            value = row.get(column.key)
            if column.kind == "time":
                value = _epoch_ms(value)
            elif column.kind in ("status", "state"):
                shown[column.key + "_text"] = cell_text(value, column.kind, lang)
                shown[column.key + "_status"] = row.get("status", value)
            shown[column.key] = value
        if "source" in row:
            shown["href"] = view.href(source=row["source"])
            shown["selected"] = row["source"] == view.source
        rows.append(shown)
    return dag.AgGrid(
        id=f"grid-{table.key}",
        rowData=rows,
        columnDefs=defs,
        defaultColDef={"flex": 1, "minWidth": 110, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={
            "animateRows": False,
            "suppressCellFocus": True,
            "enableCellTextSelection": True,
            "domLayout": "normal" if len(rows) > 12 else "autoHeight",
            "localeText": {"noRowsToShow": t("no_data", lang)},
        },
        rowClassRules={
            "row--alarm": "params.data.status === 'alarm'",
            "row--warn": "params.data.status === 'warn'",
            "row--stale": "params.data.status === 'stale'",
            "row--selected": "params.data.selected === true",
        },
        className="grid",
        style={"height": f"{height}px", "width": "100%"} if len(rows) > 12 else {"width": "100%"},
    )  # fmt: skip


def html_table(table: Table, view: DistrictView, lang: str, *, limit: int | None = None):
    """A plain table (small lists); links where a row names a source of this tab."""
    head = html.Tr([html.Th(t(c.label, lang), className=f"k-{c.kind}") for c in table.columns])
    body = []
    for row in table.rows[:limit]:
        cells = []
        for column in table.columns:
            text = cell_text(row.get(column.key), column.kind, lang)
            if column.kind == "link" and "source" in row:
                content = dcc.Link(text, href=view.href(source=row["source"]))
            elif column.kind in ("status", "state"):
                status = row.get("status", row.get(column.key))
                content = [html.Span(className=f"mark mark--{status}"), " ", text]
            elif column.kind == "rank" and row.get("rank") is not None:
                content = t("rank_of", lang, rank=row["rank"], of=row["of"])
            else:
                content = text
            cells.append(html.Td(content, className=f"k-{column.kind}"))
        body.append(html.Tr(cells, className=f"row--{row.get('status', '')}"))
    return html.Table([html.Thead(head), html.Tbody(body)], className="plain-table",
                      id=f"table-{table.key}")  # fmt: skip


# --- charts -------------------------------------------------------------------------------


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


# --- one source -----------------------------------------------------------------------------

FLOW_SPEED = [("flow", "col_flow", SERIES["a"], "y"), ("speed", "col_speed", SERIES["b"], "y2")]
HISTORY_LINES = {
    "traffic": FLOW_SPEED,
    "wifi": [("up_pct", "col_up_pct", SERIES["c"], "y")],
    "backlog": [
        ("pending", "col_pending", SERIES["a"], "y"),
        ("overdue", "col_overdue", SERIES["b"], "y"),
    ],
}


def source_panel(detail: SourceDetail, view: DistrictView, lang: str) -> html.Section:
    """One source: its last message, its history in the range, the messages refused."""
    latest = detail.latest or {}
    facts = []
    for key, value in latest.items():
        if isinstance(value, datetime):
            value = local_stamp(value, seconds=True)
        elif isinstance(value, bool):
            value = t("status_stale", lang) if key == "stale" and value else str(value).lower()
        elif isinstance(value, float):
            value = number(value, lang, 3 if key == "occupancy" else 1)
        facts.append(html.Div([html.Dt(key), html.Dd("—" if value is None else str(value))]))
    if detail.rejected:
        rejected = [
            html.P(t("rejected_count", lang, count=detail.rejected, topic=detail.topic)),
            html_table(detail.rejections, view, lang),
        ]
    else:
        rejected = [html.P(t("no_rejections", lang) + f" ({detail.topic})")]
    history_rows = detail.history.rows
    lines = HISTORY_LINES[detail.feed]
    return html.Section(
        [
            html.Div(
                [
                    html.H2([t("source_detail", lang), ": ", detail.name]),
                    html.Code(detail.source),
                    dcc.Link("✕ " + t("close", lang), href=view.href(source=None),
                             className="close-link", id="source-close"),
                ],
                className="dpanel-head",
            ),
            html.Div(
                [
                    html.Div([html.H3(t("last_payload", lang)), html.Dl(facts, className="facts")],
                             className="source-latest"),
                    html.Div(
                        [
                            html.Div([html.H3(t("history", lang)),
                                      csv_link(view, "source_history", lang)],
                                     className="dpanel-head"),
                            line_chart("source-history", history_rows, lines, lang,
                                       second_axis=len({a for *_x, a in lines}) > 1,
                                       span=(view.since, view.until)),
                        ],
                        className="source-history",
                    ),
                ],
                className="source-grid",
            ),
            html.Div([html.H3(t("rejections", lang)), *rejected], className="source-rejections"),
        ],
        className="dpanel source-panel",
        id="source-panel",
        **{"data-source": detail.source},
    )  # fmt: skip


# --- the tabs ------------------------------------------------------------------------------


def traffic_tab(report: DistrictReport, lang: str, thresholds) -> list:
    """Series, heat map, slowest cameras and the grid of every camera."""
    view, tables = report.view, report.tables
    series = tables["traffic_series"]
    heat = tables["traffic_heatmap"]
    days = len({row["date"] for row in heat.rows})
    first = heat.rows[0]["date"] if heat.rows else ""
    speed = thresholds.get("traffic_speed")
    warn = speed.warn if speed and speed.warn is not None else 25
    alarm = speed.alarm if speed and speed.alarm is not None else 15
    return [
        html.Div(
            [
                panel(t("flow_speed_over_time", lang), line_chart(
                    "district-traffic-series", series.rows,
                    FLOW_SPEED, lang, second_axis=True, span=(view.since, view.until)),
                    view, lang, "traffic_series"),
                panel(t("worst_sources", lang), html_table(tables["traffic_worst"], view, lang),
                      view, lang, "traffic_worst"),
            ],
            className="row-2",
        ),
        panel(t("heatmap_title", lang), heatmap(heat, lang, warn=warn, alarm=alarm), view, lang,
              "traffic_heatmap", extra=t("heatmap_period", lang, days=days, since=first)),
        panel(t("all_cameras", lang), grid(tables["traffic_sources"], view, lang), view, lang,
              "traffic_sources"),
    ]  # fmt: skip


def wifi_tab(report: DistrictReport, lang: str, thresholds) -> list:
    """Down now, outage timeline, uptime over time, and the grid of every access point."""
    view, tables = report.view, report.tables
    down = tables["wifi_down"]
    outages = tables["wifi_outages"]
    aps = len({row["source"] for row in outages.rows})
    if down.rows:
        down_body = html_table(down, view, lang)
    elif tables["wifi_aps"].rows:
        down_body = html.P(t("none_down", lang), className="all-good")
    else:  # no access point has reported: nothing to say "all up" about
        down_body = html.P(t("no_data", lang), className="muted")
    timeline = (
        outage_chart(outages, view, lang)
        if outages.rows
        else html.P(t("no_outages", lang), className="all-good")
    )
    return [
        html.Div(
            [
                panel(t("down_now", lang), down_body, view, lang, "wifi_down"),
                panel(t("uptime_over_time", lang), line_chart(
                    "district-wifi-series", tables["wifi_series"].rows,
                    [("up_pct", "col_up_pct", SERIES["c"], "y")], lang,
                    span=(view.since, view.until)), view, lang, "wifi_series"),
            ],
            className="row-2",
        ),
        panel(t("outage_timeline", lang), timeline, view, lang, "wifi_outages",
              extra=t("outage_count", lang, count=len(outages.rows), aps=aps)),
        panel(t("all_aps", lang), grid(tables["wifi_aps"], view, lang), view, lang, "wifi_aps"),
    ]  # fmt: skip


def services_tab(report: DistrictReport, lang: str, thresholds) -> list:
    """Desks and channels, pending over time, intake against resolution, database metrics."""
    view, tables = report.view, report.tables
    metrics = tables["services_metrics"]
    metrics_body = (
        html_table(metrics, view, lang)
        if metrics.rows
        else html.P(t("no_metrics", lang), className="muted")
    )
    return [
        panel(t("all_desks", lang), grid(tables["services_desks"], view, lang, height=300),
              view, lang, "services_desks"),
        html.Div(
            [
                panel(t("pending_over_time", lang), line_chart(
                    "district-pending", tables["services_series"].rows,
                    [("pending", "col_pending", SERIES["a"], "y"),
                     ("overdue", "col_overdue", SERIES["b"], "y")], lang, shape="hv",
                    span=(view.since, view.until)),
                    view, lang, "services_series"),
                panel(t("intake_over_time", lang), intake_chart(tables["services_intake"].rows,
                      lang), view, lang, "services_intake"),
            ],
            className="row-2",
        ),
        panel(t("district_metrics", lang, name=report.name(lang)), metrics_body, view, lang,
              "services_metrics"),
    ]  # fmt: skip


TAB_BUILDERS = {"traffic": traffic_tab, "wifi": wifi_tab, "services": services_tab}


def tab_body(report: DistrictReport, lang: str, thresholds) -> list:
    """The chosen tab's content, the selected source's panel first."""
    body = []
    if report.source is not None:
        body.append(source_panel(report.source, report.view, lang))
    return body + TAB_BUILDERS[report.view.tab](report, lang, thresholds)


def column_labels(columns: tuple[Column, ...], lang: str) -> list[str]:
    """The headings of a table's columns in a language (CSV header row)."""
    return [t(column.label, lang) for column in columns]
