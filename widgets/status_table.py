"""The live status table: one row per district, one cell per feed. Data in, components out."""

from __future__ import annotations

from datetime import datetime

from dash import html

from ioc.i18n import t
from ioc.i18n.format import age_text, local_time, number
from widgets.mark import mark

FEED_KEYS = ("traffic", "wifi", "backlog")


def _badge(state: str, lang: str, ok_key: str = "online") -> html.Span:
    """The page's one mark (widgets/mark.py): shape, colour and word, never colour alone."""
    status = {"ok": "ok", "stale": "stale", "offline": "offline"}.get(state, "no_data")
    word = {"ok": ok_key, "stale": "stale", "offline": "offline", "unknown": "unknown"}
    return html.Span(mark(status, lang, text=t(word.get(state, "no_data"), lang)),
                     className=f"badge {state}")  # fmt: skip


def _feed_cell(feed: dict, lang: str, now: datetime) -> html.Td:
    if not feed["sources"]:
        return html.Td(_badge("no_data", lang), className="feed no_data")
    state = "stale" if feed["stale"] else "ok"
    as_of = datetime.fromisoformat(feed["as_of"].replace("Z", "+00:00"))
    when = f"{t('as_of', lang)} {local_time(as_of)}"
    if feed["stale"]:
        when += f" ({age_text((now - as_of).total_seconds(), lang)})"
    fresh = feed["sources"] - feed["stale_sources"]
    return html.Td(
        [
            _badge(state, lang, "live"),
            html.Div(f"{fresh}/{feed['sources']} {t('sources', lang)}", className="count"),
            html.Div(when, className="as-of"),
        ],
        className=f"feed {state}",
    )


def status_table(overview: list[dict], *, lang: str, now: datetime) -> html.Table:
    """Build the table of districts with presence and per-feed freshness."""
    head = html.Tr(
        [html.Th(t("district", lang)), html.Th(t("district_ioc", lang))]
        + [html.Th(t(feed, lang)) for feed in FEED_KEYS]
    )
    rows = []
    for district in overview:
        online = district["online"]
        presence = "unknown" if online is None else ("ok" if online else "offline")
        rows.append(
            html.Tr(
                [
                    html.Td(
                        html.A(
                            district["name"][lang],
                            href=f"/district/{district['district']}?lang={lang}",
                        ),
                        className="district-name",
                    ),
                    html.Td(_badge(presence, lang), className=f"presence {presence}"),
                    *[_feed_cell(district["feeds"][f], lang, now) for f in FEED_KEYS],
                ],
                id={"type": "status-row", "district": district["district"]},
            )
        )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="status-table")


def ingest_summary(stats: dict, health: dict, *, lang: str) -> html.Div:
    """Build the line of ingest counters and the broker link state."""
    connected = health["mqtt"]["connected"]
    link = _badge("ok" if connected else "offline", lang, "connected")
    items = [
        (t("received", lang), stats["received"]),
        (t("accepted", lang), stats["accepted"]),
        (t("duplicates", lang), stats["duplicates"]),
        (t("rejected", lang), stats["rejected"]),
    ]
    return html.Div(
        [
            html.Span([t("broker", lang), ": ", link], className="link"),
            *[
                html.Span([html.B(number(value, lang)), " ", label], className="counter")
                for label, value in items
            ],
        ],
        className="ingest-summary",
    )
