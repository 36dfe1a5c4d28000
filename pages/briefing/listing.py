"""The /briefing list page: the form that takes a snapshot, the compare form, the filtered list.

Its filters come from the URL; a value that is not understood (a bad date, one out
of range, an unknown district) is named in a notice and ignored, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html import escape
from urllib.parse import urlencode

import flask

from ioc.clock import LOCAL_TZ
from ioc.i18n import t
from ioc.i18n.format import local_stamp
from ioc.model.snapshot import CITY_SCOPE, TRIGGERS, SnapshotFilter, StoredSnapshot
from ioc.scope import viewer_scope
from ioc.services.container import get_services
from pages.briefing.guard import CSRF_FIELD, csrf_token
from pages.briefing.page import allowed_scopes, may_see, page, top
from widgets.briefing_pieces import mark

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAGE_SIZE = 50

# --- the list and the form ---------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """The list's filters, read from the URL; bad values are dropped with a notice."""

    scope: str = ""
    trigger: str = ""
    since: str = ""
    until: str = ""
    text: str = ""
    page: int = 1

    def filter(self) -> SnapshotFilter:
        """The service's filter: local dates to UTC instants, a page to an offset."""
        return SnapshotFilter(
            scope=self.scope or None,
            trigger=self.trigger or None,
            since=day_start(self.since) if self.since else None,
            until=day_start(self.until) + timedelta(days=1) if self.until else None,
            text=self.text,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )


def day_start(day: str) -> datetime:
    """The UTC instant a local date ("YYYY-MM-DD") begins; ValueError when it is not one."""
    if not DATE.match(day):
        raise ValueError(day)
    local = datetime.combine(datetime.strptime(day, "%Y-%m-%d").date(), time(), LOCAL_TZ)
    try:
        # Either end of the calendar: the instant (or the next day) is out of range.
        return local.astimezone(UTC) + timedelta(days=1) - timedelta(days=1)
    except OverflowError:
        raise ValueError(day) from None


def read_list_query(args, slugs) -> tuple[ListQuery, list[str]]:
    """Filters from query parameters, and a notice for each one not understood."""
    notices = []
    scope = args.get("scope", "")
    if scope and scope != CITY_SCOPE and scope not in slugs:
        notices.append(f"scope={scope[:40]}")
        scope = ""
    trigger = args.get("trigger", "")
    if trigger and trigger not in TRIGGERS:
        notices.append(f"trigger={trigger[:40]}")
        trigger = ""
    dates = {}
    for name in ("from", "to"):
        value = args.get(name, "")
        if value:
            try:
                day_start(value)
            except ValueError:
                notices.append(f"{name}={value[:40]}")
                value = ""
        dates[name] = value
    page = args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        if page != "1":
            notices.append(f"page={page[:40]}")
        page = "1"
    return ListQuery(
        scope, trigger, dates["from"], dates["to"], args.get("q", "")[:100], int(page)
    ), notices


