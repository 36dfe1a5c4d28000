"""A briefing snapshot as one HTML document: the page, the downloadable file and the PDF.

Data in (the stored record, plain JSON, and optionally a comparison), text out.
Nothing here reads the store or the clock: the same record gives the same bytes.
``Assets`` decides how styles, fonts and plotly.js reach the document: linked
(the page in the app) or inlined (a file that opens with no network at all).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

import plotly.graph_objects as go

from ioc.clock import LOCAL_TZ, parse_utc
from ioc.i18n import t
from ioc.i18n.format import dateline, local_name, local_stamp, local_time, number
from widgets.district_page import cell_text

ROOT = Path(__file__).resolve().parent.parent
CSS_FILE = ROOT / "assets" / "briefing" / "briefing.css"
FONT_DIR = ROOT / "assets" / "fonts"
KPI_ORDER = ("traffic_flow", "traffic_speed", "wifi_up", "wifi_uptime",
             "backlog_pending", "backlog_overdue", "backlog_on_time")  # fmt: skip
DIGITS = {"traffic_speed": 1, "wifi_uptime": 1}
SHARE_DIGITS = 1
ARROW = {"better": "▲", "worse": "▼", "same": "=", "changed": "≠", "unknown": "·"}
STATUS_COLOUR = {"ok": "#1f9d87", "warn": "#d99a00", "alarm": "#d9381e",
                 "stale": "#8a93a6", "no_data": "#c3c8d4"}  # fmt: skip
CHART_W, CHART_H = 500, 250
FONT_FACES = (  # (file stem, weight, unicode-range); the vietnamese subset first
    ("vietnamese", 400), ("vietnamese", 700), ("latin-ext", 400), ("latin-ext", 700),
    ("latin", 400), ("latin", 700),
)  # fmt: skip


@dataclass(frozen=True)
class Assets:
    """How a document gets its styles and plotly.js: linked URLs or inlined text."""

    inline: bool
    css_url: str = "/assets/briefing/briefing.css"
    fonts_url: str = "/assets/fonts.css"
    plotly_url: str = "/briefing/plotly.min.js"
    plotly_js: str = ""

    def head(self) -> str:
        """The <head> lines that bring styles and scripts."""
        if not self.inline:
            return (
                f'<link rel="stylesheet" href="{escape(self.fonts_url)}">'
                f'<link rel="stylesheet" href="{escape(self.css_url)}">'
                f'<script src="{escape(self.plotly_url)}"></script>'
            )
        script = self.plotly_js.replace("</script", "<\\/script")
        return f"<style>{_inline_fonts()}\n{CSS_FILE.read_text(encoding='utf-8')}</style>" + (
            f"<script>{script}</script>"
        )


def _inline_fonts() -> str:
    """@font-face rules with the woff2 files as data: URLs (a file that needs no server)."""
    rules = []
    for subset, weight in FONT_FACES:
        path = FONT_DIR / f"be-vietnam-pro-{subset}-{weight}-normal.woff2"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        rules.append(
            '@font-face{font-family:"Be Vietnam Pro";font-style:normal;'
            f'font-weight:{weight};src:url(data:font/woff2;base64,{data}) format("woff2");}}'
        )
    return "\n".join(rules)


# --- small pieces ---------------------------------------------------------------------


def mark(status: str) -> str:
    """The status square (its shape differs for stale and no data, not only its colour)."""
    return f'<span class="mark mark--{escape(status)}" aria-hidden="true"></span>'


def status_word(status: str, lang: str) -> str:
    """A status with its mark and word."""
    return (
        f'<span class="st st--{escape(status)}">{mark(status)}'
        f"{escape(t(f'status_{status}', lang))}</span>"
    )


def kpi_value(key: str, kpi: dict | None, lang: str) -> str:
    """A KPI's value as the wall shows it."""
    if not kpi or kpi.get("value") is None:
        return "—"
    return number(kpi["value"], lang, DIGITS.get(key, 0))


def kpi_unit(key: str, kpi: dict | None, lang: str) -> str:
    """A KPI's unit; a part of a whole says of how many."""
    unit = t(f"unit_{key}", lang)
    if kpi and kpi.get("value") is not None and kpi.get("total") is not None:
        return f"/ {number(kpi['total'], lang)} {unit}"
    return unit


