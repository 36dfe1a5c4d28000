"""The one check every route and callback passes: who is asking, what they may do, where.

``ioc/identity.py`` finds the request's ``Viewer`` (``ioc/access.py``); this module
holds it to the request:

- every Flask endpoint is classified in ``ENDPOINTS`` by what it shows or does:
  ``public`` (no district data: code, styles, health, sign-in), ``shell`` (the Dash
  page shell and its plumbing), ``callbacks`` (the pages' data), ``filtered`` (the
  route shows only the viewer's districts), ``district`` (bound to the ``<slug>`` of
  its URL: refused here, before the route runs, when the slug is outside the scope),
  ``snapshot`` (bound to a stored snapshot's scope, which the briefing routes check),
  ``export`` and ``take`` (snapshots: ``Can.SNAPSHOT``) and ``admin``
  (``Can.ADMINISTER``), ``act`` (acknowledge and shelve alarms: ``Can.ACKNOWLEDGE``;
  the route checks the alarm's district). An endpoint missing from the table is
  refused to all but an unlimited administrator, and a test fails until it is classified;
- nobody known: a page sends to the sign-in page, the API answers 401;
- a wall screen (its token) reaches ``/wall``, the shell's plumbing and the wall's
  own callbacks, nothing else; an API token reaches the API and the exports, no page;
- every Dash callback is registered through ``scoped_callback`` and every page
  layout through ``scoped_layout``: they get the scope as their first argument,
  and a callback naming a district outside it is stopped (no update).

A refusal is 401 or 403: JSON on the API, a page in the viewer's language elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import dash
import flask
from dash.exceptions import PreventUpdate
from werkzeug.wrappers import Response as ResponseBase

from ioc.access import Can, Viewer
from ioc.areas import AreaCatalogue
from ioc.i18n import normalise_lang, t
from ioc.identity import Found, current, remember_wall
from ioc.notice import message
from ioc.services.container import get_services

PUBLIC, SHELL, CALLBACKS, FILTERED, DISTRICT, SNAPSHOT, EXPORT, TAKE, ADMIN = (
    "public", "shell", "callbacks", "filtered", "district", "snapshot", "export", "take", "admin"
)  # fmt: skip
ACT = "act"
# Every endpoint of the app, by what it shows or does. Dash's own endpoints serve
# code, the page shell and the callback graph: no district data, the pages' data
# only flows through /_dash-update-component, that is through the callbacks below.
ENDPOINTS: dict[str, str] = {
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    "favicon": PUBLIC,
    "/_dash-layout": SHELL,
    "/_dash-dependencies": SHELL,
    "/_reload-hash": SHELL,
    "/": SHELL,  # the page shell; a page's content comes from its (scoped) layout
    "/<path:path>": SHELL,
    "/_dash-update-component": CALLBACKS,
    "api.healthz": PUBLIC,  # store and broker health: no district in it
    "api.ping": PUBLIC,  # how a wall tells the server is there (and its token still good)
    "api.prometheus_metrics": PUBLIC,  # its own token check (ioc/api.py)
    "api.not_found": PUBLIC,
    "api.ingest_stats": FILTERED,  # counts of the whole stream, not per district
    "api.districts": FILTERED,
    "api.metrics": FILTERED,
    "api.district_live": DISTRICT,
    "api.district_report": DISTRICT,
    "district_export.district_csv": DISTRICT,
    "briefing.briefing_plotly": PUBLIC,  # plotly.js itself
    "briefing.briefing_list": FILTERED,
    "briefing.api_list": FILTERED,
    "briefing.briefing_page": SNAPSHOT,
    "briefing.api_get": SNAPSHOT,
    "briefing.briefing_compare": EXPORT,
    "briefing.briefing_html": EXPORT,
    "briefing.briefing_pdf": EXPORT,
    "briefing.briefing_take": TAKE,
    "briefing.api_take": TAKE,
    "auth.login": PUBLIC,
    "auth.login_post": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.oidc_start": PUBLIC,
    "auth.oidc_callback": PUBLIC,
    "admin.admin_page": ADMIN,
    "admin.admin_post": ADMIN,
    # Alarms: lists show the viewer's districts only; one alarm outside them is a 404.
    "alarms.alarms_page": FILTERED,
    "alarms.alarm_page": FILTERED,
    "alarms.alarm_ack": ACT,
    "alarms.alarm_shelve": ACT,
    "alarms_api.api_list": FILTERED,
    "alarms_api.api_get": FILTERED,
    "alarms_api.api_ack": ACT,
    "alarms_api.api_shelve": ACT,
}
NEEDS = {SHELL: Can.READ, CALLBACKS: Can.READ, FILTERED: Can.READ, DISTRICT: Can.READ,
         SNAPSHOT: Can.READ, EXPORT: Can.SNAPSHOT, TAKE: Can.SNAPSHOT,
         ADMIN: Can.ADMINISTER, ACT: Can.ACKNOWLEDGE}  # fmt: skip
WALL_PATHS = frozenset({"/wall"})  # the only page a wall screen opens
CHECKED = "_ioc_scope_checked"  # set on every callback and layout that passes the check
SCREENS = "_ioc_for_screens"  # set on the callbacks a wall screen may call
_LANG = "IOC_SCOPE_LANG"
R = TypeVar("R")  # what a scoped callback or layout returns


@dataclass(frozen=True)
class Scope:
    """All districts (``districts`` is None) or the named ones (possibly none)."""

    districts: frozenset[str] | None = None

    def allows(self, slug: str) -> bool:
        """Tell whether the viewer may see a district."""
        return self.districts is None or slug in self.districts

    @property
    def limit(self) -> Callable[[str], bool] | None:
        """What services filter districts by: None for every district, else ``allows``."""
        return None if self.districts is None else self.allows

    @classmethod
    def everything(cls) -> Scope:
        """Every district."""
        return cls(None)

    @classmethod
    def only(cls, *slugs: str) -> Scope:
        """Just these districts."""
        return cls(frozenset(slugs))


NOBODY = Scope.only()


class OutOfScope(Exception):
    """The request names a district the viewer may not see."""


def viewer() -> Viewer | None:
    """Who makes the current request (None: nobody known)."""
    return current().viewer


def viewer_scope() -> Scope:
    """The districts of the viewer of the current request (none for nobody)."""
    found = viewer()
    return NOBODY if found is None else Scope(found.districts)


def check_access(slug: object = None) -> Scope:
    """The viewer's scope; refuse (``OutOfScope``) a district outside it.

    The one access check: the request hook, every callback and every layout
    pass through here. ``slug`` is the district the request is bound to, if any.
    """
    scope = viewer_scope()
    if slug is not None and not (isinstance(slug, str) and scope.allows(slug)):
        raise OutOfScope(slug)
    return scope


def install(server: flask.Flask, areas: AreaCatalogue, lang: str) -> None:
    """Check every request of ``server`` against its viewer before its route runs."""
    server.config[_LANG] = lang

    def guard() -> ResponseBase | None:
        endpoint = flask.request.endpoint
        if endpoint is None:  # no route matched: Flask answers 404
            return None
        kind = ENDPOINTS.get(endpoint)
        if kind == PUBLIC:
            return None
        found = current()
        if found.viewer is None:
            return _nobody(found)
        who = found.viewer
        if kind is None:
            if who.may(Can.ADMINISTER) and who.districts is None and not who.is_api:
                return None
            return _refuse(403, "access_unclassified", f"unclassified endpoint {endpoint}")
        if who.is_screen and not (kind == CALLBACKS or _screen_shell(kind)):
            return _refuse(403, "access_screen_only", "a wall token reads its wall only")
        if who.is_api and kind in (SHELL, CALLBACKS, ADMIN):
            return _refuse(403, "access_api_only", "an API token is for the API")
        if not who.may(NEEDS[kind]):
            return _refuse(403, "access_role", f"the role {who.role} may not do this")
        slug = (flask.request.view_args or {}).get("slug")
        if kind == DISTRICT and slug in areas:  # an unknown slug is the route's own 404
            try:
                check_access(slug)
            except OutOfScope:
                return _refuse(
                    403, "access_district", "this district is outside the viewer's scope", slug
                )
        return None

    server.before_request(guard)
    server.after_request(remember_wall)


def _screen_shell(kind: str) -> bool:
    path = flask.request.path
    return kind == SHELL and (path in WALL_PATHS or path.startswith("/_dash-"))


def _lang() -> str:
    return normalise_lang(flask.request.args.get("lang"), flask.current_app.config[_LANG])


def _is_api() -> bool:
    return flask.request.path.startswith("/api/")


def _nobody(found: Found) -> ResponseBase:
    """Nobody known: a withdrawn screen is told so; a page goes to sign in; else 401."""
    request = flask.request
    lang = _lang()
    if found.problem == "withdrawn" and not _is_api():
        if request.path.startswith("/_dash-"):
            return _plain(t("wall_withdrawn_title", lang), 403)
        return flask.make_response(
            message(lang, "wall_withdrawn_title", "wall_withdrawn_text", []), 403
        )
    if _is_api() or request.path.startswith("/_dash-") or request.method != "GET":
        return _refuse(401, "access_sign_in", "sign in, or send a valid API token")
    if get_services().settings.auth in ("local", "oidc"):
        target = request.full_path.rstrip("?")
        return flask.redirect(f"/login?lang={lang}&next={quote(target, safe='')}", 302)
    return _refuse(401, "access_sign_in", "no identity")


def _plain(text: str, status: int) -> flask.Response:
    response = flask.make_response(text + "\n", status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


def _refuse(status: int, key: str, reason: str, slug: str | None = None) -> flask.Response:
    """401 or 403: JSON on the API, a page in the viewer's language elsewhere."""
    if _is_api():
        response = flask.jsonify({"error": reason, **({"slug": slug} if slug else {})})
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="ioc"'
        return response
    lang = _lang()
    if flask.request.path.startswith("/_dash-"):
        return _plain(t(key, lang), status)
    links = [(f"/login?lang={lang}", "sign_in")] if status == 401 else [(f"/?lang={lang}", "home")]
    page = message(lang, "forbidden_title", key, links)
    return flask.make_response(page, status)


