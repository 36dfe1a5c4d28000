"""``/district/<slug>``: one district for the people who must explain its numbers.

Every state is in the URL (``?tab=traffic|wifi|services&range=1h|24h|7d|30d|custom
&from=&to=&source=&lang=``), so a link shows what its sender saw. The header
KPIs refresh in place every 30 s; the tab's figures are those of the moment
the page was opened (their time is shown) until the viewer changes the view
or presses "Refresh".
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, dcc, html

from ioc.areas import AreaCatalogue
from ioc.district_view import DistrictView, parse_view
from ioc.i18n import normalise_lang, t
from ioc.scope import Scope, scoped_callback, scoped_layout
from ioc.services.container import Services, get_services
from widgets.district_alarms import active_alarms, alarms_section
from widgets.district_controls import range_caption, range_controls, tabs
from widgets.district_header import kpi_cards
from widgets.district_page import tab_body
from widgets.mark import mark
from widgets.nav import other_lang, place_href, switch_label

HEADER_REFRESH_MS = 30_000


def _title(slug: str | None = None, **_query) -> str:
    return f"IOC Cần Thơ – {slug or ''}"


dash.register_page(
    __name__, path_template="/district/<slug>", title=_title, name="district"
)  # fmt: skip


@scoped_layout
def layout(scope: Scope, /, slug: str | None = None, **query) -> html.Div:
    """Build the page for the URL's district and parameters, as the viewer's scope allows."""
    services = get_services()
    view = parse_view(slug or "", query, default_lang=services.settings.lang)
    return district_layout(services, view, scope)


def district_layout(services: Services, view: DistrictView, scope: Scope) -> html.Div:
    """The page (or its 404 or 403 answer) for one view and one viewer's scope."""
    lang = view.lang
    areas = services.areas
    if view.slug not in areas:
        return _refusal("not_found_title", t("not_found_district", lang, slug=view.slug[:64]),
                        areas, scope, lang, code=404)  # fmt: skip
    if not scope.allows(view.slug):
        allowed = [a.name(lang) for a in areas.areas if scope.allows(a.slug)]
        message = (
            t("forbidden_district", lang, allowed=", ".join(allowed))
            if allowed
            else t("forbidden_none", lang)
        )
        return _refusal("forbidden_title", message, areas, scope, lang, code=403)
    report = services.district.report(view)
    view = report.view  # the tab the page opens on, when the URL named none
    now = datetime.now(UTC)
    active = services.alarms.active_alarms(district=view.slug)
    alarms = alarms_section(active, services.alarms.history(view.slug, now), lang, now, view.slug)
    notices = list(view.notices)
    if report.source_missing:
        notices.append(t("source_missing", lang, source=view.source))
    return html.Div(
        [
            dcc.Store(id="district-state", data={"slug": view.slug, "lang": lang, "tab": view.tab}),
            dcc.Interval(id="district-tick", interval=HEADER_REFRESH_MS),
            _top_bar(view, lang, services.settings.simulator_enabled),
            html.Header(
                [
                    html.Div(
                        [
                            html.H1(report.name(lang), id="district-name"),
                            html.Span(
                                mark(report.status, lang),
                                className=f"district-status status--{report.status}",
                            ),
                        ],
                        className="title-row",
                    ),
                    html.Div(kpi_cards(report, lang), id="district-kpis"),
                ],
                className="district-header",
            ),  # fmt: skip
            html.Main(
                [
                    alarms,
                    html.Div(
                        [tabs(view, lang, report.tab_status), range_controls(view, lang)],
                        className="controls",
                    ),
                    html.Div(
                        [html.P(notice, className="notice") for notice in notices],
                        id="district-notices",
                        role="status",
                    ),
                    _caption(view, lang),
                    html.Div(
                        tab_body(report, lang, services.wall.kpis.thresholds, areas),
                        id="district-body",
                        className=f"tab-body tab-body--{view.tab}",
                    ),
                ],
            ),  # fmt: skip
        ],
        className="district-page",
        lang=lang,
        **{"data-district": view.slug, "data-tab": view.tab, "data-range": view.range},
    )


