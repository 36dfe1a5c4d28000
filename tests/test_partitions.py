"""Raw readings by day on PostgreSQL: rows land in their day, retention drops days.

Runs only where a test PostgreSQL is configured (IOC_TEST_DATABASE_URL, as .ci/run sets).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from ioc.contract import Reading
from ioc.store import partitions, writes
from ioc.store.engine import alembic_config, make_engine, migrate, private_schema
from ioc.store.schema import readings
from tests.conftest import TEST_DATABASE_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs IOC_TEST_DATABASE_URL (PostgreSQL)"),
]

TODAY = datetime.now(UTC).date()


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def reading(source: str, ts: datetime) -> dict:
    return {
        "district": "ninh-kieu",
        "feed": "traffic",
        "source": source,
        "ts": ts,
        "received_at": datetime.now(UTC),
        "vehicles": 4,
        "speed_kmh": 31.5,
    }


@pytest.fixture
def pg():
    with private_schema(TEST_DATABASE_URL, "part") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def put(engine, *rows: dict) -> None:
    with engine.begin() as conn:
        conn.execute(readings.insert(), list(rows))


def where(engine, ts: datetime) -> str:
    """The partition that holds the row of ``ts``."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT tableoid::regclass::text FROM readings WHERE ts = :ts"),
            {"ts": ts.replace(tzinfo=None)},
        ).scalar_one()


def test_migration_partitions_readings_by_day_and_keeps_the_rows_it_had(pg):
    # A store at 0009 holding readings of three days, one far back.
    command.upgrade(alembic_config(pg), "0009")
    old = [at(TODAY - timedelta(days=2)), at(TODAY), at(date(2025, 1, 1))]
    put(pg, *[reading(f"cam-{n}", ts) for n, ts in enumerate(old)])
    migrate(pg)
    with pg.connect() as conn:
        assert partitions.is_partitioned(conn)
        made = partitions.days(conn)
    # From the oldest row's day, but at most 35 days back, to three days ahead.
    assert made[0] == TODAY - timedelta(days=35) and made[-1] == TODAY + timedelta(days=3)
    assert where(pg, old[0]).endswith(partitions.partition_name(old[0].date()))
    assert where(pg, old[1]).endswith(partitions.partition_name(TODAY))
    assert where(pg, old[2]).endswith(partitions.DEFAULT)  # too old for its own day
    # The ids go on from the old sequence, and a new reading still lands in its day.
    put(pg, reading("cam-new", at(TODAY, 13)))
    with pg.connect() as conn:
        ids = conn.execute(select(readings.c.id).order_by(readings.c.id)).scalars().all()
    assert ids == [1, 2, 3, 4]


def test_the_writer_path_stores_each_reading_once_in_its_day(pg):
    migrate(pg)
    values = {"vehicles": 4, "interval_s": 60, "speed_kmh": 31.5, "occupancy": None}
    batch = [
        Reading("ninh-kieu", "traffic", "cam-1", at(TODAY + timedelta(days=n), 9), values)
        for n in (0, 1)
    ]
    now = datetime.now(UTC)
    with pg.begin() as conn:
        assert len(writes.insert_readings(conn, batch, received_at=now)) == 2
    with pg.begin() as conn:  # redelivered: a duplicate across the partitioned key
        assert writes.insert_readings(conn, batch, received_at=now) == []
    assert where(pg, batch[1].ts).endswith(partitions.partition_name(TODAY + timedelta(days=1)))


def test_a_day_without_its_partition_waits_in_the_default_then_moves_into_its_own(pg):
    migrate(pg)
    later = TODAY + timedelta(days=10)
    put(pg, reading("cam-1", at(later)), reading("cam-2", at(later, 23)))
    assert where(pg, at(later)).endswith(partitions.DEFAULT)
    with pg.begin() as conn:
        assert partitions.make(conn, [later]) == [later]
    assert where(pg, at(later)).endswith(partitions.partition_name(later))
    with pg.connect() as conn:
        assert conn.execute(select(func.count()).select_from(readings)).scalar_one() == 2
        default_rows = conn.execute(text(f"SELECT count(*) FROM {partitions.DEFAULT}")).scalar()
    assert default_rows == 0


def test_prune_drops_whole_days_past_the_retention_and_keeps_the_day_it_cuts(pg):
    migrate(pg)
    first = TODAY - timedelta(days=20)
    with pg.begin() as conn:
        partitions.make(conn, [first + timedelta(days=n) for n in range(20)])
    rows = [reading(f"cam-{n}", at(first + timedelta(days=n), 6)) for n in range(21)]
    rows.append(reading("late", at(date(2024, 5, 1))))  # in the default, long past
    put(pg, *rows)
    cutoff = datetime.combine(TODAY - timedelta(days=14), time(12), tzinfo=UTC)
    with pg.begin() as conn:
        removed = writes.prune(conn, before=cutoff)
    with pg.connect() as conn:
        left = sorted(d for d in conn.execute(select(readings.c.ts)).scalars())
        kept_days = partitions.days(conn)
    # Days -20..-15 are dropped whole (6 rows) and the default's old row deleted: 7.
    # Day -14 holds the cutoff: kept whole, its 06:00 row (before the cutoff) with it.
    assert removed == 7
    assert left[0] == at(TODAY - timedelta(days=14), 6)
    assert kept_days[0] == TODAY - timedelta(days=14)
    # And pruning made the days ahead.
    assert kept_days[-1] == TODAY + timedelta(days=partitions.AHEAD_DAYS)


def test_two_writers_making_the_same_partitions_at_once_both_succeed(pg):
    migrate(pg)
    wanted = [TODAY + timedelta(days=n) for n in range(5, 25)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def make() -> None:
        try:
            start.wait()
            with pg.begin() as conn:
                partitions.make(conn, wanted)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=make) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with pg.connect() as conn:
        assert set(wanted) <= set(partitions.days(conn))


def test_sqlite_keeps_one_table_and_prunes_by_delete(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ioc.db'}")
    migrate(engine)
    put(engine, reading("cam-1", at(TODAY - timedelta(days=20))), reading("cam-1", at(TODAY)))
    with engine.begin() as conn:
        assert not partitions.is_partitioned(conn)
        assert writes.prune(conn, before=at(TODAY - timedelta(days=14))) == 1