def share_text(key: str, kpi: dict | None, lang: str) -> str:
    """The judged share under a count ("8,5 % quá hạn")."""
    if not kpi or kpi.get("share") is None:
        return ""
    return t(f"share_{key}", lang, pct=number(kpi["share"], lang, SHARE_DIGITS))


def thresholds_text(key: str, thresholds: dict | None, lang: str) -> str:
    """ "chú ý 25 · báo động 15 (cao là tốt)"; empty when the KPI has none."""
    if not thresholds:
        return ""
    digits = (
        DIGITS.get(key, 0) if key not in ("wifi_up", "backlog_overdue", "backlog_on_time") else 0
    )
    parts = []
    if thresholds.get("warn") is not None:
        parts.append(t("brief_warn_at", lang, value=number(thresholds["warn"], lang, digits)))
    if thresholds.get("alarm") is not None:
        parts.append(t("brief_alarm_at", lang, value=number(thresholds["alarm"], lang, digits)))
    if not parts:
        return ""
    return f"{' · '.join(parts)} ({t('brief_' + thresholds['direction'], lang)})"


def signed(value: float | None, lang: str, digits: int = 0) -> str:
    """A change with its sign (+12 / −3,5)."""
    if value is None:
        return "—"
    shown = number(abs(value), lang, digits)
    return f"+{shown}" if value > 0 else (f"−{shown}" if value < 0 else shown)


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A plain table; cells are HTML already escaped by the caller."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid {cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _section(title: str, body: str, cls: str = "") -> str:
    return f'<section class="block {cls}"><h2>{escape(title)}</h2>{body}</section>'


