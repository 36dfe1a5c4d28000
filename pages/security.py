"""Web hardening: security headers, a request size cap, and clean answers to bad requests.

Registered on the Flask server by ``pages.web.create_app`` with ``harden(server, ...)``.

The Content-Security-Policy fits a closed network: everything comes from the
app's own origin. Dash needs a few inline parts, allowed as narrowly as works
in Chromium (``tests/test_web_hardening.py`` loads the wall, the status page, a
district page and a briefing in it and collects every CSP violation):

- inline ``<script>`` blocks: Dash's index carries the renderer's start-up
  (``var renderer = new DashRenderer(...)``) and every clientside callback
  given as a string (Dash Pages' own ``document.title`` one); a briefing page
  carries one small script per chart. These are allowed by the SHA-256 of each
  block, computed from the HTML answer itself, never with ``'unsafe-inline'``.
  Dash's ``<script id="_dash-config" type="application/json">`` is data, not
  run, and needs nothing;
- ``style-src 'unsafe-inline'``: plotly.js writes ``<style>`` rules and
  ``style`` attributes as it draws, React sets inline styles, and briefing
  documents carry ``style`` attributes; styles cannot run code;
- ``img-src data:``: AG Grid's theme draws its icons as ``data:`` images;
- no ``'unsafe-eval'``: neither Dash, dash-ag-grid nor plotly.js needs it here.

The briefing's self-contained HTML export inlines plotly.js and its fonts as
``data:`` URLs. It is sent as a download and opened from disk, where no header
follows it; its scripts are hashed like any page's, and an HTML download also
gets ``font-src data:``, so it renders under this policy if a browser shows it
in place.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re

import flask
from dash.exceptions import DependencyException
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ioc.i18n import normalise_lang, t
from ioc.services.container import EXTENSION_KEY

log = logging.getLogger(__name__)

POLICY = (
    "default-src 'self'",
    "script-src 'self'{hashes}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'{fonts}",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    # Walls may show the app inside a page of the same origin; nobody else may frame it.
    "frame-ancestors 'self'",
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# A script's start tag (with its attributes) and its end: the text between is
# what the browser hashes. Found in two steps, not one lazy pattern: a briefing
# export inlines 4 MB of plotly.js, and a lazy ``.*?`` crawls it byte by byte.
SCRIPT_START = re.compile(rb"<script\b([^>]*)>", re.IGNORECASE)
SCRIPT_END = re.compile(rb"</script", re.IGNORECASE)
SCRIPT_SRC = re.compile(rb"(?:^|\s)src\s*=", re.IGNORECASE)
SCRIPT_TYPE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
RUNNABLE = {b"", b"text/javascript", b"application/javascript", b"module"}
SUITES = "/_dash-component-suites/"
CALLBACKS = "/_dash-update-component"


def _callback_shaped() -> bool:
    """Tell whether a callback post has the shape Dash's renderer sends (else Dash raises)."""
    body = flask.request.get_json(silent=True)
    return (
        isinstance(body, dict)
        and isinstance(body.get("output"), str)
        and isinstance(body.get("outputs"), dict | list)
        and isinstance(body.get("inputs"), list)
        and isinstance(body.get("state", []), list)
    )


def harden(server: flask.Flask, *, max_request_bytes: int) -> None:
    """Cap request bodies, answer bad requests and faults cleanly, add security headers.

    Call after every other ``after_request`` hook that rewrites bodies (Flask runs
    them last-registered first): the scripts are hashed before compression.
    """
    server.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    server.before_request(refuse_bad_requests)
    server.register_error_handler(DependencyException, no_such_component)
    server.register_error_handler(Exception, answer_error)
    server.after_request(security_headers)


def _lang() -> str:
    default = "vi"
    services = flask.current_app.extensions.get(EXTENSION_KEY)
    if services is not None:
        default = services.settings.lang
    return normalise_lang(flask.request.args.get("lang"), default)


def _is_api() -> bool:
    path = flask.request.path
    return path.startswith("/api/") or path == "/healthz"


