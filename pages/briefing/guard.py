"""The one check every state-changing briefing request passes: same origin, JSON, not too often.

``protect(blueprint)`` runs :func:`check_state_change` before every request of the
blueprint whose method is not GET, HEAD or OPTIONS, so a POST (PUT, DELETE …) route
added later is covered without anyone remembering to call it.

Cross-site requests (CSRF):

- an ``Origin`` header (every current browser sends one on a POST) must name this
  app's own origin: the request's scheme, host and port, from its ``Host`` header
  (behind a proxy, the Host the browser sent, or ``X-Forwarded-Proto`` /
  ``X-Forwarded-Host`` as the proxy sets them: a browser cannot add those headers
  to a cross-site request without a CORS preflight, which this app never grants);
- with no Origin (or ``Origin: null``), a ``Referer`` must name it instead;
- with neither, the request needs a valid form token (the ``/briefing`` form carries
  one: a random value in a ``SameSite=Strict`` cookie, repeated in a hidden field,
  the "double submit" pattern; no server secret, so any number of web workers
  agree), or must be JSON: the API accepts ``Content-Type: application/json``
  only, and a browser sends that cross-site only after a preflight we refuse.
  So a script (curl, another system) may post JSON with no Origin.

Then taking snapshots is rate-limited per client address (``limits``).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

import flask
from flask import Blueprint

from ioc.identity import address
from ioc.services.container import EXTENSION_KEY
from pages.briefing.limits import RateLimiter
from pages.briefing.page import is_api, refusal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_COOKIE = "ioc_csrf"
CSRF_FIELD = "csrf_token"
TOKEN_CHARS = 43  # secrets.token_urlsafe(32)
LIMITER_KEY = "ioc_snapshot_limiter"
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | None) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, default ports filled in; None when it has none."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def own_origins(request: flask.Request) -> set[tuple[str, str, int]]:
    """The origins this request's own pages have: as received, and as the proxy says."""
    host = request.host
    found = {origin_of(f"{request.scheme}://{host}")}
    proto = (request.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip()
    forwarded_host = (request.headers.get("X-Forwarded-Host") or "").split(",")[0].strip()
    if proto or forwarded_host:
        found.add(origin_of(f"{proto or request.scheme}://{forwarded_host or host}"))
    return {o for o in found if o is not None}


def is_json(request: flask.Request) -> bool:
    """The body is declared JSON (``application/json``, any parameters)."""
    return request.mimetype == "application/json"


def csrf_token() -> str:
    """This browser's form token (made, and set as a cookie after the request, if new)."""
    token = flask.request.cookies.get(CSRF_COOKIE, "")
    if len(token) != TOKEN_CHARS:
        token = flask.g.get("new_csrf") or secrets.token_urlsafe(32)
        flask.g.new_csrf = token
    return token


def token_valid(request: flask.Request) -> bool:
    """The form's token matches the cookie (which another site can neither read nor set)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "") if request.form else ""
    sent = sent or request.headers.get("X-CSRF-Token", "")
    return len(cookie) == TOKEN_CHARS and hmac.compare_digest(cookie, sent)


def cross_site(request: flask.Request) -> str | None:
    """Why this request may come from another site ("origin", "referer", "token": what
    failed), or None when it is this app's own."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return None if origin_of(origin) in own_origins(request) else "origin"
    referer = request.headers.get("Referer")
    if referer and origin != "null":
        return None if origin_of(referer) in own_origins(request) else "referer"
    if is_json(request) or token_valid(request):
        return None
    return "token"


def check_state_change() -> flask.Response | None:
    """The check of every POST, PUT, PATCH and DELETE: None to go on, else the refusal."""
    request = flask.request
    if request.method in SAFE_METHODS:
        return None
    if is_api() and not is_json(request):
        return refusal(415, "brief_json_only")
    why = cross_site(request)
    if why is not None:
        return refusal(403, "brief_cross_site", texts={"why": "brief_why_" + why})
    limiter: RateLimiter = flask.current_app.extensions[LIMITER_KEY]
    wait = limiter.take(address())  # the client's, behind a trusted proxy too
    if wait:
        return refusal(429, "brief_rate_limited", retry_after=wait, seconds=wait)
    return None


def set_csrf_cookie(response: flask.Response) -> flask.Response:
    """Set the form token cookie made during this request, if any."""
    token = flask.g.get("new_csrf")
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict",
                            secure=flask.request.is_secure, path="/")  # fmt: skip
    return response


def protect(blueprint: Blueprint) -> None:
    """Apply the check to every state-changing request of ``blueprint``; set up its limiter."""
    blueprint.before_request(check_state_change)
    blueprint.after_request(set_csrf_cookie)

    @blueprint.record_once
    def _limiter(state) -> None:
        settings = state.app.extensions[EXTENSION_KEY].settings
        state.app.extensions[LIMITER_KEY] = RateLimiter.from_text(settings.snapshot_rate)


def limiter_of(app: flask.Flask) -> RateLimiter:
    """The app's snapshot rate limiter (tests and the operator's curiosity)."""
    return app.extensions[LIMITER_KEY]
