"""One district's drill-down: every source, its history over a range, and why a KPI is what it is.

Everything a district page shows is built here as ``Table``s (named columns,
plain rows with UTC times), so the page's grids and charts, its CSV exports
and the JSON API all show the same numbers. No Dash here.

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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Row

from ioc.areas import AreaCatalogue
from ioc.clock import LOCAL_TZ, iso
from ioc.config import Settings
from ioc.contract import VALUE_FIELDS, topic_for
from ioc.district_view import DistrictView, parse_view
from ioc.i18n.format import local_name
from ioc.model.wall import SHARE_KPIS
from ioc.services.kpis import KpiCatalogue
from ioc.services.live import Freshness
from ioc.services.metrics import MetricsService
from ioc.services.wall import WallService
from ioc.status import Status, worst
from ioc.store import queries

HEADER_KPIS = (
    "traffic_flow", "traffic_speed", "wifi_up", "wifi_uptime",
    "backlog_pending", "backlog_overdue", "backlog_on_time",
)  # fmt: skip
HEATMAP_DAYS = 7  # the day x hour map shows at least a week, so a weekday pattern shows
MINUTE_SERIES_SPAN = timedelta(hours=36)
DAILY_SPAN = timedelta(hours=48)  # longer ranges count intake per day, shorter per hour
WORST_COUNT = 5
REJECTIONS_SHOWN = 20
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Column:
    """One column of a table: its key, its heading (an i18n key) and how to show it."""

    key: str
    label: str
    kind: str = "text"  # text, int, num1, num2, pct, time, date, hour, status, bool, link


@dataclass(frozen=True)
class Table:
    """Named columns and plain rows: one grid, chart or CSV file of a district page."""

    key: str
    columns: tuple[Column, ...]
    rows: list[dict]

    def as_json(self) -> dict:
        """The API's shape: columns and rows, times in RFC 3339 UTC."""
        return {
            "columns": [c.key for c in self.columns],
            "rows": [{k: _jsonable(v) for k, v in row.items()} for row in self.rows],
        }


