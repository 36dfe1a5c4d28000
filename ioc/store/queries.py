"""Read queries. Each takes a connection; none opens its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Row, case, func, literal, select, text

from ioc.store.engine import driver_cursor
from ioc.store.positions import SourcePosition
from ioc.store.schema import (
    ROLLUP_SUMS,
    SOURCE_HOUR_MAXES,
    SOURCE_HOUR_SUMS,
    dead_letters,
    district_status,
    ingest_counters,
    ingestors,
    latest,
    metric_state,
    metric_values,
    readings,
    rollups,
    rollups_hour,
    source_hours,
)
from ioc.store.schema import source_positions as source_positions_table

# A row of a select: its columns by name, values as stored.
StoreRow = Row[*tuple[Any, ...]]
# One district's sums of one feed over one UTC hour: (district, hour, minutes with data, sums).
HourSums = tuple[str, datetime, int, dict[str, float]]


def latest_by_source(conn: Connection, *, district: str | None = None) -> list[StoreRow]:
    """Each source's newest reading, for one district or all."""
    query = select(latest).order_by(latest.c.district, latest.c.feed, latest.c.source)
    if district is not None:
        query = query.where(latest.c.district == district)
    return list(conn.execute(query))


class WallRow(NamedTuple):
    """A source's newest reading as the wall reads it (times as UTC datetimes, once named)."""

    district: str
    feed: str
    source: str
    name: str | None
    ts: datetime
    interval_s: int | None
    vehicles: int | None
    speed_kmh: float | None
    occupancy: float | None
    up: bool | None
    state_since: datetime | None
    pending: int | None
    overdue: int | None
    received_today: int | None
    resolved_today: int | None
    resolved_on_time_today: int | None


WALL_COLUMNS = WallRow._fields


def latest_for_wall(conn: Connection) -> tuple[Sequence[tuple[Any, ...]], bool]:
    """Every source's newest reading as plain tuples of WALL_COLUMNS, in no order.

    On SQLite the rows come straight from the driver with the times as the
    stored text (``sqlite_datetime_text``, which sorts as time does): 3,000
    sources cost about 10 ms instead of 25. The second value says so. Elsewhere
    the times are UTC datetimes.
    """
    if conn.dialect.name == "sqlite":
        cursor = driver_cursor(conn)
        try:
            cursor.execute(f"SELECT {', '.join(WALL_COLUMNS)} FROM latest")
            return cursor.fetchall(), True
        finally:
            cursor.close()
    query = select(*[latest.c[name] for name in WALL_COLUMNS])
    return [tuple(row) for row in conn.execute(query)], False


def statuses(conn: Connection) -> dict[str, StoreRow]:
    """Each district IOC's newest presence report, by district."""
    return {row.district: row for row in conn.execute(select(district_status))}


def ping(conn: Connection) -> None:
    """Ask the database for nothing: it answers, or the driver raises."""
    conn.execute(text("SELECT 1"))


def counters(conn: Connection) -> dict[str, int]:
    """The persistent ingest counters."""
    return {row.name: int(row.value) for row in conn.execute(select(ingest_counters))}


def ingestor_heartbeats(conn: Connection) -> list[StoreRow]:
    """Every ingestor that has written a heartbeat."""
    return list(conn.execute(select(ingestors).order_by(ingestors.c.ingestor_id)))


def ingestor_heartbeat(conn: Connection, ingestor_id: str) -> StoreRow | None:
    """One ingestor's heartbeat row, or None if it never wrote one."""
    return conn.execute(select(ingestors).where(ingestors.c.ingestor_id == ingestor_id)).first()


def store_refusals(conn: Connection, *, since: datetime) -> tuple[int, StoreRow | None]:
    """How many messages the store refused since a time, and the newest of them."""
    refused = (dead_letters.c.reason == "store_refused", dead_letters.c.received_at >= since)
    count = conn.execute(select(func.count()).select_from(dead_letters).where(*refused))
    newest = conn.execute(
        select(dead_letters.c.received_at, dead_letters.c.detail)
        .where(*refused)
        .order_by(dead_letters.c.id.desc())
        .limit(1)
    ).first()
    return int(count.scalar_one()), newest


def wifi_history(conn: Connection, *, district: str, since: datetime) -> list[StoreRow]:
    """Access point reports of a district from a time on, ordered per source by time."""
    query = (
        select(readings.c.source, readings.c.ts, readings.c.up)
        .where(readings.c.district == district, readings.c.feed == "wifi", readings.c.ts >= since)
        .order_by(readings.c.source, readings.c.ts)
    )
    return list(conn.execute(query))


def has_history(conn: Connection) -> bool:
    """Whether the store holds any source's reading or any hourly rollup (not a first start)."""
    for table in (latest, rollups_hour):
        if conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None:
            return True
    return False


def count_readings(conn: Connection) -> int:
    """How many raw readings the store holds."""
    return int(conn.execute(select(func.count()).select_from(readings)).scalar_one())


