"""Store writes on a real SQLite file (and PostgreSQL when given): idempotent and exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ioc.contract import Reading, StatusReport
from ioc.store import letters, queries, rollup_writes, writes
from ioc.store.schema import dead_letters, district_status, latest, readings, rollups

T0 = datetime(2026, 11, 22, 1, 0, 5, tzinfo=UTC)


def traffic(source, ts, vehicles, speed=30.0, interval=60, district="ninh-kieu"):
    values = {"vehicles": vehicles, "interval_s": interval, "speed_kmh": speed, "occupancy": None}
    return Reading(district, "traffic", source, ts, values)


def wifi(source, ts, up, district="vinh-thanh"):
    return Reading(district, "wifi", source, ts, {"up": up, "clients": 3})


def write(engine, batch, now=T0):
    with engine.begin() as conn:
        new = writes.insert_readings(conn, batch, received_at=now)
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)
    return new


def test_duplicates_are_stored_once_and_not_rolled_up_twice(engine):
    batch = [traffic("cam-1", T0, 10), traffic("cam-1", T0, 10), traffic("cam-2", T0, 5)]
    assert len(write(engine, batch)) == 2
    # Redelivery of the same messages in a later batch.
    assert write(engine, batch) == []
    with engine.connect() as conn:
        assert queries.count_readings(conn) == 2
        (row,) = conn.execute(select(rollups)).all()
    assert row.n == 2 and row.vehicles == 15
    assert row.speed_x_vehicles == 30.0 * 15


def test_late_reading_is_kept_but_does_not_replace_latest(engine):
    write(engine, [traffic("cam-1", T0 + timedelta(minutes=2), 7)])
    write(engine, [traffic("cam-1", T0, 99)])
    with engine.connect() as conn:
        (row,) = queries.latest_by_source(conn)
        assert queries.count_readings(conn) == 2
        minutes = {r.minute: r.vehicles for r in conn.execute(select(rollups))}
    assert row.vehicles == 7 and row.ts == T0 + timedelta(minutes=2)
    assert minutes == {T0.replace(second=0): 99, T0.replace(second=0) + timedelta(minutes=2): 7}


def test_times_come_back_as_utc(engine):
    write(engine, [traffic("cam-1", T0, 1)])
    with engine.connect() as conn:
        ts = conn.execute(select(readings.c.ts)).scalar_one()
    assert ts == T0 and ts.tzinfo == UTC


def test_wifi_state_since_follows_changes(engine):
    write(engine, [wifi("ap-1", T0, True)])
    write(engine, [wifi("ap-1", T0 + timedelta(minutes=1), True)])
    with engine.connect() as conn:
        assert conn.execute(select(latest.c.state_since)).scalar_one() == T0
    # Down then up again inside one batch: up since the last change.
    t2, t3 = T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)
    write(engine, [wifi("ap-1", t2, False), wifi("ap-1", t3, True)])
    with engine.connect() as conn:
        row = conn.execute(select(latest)).one()
    assert row.up is True and row.state_since == t3
    write(engine, [wifi("ap-1", t3 + timedelta(minutes=1), False)])
    with engine.connect() as conn:
        assert conn.execute(select(latest.c.state_since)).scalar_one() == t3 + timedelta(minutes=1)


def test_status_last_received_wins_and_since_moves_on_change(engine):
    connect_ts = T0
    later, will_arrives = T0 + timedelta(minutes=5), T0 + timedelta(minutes=9)
    with engine.begin() as conn:
        writes.upsert_status(conn, [StatusReport("co-do", True, connect_ts)], received_at=T0)
        writes.upsert_status(conn, [StatusReport("co-do", True, later)], received_at=later)
    with engine.connect() as conn:
        assert conn.execute(select(district_status.c.since)).scalar_one() == T0
    # The Last Will carries the connect time: older ts, but it is the news,
    # and the district is offline since the will arrived, not since it connected.
    with engine.begin() as conn:
        writes.upsert_status(
            conn, [StatusReport("co-do", False, connect_ts)], received_at=will_arrives
        )
    with engine.connect() as conn:
        row = conn.execute(select(district_status)).one()
    assert row.online is False and row.since == will_arrives


def test_counters_add_up_across_batches(engine):
    with engine.begin() as conn:
        writes.add_counters(conn, {"accepted": 3, "rejected:bad_json": 1, "duplicates": 0})
        writes.add_counters(conn, {"accepted": 2, "rejected:bad_json": 4})
    with engine.connect() as conn:
        assert queries.counters(conn) == {"accepted": 5, "rejected:bad_json": 5}


def test_dead_letters_keep_2_kib_and_the_full_size(engine):
    letter = letters.DeadLetter(T0, "ioc/v1/x/traffic/a", b"x" * 5000, "too_large", "big", None)
    with engine.begin() as conn:
        letters.add_dead_letters(conn, [letter])
    with engine.connect() as conn:
        row = conn.execute(select(dead_letters)).one()
    assert len(row.payload) == 2048 and row.payload_bytes == 5000 and row.reason == "too_large"


def test_prune_removes_only_old_raw_rows(engine):
    old, recent = T0 - timedelta(days=20), T0 - timedelta(days=1)
    write(engine, [traffic("cam-1", old, 1), traffic("cam-1", recent, 2)])
    with engine.begin() as conn:
        removed = writes.prune(conn, before=writes.retention_cutoff(T0, 14))
    with engine.connect() as conn:
        assert removed == 1
        assert [r.ts for r in conn.execute(select(readings.c.ts))] == [recent]
        # Rollups stay for long ranges.
        assert len(conn.execute(select(rollups)).all()) == 2


def test_dead_letters_are_kept_once_per_identical_message(engine):
    first = letters.DeadLetter(T0, "ioc/v1/x/wifi/a", b"not json 1", "bad_json", "not JSON")
    again = letters.DeadLetter(T0, "ioc/v1/x/wifi/a", b"not json 1", "bad_json", "not JSON")
    other = letters.DeadLetter(T0, "ioc/v1/x/wifi/a", b"not json 2", "bad_json", "not JSON")
    with engine.begin() as conn:
        assert letters.add_dead_letters(conn, [first, again]) == [first]
    with engine.begin() as conn:
        assert letters.add_dead_letters(conn, [again, other]) == [other]
    with engine.connect() as conn:
        assert len(conn.execute(select(dead_letters)).all()) == 2


@pytest.mark.parametrize(
    "ts",
    [
        datetime(2026, 11, 22, 1, 0, 5, 123456, tzinfo=UTC),
        datetime(2026, 11, 22, 8, 0, 5, 1, tzinfo=timezone(timedelta(hours=7))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_fast_written_times_read_back_as_the_same_instant(engine, ts):
    write(engine, [traffic("cam-1", ts, 1), wifi("ap-1", ts, True)])
    with engine.connect() as conn:
        stored = {r.ts for r in conn.execute(select(readings.c.ts))}
        latest_ts = {r.ts for r in queries.latest_by_source(conn)}
    assert stored == latest_ts == {ts}
    # The same instant again is a duplicate, whatever its offset.
    assert write(engine, [traffic("cam-1", ts.astimezone(UTC), 1)]) == []


def test_migrations_create_exactly_the_declared_schema(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ioc.store.partitions import include_name
    from ioc.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        differences = compare_metadata(context, metadata)
    assert differences == []


def _hours_from_minutes(engine, since, until) -> dict:
    """What summing the minute rows gives, per (district, hour): the hourly table's promise."""
    found: dict = {}
    with engine.connect() as conn:
        for row in conn.execute(select(rollups).where(rollups.c.feed == "traffic")):
            if since <= row.minute < until:
                key = (row.district, row.minute.replace(minute=0))
                minutes, vehicles = found.get(key, (0, 0.0))
                found[key] = (minutes + 1, vehicles + row.vehicles)
    return found


