"""What the wall shows: city and district KPIs with status and trend, alarms, scene data.

One snapshot per refresh interval, whatever the number of screens (BucketCache) and,
with IOC_REDIS_URL, of web workers (SharedCache); slower aggregates (trends, 24 h
uptime, today's hours) once a minute in each worker, the usual level of each hour
once a day. Nothing here scans raw readings: the newest reading per source
(``latest``) and the per-minute rollups are enough.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from ioc.areas import AreaCatalogue
from ioc.clock import LOCAL_TZ
from ioc.config import Settings
from ioc.model.wall import (
    CITY,
    SHARE_KPIS,
    Alarm,
    ApDown,
    AreaState,
    Congested,
    Kpi,
    WallSnapshot,
)
from ioc.services.cache import BucketCache
from ioc.services.kpis import KpiCatalogue
from ioc.services.live import Freshness
from ioc.services.metrics import MetricsService
from ioc.services.shared_cache import SharedCache, shared_cache
from ioc.services.wall_json import from_json, to_json
from ioc.services.wall_tally import Cutoffs, Stamp, Sums, Tally, utc
from ioc.status import worst
from ioc.store import queries
from ioc.store.queries import HourSums, StoreRow, WallRow
from ioc.store.schema import ROLLUP_SUMS, sqlite_datetime_text
from ioc.telemetry import WALL_SNAPSHOT_BUILD

TREND_MINUTES = 60
# A desk reports every 5 minutes: a 5-minute window sees each desk about once,
# so backlog trends are drawn from 5-minute windows, not single minutes.
BACKLOG_WINDOW = 5
USUAL_DAYS = 28  # "usual at this hour": the mean of the same hour over four weeks
LIST_LENGTH = 8
ONE_MINUTE = timedelta(minutes=1)


# Per feed, summed rollups per minute (per window for backlog); and those per area.
FeedTrends = dict[str, list[dict[str, float]]]
Trends = dict[str, FeedTrends]


@dataclass(frozen=True)
class _Totals:
    district: str
    n: float
    up_n: float


@dataclass(frozen=True)
class _Slow:
    """The aggregates refreshed once a minute."""

    trends: Trends
    uptime: dict[str, StoreRow | _Totals | None]  # 24 h of wifi rollups, per area
    today: dict[str, dict[int, float]]  # today's mean flow per local hour, per area
    wifi_down_hours: tuple[tuple[datetime, float], ...]


def _ratio(part: float | None, whole: float | None, scale: float = 100.0) -> float | None:
    if part is None or not whole:
        return None
    return scale * part / whole


class WallService:
    """Builds wall snapshots from the store, cached per time bucket."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        areas: AreaCatalogue,
        kpis: KpiCatalogue,
        metrics: MetricsService | None = None,
        shared: SharedCache | None = None,
    ) -> None:
        self.metrics = metrics
        self.engine = engine
        self.areas = areas
        self.kpis = kpis
        self.freshness = Freshness.from_settings(settings)
        self.wifi_interval_s = settings.wifi_interval_s
        self.refresh_ms = settings.wall_refresh_ms
        self.cache = BucketCache()
        self.shared = shared or shared_cache(settings)  # across workers (IOC_REDIS_URL)

    def snapshot(self, now: datetime | None = None) -> WallSnapshot:
        """The wall's state for the refresh interval holding ``now``."""
        now = now or datetime.now(UTC)
        bucket = int(now.timestamp() * 1000) // self.refresh_ms
        return self.cache.get("snapshot", bucket, lambda: self._shared_build(bucket, now))

    def _shared_build(self, bucket: int, now: datetime) -> WallSnapshot:
        """This interval's snapshot: built here, or by one worker for all (IOC_REDIS_URL)."""
        if self.shared is None:
            return self._timed_build(now)
        return self.shared.get(
            "snapshot", bucket, lambda: self._timed_build(now), to_json, from_json
        )

    def _timed_build(self, now: datetime) -> WallSnapshot:
        """Build, and tell Prometheus how long it took (ioc_wall_snapshot_build_seconds)."""
        with WALL_SNAPSHOT_BUILD.time():
            return self.build(now)

    # --- building ---------------------------------------------------------------

    def build(self, now: datetime) -> WallSnapshot:
        """Build a snapshot (uncached): one pass over the newest readings, cached aggregates.

        The slower aggregates are refreshed in the background when their minute
        or day turns, so no refresh request waits for them (but the first).
        """
        minute = now.replace(second=0, microsecond=0)
        with self.engine.connect() as conn:
            rows, as_text = queries.latest_for_wall(conn)
            presence = queries.statuses(conn)
        slow = self.cache.get(
            "minute", minute, lambda: self._minute_aggregates(minute), background=True
        )
        local_day = now.astimezone(LOCAL_TZ).date()
        usual = self.cache.get("day", local_day, lambda: self._usual_profile(now), background=True)

        tally = Tally(self.areas.slugs, self._cutoffs(now, as_text), local_day, as_text)
        for row in rows:
            tally.add(row)
        tally.finish()
        local_hour = now.astimezone(LOCAL_TZ).hour
        districts = []
        for area in self.areas.areas:
            status = presence.get(area.slug)
            districts.append(
                self._area_state(
                    area.slug,
                    area.name_vi,
                    area.name_en,
                    tally.sums[area.slug],
                    slow,
                    online=None if status is None else status.online,
                    online_since=None if status is None else status.since,
                    usual=(usual.get(area.slug) or {}).get(local_hour),
                )  # fmt: skip
            )
        city = self._area_state(
            CITY, "Toàn thành phố", "Whole city", tally.city(), slow,
            online=None, online_since=None, usual=(usual.get(CITY) or {}).get(local_hour),
        )  # fmt: skip
        today_by_hour = slow.today.get(CITY, {})
        return WallSnapshot(
            now=now,
            city=city,
            districts=tuple(districts),
            alarms=tuple(self._alarms(districts, now)),
            traffic_today=tuple(
                today_by_hour.get(h) if h <= local_hour else None for h in range(24)
            ),
            traffic_usual=tuple((usual.get(CITY) or {}).get(h) for h in range(24)),
            congested=tuple(self._congested(tally.moving)),
            aps_down=tuple(self._aps_down(tally.down)),
            wifi_down_hours=slow.wifi_down_hours,
            metrics=tuple(self.metrics.current(now)) if self.metrics else (),
        )

    def _cutoffs(self, now: datetime, as_text: bool) -> Cutoffs:
        """The oldest believable report time per feed (traffic: per interval, filled lazily)."""
        shown: Callable[[datetime], Stamp] = (
            sqlite_datetime_text if as_text else (lambda value: value)
        )
        return Cutoffs(
            wifi=shown(now - self.freshness.hold("wifi")),
            backlog=shown(now - self.freshness.hold("backlog")),
            hold=lambda interval: shown(now - self.freshness.hold("traffic", interval)),
        )

    def _area_state(
        self, slug: str, name_vi: str, name_en: str, sums: Sums, slow: _Slow, *,
        online: bool | None, online_since: datetime | None, usual: float | None,
    ) -> AreaState:  # fmt: skip
        trends = slow.trends.get(slug, {})
        kpis: dict[str, Kpi] = {}
        figures: dict[str, float | None] = {"usual_flow": usual}
        self._traffic(sums, trends, kpis)
        self._wifi(sums, trends, slow.uptime.get(slug), kpis, figures)
        self._backlog(sums, trends, kpis, figures)
        # A KPI with nothing to say yet (no_data) does not grey a district whose
        # other KPIs speak; stale, warn and alarm do count.
        known = [k.status for k in kpis.values() if k.status != "no_data"]
        status = worst(known) if known else "no_data"
        return AreaState(slug, name_vi, name_en, online, online_since, kpis, status, figures)

    def _kpi(
        self, key: str, value: float | None, *, stale: bool, as_of: datetime | None,
        trend: Iterable[float | None] = (), total: float | None = None, share: float | None = None,
    ) -> Kpi:  # fmt: skip
        judged = share if key in SHARE_KPIS else value
        status = self.kpis.status(key, judged, stale=stale)
        if status == "no_data" and value is not None:
            status = "ok"  # e.g. nothing resolved yet today: no share to judge, nothing wrong
        found = self.kpis.thresholds.get(key)
        limits = (found.warn, found.alarm) if found else (None, None)
        return Kpi(key, value, status, as_of, tuple(trend), total, share, limits)

    def _traffic(self, sums: Sums, trends: FeedTrends, kpis: dict[str, Kpi]) -> None:
        if not sums.traffic_n:
            return
        stale, as_of = not sums.traffic_fresh, utc(sums.traffic_as_of)
        flow = sums.flow if not stale else None
        if stale:
            speed = None
        elif sums.vehicles:
            speed = sums.speed_x_vehicles / sums.vehicles
        else:
            speed = sums.speed_sum / sums.traffic_fresh
        minutes = trends.get("traffic", [])
        kpis["traffic_flow"] = self._kpi(
            "traffic_flow", flow, stale=stale, as_of=as_of,
            trend=[m["vehicles_per_min"] if m["n"] else None for m in minutes],
        )  # fmt: skip
        kpis["traffic_speed"] = self._kpi(
            "traffic_speed", speed, stale=stale, as_of=as_of,
            trend=[_ratio(m["speed_x_vehicles"], m["vehicles"], 1.0) for m in minutes],
        )  # fmt: skip

    def _wifi(
        self, sums: Sums, trends: FeedTrends,
        uptime: StoreRow | _Totals | None, kpis: dict[str, Kpi], figures: dict[str, float | None],
    ) -> None:  # fmt: skip
        if not sums.wifi_n:
            return
        stale, as_of = not sums.wifi_fresh, utc(sums.wifi_as_of)
        trend = [_ratio(m["up_n"], m["n"]) for m in trends.get("wifi", [])]
        kpis["wifi_up"] = self._kpi(
            "wifi_up", sums.wifi_up, stale=stale, as_of=as_of, trend=trend,
            total=sums.wifi_n, share=_ratio(sums.wifi_up, sums.wifi_n),
        )  # fmt: skip
        kpis["wifi_uptime"] = self._kpi(
            "wifi_uptime", self._uptime(uptime), stale=stale, as_of=as_of, trend=trend
        )
        figures["aps_down"] = sums.wifi_n - sums.wifi_up

    def _uptime(self, totals: StoreRow | _Totals | None) -> float | None:
        """Share of the last 24 h's access point reports that said "up", in %.

        Counted from the per-minute rollups (never the raw readings). A gap in
        the reports, such as the ingestor being stopped, neither raises nor
        lowers it: silence is shown as stale, not as an outage.
        """
        if totals is None or not totals.n:
            return None
        return 100.0 * float(totals.up_n or 0) / float(totals.n)

    def _backlog(
        self, sums: Sums, trends: FeedTrends, kpis: dict[str, Kpi],
        figures: dict[str, float | None],
    ) -> None:  # fmt: skip
        if not sums.backlog_n:
            return
        stale = not sums.backlog_fresh
        as_of = utc(sums.backlog_as_of)
        windows = trends.get("backlog", [])
        desks = sums.backlog_n
        pending, overdue = sums.pending, sums.overdue
        kpis["backlog_pending"] = self._kpi(
            "backlog_pending", pending, stale=stale, as_of=as_of,
            trend=[_ratio(w["pending"], w["n"], desks) for w in windows],
        )  # fmt: skip
        kpis["backlog_overdue"] = self._kpi(
            "backlog_overdue", overdue, stale=stale, as_of=as_of,
            trend=[_ratio(w["overdue"], w["pending"]) for w in windows],
            share=_ratio(overdue, pending) if pending else 0.0,
        )  # fmt: skip
        kpis["backlog_on_time"] = self._kpi(
            "backlog_on_time", sums.resolved, stale=stale, as_of=as_of,
            trend=[_ratio(w["resolved_on_time_today"], w["resolved_today"]) for w in windows],
            share=_ratio(sums.on_time, sums.resolved),
        )  # fmt: skip
        figures["received_today"] = sums.received
        figures["resolved_today"] = sums.resolved
        has_hotline = sums.hotline_n > 0
        figures["hotline_pending"] = sums.hotline_pending if has_hotline else None
        figures["hotline_overdue"] = sums.hotline_overdue if has_hotline else None
        figures["hotline_received"] = sums.hotline_received
        figures["hotline_resolved"] = sums.hotline_resolved

    def _alarms(self, districts: list[AreaState], now: datetime) -> list[Alarm]:
        found: list[Alarm] = []
        for district in districts:
            if district.online is False:
                found.append(
                    Alarm(district.slug, "offline", "ioc", "alarm", since=district.online_since)
                )
            stale_feeds: set[str] = set()
            for kpi in district.kpis.values():
                if kpi.status in ("alarm", "warn"):
                    value = kpi.share if kpi.share is not None else kpi.value
                    found.append(Alarm(district.slug, "kpi", kpi.key, kpi.status, value, kpi.as_of))
                elif kpi.status == "stale":
                    feed = kpi.key.split("_")[0]
                    if feed not in stale_feeds:
                        stale_feeds.add(feed)
                        found.append(Alarm(district.slug, "stale", feed, "stale", since=kpi.as_of))
        order = {d.slug: i for i, d in enumerate(districts)}
        found.sort(key=lambda a: (-a.severity, order[a.district]))
        return found

    def _congested(self, moving: list[WallRow]) -> list[Congested]:
        slowest = heapq.nsmallest(
            LIST_LENGTH, moving, key=lambda r: (r.speed_kmh, -(r.occupancy or 0))
        )
        return [
            {
                "district": r.district,
                "name": r.name or r.source,
                "speed_kmh": r.speed_kmh,
                "occupancy": r.occupancy,
                "status": self.kpis.status("traffic_speed", r.speed_kmh, stale=False),
                "as_of": r.ts,
            }
            for r in slowest
        ]

    def _aps_down(self, down: list[WallRow]) -> list[ApDown]:
        longest = heapq.nsmallest(2 * LIST_LENGTH, down, key=lambda r: r.state_since or r.ts)
        return [
            {"district": r.district, "name": r.name or r.source, "since": r.state_since or r.ts}
            for r in longest  # two columns on the wifi scene
        ]

    # --- slower aggregates ------------------------------------------------------

    def _minute_aggregates(self, minute: datetime) -> _Slow:
        """Trends (last hour), 24 h wifi uptime and outages, today's traffic by hour."""
        since = minute - timedelta(minutes=TREND_MINUTES)
        day_start = (
            minute.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        ).astimezone(UTC)
        with self.engine.connect() as conn:
            recent = queries.rollup_minutes(conn, since=since, until=minute)
            uptime = queries.rollup_totals(
                conn, feed="wifi", since=minute - timedelta(hours=24), until=minute + ONE_MINUTE
            )
            today = queries.rollup_hours(
                conn, feed="traffic", since=day_start, until=minute + ONE_MINUTE
            )
            wifi_hours = queries.rollup_hours(
                conn, feed="wifi", since=minute - timedelta(hours=23, minutes=minute.minute),
                until=minute,
            )  # fmt: skip
        return _Slow(
            trends=_trends(recent, since, self.areas.slugs),
            uptime={**{r.district: r for r in uptime}, CITY: _city_totals(uptime)},
            today=_hourly_flow(today, days=None),
            wifi_down_hours=_down_hours(wifi_hours, self.areas.slugs, self.wifi_interval_s),
        )

    def _usual_profile(self, now: datetime) -> dict[str, dict[int, float]]:
        """Mean traffic flow per local hour over the previous four weeks, per district and city."""
        day_start = (
            now.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        ).astimezone(UTC)
        with self.engine.connect() as conn:
            hours = queries.rollup_hours(
                conn, feed="traffic", since=day_start - timedelta(days=USUAL_DAYS), until=day_start
            )
        return _hourly_flow(hours, days=USUAL_DAYS)


