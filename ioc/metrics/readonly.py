"""Warehouse connections that cannot write: one statement per metric, in a read-only transaction.

The catalogue refuses SQL that is not one reading statement (catalogue.py). No
text check is trusted alone: the driver and the database refuse the same things.

- **One statement.** psycopg prepares every statement (``prepare_threshold=0``,
  the extended protocol), and PostgreSQL refuses several commands in a prepared
  statement; ``sqlite3``'s ``execute()`` refuses a second statement. So a metric
  cannot end its transaction (``SELECT 1; COMMIT; …``).
- **Read-only for certain.** PostgreSQL: each evaluation is its own transaction,
  made ``READ ONLY`` from inside and checked before the metric runs (after that
  first query PostgreSQL refuses to make it read-write), and rolled back, never
  committed. The session default is read-only as well. A role that may write
  server files or run programs (a superuser) is refused. SQLite: the file is
  opened ``mode=ro``, with ``PRAGMA query_only`` and an authorizer that allows
  reading only (no ATTACH, no PRAGMA, no write, no ``load_extension``).
- **Nothing carried over.** After any error the connection is discarded, never
  returned to the pool. After a success the rollback undoes every setting the
  statement changed, and PostgreSQL session advisory locks are released.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Connection, Engine, RowMapping, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from ioc.model.metric import Database

# What a metric's statement may do on SQLite: read tables and views, call functions, recurse.
SQLITE_READING = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)

# A read-only transaction does not stop COPY … TO a server file, lo_export or COPY … PROGRAM,
# whose effects outlive the rollback; the roles that may use them are refused outright.
ROLE_CHECK = (
    "SELECT current_setting('transaction_read_only') = 'on', current_user, "
    "pg_has_role('pg_write_server_files', 'USAGE') "
    "OR pg_has_role('pg_execute_server_program', 'USAGE')"
)


class NotReadOnlyError(ValueError):
    """The warehouse connection could not be made read-only; the metric is not run."""


def read_only_engine(database: Database) -> Engine:
    """An engine that cannot write, with the database's statement timeout."""
    url = make_url(database.url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database.name, url.database or "")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
        timeout_ms = int(database.timeout_s * 1000)
        given = url.query.get("options", "")
        options = " ".join(
            [*([given] if isinstance(given, str) else given),
             f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"]
        )  # fmt: skip
        # prepare_threshold=0: every statement is prepared (extended protocol), so
        # PostgreSQL itself refuses a query holding more than one command.
        return create_engine(
            url, connect_args={"options": options, "prepare_threshold": 0}, pool_pre_ping=True
        )
    raise NotReadOnlyError(
        f"database {database.name}: only SQLite and PostgreSQL through psycopg can be read-only"
    )


def _sqlite_engine(name: str, path: str) -> Engine:
    if not path or path == ":memory:" or path.startswith("file:"):
        raise NotReadOnlyError(f"database {name}: a read-only SQLite database needs a file path")
    # A file: URI with mode=ro; as_uri() escapes the characters a URI would misread (?, #, %).
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.execute("PRAGMA query_only = ON")
        return connection

    engine = create_engine(f"sqlite:///{path}", creator=connect)
    # Set on "connect", which runs after SQLAlchemy's first-connect checks (they read a PRAGMA).
    event.listen(engine, "connect", _sqlite_reading_only)
    return engine


def _sqlite_reading_only(
    dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry
) -> None:
    dbapi_connection.set_authorizer(_sqlite_authorize)


def _sqlite_authorize(
    action: int, _arg1: str | None, arg2: str | None, _database: str | None, _trigger: str | None
) -> int:
    if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() == "load_extension":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK if action in SQLITE_READING else sqlite3.SQLITE_DENY


def read_rows(
    engine: Engine, sql: str, bound: Mapping[str, object], timeout_s: float
) -> list[RowMapping]:
    """Run one metric statement read-only and return its rows; any error discards the connection."""
    with engine.connect() as conn:
        try:
            if engine.dialect.name == "postgresql":
                rows = _read_postgresql(conn, sql, bound)
            else:
                rows = _read_sqlite(conn, sql, bound, timeout_s)
            conn.rollback()
            return rows
        except Exception:
            # Whatever state the failed statement left (an open or broken transaction,
            # a setting, a lock), no later metric gets this connection.
            conn.invalidate()
            raise


def _read_postgresql(conn: Connection, sql: str, bound: Mapping[str, object]) -> list[RowMapping]:
    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    # This check is a query too: from here on the transaction cannot become read-write.
    read_only, role, escapes = conn.exec_driver_sql(ROLE_CHECK).one()
    if not read_only:
        raise NotReadOnlyError("the warehouse transaction is not read-only")
    if escapes:
        raise NotReadOnlyError(
            f"the warehouse role {role} may write server files or run programs (a superuser?): "
            "connect as a SELECT-only role (docs/metrics.md)"
        )
    rows = list(conn.execute(text(sql), bound).mappings())
    # A session-level advisory lock would outlive the rollback and the metric.
    conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
    return rows


def _read_sqlite(
    conn: Connection, sql: str, bound: Mapping[str, object], timeout_s: float
) -> list[RowMapping]:
    # SQLite has no statement timeout: interrupt the query from a timer.
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None  # None only once the connection is invalidated
    timer = threading.Timer(timeout_s, dbapi_connection.interrupt)
    timer.start()
    try:
        return list(conn.execute(text(sql), bound).mappings())
    finally:
        timer.cancel()