def rollup_minutes(conn: Connection, *, since: datetime, until: datetime) -> list[StoreRow]:
    """Per-minute rollups of every district and feed in [since, until)."""
    query = select(rollups).where(rollups.c.minute >= since, rollups.c.minute < until)
    return list(conn.execute(query))


def rollup_totals(
    conn: Connection, *, feed: str, since: datetime, until: datetime
) -> list[StoreRow]:
    """Per-district sums of one feed's rollups in [since, until)."""
    query = (
        select(
            rollups.c.district,
            *[func.sum(rollups.c[name]).label(name) for name in ROLLUP_SUMS],
        )
        .where(rollups.c.feed == feed, rollups.c.minute >= since, rollups.c.minute < until)
        .group_by(rollups.c.district)
    )
    return list(conn.execute(query))


def _hour_of(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    # Hour buckets in SQL, so 28 days of minutes come back as 28 x 24 rows.
    # UTC hours are local hours in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
    if conn.dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.substr(column, 1, 13)  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"


def _as_hour(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC)


def rollup_hours(
    conn: Connection,
    *,
    feed: str,
    since: datetime,
    until: datetime,
    district: str | None = None,
) -> list[HourSums]:
    """Per-district, per-UTC-hour sums of one feed: (district, hour, minutes with data, sums).

    Whole hours come from ``rollups_hour``; a part-hour at either end of the range
    is summed from its minutes, so the answer is the same as summing minutes only.
    """
    first = since.replace(minute=0, second=0, microsecond=0)
    if first < since:
        first += timedelta(hours=1)
    last = until.replace(minute=0, second=0, microsecond=0)
    if first >= last:  # no whole hour inside
        return _minute_hours(conn, feed, since, until, district)
    found = _minute_hours(conn, feed, since, first, district) if since < first else []
    query = select(rollups_hour).where(
        rollups_hour.c.feed == feed, rollups_hour.c.hour >= first, rollups_hour.c.hour < last
    )
    if district is not None:
        query = query.where(rollups_hour.c.district == district)
    for row in conn.execute(query).mappings():
        sums = {name: float(row[name] or 0) for name in ROLLUP_SUMS}
        found.append((row["district"], row["hour"], int(row["minutes"]), sums))
    if last < until:
        found += _minute_hours(conn, feed, last, until, district)
    return found


def _minute_hours(
    conn: Connection, feed: str, since: datetime, until: datetime, district: str | None
) -> list[HourSums]:
    """rollup_hours summed from the per-minute rows (for part-hours)."""
    hour = _hour_of(conn, rollups.c.minute).label("hour")
    query = (
        select(
            rollups.c.district,
            hour,
            func.count().label("minutes"),
            *[func.sum(rollups.c[name]).label(name) for name in ROLLUP_SUMS],
        )
        .where(rollups.c.feed == feed, rollups.c.minute >= since, rollups.c.minute < until)
        .group_by(rollups.c.district, hour)
    )
    if district is not None:
        query = query.where(rollups.c.district == district)
    found: list[HourSums] = []
    for row in conn.execute(query).mappings():
        sums = {name: float(row[name] or 0) for name in ROLLUP_SUMS}
        found.append((row["district"], _as_hour(row["hour"]), int(row["minutes"]), sums))
    return found


def metric_states(conn: Connection) -> dict[str, StoreRow]:
    """Each metric's last attempt, success and error."""
    return {row.metric_id: row for row in conn.execute(select(metric_state))}


def metric_latest_values(
    conn: Connection, states: dict[str, StoreRow]
) -> dict[str, dict[str, float | None]]:
    """The values of each metric's last successful evaluation, by district ("" = city)."""
    found: dict[str, dict[str, float | None]] = {}
    pairs = [(m, s.last_success_at) for m, s in states.items() if s.last_success_at is not None]
    for metric_id, at in pairs:
        query = select(metric_values.c.district, metric_values.c.value).where(
            metric_values.c.metric_id == metric_id, metric_values.c.evaluated_at == at
        )
        found[metric_id] = {row.district: row.value for row in conn.execute(query)}
    return found


# --- one district, for its drill-down page ---------------------------------------------


def district_minutes(
    conn: Connection, *, district: str, feed: str, since: datetime, until: datetime
) -> list[StoreRow]:
    """One district's per-minute rollups of one feed in [since, until), in time order."""
    query = (
        select(rollups)
        .where(
            rollups.c.district == district,
            rollups.c.feed == feed,
            rollups.c.minute >= since,
            rollups.c.minute < until,
        )
        .order_by(rollups.c.minute)
    )
    return list(conn.execute(query))


def _raw_sums() -> dict[str, ColumnElement[Any]]:
    """Per-source sums of raw readings, in the columns of ``source_hours``."""
    r = readings.c
    return {
        "n": func.count(),
        "vehicles": func.coalesce(func.sum(r.vehicles), 0),
        "vehicles_per_min": func.coalesce(func.sum(r.vehicles * 60.0 / r.interval_s), 0),
        "speed_x_vehicles": func.coalesce(func.sum(r.speed_kmh * r.vehicles), 0),
        "speed": func.coalesce(func.sum(r.speed_kmh), 0),
        "occupancy": func.coalesce(func.sum(r.occupancy), 0),
        "up_n": func.coalesce(func.sum(case((r.up, 1), else_=0)), 0),
        "clients": func.coalesce(func.sum(r.clients), 0),
        "pending": func.coalesce(func.sum(r.pending), 0),
        "overdue": func.coalesce(func.sum(r.overdue), 0),
        "received_max": func.coalesce(func.max(r.received_today), 0),
        "resolved_max": func.coalesce(func.max(r.resolved_today), 0),
        "on_time_max": func.coalesce(func.max(r.resolved_on_time_today), 0),
    }


def source_totals(
    conn: Connection, *, district: str, feed: str, since: datetime, until: datetime, raw: bool
) -> dict[str, dict[str, float]]:
    """Per source of one district and feed: sums over [since, until) (see ``source_hours``).

    ``raw``: from the raw readings, exact to the second (short ranges); else from
    the hourly rollups of the hours that start in the range (long ranges).
    """
    if raw:
        sums = _raw_sums()
        query = (
            select(readings.c.source, *[expr.label(name) for name, expr in sums.items()])
            .where(
                readings.c.district == district,
                readings.c.feed == feed,
                readings.c.ts >= since,
                readings.c.ts < until,
            )
            .group_by(readings.c.source)
        )
    else:
        h = source_hours.c
        chosen = [func.sum(h[name]).label(name) for name in SOURCE_HOUR_SUMS]
        chosen += [func.max(h[name]).label(name) for name in SOURCE_HOUR_MAXES]
        query = (
            select(h.source, *chosen)
            .where(h.district == district, h.feed == feed, h.hour >= since, h.hour < until)
            .group_by(h.source)
        )
    found: dict[str, dict[str, float]] = {}
    for row in conn.execute(query).mappings():
        found[row["source"]] = {k: float(v or 0) for k, v in row.items() if k != "source"}
    return found


def source_hour_rows(
    conn: Connection,
    *,
    district: str,
    feed: str,
    since: datetime,
    until: datetime,
    source: str | None = None,
    down_only: bool = False,
) -> list[StoreRow]:
    """Hourly per-source rollups of one district and feed in [since, until), by source and hour.

    ``down_only``: only the hours with a "down" report (outages), which are few.
    """
    h = source_hours.c
    query = (
        select(source_hours)
        .where(h.district == district, h.feed == feed, h.hour >= since, h.hour < until)
        .order_by(h.source, h.hour)
    )
    if source is not None:
        query = query.where(h.source == source)
    if down_only:
        query = query.where(h.up_n < h.n)
    return list(conn.execute(query))


def source_readings(
    conn: Connection, *, district: str, feed: str, source: str, since: datetime, until: datetime
) -> list[StoreRow]:
    """One source's raw readings in [since, until), in time order."""
    r = readings.c
    query = (
        select(readings)
        .where(
            r.district == district,
            r.feed == feed,
            r.source == source,
            r.ts >= since,
            r.ts < until,
        )
        .order_by(r.ts)
    )
    return list(conn.execute(query))


def latest_of(conn: Connection, *, district: str, feed: str, source: str) -> StoreRow | None:
    """One source's newest reading, or None."""
    query = select(latest).where(
        latest.c.district == district, latest.c.feed == feed, latest.c.source == source
    )
    return conn.execute(query).first()


def dead_letters_of_topic(
    conn: Connection, *, topic: str, limit: int = 20
) -> tuple[int, list[StoreRow]]:
    """How many messages on one topic were rejected, and the newest of them."""
    count = conn.execute(
        select(func.count()).select_from(dead_letters).where(dead_letters.c.topic == topic)
    ).scalar_one()
    newest = conn.execute(
        select(dead_letters)
        .where(dead_letters.c.topic == topic)
        .order_by(dead_letters.c.received_at.desc())
        .limit(limit)
    )
    return int(count), list(newest)


def source_positions(conn: Connection, *, district: str) -> list[SourcePosition]:
    """Every source of a district that sent a position (lat/lon), with its name; for the map."""
    p = source_positions_table.c
    same = (latest.c.district == p.district) & (latest.c.feed == p.feed)
    query = (
        select(p.feed, p.source, latest.c.name, p.lat, p.lon, p.ts)
        .select_from(source_positions_table.outerjoin(latest, same & (latest.c.source == p.source)))
        .where(p.district == district)
        .order_by(p.feed, p.source)
    )
    return [SourcePosition(*row) for row in conn.execute(query)]
