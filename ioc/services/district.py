"""One district's drill-down: every source, its history over a range, and why a KPI is what it is.

Everything a district page shows is built here as ``Table``s (named columns,
plain rows with UTC times, ``ioc.model.district``), so the page's grids and
charts, its CSV exports and the JSON API all show the same numbers. No Dash
here. Each tab's tables have their own module (``district_traffic``,
``district_wifi``, ``district_backlog``), the selected source too
(``district_source``).

Where numbers come from, by range (``DistrictView``):
- the header KPIs: the wall's snapshot, so the page and the wall agree;
- per-source figures over the range: raw readings up to 6 h, the hourly
  per-source rollups beyond;
- district series: the per-minute rollups (up to 36 h), their hourly sums beyond;
- outages: the raw up/down reports up to 6 h (exact to the report), the hourly
  rollups beyond (an hour with any "down" report is drawn as down for the
  share of its reports that said so).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.district_view import TAB_FEED, TABS, DistrictView, parse_view
from ioc.model.district import DistrictReport, HeaderKpi, Table
from ioc.model.wall import SHARE_KPIS, WallSnapshot
from ioc.services.district_backlog import services_tables
from ioc.services.district_source import source_detail
from ioc.services.district_traffic import traffic_tables
from ioc.services.district_wifi import wifi_tables
from ioc.services.kpis import KpiCatalogue
from ioc.services.live import Freshness
from ioc.services.metrics import MetricsService
from ioc.services.wall import WallService
from ioc.status import Status, worst
from ioc.store import queries
from ioc.store.queries import StoreRow

HEADER_KPIS = (
    "traffic_flow", "traffic_speed", "wifi_up", "wifi_uptime",
    "backlog_pending", "backlog_overdue", "backlog_on_time",
)  # fmt: skip


class DistrictService:
    """Builds district reports from the store."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        areas: AreaCatalogue,
        kpis: KpiCatalogue,
        wall: WallService,
        metrics: MetricsService,
    ) -> None:
        self.engine = engine
        self.areas = areas
        self.kpis = kpis
        self.wall = wall
        self.metrics = metrics
        self.freshness = Freshness.from_settings(settings)

    def header(self, slug: str, now: datetime | None = None) -> DistrictReport | None:
        """Only the header's numbers (KPIs, presence) of a district, for a refresh."""
        return self.report(parse_view(slug, {}, now=now), now, tables=False)

    def report(
        self, view: DistrictView, now: datetime | None = None, *, tables: bool = True
    ) -> DistrictReport | None:
        """The district page's numbers for a view, or None for an unknown district."""
        area = self.areas.get(view.slug)
        if area is None:
            return None
        now = now or datetime.now(UTC)
        snap = self.wall.snapshot(now)
        state = snap.district(view.slug)
        kpis = tuple(header_kpis(snap, view.slug))
        by_tab = tab_statuses(kpis)
        if not view.tab_asked:
            view = replace(view, tab=worst_tab(by_tab))
        if not tables:
            return DistrictReport(
                view, now, area.name_vi, area.name_en, state.online if state else None,
                state.online_since if state else None, state.status if state else "no_data", kpis,
                tab_status=by_tab,
            )  # fmt: skip
        with self.engine.connect() as conn:
            rows = queries.latest_by_source(conn, district=view.slug)
            if not view.tab_asked and view.source:  # a source named alone opens its own tab
                feeds = {r.feed for r in rows if r.source == view.source}
                tab = next((tab for tab in TABS if TAB_FEED[tab] in feeds), view.tab)
                view = replace(view, tab=tab)
            mine = [r for r in rows if r.feed == view.feed]
            found = self._tab_tables(conn, view, now, mine)
            # Where the tab's sources stand, for those whose messages said so (lat, lon).
            positions = {
                p.source: (p.lat, p.lon)
                for p in queries.source_positions(conn, district=view.slug)
                if p.feed == view.feed
            }
            source = missing = None
            if view.source:
                row = next((r for r in mine if r.source == view.source), None)
                missing = row is None
                if row is not None:
                    source = source_detail(conn, view, now, row, freshness=self.freshness)
        return DistrictReport(
            view=view,
            now=now,
            name_vi=area.name_vi,
            name_en=area.name_en,
            online=state.online if state else None,
            online_since=state.online_since if state else None,
            status=state.status if state else "no_data",
            kpis=kpis,
            tables=found,
            source=source,
            source_missing=bool(missing),
            tab_status=by_tab,
            positions=positions,
        )

    def _tab_tables(
        self, conn: Connection, view: DistrictView, now: datetime, mine: list[StoreRow]
    ) -> dict[str, Table]:
        """The tables of the view's tab, from the newest readings of the tab's sources."""
        if view.tab == "traffic":
            return traffic_tables(conn, view, now, mine, freshness=self.freshness, kpis=self.kpis)
        if view.tab == "wifi":
            return wifi_tables(conn, view, now, mine, freshness=self.freshness)
        return services_tables(
            conn, view, now, mine, freshness=self.freshness, kpis=self.kpis, metrics=self.metrics
        )


def tab_statuses(kpis: tuple[HeaderKpi, ...]) -> dict[str, Status]:
    """Each tab's worst headline status: its feed's KPIs (traffic_…, wifi_…, backlog_…)."""
    return {
        tab: worst(k.status for k in kpis if k.key.startswith(TAB_FEED[tab] + "_")) for tab in TABS
    }


# Which tab a page opens on: the one that needs a look most; a tab with no data at
# all is the last choice (nothing to explain there), the page's order breaks ties.
OPEN_FIRST: dict[str, int] = {
    "alarm": 5, "warn": 4, "stale": 3, "ok": 2, "neutral": 1, "no_data": 0
}  # fmt: skip


def worst_tab(by_tab: dict[str, Status]) -> str:
    """The tab to open when the URL names none: the worst status, then the page's order."""
    return max(
        TABS, key=lambda tab: (OPEN_FIRST.get(by_tab.get(tab, "no_data"), 0), -TABS.index(tab))
    )


def header_kpis(snap: WallSnapshot, slug: str) -> Iterator[HeaderKpi]:
    """A district's headline KPIs from the wall's snapshot, each beside every district's median."""
    state = snap.district(slug)
    for key in HEADER_KPIS:
        judged: list[float] = []
        for district in snap.districts:
            kpi = district.kpis.get(key)
            if kpi is None:
                continue
            figure = kpi.share if key in SHARE_KPIS else kpi.value
            if figure is not None and kpi.status != "stale":
                judged.append(figure)
        median = statistics.median(judged) if judged else None
        kpi = state.kpis.get(key) if state else None
        if kpi is None:
            yield HeaderKpi(key, None, None, "no_data", None, median)
        else:
            yield HeaderKpi(key, kpi.value, kpi.share, kpi.status, kpi.as_of, median, kpi.total)
