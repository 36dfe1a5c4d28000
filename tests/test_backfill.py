"""A demo with a past: the first start of the demo writes 30 days of history, once."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from feeds.commands import RawMessage
from feeds.demo.backfill import FINE_SPAN, Backfill, backfill, is_empty, steps, wifi_every_for
from feeds.demo.places import contains, outlines
from feeds.simulate import Simulator
from feeds.writer import BatchWriter
from ioc.clock import LOCAL_TZ
from ioc.district_view import parse_view
from ioc.services.district import DistrictService
from ioc.services.kpis import load_kpis
from ioc.services.live import LiveService
from ioc.services.metrics import MetricsService
from ioc.services.wall import WallService
from ioc.store import queries
from ioc.store.engine import make_engine, migrate
from tests.app_process import AppProcess
from tests.conftest import make_settings, wait_until

UNTIL = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 on a Monday in Can Tho


def test_the_plan_covers_thirty_days_and_never_reaches_the_live_minute():
    plan = steps(UNTIL, 30)
    by_feed = defaultdict(list)
    for step in plan:
        for feed in step.feeds:
            by_feed[feed].append(step)
    for feed, found in by_feed.items():
        assert found[0].start <= UNTIL - timedelta(days=30) + timedelta(hours=1)
        assert found[-1].start + found[-1].width == UNTIL  # the live feeds take it from here
        for before, after in zip(found, found[1:], strict=False):
            assert before.start + before.width == after.start, feed  # no gap, no overlap
    # Raw readings only where pages read them, hourly reports beyond.
    assert all(step.raw == (step.start >= UNTIL - FINE_SPAN) for step in plan)
    assert wifi_every_for(3, 60) == timedelta(minutes=3)


@pytest.fixture(scope="module")
def history(tmp_path_factory, areas):
    """Thirty days of a smaller city (a tenth of the sources) in a real SQLite store,
    written once for the tests that only read it (the store functions it writes with
    run on PostgreSQL too, in tests/test_store.py)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('history') / 'ioc.db'}")
    migrate(engine)
    assert is_empty(engine)
    written = backfill(engine, areas, until=UNTIL, days=30, scale=0.1, seed=17)
    assert written > 0 and not is_empty(engine)
    yield engine
    engine.dispose()


def _services(engine, areas):
    settings = make_settings()
    kpis = load_kpis(settings.kpis_file)
    metrics = MetricsService(engine, None, settings.stale_factor)
    wall = WallService(settings, engine, areas, kpis, metrics)
    return DistrictService(settings, engine, areas, kpis, wall, metrics), wall, settings


def _table(report, name):
    return report.tables[name].rows


def test_the_thirty_day_charts_are_full_and_have_peaks(history, areas):
    district, _wall, _settings = _services(history, areas)
    view = parse_view("ninh-kieu", {"tab": "traffic", "range": "30d"}, now=UNTIL)
    series = _table(district.report(view, UNTIL), "traffic_series")
    filled = [point for point in series if point["flow"] is not None]
    assert len(filled) >= 0.99 * len(series) >= 700  # every hour of 30 days
    by_hour = defaultdict(list)
    for point in filled:
        local = point["time"].astimezone(LOCAL_TZ)
        if local.weekday() < 5:
            by_hour[local.hour].append(point["flow"])
    mean = {hour: sum(flows) / len(flows) for hour, flows in by_hour.items()}
    assert mean[7] > 3 * mean[3] and mean[17] > 3 * mean[3]  # rush hours, quiet nights
    # The hourly past and the 10-minute last day count vehicles alike: same level at 10:00.
    recent = [p["flow"] for p in filled if p["time"] >= UNTIL - timedelta(hours=24)]
    older = [p["flow"] for p in filled if p["time"] < UNTIL - timedelta(days=2)]
    assert 0.5 < max(recent) / max(older) < 2
    # The heat map reads the same hours alike: the last day is not 60 times the month before.
    heat = _table(district.report(view, UNTIL), "traffic_heatmap")
    assert sum(cell["flow"] is not None for cell in heat) >= len(heat) - 24  # local days
    last_day = [c["flow"] for c in heat[-24:] if c["flow"] is not None]
    month = [c["flow"] for c in heat[:-48] if c["flow"] is not None]
    assert 0.5 < max(last_day) / max(month) < 2


def test_the_past_has_outages_and_overdue_desks(history, areas):
    district, _wall, _settings = _services(history, areas)
    wifi = parse_view("vinh-thanh", {"tab": "wifi", "range": "30d"}, now=UNTIL)
    outages = _table(district.report(wifi, UNTIL), "wifi_outages")
    assert outages, "thirty days without one access point outage"
    assert all(row["start"] >= UNTIL - timedelta(days=31) for row in outages)
    series = _table(district.report(wifi, UNTIL), "wifi_series")
    shares = [p["up_pct"] for p in series if p["up_pct"] is not None]
    assert len(shares) >= 700 and 90 < sum(shares) / len(shares) < 100
    services = parse_view("ninh-kieu", {"tab": "services", "range": "30d"}, now=UNTIL)
    pending = _table(district.report(services, UNTIL), "services_series")
    overdue = [p["overdue"] for p in pending if p["overdue"] is not None]
    assert len(overdue) >= 700 and max(overdue) > 0


def test_the_usual_hour_and_the_24h_uptime_come_from_the_past(history, areas):
    _district, wall, settings = _services(history, areas)
    snap = wall.build(UNTIL)
    usual = snap.traffic_usual
    assert all(value is not None for value in usual)
    assert usual[8] > 3 * usual[2]
    # Time-weighted over raw reports: the fine tier's access points cover the whole day.
    live = LiveService(settings, history, areas).district("vinh-thanh", UNTIL)
    assert live is not None
    assert live["feeds"]["wifi"]["uptime_pct_24h"] > 90