def _caption(view: DistrictView, lang: str) -> html.Div:
    """The range shown, a refresh link and the JSON of the same view."""
    return html.Div(
        [
            html.Span(range_caption(view, lang), id="district-range-caption"),
            dcc.Link(t("refresh", lang), href=view.href(), className="refresh-link", refresh=True),
            html.A(t("json", lang), className="json-link",
                   href=view.path_with(f"/api/v1/districts/{view.slug}/report")),
        ],
        className="range-caption",
    )  # fmt: skip


def _top_bar(view: DistrictView, lang: str, demo: bool) -> html.Nav:
    return html.Nav(
        [
            dcc.Link(t("app_title", lang), href=place_href("home", lang), className="top-brand"),
            html.Span(t("demo_label", lang), className="demo-label", hidden=not demo),
            html.Span(className="spacer"),
            html.A(t("back_to_wall", lang), href=place_href("wall", lang)),
            html.A(t("brief_nav", lang), href=place_href("briefing", lang)),
            dcc.Link(switch_label(lang), href=view.href(lang=other_lang(lang)),
                     className="lang-switch", id="district-lang"),
        ],
        className="top-bar",
    )  # fmt: skip


def _refusal(
    title_key: str, message: str, areas: AreaCatalogue, scope: Scope, lang: str, *, code: int
) -> html.Div:
    """A 404 or 403 page in the viewer's language, listing the districts they may open."""
    links = [
        html.Li(dcc.Link(area.name(lang), href=f"/district/{area.slug}?lang={lang}"))
        for area in areas.areas
        if scope.allows(area.slug)
    ]
    return html.Div(
        [
            html.Nav(dcc.Link(t("app_title", lang), href=place_href("home", lang),
                              className="top-brand"), className="top-bar"),
            html.Main(
                [
                    html.P(str(code), className="refusal-code"),
                    html.H1(t(title_key, lang)),
                    html.P(message),
                    html.Ul(links, className="district-links") if links else None,
                ],
                className="refusal",
            ),
        ],
        className="district-page district-page--refusal",
        lang=lang,
        **{"data-code": str(code)},
    )  # fmt: skip


def _slug_of(*values) -> object:
    """The district a callback is about: the slug in its last value, the page's state."""
    state = values[-1]
    return state.get("slug") if isinstance(state, dict) else None


@scoped_callback(
    Output("district-kpis", "children"),
    Input("district-tick", "n_intervals"),
    State("district-state", "data"),
    district=_slug_of,
    prevent_initial_call=True,
)
def refresh_header(_scope: Scope, _n, state):
    """Refresh the header KPIs and the IOC's state in place."""
    found = _district_of(state)
    if found is None:
        return dash.no_update
    services, slug, lang = found
    return kpi_cards(services.district.header(slug, datetime.now(UTC)), lang)


def _district_of(state: object) -> tuple[Services, str, str] | None:
    """The services, district and language a page's stored state names (None: no district)."""
    services = get_services()
    state = state if isinstance(state, dict) else {}
    slug = state.get("slug")
    if not isinstance(slug, str) or slug not in services.areas:
        return None
    return services, slug, normalise_lang(state.get("lang"), services.settings.lang)


@scoped_callback(
    Output("district-nav", "href"),
    Input("district-apply", "n_clicks"),
    State("district-dates", "start_date"),
    State("district-dates", "end_date"),
    State("district-state", "data"),
    district=_slug_of,
    prevent_initial_call=True,
)
def apply_custom_range(_scope: Scope, clicks, start, end, state):
    """Go to the custom range picked (the URL's parsing judges the dates, with a notice)."""
    if not clicks or not isinstance(state, dict):
        return dash.no_update
    query = {"tab": state.get("tab"), "range": "custom", "lang": state.get("lang"),
             "from": (start or "")[:10], "to": (end or "")[:10]}  # fmt: skip
    return f"/district/{state.get('slug')}?{urlencode(query)}"


@scoped_callback(
    Output("district-alarms", "children"),
    Input("district-tick", "n_intervals"),
    State("district-state", "data"),
    district=_slug_of,
    prevent_initial_call=True,
)
def refresh_alarms(_scope: Scope, _n, state):
    """Refresh the district's active alarms in place, with the header."""
    found = _district_of(state)
    if found is None:
        return dash.no_update
    services, slug, lang = found
    return active_alarms(services.alarms.active_alarms(district=slug), lang, datetime.now(UTC))
