"""The briefing pages' shell: the language, who may see what, the page frame, refusals.

Shared by the routes and by the checks that run before them (``guard``), so a
refusal looks like every other briefing page (or, under ``/api/``, like every
other API error).
"""

from __future__ import annotations

import flask

from ioc.i18n import normalise_lang, t
from ioc.model.snapshot import StoredSnapshot
from ioc.scope import Scope, viewer_scope
from ioc.services.container import get_services
from widgets.briefing_list import frame, message_body

ID_DIGITS = 12  # the longest snapshot id a URL may name


def request_lang() -> str:
    """The page language: ``?lang=`` when it is vi or en, else the configured default."""
    return normalise_lang(flask.request.args.get("lang"), get_services().settings.lang)


def allowed_scopes(scope: Scope) -> frozenset[str] | None:
    """The snapshot scopes a viewer may see: all (None), or their districts (not the city)."""
    return None if scope.districts is None else frozenset(scope.districts)


def may_see(scope: Scope, snapshot_scope: str) -> bool:
    """Who may take a snapshot is who may see it: one rule for pages, files and the API."""
    allowed = allowed_scopes(scope)
    return allowed is None or snapshot_scope in allowed


def visible_snapshot(raw_id: str) -> StoredSnapshot | str:
    """The snapshot an id from a URL names, when this viewer may see it; else why not:
    ``"bad_id"`` (not an id), ``"not_found"`` or ``"forbidden"`` (outside their scope)."""
    if not raw_id.isdigit() or len(raw_id) > ID_DIGITS:
        return "bad_id"
    found = get_services().briefing.get(int(raw_id))
    if found is None:
        return "not_found"
    if not may_see(viewer_scope(), found.scope):
        return "forbidden"
    return found


def is_api() -> bool:
    """The request is for the JSON API (its answers are JSON, errors included)."""
    return flask.request.path.startswith("/api/")


def page(body: str, lang: str, status: int = 200, title: str = "") -> flask.Response:
    """A whole briefing page around ``body`` (HTML already escaped)."""
    response = flask.make_response(frame(body, lang, title or t("brief_page_title", lang)), status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def message_page(message: str, lang: str, status: int, detail: str = "") -> flask.Response:
    """A page that says one thing (an error, a refusal), with the way back to the list."""
    return page(message_body(message, lang, detail), lang, status)


def json_error(status: int, message: str, **extra: object) -> flask.Response:
    """An API error: ``{"error": message, ...}`` with its status."""
    response = flask.jsonify({"error": message, **extra})
    response.status_code = status
    return response


def refusal(
    status: int,
    key: str,
    *,
    retry_after: int | None = None,
    texts: dict[str, str] | None = None,
    **values: object,
) -> flask.Response:
    """A refusal in the request's form: JSON (English) under /api/, else a page in its language.

    ``key`` names an i18n text, filled with ``values`` and with ``texts`` (i18n keys,
    translated too); the JSON answer names it as ``reason`` as well.
    """

    def say(lang: str) -> str:
        return t(key, lang, **values, **{name: t(k, lang) for name, k in (texts or {}).items()})

    if is_api():
        response = json_error(status, say("en"), reason=key.removeprefix("brief_"))
    else:
        lang = request_lang()
        response = message_page(say(lang), lang, status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
