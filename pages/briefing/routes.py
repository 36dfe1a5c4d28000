"""/briefing: take, list, open, compare and export briefing snapshots; and their JSON API.

Server-rendered pages, not Dash pages: a snapshot is a document, and one renderer
(``widgets.briefing.document``) makes the page, the HTML file and the PDF, so all
three say the same thing. Taking a snapshot is a plain HTML form (POST, then a
redirect to the new snapshot), which works on any browser of a closed network.
"""

from __future__ import annotations

import logging

import flask
from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from ioc.clock import LOCAL_TZ, utc_text
from ioc.i18n import t
from ioc.identity import address
from ioc.model.snapshot import CITY_SCOPE, StoredSnapshot, digest
from ioc.scope import viewer, viewer_scope
from ioc.services.briefing import SnapshotError
from ioc.services.briefing_compare import compare
from ioc.services.container import EXTENSION_KEY, get_services
from pages.briefing.guard import protect
from pages.briefing.listing import PAGE_SIZE, list_page, read_list_query
from pages.briefing.page import (
    allowed_scopes,
    json_error,
    may_see,
    message_page,
    refusal,
    visible_snapshot,
)
from pages.briefing.page import request_lang as _lang
from pages.briefing.pdf import PdfFailed, PdfUnavailable, find_chromium, html_to_pdf
from pages.briefing.pdf_pool import PdfBusy, PdfPool
from widgets.briefing import PLOTLY_JS, Assets, document, plotly_js, snapshot_toolbar

log = logging.getLogger(__name__)
briefing = Blueprint("briefing", __name__)
protect(briefing)  # every POST (PUT, PATCH, DELETE) of this blueprint: same origin, rate
PDF_POOL_KEY = "ioc_briefing_pdf"


@briefing.get("/briefing")
def briefing_list():
    """The list page."""
    return list_page(_lang())


def taken_by_of(form_value: str) -> str:
    """Who takes it: the signed-in account (or token, or proxy user) whenever there is one;
    with IOC_AUTH=none, the proxy's user header if configured, else what the form says."""
    who = viewer()
    if who is not None and who.name:
        return who.name[:120]
    header = get_services().settings.user_header
    if header:
        named = (flask.request.headers.get(header) or "").strip()
        if named:
            return named[:120]
    return form_value.strip()[:120]


def audit(action: str, target: str, detail: str = "") -> None:
    """Record who did what to which snapshot (ioc/services/accounts.py)."""
    who = viewer()
    name = (who.name if who is not None else "") or taken_by_of("") or "-"
    get_services().accounts.audit(name, action, target, detail, address())


def _take(trigger: str, district: str, title: str, note: str, taken_by: str):
    """Take a snapshot; a store that cannot save it is logged and answered 503, not a 500."""
    service = get_services().briefing
    try:
        made = service.take(scope=district, title=title, note=note,
                            taken_by=taken_by_of(taken_by), trigger=trigger)  # fmt: skip
        audit("snapshot_taken", f"{made.id}", f"{trigger} {district}")
        return made
    except SQLAlchemyError as err:
        log.error("briefing snapshot (%s, %s) not saved: the store failed: %s",
                  trigger, district, str(err).splitlines()[0])  # fmt: skip
        return refusal(503, "brief_store_failed")


@briefing.post("/briefing")
def briefing_take():
    """Take a snapshot from the form, then show it (same origin: checked by ``guard``)."""
    lang = _lang()
    form = flask.request.form
    district = form.get("district", CITY_SCOPE) or CITY_SCOPE
    if not may_see(viewer_scope(), district):
        return list_page(lang, error=t("brief_forbidden", lang), status=403, form=form)
    try:
        made = _take("manual", district, form.get("title", ""), form.get("note", ""),
                     form.get("taken_by", ""))  # fmt: skip
    except SnapshotError as err:
        return list_page(lang, error=str(err), status=400, form=form)
    if isinstance(made, flask.Response):
        return made
    return flask.redirect(f"/briefing/{made.id}?lang={lang}", code=303)