def test_hourly_rollups_agree_with_the_minutes_for_any_range(engine):
    # Three hours of readings, written in batches that overlap hours, one redelivered
    # and one arriving late: the hour rows must still be the sums of their minutes.
    start = T0.replace(minute=0, second=0)
    batches = [
        [traffic(f"cam-{c}", start + timedelta(minutes=m), c + m % 7, district=d)
         for c in range(3) for d in ("ninh-kieu", "cai-rang")]
        for m in range(0, 180, 2)
    ]  # fmt: skip
    for batch in batches[::2]:
        write(engine, batch)
    write(engine, batches[0])  # redelivered: not counted again
    for batch in batches[1::2]:  # late
        write(engine, batch)
    for since, until in [
        (start, start + timedelta(hours=3)),  # whole hours only
        (start + timedelta(minutes=17), start + timedelta(hours=2, minutes=41)),  # both edges
        (start + timedelta(minutes=5), start + timedelta(minutes=50)),  # inside one hour
    ]:
        with engine.connect() as conn:
            got = {
                (d, hour): (minutes, sums["vehicles"])
                for d, hour, minutes, sums in queries.rollup_hours(
                    conn, feed="traffic", since=since, until=until
                )
            }
        assert got == _hours_from_minutes(engine, since, until)
    with engine.connect() as conn:
        (whole,) = queries.rollup_hours(
            conn, feed="traffic", since=start, until=start + timedelta(hours=1),
            district="cai-rang",
        )  # fmt: skip
    assert whole[2] == 30  # 30 minutes with data, each 3 cameras
    assert whole[3]["n"] == 90


