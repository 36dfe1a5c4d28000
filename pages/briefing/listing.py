"""The /briefing list page: the form that takes a snapshot, the compare form, the filtered list.

Its filters come from the URL; a value that is not understood (a bad date, one out
of range, an unknown district) is named in a notice and ignored, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import flask

from ioc.clock import LOCAL_TZ
from ioc.i18n import t
from ioc.i18n.format import local_name
from ioc.model.snapshot import CITY_SCOPE, TRIGGERS, SnapshotFilter
from ioc.scope import viewer as asker
from ioc.scope import viewer_scope
from ioc.services.container import get_services
from pages.briefing.guard import CSRF_FIELD, csrf_token
from pages.briefing.page import allowed_scopes, may_see, page
from widgets.briefing_list import (
    compare_form,
    filters_form,
    flashes,
    list_body,
    snapshot_table,
    take_form,
    top,
)

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
    args = flask.request.args
    query, notices = read_list_query(args, services.areas)
    found, total = services.briefing.find(query.filter(), allowed_scopes(viewer))
    names = {a.slug: local_name(a, lang) for a in services.areas.areas}
    names[CITY_SCOPE] = t("brief_scope_city", lang)
    # The scopes this viewer may see are the ones they may take and filter by.
    takeable = [s for s in [CITY_SCOPE, *(a.slug for a in services.areas.areas)]
                if may_see(viewer, s)]  # fmt: skip
    form = form or {}
    # The form token only where there is a form (asking for one sets its cookie).
    who = asker()
    signed_as = who.name if who is not None and who.name else None
    token = (CSRF_FIELD, csrf_token())
    take = take_form(lang, takeable, names, form, token, signed_as) if takeable else ""
    compare = compare_form(lang, schedule_text(services.settings, lang))
    chosen = {"scope": query.scope, "trigger": query.trigger, "from": query.since,
              "to": query.until, "q": query.text}  # fmt: skip
    body = list_body(
        lang,
        nav=top(lang, "/briefing", {k: v for k, v in args.items() if k != "lang"},
                demo=services.settings.simulator_enabled),
        notes=flashes(lang, flash_text, error, notices),
        forms=take + compare,
        filters=filters_form(lang, takeable, names, chosen),
        table=snapshot_table(found, total, page=query.page, page_size=PAGE_SIZE, names=names,
                             args=args, lang=lang),
    )  # fmt: skip
    return page(body, lang, status)


def schedule_text(settings, lang: str) -> str:
    """What the schedule is, in words."""
    if not settings.briefing_times:
        return t("brief_no_schedule", lang)
    day_names = t("brief_day_names", lang).split(",")
    days = ", ".join(day_names[d] for d in sorted(settings.briefing_days))
    times = ", ".join(at.strftime("%H:%M") for at in settings.briefing_times)
    keep = f"{settings.briefing_retention_days:g}"
    return t("brief_schedule", lang, times=times, days=days, keep=keep)