# --- pure helpers (tested directly) -----------------------------------------------


def _trends(rows: list[StoreRow], since: datetime, slugs: frozenset[str]) -> Trends:
    """Per area and feed, a list of summed rollups per minute (per window for backlog)."""
    zero = dict.fromkeys(ROLLUP_SUMS, 0.0)
    minutes = [since + timedelta(minutes=i) for i in range(TREND_MINUTES)]
    sums: dict[tuple[str, str, datetime], dict[str, float]] = {}
    for row in rows:
        if row.district not in slugs:
            continue
        for area in (row.district, CITY):
            bucket = sums.setdefault((area, row.feed, row.minute), dict(zero))
            for name in ROLLUP_SUMS:
                bucket[name] += getattr(row, name) or 0.0
    trends: Trends = defaultdict(dict)
    for area in (*slugs, CITY):
        for feed in ("traffic", "wifi"):
            trends[area][feed] = [sums.get((area, feed, m), zero) for m in minutes]
        windows = []
        for start in range(0, TREND_MINUTES, BACKLOG_WINDOW):
            window = dict(zero)
            for m in minutes[start : start + BACKLOG_WINDOW]:
                for name, value in sums.get((area, "backlog", m), zero).items():
                    window[name] += value
            windows.append(window)
        trends[area]["backlog"] = windows
    return trends


