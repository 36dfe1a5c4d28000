"""Rollups: per-minute and per-hour sums by district and feed, and hourly sums per source.

The ingestor adds each committed batch's sums in the same transaction as its readings
(``add_rollups``), so pages read rollups, never raw readings, for anything longer than
minutes.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, literal, select

from ioc.contract import Reading
from ioc.store.dialect import dialect_insert
from ioc.store.schema import (
    ROLLUP_SUMS,
    SOURCE_HOUR_MAXES,
    SOURCE_HOUR_SUMS,
    UTCDateTime,
    rollups,
    rollups_hour,
    source_hours,
)
from ioc.store.stage import stage


def minute_of(ts: datetime) -> datetime:
    """Floor a time to its minute."""
    return ts.replace(second=0, microsecond=0)


def rollup_sums(new: Iterable[Reading]) -> dict[tuple[str, str, datetime], dict[str, float]]:
    """Sum new readings per (district, feed, minute)."""
    sums: dict[tuple[str, str, datetime], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(ROLLUP_SUMS, 0.0)
    )
    for reading in new:
        bucket = sums[(reading.district, reading.feed, minute_of(reading.ts))]
        values = reading.values
        bucket["n"] += 1
        if reading.feed == "traffic":
            vehicles = values["vehicles"]
            bucket["vehicles"] += vehicles
            bucket["vehicles_per_min"] += vehicles * 60 / values["interval_s"]
            bucket["speed_x_vehicles"] += values["speed_kmh"] * vehicles
            bucket["speed"] += values["speed_kmh"]
        elif reading.feed == "wifi":
            bucket["up_n"] += 1 if values["up"] else 0
            bucket["clients"] += values.get("clients") or 0
        else:
            for name in (
                "pending",
                "overdue",
                "received_today",
                "resolved_today",
                "resolved_on_time_today",
            ):
                bucket[name] += values.get(name) or 0
    return sums


def add_rollups(conn: Connection, new: Iterable[Reading]) -> None:
    """Add new readings into the per-minute (district) and per-hour (source) rollups."""
    new = list(new)
    sums = rollup_sums(new)
    if not sums:
        return
    add_source_hours(conn, new)
    # In key order: two ingestors of a share group update the same minute rows, and
    # lock them in one order (PostgreSQL), so neither waits on the other in a cycle.
    rows = [
        {"district": d, "feed": f, "minute": m, **values}
        for (d, f, m), values in sorted(sums.items())
    ]
    statement = dialect_insert(conn, rollups)
    update = {name: rollups.c[name] + statement.excluded[name] for name in ROLLUP_SUMS}
    conn.execute(
        statement.on_conflict_do_update(index_elements=["district", "feed", "minute"], set_=update),
        rows,
    )
    refresh_hour_rollups(conn, {(feed, hour_of(minute)) for _d, feed, minute in sums})


def refresh_hour_rollups(conn: Connection, touched: Iterable[tuple[str, datetime]]) -> None:
    """Recompute the hourly district rollups of each (feed, UTC hour) from its minute rows.

    Recomputed, not added to: the result is the same however often a batch (or a
    redelivered one) touches the hour, and ``minutes`` counts minutes with data exactly.
    A batch touches a few hours of a few feeds, each at most 60 minute rows a district.

    On PostgreSQL, several ingestors (a share group) may commit minutes of the same
    hour at once: a transaction lock per (feed, hour), taken in order, makes each
    recount wait for the other's commit, so its statement sees those minutes too.
    (SQLite has one writer at a time.)
    """
    touched = sorted(touched)
    if conn.dialect.name == "postgresql":
        for feed, hour in touched:
            key = zlib.crc32(f"rollups_hour:{feed}:{hour.isoformat()}".encode())
            conn.execute(select(func.pg_advisory_xact_lock(key)))
    for feed, hour in touched:
        found = (
            select(
                rollups.c.district,
                rollups.c.feed,
                literal(hour, UTCDateTime()).label("hour"),
                func.count().label("minutes"),
                *[func.sum(rollups.c[name]).label(name) for name in ROLLUP_SUMS],
            )
            .where(
                rollups.c.feed == feed,
                rollups.c.minute >= hour,
                rollups.c.minute < hour + timedelta(hours=1),
            )
            .group_by(rollups.c.district, rollups.c.feed)
        )
        columns = ["district", "feed", "hour", "minutes", *ROLLUP_SUMS]
        statement = dialect_insert(conn, rollups_hour).from_select(columns, found)
        replace = {name: statement.excluded[name] for name in ("minutes", *ROLLUP_SUMS)}
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["district", "feed", "hour"], set_=replace
            )
        )


def hour_of(ts: datetime) -> datetime:
    """Floor a time to its hour."""
    return ts.replace(minute=0, second=0, microsecond=0)


_DAY_COUNTERS = {
    "received_max": "received_today",
    "resolved_max": "resolved_today",
    "on_time_max": "resolved_on_time_today",
}


def source_hour_sums(
    new: Iterable[Reading],
) -> dict[tuple[str, str, str, datetime], dict[str, float]]:
    """Sum new readings per (district, feed, source, hour); keep the day counters' highest."""
    empty = dict.fromkeys((*SOURCE_HOUR_SUMS, *SOURCE_HOUR_MAXES), 0.0)
    sums: dict[tuple[str, str, str, datetime], dict[str, float]] = {}
    for reading in new:
        key = (reading.district, reading.feed, reading.source, hour_of(reading.ts))
        bucket = sums.get(key)
        if bucket is None:
            bucket = sums[key] = dict(empty)
        values = reading.values
        bucket["n"] += 1
        if reading.feed == "traffic":
            vehicles = values["vehicles"]
            bucket["vehicles"] += vehicles
            bucket["vehicles_per_min"] += vehicles * 60 / values["interval_s"]
            bucket["speed_x_vehicles"] += values["speed_kmh"] * vehicles
            bucket["speed"] += values["speed_kmh"]
            bucket["occupancy"] += values.get("occupancy") or 0
        elif reading.feed == "wifi":
            bucket["up_n"] += 1 if values["up"] else 0
            bucket["clients"] += values.get("clients") or 0
        else:
            bucket["pending"] += values.get("pending") or 0
            bucket["overdue"] += values.get("overdue") or 0
            for column, field in _DAY_COUNTERS.items():
                bucket[column] = max(bucket[column], values.get(field) or 0)
    return sums


def add_source_hours(conn: Connection, new: Iterable[Reading]) -> None:
    """Add new readings into the per-source hourly rollups."""
    sums = source_hour_sums(new)
    if not sums:
        return
    rows = [
        {"district": d, "feed": f, "source": s, "hour": h, **values}
        for (d, f, s, h), values in sums.items()
    ]
    statement = dialect_insert(conn, source_hours)
    higher = func.greatest if conn.dialect.name == "postgresql" else func.max
    update = {name: source_hours.c[name] + statement.excluded[name] for name in SOURCE_HOUR_SUMS}
    update |= {
        name: higher(source_hours.c[name], statement.excluded[name]) for name in SOURCE_HOUR_MAXES
    }
    if conn.dialect.name == "postgresql":  # COPY, then one statement (ioc/store/stage.py)
        columns = tuple(rows[0])
        values = [[r[c] for c in columns] for r in rows]
        staged = stage(
            conn, source_hours, columns, values, key=("district", "feed", "source", "hour")
        )
        statement = statement.from_select(columns, staged)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["district", "feed", "source", "hour"], set_=update
        ),
        *([] if conn.dialect.name == "postgresql" else [rows]),
    )
