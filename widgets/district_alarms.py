"""The district page's alarms: those active now, and the last 30 days of the district's alarms.

Data in (``Alarm``s), components out. A severity is drawn with the one mark component:
critical as the alarm square, high as the warn triangle, low as the diamond, each with
its severity word, so it reads without colour. An alarm nobody has taken is said so
in words and in bold, as on /alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dash import html

from ioc.i18n import t
from ioc.i18n.format import age_text, local_stamp
from ioc.model.alarm import Alarm
from widgets.mark import mark

# A severity as the mark of the status it ranks with: its shape tells it without colour.
SEVERITY_STATUS = {"critical": "alarm", "high": "warn", "low": "neutral"}
HISTORY_ROWS = 50  # the newest ones; /alarms has every one


def severity_mark(severity: str, lang: str) -> html.Span:
    """The severity as the one mark, with the severity's word."""
    return mark(
        SEVERITY_STATUS.get(severity, "no_data"), lang, text=t(f"alarm_sev_{severity}", lang)
    )


def _state(alarm: Alarm, lang: str) -> html.Span:
    word = t(f"alarm_state_{alarm.state}", lang)
    if alarm.unacked:  # bold, as on /alarms: nobody has taken it
        return html.Span(word, className="alarm-state alarm-state--unacked",
                         style={"fontWeight": 700})  # fmt: skip
    return html.Span(word, className="alarm-state")


def _link(alarm: Alarm, lang: str) -> html.A:
    return html.A(alarm.message(lang), href=f"/alarms/{alarm.id}?lang={lang}")


def _table(heads: Sequence[str], rows: list[html.Tr], lang: str, table_id: str) -> html.Table:
    head = html.Tr([html.Th(t(k, lang), scope="col") for k in heads])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="plain-table", id=table_id)


def active_alarms(alarms: Sequence[Alarm], lang: str, now: datetime) -> html.Div:
    """The district's active alarms, worst first then oldest (the service's order)."""
    if not alarms:
        return html.Div(html.P(t("district_alarms_none", lang), className="all-good"),
                        id="district-alarms-active")  # fmt: skip
    unacked = sum(1 for a in alarms if a.unacked)
    rows = [
        html.Tr(
            [
                html.Td(severity_mark(a.severity, lang)),
                html.Td(_state(a, lang)),
                html.Td(_link(a, lang)),
                html.Td(local_stamp(a.raised_at)),
                html.Td(age_text((now - a.raised_at).total_seconds(), lang)),
            ],
            className="alarm-row alarm-row--unacked" if a.unacked else "alarm-row",
            **{"data-alarm": str(a.id), "data-state": a.state},
        )
        for a in alarms
    ]
    heads = ("alarm_field_severity", "alarm_field_state", "alarm_field_message",
             "alarm_field_raised", "district_alarms_age")  # fmt: skip
    return html.Div(
        [
            html.P(t("district_alarms_count", lang, n=len(alarms), unacked=unacked)),
            _table(heads, rows, lang, "district-alarms-table"),
        ],
        id="district-alarms-active",
    )


def alarm_history(alarms: Sequence[Alarm], lang: str, slug: str) -> html.Div:
    """The district's alarms raised or changed in the last 30 days, newest first."""
    more = html.A(t("district_alarms_all", lang),
                  href=f"/alarms?state=all&district={slug}&lang={lang}")  # fmt: skip
    if not alarms:
        return html.Div([html.P(t("district_alarms_no_history", lang)), more],
                        id="district-alarms-history")  # fmt: skip
    rows = [
        html.Tr(
            [
                html.Td(local_stamp(a.raised_at)),
                html.Td(severity_mark(a.severity, lang)),
                html.Td(t(f"alarm_kind_{a.kind}", lang)),
                html.Td(_link(a, lang)),
                html.Td(_state(a, lang)),
                html.Td(local_stamp(a.cleared_at) if a.cleared_at else "–"),
                html.Td(a.acked_by or "–"),
            ],
            **{"data-alarm": str(a.id), "data-state": a.state},
        )
        for a in alarms[:HISTORY_ROWS]
    ]
    heads = ("alarm_field_raised", "alarm_field_severity", "alarm_field_kind",
             "alarm_field_message", "alarm_field_state", "alarm_field_cleared",
             "alarm_field_acked")  # fmt: skip
    shown = min(len(alarms), HISTORY_ROWS)
    return html.Div(
        [
            html.P([t("district_alarms_history_count", lang, n=len(alarms), shown=shown), " ",
                    more]),
            _table(heads, rows, lang, "district-alarms-history-table"),
        ],
        id="district-alarms-history",
    )  # fmt: skip


def alarms_section(
    active: Sequence[Alarm], history: Sequence[Alarm], lang: str, now: datetime, slug: str
) -> html.Section:
    """The district's alarms: active now (refreshed with the header) and the last 30 days."""
    return html.Section(
        [
            html.Div(
                html.H2(t("district_alarms_title", lang), id="district-alarms-title"),
                className="dpanel-head",
            ),
            html.Div(active_alarms(active, lang, now), id="district-alarms"),
            html.Details(
                [
                    html.Summary(t("district_alarms_history", lang, n=len(history))),
                    alarm_history(history, lang, slug),
                ],
                id="district-alarms-details",
            ),
        ],
        className="dpanel district-alarms",
        **{"aria-labelledby": "district-alarms-title"},
    )
