"""Writes of the ingestor: one batch, one transaction. Only the ingestor calls these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, delete, select

from ioc.contract import Reading, StatusReport
from ioc.store import partitions
from ioc.store.dialect import dialect_insert, execute_many
from ioc.store.engine import driver_cursor
from ioc.store.schema import (
    VALUE_COLUMNS,
    dead_letters,
    district_status,
    ingest_counters,
    ingestors,
    latest,
    readings,
    sqlite_datetime_text,
)
from ioc.store.stage import stage


def _key(reading: Reading) -> tuple[str, str, str, datetime]:
    return (reading.district, reading.feed, reading.source, reading.ts)


def _row(reading: Reading, received_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    row.update(reading.values)
    row.update(
        district=reading.district,
        feed=reading.feed,
        source=reading.source,
        ts=reading.ts,
        received_at=received_at,
        seq=reading.seq,
        name=reading.name,
    )
    return row


# SQLite allows 32,766 bound parameters per statement (3.32 and later).
SQLITE_MAX_PARAMS = 32_766
READING_COLUMNS = ("district", "feed", "source", "ts", "received_at", "seq", "name",
                   *VALUE_COLUMNS)  # fmt: skip
LATEST_COLUMNS = (*READING_COLUMNS, "state_since")


def insert_readings(
    conn: Connection, batch: Sequence[Reading], *, received_at: datetime
) -> list[Reading]:
    """Insert readings not stored before; return those that were new."""
    unique: dict[tuple[str, str, str, datetime], Reading] = {}
    for reading in batch:
        unique.setdefault(_key(reading), reading)
    if not unique:
        return []
    if conn.dialect.name == "sqlite":
        return _insert_readings_sqlite(conn, unique, received_at)
    rows = [_row(reading, received_at) for reading in unique.values()]
    values = [[r[c] for c in READING_COLUMNS] for r in rows]
    staged = stage(
        conn, readings, READING_COLUMNS, values, key=("district", "feed", "source", "ts")
    )
    statement = (
        dialect_insert(conn, readings)
        .from_select(READING_COLUMNS, staged)
        .on_conflict_do_nothing(index_elements=["district", "feed", "source", "ts"])
        .returning(readings.c.district, readings.c.feed, readings.c.source, readings.c.ts)
    )
    inserted = conn.execute(statement).all()
    return [unique[tuple(row)] for row in inserted]


def _insert_readings_sqlite(
    conn: Connection, unique: dict[tuple[str, str, str, datetime], Reading], received_at: datetime
) -> list[Reading]:
    # SQLAlchemy's per-row processing cost more than SQLite itself (about 50 of
    # the 70 us a message took): bind plain tuples on the driver's cursor.
    received = sqlite_datetime_text(received_at)
    by_text: dict[tuple[str, str, str, str], Reading] = {}
    rows = []
    for reading in unique.values():
        ts = sqlite_datetime_text(reading.ts)
        by_text[(reading.district, reading.feed, reading.source, ts)] = reading
        values = reading.values
        rows.append((reading.district, reading.feed, reading.source, ts, received, reading.seq,
                     reading.name, *[values.get(name) for name in VALUE_COLUMNS]))  # fmt: skip
    per_statement = SQLITE_MAX_PARAMS // len(READING_COLUMNS)
    cursor = driver_cursor(conn)
    new: list[Reading] = []
    try:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(_sqlite_insert_sql(len(chunk)), [x for row in chunk for x in row])
            new.extend(by_text[tuple(row)] for row in cursor.fetchall())
    finally:
        cursor.close()
    return new


@lru_cache(maxsize=64)
def _sqlite_insert_sql(count: int) -> str:
    one = "(" + ",".join("?" * len(READING_COLUMNS)) + ")"
    return (
        f"INSERT INTO readings ({','.join(READING_COLUMNS)}) VALUES {','.join([one] * count)} "
        "ON CONFLICT (district, feed, source, ts) DO NOTHING "
        "RETURNING district, feed, source, ts"
    )


def upsert_latest(conn: Connection, new: Iterable[Reading], *, received_at: datetime) -> None:
    """Keep each source's newest reading; an older, late reading never overwrites a newer one."""
    newest: dict[tuple[str, str, str], Reading] = {}
    first_ts: dict[tuple[str, str, str], datetime] = {}
    # wifi: where the last run of equal up/down values in this batch began.
    run_start: dict[tuple[str, str, str], datetime] = {}
    for reading in sorted(new, key=lambda r: r.ts):
        key = (reading.district, reading.feed, reading.source)
        previous = newest.get(key)
        if previous is None or previous.values.get("up") != reading.values.get("up"):
            run_start[key] = reading.ts
        first_ts.setdefault(key, reading.ts)
        newest[key] = reading
    # A source whose state changed inside this batch takes the batch's run start;
    # otherwise the stored state_since stands unless the stored state differs.
    carried: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for key, reading in newest.items():
        row = _row(reading, received_at)
        row["state_since"] = run_start[key] if reading.feed == "wifi" else None
        (changed if run_start[key] != first_ts[key] else carried).append(row)
    statement = dialect_insert(conn, latest)
    excluded = statement.excluded
    update: dict[str, ColumnElement[Any]] = {
        name: excluded[name] for name in ("ts", "received_at", "seq", *VALUE_COLUMNS)
    }
    update["name"] = case((excluded.name.is_(None), latest.c.name), else_=excluded.name)
    for rows, since in (
        (
            carried,
            case((latest.c.up == excluded.up, latest.c.state_since), else_=excluded.state_since),
        ),
        (changed, excluded.state_since),
    ):
        if not rows:
            continue
        source = statement
        if conn.dialect.name == "postgresql":  # COPY, then one statement (ioc/store/stage.py)
            values = [[row[c] for c in LATEST_COLUMNS] for row in rows]
            source = statement.from_select(
                LATEST_COLUMNS,
                stage(conn, latest, LATEST_COLUMNS, values, key=("district", "feed", "source")),
            )
        upsert = source.on_conflict_do_update(
            index_elements=["district", "feed", "source"],
            set_={**update, "state_since": since},
            where=excluded.ts > latest.c.ts,
        )
        if conn.dialect.name == "postgresql":
            conn.execute(upsert)
        else:
            execute_many(conn, upsert, rows)


