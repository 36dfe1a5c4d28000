"""What writing takes on each dialect: its INSERT with ON CONFLICT, and many rows bound at once."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from ioc.store.engine import driver_cursor
from ioc.store.schema import sqlite_datetime_text

# An INSERT that takes ON CONFLICT clauses (both dialects spell them the same).
Upsert = sqlite.Insert | postgresql.Insert
DATETIME_COLUMNS = frozenset({"ts", "received_at", "state_since", "since", "minute"})


def dialect_insert(conn: Connection, table: Table) -> Upsert:
    """An INSERT of the connection's dialect, with its ON CONFLICT clauses."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {dialect}")


def execute_many(conn: Connection, statement: Upsert, rows: list[dict[str, Any]]) -> None:
    """Run one statement for many rows; on SQLite, compiled once and bound as tuples."""
    if conn.dialect.name != "sqlite":
        conn.execute(statement, rows)
        return
    compiled = statement.compile(dialect=conn.dialect)
    names = compiled.positiontup
    assert names is not None  # SQLite's parameters are positional (qmark)
    pick = itemgetter(*names)
    times = [index for index, name in enumerate(names) if name in DATETIME_COLUMNS]
    params = []
    for row in rows:
        values = list(pick(row))
        for index in times:
            if values[index] is not None:
                values[index] = sqlite_datetime_text(values[index])
        params.append(values)
    cursor = driver_cursor(conn)
    try:
        cursor.executemany(compiled.string, params)
    finally:
        cursor.close()
