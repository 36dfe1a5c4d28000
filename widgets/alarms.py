"""The /alarms page's pieces as HTML: the filter form, the list, one alarm with its history
and the operator's forms. Pure: plain data in, escaped HTML out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape

from ioc.i18n import t
from ioc.i18n.format import local_stamp
from ioc.model.alarm import KINDS, NOTE_MAX, SEVERITIES, SHELVE_MINUTES, Alarm, FloodState
from widgets.district_alarms import SEVERITY_STATUS
from widgets.mark import mark_html

PageStyle = (
    "<style>.sev{font-weight:700;white-space:nowrap}.sev--critical{color:#a4161a}"
    ".sev--high{color:#b25000}.sev--low{color:#5c5f66}.unacked{font-weight:700}"
    ".filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}"
    ".filters label{display:flex;flex-direction:column;gap:.2rem}"
    "textarea{width:100%;min-height:4rem;font:inherit}"
    ".flood{border:3px solid #a4161a;background:#fdecea;color:#5c0a0d;padding:.6rem .9rem;"
    "font-weight:700}</style>"
)


def _when(value: object) -> str:
    return escape(local_stamp(value)) if value is not None else "–"  # type: ignore[arg-type]


def severity(alarm_severity: str, lang: str) -> str:
    """The severity as the one mark (shape and word, as on the wall and the district page)."""
    status = SEVERITY_STATUS.get(alarm_severity, "no_data")
    word = t(f"alarm_sev_{alarm_severity}", lang)
    return f'<span class="sev">{mark_html(status, lang, text=word)}</span>'  # escaped there


def _options(name: str, label: str, values: Iterable[tuple[str, str]], chosen: str) -> str:
    items = "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(text)}</option>'
        for v, text in values
    )
    return f'<label>{escape(label)}<select name="{name}">{items}</select></label>'


def filters(lang: str, chosen: dict[str, str], places: Sequence[tuple[str, str]]) -> str:
    """The filter form (GET): state, district, kind, severity."""
    anyone = [("", t("alarms_any", lang))]
    return (
        '<form method="get" action="/alarms" class="filters">'
        f'<input type="hidden" name="lang" value="{escape(lang)}">'
        + _options("state", t("alarm_field_state", lang),
                   [("active", t("alarms_active", lang)), ("all", t("alarms_all", lang))],
                   chosen.get("state", "active"))
        + _options("district", t("alarm_field_place", lang), anyone + list(places),
                   chosen.get("district", ""))
        + _options("kind", t("alarm_field_kind", lang),
                   anyone + [(k, t(f"alarm_kind_{k}", lang)) for k in KINDS],
                   chosen.get("kind", ""))
        + _options("severity", t("alarm_field_severity", lang),
                   anyone + [(s, t(f"alarm_sev_{s}", lang)) for s in SEVERITIES],
                   chosen.get("severity", ""))
        + f'<button type="submit">{escape(t("alarms_filter", lang))}</button></form>'
    )  # fmt: skip


def alarm_list(alarms: Sequence[Alarm], lang: str, place: Callable[[str | None], str],
               *, newest_first: bool) -> str:  # fmt: skip
    """The list: one row per alarm, its message a link to the alarm."""
    if not alarms:
        return f"<p>{escape(t('alarms_none', lang))}</p>"
    rows = []
    for alarm in alarms:
        state = escape(t(f"alarm_state_{alarm.state}", lang))
        if alarm.unacked:
            state = f'<span class="unacked">{state}</span>'
        rows.append(
            f"<tr><td>{severity(alarm.severity, lang)}</td><td>{state}</td>"
            f"<td>{escape(place(alarm.district))}</td>"
            f'<td><a href="/alarms/{alarm.id}?lang={lang}">{escape(alarm.message(lang))}</a></td>'
            f"<td>{_when(alarm.raised_at)}</td><td>{escape(alarm.acked_by or '–')}</td></tr>"
        )
    heads = "".join(f'<th scope="col">{escape(t(k, lang))}</th>' for k in (
        "alarm_field_severity", "alarm_field_state", "alarm_field_place", "alarm_field_message",
        "alarm_field_raised", "alarm_field_acked"))  # fmt: skip
    key = "alarms_caption_all" if newest_first else "alarms_caption"
    caption = escape(t(key, lang, n=len(alarms)))
    return (f'<table class="grid"><caption>{caption}</caption><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')  # fmt: skip


def _facts(alarm: Alarm, lang: str, place: str) -> str:
    facts = [
        ("alarm_field_severity", severity(alarm.severity, lang)),
        ("alarm_field_state", escape(t(f"alarm_state_{alarm.state}", lang))),
        ("alarm_field_kind", escape(t(f"alarm_kind_{alarm.kind}", lang))),
        ("alarm_field_place", escape(place)),
        ("alarm_field_raised", _when(alarm.raised_at)),
        ("alarm_field_cleared", _when(alarm.cleared_at)),
        ("alarm_field_acked", escape(f"{alarm.acked_by or '–'} · ") + _when(alarm.acked_at)),
        ("alarm_field_note", escape(alarm.ack_note or "–")),
    ]
    if alarm.state == "shelved":
        why = escape(f" · {alarm.shelved_by or '–'}: {alarm.shelve_reason or ''}")
        facts.append(("alarm_field_shelved", _when(alarm.shelved_until) + why))
    rows = "".join(f'<tr><th scope="row">{escape(t(k, lang))}</th><td>{v}</td></tr>'
                   for k, v in facts)  # fmt: skip
    return f'<table class="grid"><tbody>{rows}</tbody></table>'


def _forms(alarm: Alarm, lang: str, hidden: str) -> str:
    low, high = SHELVE_MINUTES
    forms = ""
    if alarm.state in ("active_unacked", "cleared_unacked"):
        forms += (
            f'<form method="post" action="/alarms/{alarm.id}/ack" class="form">{hidden}'
            f'<label for="ack-note">{escape(t("alarm_ack_note", lang))}</label>'
            f'<textarea id="ack-note" name="note" maxlength="{NOTE_MAX}"></textarea>'
            f'<button type="submit">{escape(t("alarm_ack", lang))}</button></form>'
        )
    if alarm.state != "closed":
        forms += (
            f'<form method="post" action="/alarms/{alarm.id}/shelve" class="form">{hidden}'
            f'<label for="shelve-minutes">{escape(t("alarm_shelve_minutes", lang))}</label>'
            f'<input id="shelve-minutes" name="minutes" type="number" min="{low}" '
            f'max="{high}" value="60" required>'
            f'<label for="shelve-reason">{escape(t("alarm_shelve_reason", lang))}</label>'
            f'<input id="shelve-reason" name="reason" maxlength="{NOTE_MAX}" required>'
            f'<button type="submit">{escape(t("alarm_shelve", lang))}</button></form>'
        )
    return f'<div class="forms">{forms}</div>' if forms else ""


def alarm_detail(alarm: Alarm, lang: str, place: str, *, hidden: str | None) -> str:
    """One alarm: its facts, the operator's forms (``hidden``: the forms' hidden fields, None
    when the viewer may only look) and every transition."""
    steps = "".join(
        f"<tr><td>{_when(s.at)}</td><td>{escape(t(f'alarm_action_{s.action}', lang))}</td>"
        f"<td>{escape(t(f'alarm_state_{s.to_state}', lang))}</td><td>{escape(s.actor)}</td>"
        f"<td>{escape(s.note or '')}</td></tr>"
        for s in alarm.transitions
    )
    heads = "".join(f'<th scope="col">{escape(t(k, lang))}</th>' for k in (
        "alarm_field_at", "alarm_field_event", "alarm_field_state", "alarm_field_actor",
        "alarm_field_note"))  # fmt: skip
    history = (f'<table class="grid"><caption>{escape(t("alarm_history", lang))}</caption>'
               f"<thead><tr>{heads}</tr></thead><tbody>{steps}</tbody></table>")  # fmt: skip
    acts = (_forms(alarm, lang, hidden) if hidden is not None
            else f"<p>{escape(t('alarm_read_only', lang))}</p>")  # fmt: skip
    return f"<p>{escape(alarm.message(lang))}</p>{_facts(alarm, lang, place)}{acts}{history}"


def flood_banner(flood: FloodState, lang: str) -> str:
    """One banner when more new alarms came than an operator can handle (ISA-18.2 flood)."""
    if not flood.flooding:
        return ""
    said = t("alarms_flood", lang, n=flood.raised, minutes=flood.minutes, limit=flood.limit)
    return f'<p class="flood" role="alert" id="alarm-flood">{escape(said)}</p>'