def _plain(text: str, status: int) -> flask.Response:
    response = flask.make_response(text + "\n", status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


def refuse_bad_requests() -> flask.Response | None:
    """Refuse an oversized body before any view reads it, and odd component paths."""
    request = flask.request
    limit = flask.current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        return too_large(limit)
    if request.method == "POST" and request.path == CALLBACKS and not _callback_shaped():
        return _plain("bad callback request: expected a JSON object with output and inputs", 400)
    if request.path.startswith(SUITES):
        # Dash serves only the files it registered; anything with an empty,
        # relative or backslashed segment is not one of them.
        segments = request.path[len(SUITES) :].split("/")
        if any(s in ("", ".", "..") or "\\" in s or ":" in s for s in segments):
            return _plain("not found", 404)
    return None


def too_large(limit: int) -> flask.Response:
    """413 in JSON for the API, in plain text (the viewer's language) elsewhere."""
    if _is_api():
        response = flask.jsonify({"error": "request body too large", "limit_bytes": limit})
        response.status_code = 413
        return response
    return _plain(t("request_too_large", _lang(), kib=limit // 1024), 413)


def no_such_component(_err: DependencyException) -> flask.Response:
    """A component-suites path Dash did not register: 404, not a 500 with a traceback."""
    return _plain("not found", 404)


def answer_error(err: Exception):
    """HTTP errors as they are (413 cleanly); anything else: logged once, a friendly 500."""
    if isinstance(err, RequestEntityTooLarge):
        return too_large(flask.current_app.config["MAX_CONTENT_LENGTH"])
    if isinstance(err, DependencyException):
        return no_such_component(err)
    if isinstance(err, HTTPException):
        return err
    request = flask.request
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=err)
    if _is_api():
        response = flask.jsonify({"error": "internal error"})
        response.status_code = 500
        return response
    lang = _lang()
    if request.path.startswith("/_dash-"):
        return _plain(t("server_error_text", lang), 500)
    title = html.escape(t("server_error_title", lang))
    text = html.escape(t("server_error_text", lang))
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1><p>{text}</p>"
        f'<p><a href="/?lang={lang}">{html.escape(t("app_title", lang))}</a></p>'
        "</main></body></html>"
    )
    response = flask.make_response(page, 500)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _scripts(document: bytes):
    """Each script element's attributes and text."""
    start = SCRIPT_START.search(document)
    while start is not None:
        end = SCRIPT_END.search(document, start.end())
        if end is None:
            return
        yield start.group(1), document[start.end() : end.start()]
        start = SCRIPT_START.search(document, end.end())


def script_hashes(document: bytes) -> list[str]:
    """The CSP source of every runnable inline script in an HTML document, in order."""
    found: list[str] = []
    for attributes, body in _scripts(document):
        if SCRIPT_SRC.search(attributes):
            continue  # loaded from the origin, allowed by 'self'
        kind = SCRIPT_TYPE.search(attributes)
        if kind is not None and kind.group(1).lower() not in RUNNABLE:
            continue  # data blocks (application/json) are never run
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in found:
            found.append(source)
    return found


def content_security_policy(hashes: list[str], *, inline_fonts: bool = False) -> str:
    """The policy, with the given inline scripts (and ``data:`` fonts, if asked) allowed."""
    extra = "".join(f" {h}" for h in hashes)
    return "; ".join(POLICY).format(hashes=extra, fonts=" data:" if inline_fonts else "")


def security_headers(response: flask.Response) -> flask.Response:
    """Add the policy (hashing an HTML answer's inline scripts) and the other headers."""
    hashes: list[str] = []
    html_page = response.mimetype == "text/html"
    if (
        html_page
        and not response.direct_passthrough
        and not response.is_streamed
        and "Content-Encoding" not in response.headers
    ):
        hashes = script_hashes(response.get_data())
    # An HTML download is a self-contained document: its fonts are data: URLs.
    download = html_page and response.headers.get("Content-Disposition", "").startswith("attach")
    response.headers["Content-Security-Policy"] = content_security_policy(
        hashes, inline_fonts=download
    )
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