# --- one snapshot ---------------------------------------------------------------------------


def _find(raw_id: str, lang: str) -> StoredSnapshot | flask.Response:
    """The snapshot a page's URL names, or the page that says why not."""
    found = visible_snapshot(raw_id)
    if found == "bad_id":
        return message_page(t("brief_bad_id", lang, id=raw_id[:40]), lang, 404)
    if found == "not_found":
        return message_page(t("brief_not_found", lang, id=raw_id), lang, 404)
    if found == "forbidden":
        return message_page(t("brief_forbidden", lang), lang, 403)
    return found


def _other(snap: StoredSnapshot) -> tuple[StoredSnapshot | None, bool]:
    """The snapshot to compare with (?compare=previous or an id), and whether one was
    asked for but is missing (or outside the viewer's scope)."""
    wanted = flask.request.args.get("compare", "")
    if not wanted or wanted == "none":
        return None, False
    if wanted == "previous":
        other = get_services().briefing.previous(snap)
    else:
        found = visible_snapshot(wanted)
        other = found if isinstance(found, StoredSnapshot) else None
    return other, other is None


def _comparison(snap: StoredSnapshot):
    """(the comparison, the other snapshot's id and time, missing) for the document."""
    other, missing = _other(snap)
    if other is None:
        return None, None, missing
    return (
        compare(snap.record, other.record),
        {"id": other.id, "taken_at": utc_text(other.taken_at)},
        False,
    )


def render(snap: StoredSnapshot, lang: str, *, inline: bool, toolbar: str = "") -> str:
    """The document of one snapshot (with its comparison when the URL asks for one)."""
    comparison, other, missing = _comparison(snap)
    assets = Assets(inline=True, plotly_js=plotly_js()) if inline else Assets(inline=False)
    meta = {"id": snap.id, "sha256": snap.sha256, "intact": snap.intact}
    return document(snap.record, meta=meta, lang=lang, assets=assets, comparison=comparison,
                    other=other, toolbar=toolbar, compare_missing=missing)  # fmt: skip


def toolbar(snap: StoredSnapshot, lang: str) -> str:
    """The page's toolbar: this URL's parameters, and whether a PDF can be printed."""
    query = {k: v for k, v in flask.request.args.items() if k != "lang"}
    has_pdf = find_chromium(get_services().settings.chromium) is not None
    return snapshot_toolbar(snap.id, lang, query, has_pdf=has_pdf)


@briefing.get("/briefing/<raw_id>")
def briefing_page(raw_id: str):
    """One snapshot, as stored (and compared, when asked)."""
    lang = _lang()
    found = _find(raw_id, lang)
    if isinstance(found, flask.Response):
        return found
    response = flask.make_response(render(found, lang, inline=False, toolbar=toolbar(found, lang)))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    wanted = flask.request.args.get("compare", "")
    if wanted and wanted != "none":
        audit("snapshot_compared", str(found.id), f"with {wanted[:40]}")
    return response


