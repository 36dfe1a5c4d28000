"""Which districts a viewer may see, and the one check every route and callback passes.

Access control lives outside the pages. A proxy that knows who the viewer is
puts the allowed districts in a request header (``IOC_SCOPE_HEADER``). Without
the setting, every viewer sees every district.

With it, the viewer's scope is resolved once per request (``check_access``) and:

- every Flask endpoint is classified in ``ENDPOINTS``: ``public`` (no district
  data), ``filtered`` (the route shows only the scope's districts),
  ``district`` (bound to the ``<slug>`` of its URL: refused here, before the
  route runs, when the slug is outside the scope) or ``snapshot`` (bound to a
  stored snapshot's scope, which the briefing routes check with ``_may_see``).
  An endpoint missing from the table is refused to a scoped viewer, and a test
  fails until it is classified;
- every Dash callback is registered through ``scoped_callback`` and every page
  layout through ``scoped_layout``: they get the scope as their first argument,
  and a callback naming a district outside it is stopped (no update).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import dash
import flask
from dash.exceptions import PreventUpdate
from werkzeug.datastructures import Headers

from ioc.areas import SLUG, AreaCatalogue
from ioc.i18n import normalise_lang, t

PUBLIC, FILTERED, DISTRICT, SNAPSHOT, CALLBACKS = (
    "public", "filtered", "district", "snapshot", "callbacks"
)  # fmt: skip
# Every endpoint of the app, by what it shows. Dash's own endpoints serve code,
# the page shell and the callback graph: no district data, the pages' data only
# flows through /_dash-update-component, that is through the callbacks below.
ENDPOINTS: dict[str, str] = {
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_dash-layout": PUBLIC,
    "/_dash-dependencies": PUBLIC,
    "/_reload-hash": PUBLIC,
    "/_favicon.ico": PUBLIC,
    "/": PUBLIC,  # the page shell; a page's content comes from its (scoped) layout
    "/<path:path>": PUBLIC,
    "/_dash-update-component": CALLBACKS,
    "api.healthz": PUBLIC,  # store and broker health: no district in it
    "api.ping": PUBLIC,
    "api.ingest_stats": PUBLIC,  # counts of the whole stream, not per district
    "api.not_found": PUBLIC,
    "api.districts": FILTERED,
    "api.metrics": FILTERED,
    "api.district_live": DISTRICT,
    "api.district_report": DISTRICT,
    "district_export.district_csv": DISTRICT,
    "briefing.briefing_plotly": PUBLIC,
    "briefing.briefing_list": FILTERED,
    "briefing.api_list": FILTERED,
    "briefing.briefing_take": SNAPSHOT,
    "briefing.api_take": SNAPSHOT,
    "briefing.briefing_page": SNAPSHOT,
    "briefing.briefing_compare": SNAPSHOT,
    "briefing.briefing_html": SNAPSHOT,
    "briefing.briefing_pdf": SNAPSHOT,
    "briefing.api_get": SNAPSHOT,
}
CHECKED = "_ioc_scope_checked"  # set on every callback and layout that passes the check
_HEADER = "IOC_SCOPE_HEADER"
_LANG = "IOC_SCOPE_LANG"
_SCOPE = "ioc_scope"
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


def scope_from_headers(header: str | None, headers: Mapping[str, str] | Headers) -> Scope:
    """Read the viewer's scope from the request headers; no header setting means all."""
    if header is None:
        return Scope.everything()
    value = (headers.get(header) or "").strip()
    if value == "*":
        return Scope.everything()
    return Scope.only(*[s.strip() for s in value.split(",") if SLUG.match(s.strip())])


class OutOfScope(Exception):
    """The request names a district the viewer may not see."""


def viewer_scope() -> Scope:
    """The scope of the viewer of the current request (resolved once per request)."""
    scope: Scope | None = flask.g.get(_SCOPE)
    if scope is None:
        header = flask.current_app.config[_HEADER]  # set by install(); missing: fail loudly
        scope = scope_from_headers(header, flask.request.headers)
        flask.g.setdefault(_SCOPE, scope)
    return scope


def check_access(slug: object = None) -> Scope:
    """Resolve the viewer's scope; refuse (``OutOfScope``) a district outside it.

    The one access check: the request hook, every callback and every layout
    pass through here. ``slug`` is the district the request is bound to, if any.
    """
    scope = viewer_scope()
    if slug is not None and not (isinstance(slug, str) and scope.allows(slug)):
        raise OutOfScope(slug)
    return scope


def install(server: flask.Flask, header: str | None, areas: AreaCatalogue, lang: str) -> None:
    """Check every request of ``server`` against the viewer's scope before its route runs."""
    server.config[_HEADER] = header
    server.config[_LANG] = lang

    def guard() -> flask.Response | None:
        endpoint = flask.request.endpoint
        if endpoint is None:  # no route matched: Flask answers 404
            return None
        kind = ENDPOINTS.get(endpoint)
        if kind == PUBLIC:
            return None
        scope = check_access()
        if kind is None and scope.districts is not None:
            return _refuse(f"unclassified endpoint {endpoint}")
        slug = (flask.request.view_args or {}).get("slug")
        if kind == DISTRICT and slug in areas:  # an unknown slug is the route's own 404
            try:
                check_access(slug)
            except OutOfScope:
                return _refuse("this district is outside the viewer's scope", slug)
        return None

    server.before_request(guard)


def _refuse(message: str, slug: str | None = None) -> flask.Response:
    """403: JSON on the API, a line of text in the viewer's language elsewhere."""
    request = flask.request
    if request.path.startswith("/api/"):
        response = flask.jsonify({"error": message, **({"slug": slug} if slug else {})})
    else:
        lang = normalise_lang(request.args.get("lang"), flask.current_app.config[_LANG])
        response = flask.make_response(t("forbidden_title", lang) + "\n")
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.status_code = 403
    return response


def scoped_callback(
    *dependencies: object, district: Callable[..., object] | None = None, **options: Any
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Register a Dash callback that runs only through the access check.

    The function gets the viewer's ``Scope`` first, then the callback's values.
    ``district`` picks, from those values, the district the callback is asked
    about: outside the scope, nothing is updated.
    """

    def register(function: Callable[..., R]) -> Callable[..., R]:
        def checked(*values: Any) -> R:
            try:
                scope = check_access(district(*values) if district else None)
            except OutOfScope:
                raise PreventUpdate from None
            return function(scope, *values)

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(checked, name, getattr(function, name))
        setattr(checked, CHECKED, True)
        return dash.callback(*dependencies, **options)(checked)

    return register


def scoped_layout(function: Callable[..., R]) -> Callable[..., R]:
    """Make a page's ``layout`` take the viewer's scope first (positional: no query clash)."""

    def layout(**query: object) -> R:
        return function(check_access(), **query)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(layout, name, getattr(function, name))
    setattr(layout, CHECKED, True)
    return layout
