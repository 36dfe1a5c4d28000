"""/briefing: take, list, open, compare and export briefing snapshots; and their JSON API.

Server-rendered pages, not Dash pages: a snapshot is a document, and one renderer
(``widgets.briefing.document``) makes the page, the HTML file and the PDF, so all
three say the same thing. Taking a snapshot is a plain HTML form (POST, then a
redirect to the new snapshot), which works on any browser of a closed network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import flask
import plotly
from flask import Blueprint

from ioc.briefing.pdf import PdfFailed, PdfUnavailable, find_chromium, html_to_pdf
from ioc.i18n import normalise_lang, t
from ioc.scope import Scope, viewer_scope
from ioc.services import get_services
from ioc.services.briefing import (
    CITY_SCOPE,
    TRIGGERS,
    SnapshotError,
    SnapshotFilter,
    StoredSnapshot,
    compare,
    utc_text,
)
from ioc.services.live import LOCAL_TZ
from widgets.briefing import Assets, document, local_stamp, mark

briefing = Blueprint("briefing", __name__)
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAGE_SIZE = 50
_plotly_text: dict[str, str] = {}


def plotly_js() -> str:
    """plotly.min.js as text (read once), for files that must open with no server."""
    if "js" not in _plotly_text:
        _plotly_text["js"] = PLOTLY_JS.read_text(encoding="utf-8")
    return _plotly_text["js"]


def _lang() -> str:
    return normalise_lang(flask.request.args.get("lang"), get_services().settings.lang)


def _allowed(scope: Scope) -> frozenset[str] | None:
    """The snapshot scopes a viewer may see: all, or their districts (not the whole city)."""
    return None if scope.districts is None else frozenset(scope.districts)


def _may_see(scope: Scope, snapshot_scope: str) -> bool:
    allowed = _allowed(scope)
    return allowed is None or snapshot_scope in allowed


def _page(body: str, lang: str, status: int = 200, title: str = "") -> flask.Response:
    title = title or t("brief_page_title", lang)
    text = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)} — IOC Cần Thơ</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/fonts.css">'
        '<link rel="stylesheet" href="/assets/briefing/briefing.css"></head>'
        f'<body class="briefing-list"><main class="sheet">{body}</main></body></html>'
    )
    response = flask.make_response(text, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _message_page(message: str, lang: str, status: int) -> flask.Response:
    back = f'<a href="/briefing?lang={lang}">{escape(t("brief_back", lang))}</a>'
    return _page(f"{_top(lang)}<h1>{escape(message)}</h1><p>{back}</p>", lang, status)


def _top(lang: str, path: str = "/briefing", query: dict | None = None) -> str:
    other = "en" if lang == "vi" else "vi"
    switch = urlencode({**(query or {}), "lang": other})
    return (
        '<nav class="top">'
        f'<a class="brand" href="/?lang={lang}">IOC Cần Thơ</a>'
        f'<a href="/wall?lang={lang}">{escape(t("wall_link", lang))}</a>'
        f'<a href="/briefing?lang={lang}"><b>{escape(t("brief_nav", lang))}</b></a>'
        '<span class="spacer"></span>'
        f'<a href="{path}?{escape(switch)}" hreflang="{other}">'
        f"{'English' if other == 'en' else 'Tiếng Việt'}</a>"
        "</nav>"
    )


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

        def start(day: str) -> datetime | None:
            if not day:
                return None
            local = datetime.combine(datetime.strptime(day, "%Y-%m-%d").date(), time(), LOCAL_TZ)
            return local.astimezone(UTC)

        until = start(self.until)
        return SnapshotFilter(
            scope=self.scope or None,
            trigger=self.trigger or None,
            since=start(self.since),
            until=until + timedelta(days=1) if until else None,
            text=self.text,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )


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
                if not DATE.match(value):
                    raise ValueError
                datetime.strptime(value, "%Y-%m-%d")
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
    found, total = services.briefing.find(query.filter(), _allowed(viewer))
    names = {a.slug: (a.name_vi if lang == "vi" else a.name_en) for a in services.areas.areas}
    names[CITY_SCOPE] = t("brief_scope_city", lang)
    # The scopes this viewer may see are the ones they may take and filter by.
    takeable = [s for s in [CITY_SCOPE, *(a.slug for a in services.areas.areas)]
                if _may_see(viewer, s)]  # fmt: skip
    form = form or {}
    parts = [_top(lang, "/briefing", {k: v for k, v in flask.request.args.items() if k != "lang"})]
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
    return _page("".join(parts), lang, status)


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
        when = local_stamp(utc_text(s.taken_at), lang)
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


@briefing.get("/briefing")
def briefing_list():
    """The list page."""
    return list_page(_lang())


def taken_by_of(form_value: str) -> str:
    """Who takes it: the proxy's user header when one is configured, else what the form says."""
    header = get_services().settings.user_header
    if header:
        named = (flask.request.headers.get(header) or "").strip()
        if named:
            return named[:120]
    return form_value.strip()[:120]


