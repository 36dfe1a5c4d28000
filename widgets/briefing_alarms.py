"""A briefing's alarm log: the alarms active when it was taken, and those raised and closed,
by kind, since the previous briefing of the same scope.

Rendered from the record's ``alarm_log`` alone (plain JSON). Snapshots taken before the
record kept it have none: they render as they always did, without this block.
"""

from __future__ import annotations

from html import escape

from ioc.clock import parse_utc
from ioc.i18n import t
from ioc.i18n.format import local_name, local_stamp
from ioc.model.alarm import KINDS
from widgets.briefing_pieces import grid, section
from widgets.mark import mark_html

# A severity as the mark of the status it ranks with (as on the district page).
SEVERITY_STATUS = {"critical": "alarm", "high": "warn", "low": "neutral"}


def _stamp(value: str | None) -> str:
    return escape(local_stamp(parse_utc(value))) if value else "–"


def _active(log: dict, names: dict, lang: str) -> str:
    alarms = log.get("active") or []
    if not alarms:
        return f"<p>{escape(t('brief_alarm_log_none', lang))}</p>"
    head = [escape(t(k, lang)) for k in ("alarm_field_severity", "alarm_field_state",
            "alarm_field_place", "alarm_field_message", "alarm_field_raised",
            "alarm_field_acked")]  # fmt: skip
    rows = []
    for alarm in alarms:
        severity = alarm.get("severity", "")
        state = escape(t(f"alarm_state_{alarm.get('state', '')}", lang))
        if alarm.get("state") in ("active_unacked", "cleared_unacked"):
            state = f"<strong>{state}</strong>"
        place = alarm.get("district")
        where = names.get(place, place) if place else t("alarm_city", lang)
        message = alarm.get("message_vi" if lang == "vi" else "message_en") or ""
        rows.append([
            mark_html(SEVERITY_STATUS.get(severity, "no_data"), lang,
                      text=t(f"alarm_sev_{severity}", lang)),
            state, escape(str(where)), escape(message), _stamp(alarm.get("raised_at")),
            escape(alarm.get("acked_by") or "–"),
        ])  # fmt: skip
    unacked = sum(1 for a in alarms if a.get("state") in ("active_unacked", "cleared_unacked"))
    said = t("brief_alarm_log_count", lang, n=len(alarms), unacked=unacked)
    return f"<p>{escape(said)}</p>" + grid(head, rows, "alarm-log")


def _period(log: dict, lang: str) -> str:
    raised, closed = log.get("raised") or {}, log.get("closed") or {}
    kinds = list(KINDS) + sorted(k for k in {*raised, *closed} if k not in KINDS)
    head = [escape(t(k, lang)) for k in ("alarm_field_kind", "brief_alarm_raised",
                                         "brief_alarm_closed")]  # fmt: skip
    rows = [
        [escape(t(f"alarm_kind_{k}", lang)), str(int(raised.get(k, 0))), str(int(closed.get(k, 0)))]
        for k in kinds
    ]
    rows.append([f"<strong>{escape(t('brief_alarm_total', lang))}</strong>",
                 f"<strong>{sum(int(v) for v in raised.values())}</strong>",
                 f"<strong>{sum(int(v) for v in closed.values())}</strong>"])  # fmt: skip
    key = "brief_alarm_period" if log.get("previous_id") else "brief_alarm_period_first"
    since, until = (
        local_stamp(parse_utc(log.get("since"))),
        local_stamp(parse_utc(log.get("until"))),
    )
    said = t(key, lang, since=since, until=until, id=log.get("previous_id") or "")
    return f"<p>{escape(said)}</p>" + grid(head, rows, "alarm-period")


def alarm_log_block(record: dict, lang: str) -> str:
    """The alarm log's block; empty for a snapshot taken before records kept it."""
    log = record.get("alarm_log")
    if not isinstance(log, dict):
        return ""
    names = {a["slug"]: local_name(a, lang) for a in record.get("districts", [])}
    return section(t("brief_alarm_log", lang), _active(log, names, lang), "alarm-log") + section(
        t("brief_alarm_since", lang), _period(log, lang), "alarm-period"
    )
