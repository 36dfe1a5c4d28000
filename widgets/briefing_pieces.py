"""The small pieces of a briefing document: status marks, KPI values and units, tables, sections.

Text in, escaped HTML out; shared by the document's blocks and its comparison.
"""

from __future__ import annotations

from html import escape

from ioc.i18n import t
from ioc.i18n.format import local_stamp, number
from widgets.mark import mark_html

KPI_ORDER = ("traffic_flow", "traffic_speed", "wifi_up", "wifi_uptime",
             "backlog_pending", "backlog_overdue", "backlog_on_time")  # fmt: skip
DIGITS = {"traffic_speed": 1, "wifi_uptime": 1}
SHARE_DIGITS = 1
ARROW = {"better": "▲", "worse": "▼", "same": "", "changed": "", "unknown": ""}


def mark(status: str, lang: str) -> str:
    """The status mark alone (the one shape per status of widgets/mark.py), its word
    as its accessible name: for cells whose text already is the value."""
    return mark_html(status, lang, False)


def status_word(status: str, lang: str) -> str:
    """A status with its mark and word."""
    return mark_html(status, lang)


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
    """The judged share under a count, saying of what and when ("99,8 % đúng hạn, của
    hồ sơ giải quyết hôm nay")."""
    if not kpi or kpi.get("share") is None:
        return ""
    return t(f"brief_share_{key}", lang, pct=number(kpi["share"], lang, SHARE_DIGITS))


def about_text(key: str, lang: str) -> str:
    """What a KPI counts, over which period, and from which source."""
    return t(f"brief_about_{key}", lang)


# Units the shipped metric catalogue writes in Vietnamese only; a catalogue that gives
# ``unit_en`` / ``unit_vi`` is used first.
UNIT_KEYS = {"hồ sơ": "brief_unit_applications", "phản ánh": "brief_unit_reports",
             "nhiệm vụ": "brief_unit_tasks"}  # fmt: skip


def metric_unit(metric: dict, lang: str) -> str:
    """A database metric's unit in the page's language."""
    units = metric.get("units")
    own = (units.get(lang) if isinstance(units, dict) else None) or metric.get(f"unit_{lang}")
    if own:
        return str(own)
    unit = str(metric.get("unit") or metric.get("unit_vi") or "")
    return t(UNIT_KEYS[unit], lang) if unit in UNIT_KEYS else unit


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


def grid(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A plain table; cells are HTML already escaped by the caller."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid {cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def section(title: str, body: str, cls: str = "") -> str:
    """A titled block of the document (``body`` is HTML already escaped)."""
    return f'<section class="block {cls}"><h2>{escape(title)}</h2>{body}</section>'


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
    status = "offline" if alarm["kind"] == "offline" else alarm["status"]
    return f"<li>{mark(status, lang)} <b>{where}</b> — {escape(what)}</li>"
