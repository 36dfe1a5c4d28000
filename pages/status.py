"""``/``: a plain live status page: each district's presence and feed freshness.

A viewer limited to some districts (ioc/scope.py) sees those districts' rows only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dash
from dash import Input, Output, State, dcc, html

from ioc.i18n import normalise_lang, t
from ioc.i18n.format import local_time
from ioc.scope import Scope, scoped_callback, scoped_layout
from ioc.services.container import get_services
from widgets.nav import place_href, switch_href, switch_label
from widgets.status_table import ingest_summary, status_table

dash.register_page(__name__, path="/", title="IOC Cần Thơ", name="status")

REFRESH_MS = 2000


@scoped_layout
def layout(scope: Scope, /, lang: str | None = None, **_query) -> html.Div:
    """Build the page; a visit gets fresh data straight away."""
    services = get_services()
    lang = normalise_lang(lang, services.settings.lang)
    return html.Div(
        [
            dcc.Store(id="status-lang", data=lang),
            dcc.Interval(id="status-tick", interval=REFRESH_MS),
            html.Header(
                [
                    html.H1(t("app_title", lang)),
                    html.H2(t("status_title", lang)),
                    html.A(
                        switch_label(lang), href=switch_href("/", lang), className="lang-switch"
                    ),
                ],
                className="status-header",
            ),
            html.Div(
                t("demo_label", lang),
                className="demo-label",
                hidden=not services.settings.simulator_enabled,
            ),
            html.Div(render(lang, scope), id="status-body"),
            html.Footer(
                [
                    html.A(t("wall_link", lang), href=place_href("wall", lang)),
                    " · ",
                    html.A(t("brief_page_title", lang), href=place_href("briefing", lang)),
                    " · ",
                    t("api_links", lang),
                    ": ",
                    html.A("/healthz", href="/healthz"),
                    " · ",
                    html.A("/api/v1/districts", href="/api/v1/districts"),
                    " · ",
                    html.A("/api/v1/ingest/stats", href="/api/v1/ingest/stats"),
                ],
                className="status-footer",
            ),
        ],
        className="status-page",
        lang=lang,
    )


def render(lang: str, scope: Scope) -> list:
    """Build the live part of the page from the services, for the viewer's districts."""
    services = get_services()
    now = datetime.now(UTC)
    health, _ = services.ops.health(now)
    return [
        ingest_summary(services.ops.ingest_stats(), health, lang=lang),
        status_table(services.live.overview(now, scope.limit), lang=lang, now=now),
        html.Div(f"{t('updated', lang)} {local_time(now)} (GMT+7)", className="updated"),
    ]


@scoped_callback(
    Output("status-body", "children"),
    Input("status-tick", "n_intervals"),
    State("status-lang", "data"),
    prevent_initial_call=True,
)
def refresh(scope: Scope, _n: int, lang: str) -> list:
    """Refresh the live part."""
    return render(normalise_lang(lang), scope)
