"""Signing in and out: the local password form, OpenID Connect, and the open-mode warning.

- ``GET /login``: the form (``local``), or a button to the city's provider (``oidc``),
  in the viewer's language; ``POST /login`` checks the password (rate-limited per
  account and per address: ioc/services/accounts.py) and starts a signed session.
- ``GET /auth/oidc/start`` sends to the provider (authorization code with PKCE, by
  Authlib); ``GET /auth/oidc/callback`` takes the code back, reads the role and the
  districts from the claims ``IOC_OIDC_ROLE_CLAIM`` and ``IOC_OIDC_DISTRICTS_CLAIM``.
- ``POST /logout`` ends the session.

Every POST here passes the same cross-site check as the briefing forms
(pages/briefing/guard.py): its own origin, or the form token.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import quote

import flask
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint

from ioc.access import Role, Viewer, districts_of, highest_role
from ioc.i18n import normalise_lang, t
from ioc.identity import address, sign_in, sign_out
from ioc.notice import message, page
from ioc.scope import viewer
from ioc.services.container import EXTENSION_KEY, get_services
from pages.briefing.guard import CSRF_FIELD, cross_site, csrf_token, set_csrf_cookie

log = logging.getLogger(__name__)
auth = Blueprint("auth", __name__)
OAUTH_KEY = "ioc_oauth"
OPEN_WARNING = (
    "IOC_AUTH=none on %s with IOC_AUTH_ALLOW_OPEN=1: anyone who reaches this address reads "
    "every district and takes snapshots (docs/security.md)"
)
FIELD_MAX = 256


def _lang() -> str:
    return normalise_lang(flask.request.args.get("lang") or flask.request.form.get("lang"),
                          get_services().settings.lang)  # fmt: skip


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only, never another site.

    Control characters are refused too: a browser drops a tab from a URL, so
    ``/<tab>/evil.example`` would become ``//evil.example``.
    """
    if (
        not value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
    ):
        return "/"
    return value[:1000]


@auth.before_request
def _same_site_posts() -> flask.Response | None:
    if flask.request.method == "POST" and cross_site(flask.request) is not None:
        lang = _lang()
        return flask.make_response(
            message(lang, "forbidden_title", "auth_cross_site", [("/login", "sign_in")]), 403
        )
    return None


auth.after_request(set_csrf_cookie)


