"""Who is asking: one request's ``Viewer``, found once from what it carries.

In this order, the first that applies wins:

1. ``Authorization: Bearer <api token>``: another system (any mode; other schemes,
   such as a proxy's Basic, are left alone);
2. ``?token=<wall token>`` in the URL: a wall screen (any mode);
3. the signed session cookie of someone signed in here (``local`` or ``oidc``);
4. ``proxy`` mode: the user, role and scope headers, believed only from an address in
   ``IOC_TRUSTED_PROXIES`` (the same headers from anywhere else are ignored and logged);
5. the wall cookie a screen got with its token (so its calls need no URL token);
6. ``none`` mode: whoever reaches the app sees everything, as before accounts existed
   (``IOC_SCOPE_HEADER`` may still narrow it).

A credential that is presented but not valid (an unknown or revoked token) is not
skipped over: the request has no viewer, and ``problem`` says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any, Literal

import flask
from flask.sessions import SecureCookieSessionInterface

from ioc.access import NAME, Role, Viewer, districts_of, parse_role
from ioc.areas import SLUG
from ioc.config import Settings
from ioc.services.container import get_services

log = logging.getLogger(__name__)
WALL_COOKIE = "ioc_wall"
WALL_COOKIE_DAYS = 400  # the longest a browser keeps a cookie; renewed at every wall load
SESSION_KEYS = ("name", "via", "epoch", "at", "role", "districts")
Problem = Literal["", "withdrawn", "bad_token", "expired"]
_KEY = "ioc_viewer"
_IGNORED_LOGGED: dict[str, float] = {}  # untrusted address -> when its headers were last logged


@dataclass(frozen=True)
class Found:
    """A request's viewer (None: nobody known), and why a presented credential failed."""

    viewer: Viewer | None
    problem: Problem = ""


def address() -> str:
    """The client's address: the connection's, or, when that is a trusted proxy
    (``IOC_TRUSTED_PROXIES``, any mode), the nearest one before it in
    ``X-Forwarded-For`` that is not a trusted proxy itself. Sign-in limits and the
    audit trail count by it, so behind nginx one person's failures lock out one address."""
    request = flask.request
    here = request.remote_addr or "-"
    networks = get_services().settings.trusted_proxies
    if not networks or not _within(here, networks):
        return here[:64]
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([a for a in forwarded if a]):
        if not _within(hop, networks):
            return hop[:64]
    return here[:64]