@briefing.get("/briefing/compare")
def briefing_compare():
    """The compare form's target: /briefing/<a>?compare=<b>."""
    lang = _lang()
    a, b = flask.request.args.get("a", ""), flask.request.args.get("b", "")
    if not a.isdigit() or not b.isdigit():
        return message_page(
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
    audit("snapshot_exported", str(found.id), "html")
    return response


def _pdf_key(snap: StoredSnapshot, lang: str) -> tuple:
    """What a printed PDF depends on: the snapshot, the language and the comparison, each
    by its stored text (so a record altered in the store is printed anew, marked so)."""
    other, missing = _other(snap)
    theirs = (other.id, digest(other.text), other.sha256) if other is not None else missing
    return snap.id, lang, digest(snap.text), snap.sha256, theirs


@briefing.record_once
def _pdf_pool(state) -> None:
    settings = state.app.extensions[EXTENSION_KEY].settings
    state.app.extensions[PDF_POOL_KEY] = PdfPool(settings.pdf_concurrency,
                                                 settings.pdf_cache_mb * 1024 * 1024)  # fmt: skip


@briefing.get("/briefing/<raw_id>/export.pdf")
def briefing_pdf(raw_id: str):
    """The snapshot as an A4 landscape PDF, printed by headless Chromium."""
    lang = _lang()
    found = _find(raw_id, lang)
    if isinstance(found, flask.Response):
        return found
    chromium = find_chromium(get_services().settings.chromium)
    pool: PdfPool = flask.current_app.extensions[PDF_POOL_KEY]
    try:
        data = pool.get(
            _pdf_key(found, lang), lambda: html_to_pdf(render(found, lang, inline=True), chromium)
        )
    except PdfBusy as err:
        return refusal(503, "brief_pdf_busy", retry_after=err.retry_after, seconds=err.retry_after)
    except PdfUnavailable as err:
        return message_page(f"{t('brief_no_pdf', lang)} ({err})", lang, 503)
    except PdfFailed as err:
        return message_page(str(err), lang, 500)
    audit("snapshot_exported", str(found.id), "pdf")
    response = flask.make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(found, "pdf")}"'
    return response


@briefing.get("/briefing/plotly.min.js")
def briefing_plotly():
    """plotly.js from the installed plotly package (no CDN), for the page view's charts."""
    return flask.send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)


# --- JSON API ---------------------------------------------------------------------------------


@briefing.get("/api/v1/snapshots")
def api_list():
    """Snapshots, newest first; filters district, trigger, from, to (local dates), q, page."""
    services = get_services()
    args = flask.request.args.to_dict(flat=True)
    if "district" in args:
        args["scope"] = args.pop("district")
    query, notices = read_list_query(args, services.areas)
    if notices:
        return json_error(400, "bad query parameters: " + ", ".join(notices))
    found, total = services.briefing.find(query.filter(), allowed_scopes(viewer_scope()))
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
    """Take a snapshot: a JSON body {district, title, note, taken_by}, each optional (an
    empty body too, but always ``Content-Type: application/json``); 201 with its id."""
    body = flask.request.get_json(silent=True) if flask.request.data else {}
    if body is None or not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object (or empty)")
    unknown = set(body) - {"district", "title", "note", "taken_by"}
    if unknown:
        return json_error(400, f"unknown fields: {', '.join(sorted(unknown))}")
    if any(not isinstance(v, str) for v in body.values() if v is not None):
        return json_error(400, "district, title, note and taken_by must be strings")
    district = body.get("district") or CITY_SCOPE
    viewer = viewer_scope()
    if district != CITY_SCOPE and district not in get_services().areas:
        return json_error(404, f"no such district: {district[:64]}")
    if not may_see(viewer, district):
        return json_error(403, "outside the viewer's scope")
    try:
        made = _take("api", district, body.get("title") or "", body.get("note") or "",
                     body.get("taken_by") or "")  # fmt: skip
    except SnapshotError as err:
        return json_error(400, str(err))
    if isinstance(made, flask.Response):
        return made
    response = flask.jsonify(made.summary() | {"url": f"/briefing/{made.id}"})
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/snapshots/{made.id}"
    return response


@briefing.get("/api/v1/snapshots/<raw_id>")
def api_get(raw_id: str):
    """One stored snapshot: its summary, and the record exactly as stored."""
    found = visible_snapshot(raw_id)
    if found == "bad_id":
        return json_error(404, f"not a snapshot id: {raw_id[:40]}")
    if found == "not_found":
        return json_error(404, f"no snapshot {raw_id}")
    if found == "forbidden":
        return json_error(403, "outside the viewer's scope")
    return flask.jsonify(found.summary() | {"intact": found.intact, "record": found.record})
