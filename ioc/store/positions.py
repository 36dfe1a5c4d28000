"""Where each source stands: the newest position it sent (optional ``lat``/``lon``, WGS 84).

Kept apart from ``latest`` (table ``source_positions``): a reading without a
position keeps the stored one, and the district map reads positions only.
Written by the ingestor in its batch's transaction (``feeds/writer.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ioc.contract import Reading
from ioc.store.dialect import dialect_insert
from ioc.store.schema import source_positions


@dataclass(frozen=True)
class SourcePosition:
    """One source on the map: its feed, id, name (as last reported) and position."""

    feed: str
    source: str
    name: str | None
    lat: float
    lon: float
    ts: datetime


def upsert_positions(conn: Connection, new: Iterable[Reading]) -> None:
    """Keep each source's newest position; a late reading never moves a source back."""
    newest: dict[tuple[str, str, str], Reading] = {}
    for reading in new:
        if reading.lat is None or reading.lon is None:
            continue
        key = (reading.district, reading.feed, reading.source)
        if key not in newest or newest[key].ts < reading.ts:
            newest[key] = reading
    if not newest:
        return
    rows = [
        {"district": r.district, "feed": r.feed, "source": r.source, "lat": r.lat,
         "lon": r.lon, "ts": r.ts}
        for r in newest.values()
    ]  # fmt: skip
    statement = dialect_insert(conn, source_positions)
    excluded = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["district", "feed", "source"],
            set_={"lat": excluded.lat, "lon": excluded.lon, "ts": excluded.ts},
            where=excluded.ts > source_positions.c.ts,
        ),
        rows,
    )