def _same_origin() -> bool:
    """A form post from this app's own pages (a page elsewhere cannot take snapshots)."""
    origin = flask.request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == flask.request.host_url.rstrip("/")


@briefing.post("/briefing")
def briefing_take():
    """Take a snapshot from the form, then show it."""
    lang = _lang()
    form = flask.request.form
    if not _same_origin():
        return _message_page("cross-site form refused", lang, 403)
    district = form.get("district", CITY_SCOPE) or CITY_SCOPE
    viewer = viewer_scope()
    if not _may_see(viewer, district):
        return list_page(lang, error=t("brief_forbidden", lang), status=403, form=form)
    try:
        made = get_services().briefing.take(
            scope=district,
            title=form.get("title", ""),
            note=form.get("note", ""),
            taken_by=taken_by_of(form.get("taken_by", "")),
            trigger="manual",
        )
    except SnapshotError as err:
        return list_page(lang, error=str(err), status=400, form=form)
    return flask.redirect(f"/briefing/{made.id}?lang={lang}", code=303)


# --- one snapshot ---------------------------------------------------------------------------


def _find(raw_id: str, lang: str) -> StoredSnapshot | flask.Response:
    if not raw_id.isdigit() or len(raw_id) > 12:
        return _message_page(t("brief_bad_id", lang, id=raw_id[:40]), lang, 404)
    found = get_services().briefing.get(int(raw_id))
    if found is None:
        return _message_page(t("brief_not_found", lang, id=raw_id), lang, 404)
    if not _may_see(viewer_scope(), found.scope):
        return _message_page(t("brief_forbidden", lang), lang, 403)
    return found


def _comparison(snap: StoredSnapshot, lang: str):
    """The snapshot to compare with (?compare=previous or an id): (record, other, missing)."""
    wanted = flask.request.args.get("compare", "")
    if not wanted or wanted == "none":
        return None, None, False
    service = get_services().briefing
    if wanted == "previous":
        other = service.previous(snap)
    elif wanted.isdigit() and len(wanted) <= 12:
        other = service.get(int(wanted))
        if other is not None and not _may_see(viewer_scope(), other.scope):
            other = None
    else:
        other = None
    if other is None:
        return None, None, True
    return (
        compare(snap.record, other.record),
        {"id": other.id, "taken_at": utc_text(other.taken_at)},
        False,
    )


def render(snap: StoredSnapshot, lang: str, *, inline: bool, toolbar: str = "") -> str:
    """The document of one snapshot (with its comparison when the URL asks for one)."""
    comparison, other, missing = _comparison(snap, lang)
    assets = Assets(inline=True, plotly_js=plotly_js()) if inline else Assets(inline=False)
    meta = {"id": snap.id, "sha256": snap.sha256, "intact": snap.intact}
    return document(snap.record, meta=meta, lang=lang, assets=assets, comparison=comparison,
                    other=other, toolbar=toolbar, compare_missing=missing)  # fmt: skip


def toolbar(snap: StoredSnapshot, lang: str) -> str:
    """Back, language, compare and export links: the page's, never printed or exported."""
    query = {k: v for k, v in flask.request.args.items() if k != "lang"}
    keep = urlencode({**query, "lang": lang})
    other = "en" if lang == "vi" else "vi"
    has_chromium = find_chromium(get_services().settings.chromium) is not None
    pdf = (
        f'<a class="btn" id="export-pdf" href="/briefing/{snap.id}/export.pdf?{escape(keep)}">'
        f"{escape(t('brief_export_pdf', lang))}</a>"
        if has_chromium
        else f'<span class="no-pdf" id="export-pdf">{escape(t("brief_no_pdf", lang))}</span>'
    )
    compare_value = escape(query.get("compare", ""))
    return (
        '<nav class="toolbar">'
        f'<a href="/briefing?lang={lang}">← {escape(t("brief_back", lang))}</a>'
        f'<a href="/briefing/{snap.id}?{escape(urlencode({**query, "lang": other}))}">'
        f"{'English' if other == 'en' else 'Tiếng Việt'}</a>"
        f'<form method="get" action="/briefing/{snap.id}">'
        f'<input type="hidden" name="lang" value="{lang}">'
        '<label for="compare" style="margin:0;color:#fff">'
        f"{escape(t('brief_compare', lang))}</label>"
        f'<input id="compare" name="compare" value="{compare_value}" '
        f'placeholder="{escape(t("brief_compare_hint", lang))}">'
        f'<button class="btn" type="submit">OK</button></form>'
        f'<a href="/briefing/{snap.id}?compare=previous&amp;lang={lang}">'
        f"{escape(t('brief_vs_previous', lang))}</a>"
        '<span class="spacer"></span>'
        f'<a class="btn" id="export-html" href="/briefing/{snap.id}/export.html?{escape(keep)}">'
        f"{escape(t('brief_export_html', lang))}</a>"
        f"{pdf}</nav>"
    )


@briefing.get("/briefing/<raw_id>")
def briefing_page(raw_id: str):
    """One snapshot, as stored (and compared, when asked)."""
    lang = _lang()
    found = _find(raw_id, lang)
    if isinstance(found, flask.Response):
        return found
    response = flask.make_response(render(found, lang, inline=False, toolbar=toolbar(found, lang)))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


