"""The wall's numbers from a real store: KPIs, status, staleness, alarms, trends, the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from ioc.contract import Reading, StatusReport
from ioc.model.wall import CITY
from ioc.services.kpis import KpiCatalogue, load_kpis
from ioc.services.wall import WallService
from ioc.status import Thresholds
from ioc.store import rollup_writes, writes
from ioc.store.schema import ROLLUP_SUMS, rollups
from tests.conftest import make_settings

NOW = datetime(2026, 11, 23, 3, 0, 30, tzinfo=UTC)  # 10:00:30 in Can Tho, a Monday


def traffic(district, source, vehicles, speed, ts=NOW, interval=60, occupancy=0.3):
    values = {"vehicles": vehicles, "interval_s": interval, "speed_kmh": speed,
              "occupancy": occupancy}  # fmt: skip
    return Reading(district, "traffic", source, ts, values, name=f"Camera {source}")


def wifi(district, source, up, ts=NOW):
    return Reading(district, "wifi", source, ts, {"up": up, "clients": 5}, name=f"AP {source}")


def backlog(district, source, pending, overdue, resolved=0, on_time=0, received=0, ts=NOW):
    values = {"pending": pending, "overdue": overdue, "received_today": received,
              "resolved_today": resolved, "resolved_on_time_today": on_time}  # fmt: skip
    return Reading(district, "backlog", source, ts, values, name=source)


def write(engine, batch, now=NOW):
    with engine.begin() as conn:
        new = writes.insert_readings(conn, batch, received_at=now)
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)


def status(engine, district, online, now=NOW):
    with engine.begin() as conn:
        writes.upsert_status(conn, [StatusReport(district, online, now)], received_at=now)


@pytest.fixture
def kpis() -> KpiCatalogue:
    return KpiCatalogue(
        {
            "traffic_speed": Thresholds("higher", warn=25, alarm=15),
            "wifi_up": Thresholds("higher", warn=95, alarm=85),
            "backlog_overdue": Thresholds("lower", warn=5, alarm=10),
            "backlog_on_time": Thresholds("higher", warn=95, alarm=90),
        }
    )


@pytest.fixture
def wall(engine, areas, kpis) -> WallService:
    return WallService(make_settings(), engine, areas, kpis)


def test_city_and_district_figures_add_up(engine, wall):
    write(engine, [
        traffic("ninh-kieu", "cam-1", 100, 40.0),
        traffic("ninh-kieu", "cam-2", 300, 20.0),
        traffic("cai-rang", "cam-1", 60, 30.0, interval=30),
        wifi("ninh-kieu", "ap-1", True), wifi("ninh-kieu", "ap-2", False),
        backlog("ninh-kieu", "desk-1cua", 200, 30, resolved=50, on_time=48, received=60),
        backlog("ninh-kieu", "hotline-1022", 20, 1, resolved=4, on_time=4, received=5),
    ])  # fmt: skip
    snap = wall.build(NOW)
    nk = snap.district("ninh-kieu")
    assert nk.kpis["traffic_flow"].value == 400
    # Speed is weighted by vehicles: (100 x 40 + 300 x 20) / 400.
    assert nk.kpis["traffic_speed"].value == pytest.approx(25.0)
    assert (nk.kpis["wifi_up"].value, nk.kpis["wifi_up"].total) == (1, 2)
    assert nk.kpis["wifi_up"].share == 50.0
    assert nk.kpis["backlog_pending"].value == 220
    assert nk.kpis["backlog_overdue"].share == pytest.approx(100 * 31 / 220)
    assert nk.kpis["backlog_on_time"].value == 54
    assert nk.kpis["backlog_on_time"].share == pytest.approx(100 * 52 / 54)
    assert nk.figures["hotline_pending"] == 20 and nk.figures["hotline_resolved"] == 4
    # The city: 400 + 60 x 60/30 vehicles per minute.
    assert snap.city.kpis["traffic_flow"].value == 520
    assert snap.city.slug == CITY
    assert snap.district("co-do").status == "no_data"


def test_status_follows_thresholds_and_the_worst_makes_the_district(engine, wall):
    write(engine, [
        traffic("ninh-kieu", "cam-1", 100, 12.0),  # alarm: under 15 km/h
        traffic("cai-rang", "cam-1", 100, 22.0),  # warn: under 25
        traffic("o-mon", "cam-1", 100, 40.0),
        wifi("o-mon", "ap-1", True),
    ])  # fmt: skip
    snap = wall.build(NOW)
    assert snap.district("ninh-kieu").kpis["traffic_speed"].status == "alarm"
    assert snap.district("cai-rang").kpis["traffic_speed"].status == "warn"
    assert snap.district("o-mon").kpis["traffic_speed"].status == "ok"
    assert [d.status for d in snap.districts[:4]] == ["alarm", "no_data", "warn", "ok"]
    first = snap.alarms[0]
    assert (first.district, first.key, first.status) == ("ninh-kieu", "traffic_speed", "alarm")
    assert first.value == pytest.approx(12.0)
    assert [a.district for a in snap.alarms] == ["ninh-kieu", "cai-rang"]
    # Each KPI carries the (warn, alarm) it was judged by, for the charts' limit lines.
    assert snap.district("ninh-kieu").kpis["traffic_speed"].limits == (25, 15)


def test_a_stale_feed_is_grey_whatever_its_value(engine, wall):
    old = NOW - timedelta(minutes=4)  # traffic every 60 s: stale after 3 minutes
    write(engine, [
        traffic("ninh-kieu", "cam-1", 100, 5.0, ts=old),  # would be an alarm if live
        backlog("ninh-kieu", "desk-1cua", 50, 40, ts=NOW - timedelta(minutes=16)),
        wifi("ninh-kieu", "ap-1", True),
    ])  # fmt: skip
    snap = wall.build(NOW)
    nk = snap.district("ninh-kieu")
    flow = nk.kpis["traffic_flow"]
    assert flow.status == "stale" and flow.value is None and flow.as_of == old
    assert nk.kpis["traffic_speed"].status == "stale"
    # Pending work stands while a desk is quiet, but its status is stale, not alarm.
    assert nk.kpis["backlog_pending"].value == 50
    assert nk.kpis["backlog_overdue"].status == "stale"
    assert nk.kpis["wifi_up"].status == "ok"
    stale = {(a.kind, a.key) for a in snap.alarms if a.district == "ninh-kieu"}
    assert stale == {("stale", "traffic"), ("stale", "backlog")}


def test_an_offline_district_ioc_is_an_alarm_in_the_ticker(engine, wall):
    status(engine, "thot-not", False)
    status(engine, "o-mon", True)
    snap = wall.build(NOW)
    assert snap.district("thot-not").online is False
    assert snap.district("o-mon").online is True
    (alarm,) = snap.alarms
    assert (alarm.district, alarm.kind, alarm.since) == ("thot-not", "offline", NOW)


def test_trends_come_from_the_minute_rollups(engine, wall):
    for minutes_ago, vehicles in ((3, 10), (2, 20), (1, 30)):
        ts = NOW.replace(second=5) - timedelta(minutes=minutes_ago)
        write(engine, [traffic("ninh-kieu", "cam-1", vehicles, 30.0, ts=ts)])
    trend = wall.build(NOW).district("ninh-kieu").kpis["traffic_flow"].trend
    assert len(trend) == 60
    assert list(trend[-3:]) == [10, 20, 30]
    assert all(value is None for value in trend[:-3])


def test_uptime_is_the_share_of_reports_that_said_up(engine, wall):
    batch = []
    for minute in range(1, 11):
        ts = NOW - timedelta(minutes=minute)
        batch += [wifi("vinh-thanh", "ap-1", True, ts), wifi("vinh-thanh", "ap-2", minute > 2, ts)]
    write(engine, batch)
    uptime = wall.build(NOW).district("vinh-thanh").kpis["wifi_uptime"].value
    assert uptime == pytest.approx(100 * 18 / 20)


def test_usual_level_is_the_same_hour_over_previous_weeks(engine, wall):
    rows = []
    for day, flow in ((1, 100.0), (2, 300.0)):
        start = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(days=day)
        for minute in range(60):
            sums = dict.fromkeys(ROLLUP_SUMS, 0.0) | {"n": 1.0, "vehicles_per_min": flow}
            rows.append({"district": "ninh-kieu", "feed": "traffic",
                         "minute": start + timedelta(minutes=minute), **sums})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(rollups), rows)
        # As the ingestor does after adding minutes: the hours they fall in are summed again.
        rollup_writes.refresh_hour_rollups(
            conn, {("traffic", r["minute"].replace(minute=0)) for r in rows}
        )
    write(engine, [traffic("ninh-kieu", "cam-1", 250, 30.0)])
    snap = wall.build(NOW)
    assert snap.district("ninh-kieu").figures["usual_flow"] == pytest.approx(200.0)
    assert snap.traffic_usual[10] == pytest.approx(200.0)  # 10:00 local
    assert snap.traffic_usual[9] is None


def test_many_screens_cost_one_build_per_interval(engine, wall):
    write(engine, [traffic("ninh-kieu", "cam-1", 100, 40.0)])
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    first = wall.snapshot(NOW)
    per_build = len(statements)
    for screen in range(20):
        assert wall.snapshot(NOW + timedelta(milliseconds=10 * screen)) is first
    assert len(statements) == per_build
    # The next interval builds again, but the slower per-minute parts are kept.
    wall.snapshot(NOW + timedelta(seconds=2))
    assert 0 < len(statements) - per_build < per_build


def test_the_shipped_kpi_file_loads(tmp_path):
    catalogue = load_kpis(make_settings().kpis_file)
    assert catalogue.thresholds["traffic_speed"].alarm == 15
    assert catalogue.status("traffic_speed", 10.0, stale=False) == "alarm"
    assert catalogue.status("traffic_flow", 10.0, stale=False) == "ok"