# --- charts ------------------------------------------------------------------------------


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
    x = [parse_utc(r["time"]).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") for r in rows]
    fig = go.Figure(layout=_layout(""))
    for column, name, colour in lines:
        fig.add_scatter(x=x, y=[r.get(column) for r in rows], name=name, mode="lines+markers",
                        line={"color": colour, "width": 2.5})  # fmt: skip
    fig.update_xaxes(type="date", nticks=8, tickformat="%H:%M\n%d/%m")
    return _chart(div_id, fig)


# --- the blocks of a snapshot ----------------------------------------------------------


def official_header(record: dict, lang: str) -> str:
    """Issuing body and centre on the left; the nation, motto and dateline on the right."""
    head = record.get("header") or {}

    def said(key: str) -> str:
        value = head.get(key) or ""
        return value.get(lang) or value.get("vi", "") if isinstance(value, dict) else value

    dated = dateline(said("place"), record["taken_at"], lang)
    return (
        '<header class="official">'
        '<div class="issuer">'
        f'<div class="issuer-body">{escape(said("issuer"))}</div>'
        f'<div class="issuer-centre">{escape(said("centre"))}</div>'
        "</div>"
        '<div class="nation">'
        f'<div class="nation-name">{escape(t("brief_nation", lang))}</div>'
        f'<div class="nation-motto">{escape(t("brief_motto", lang))}</div>'
        f'<div class="dateline">{escape(dated)}</div>'
        "</div></header>"
    )


def title_block(record: dict, meta: dict, lang: str) -> str:
    """Document title, scope, time, who took it, note, overall status."""
    scope = t("brief_scope_city", lang)
    if record["scope"] != "city" and record["districts"]:
        scope = local_name(record["districts"][0], lang)
    taken = parse_utc(record["taken_at"]).astimezone(LOCAL_TZ)
    when = t(
        "brief_taken_at", lang, time=taken.strftime("%H:%M:%S"), date=taken.strftime("%d/%m/%Y")
    )
    by = record.get("taken_by") or (
        t("brief_by_schedule", lang) if record["trigger"] == "schedule" else t("brief_nobody", lang)
    )
    title = record.get("title") or ""
    alarms = [
        a for a in record.get("alarms", []) if a["kind"] == "offline" or a["status"] == "alarm"
    ]
    offline = sum(1 for d in record["districts"] if d.get("online") is False)
    facts = [
        f"{escape(t('brief_taken_by', lang))}: <b>{escape(by)}</b>",
        f"#{meta['id']} · {escape(t('brief_trigger_' + record['trigger'], lang))}",
    ]
    summary = [status_word(record.get("status", "no_data"), lang),
               escape(t("brief_alarm_n", lang, n=len(alarms)))]  # fmt: skip
    if offline:
        summary.append(escape(t("brief_offline_n", lang, n=offline)))
    note = ""
    if record.get("note"):
        note = (
            f'<p class="note"><b>{escape(t("brief_note", lang))}:</b> {escape(record["note"])}</p>'
        )
    return (
        '<div class="doc-title">'
        f"<h1>{escape(t('brief_doc_title', lang))} — {escape(scope)}</h1>"
        + (f'<div class="doc-subtitle">{escape(title)}</div>' if title else "")
        + f'<div class="doc-when">{escape(when)}</div>'
        f'<div class="doc-facts">{" · ".join(facts)}</div>'
        f'<div class="doc-summary"><span class="label">{escape(t("brief_overall", lang))}:</span> '
        f"{' · '.join(summary)}</div>"
        f"{note}"
        f'<p class="frozen">{escape(t("brief_frozen", lang))}</p>'
        "</div>"
    )


def kpi_cards(area: dict, thresholds: dict, lang: str, medians: dict | None = None) -> str:
    """One card per KPI: value and unit, status, time, share, thresholds (and city median)."""
    cards = []
    for key in KPI_ORDER:
        kpi = area["kpis"].get(key)
        status = kpi["status"] if kpi else "no_data"
        lines = [share_text(key, kpi, lang), thresholds_text(key, thresholds.get(key), lang)]
        if medians is not None and medians.get(key) is not None:
            digits = SHARE_DIGITS if kpi and kpi.get("share") is not None else DIGITS.get(key, 0)
            lines.append(f"{t('brief_median', lang)}: {number(medians[key], lang, digits)}")
        as_of = f"{t('as_of', lang)} {local_time(kpi['as_of'])}" if kpi and kpi.get("as_of") else ""
        cards.append(
            f'<div class="card card--{escape(status)}">'
            f'<div class="card-label">{mark(status)}{escape(t("kpi_" + key, lang))}</div>'
            f'<div class="card-value">{escape(kpi_value(key, kpi, lang))}'
            f' <span class="card-unit">{escape(kpi_unit(key, kpi, lang))}</span></div>'
            f'<div class="card-status">{escape(t("status_" + status, lang))}'
            f"{' · ' + escape(as_of) if as_of else ''}</div>"
            + "".join(f'<div class="card-line">{escape(line)}</div>' for line in lines if line)
            + "</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def district_table(record: dict, lang: str) -> str:
    """Every district: IOC online, status, each KPI's value with its status mark."""
    head = [escape(t("district", lang)), escape(t("district_ioc", lang)),
            escape(t("brief_status", lang))]  # fmt: skip
    head += [escape(t("kpi_" + key, lang)) for key in KPI_ORDER]
    rows = []
    for area in record["districts"]:
        if area.get("online") is None:
            ioc = escape(t("unknown", lang))
        elif area["online"]:
            ioc = escape(t("online", lang))
        else:
            since = local_stamp(area.get("online_since"))
            ioc = (
                f'<b class="offline">{escape(t("offline", lang))}</b> '
                f"<small>{escape(since)}</small>"
            )
        cells = [f"<b>{escape(local_name(area, lang))}</b>", ioc, status_word(area["status"], lang)]
        for key in KPI_ORDER:
            kpi = area["kpis"].get(key)
            status = kpi["status"] if kpi else "no_data"
            cells.append(
                f'<span class="cell cell--{status}">{mark(status)}'
                f"{escape(kpi_value(key, kpi, lang))}</span>"
            )
        rows.append(cells)
    return _section(t("brief_districts", lang), _table(head, rows, "districts"))


def alarms_block(record: dict, lang: str) -> str:
    """The ticker's lines at the time."""
    names = {a["slug"]: local_name(a, lang) for a in record["districts"]}
    items = [alarm_text(a, names, lang, record) for a in record.get("alarms", [])]
    if not items:
        return _section(t("brief_alarms", lang), f"<p>{escape(t('brief_no_alarms', lang))}</p>")
    return _section(t("brief_alarms", lang), '<ul class="alarms">' + "".join(items) + "</ul>")


def alarm_text(alarm: dict, names: dict, lang: str, record: dict) -> str:
    """One alarm line: mark, district, what, value, since."""
    where = escape(names.get(alarm["district"], alarm["district"]))
    if alarm["kind"] == "offline":
        what = t("brief_alarm_offline", lang, since=local_stamp(alarm.get("since")))
    elif alarm["kind"] == "stale":
        what = t(
            "brief_alarm_stale",
            lang,
            feed=t(alarm["key"], lang),
            since=local_stamp(alarm.get("since")),
        )
    else:
        key = alarm["key"]
        share = key in record.get("share_kpis", [])
        value = number(alarm.get("value"), lang, SHARE_DIGITS if share else DIGITS.get(key, 0))
        unit = "%" if share else t(f"unit_{key}", lang)
        what = f"{t('kpi_' + key, lang)}: {value} {unit}"
    status = "alarm" if alarm["kind"] == "offline" else alarm["status"]
    return f"<li>{mark(status)}<b>{where}</b> — {escape(what)}</li>"


def lists_block(record: dict, lang: str) -> str:
    """The slowest traffic points and the access points down, as the wall listed them."""
    names = {a["slug"]: local_name(a, lang) for a in record["districts"]}
    slow = [[escape(c["name"]), escape(names.get(c["district"], c["district"])),
             f'{mark(c["status"])}{escape(number(c.get("speed_kmh"), lang, 1))} km/h',
             escape(local_time(c.get("as_of")))] for c in record.get("congested", [])]  # fmt: skip
    down = [[escape(a["name"]), escape(names.get(a["district"], a["district"])),
             escape(local_stamp(a.get("since")))]
            for a in record.get("aps_down", [])]  # fmt: skip
    parts = []
    if slow:
        head = [
            t("brief_name", lang),
            t("district", lang),
            t("kpi_traffic_speed", lang),
            t("brief_time", lang),
        ]
        parts.append(_section(t("brief_congested", lang), _table([escape(h) for h in head], slow)))
    if down:
        head = [t("brief_name", lang), t("district", lang), t("col_down_since", lang)]
        parts.append(_section(t("brief_aps_down", lang), _table([escape(h) for h in head], down)))
    return f'<div class="two">{"".join(parts)}</div>' if parts else ""


def metrics_block(record: dict, lang: str) -> str:
    """The database metrics with value, status, target, time (and per-district values)."""
    metrics = record.get("metrics") or []
    if not metrics:
        return ""
    names = {a["slug"]: local_name(a, lang) for a in record["districts"]}
    rows = []
    for m in metrics:
        digits = m.get("digits", 0)
        value = number(m.get("value"), lang, digits) if m.get("value") is not None else "—"
        title = m["title"].get(lang) or m["title"].get("vi", m["id"])
        extra = ""
        if m.get("by_district") and m.get("districts"):
            shown = [f"{names[s]}: "
                     f"{number(v['value'], lang, digits) if v['value'] is not None else '—'}"
                     for s, v in m["districts"].items() if s in names]  # fmt: skip
            extra = f'<div class="small">{escape(" · ".join(shown))}</div>'
        if m.get("error"):
            extra += (
                '<div class="small error">'
                f"{escape(t('brief_metric_error', lang, error=m['error'][:160]))}</div>"
            )
        target = (m.get("thresholds") or {}).get("target")
        rows.append([
            f"<b>{escape(title)}</b>{extra}",
            f"{escape(value)} {escape(m.get('unit') or '')}",
            status_word(m.get("status", "no_data"), lang),
            escape(number(target, lang, digits)) if target is not None else "—",
            escape(local_stamp(m.get("as_of"))),
        ])  # fmt: skip
    head = [t("brief_metrics", lang), t("brief_value", lang), t("brief_status", lang),
            t("target", lang), t("brief_time", lang)]  # fmt: skip
    return _section(t("brief_metrics", lang), _table([escape(h) for h in head], rows, "metrics"))


def district_detail(record: dict, lang: str) -> str:
    """A district snapshot's own 24-hour charts and lists."""
    section = record.get("district") or {}
    tables = section.get("tables") or {}
    charts = []
    if "traffic_series" in tables:
        charts.append(_section(t("tab_traffic", lang), series_chart(
            "chart-d-traffic", tables["traffic_series"],
            [("flow", t("unit_traffic_flow", lang), "#1f4fb5"), ("speed", "km/h", "#1f9d87")],
            lang)))  # fmt: skip
    if "wifi_series" in tables:
        charts.append(_section(t("tab_wifi", lang), series_chart(
            "chart-d-wifi", tables["wifi_series"], [("up_pct", "%", "#1f9d87")],
            lang)))  # fmt: skip
    if "services_series" in tables:
        charts.append(_section(t("tab_services", lang), series_chart(
            "chart-d-services", tables["services_series"],
            [("pending", t("pending", lang), "#1f4fb5"),
             ("overdue", t("overdue", lang), "#d9381e")],
            lang)))  # fmt: skip
    lists = [_section(t(f"brief_table_{k}", lang), generic_table(tables[k], lang))
             for k in ("traffic_worst", "wifi_down", "services_desks")
             if k in tables and tables[k].get("rows")]  # fmt: skip
    return (
        f'<h2 class="part">{escape(t("brief_district_24h", lang))}</h2>'
        f'<div class="charts">{"".join(charts)}</div>' + "".join(lists)
    )


def generic_table(table: dict, lang: str) -> str:
    """A district page table kept in the record, shown with its own column kinds."""
    columns = table["columns"]
    head = [escape(t(c["label"], lang)) for c in columns]
    rows = [
        [escape(cell(row.get(c["key"]), c["kind"], lang)) for c in columns] for row in table["rows"]
    ]
    return _table(head, rows, "detail")


def cell(value, kind: str, lang: str) -> str:
    """One cell of a kept table, as the district page shows it (times are kept as text)."""
    if kind == "time" and isinstance(value, str):
        value = parse_utc(value)
    return cell_text(value, kind, lang)


# --- compare ------------------------------------------------------------------------------


def compare_block(comparison: dict, other: dict, lang: str) -> str:
    """Deltas with arrows, statuses that changed, districts better or worse."""
    intro = t("brief_compare_with", lang, id=other["id"], when=local_stamp(other["taken_at"]))
    names = {a["slug"]: a for a in comparison["areas"]}

    def listed(slugs: list[str]) -> str:
        return ", ".join(escape(local_name(names[s], lang)) for s in slugs) or escape(
            t("brief_none", lang)
        )

    verdicts = (
        '<p class="verdicts"><span class="move move--better">'
        f"{ARROW['better']} {escape(t('brief_better', lang))}:</span> "
        f"{listed(comparison['better'])}<br>"
        f'<span class="move move--worse">{ARROW["worse"]} {escape(t("brief_worse", lang))}:</span> '
        f"{listed(comparison['worse'])}</p>"
    )
    head = [escape(t("district", lang))] + [escape(t("kpi_" + k, lang)) for k in KPI_ORDER]
    rows = []
    for area in comparison["areas"]:
        by_key = {r["key"]: r for r in area["kpis"]}
        cells = [f'<span class="move move--{area["verdict"]}">'
                 f'{ARROW[area["verdict"]] if area["verdict"] != "same" else ""}</span> '
                 f'<b>{escape(local_name(area, lang))}</b>']  # fmt: skip
        for key in KPI_ORDER:
            row = by_key.get(key)
            if row is None:
                cells.append("—")
                continue
            digits = DIGITS.get(key, 0)
            cells.append(
                f'<span class="move move--{row["move"]}">{ARROW[row["move"]]}</span> '
                f"{escape(signed(row['delta'], lang, digits))}"
                f'<div class="small">{escape(number(row["before"], lang, digits))} → '
                f"{escape(number(row['after'], lang, digits))}</div>"
            )
        rows.append(cells)
    changes = []
    for area in comparison["areas"]:
        if area["online_before"] != area["online_after"] and area["slug"] != "city":
            word = lambda v: t("unknown" if v is None else ("online" if v else "offline"), lang)  # noqa: E731
            changes.append(f'<li><b>{escape(local_name(area, lang))}</b> — '
                           f'{escape(t("district_ioc", lang))}: '
                           f'{escape(word(area["online_before"]))} → '
                           f'{escape(word(area["online_after"]))}</li>')  # fmt: skip
        for row in area["status_changes"]:
            changes.append(
                f"<li><b>{escape(local_name(area, lang))}</b> — "
                f"{escape(t('kpi_' + row['key'], lang))}: "
                f"{status_word(row['status_before'], lang)} → "
                f"{status_word(row['status_after'], lang)}</li>"
            )
    status_html = (f'<ul class="changes">{"".join(changes)}</ul>' if changes
                   else f'<p>{escape(t("brief_no_status_changes", lang))}</p>')  # fmt: skip
    metric_rows = []
    for m in comparison.get("metrics", []):
        title = m["title"].get(lang) or m["title"].get("vi", m["id"])
        metric_rows.append([
            escape(title),
            escape(number(m["before"], lang, 2) if m["before"] is not None else "—"),
            escape(number(m["after"], lang, 2) if m["after"] is not None else "—"),
            f'<span class="move move--{m["move"]}">{ARROW[m["move"]]}</span> '
            f'{escape(signed(m["delta"], lang, 2))}',
        ])  # fmt: skip
    metric_html = ""
    if metric_rows:
        metric_html = _table([escape(t("brief_metrics", lang)), escape(t("brief_before", lang)),
                              escape(t("brief_after", lang)), escape(t("brief_delta", lang))],
                             metric_rows, "metrics")  # fmt: skip
    every = {a["slug"]: a for a in comparison["areas"]}
    alarm_names = {s: local_name(a, lang) for s, a in every.items()}
    record_like = {"share_kpis": ["wifi_up", "backlog_overdue", "backlog_on_time"]}
    new = "".join(alarm_text(a, alarm_names, lang, record_like) for a in comparison["alarms_new"])
    cleared = "".join(
        alarm_text(a, alarm_names, lang, record_like) for a in comparison["alarms_cleared"]
    )
    none = f"<li>{escape(t('brief_none', lang))}</li>"
    return (
        f'<section class="block compare"><h2>{escape(t("brief_compare", lang))}</h2>'
        f'<p class="compare-intro">{escape(intro)}</p>{verdicts}'
        f"{_table(head, rows, 'compare')}"
        f"<h3>{escape(t('brief_status_changes', lang))}</h3>{status_html}"
        f'<div class="two"><div><h3>{escape(t("brief_alarms_new", lang))}</h3>'
        f'<ul class="alarms">{new or none}</ul></div>'
        f"<div><h3>{escape(t('brief_alarms_cleared', lang))}</h3>"
        f'<ul class="alarms">{cleared or none}</ul></div></div>'
        f"{metric_html}</section>"
    )


# --- the document ------------------------------------------------------------------------


def document(
    record: dict,
    *,
    meta: dict,
    lang: str,
    assets: Assets,
    comparison: dict | None = None,
    other: dict | None = None,
    toolbar: str = "",
    compare_missing: bool = False,
) -> str:
    """The whole HTML document of a snapshot (and its comparison, when given).

    ``meta``: the stored row's id, sha256 and whether the record still matches it.
    """
    city = record["city"]
    is_city = record["scope"] == "city"
    thresholds = record.get("thresholds") or {}
    if is_city:
        body = (
            _section(t("brief_city_kpis", lang), kpi_cards(city, thresholds, lang))
            + '<div class="charts">'
            + _section(t("brief_traffic_chart", lang), traffic_chart(record["series"], lang))
            + _section(t("brief_wifi_chart", lang), wifi_chart(record["series"], lang))
            + "</div>"
            + district_table(record, lang)
        )
    else:
        area = record["districts"][0]
        medians = {
            k["key"]: k.get("median") for k in (record.get("district") or {}).get("kpis", [])
        }
        body = _section(t("brief_district_kpis", lang), kpi_cards(area, thresholds, lang, medians))
        body += district_table(record, lang) + district_detail(record, lang)
    body += alarms_block(record, lang) + lists_block(record, lang) + metrics_block(record, lang)
    if comparison is not None and other is not None:
        body = compare_block(comparison, other, lang) + body
    elif compare_missing:
        body = f'<p class="compare-none">{escape(t("brief_compare_none", lang))}</p>' + body
    demo = any(m.get("demo") for m in record.get("metrics", []))
    integrity = t("brief_intact", lang) if meta.get("intact", True) else t("brief_tampered", lang)
    footer = (
        '<footer class="doc-foot">'
        f"<span>#{meta['id']} · {escape(t('brief_integrity', lang))}: "
        f"<code>{escape(meta['sha256'])}</code>"
        f' — <b class="{"ok" if meta.get("intact", True) else "bad"}">'
        f"{escape(integrity)}</b></span>"
        + (f'<span class="demo">{escape(t("brief_demo", lang))}</span>' if demo else "")
        + "</footer>"
    )
    title = f"{t('brief_doc_title', lang)} #{meta['id']} — {local_stamp(record['taken_at'])}"
    page_label = t("brief_page", lang)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{assets.head()}"
        # The page number in the printed footer (a CSS margin box, in the page's language).
        f'<style>@page{{@bottom-right{{content:"{page_label} " counter(page) '
        f'" / " counter(pages);}}}}</style>'
        "</head>"
        f'<body class="briefing-doc">{toolbar}<main class="sheet">'
        f"{official_header(record, lang)}{title_block(record, meta, lang)}{body}{footer}"
        "</main></body></html>"
    )