def _jsonable(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


@dataclass(frozen=True)
class HeaderKpi:
    """One headline KPI of the district beside the median of every district."""

    key: str
    value: float | None
    share: float | None
    status: Status
    as_of: datetime | None
    median: float | None  # of the judged figure (the share where there is one)
    total: float | None = None

    @property
    def judged(self) -> float | None:
        """The figure the thresholds and the median speak of."""
        return self.share if self.key in SHARE_KPIS else self.value

    def as_json(self) -> dict:
        """The API's shape."""
        return {
            "key": self.key,
            "value": self.value,
            "share": None if self.share is None else round(self.share, 3),
            "status": self.status,
            "as_of": iso(self.as_of),
            "city_median": None if self.median is None else round(self.median, 3),
            "total": self.total,
        }


@dataclass(frozen=True)
class SourceDetail:
    """One source: its newest reading, its history over the range, the messages refused."""

    feed: str
    source: str
    name: str
    topic: str
    latest: dict | None
    history: Table
    rejected: int
    rejections: Table

    def as_json(self) -> dict:
        """The API's shape."""
        latest = None
        if self.latest is not None:
            latest = {k: _jsonable(v) for k, v in self.latest.items()}
        return {
            "feed": self.feed,
            "source": self.source,
            "name": self.name,
            "topic": self.topic,
            "latest": latest,
            "history": self.history.as_json(),
            "rejected": self.rejected,
            "rejections": self.rejections.as_json(),
        }


@dataclass(frozen=True)
class DistrictReport:
    """Everything one district page shows for one view."""

    view: DistrictView
    now: datetime
    name_vi: str
    name_en: str
    online: bool | None
    online_since: datetime | None
    status: Status
    kpis: tuple[HeaderKpi, ...]
    tables: dict[str, Table] = field(default_factory=dict)
    source: SourceDetail | None = None
    source_missing: bool = False  # the URL named a source this district does not have

    def name(self, lang: str) -> str:
        """The district's name in a language."""
        return local_name(self, lang)

    def kpi(self, key: str) -> HeaderKpi | None:
        """One headline KPI, or None."""
        return next((k for k in self.kpis if k.key == key), None)

    def as_json(self) -> dict:
        """The API's shape: the same numbers the page shows."""
        view = self.view
        return {
            "district": view.slug,
            "name": {"vi": self.name_vi, "en": self.name_en},
            "online": self.online,
            "online_since": iso(self.online_since),
            "status": self.status,
            "now": iso(self.now),
            "tab": view.tab,
            "range": {"key": view.range, "since": iso(view.since), "until": iso(view.until)},
            "kpis": [k.as_json() for k in self.kpis],
            "tables": {key: table.as_json() for key, table in self.tables.items()},
            "source": None if self.source is None else self.source.as_json(),
            "notices": list(view.notices),
        }


def _div(part: float | None, whole: float | None, scale: float = 1.0) -> float | None:
    if part is None or not whole:
        return None
    return scale * part / whole


def local_day_start(ts: datetime) -> datetime:
    """The UTC instant of the local midnight that starts ``ts``'s local day."""
    local = ts.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def floor_to(ts: datetime, width: timedelta) -> datetime:
    """Floor a UTC time to a multiple of ``width`` (minutes or hours; UTC+7 keeps them local)."""
    seconds = int(width.total_seconds())
    stamp = int(ts.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


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
        kpis = tuple(self._header_kpis(snap, view.slug))
        if not tables:
            return DistrictReport(
                view, now, area.name_vi, area.name_en, state.online if state else None,
                state.online_since if state else None, state.status if state else "no_data", kpis,
            )  # fmt: skip
        with self.engine.connect() as conn:
            rows = queries.latest_by_source(conn, district=view.slug)
            mine = [r for r in rows if r.feed == view.feed]
            found = {
                "traffic": self._traffic,
                "wifi": self._wifi,
                "services": self._services,
            }[view.tab](conn, view, now, mine)
            source = missing = None
            if view.source:
                row = next((r for r in mine if r.source == view.source), None)
                missing = row is None
                if row is not None:
                    source = self._source(conn, view, now, row)
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
        )

    # --- header ---------------------------------------------------------------------

    def _header_kpis(self, snap, slug: str):
        state = snap.district(slug)
        for key in HEADER_KPIS:
            judged = []
            for district in snap.districts:
                kpi = district.kpis.get(key)
                figure = None if kpi is None else (kpi.share if key in SHARE_KPIS else kpi.value)
                if figure is not None and kpi.status != "stale":
                    judged.append(figure)
            median = statistics.median(judged) if judged else None
            kpi = state.kpis.get(key) if state else None
            if kpi is None:
                yield HeaderKpi(key, None, None, "no_data", None, median)
            else:
                yield HeaderKpi(key, kpi.value, kpi.share, kpi.status, kpi.as_of, median, kpi.total)

    # --- traffic --------------------------------------------------------------------

    def _traffic(self, conn, view: DistrictView, now: datetime, cams: list[Row]) -> dict:
        totals = queries.source_totals(
            conn, district=view.slug, feed="traffic", since=view.since, until=view.until,
            raw=view.raw,
        )  # fmt: skip
        rows = []
        for r in cams:
            stale = self.freshness.is_stale(r, now)
            sums = totals.get(r.source, {})
            rows.append(
                {
                    "source": r.source,
                    "name": r.name or r.source,
                    "flow": _div(r.vehicles * 60, r.interval_s),
                    "speed": r.speed_kmh,
                    "occupancy": None if r.occupancy is None else 100 * r.occupancy,
                    "status": self.kpis.status("traffic_speed", r.speed_kmh, stale=stale),
                    "as_of": r.ts,
                    "flow_avg": _div(sums.get("vehicles_per_min"), sums.get("n")),
                    "speed_avg": _div(sums.get("speed_x_vehicles"), sums.get("vehicles"))
                    if sums.get("vehicles")
                    else _div(sums.get("speed"), sums.get("n")),
                    # A camera that does not measure occupancy has none, not 0 %.
                    "occupancy_avg": None
                    if r.occupancy is None
                    else _div(sums.get("occupancy"), sums.get("n"), 100.0),
                    "reports": int(sums.get("n", 0)),
                }
            )
        rows.sort(key=lambda row: row["name"])
        # One read of the hourly sums serves the heat map and (for long ranges) the series.
        heat_since = local_day_start(min(view.since, view.until - timedelta(days=HEATMAP_DAYS - 1)))
        hours = queries.rollup_hours(
            conn, feed="traffic", since=heat_since, until=view.until, district=view.slug
        )
        ranked = [row for row in rows if row["speed_avg"] is not None]
        ranked.sort(key=lambda row: (row["speed_avg"], -(row["occupancy_avg"] or 0)))
        return {
            "traffic_sources": Table("traffic_sources", TRAFFIC_SOURCE_COLUMNS, rows),
            "traffic_series": Table(
                "traffic_series",
                TRAFFIC_SERIES_COLUMNS,
                self._traffic_series(conn, view, now, hours),
            ),
            "traffic_heatmap": Table(
                "traffic_heatmap", HEATMAP_COLUMNS, self._heatmap(view, heat_since, hours)
            ),
            "traffic_worst": Table("traffic_worst", TRAFFIC_WORST_COLUMNS, ranked[:WORST_COUNT]),
        }

    def _buckets(
        self, conn, view: DistrictView, feed: str, hours: list | None = None
    ) -> tuple[list[datetime], dict]:
        """Bucket starts over the range, and per bucket the summed rollups and minutes seen."""
        width = view.bucket
        first = floor_to(view.since, width)
        starts = []
        at = first
        while at < view.until:
            starts.append(at)
            at += width
        sums: dict[datetime, dict[str, float]] = {}
        if view.span <= MINUTE_SERIES_SPAN:
            rows = queries.district_minutes(
                conn, district=view.slug, feed=feed, since=first, until=view.until
            )
            for row in rows:
                bucket = sums.setdefault(floor_to(row.minute, width), defaultdict(float))
                bucket["minutes"] += 1
                for name in queries.ROLLUP_SUMS:
                    bucket[name] += getattr(row, name) or 0.0
        else:
            if hours is None:
                hours = queries.rollup_hours(
                    conn, feed=feed, since=first, until=view.until, district=view.slug
                )
            for _district, hour, minutes, values in hours:
                if hour < first:
                    continue
                bucket = sums.setdefault(hour, defaultdict(float))
                bucket["minutes"] += minutes
                for name, value in values.items():
                    bucket[name] += value
        return starts, sums

    def _traffic_series(self, conn, view: DistrictView, now: datetime, hours) -> list[dict]:
        starts, sums = self._buckets(conn, view, "traffic", hours)
        minutes = view.bucket.total_seconds() / 60
        rows = []
        for start in starts:
            bucket = sums.get(start)
            if not bucket or not bucket["n"]:
                rows.append({"time": start, "flow": None, "speed": None, "reports": 0})
                continue
            # Vehicles counted in the bucket per minute of it (the last bucket: its elapsed part).
            elapsed = min(minutes, max((min(view.until, now) - start).total_seconds() / 60, 1))
            rows.append(
                {
                    "time": start,
                    "flow": bucket["vehicles"] / elapsed,
                    "speed": _div(bucket["speed_x_vehicles"], bucket["vehicles"])
                    if bucket["vehicles"]
                    else _div(bucket["speed"], bucket["n"]),
                    "reports": int(bucket["n"]),
                }
            )
        return rows

    def _heatmap(self, view: DistrictView, since: datetime, hours: list) -> list[dict]:
        """Mean speed and flow per local day and hour, over the range or the last week."""
        found = {hour: (minutes, sums) for _district, hour, minutes, sums in hours}
        rows = []
        at = since
        while at < view.until:  # every hour of every day, empty ones too
            local = at.astimezone(LOCAL_TZ)
            minutes, sums = found.get(at, (0, None))
            rows.append(
                {
                    "date": local.date().isoformat(),
                    "hour": local.hour,
                    "speed": _div(sums["speed_x_vehicles"], sums["vehicles"]) if sums else None,
                    "flow": _div(sums["vehicles"], minutes) if sums else None,
                }
            )
            at += HOUR
        return rows

    # --- wifi -----------------------------------------------------------------------

    def _wifi(self, conn, view: DistrictView, now: datetime, aps: list[Row]) -> dict:
        totals = queries.source_totals(
            conn, district=view.slug, feed="wifi", since=view.since, until=view.until,
            raw=view.raw,
        )  # fmt: skip
        rows = []
        for r in aps:
            stale = self.freshness.is_stale(r, now)
            sums = totals.get(r.source, {})
            since = r.state_since or r.ts
            state = "stale" if stale else ("up" if r.up else "down")
            rows.append(
                {
                    "source": r.source,
                    "name": r.name or r.source,
                    "state": state,
                    "status": "stale" if stale else ("ok" if r.up else "alarm"),
                    "since": since,
                    "for_min": (now - since).total_seconds() / 60,
                    "uptime": _div(sums.get("up_n"), sums.get("n"), 100.0),
                    "clients": r.clients,
                    "as_of": r.ts,
                }
            )
        order = {"down": 0, "stale": 1, "up": 2}
        rows.sort(key=lambda row: (order[row["state"]], row["since"], row["name"]))
        down = [row for row in rows if row["state"] == "down"]
        names = {r.source: r.name or r.source for r in aps}
        return {
            "wifi_aps": Table("wifi_aps", WIFI_AP_COLUMNS, rows),
            "wifi_down": Table("wifi_down", WIFI_DOWN_COLUMNS, down),
            "wifi_outages": Table(
                "wifi_outages", OUTAGE_COLUMNS, self._outages(conn, view, now, names)
            ),
            "wifi_series": Table("wifi_series", WIFI_SERIES_COLUMNS, self._wifi_series(conn, view)),
        }

    def _outages(self, conn, view: DistrictView, now: datetime, names: dict) -> list[dict]:
        """Every down period of every access point in the range, newest first."""
        end_of_range = min(view.until, now)
        found = []
        if view.raw:
            hold = self.freshness.hold("wifi")
            reports: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
            for row in queries.wifi_history(conn, district=view.slug, since=view.since - hold):
                if row.ts < view.until:
                    reports[row.source].append((row.ts, bool(row.up)))
            for source, items in reports.items():
                for start, end in down_periods(items, since=view.since, until=end_of_range):
                    found.append(self._outage(source, names, start, end, exact=True))
        else:
            rows = queries.source_hour_rows(
                conn, district=view.slug, feed="wifi", since=floor_to(view.since, HOUR),
                until=view.until, down_only=True,
            )  # fmt: skip
            open_: dict[str, list] = {}
            for row in rows:  # by source, then hour
                down_share = 1 - row.up_n / row.n if row.n else 0.0
                current = open_.get(row.source)
                if down_share <= 0:
                    continue
                if current and current[1] == row.hour:
                    current[1] = row.hour + HOUR
                    current[2] += down_share * 60
                else:
                    if current:
                        found.append(self._outage(row.source, names, *current[:2], current[2]))
                    open_[row.source] = [row.hour, row.hour + HOUR, down_share * 60]
            for source, (start, end, minutes) in open_.items():
                found.append(self._outage(source, names, start, min(end, end_of_range), minutes))
        found.sort(key=lambda item: item["start"], reverse=True)
        return found

    @staticmethod
    def _outage(source, names, start, end, minutes=None, *, exact=False) -> dict:
        if exact or minutes is None:
            minutes = (end - start).total_seconds() / 60
        return {
            "source": source,
            "name": names.get(source, source),
            "start": start,
            "end": end,
            "down_min": minutes,
        }

    def _wifi_series(self, conn, view: DistrictView) -> list[dict]:
        starts, sums = self._buckets(conn, view, "wifi")
        rows = []
        for start in starts:
            bucket = sums.get(start)
            n = bucket["n"] if bucket else 0
            rows.append(
                {
                    "time": start,
                    "up_pct": _div(bucket["up_n"], n, 100.0) if n else None,
                    "reports": int(n),
                }
            )
        return rows

    # --- public services ------------------------------------------------------------

    def _services(self, conn, view: DistrictView, now: datetime, desks: list[Row]) -> dict:
        today = now.astimezone(LOCAL_TZ).date()
        rows = []
        for r in desks:
            stale = self.freshness.is_stale(r, now)
            todays = r.ts.astimezone(LOCAL_TZ).date() == today
            received = r.received_today if todays else None
            resolved = r.resolved_today if todays else None
            on_time = r.resolved_on_time_today if todays else None
            rows.append(
                {
                    "source": r.source,
                    "name": r.name or r.source,
                    "pending": r.pending,
                    "overdue": r.overdue,
                    "overdue_pct": _div(r.overdue, r.pending, 100.0) if r.pending else 0.0,
                    "received_today": received,
                    "resolved_today": resolved,
                    "on_time_pct": _div(on_time, resolved, 100.0),
                    "status": worst(
                        [
                            self.kpis.status(
                                "backlog_overdue",
                                _div(r.overdue, r.pending, 100.0) if r.pending else 0.0,
                                stale=stale,
                            ),
                            self.kpis.status(
                                "backlog_on_time", _div(on_time, resolved, 100.0), stale=stale
                            ),
                        ]
                    ),
                    "as_of": r.ts,
                }
            )
        rows.sort(key=lambda row: row["name"])
        hours = queries.source_hour_rows(
            conn, district=view.slug, feed="backlog", since=floor_to(view.since, HOUR),
            until=view.until,
        )  # fmt: skip
        return {
            "services_desks": Table("services_desks", DESK_COLUMNS, rows),
            "services_series": Table(
                "services_series", SERVICES_SERIES_COLUMNS, self._pending_series(hours, view)
            ),
            "services_intake": Table(
                "services_intake",
                INTAKE_COLUMNS,
                intake_by_period(hours, daily=view.span > DAILY_SPAN),
            ),
            "services_metrics": Table(
                "services_metrics", METRIC_COLUMNS, self._metrics(view.slug, now)
            ),
        }

    @staticmethod
    def _pending_series(hours: list[Row], view: DistrictView) -> list[dict]:
        """Pending and overdue per hour: each desk's mean over its reports, summed over desks."""
        per_hour: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for row in hours:
            if row.n:
                per_hour[row.hour]["pending"] += row.pending / row.n
                per_hour[row.hour]["overdue"] += row.overdue / row.n
                per_hour[row.hour]["desks"] += 1
        rows = []
        at = floor_to(view.since, HOUR)
        while at < view.until:
            sums = per_hour.get(at)
            rows.append(
                {
                    "time": at,
                    "pending": sums["pending"] if sums else None,
                    "overdue": sums["overdue"] if sums else None,
                    "desks": int(sums["desks"]) if sums else 0,
                }
            )
            at += HOUR
        return rows

    def _metrics(self, slug: str, now: datetime) -> list[dict]:
        """The database metrics broken down by district: this district's value and the median."""
        rows = []
        for view in self.metrics.current(now):
            metric = view.metric
            if not metric.by_district:
                continue
            value, status = view.districts.get(slug, (None, "no_data"))
            others = [v for v, _s in view.districts.values() if v is not None]
            rank = None
            if value is not None:
                higher = metric.thresholds.direction == "higher"
                rank = 1 + sum(1 for v in others if (v > value if higher else v < value))
            rows.append(
                {
                    "metric": metric.id,
                    "title": {"vi": metric.title_vi, "en": metric.title_en},
                    "unit": metric.unit,
                    "value": value,
                    "status": status if view.error is None or value is not None else "no_data",
                    "median": statistics.median(others) if others else None,
                    "rank": rank,
                    "of": len(others),
                    "as_of": view.as_of,
                    "error": view.error,
                }
            )
        return rows

    # --- one source -----------------------------------------------------------------

    def _source(self, conn, view: DistrictView, now: datetime, row: Row) -> SourceDetail:
        feed, source = row.feed, row.source
        stale = self.freshness.is_stale(row, now)
        latest = {
            "ts": row.ts,
            "received_at": row.received_at,
            "seq": row.seq,
            "stale": stale,
            **{name: getattr(row, name) for name in VALUE_FIELDS[feed]},
        }
        if view.span <= MINUTE_SERIES_SPAN:
            found = queries.source_readings(
                conn, district=view.slug, feed=feed, source=source, since=view.since,
                until=view.until,
            )  # fmt: skip
            history = [_reading_row(feed, r) for r in found]
        else:
            found = queries.source_hour_rows(
                conn, district=view.slug, feed=feed, since=floor_to(view.since, HOUR),
                until=view.until, source=source,
            )  # fmt: skip
            history = [_hour_row(feed, r) for r in found]
        topic = topic_for(view.slug, feed, source)
        count, letters = queries.dead_letters_of_topic(conn, topic=topic, limit=REJECTIONS_SHOWN)
        rejections = [
            {
                "received_at": letter.received_at,
                "reason": letter.reason,
                "detail": letter.detail,
                "payload": bytes(letter.payload)[:300].decode("utf-8", "replace"),
            }
            for letter in letters
        ]
        return SourceDetail(
            feed=feed,
            source=source,
            name=row.name or source,
            topic=topic,
            latest=latest,
            history=Table("source_history", HISTORY_COLUMNS[feed], history),
            rejected=count,
            rejections=Table("source_rejections", REJECTION_COLUMNS, rejections),
        )


# --- pure helpers (tested directly) -----------------------------------------------------


def down_periods(
    reports: list[tuple[datetime, bool]], *, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The down periods of one access point in [since, until), from its time-ordered reports.

    A "down" report starts a period (or continues one); the next "up" report ends
    it. A period still open at ``until`` ends there. Clipped to the range.
    """
    periods = []
    start = None
    for ts, up in reports:
        if not up and start is None:
            start = ts
        elif up and start is not None:
            periods.append((start, ts))
            start = None
    if start is not None:
        periods.append((start, until))
    clipped = []
    for start, end in periods:
        start, end = max(start, since), min(end, until)
        if end > start:
            clipped.append((start, end))
    return clipped


def intake_by_period(hours: list[Row], *, daily: bool) -> list[dict]:
    """Applications received, resolved and resolved on time per local day (or hour).

    A desk's counters count up from local midnight, so a day's intake is the
    highest count of the day, and an hour's is the rise over the previous hour
    of the same day. Summed over desks.
    """
    per_period: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    previous: dict[tuple[str, object], dict[str, float]] = {}
    day_high: dict[tuple[str, object], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in sorted(hours, key=lambda r: (r.source, r.hour)):
        day = row.hour.astimezone(LOCAL_TZ).date()
        values = {
            "received": row.received_max,
            "resolved": row.resolved_max,
            "on_time": row.on_time_max,
        }
        if daily:
            high = day_high[(row.source, day)]
            for name, value in values.items():
                high[name] = max(high[name], value)
        else:
            before = previous.get((row.source, day), dict.fromkeys(values, 0.0))
            bucket = per_period[row.hour]
            for name, value in values.items():
                bucket[name] += max(value - before[name], 0.0)
            previous[(row.source, day)] = {
                name: max(value, before[name]) for name, value in values.items()
            }
    if daily:
        for (_source, day), high in day_high.items():
            start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)
            bucket = per_period[start]
            for name, value in high.items():
                bucket[name] += value
    rows = []
    for start in sorted(per_period):
        bucket = per_period[start]
        rows.append(
            {
                "period": start,
                "received": int(bucket["received"]),
                "resolved": int(bucket["resolved"]),
                "on_time_pct": _div(bucket["on_time"], bucket["resolved"], 100.0),
            }
        )
    return rows


def _reading_row(feed: str, r: Row) -> dict:
    row = {"time": r.ts}
    if feed == "traffic":
        row |= {
            "vehicles": r.vehicles,
            "flow": _div(r.vehicles * 60, r.interval_s),
            "speed": r.speed_kmh,
            "occupancy": None if r.occupancy is None else 100 * r.occupancy,
        }
    elif feed == "wifi":
        row |= {"up": bool(r.up), "up_pct": 100.0 if r.up else 0.0, "clients": r.clients}
    else:
        row |= {
            "pending": r.pending,
            "overdue": r.overdue,
            "received_today": r.received_today,
            "resolved_today": r.resolved_today,
        }
    return row


def _hour_row(feed: str, r: Row) -> dict:
    row = {"time": r.hour}
    n = r.n or 0
    if feed == "traffic":
        row |= {
            "vehicles": int(r.vehicles),
            "flow": _div(r.vehicles_per_min, n),
            "speed": _div(r.speed_x_vehicles, r.vehicles) if r.vehicles else _div(r.speed, n),
            "occupancy": _div(r.occupancy, n, 100.0),
        }
    elif feed == "wifi":
        row |= {"up": r.up_n == n, "up_pct": _div(r.up_n, n, 100.0), "clients": _div(r.clients, n)}
    else:
        row |= {
            "pending": _div(r.pending, n),
            "overdue": _div(r.overdue, n),
            "received_today": int(r.received_max),
            "resolved_today": int(r.resolved_max),
        }
    return row


# --- columns ----------------------------------------------------------------------------

C = Column
TRAFFIC_SOURCE_COLUMNS = (
    C("name", "col_camera", "link"), C("source", "col_source"),
    C("flow", "col_flow_now", "num1"), C("speed", "col_speed_now", "num1"),
    C("occupancy", "col_occupancy", "num1"), C("status", "col_status", "status"),
    C("as_of", "col_as_of", "time"), C("flow_avg", "col_flow_avg", "num1"),
    C("speed_avg", "col_speed_avg", "num1"), C("occupancy_avg", "col_occupancy_avg", "num1"),
    C("reports", "col_reports", "int"),
)  # fmt: skip
TRAFFIC_WORST_COLUMNS = (
    C("name", "col_camera", "link"), C("speed_avg", "col_speed_avg", "num1"),
    C("flow_avg", "col_flow_avg", "num1"), C("occupancy_avg", "col_occupancy_avg", "num1"),
)  # fmt: skip
TRAFFIC_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("flow", "col_flow", "num1"),
    C("speed", "col_speed", "num1"), C("reports", "col_reports", "int"),
)  # fmt: skip
HEATMAP_COLUMNS = (
    C("date", "col_date", "date"), C("hour", "col_hour", "hour"),
    C("speed", "col_speed", "num1"), C("flow", "col_flow", "num1"),
)  # fmt: skip
WIFI_AP_COLUMNS = (
    C("name", "col_ap", "link"), C("source", "col_source"), C("state", "col_state", "state"),
    C("since", "col_state_since", "time"), C("for_min", "col_for", "duration"),
    C("uptime", "col_uptime_range", "num1"), C("clients", "col_clients", "int"),
    C("as_of", "col_as_of", "time"),
)  # fmt: skip
WIFI_DOWN_COLUMNS = (
    C("name", "col_ap", "link"), C("since", "col_down_since", "time"),
    C("for_min", "col_for", "duration"),
)  # fmt: skip
OUTAGE_COLUMNS = (
    C("name", "col_ap"), C("source", "col_source"), C("start", "col_start", "time"),
    C("end", "col_end", "time"), C("down_min", "col_down_min", "num1"),
)  # fmt: skip
WIFI_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("up_pct", "col_up_pct", "num1"),
    C("reports", "col_reports", "int"),
)  # fmt: skip
DESK_COLUMNS = (
    C("name", "col_desk", "link"), C("source", "col_source"), C("pending", "col_pending", "int"),
    C("overdue", "col_overdue", "int"), C("overdue_pct", "col_overdue_pct", "num1"),
    C("received_today", "col_received_today", "int"),
    C("resolved_today", "col_resolved_today", "int"),
    C("on_time_pct", "col_on_time_pct", "num1"), C("status", "col_status", "status"),
    C("as_of", "col_as_of", "time"),
)  # fmt: skip
SERVICES_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("pending", "col_pending", "num1"),
    C("overdue", "col_overdue", "num1"), C("desks", "col_desks", "int"),
)  # fmt: skip
INTAKE_COLUMNS = (
    C("period", "col_period", "time"), C("received", "col_received", "int"),
    C("resolved", "col_resolved", "int"), C("on_time_pct", "col_on_time_pct", "num1"),
)  # fmt: skip
METRIC_COLUMNS = (
    C("title", "col_metric", "i18n"), C("value", "col_value", "num2"), C("unit", "col_unit"),
    C("median", "col_median", "num2"), C("rank", "col_rank", "rank"),
    C("status", "col_status", "status"), C("as_of", "col_as_of", "time"),
)  # fmt: skip
HISTORY_COLUMNS = {
    "traffic": (
        C("time", "col_time", "time"), C("vehicles", "col_vehicles", "int"),
        C("flow", "col_flow", "num1"), C("speed", "col_speed", "num1"),
        C("occupancy", "col_occupancy", "num1"),
    ),
    "wifi": (
        C("time", "col_time", "time"), C("up_pct", "col_up_pct", "num1"),
        C("clients", "col_clients", "num1"),
    ),
    "backlog": (
        C("time", "col_time", "time"), C("pending", "col_pending", "num1"),
        C("overdue", "col_overdue", "num1"), C("received_today", "col_received_today", "int"),
        C("resolved_today", "col_resolved_today", "int"),
    ),
}  # fmt: skip
REJECTION_COLUMNS = (
    C("received_at", "col_received_at", "time"), C("reason", "col_reason"),
    C("detail", "col_detail"), C("payload", "col_payload"),
)  # fmt: skip
