"""The blocks of a briefing document: header, title, KPI cards, district table, alarms,
lists, database metrics and a district snapshot's 24-hour detail."""

from __future__ import annotations

from html import escape

from ioc.clock import parse_utc
from ioc.i18n import t
from ioc.i18n.format import dateline, local_date, local_name, local_stamp, local_time, number
from widgets.briefing_charts import percent_chart, series_chart
from widgets.briefing_pieces import (
    DIGITS,
    KPI_ORDER,
    SHARE_DIGITS,
    about_text,
    alarm_text,
    grid,
    kpi_unit,
    kpi_value,
    mark,
    metric_unit,
    section,
    share_text,
    status_word,
    thresholds_text,
)
from widgets.district_tables import cell_text


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
    taken = record["taken_at"]
    when = t("brief_taken_at", lang, time=local_time(taken), date=local_date(taken))
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
            f'<div class="card-label">{mark(status, lang)}{escape(t("kpi_" + key, lang))}</div>'
            f'<div class="card-value">{escape(kpi_value(key, kpi, lang))}'
            f' <span class="card-unit">{escape(kpi_unit(key, kpi, lang))}</span></div>'
            f'<div class="card-status">{escape(t("status_" + status, lang))}'
            f"{' · ' + escape(as_of) if as_of else ''}</div>"
            + "".join(f'<div class="card-line">{escape(line)}</div>' for line in lines if line)
            + f'<div class="card-line card-line--about">{escape(about_text(key, lang))}</div>'
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
                f'<span class="cell cell--{status}">{mark(status, lang)}'
                f"{escape(kpi_value(key, kpi, lang))}</span>"
            )
        rows.append(cells)
    return section(t("brief_districts", lang), grid(head, rows, "districts"))


def alarms_block(record: dict, lang: str) -> str:
    """The ticker's lines at the time."""
    names = {a["slug"]: local_name(a, lang) for a in record["districts"]}
    items = [alarm_text(a, names, lang, record) for a in record.get("alarms", [])]
    if not items:
        return section(t("brief_alarms", lang), f"<p>{escape(t('brief_no_alarms', lang))}</p>")
    return section(t("brief_alarms", lang), '<ul class="alarms">' + "".join(items) + "</ul>")


def lists_block(record: dict, lang: str) -> str:
    """The slowest traffic points and the access points down, as the wall listed them."""
    names = {a["slug"]: local_name(a, lang) for a in record["districts"]}
    slow = [[escape(c["name"]), escape(names.get(c["district"], c["district"])),
             f'{mark(c["status"], lang)}{escape(number(c.get("speed_kmh"), lang, 1))} km/h',
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
        parts.append(section(t("brief_congested", lang), grid([escape(h) for h in head], slow)))
    if down:
        head = [t("brief_name", lang), t("district", lang), t("col_down_since", lang)]
        parts.append(section(t("brief_aps_down", lang), grid([escape(h) for h in head], down)))
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
            f"{escape(value)} {escape(metric_unit(m, lang))}",
            status_word(m.get("status", "no_data"), lang),
            escape(number(target, lang, digits)) if target is not None else "—",
            escape(local_stamp(m.get("as_of"))),
        ])  # fmt: skip
    head = [t("brief_metrics", lang), t("brief_value", lang), t("brief_status", lang),
            t("target", lang), t("brief_time", lang)]  # fmt: skip
    return section(t("brief_metrics", lang), grid([escape(h) for h in head], rows, "metrics"))


def district_detail(record: dict, lang: str) -> str:
    """A district snapshot's own 24-hour charts and lists."""
    district = record.get("district") or {}
    tables = district.get("tables") or {}
    charts = []
    if "traffic_series" in tables:
        charts.append(section(t("tab_traffic", lang), series_chart(
            "chart-d-traffic", tables["traffic_series"],
            [("flow", t("unit_traffic_flow", lang), "#1f4fb5"), ("speed", "km/h", "#1f9d87")],
            lang)))  # fmt: skip
    if "wifi_series" in tables:
        thresholds = (record.get("thresholds") or {}).get("wifi_up")
        charts.append(section(t("tab_wifi", lang), percent_chart(
            "chart-d-wifi", tables["wifi_series"], "up_pct", "#1f9d87", thresholds,
            lang)))  # fmt: skip
    if "services_series" in tables:
        charts.append(section(t("tab_services", lang), series_chart(
            "chart-d-services", tables["services_series"],
            [("pending", t("pending", lang), "#1f4fb5"),
             ("overdue", t("overdue", lang), "#d9381e")],
            lang)))  # fmt: skip
    lists = [section(t(f"brief_table_{k}", lang), generic_table(tables[k], lang))
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
    return grid(head, rows, "detail")


def cell(value, kind: str, lang: str) -> str:
    """One cell of a kept table, as the district page shows it (times are kept as text)."""
    if kind == "time" and isinstance(value, str):
        value = parse_utc(value)
    return cell_text(value, kind, lang)