def scoped_callback(
    *dependencies: object,
    district: Callable[..., object] | None = None,
    screens: bool = False,
    **options: Any,
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Register a Dash callback that runs only through the access check.

    The function gets the viewer's ``Scope`` first, then the callback's values.
    ``district`` picks, from those values, the district the callback is asked
    about: outside the scope, nothing is updated. ``screens``: a wall screen on
    its token may call it (the wall's own callbacks only).
    """

    def register(function: Callable[..., R]) -> Callable[..., R]:
        def checked(*values: Any) -> R:
            who = viewer()
            if who is None or (who.is_screen and not screens):
                raise PreventUpdate
            try:
                scope = check_access(district(*values) if district else None)
            except OutOfScope:
                raise PreventUpdate from None
            return function(scope, *values)

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(checked, name, getattr(function, name))
        setattr(checked, CHECKED, True)
        setattr(checked, SCREENS, screens)
        return dash.callback(*dependencies, **options)(checked)

    return register


def scoped_layout(function: Callable[..., R] | None = None, *, screens: bool = False) -> Any:
    """Make a page's ``layout`` take the viewer's scope first (positional: no query clash).

    ``screens``: the wall's layout, which a wall screen on its token may open; any
    other layout shows a screen only a refusal.
    """

    def wrap(inner: Callable[..., R]) -> Callable[..., Any]:
        def layout(**query: object) -> Any:
            who = viewer()
            if who is None or (who.is_screen and not screens):
                return dash.html.P(t("access_screen_only", _lang()), className="notice-line")
            return inner(check_access(), **query)

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(layout, name, getattr(inner, name))
        setattr(layout, CHECKED, True)
        setattr(layout, SCREENS, screens)
        return layout

    return wrap(function) if function is not None else wrap
