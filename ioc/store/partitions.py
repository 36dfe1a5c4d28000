"""Raw readings by day on PostgreSQL: partitions made ahead, retention by dropping them.

At 3,000 sources reporting every minute the store takes 4.3 M raw rows a day; a
``DELETE`` of a day is minutes of work and leaves the table to vacuum. With the
table partitioned by UTC day (``readings_pYYYYMMDD``), a day past the retention
goes with one ``DROP TABLE``.

- A default partition (``readings_default``) takes any row whose day has no
  partition (an old reading sent late, a clock far off), so nothing is lost if a
  partition is ever missing; those few rows are deleted at the retention.
- Partitions are made ``AHEAD_DAYS`` ahead by the ingestor's writer at start and
  at each pruning (every 10 minutes), so none is missing at midnight.
- A partition made for a day that the default already holds rows of takes those
  rows over (PostgreSQL refuses to attach it otherwise).
- Every change runs under one transaction-level advisory lock, so two ingestors
  (or an ingestor and a migration) never race.

SQLite has no partitions: there ``ioc.store.writes.prune`` deletes, as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text

PARENT = "readings"
DEFAULT = "readings_default"
PREFIX = "readings_p"
AHEAD_DAYS = 3
# Any fixed key: the lock that serialises partition changes across processes.
LOCK_KEY = 0x10C_4EAD
_NAME = re.compile(r"^readings_p(\d{8})$")


def partition_name(day: date) -> str:
    """The table that holds one UTC day's readings."""
    return f"{PREFIX}{day:%Y%m%d}"


def day_of(name: str) -> date | None:
    """The UTC day a partition's name stands for, or None for another table."""
    found = _NAME.match(name)
    return datetime.strptime(found.group(1), "%Y%m%d").date() if found else None


def _bound(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")


def is_partitioned(conn: Connection) -> bool:
    """Whether ``readings`` is a partitioned table (PostgreSQL after migration 0010)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"
        ),
        {"name": PARENT},
    ).first()
    return found is not None


def days(conn: Connection) -> list[date]:
    """The days that have their own partition, oldest first."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent "
            "AND p.relnamespace = current_schema()::regnamespace"
        ),
        {"parent": PARENT},
    ).scalars()
    return sorted(d for d in (day_of(n) for n in names) if d is not None)


def _lock(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def make(conn: Connection, wanted: list[date]) -> list[date]:
    """Make the partitions of ``wanted`` days that are missing; return those made."""
    _lock(conn)
    have = set(days(conn))
    made = []
    for day in sorted(set(wanted) - have):
        name, low, high = partition_name(day), _bound(day), _bound(day + timedelta(days=1))
        in_range = f"ts >= '{low}' AND ts < '{high}'"
        # Made standalone, filled from the default, then attached: PostgreSQL checks
        # that the default holds no row of the new range, so they move first.
        conn.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
        conn.execute(text(f"INSERT INTO {name} SELECT * FROM {DEFAULT} WHERE {in_range}"))
        conn.execute(text(f"DELETE FROM {DEFAULT} WHERE {in_range}"))
        conn.execute(
            text(
                f"ALTER TABLE {PARENT} ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{low}') TO ('{high}')"
            )
        )
        made.append(day)
    return made


def ahead(today: date, behind: int = 1) -> list[date]:
    """The days a writer makes sure of: ``behind`` days back to ``AHEAD_DAYS`` ahead."""
    return [today + timedelta(days=n) for n in range(-behind, AHEAD_DAYS + 1)]


def drop_before(conn: Connection, cutoff: datetime) -> tuple[list[date], int]:
    """Drop the partitions whose whole day is before ``cutoff`` and delete the default's
    rows before it; return the days dropped and how many rows went in all.

    A day the cutoff falls inside is kept whole until it is past: raw rows stay up to
    one day longer than the retention, never less."""
    _lock(conn)
    dropped, removed = [], 0
    naive = cutoff.astimezone(UTC).replace(tzinfo=None)
    for day in days(conn):
        if datetime.combine(day + timedelta(days=1), time()) > naive:
            continue
        name = partition_name(day)
        removed += int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
        conn.execute(text(f"DROP TABLE {name}"))
        dropped.append(day)
    result = conn.execute(text(f"DELETE FROM {DEFAULT} WHERE ts < :cutoff"), {"cutoff": naive})
    return dropped, removed + (result.rowcount or 0)


def is_partition(name: str | None) -> bool:
    """Whether a table is one of the day partitions or the default (made at run time)."""
    return name == DEFAULT or (name is not None and day_of(name) is not None)


def include_name(name: str | None, kind: str, parents: Mapping[Any, str | None]) -> bool:
    """Alembic's ``include_name`` hook: schema comparison leaves the partitions out."""
    if kind == "table":
        return not is_partition(name)
    if kind == "index":
        return not is_partition(parents.get("table_name"))
    return True