def upsert_status(
    conn: Connection, reports: Sequence[StatusReport], *, received_at: datetime
) -> None:
    """Record each district IOC's presence as last received; `since` moves on a change.

    Arrival order wins, not ts: a Last Will carries the ts of its client's
    connect, older than the online:true reports sent after it. For the same
    reason `since` is when the change reached the store, not the report's ts.
    """
    newest: dict[str, StatusReport] = {}
    for report in reports:
        newest[report.district] = report
    if not newest:
        return
    statement = dialect_insert(conn, district_status)
    excluded = statement.excluded
    rows = [
        {
            "district": r.district,
            "online": r.online,
            "ts": r.ts,
            "received_at": received_at,
            "since": received_at,
        }
        for r in newest.values()
    ]
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["district"],
            set_={
                "online": excluded.online,
                "ts": excluded.ts,
                "received_at": excluded.received_at,
                "since": case(
                    (district_status.c.online == excluded.online, district_status.c.since),
                    else_=excluded.since,
                ),
            },
        ),
        rows,
    )


def add_counters(conn: Connection, counts: dict[str, int]) -> None:
    """Add to the persistent ingest counters (they survive restarts, and web workers read them)."""
    rows = [{"name": name, "value": value} for name, value in counts.items() if value]
    if not rows:
        return
    statement = dialect_insert(conn, ingest_counters)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": ingest_counters.c.value + statement.excluded.value},
        ),
        rows,
    )


def heartbeat(
    conn: Connection,
    *,
    ingestor_id: str,
    broker: str,
    connected: bool,
    started_at: datetime,
    now: datetime,
    last_message_at: datetime | None,
    reconnects: int = 0,
    session_losses: int = 0,
) -> None:
    """Say this ingestor is alive, whether it holds a broker connection, and how often it
    connected again and found its session lost (counted since its client id first ran)."""
    statement = dialect_insert(conn, ingestors)
    row = {
        "ingestor_id": ingestor_id,
        "broker": broker[:300],
        "connected": connected,
        "started_at": started_at,
        "updated_at": now,
        "last_message_at": last_message_at,
        "reconnects": reconnects,
        "session_losses": session_losses,
    }
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["ingestor_id"],
            set_={k: v for k, v in row.items() if k != "ingestor_id"},
        ),
        [row],
    )


def prune(conn: Connection, *, before: datetime, limit: int = 50_000) -> int:
    """Remove raw readings and dead letters older than the retention; how many went.

    Partitioned readings (PostgreSQL) lose whole days by ``DROP TABLE``, and the
    writer makes the coming days' partitions first; elsewhere rows are deleted, a
    chunk at a time."""
    removed = 0
    tables = [(dead_letters, dead_letters.c.received_at)]
    if partitions.is_partitioned(conn):
        partitions.make(conn, partitions.ahead(datetime.now(UTC).date()))
        removed += partitions.drop_before(conn, before)[1]
    else:
        tables.insert(0, (readings, readings.c.ts))
    for table, column in tables:
        oldest = select(table.c.id).where(column < before).limit(limit).scalar_subquery()
        removed += conn.execute(delete(table).where(table.c.id.in_(oldest))).rowcount or 0
    return removed


def retention_cutoff(now: datetime, days: float) -> datetime:
    """The time before which raw rows are pruned."""
    return now - timedelta(days=days)
