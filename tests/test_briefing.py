"""Briefing snapshots: frozen records, their pages and files, the API, compare and schedule."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from ioc.briefing.schedule import GRACE, Scheduler, slots_between
from ioc.clock import LOCAL_TZ
from ioc.config import ConfigError, load_settings
from ioc.model.snapshot import SnapshotFilter, canonical, digest
from ioc.services.briefing_compare import compare
from ioc.store.schema import latest, readings, rollups, rollups_hour, snapshots, source_hours
from pages.briefing.pdf import find_chromium
from pages.web import create_app
from tests.conftest import make_settings
from tests.test_wall_service import backlog, status, traffic, wifi, write


def fresh_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def feed(engine, now: datetime, *, speed: float = 32.0, ap_up: bool = True) -> None:
    """A little of each feed in two districts, reported just now."""
    write(
        engine,
        [
            traffic("ninh-kieu", "cam-1", 120, speed, ts=now),
            traffic("ninh-kieu", "cam-2", 80, speed - 10, ts=now),
            traffic("cai-rang", "cam-9", 60, 41.0, ts=now),
            wifi("ninh-kieu", "ap-1", ap_up, ts=now),
            wifi("ninh-kieu", "ap-2", True, ts=now),
            backlog("cai-rang", "desk-1cua", 40, 6, resolved=10, on_time=9, received=12, ts=now),
        ],
        now=now,
    )
    status(engine, "ninh-kieu", True, now=now)


@pytest.fixture
def app(engine, areas):
    return create_app(make_settings(metrics_file=None), engine=engine, areas=areas)


@pytest.fixture
def client(app):
    return app.server.test_client()


def take(client, **body) -> int:
    response = client.post("/api/v1/snapshots", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["id"]


# --- the record and immutability -------------------------------------------------------------


def test_a_snapshot_keeps_values_statuses_thresholds_and_who_took_it(engine, client):
    now = fresh_now()
    feed(engine, now)
    snap_id = take(client, title="Giao ban sáng", taken_by="Nguyễn Văn An", note="Mưa lớn")
    stored = client.get(f"/api/v1/snapshots/{snap_id}").json
    record = stored["record"]
    assert stored["intact"] is True and stored["trigger"] == "api"
    assert (record["title"], record["taken_by"], record["note"]) == (
        "Giao ban sáng", "Nguyễn Văn An", "Mưa lớn",
    )  # fmt: skip
    nk = next(d for d in record["districts"] if d["slug"] == "ninh-kieu")
    assert nk["kpis"]["traffic_flow"]["value"] == 200  # 120 + 80 vehicles a minute
    assert nk["kpis"]["traffic_speed"]["as_of"] == now.isoformat().replace("+00:00", "Z")
    assert nk["kpis"]["wifi_up"]["value"] == 2 and nk["online"] is True
    assert record["thresholds"]["traffic_speed"]["direction"] == "higher"
    assert record["city"]["kpis"]["traffic_flow"]["value"] == 260
    assert len(record["series"]["traffic_today"]) == 24
    # The stored text is the canonical JSON of the record, with its digest beside it.
    with engine.connect() as conn:
        text, sha = conn.execute(
            select(snapshots.c.record, snapshots.c.sha256).where(snapshots.c.id == snap_id)
        ).one()
    assert text == canonical(record) and sha == digest(text) == stored["sha256"]


def test_new_data_and_deleted_readings_change_nothing_a_snapshot_shows(engine, client):
    now = fresh_now()
    feed(engine, now)
    snap_id = take(client, title="Frozen")
    before = {
        path: client.get(path).data
        for path in (
            f"/briefing/{snap_id}",
            f"/briefing/{snap_id}?lang=en",
            f"/briefing/{snap_id}/export.html",
            f"/api/v1/snapshots/{snap_id}",
        )
    }
    # New data, worse: the live wall changes ...
    feed(engine, now + timedelta(seconds=30), speed=9.0, ap_up=False)
    status(engine, "ninh-kieu", False, now=now + timedelta(seconds=31))
    live = client.get("/api/v1/districts/ninh-kieu/live").json
    assert live["online"] is False  # the live view moved on
    # ... and the readings are then deleted altogether.
    with engine.begin() as conn:
        for table in (readings, latest, rollups, rollups_hour, source_hours):
            conn.execute(delete(table))
    for path, body in before.items():
        assert client.get(path).data == body, path
    assert b"Frozen" in before[f"/briefing/{snap_id}"]


def test_a_record_changed_in_the_store_is_shown_as_not_intact(engine, client):
    now = fresh_now()
    feed(engine, now)
    snap_id = take(client)
    with engine.begin() as conn:
        text = conn.execute(select(snapshots.c.record).where(snapshots.c.id == snap_id)).scalar()
        conn.execute(
            snapshots.update()
            .where(snapshots.c.id == snap_id)
            .values(record=text.replace('"title":""', '"title":"forged"'))
        )
    assert client.get(f"/api/v1/snapshots/{snap_id}").json["intact"] is False
    page = client.get(f"/briefing/{snap_id}?lang=en").get_data(as_text=True)
    assert "does not match its check" in page


def test_a_district_snapshot_holds_its_24_hour_tables_and_the_city_median(engine, client):
    now = fresh_now()
    feed(engine, now)
    snap_id = take(client, district="ninh-kieu")
    record = client.get(f"/api/v1/snapshots/{snap_id}").json["record"]
    assert record["scope"] == "ninh-kieu"
    assert [d["slug"] for d in record["districts"]] == ["ninh-kieu"]
    worst = record["district"]["tables"]["traffic_worst"]["rows"]
    assert [row["source"] for row in worst][:2] == ["cam-2", "cam-1"]  # slowest first
    speed = next(k for k in record["district"]["kpis"] if k["key"] == "traffic_speed")
    assert speed["median"] is not None
    page = client.get(f"/briefing/{snap_id}").get_data(as_text=True)
    assert "Ninh Kiều" in page and "Trung vị thành phố" in page


# --- pages, files, errors -----------------------------------------------------------------------


def test_the_html_file_opens_with_no_server_no_external_url(engine, client):
    feed(engine, fresh_now())
    snap_id = take(client)
    response = client.get(f"/briefing/{snap_id}/export.html?lang=en")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    # Nothing is fetched: no src or href attribute at all, no @import, no url() but data:.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", text)
    styles = "".join(re.findall(r"<style>(.*?)</style>", text, flags=re.S))
    assert "@import" not in styles and "Be Vietnam Pro" in styles
    assert re.findall(r"url\((?!data:)([^)]*)\)", styles) == []  # fonts are data: URLs
    assert "Plotly.newPlot" in text and "BRIEFING SNAPSHOT" in text
    assert len(text) > 3_000_000  # plotly.js itself is inside


def test_unknown_and_bad_ids_get_a_page_in_the_chosen_language_not_a_traceback(client):
    for path, status_code, words in (
        ("/briefing/999", 404, "Không có ảnh chụp số 999"),
        ("/briefing/999?lang=en", 404, "There is no snapshot number 999"),
        ("/briefing/abc", 404, "không phải số ảnh chụp"),
        ("/briefing/999/export.pdf", 404, "Không có ảnh chụp số 999"),
        ("/briefing/compare?a=x&b=2", 404, "không phải số ảnh chụp"),
    ):
        response = client.get(path)
        assert response.status_code == status_code, path
        assert words in response.get_data(as_text=True), path
    assert client.get("/api/v1/snapshots/999").status_code == 404
    assert client.get("/api/v1/snapshots/x").json["error"].startswith("not a snapshot id")


def test_bad_list_filters_are_named_and_ignored(engine, client):
    feed(engine, fresh_now())
    take(client, title="Sáng thứ hai")
    page = client.get("/briefing?from=2026-13-45&trigger=magic&scope=atlantis")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("from=2026-13-45", "trigger=magic", "scope=atlantis"):
        assert shown in text
    assert "Sáng thứ hai" in text  # the filters fell back to "all"
    assert client.get("/api/v1/snapshots?from=yesterday").status_code == 400


def test_the_list_filters_by_scope_trigger_date_and_title(engine, client):
    feed(engine, fresh_now())
    take(client, title="city morning")
    take(client, title="district noon", district="ninh-kieu")
    response = client.post("/briefing", data={"district": "cai-rang", "title": "by hand"},
                           headers={"Origin": "http://localhost"})  # fmt: skip
    assert response.status_code == 303
    listed = client.get("/api/v1/snapshots").json
    assert listed["total"] == 3 and [s["title"] for s in listed["snapshots"]][0] == "by hand"
    by_district = client.get("/api/v1/snapshots?district=ninh-kieu").json["snapshots"]
    assert [s["title"] for s in by_district] == ["district noon"]
    assert client.get("/api/v1/snapshots?trigger=manual").json["total"] == 1
    assert client.get("/api/v1/snapshots?q=MORNING").json["total"] == 1
    local_today = datetime.now(LOCAL_TZ).date()
    after = (local_today + timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/snapshots?from={after}").json["total"] == 0
    assert client.get(f"/api/v1/snapshots?from={local_today}&to={local_today}").json["total"] == 3
    page = client.get("/briefing?scope=ninh-kieu&lang=en").get_data(as_text=True)
    assert "district noon" in page and "city morning" not in page


def test_the_api_refuses_bad_bodies_with_a_reason(engine, client):
    broken = client.post("/api/v1/snapshots", data="[1,2", content_type="application/json")
    assert broken.status_code == 400
    assert (
        "unknown fields" in client.post("/api/v1/snapshots", json={"colour": "red"}).json["error"]
    )
    assert client.post("/api/v1/snapshots", json={"district": "atlantis"}).status_code == 404
    too_long = client.post("/api/v1/snapshots", json={"title": "x" * 201})
    assert too_long.status_code == 400 and "longer than 200" in too_long.json["error"]
    assert client.post("/api/v1/snapshots", json={"title": 5}).status_code == 400
    assert client.get("/api/v1/snapshots").json["total"] == 0  # nothing half-taken


def test_an_empty_post_takes_a_city_snapshot(engine, client):
    feed(engine, fresh_now())
    response = client.post("/api/v1/snapshots", content_type="application/json")
    assert response.status_code == 201 and response.json["scope"] == "city"
    assert response.headers["Location"] == f"/api/v1/snapshots/{response.json['id']}"


def test_a_form_post_from_another_site_is_refused(engine, client):
    response = client.post("/briefing", data={"district": "city"},
                           headers={"Origin": "http://evil.example"})  # fmt: skip
    assert response.status_code == 403
    assert client.get("/api/v1/snapshots").json["total"] == 0


def test_district_staff_see_and_take_only_their_district(engine, areas):
    app = create_app(make_settings(metrics_file=None, scope_header="X-IOC-Districts",
                                   user_header="X-Forwarded-User"),
                     engine=engine, areas=areas)  # fmt: skip
    client = app.server.test_client()
    feed(engine, fresh_now())
    admin = {"X-IOC-Districts": "*", "X-Forwarded-User": "admin"}
    staff = {"X-IOC-Districts": "ninh-kieu", "X-Forwarded-User": "can-bo-nk"}
    city_id = client.post("/api/v1/snapshots", json={}, headers=admin).json["id"]
    nk = client.post("/api/v1/snapshots", json={"district": "ninh-kieu", "taken_by": "x"},
                     headers=staff)  # fmt: skip
    assert nk.status_code == 201 and nk.json["taken_by"] == "can-bo-nk"  # the proxy's name wins
    assert client.post("/api/v1/snapshots", json={}, headers=staff).status_code == 403
    assert client.get(f"/briefing/{city_id}", headers=staff).status_code == 403
    assert client.get(f"/api/v1/snapshots/{city_id}", headers=staff).status_code == 403
    seen = client.get("/api/v1/snapshots", headers=staff).json["snapshots"]
    assert [s["scope"] for s in seen] == ["ninh-kieu"]
    assert client.get("/api/v1/snapshots", headers=admin).json["total"] == 2


# --- PDF ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[int, str, tuple]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    # Vietnamese letters come out in pieces; compare without spaces, composed.
    flat = unicodedata.normalize("NFC", re.sub(r"\s+", "", text))
    box = reader.pages[0].mediabox
    return len(reader.pages), flat, (round(float(box.width)), round(float(box.height)))


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
def test_the_pdf_is_a4_landscape_numbered_and_holds_the_districts_and_values(engine, client):
    feed(engine, fresh_now())
    snap_id = take(client, title="In thử")
    response = client.get(f"/briefing/{snap_id}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text, size = pdf_text(response.data)
    assert size == (842, 595)  # A4 landscape, in points
    assert f"Trang1/{pages}" in text and f"Trang{pages}/{pages}" in text
    for words in ("NinhKiều", "CáiRăng", "BÁOCÁOGIAOBAN", "Inthử", "CầnThơ,ngày"):
        assert words in text, words
    record = client.get(f"/api/v1/snapshots/{snap_id}").json["record"]
    flow = record["city"]["kpis"]["traffic_flow"]["value"]
    assert f"{flow:.0f}xe/phút" in text
    english = client.get(f"/briefing/{snap_id}/export.pdf?lang=en").data
    assert "Page1/" in pdf_text(english)[1] and "CanTho," in pdf_text(english)[1]


def test_without_chromium_the_pdf_button_says_so_and_the_html_still_works(engine, areas, tmp_path):
    not_a_program = tmp_path / "chromium"
    not_a_program.write_text("")  # exists, cannot be run
    app = create_app(make_settings(metrics_file=None, chromium=not_a_program),
                     engine=engine, areas=areas)  # fmt: skip
    client = app.server.test_client()
    feed(engine, fresh_now())
    snap_id = take(client)
    page = client.get(f"/briefing/{snap_id}").get_data(as_text=True)
    assert "chưa cài Chromium" in page and "export.pdf" not in page
    pdf = client.get(f"/briefing/{snap_id}/export.pdf")
    assert pdf.status_code == 503 and "IOC_CHROMIUM" in pdf.get_data(as_text=True)
    assert client.get(f"/briefing/{snap_id}/export.html").status_code == 200


# --- compare (hand-made records) ------------------------------------------------------------------


def _area(slug, status="ok", online=True, **kpis):
    return {"slug": slug, "name_vi": slug, "name_en": slug, "online": online, "status": status,
            "kpis": {k: v for k, v in kpis.items()}}  # fmt: skip


def _kpi(value, status="ok", share=None):
    return {"value": value, "status": status, "share": share}


def _record(taken_at, city, districts, alarms=(), metrics=()):
    return {"taken_at": taken_at, "title": "", "city": city, "districts": districts,
            "alarms": list(alarms), "metrics": list(metrics),
            "thresholds": {"traffic_speed": {"direction": "higher"},
                           "backlog_overdue": {"direction": "lower"}}}  # fmt: skip


def test_compare_gives_deltas_moves_status_changes_and_districts_better_or_worse():
    older = _record(
        "2026-11-22T00:30:00Z",
        _area("city", traffic_speed=_kpi(30.0)),
        [
            _area("a", traffic_speed=_kpi(30.0), backlog_overdue=_kpi(5, share=4.0)),
            _area("b", "warn", traffic_speed=_kpi(22.0, "warn")),
            _area("c", traffic_speed=_kpi(35.0)),
        ],
        alarms=[{"district": "b", "kind": "kpi", "key": "traffic_speed", "status": "warn"}],
        metrics=[{"id": "dx", "title": {"vi": "x"}, "value": 10.0, "status": "ok",
                  "thresholds": {"direction": "higher"}}],
    )  # fmt: skip
    newer = _record(
        "2026-11-23T00:30:00Z",
        _area("city", traffic_speed=_kpi(27.5)),
        [
            # a: slower (worse) but fewer overdue (better, lower is better): same status.
            _area("a", traffic_speed=_kpi(28.0), backlog_overdue=_kpi(3, share=2.0)),
            _area("b", "ok", traffic_speed=_kpi(26.0)),  # warn -> ok: better
            _area("c", "alarm", online=False, traffic_speed=_kpi(12.0, "alarm")),  # worse
        ],
        alarms=[{"district": "c", "kind": "offline", "key": "ioc", "status": "alarm"}],
        metrics=[{"id": "dx", "title": {"vi": "x"}, "value": 12.5, "status": "ok",
                  "thresholds": {"direction": "higher"}}],
    )  # fmt: skip
    found = compare(newer, older)
    by_slug = {a["slug"]: a for a in found["areas"]}
    speed_a = next(r for r in by_slug["a"]["kpis"] if r["key"] == "traffic_speed")
    overdue_a = next(r for r in by_slug["a"]["kpis"] if r["key"] == "backlog_overdue")
    assert (speed_a["delta"], speed_a["move"]) == (-2.0, "worse")
    assert (overdue_a["delta"], overdue_a["move"]) == (-2, "better")  # judged on the share
    assert by_slug["a"]["verdict"] == "same"  # one better, one worse, same status
    assert found["better"] == ["b"] and found["worse"] == ["c"]
    changed = by_slug["b"]["status_changes"]
    assert [(r["key"], r["status_before"], r["status_after"]) for r in changed] == [
        ("traffic_speed", "warn", "ok")
    ]
    assert [m["delta"] for m in found["metrics"]] == [2.5] and found["metrics"][0][
        "move"
    ] == "better"
    assert [a["district"] for a in found["alarms_new"]] == ["c"]
    assert [a["district"] for a in found["alarms_cleared"]] == ["b"]


def test_the_page_compares_with_the_previous_snapshot_of_the_same_scope(engine, client):
    now = fresh_now()
    feed(engine, now, speed=32.0)
    first = take(client)
    take(client, district="cai-rang")  # another scope: not "the previous" of a city one
    feed(engine, now + timedelta(seconds=5), speed=12.0)
    second = take(client)
    page = client.get(f"/briefing/{second}?compare=previous&lang=en").get_data(as_text=True)
    assert f"Against snapshot #{first} of" in page
    assert "Worse:</span> Ninh Kieu" in page
    assert "▼" in page
    exported = client.get(f"/briefing/{second}/export.html?compare={first}&lang=en")
    assert f"Against snapshot #{first} of" in exported.get_data(as_text=True)
    lonely = client.get(f"/briefing/{first}?compare=previous&lang=en").get_data(as_text=True)
    assert "No earlier snapshot to compare with." in lonely


# --- schedule -------------------------------------------------------------------------------------


def test_slots_are_local_times_on_working_days():
    times, weekdays = (time(7, 30), time(13, 30)), range(5)
    # Friday 20 to Tuesday 24 November 2026, in UTC.
    found = slots_between(times, weekdays, datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
                          datetime(2026, 11, 24, 0, 0, tzinfo=UTC))  # fmt: skip
    assert found == [
        datetime(2026, 11, 20, 0, 30, tzinfo=UTC),  # Fri 07:30 in Can Tho
        datetime(2026, 11, 20, 6, 30, tzinfo=UTC),  # Fri 13:30
        datetime(2026, 11, 23, 0, 30, tzinfo=UTC),  # Mon 07:30 (no Saturday, no Sunday)
        datetime(2026, 11, 23, 6, 30, tzinfo=UTC),
    ]


def test_the_scheduler_takes_each_slot_once_skips_missed_ones_and_prunes(engine, app):
    services = app.server.extensions["ioc_services"]
    clock = {"now": datetime(2026, 11, 23, 0, 25, tzinfo=UTC)}  # Monday 07:25 in Can Tho

    def make() -> Scheduler:
        return Scheduler(
            (time(7, 30), time(13, 30)), range(5),
            lambda slot: services.briefing.take(trigger="schedule", scheduled_for=slot,
                                                now=clock["now"]),
            lambda now: services.briefing.prune_expired(now, 30),
            clock=lambda: clock["now"],
        )  # fmt: skip

    first, second = make(), make()  # two processes running the same schedule
    first.run_once()
    assert first.taken == []
    clock["now"] = datetime(2026, 11, 23, 0, 30, 2, tzinfo=UTC)
    first.run_once()
    second.run_once()
    assert first.taken == [datetime(2026, 11, 23, 0, 30, tzinfo=UTC)] and second.taken == []
    rows = services.briefing.find(SnapshotFilter(), None)[0]
    assert [(r.trigger, r.scheduled_for) for r in rows] == [
        ("schedule", datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    ]
    # Asleep over the 13:30 slot until 14:00: too late to take it under that time.
    clock["now"] = datetime(2026, 11, 23, 6, 30, tzinfo=UTC) + GRACE + timedelta(minutes=20)
    first.run_once()
    assert first.skipped == [datetime(2026, 11, 23, 6, 30, tzinfo=UTC)]
    # Retention: 30 days later the scheduled one is deleted, a hand-taken one is kept.
    services.briefing.take(now=clock["now"])
    clock["now"] += timedelta(days=31)
    first._pruned = None
    first.run_once()
    left = services.briefing.find(SnapshotFilter(), None)[0]
    assert [r.trigger for r in left] == ["manual"]


def test_schedule_settings_are_checked_at_start():
    settings = load_settings(briefing_times="13:30, 07:30", briefing_days="mon-fri,sun",
                             _env_file=None)  # fmt: skip
    assert settings.briefing_times == (time(7, 30), time(13, 30))
    assert settings.briefing_days == frozenset({0, 1, 2, 3, 4, 6})
    with pytest.raises(ConfigError, match="IOC_BRIEFING_TIMES.*'7h30' is not a time"):
        load_settings(briefing_times="7h30", _env_file=None)
    with pytest.raises(ConfigError, match="IOC_BRIEFING_DAYS"):
        load_settings(briefing_days="weekdays", _env_file=None)