def list_page(lang: str, *, flash_text: str = "", error: str = "", status: int = 200, form=None):
    """The /briefing page: take a snapshot, compare two, the filtered list."""
    services = get_services()
    viewer = viewer_scope()
    query, notices = read_list_query(flask.request.args, services.areas)
    found, total = services.briefing.find(query.filter(), allowed_scopes(viewer))
    names = {a.slug: (a.name_vi if lang == "vi" else a.name_en) for a in services.areas.areas}
    names[CITY_SCOPE] = t("brief_scope_city", lang)
    # The scopes this viewer may see are the ones they may take and filter by.
    takeable = [s for s in [CITY_SCOPE, *(a.slug for a in services.areas.areas)]
                if may_see(viewer, s)]  # fmt: skip
    form = form or {}
    parts = [top(lang, "/briefing", {k: v for k, v in flask.request.args.items() if k != "lang"})]
    parts.append(f"<h1>{escape(t('brief_page_title', lang))}</h1>")
    if flash_text:
        parts.append(f'<div class="flash">{escape(flash_text)}</div>')
    if error:
        parts.append(f'<div class="flash flash--error" role="alert">{escape(error)}</div>')
    for notice in notices:
        parts.append(
            f'<div class="flash flash--error">{escape(t("bad_param", lang, detail=notice))}</div>'
        )
    options = "".join(
        f'<option value="{s}"{" selected" if form.get("district", CITY_SCOPE) == s else ""}>'
        f"{escape(names[s])}</option>"
        for s in takeable
    )
    default_by = form.get("taken_by", "")
    take_form = (
        f'<form method="post" action="/briefing?lang={lang}"><fieldset>'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">'
        f'<legend>{escape(t("brief_take_head", lang))}</legend>'
        f'<label for="district">{escape(t("brief_scope", lang))}</label>'
        f'<select id="district" name="district">{options}</select>'
        f'<label for="title">{escape(t("brief_title", lang))}</label>'
        f'<input id="title" name="title" maxlength="200" value="{escape(form.get("title", ""))}">'
        f'<label for="note">{escape(t("brief_note", lang))}</label>'
        '<textarea id="note" name="note" rows="2" maxlength="2000">'
        f'{escape(form.get("note", ""))}</textarea>'
        f'<label for="taken_by">{escape(t("brief_taken_by", lang))}</label>'
        f'<input id="taken_by" name="taken_by" maxlength="120" value="{escape(default_by)}">'
        '<p><button class="btn btn-primary" type="submit" id="take">'
        f'{escape(t("brief_take", lang))}</button></p>'
        "</fieldset></form>"
    ) if takeable else ""  # fmt: skip
    compare_form = (
        f'<form method="get" action="/briefing/compare"><fieldset>'
        f"<legend>{escape(t('brief_compare_two', lang))}</legend>"
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="a">{escape(t("brief_newer", lang))}</label>'
        '<input id="a" name="a" inputmode="numeric" pattern="[0-9]+" required>'
        f'<label for="b">{escape(t("brief_older", lang))}</label>'
        '<input id="b" name="b" inputmode="numeric" pattern="[0-9]+" required>'
        f'<p><button class="btn" type="submit">{escape(t("brief_compare", lang))}</button></p>'
        f'<p class="schedule-note">{escape(schedule_text(services.settings, lang))}</p>'
        "</fieldset></form>"
    )
    parts.append(f'<div class="forms">{take_form}{compare_form}</div>')
    parts.append(f'<h2 style="margin-top:1.4rem">{escape(t("brief_list", lang))}</h2>')
    scope_options = f'<option value="">{escape(t("brief_all", lang))}</option>' + "".join(
        f'<option value="{s}"{" selected" if query.scope == s else ""}>{escape(names[s])}</option>'
        for s in takeable
    )  # fmt: skip
    trigger_options = f'<option value="">{escape(t("brief_all", lang))}</option>' + "".join(
        f'<option value="{k}"{" selected" if query.trigger == k else ""}>'
        f"{escape(t('brief_trigger_' + k, lang))}</option>"
        for k in TRIGGERS
    )
    parts.append(
        '<form class="filters" method="get" action="/briefing">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f"<label>{escape(t('brief_scope', lang))}<br>"
        f'<select name="scope">{scope_options}</select></label>'
        f"<label>{escape(t('brief_trigger', lang))}<br>"
        f'<select name="trigger">{trigger_options}</select></label>'
        f"<label>{escape(t('brief_from', lang))}<br>"
        f'<input type="date" name="from" value="{query.since}"></label>'
        f"<label>{escape(t('brief_to', lang))}<br>"
        f'<input type="date" name="to" value="{query.until}"></label>'
        f"<label>{escape(t('brief_words', lang))}<br>"
        f'<input name="q" value="{escape(query.text)}"></label>'
        f'<button class="btn" type="submit">{escape(t("brief_filter", lang))}</button>'
        "</form>"
    )
    parts.append(snapshot_table(found, total, query, names, lang))
    return page("".join(parts), lang, status)


def schedule_text(settings, lang: str) -> str:
    """What the schedule is, in words."""
    if not settings.briefing_times:
        return t("brief_no_schedule", lang)
    day_names = t("brief_day_names", lang).split(",")
    days = ", ".join(day_names[d] for d in sorted(settings.briefing_days))
    times = ", ".join(at.strftime("%H:%M") for at in settings.briefing_times)
    keep = f"{settings.briefing_retention_days:g}"
    return t("brief_schedule", lang, times=times, days=days, keep=keep)


def snapshot_table(found: list[StoredSnapshot], total: int, query: ListQuery, names, lang) -> str:
    """The list of snapshots, newest first, with open / compare / export links."""
    if not found:
        return f"<p>{escape(t('brief_empty', lang))}</p>"
    head = ["#", t("brief_time", lang), t("brief_scope", lang), t("brief_title", lang),
            t("brief_status", lang), t("brief_taken_by", lang), ""]  # fmt: skip
    rows = []
    for s in found:
        when = local_stamp(s.taken_at)
        by = s.taken_by or (t("brief_by_schedule", lang) if s.trigger == "schedule" else "—")
        links = (
            f'<a href="/briefing/{s.id}?lang={lang}">{escape(t("brief_open", lang))}</a> · '
            f'<a href="/briefing/{s.id}?compare=previous&amp;lang={lang}">'
            f"{escape(t('brief_vs_previous', lang))}</a> · "
            f'<a href="/briefing/{s.id}/export.html?lang={lang}">HTML</a> · '
            f'<a href="/briefing/{s.id}/export.pdf?lang={lang}">PDF</a>'
        )
        rows.append(
            f"<tr><td>{s.id}</td><td>{escape(when)}</td>"
            f"<td>{escape(names.get(s.scope, s.scope))}</td>"
            f"<td>{escape(s.title)} "
            f"<small>({escape(t('brief_trigger_' + s.trigger, lang))})</small></td>"
            f"<td>{mark(s.status)}{escape(t('status_' + s.status, lang))}</td>"
            f"<td>{escape(by)}</td><td>{links}</td></tr>"
        )
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    pager = ""
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if pages > 1:
        base = {k: v for k, v in flask.request.args.items() if k != "page"}
        links = [
            f'<a href="/briefing?{escape(urlencode({**base, "page": p}))}">{p}</a>'
            if p != query.page
            else f"<b>{p}</b>"
            for p in range(1, pages + 1)
        ][:40]
        pager = '<p class="pager">' + " ".join(links) + "</p>"
    count = t("brief_count", lang, shown=len(found), total=total)
    return (
        f'<p class="small">{escape(count)}</p>'
        f'<table class="grid" id="snapshots"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{pager}"
    )