@briefing.get("/briefing/compare")
def briefing_compare():
    """The compare form's target: /briefing/<a>?compare=<b>."""
    lang = _lang()
    a, b = flask.request.args.get("a", ""), flask.request.args.get("b", "")
    if not a.isdigit() or not b.isdigit():
        return _message_page(
            t("brief_bad_id", lang, id=(a if not a.isdigit() else b)[:40]), lang, 404
        )
    return flask.redirect(f"/briefing/{int(a)}?compare={int(b)}&lang={lang}", code=303)


def _file_name(snap: StoredSnapshot, suffix: str) -> str:
    local = snap.taken_at.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    return f"giao-ban-{snap.id}-{snap.scope}-{local}.{suffix}"


@briefing.get("/briefing/<raw_id>/export.html")
def briefing_html(raw_id: str):
    """The snapshot as one self-contained HTML file (styles, fonts, plotly.js inlined)."""
    lang = _lang()
    found = _find(raw_id, lang)
    if isinstance(found, flask.Response):
        return found
    response = flask.make_response(render(found, lang, inline=True))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(found, "html")}"'
    return response


@briefing.get("/briefing/<raw_id>/export.pdf")
def briefing_pdf(raw_id: str):
    """The snapshot as an A4 landscape PDF, printed by headless Chromium."""
    lang = _lang()
    found = _find(raw_id, lang)
    if isinstance(found, flask.Response):
        return found
    chromium = find_chromium(get_services().settings.chromium)
    try:
        data = html_to_pdf(render(found, lang, inline=True), chromium)
    except PdfUnavailable as err:
        return _message_page(f"{t('brief_no_pdf', lang)} ({err})", lang, 503)
    except PdfFailed as err:
        return _message_page(str(err), lang, 500)
    response = flask.make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(found, "pdf")}"'
    return response


@briefing.get("/briefing/plotly.min.js")
def briefing_plotly():
    """plotly.js from the installed plotly package (no CDN), for the page view's charts."""
    return flask.send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)


# --- JSON API ---------------------------------------------------------------------------------


def _json_error(status: int, message: str):
    return flask.jsonify({"error": message}), status


@briefing.get("/api/v1/snapshots")
def api_list():
    """Snapshots, newest first; filters district, trigger, from, to (local dates), q, page."""
    services = get_services()
    args = flask.request.args.to_dict(flat=True)
    if "district" in args:
        args["scope"] = args.pop("district")
    query, notices = read_list_query(args, services.areas)
    if notices:
        return _json_error(400, "bad query parameters: " + ", ".join(notices))
    found, total = services.briefing.find(query.filter(), _allowed(viewer_scope()))
    return flask.jsonify(
        {
            "total": total,
            "page": query.page,
            "page_size": PAGE_SIZE,
            "snapshots": [s.summary() | {"url": f"/briefing/{s.id}"} for s in found],
        }  # fmt: skip
    )


@briefing.post("/api/v1/snapshots")
def api_take():
    """Take a snapshot: optional JSON body {district, title, note, taken_by}; 201 with its id."""
    body = flask.request.get_json(silent=True) if flask.request.data else {}
    if body is None or not isinstance(body, dict):
        return _json_error(400, "the body must be a JSON object (or empty)")
    unknown = set(body) - {"district", "title", "note", "taken_by"}
    if unknown:
        return _json_error(400, f"unknown fields: {', '.join(sorted(unknown))}")
    if any(not isinstance(v, str) for v in body.values() if v is not None):
        return _json_error(400, "district, title, note and taken_by must be strings")
    district = body.get("district") or CITY_SCOPE
    viewer = viewer_scope()
    if district != CITY_SCOPE and district not in get_services().areas:
        return _json_error(404, f"no such district: {district[:64]}")
    if not _may_see(viewer, district):
        return _json_error(403, "outside the viewer's scope")
    try:
        made = get_services().briefing.take(
            scope=district, title=body.get("title") or "", note=body.get("note") or "",
            taken_by=taken_by_of(body.get("taken_by") or ""), trigger="api",
        )  # fmt: skip
    except SnapshotError as err:
        return _json_error(400, str(err))
    response = flask.jsonify(made.summary() | {"url": f"/briefing/{made.id}"})
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/snapshots/{made.id}"
    return response


@briefing.get("/api/v1/snapshots/<raw_id>")
def api_get(raw_id: str):
    """One stored snapshot: its summary, and the record exactly as stored."""
    if not raw_id.isdigit() or len(raw_id) > 12:
        return _json_error(404, f"not a snapshot id: {raw_id[:40]}")
    found = get_services().briefing.get(int(raw_id))
    if found is None:
        return _json_error(404, f"no snapshot {raw_id}")
    if not _may_see(viewer_scope(), found.scope):
        return _json_error(403, "outside the viewer's scope")
    return flask.jsonify(found.summary() | {"intact": found.intact, "record": found.record})