def _within(text: str, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        found = ip_address(text)
    except ValueError:
        return False
    return any(found in network for network in networks)


def current() -> Found:
    """The viewer of the current request, resolved once and kept for the request."""
    found: Found | None = flask.g.get(_KEY)
    if found is None:
        found = _resolve(get_services().settings)
        flask.g.setdefault(_KEY, found)
    return found


def _resolve(settings: Settings) -> Found:
    request = flask.request
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # other schemes (a proxy's Basic) are not ours to judge
        check = get_services().accounts.check_token(token.strip(), address(), "api")
        return Found(check.viewer, "" if check.viewer else "bad_token")
    asked = request.args.get("token")
    if asked is not None:
        return _wall(asked)
    signed = _session_viewer(settings)
    if signed is not None:
        return signed
    if settings.auth == "proxy":
        proxied = _proxy_viewer(settings)
        if proxied is not None:
            return Found(proxied)
    cookie = request.cookies.get(WALL_COOKIE)
    if cookie:
        return _wall(cookie)
    if settings.auth == "none":
        return Found(_open_viewer(settings))
    return Found(None)


def _wall(token: str) -> Found:
    check = get_services().accounts.check_token(token, address(), "wall")
    return Found(check.viewer, "" if check.viewer else "withdrawn")


def _session_viewer(settings: Settings) -> Found | None:
    session = flask.session
    via = session.get("via")
    if via not in ("local", "oidc") or settings.auth != via:
        return None
    sid = session.get("sid")
    viewer = get_services().accounts.session(sid) if isinstance(sid, str) else None
    if viewer is None or viewer.via != via:
        session.clear()
        return Found(None, "expired")
    return Found(viewer)


def sign_in(viewer: Viewer, *, epoch: int = 0) -> None:
    """Start a signed session for a viewer who proved who they are (local or OIDC)."""
    session = flask.session
    session.clear()
    session.permanent = True
    session.update(via=viewer.via, sid=get_services().accounts.start_session(viewer, epoch))
    flask.g.pop(_KEY, None)


def sign_out() -> None:
    """End this browser's session, on the server too (a copied cookie is worth nothing)."""
    sid = flask.session.get("sid")
    if isinstance(sid, str):
        get_services().accounts.end_session(sid)
    flask.session.clear()
    flask.g.pop(_KEY, None)


def _trusted(settings: Settings) -> bool:
    return _within(flask.request.remote_addr or "", settings.trusted_proxies)


def _proxy_viewer(settings: Settings) -> Viewer | None:
    headers = flask.request.headers
    names = [h for h in (settings.user_header, settings.scope_header, settings.role_header) if h]
    if not _trusted(settings):
        sent = [h for h in names if h in headers]
        if sent:
            _log_ignored(sent)
        return None
    user = (headers.get(settings.user_header) or "").strip() if settings.user_header else ""
    listed = _header_districts(settings.scope_header)
    role = parse_role(headers.get(settings.role_header))
    if role is None:
        if headers.get(settings.role_header):
            return None  # a role we do not know: no access rather than a guess
        role = Role.DISTRICT if listed else Role.LEADER
    if settings.user_header and not NAME.match(user):
        return None
    return Viewer(user or "proxy", "proxy", role, districts_of(role, listed))


def _header_districts(header: str | None) -> frozenset[str] | None:
    if header is None:
        return None
    value = (flask.request.headers.get(header) or "").strip()
    if value == "*":
        return None
    return frozenset(s.strip() for s in value.split(",") if SLUG.match(s.strip()))


def _log_ignored(sent: list[str]) -> None:
    here = address()
    now = time.monotonic()
    if now - _IGNORED_LOGGED.get(here, -3600.0) >= 60:  # once a minute per address
        if len(_IGNORED_LOGGED) > 10_000:
            _IGNORED_LOGGED.clear()
        _IGNORED_LOGGED[here] = now
        log.warning(
            "ignored %s from %s: not a trusted proxy (IOC_TRUSTED_PROXIES)", ", ".join(sent), here
        )


def _open_viewer(settings: Settings) -> Viewer:
    """IOC_AUTH=none: everything, unless the (old) scope header narrows it."""
    if settings.scope_header is None:
        return Viewer.open()
    listed = _header_districts(settings.scope_header)
    if listed is None:
        return Viewer.open()
    return Viewer("", "open", Role.ADMIN, listed)


def remember_wall(response: flask.Response) -> flask.Response:
    """A screen that came with ``?token=`` keeps it in a cookie for its calls and pings."""
    token = flask.request.args.get("token")
    found: Found | None = flask.g.get(_KEY)
    if token and found is not None and found.viewer is not None and found.viewer.is_screen:
        response.set_cookie(
            WALL_COOKIE, token, max_age=WALL_COOKIE_DAYS * 86400, httponly=True,
            samesite="Strict", secure=flask.request.is_secure,
        )  # fmt: skip
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over TLS."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return flask.request.is_secure or super().get_cookie_secure(app)


def session_settings(settings: Settings, key: str) -> dict[str, Any]:
    """The Flask settings of the session cookie: signed, HttpOnly, absolute lifetime."""
    return {
        "SECRET_KEY": key,
        "SESSION_COOKIE_NAME": "ioc_session",
        "SESSION_COOKIE_HTTPONLY": True,
        # Lax, not Strict: the provider's redirect back (a top-level GET from another
        # site) must carry the session that holds the sign-in's state and PKCE verifier.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": int(settings.session_hours * 3600),
    }
