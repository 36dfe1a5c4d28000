"""The page for an address no page has: in the viewer's language, with the way back.

Dash Pages shows a module named ``not_found_404`` for any unknown path (its
own default is an English-only heading); ``pages/web.py`` answers such paths
with status 404.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from ioc.i18n import normalise_lang, t
from ioc.scope import Scope, scoped_layout
from ioc.services.container import get_services
from widgets.nav import place_href

dash.register_page(__name__, path="/404", title="IOC Cần Thơ")


@scoped_layout
def layout(_scope: Scope, lang: str | None = None, **_query: object) -> html.Div:
    """The 404 page: what happened, and links to the live status page and the wall.

    Through the one access check like every page (it shows no data, but a wall screen's
    token gets the screen-only notice here too)."""
    lang = normalise_lang(lang, get_services().settings.lang)
    return html.Div(
        [
            html.Nav(
                dcc.Link(
                    t("app_title", lang), href=place_href("home", lang), className="top-brand"
                ),
                className="top-bar",
            ),  # fmt: skip
            html.Main(
                [
                    html.P("404", className="refusal-code"),
                    html.H1(t("not_found_title", lang)),
                    html.P(t("not_found_page", lang)),
                    html.Ul(
                        [
                            html.Li(
                                dcc.Link(t("status_title", lang), href=place_href("home", lang))
                            ),
                            html.Li(dcc.Link(t("wall_link", lang), href=place_href("wall", lang))),
                        ]
                    ),
                ],
                className="refusal",
            ),
        ],
        # The district page's look (assets/district.css), as for its own 404 and 403.
        className="district-page district-page--refusal",
        **{"data-code": "404"},
    )
