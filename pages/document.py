"""What every Dash page's document carries: ``<html lang>`` and an honest status.

Dash writes one HTML document for every page path, without ``lang``: screen
readers then read Vietnamese with English rules. The language is the page's
own (``?lang=``, else IOC_LANG); ``assets/lang.js`` keeps it in step when the
browser moves to another page without reloading. A path no page has is
answered 404 (Dash would say 200 and show its 404 page).
"""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Callable
from typing import Any

import dash
import flask

from ioc.i18n import normalise_lang

DASH_DOCUMENT_RULES = ("/", "/<path:path>")


def install(app: dash.Dash, default_lang: str) -> None:
    """Set each page's ``<html lang>`` and the 404 status of unknown pages."""
    write = app.interpolate_index

    def interpolate_index(**parts: Any) -> str:
        document: str = write(**parts)
        lang = default_lang
        if flask.has_request_context():
            lang = normalise_lang(flask.request.args.get("lang"), default_lang)
        opening = f'<html lang="{lang}" data-default-lang="{default_lang}">'
        return document.replace("<html>", opening, 1)

    app.interpolate_index = interpolate_index  # type: ignore[method-assign]
    app.server.after_request(unknown_page_status(page_paths))
    app.server.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon() -> flask.Response:
    """The icon browsers ask for at /favicon.ico on the server-written pages (briefings,
    sign-in), which name none: Dash's own, as on its pages (/_favicon.ico). Without it
    each such page logged a 404 in the browser's console."""
    icon = pkgutil.get_data("dash", "favicon.ico") or b""
    response = flask.Response(icon, mimetype="image/x-icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def page_paths() -> list[re.Pattern[str]]:
    """The registered pages' paths as patterns (``/district/<slug>`` matches one segment)."""
    found = []
    for page in dash.page_registry.values():
        if page["module"].endswith("not_found_404"):
            continue
        path = page.get("path_template") or page["path"]
        pattern = re.sub(r"<[^>]+>", "[^/]+", re.escape(path))  # re.escape keeps < and >
        found.append(re.compile(f"^{pattern}/?$"))
    return found


def unknown_page_status(
    paths: Callable[[], list[re.Pattern[str]]],
) -> Callable[[flask.Response], flask.Response]:
    """An after-request hook: Dash's document for a path no page has is a 404."""

    def hook(response: flask.Response) -> flask.Response:
        request = flask.request
        rule = request.url_rule.rule if request.url_rule is not None else None
        if (
            request.method == "GET"
            and response.status_code == 200
            and response.mimetype == "text/html"
            and rule in DASH_DOCUMENT_RULES
            and not any(p.match(request.path) for p in paths())
        ):
            response.status_code = 404
        return response

    return hook