def _login_page(lang: str, next_url: str, error: str = "", name: str = "", status: int = 200):
    mode = get_services().settings.auth
    other = "en" if lang == "vi" else "vi"
    back = escape(quote(next_url, safe=""))
    switch = (
        f'<a class="notice__lang" lang="{other}" href="/login?lang={other}&amp;next={back}">'
        f"{escape(t('language', lang))}</a>"
    )
    alert = f'<p class="notice__error" role="alert">{escape(error)}</p>' if error else ""
    if mode == "oidc":
        start = f"/auth/oidc/start?lang={lang}&next={quote(next_url, safe='')}"
        form = (f'<p>{escape(t("login_oidc_text", lang))}</p>'
                f'<p><a class="button" href="{escape(start)}">'
                f'{escape(t("login_oidc_button", lang))}</a></p>')  # fmt: skip
    elif mode == "local":
        focus = " autofocus"  # on the name, or on the password when the name is filled in
        form = (
            f'<form method="post" action="/login" class="form">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">'
            f'<input type="hidden" name="lang" value="{lang}">'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            f'<label for="login-name">{escape(t("login_name", lang))}</label>'
            f'<input id="login-name" name="name" autocomplete="username" required '
            f'maxlength="64" value="{escape(name)}"{"" if name else focus}>'
            f'<label for="login-password">{escape(t("login_password", lang))}</label>'
            f'<input id="login-password" name="password" type="password" required '
            f'maxlength="{FIELD_MAX}" autocomplete="current-password"{focus if name else ""}>'
            f'<button type="submit" class="button">{escape(t("sign_in", lang))}</button></form>'
        )
    else:
        said = "login_by_proxy" if mode == "proxy" else "login_not_needed"
        form = (
            f"<p>{escape(t(said, lang))}</p>"
            f'<p><a href="/?lang={lang}">{escape(t("home", lang))}</a></p>'
        )
    response = flask.make_response(
        page(lang, t("login_title", lang), alert + form, top=switch), status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@auth.get("/login")
def login():
    """The sign-in page, in the viewer's language."""
    lang = _lang()
    return _login_page(lang, safe_next(flask.request.args.get("next")))


@auth.post("/login")
def login_post():
    """Check a name and password; start a session or say (without saying which) it failed."""
    lang = _lang()
    form = flask.request.form
    next_url = safe_next(form.get("next"))
    if get_services().settings.auth != "local":
        return _login_page(lang, next_url, t("login_not_local", lang), status=400)
    name = (form.get("name") or "")[:64]
    result = get_services().accounts.sign_in(name, (form.get("password") or "")[:FIELD_MAX],
                                             address())  # fmt: skip
    if result.viewer is None:
        key = "login_throttled" if result.outcome == "throttled" else "login_failed"
        return _login_page(
            lang, next_url, t(key, lang), name, 429 if key == "login_throttled" else 401
        )
    sign_in(result.viewer, epoch=result.epoch)
    return flask.redirect(next_url, 303)


@auth.post("/logout")
def logout():
    """End the session and go back to the sign-in page."""
    lang = _lang()
    who = viewer()
    if who is not None and who.signed_in:
        get_services().accounts.audit(who.name, "logout", who.name, who.via, address())
    sign_out()
    return flask.redirect(f"/login?lang={lang}", 303)


# --- OpenID Connect ------------------------------------------------------------------


@auth.record_once
def _oauth(state: Any) -> None:
    settings = state.app.extensions[EXTENSION_KEY].settings
    if settings.auth != "oidc":
        return
    oauth = OAuth(state.app)
    oauth.register(
        "city",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
    )
    state.app.extensions[OAUTH_KEY] = oauth


def _client() -> Any:
    oauth = flask.current_app.extensions.get(OAUTH_KEY)
    return None if oauth is None else oauth.create_client("city")


@auth.get("/auth/oidc/start")
def oidc_start():
    """Send the browser to the provider, remembering where to come back to."""
    lang = _lang()
    client = _client()
    if client is None:
        return _login_page(lang, "/", t("login_not_oidc", lang), status=404)
    flask.session["oidc_next"] = safe_next(flask.request.args.get("next"))
    flask.session["oidc_lang"] = lang
    try:
        return client.authorize_redirect(flask.url_for("auth.oidc_callback", _external=True))
    except (OAuthError, OSError, ValueError) as err:
        log.warning("OpenID Connect provider unreachable: %s", err)
        return _login_page(lang, "/", t("login_oidc_down", lang), status=502)


def claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (``realm_access.roles``), or None."""
    found: Any = claims
    for part in path.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


def viewer_from_claims(claims: dict[str, Any]) -> Viewer | None:
    """The viewer the provider's claims describe; None without a name or a known role."""
    services = get_services()
    settings = services.settings
    name = claim(claims, settings.oidc_name_claim) or claims.get("sub")
    role = highest_role(claim(claims, settings.oidc_role_claim))
    if not isinstance(name, str) or not name or role is None:
        return None
    raw = claim(claims, settings.oidc_districts_claim)
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",")]
    listed = None
    if isinstance(raw, list):
        listed = frozenset(d for d in raw if isinstance(d, str) and d in services.areas)
    if role is not Role.DISTRICT and not listed:
        listed = None
    return Viewer(name[:120], "oidc", role, districts_of(role, listed))


@auth.get("/auth/oidc/callback")
def oidc_callback():
    """The provider's answer: exchange the code, read the claims, start a session."""
    lang = flask.session.get("oidc_lang") or _lang()
    client = _client()
    if client is None:
        return _login_page(lang, "/", t("login_not_oidc", lang), status=404)
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claim(claims, get_services().settings.oidc_role_claim):
            claims.update(client.userinfo(token=token))
    except (OAuthError, OSError, ValueError) as err:
        log.warning("OpenID Connect sign-in failed: %s", err)
        get_services().accounts.audit("-", "login_failed", "oidc", str(err)[:200], address())
        return _login_page(lang, "/", t("login_oidc_failed", lang), status=401)
    found = viewer_from_claims(claims)
    if found is None:
        who = str(claims.get("preferred_username") or claims.get("sub") or "?")
        get_services().accounts.audit("-", "login_failed", who, "oidc: no role", address())
        return _login_page(lang, "/", t("login_no_role", lang), status=403)
    next_url = safe_next(flask.session.get("oidc_next"))
    sign_in(found)
    get_services().accounts.audit(found.name, "login", found.name, "oidc", address())
    return flask.redirect(next_url, 303)


# --- open to the network on purpose ----------------------------------------------------


def warn_open(response: flask.Response) -> flask.Response:
    """IOC_AUTH_ALLOW_OPEN=1 on a network address: a banner at the top of every page."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    if "Content-Encoding" in response.headers or response.status_code >= 300:
        return response
    body = response.get_data(as_text=True)
    lang = _lang()
    banner = (
        '<div role="alert" class="ioc-open-warning" style="position:sticky;top:0;z-index:9999;'
        "background:#7f1d1d;color:#fff;font:600 18px/1.4 system-ui,sans-serif;padding:8px 16px;"
        f'text-align:center">{escape(t("open_warning", lang))}</div>'
    )
    at = body.find(">", body.find("<body")) + 1 if "<body" in body else 0
    response.set_data(body[:at] + banner + body[at:])
    return response
