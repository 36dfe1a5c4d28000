"""The district page's body: the selected source's panel and each tab's charts, tables and grids.

Data in (a ``DistrictReport`` and its ``Table``s), components out. A light
theme: this is a desk page, read at arm's length, and printed. The header,
controls, tables and charts it is made of have their own modules.
"""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from ioc.areas import AreaCatalogue
from ioc.district_view import DistrictView
from ioc.i18n import t
from ioc.i18n.format import local_stamp, number
from ioc.model.district import DistrictReport, SourceDetail
from widgets.district_charts import SERIES, heatmap, intake_chart, line_chart, outage_chart
from widgets.district_controls import csv_link, panel
from widgets.district_sources_map import sources_map
from widgets.district_tables import grid, html_table

# Flow and speed in two panels, one scale each, over one time axis.
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


def map_panel(report: DistrictReport, areas: AreaCatalogue, key: str, lang: str):
    """The tab's sources on the district's outline, coloured and shaped by status."""
    rows = report.tables[key].rows
    body = sources_map(areas, rows, report.positions, report.view, lang)
    return panel(t(f"map_title_{report.view.tab}", lang), body, report.view, lang)


def traffic_tab(report: DistrictReport, lang: str, thresholds, areas: AreaCatalogue) -> list:
    """Cameras on the map, slowest cameras, series, heat map and the grid of every camera."""
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
                map_panel(report, areas, "traffic_sources", lang),
                panel(t("worst_sources", lang), html_table(tables["traffic_worst"], view, lang),
                      view, lang, "traffic_worst"),
            ],
            className="row-2",
        ),
        panel(t("flow_speed_over_time", lang), line_chart(
            "district-traffic-series", series.rows,
            FLOW_SPEED, lang, span=(view.since, view.until)),
            view, lang, "traffic_series"),
        panel(t("heatmap_title", lang), heatmap(heat, lang, warn=warn, alarm=alarm), view, lang,
              "traffic_heatmap", extra=t("heatmap_period", lang, days=days, since=first)),
        panel(t("all_cameras", lang), grid(tables["traffic_sources"], view, lang), view, lang,
              "traffic_sources"),
    ]  # fmt: skip


def wifi_tab(report: DistrictReport, lang: str, thresholds, areas: AreaCatalogue) -> list:
    """Access points on the map, down now, uptime, outages, and the grid of every one."""
    view, tables = report.view, report.tables
    uptime = thresholds.get("wifi_uptime")
    limits = (uptime.warn, uptime.alarm) if uptime else None
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
                map_panel(report, areas, "wifi_aps", lang),
                panel(t("down_now", lang), down_body, view, lang, "wifi_down"),
            ],
            className="row-2",
        ),
        panel(t("uptime_over_time", lang), line_chart(
            "district-wifi-series", tables["wifi_series"].rows,
            [("up_pct", "col_up_pct", SERIES["c"], "y")], lang,
            span=(view.since, view.until), limits=limits), view, lang, "wifi_series"),
        panel(t("outage_timeline", lang), timeline, view, lang, "wifi_outages",
              extra=t("outage_count", lang, count=len(outages.rows), aps=aps)),
        panel(t("all_aps", lang), grid(tables["wifi_aps"], view, lang), view, lang, "wifi_aps"),
    ]  # fmt: skip


def services_tab(report: DistrictReport, lang: str, thresholds, areas: AreaCatalogue) -> list:
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
                map_panel(report, areas, "services_desks", lang),
                panel(t("intake_over_time", lang), intake_chart(tables["services_intake"].rows,
                      view, lang), view, lang, "services_intake"),
            ],
            className="row-2",
        ),
        panel(t("pending_over_time", lang), line_chart(
            "district-pending", tables["services_series"].rows,
            [("pending", "col_pending", SERIES["a"], "y"),
             ("overdue", "col_overdue", SERIES["b"], "y")], lang, shape="hv",
            span=(view.since, view.until)),
            view, lang, "services_series"),
        panel(t("district_metrics", lang, name=report.name(lang)),
              html.Div([html.P(t("metrics_basis", lang), className="dpanel-basis",
                               id="district-metrics-basis"), metrics_body]),
              view, lang, "services_metrics"),
    ]  # fmt: skip


TAB_BUILDERS = {"traffic": traffic_tab, "wifi": wifi_tab, "services": services_tab}


def tab_body(report: DistrictReport, lang: str, thresholds, areas: AreaCatalogue) -> list:
    """The chosen tab's content, the selected source's panel first."""
    body = []
    if report.source is not None:
        body.append(source_panel(report.source, report.view, lang))
    return body + TAB_BUILDERS[report.view.tab](report, lang, thresholds, areas)
