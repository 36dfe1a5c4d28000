"""PostgreSQL's fast path: rows go in by COPY to a temporary table, then one statement.

A batch of 5,000 readings bound row by row (SQLAlchemy's executemany, even as
multi-row VALUES) cost about 140 µs a row on this machine; COPY moves the rows
in one stream, and the same INSERT … ON CONFLICT the slow path runs then reads
them with ``INSERT … SELECT``, so the rules (which rows are new, which latest
state wins, how sums add up) are written once, in SQLAlchemy, for both paths.

The temporary tables live per connection and empty themselves at each commit
(``ON COMMIT DELETE ROWS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, column, select, table
from sqlalchemy.sql import Select

from ioc.store.engine import driver_cursor


def _plain(value: Any) -> Any:
    """What COPY should see: a UTC time without its zone (the store's columns hold UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def stage(
    conn: Connection,
    target: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    key: Sequence[str],
) -> Select[Any]:
    """COPY ``rows`` (values in ``columns``' order) into a temporary twin of ``target``;
    return the ``SELECT`` of them, for ``insert(target).from_select(columns, …)``.

    The rows come out in ``key`` order (the target's unique key): two ingestors of a
    share group then lock the rows they both update in one order, and never deadlock
    on each other."""
    name = f"stage_{target.name}_{len(columns)}"
    cursor = driver_cursor(conn)
    try:
        # Every time, not remembered: a rolled-back transaction takes a new table with it.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
            f"SELECT {', '.join(columns)} FROM {target.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {name}")  # a second call in one transaction starts afresh
        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_plain(value) for value in row])
    finally:
        cursor.close()
    staged = table(name, *[column(c) for c in columns])
    return select(*[staged.c[c] for c in columns]).order_by(*[staged.c[c] for c in key])
