"""``/alarms``: the operators' page. Open and recent alarms with filters; one alarm with its
history; acknowledge with a note, shelve for a time with a reason.

Server-written (like /admin and /briefing): plain links and forms are keyboard-usable
as they are, and work on any browser of a closed network. The list refreshes itself
every 15 s through a small script (assets/auth/alarms.js) that waits while a filter has
focus and can be turned off (``?refresh=0``); an alarm's own page, where the forms are,
does not refresh, so nobody loses a note half typed. The forms carry the app's form
token and pass its cross-site check (pages/briefing/guard.py); acting needs
``Can.ACKNOWLEDGE``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import flask
from flask import Blueprint

from ioc.access import Can
from ioc.i18n import normalise_lang, t
from ioc.notice import page
from ioc.scope import viewer, viewer_scope
from ioc.services.alarms import AlarmActionError
from ioc.services.container import get_services
from pages.alarms_api import actor as acting
from pages.alarms_api import audit, visible_alarm
from pages.briefing.guard import CSRF_FIELD, cross_site, csrf_token, set_csrf_cookie
from widgets.alarms import PageStyle, alarm_detail, alarm_list, filters, flood_banner

alarms = Blueprint("alarms", __name__)
alarms.after_request(set_csrf_cookie)
REFRESH_S = 15


def _lang() -> str:
    given = flask.request.args.get("lang") or flask.request.form.get("lang")
    return normalise_lang(given, get_services().settings.lang)


def _place(lang: str):  # type: ignore[no-untyped-def]
    areas = get_services().areas

    def name(district: str | None) -> str:
        area = areas.get(district) if district else None
        return area.name(lang) if area is not None else t("alarm_city", lang)

    return name


def _top(lang: str, here: str) -> str:
    other = "en" if lang == "vi" else "vi"
    return (f'<nav class="notice__links"><a href="/wall?lang={lang}">{escape(t("wall_link", lang))}'
            f'</a><a href="{escape(here)}lang={other}" lang="{other}">'
            f"{'English' if other == 'en' else 'Tiếng Việt'}</a></nav>")  # fmt: skip


def _html(text: str, status: int = 200, *, refresh: bool = False) -> flask.Response:
    if refresh:  # assets/auth/alarms.js: a refresh the viewer can turn off (WCAG 2.2.1)
        script = f'<script src="/assets/auth/alarms.js" defer data-seconds="{REFRESH_S}"></script>'
        text = text.replace("</head>", f"{script}</head>", 1)
    response = flask.make_response(text, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


@alarms.get("/alarms")
def alarms_page() -> flask.Response:
    """The list, filtered by the query (state, district, kind, severity)."""
    lang = _lang()
    args = flask.request.args
    chosen = {k: args.get(k, "") for k in ("state", "district", "kind", "severity")}
    refresh = args.get("refresh") != "0"
    state = "all" if chosen["state"] == "all" else "active"
    services = get_services()
    limit = viewer_scope().limit
    found = services.alarms.find(
        state=state, limit=limit, max_rows=300,
        **{k: (chosen[k] or None) for k in ("district", "kind", "severity")},
    )  # fmt: skip
    places = [
        (a.slug, a.name(lang)) for a in services.areas.areas if limit is None or limit(a.slug)
    ]
    if limit is None:
        places.append(("city", t("alarm_city", lang)))
    query = "&".join(f"{k}={escape(v)}" for k, v in chosen.items() if v)
    flood = services.alarms.flood_state(datetime.now(UTC), limit)
    body = (PageStyle + flood_banner(flood, lang) + filters(lang, chosen, places)
            + alarm_list(found, lang, _place(lang), newest_first=state == "all")
            + _refresh_note(lang, query, refresh))  # fmt: skip
    here = f"/alarms?{query}&" if query else "/alarms?"
    if not refresh:
        here += "refresh=0&"
    return _html(page(lang, t("alarms_title", lang), body, wide=True, top=_top(lang, here)),
                 refresh=refresh)  # fmt: skip


def _refresh_note(lang: str, query: str, refresh: bool) -> str:
    """Whether the list refreshes itself, and the link that turns it off (or on again)."""
    base = f"/alarms?{query}&lang={lang}" if query else f"/alarms?lang={lang}"
    if refresh:
        return (f"<p>{escape(t('alarms_refresh', lang))} <a href=\"{base}&refresh=0\">"
                f"{escape(t('alarms_refresh_off', lang))}</a></p>")  # fmt: skip
    return (f"<p>{escape(t('alarms_refresh_stopped', lang))} <a href=\"{base}\">"
            f"{escape(t('alarms_refresh_on', lang))}</a></p>")  # fmt: skip


def _hidden(lang: str) -> str:
    return (f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">'
            f'<input type="hidden" name="lang" value="{lang}">')  # fmt: skip


def _detail(raw_id: str, lang: str, *, note: str = "", error: str = "", status: int = 200):
    found = visible_alarm(raw_id)
    if found is None:
        body = (
            f'<p>{escape(t("alarm_not_found", lang))}</p><nav class="notice__links">'
            f'<a href="/alarms?lang={lang}">{escape(t("alarm_back", lang))}</a></nav>'
        )
        return _html(page(lang, t("alarms_title", lang), body), 404)
    who = viewer()
    may_act = who is not None and who.may(Can.ACKNOWLEDGE)
    said = ""
    if note:
        said = f'<p class="notice__ok" role="status">{escape(note)}</p>'
    if error:
        said = f'<p class="notice__error" role="alert">{escape(error)}</p>'
    back = (f'<nav class="notice__links"><a href="/alarms?lang={lang}">'
            f"{escape(t('alarm_back', lang))}</a></nav>")  # fmt: skip
    body = (
        PageStyle
        + back
        + said
        + alarm_detail(
            found, lang, _place(lang)(found.district), hidden=_hidden(lang) if may_act else None
        )
    )
    title = t("alarm_title", lang, id=found.id)
    return _html(page(lang, title, body, wide=True, top=_top(lang, f"/alarms/{found.id}?")),
                 status)  # fmt: skip


@alarms.get("/alarms/<raw_id>")
def alarm_page(raw_id: str) -> flask.Response:
    """One alarm, its forms and its history (``?done=ack|shelve`` says what just happened)."""
    lang = _lang()
    done = flask.request.args.get("done", "")
    note = t(f"alarm_done_{done}", lang) if done in ("ack", "shelve") else ""
    return _detail(raw_id, lang, note=note)


def _act(raw_id: str, what: str) -> flask.Response:
    lang = _lang()
    if cross_site(flask.request) is not None:
        return _detail(raw_id, lang, error=t("brief_cross_site", lang), status=403)
    found = visible_alarm(raw_id)
    if found is None:
        return _detail(raw_id, lang)
    form = flask.request.form
    now = datetime.now(UTC)
    service = get_services().alarms
    try:
        if what == "ack":
            alarm, changed = service.acknowledge(found.id, actor=acting(),
                                                 note=form.get("note", ""), now=now)  # fmt: skip
            if changed:
                audit("alarm_ack", alarm, alarm.ack_note or "")
        else:
            raw = form.get("minutes", "")
            digits = raw.strip()
            minutes: object = int(digits) if digits.isascii() and digits.isdigit() else raw
            alarm = service.shelve(found.id, actor=acting(), minutes=minutes,
                                   reason=form.get("reason", ""), now=now)  # fmt: skip
            audit("alarm_shelve", alarm, f"{minutes} min: {alarm.shelve_reason}")
    except AlarmActionError as err:
        return _detail(raw_id, lang, error=t(err.key, lang), status=err.status)
    return flask.redirect(f"/alarms/{found.id}?lang={lang}&done={what}", code=303)


@alarms.post("/alarms/<raw_id>/ack")
def alarm_ack(raw_id: str) -> flask.Response:
    """Acknowledge from the form, then show the alarm."""
    return _act(raw_id, "ack")


@alarms.post("/alarms/<raw_id>/shelve")
def alarm_shelve(raw_id: str) -> flask.Response:
    """Shelve from the form, then show the alarm."""
    return _act(raw_id, "shelve")
