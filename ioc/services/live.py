"""Live state of the districts: freshness, per-feed aggregates, presence. No Dash here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ioc.areas import Area, AreaCatalogue
from ioc.clock import LOCAL_TZ, iso
from ioc.config import Settings
from ioc.contract import FEEDS, VALUE_FIELDS
from ioc.store import queries
from ioc.store.queries import StoreRow

UPTIME_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Freshness:
    """The staleness rule: no report within factor x the expected interval."""

    factor: float
    intervals: dict[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> Freshness:
        """Build the rule from settings."""
        return cls(settings.stale_factor, {f: settings.expected_interval_s(f) for f in FEEDS})

    def hold(self, feed: str, interval_s: int | None = None) -> timedelta:
        """How long a report stays believable."""
        return timedelta(seconds=self.factor * (interval_s or self.intervals[feed]))

    def is_stale(self, row: StoreRow, now: datetime) -> bool:
        """Tell whether a source's newest reading is too old to show as live."""
        interval = row.interval_s if row.feed == "traffic" else None
        ts: datetime = row.ts
        return now - ts > self.hold(row.feed, interval)


def uptime_seconds(
    reports: Sequence[tuple[datetime, bool]], *, since: datetime, now: datetime, hold: timedelta
) -> tuple[float, float]:
    """Return (seconds up, seconds observed) of one access point in [since, now].

    A report's state holds until the next report, but for at most ``hold``;
    time not covered by a fresh report counts as not up. Observation starts
    at the window's start or at the first report, whichever is later.
    """
    if not reports:
        return 0.0, (now - since).total_seconds()
    up = 0.0
    for index, (ts, is_up) in enumerate(reports):
        following = reports[index + 1][0] if index + 1 < len(reports) else now
        start, end = max(ts, since), min(following, ts + hold, now)
        if is_up and end > start:
            up += (end - start).total_seconds()
    observed_from = max(reports[0][0], since)
    return up, max((now - observed_from).total_seconds(), 0.0)


def _local_date(ts: datetime) -> date:
    return ts.astimezone(LOCAL_TZ).date()


class LiveService:
    """Answers "what is the city's state now" from the store."""

    def __init__(self, settings: Settings, engine: Engine, areas: AreaCatalogue) -> None:
        self.engine = engine
        self.areas = areas
        self.freshness = Freshness.from_settings(settings)

    def overview(
        self, now: datetime, allows: Callable[[str], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Every district (or those ``allows`` lets through) with presence and freshness."""
        with self.engine.connect() as conn:
            rows = queries.latest_by_source(conn)
            presence = queries.statuses(conn)
        by_district: dict[str, list[StoreRow]] = defaultdict(list)
        for row in rows:
            by_district[row.district].append(row)
        result = []
        for area in self.areas.areas:
            if allows is not None and not allows(area.slug):
                continue
            feeds = {}
            for feed in FEEDS:
                feed_rows = [r for r in by_district[area.slug] if r.feed == feed]
                feeds[feed] = self._freshness_block(feed_rows, now)
            result.append({**self._header(area, presence.get(area.slug)), "feeds": feeds})
        return result

    def district(self, slug: str, now: datetime) -> dict[str, Any] | None:
        """One district's live aggregates and sources, or None for an unknown slug."""
        area = self.areas.get(slug)
        if area is None:
            return None
        hold = self.freshness.hold("wifi")
        with self.engine.connect() as conn:
            rows = queries.latest_by_source(conn, district=slug)
            presence = queries.statuses(conn).get(slug)
            history = queries.wifi_history(conn, district=slug, since=now - UPTIME_WINDOW - hold)
        by_feed: dict[str, list[StoreRow]] = defaultdict(list)
        for row in rows:
            by_feed[row.feed].append(row)
        feeds = {
            "traffic": self._traffic(by_feed["traffic"], now),
            "wifi": self._wifi(by_feed["wifi"], history, now),
            "backlog": self._backlog(by_feed["backlog"], now),
        }
        sources = [self._source(row, now) for row in rows]
        return {**self._header(area, presence), "feeds": feeds, "sources": sources}

    # --- pieces ---------------------------------------------------------------

    def _header(self, area: Area, presence: StoreRow | None) -> dict[str, Any]:
        return {
            "district": area.slug,
            "name": {"vi": area.name_vi, "en": area.name_en},
            "kind": area.kind,
            "online": None if presence is None else presence.online,
            "online_since": None if presence is None else iso(presence.since),
        }

    def _freshness_block(self, rows: Iterable[StoreRow], now: datetime) -> dict[str, Any]:
        rows = list(rows)
        fresh = [r for r in rows if not self.freshness.is_stale(r, now)]
        return {
            "as_of": iso(max((r.ts for r in rows), default=None)),
            "stale": not fresh,
            "sources": len(rows),
            "stale_sources": len(rows) - len(fresh),
        }

    def _source(self, row: StoreRow, now: datetime) -> dict[str, Any]:
        return {
            "feed": row.feed,
            "source": row.source,
            "name": row.name,
            "as_of": iso(row.ts),
            "stale": self.freshness.is_stale(row, now),
            "values": {name: getattr(row, name) for name in VALUE_FIELDS[row.feed]},
        }

    def _traffic(self, rows: list[StoreRow], now: datetime) -> dict[str, Any]:
        block = self._freshness_block(rows, now)
        # Only fresh sources count: a silent camera's last count is not today's flow.
        fresh = [r for r in rows if not self.freshness.is_stale(r, now)]
        vehicles = sum(r.vehicles for r in fresh)
        if not fresh:
            speed = None
        elif vehicles:
            speed = sum(r.speed_kmh * r.vehicles for r in fresh) / vehicles
        else:
            speed = sum(r.speed_kmh for r in fresh) / len(fresh)
        per_min = sum(r.vehicles * 60 / r.interval_s for r in fresh) if fresh else None
        return {
            **block,
            "vehicles_per_min": None if per_min is None else round(per_min, 2),
            "avg_speed_kmh": None if speed is None else round(speed, 2),
        }

    def _wifi(self, rows: list[StoreRow], history: list[StoreRow], now: datetime) -> dict[str, Any]:
        block = self._freshness_block(rows, now)
        hold = self.freshness.hold("wifi")
        since = now - UPTIME_WINDOW
        reports: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
        for item in history:
            reports[item.source].append((item.ts, bool(item.up)))
        up_total = observed_total = 0.0
        for row in rows:
            up, observed = uptime_seconds(reports[row.source], since=since, now=now, hold=hold)
            up_total += up
            observed_total += observed
        aps_up = sum(1 for r in rows if r.up and not self.freshness.is_stale(r, now))
        uptime = round(100 * up_total / observed_total, 2) if observed_total else None
        return {**block, "aps_total": len(rows), "aps_up": aps_up, "uptime_pct_24h": uptime}

    def _backlog(self, rows: list[StoreRow], now: datetime) -> dict[str, Any]:
        block = self._freshness_block(rows, now)
        # Pending work does not vanish when a desk goes quiet: every desk's last
        # count stands. "Today" counters count only if reported today (local).
        today = _local_date(now)
        todays = [r for r in rows if _local_date(r.ts) == today]

        def total(rows_: list[StoreRow], name: str) -> int | None:
            if not rows:
                return None
            return sum(getattr(r, name) or 0 for r in rows_)

        return {
            **block,
            "pending": total(rows, "pending"),
            "overdue": total(rows, "overdue"),
            "received_today": total(todays, "received_today"),
            "resolved_today": total(todays, "resolved_today"),
            "resolved_on_time_today": total(todays, "resolved_on_time_today"),
        }
