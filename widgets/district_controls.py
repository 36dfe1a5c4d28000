"""The district page's controls: tab and range links, the custom range form, CSV links, panels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from dash import dcc, html

from ioc.clock import LOCAL_TZ
from ioc.district_view import RANGES, TABS, DistrictView
from ioc.i18n import t
from ioc.i18n.format import local_stamp
from widgets.mark import mark, mark_word


def tabs(view: DistrictView, lang: str, statuses: Mapping[str, str]) -> html.Nav:
    """The three tabs, as links (a tab is part of the URL), each with its worst status's mark."""
    links = []
    for tab in TABS:
        status = statuses.get(tab, "no_data")
        links.append(
            dcc.Link(
                [mark(status, lang, word=False), html.Span(t(f"tab_{tab}", lang))],
                href=view.href(tab=tab, source=None),
                className="tab" + (" tab--on" if tab == view.tab else ""),
                id=f"district-tab-{tab}",
                title=f"{t(f'tab_{tab}', lang)}: {mark_word(status, lang)}",
            )
        )
    return html.Nav(links, className="tabs", **{"aria-label": t("tabs_label", lang)})


def range_controls(view: DistrictView, lang: str) -> html.Div:
    """Last hour / 24 h / 7 d / 30 d as links, and a custom range form (local dates)."""
    links = [
        dcc.Link(
            t(f"range_{key}", lang),
            href=view.href(range=key, from_=None, to=None),
            className="range" + (" range--on" if key == view.range else ""),
            id=f"district-range-{key}",
        )
        for key in RANGES
    ]
    today = datetime.now(LOCAL_TZ).date()
    first = (view.custom_from or (today - timedelta(days=6)).isoformat())[:10]
    last = (view.custom_to or today.isoformat())[:10]
    form = html.Div(
        [
            html.Span(t("range_custom", lang), className="range-custom-label"
                      + (" range--on" if view.range == "custom" else "")),
            dcc.DatePickerRange(
                id="district-dates", start_date=first, end_date=last,
                max_date_allowed=today.isoformat(), display_format="DD/MM/YYYY",
                first_day_of_week=1, minimum_nights=0, number_of_months_shown=2,
                start_date_placeholder_text=t("range_from", lang),
                end_date_placeholder_text=t("range_to", lang),
            ),
            html.Button(t("range_apply", lang), id="district-apply", n_clicks=0),
            dcc.Location(id="district-nav", refresh="callback-nav"),
        ],
        className="range-form",
        **{"data-dates-label": t("range_custom", lang)},
    )  # fmt: skip
    return html.Div(
        [html.Span(t("range_label", lang), className="range-label"), *links, form],
        className="ranges",
    )


def range_caption(view: DistrictView, lang: str) -> str:
    """ "From … to … (GMT+7)"."""
    return t("range_shown", lang, since=local_stamp(view.since), until=local_stamp(view.until))


def csv_link(view: DistrictView, key: str, lang: str) -> html.A:
    """A link to the CSV file of one table, with the page's range and language."""
    return html.A(
        t("csv", lang),
        href=view.path_with(f"/district/{view.slug}/export/{key}.csv"),
        className="csv-link",
        download=f"{view.slug}-{key}.csv",
        id=f"csv-{key}",
    )


def panel(title: str, body, view: DistrictView, lang: str, key: str | None = None, extra=None):
    """A titled box with its CSV link."""
    head = [html.H2(title)]
    if extra:
        head.append(html.Span(extra, className="dpanel-note"))
    if key:
        head.append(csv_link(view, key, lang))
    return html.Section([html.Div(head, className="dpanel-head"), body], className="dpanel")
