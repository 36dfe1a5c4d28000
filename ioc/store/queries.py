"""Read queries. Each takes a connection; none opens its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, func, select

from ioc.store.schema import (
    district_status,
    ingest_counters,
    ingestors,
    latest,
    readings,
)


def latest_by_source(conn: Connection, *, district: str | None = None) -> list[Row]:
    """Each source's newest reading, for one district or all."""
    query = select(latest).order_by(latest.c.district, latest.c.feed, latest.c.source)
    if district is not None:
        query = query.where(latest.c.district == district)
    return list(conn.execute(query))


def statuses(conn: Connection) -> dict[str, Row]:
    """Each district IOC's newest presence report, by district."""
    return {row.district: row for row in conn.execute(select(district_status))}


def counters(conn: Connection) -> dict[str, int]:
    """The persistent ingest counters."""
    return {row.name: int(row.value) for row in conn.execute(select(ingest_counters))}


def ingestor_heartbeats(conn: Connection) -> list[Row]:
    """Every ingestor that has written a heartbeat."""
    return list(conn.execute(select(ingestors).order_by(ingestors.c.ingestor_id)))


def wifi_history(conn: Connection, *, district: str, since: datetime) -> list[Row]:
    """Access point reports of a district from a time on, ordered per source by time."""
    query = (
        select(readings.c.source, readings.c.ts, readings.c.up)
        .where(readings.c.district == district, readings.c.feed == "wifi", readings.c.ts >= since)
        .order_by(readings.c.source, readings.c.ts)
    )
    return list(conn.execute(query))


def count_readings(conn: Connection) -> int:
    """How many raw readings the store holds."""
    return int(conn.execute(select(func.count()).select_from(readings)).scalar_one())
