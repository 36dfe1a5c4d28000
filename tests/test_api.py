"""The JSON API on a real store: aggregates against hand-computed values, errors in JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc.contract import Reading, StatusReport
from ioc.store import rollup_writes, writes
from pages.web import create_app
from tests.conftest import make_settings


@pytest.fixture
def client(store_url, areas):
    # A wifi interval of one hour: a report is believed for 3 h (3 x interval).
    settings = make_settings(database_url=store_url, wifi_interval_s=3600)
    app = create_app(settings, areas=areas)
    yield app.server.test_client(), app.server.extensions["ioc_services"].engine


def store(engine, readings, statuses=()):
    now = datetime.now(UTC)
    with engine.begin() as conn:
        new = writes.insert_readings(conn, readings, received_at=now)
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)
        writes.upsert_status(conn, list(statuses), received_at=now)


def traffic(source, age_s, vehicles, interval, speed):
    ts = datetime.now(UTC) - timedelta(seconds=age_s)
    values = {"vehicles": vehicles, "interval_s": interval, "speed_kmh": speed, "occupancy": None}
    return Reading("cai-rang", "traffic", source, ts, values)


def wifi(source, age_s, up):
    ts = datetime.now(UTC) - timedelta(seconds=age_s)
    return Reading("cai-rang", "wifi", source, ts, {"up": up, "clients": 1})


def backlog(source, age_s, pending, overdue, resolved=None, on_time=None, received=None):
    ts = datetime.now(UTC) - timedelta(seconds=age_s)
    values = {
        "pending": pending,
        "overdue": overdue,
        "received_today": received,
        "resolved_today": resolved,
        "resolved_on_time_today": on_time,
    }
    return Reading("cai-rang", "backlog", source, ts, values)


def test_live_aggregates_match_hand_computed_values(client):
    http, engine = client
    store(
        engine,
        [
            traffic("cam-1", 30, 30, 60, 40.0),
            traffic("cam-2", 10, 10, 30, 20.0),
            traffic("cam-3", 600, 100, 60, 5.0),  # stale: 600 s > 3 x 60 s
            # ap-1: up 2 h ago, down 1 h ago, up 30 min ago -> up 5,400 of 7,200 s.
            wifi("ap-1", 7200, True),
            wifi("ap-1", 3600, False),
            wifi("ap-1", 1800, True),
            # ap-2: one report 10 h ago, believed 3 h -> up 10,800 of 36,000 s; stale now.
            wifi("ap-2", 36000, True),
            backlog("desk-a", 60, 10, 2, resolved=4, on_time=4, received=5),
            backlog("desk-b", 90, 7, 0, resolved=3),
            # Two days old: its pending still counts, its "today" counters do not.
            backlog("desk-c", 2 * 86400, 5, 1, resolved=9, on_time=9, received=9),
        ],
        [StatusReport("cai-rang", True, datetime.now(UTC))],
    )
    response = http.get("/api/v1/districts/cai-rang/live")
    assert response.status_code == 200
    live = response.get_json()
    assert live["district"] == "cai-rang" and live["online"] is True
    assert live["name"] == {"vi": "Cái Răng", "en": "Cai Rang"}

    t = live["feeds"]["traffic"]
    # 30 x 60/60 + 10 x 60/30; speed weighted by vehicles: (40x30 + 20x10) / 40.
    assert t["vehicles_per_min"] == 50.0
    assert t["avg_speed_kmh"] == 35.0
    assert (t["sources"], t["stale_sources"], t["stale"]) == (3, 1, False)

    w = live["feeds"]["wifi"]
    assert (w["aps_total"], w["aps_up"]) == (2, 1)
    assert w["uptime_pct_24h"] == pytest.approx(100 * 16200 / 43200, abs=0.05)

    b = live["feeds"]["backlog"]
    assert (b["pending"], b["overdue"]) == (22, 3)
    assert (b["resolved_today"], b["resolved_on_time_today"], b["received_today"]) == (7, 4, 5)

    by_source = {(s["feed"], s["source"]): s for s in live["sources"]}
    assert by_source[("traffic", "cam-3")]["stale"] is True
    assert by_source[("wifi", "ap-1")]["values"] == {"up": True, "clients": 1}
    assert len(by_source) == 8


def test_districts_overview_lists_every_district_with_freshness(client):
    http, engine = client
    store(engine, [traffic("cam-1", 30, 30, 60, 40.0)])
    districts = http.get("/api/v1/districts").get_json()
    assert [d["district"] for d in districts][:2] == ["ninh-kieu", "binh-thuy"]
    assert len(districts) == 9
    cai_rang = next(d for d in districts if d["district"] == "cai-rang")
    assert cai_rang["feeds"]["traffic"]["stale"] is False
    assert cai_rang["feeds"]["traffic"]["as_of"].endswith("Z")
    assert cai_rang["feeds"]["wifi"] == {
        "as_of": None,
        "stale": True,
        "sources": 0,
        "stale_sources": 0,
    }
    assert cai_rang["online"] is None


def test_a_feed_with_only_old_reports_is_stale(client):
    http, engine = client
    store(engine, [traffic("cam-1", 400, 30, 60, 40.0)])
    t = http.get("/api/v1/districts/cai-rang/live").get_json()["feeds"]["traffic"]
    assert t["stale"] is True and t["vehicles_per_min"] is None and t["avg_speed_kmh"] is None


@pytest.mark.parametrize(
    "path", ["/api/v1/districts/hau-giang/live", "/api/v1/districts/%3Cscript%3E/live"]
)
def test_unknown_district_is_a_json_404(client, path):
    http, _ = client
    response = http.get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"] == "unknown district"


def test_unknown_api_path_is_a_json_404(client):
    http, _ = client
    response = http.get("/api/v1/nothing/here")
    assert response.status_code == 404 and response.get_json()["error"] == "no such API endpoint"


def test_ingest_stats_shape(client):
    http, engine = client
    with engine.begin() as conn:
        writes.add_counters(conn, {"accepted": 4, "rejected": 2, "rejected:bad_json": 2})
    stats = http.get("/api/v1/ingest/stats").get_json()
    assert stats["accepted"] == 4 and stats["rejected"] == 2 and stats["duplicates"] == 0
    assert stats["rejected_by_reason"]["bad_json"] == 2
    assert stats["rejected_by_reason"]["future_timestamp"] == 0


def test_healthz_is_degraded_without_a_connected_ingestor(client):
    http, engine = client
    doc = http.get("/healthz").get_json()
    assert doc["status"] == "degraded" and doc["mqtt"]["connected"] is False
    assert doc["database"]["ok"] is True
    now = datetime.now(UTC)
    with engine.begin() as conn:
        writes.heartbeat(
            conn,
            ingestor_id="ing-1",
            broker="mqtt://127.0.0.1:1883",
            connected=True,
            started_at=now,
            now=now,
            last_message_at=now - timedelta(seconds=2),
        )
    doc = http.get("/healthz").get_json()
    assert doc["status"] == "ok" and doc["mqtt"]["connected"] is True
    assert 1.5 <= doc["last_message_age_s"] <= 10


def test_ping_answers_with_the_build_of_the_pages(client):
    client, _engine = client
    response = client.get("/api/v1/ping")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and len(body["build"]) == 12
    assert response.headers["Cache-Control"] == "no-store"
    # The same build in every worker of one deploy: it is a digest of the files.
    assert client.get("/api/v1/ping").get_json()["build"] == body["build"]


def test_metrics_api_serves_what_the_evaluator_stored(store_url, areas, tmp_path):
    import sqlite3

    from ioc.config import ROOT
    from ioc.metrics.catalogue import load_catalogue
    from ioc.metrics.evaluate import MetricEvaluator

    warehouse = tmp_path / "wh.db"
    with sqlite3.connect(warehouse) as conn:
        conn.execute("CREATE TABLE t (district TEXT, n INT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [("ninh-kieu", 3), ("cai-rang", 9)])
    path = tmp_path / "metrics.toml"
    path.write_text(
        f'[databases.wh]\nurl = "sqlite:///{warehouse}"\n\n'
        '[[metrics]]\nid = "total"\ntitle_vi = "Tổng"\ntitle_en = "Total"\ndatabase = "wh"\n'
        'sql = "SELECT SUM(n) AS value FROM t"\nunit = "hồ sơ"\nwarn = 10\nalarm = 5\n'
        "refresh_s = 60\n\n"
        '[[metrics]]\nid = "per_district"\ntitle_vi = "Theo quận"\ntitle_en = "By district"\n'
        'database = "wh"\nsql = "SELECT district, n AS value FROM t"\nby_district = true\n'
        "refresh_s = 60\nwarn = 5\nalarm = 2\n"
    )
    catalogue = load_catalogue(path, root=ROOT)
    app = create_app(make_settings(database_url=store_url), areas=areas, catalogue=catalogue)
    client = app.server.test_client()
    assert [m["status"] for m in client.get("/api/v1/metrics").get_json()] == ["no_data"] * 2
    engine = app.server.extensions["ioc_services"].engine
    MetricEvaluator(catalogue, engine, areas.slugs).run_due()
    total, per_district = client.get("/api/v1/metrics").get_json()
    assert (total["id"], total["value"], total["status"], total["unit"]) == (
        "total", 12.0, "ok", "hồ sơ"
    )  # fmt: skip
    assert total["title"] == {"vi": "Tổng", "en": "Total"} and total["as_of"].endswith("Z")
    assert per_district["value"] is None and per_district["status"] == "warn"
    assert per_district["districts"] == {
        "ninh-kieu": {"value": 3.0, "status": "warn"}, "cai-rang": {"value": 9.0, "status": "ok"}
    }  # fmt: skip