def test_the_migration_fills_hourly_district_rollups_from_the_minutes(tmp_path):
    from ioc.store.engine import make_engine, migrate
    from ioc.store.schema import rollups_hour

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    write(engine, [traffic("cam-1", T0 + timedelta(minutes=m), 2) for m in range(0, 150, 5)])
    with engine.begin() as conn:
        expected = {(r.hour, r.minutes, r.vehicles) for r in conn.execute(select(rollups_hour))}
        conn.exec_driver_sql("DROP TABLE rollups_hour")
        conn.exec_driver_sql("DROP TABLE snapshots")  # 0005 is applied again too
        conn.exec_driver_sql("DROP INDEX ix_dead_letters_reason_id")  # and 0006
        for table in ("accounts", "tokens", "audit", "sessions", "app_secrets"):  # and 0007
            conn.exec_driver_sql(f"DROP TABLE {table}")
        for column in ("reconnects", "session_losses"):  # and 0008
            conn.exec_driver_sql(f"ALTER TABLE ingestors DROP COLUMN {column}")
        for table in ("alarms", "alarm_transitions", "alarm_deliveries", "alarm_lease"):  # 0011
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("DROP TABLE source_positions")  # and 0012
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")
    migrate(engine)
    with engine.connect() as conn:
        found = {(r.hour, r.minutes, r.vehicles) for r in conn.execute(select(rollups_hour))}
    assert found == expected and sum(v for _h, _m, v in found) == 60


def test_two_writers_of_the_same_hour_leave_it_summed_exactly(engine):
    """Two ingestors (a share group, PostgreSQL) commit minutes of one hour at once."""
    import threading

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    start = T0.replace(minute=0, second=0)
    first_in = threading.Event()
    errors = []

    def second_writer():
        try:
            first_in.wait(10)
            write(engine, [traffic("cam-2", start + timedelta(minutes=30), 5)])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    other = threading.Thread(target=second_writer)
    other.start()
    with engine.begin() as conn:  # the first writer holds its transaction open a moment
        new = writes.insert_readings(conn, [traffic("cam-1", start, 7)], received_at=T0)
        rollup_writes.add_rollups(conn, new)
        first_in.set()
        other.join(0.5)  # the second writer now waits for this commit
    other.join(10)
    assert errors == []
    with engine.connect() as conn:
        (hour,) = queries.rollup_hours(
            conn, feed="traffic", since=start, until=start + timedelta(hours=1)
        )
    assert (hour[2], hour[3]["vehicles"]) == (2, 12.0)
