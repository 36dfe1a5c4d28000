"""The signed-in person's bar on the Dash pages: who, in which role, the admin page, sign out.

``app.layout`` is ``shell``: Dash calls it for every page load (``/_dash-layout``),
inside the request, so the bar is the viewer's own. Nobody signed in (the open
mode, a wall screen on its token, a proxy without a user) gets no bar; the wall
hides it (assets/wall.js), so a wall opened by a signed-in person stays clean.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dash
import flask
from dash import html

from ioc.access import Can
from ioc.i18n import normalise_lang, t
from ioc.scope import viewer
from ioc.services.container import get_services


def _lang() -> str:
    """The page's language: the layout is asked for by the page, whose URL says it."""
    query = parse_qs(urlsplit(flask.request.referrer or "").query)
    return normalise_lang((query.get("lang") or [None])[0], get_services().settings.lang)


def account_bar() -> html.Nav | None:
    """The bar for the current request's viewer, or None."""
    if not flask.has_request_context():
        return None
    who = viewer()
    if who is None or who.via not in ("local", "oidc", "proxy") or not who.name:
        return None
    lang = _lang()
    role = t(f"role_{who.role}", lang) if who.role else ""
    parts: list[object] = [html.Span([html.B(who.name), f" · {role}"], className="who")]
    if who.may(Can.ADMINISTER):
        parts.append(html.A(t("admin_link", lang), href=f"/admin?lang={lang}"))
    if who.signed_in:
        parts.append(
            html.Form(
                html.Button(t("sign_out", lang), type="submit"),
                method="post",
                action=f"/logout?lang={lang}",
            )
        )
    return html.Nav(parts, id="ioc-account", className="account-bar",
                    **{"aria-label": t("account_bar", lang)})  # fmt: skip


def shell() -> html.Div:
    """Every Dash page: the account bar (if any) above the page's own content."""
    return html.Div([account_bar(), dash.page_container])