def _city_totals(rows: list[StoreRow]) -> _Totals | None:
    if not rows:
        return None
    return _Totals(CITY, sum(r.n or 0 for r in rows), sum(r.up_n or 0 for r in rows))


def _hourly_flow(hours: list[HourSums], *, days: int | None) -> dict[str, dict[int, float]]:
    """Mean vehicles/min per local hour of day, per district and for the city (summed)."""
    per_hour: dict[tuple[str, datetime], float] = defaultdict(float)
    for district, hour, minutes, sums in hours:
        flow = sums["vehicles_per_min"] / minutes if minutes else 0.0
        per_hour[(district, hour)] += flow
        per_hour[(CITY, hour)] += flow
    collected: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (area, hour), flow in per_hour.items():
        collected[area][hour.astimezone(LOCAL_TZ).hour].append(flow)
    return {
        area: {h: sum(values) / len(values) for h, values in by_hour.items()}
        for area, by_hour in collected.items()
    }


def _down_hours(
    hours: list[HourSums], slugs: frozenset[str], interval_s: int
) -> tuple[tuple[datetime, float], ...]:
    """Mean number of access points down in each of the last 24 hours, city-wide."""
    down: dict[datetime, float] = defaultdict(float)
    for district, hour, minutes, sums in hours:
        if district in slugs and minutes:
            # Reports per minute per AP = 60 / interval; down reports / that = APs down.
            per_minute = (sums["n"] - sums["up_n"]) / minutes
            down[hour] += per_minute * interval_s / 60
    return tuple(sorted(down.items()))