def test_first_start_backfills_then_never_again(tmp_path):
    app = AppProcess(tmp_path, IOC_SIM_BACKFILL_DAYS="3", IOC_METRICS_FILE="",
                     IOC_BRIEFING_TIMES="", IOC_EMBEDDED_BROKER_PORT="0")  # fmt: skip
    started = datetime.now(UTC).isoformat()
    app.start()
    try:
        assert app.up()  # answering while the past is written
        assert wait_until(lambda: "backfill: done" in app.log(), timeout=120), app.log()
        url = f"{app.base_url}/api/v1/districts/cai-rang/report?tab=traffic&range=7d"
        with urllib.request.urlopen(url, timeout=30) as response:
            report = json.load(response)
        series = report["tables"]["traffic_series"]["rows"]
        assert sum(row["flow"] is not None for row in series) >= 3 * 24 - 2
        # The live feeds run on after the past.
        url = f"{app.base_url}/api/v1/districts/vinh-thanh/report?tab=wifi&range=24h"
        assert wait_until(lambda: _newest_wifi(url) > started, timeout=60)
    finally:
        app.stop()
    (tmp_path / "app.log").write_text("")
    app.start()  # the store has a past now: nothing is written again
    try:
        assert wait_until(lambda: "simulator publishing" in app.log(), timeout=60)
        assert "backfill" not in app.log()
    finally:
        app.stop()


def _newest_wifi(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        rows = json.load(response)["tables"]["wifi_aps"]["rows"]
    return max((row["as_of"] for row in rows), default="")


def test_backfill_can_be_turned_off(tmp_path):
    app = AppProcess(tmp_path, IOC_SIM_BACKFILL_DAYS="0", IOC_METRICS_FILE="",
                     IOC_BRIEFING_TIMES="", IOC_EMBEDDED_BROKER_PORT="0")  # fmt: skip
    started = datetime.now(UTC) - timedelta(minutes=1)
    app.start()
    try:
        assert wait_until(lambda: "simulator publishing" in app.log(), timeout=60)
    finally:
        app.stop()
    assert "backfill" not in app.log()
    with sqlite3.connect(tmp_path / "var" / "ioc.db") as conn:
        oldest = conn.execute("SELECT MIN(hour) FROM rollups_hour").fetchone()[0]
    assert oldest is None or oldest >= started.strftime("%Y-%m-%d %H")


def test_has_history_is_false_on_a_new_store(engine):
    with engine.connect() as conn:
        assert not queries.has_history(conn)


def _wifi(seq: int, age: timedelta, **position) -> RawMessage:
    ts = (datetime.now(UTC) - age).isoformat()
    body = json.dumps({"ts": ts, "name": "Ấp 1", "up": True, **position}).encode()
    return RawMessage("ioc/v1/vinh-thanh/wifi/ap-01", "ioc/v1/vinh-thanh/wifi/ap-01", body, seq)


def test_the_ingestor_keeps_each_sources_newest_position(engine, areas):
    writer = BatchWriter(engine, areas.slugs)
    now = datetime.now(UTC).timestamp()
    assert writer.write([_wifi(now, timedelta(minutes=2), lat=10.2, lon=105.3)])["accepted"] == 1
    writer.write([_wifi(now, timedelta(minutes=1))])  # no position: the stored one stays
    writer.write([_wifi(now, timedelta(minutes=5), lat=1.0, lon=1.0)])  # late: never moves it
    with engine.connect() as conn:
        found = queries.source_positions(conn, district="vinh-thanh")
        assert queries.source_positions(conn, district="ninh-kieu") == []
    assert [(p.feed, p.source, p.name, p.lat, p.lon) for p in found] == [
        ("wifi", "ap-01", "Ấp 1", 10.2, 105.3)
    ]


def test_the_backfilled_sources_are_on_the_map_inside_their_district(history, areas):
    shapes = outlines(areas.geojson)
    with history.connect() as conn:
        for area in areas.areas:
            found = queries.source_positions(conn, district=area.slug)
            assert {p.feed for p in found} == {"traffic", "wifi", "backlog"}
            assert all(contains(shapes[area.slug], p.lon, p.lat) for p in found)


def test_the_live_feeds_go_on_from_where_the_past_ends(engine, areas):
    handed: dict = {}
    job = Backfill(engine, areas, days=1, until=UNTIL, scale=0.1, seed=5)
    job.then = lambda states, seqs: handed.update(states=states, seqs=seqs)
    job.start()
    assert job.join(120) and job.ready.is_set()
    with engine.connect() as conn:
        stored = {(r.district, r.source): r for r in queries.latest_by_source(conn)}
    desks = [src for src in handed["states"] if src.feed == "backlog"]
    assert desks
    for desk in desks:  # the written past ends where the handed-over state stands
        assert stored[(desk.district, desk.source)].pending == handed["states"][desk].pending
        assert stored[(desk.district, desk.source)].seq == handed["seqs"][desk]
    sim = Simulator("mqtt://127.0.0.1:1", areas, scale=0.1)
    sim.adopt(handed["states"], handed["seqs"])
    desk = desks[0]
    live = sim.reading(desk)
    assert live.seq == handed["seqs"][desk] + 1
    assert abs(live.pending - handed["states"][desk].pending) <= 0.2 * live.pending + 5
