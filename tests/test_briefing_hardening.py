"""Briefing hardening (issue 12): cross-site posts, rate limits, bounded PDF printing,
out-of-range dates, a store that cannot save, and the retention of hand-taken snapshots."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from ioc.briefing.schedule import scheduler_for
from ioc.model.snapshot import SnapshotFilter
from ioc.store.schema import snapshots
from pages.briefing.guard import CSRF_COOKIE, CSRF_FIELD
from pages.briefing.limits import RateLimiter
from pages.briefing.pdf import find_chromium
from pages.briefing.routes import PDF_POOL_KEY
from pages.web import create_app
from tests.conftest import make_settings, wait_until
from tests.test_briefing import feed, fresh_now

ME = "http://localhost"  # the test client's own origin


def build(engine, areas, **settings):
    app = create_app(make_settings(metrics_file=None, **settings), engine=engine, areas=areas)
    return app, app.server.test_client()


@pytest.fixture
def client(engine, areas):
    return build(engine, areas)[1]


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(snapshots)).scalar_one()


def form_token(client, lang: str = "vi") -> str:
    """The hidden token of the /briefing form (its cookie is now in the client's jar)."""
    text = client.get(f"/briefing?lang={lang}").get_data(as_text=True)
    return re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', text).group(1)


# --- cross-site requests ----------------------------------------------------------------------


def test_the_api_takes_json_only_so_no_simple_cross_site_post_reaches_it(engine, client):
    for kwargs in (
        {"data": {"district": "city"}},  # application/x-www-form-urlencoded
        {"data": {"title": "x"}, "content_type": "multipart/form-data"},
        {"data": '{"title": "x"}', "content_type": "text/plain"},
        {},  # no body, no type: a no-cors fetch()
    ):
        response = client.post("/api/v1/snapshots", **kwargs)
        assert response.status_code == 415, kwargs
        assert response.json["reason"] == "json_only"
        assert "application/json" in response.json["error"]
    assert stored(engine) == 0


def test_json_from_another_origin_is_refused_and_json_with_no_origin_is_a_script(engine, client):
    foreign = client.post("/api/v1/snapshots", json={}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json["reason"] == "cross_site"
    assert "Origin" in foreign.json["error"]
    by_referer = client.post("/api/v1/snapshots", json={},
                             headers={"Referer": "http://evil.example/page"})  # fmt: skip
    assert by_referer.status_code == 403
    other_port = client.post(
        "/api/v1/snapshots", json={}, headers={"Origin": "http://localhost:81"}
    )
    assert other_port.status_code == 403
    assert stored(engine) == 0
    # curl or another system: JSON, no Origin (a browser cannot send it cross-site unpreflighted).
    assert client.post("/api/v1/snapshots", json={}).status_code == 201
    assert client.post("/api/v1/snapshots", json={}, headers={"Origin": ME}).status_code == 201
    assert stored(engine) == 2


def test_the_form_needs_this_apps_origin_referer_or_its_token(engine, client):
    data = {"district": "city", "title": "by hand"}
    bare = client.post("/briefing", data=data)
    assert bare.status_code == 403
    assert "Từ chối" in bare.get_data(as_text=True) and "mã biểu mẫu" in bare.get_data(as_text=True)
    english = client.post("/briefing?lang=en", data=data)
    assert english.status_code == 403 and "no form token" in english.get_data(as_text=True)
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame: no better than no Origin
        {"Referer": "http://evil.example/x"},
        {"Origin": "http://evil.example", "Referer": f"{ME}/briefing"},
    ):
        assert client.post("/briefing", data=data, headers=headers).status_code == 403, headers
    assert stored(engine) == 0
    # A wrong token, or a right one without its cookie, is no token.
    token = form_token(client)
    assert client.post("/briefing", data={**data, CSRF_FIELD: "x" * 43}).status_code == 403
    stranger = client.application.test_client()  # no cookie
    assert stranger.post("/briefing", data={**data, CSRF_FIELD: token}).status_code == 403
    assert stored(engine) == 0
    # This app's own page: by its token alone (no Origin, no Referer), by Origin, by Referer.
    assert client.post("/briefing", data={**data, CSRF_FIELD: token}).status_code == 303
    assert client.post("/briefing", data=data, headers={"Origin": ME}).status_code == 303
    by_referer = client.post("/briefing", data=data, headers={"Referer": f"{ME}/briefing?lang=vi"})
    assert by_referer.status_code == 303
    assert stored(engine) == 3


def test_the_form_token_cookie_is_strict_and_kept(client):
    first = client.get("/briefing")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "SameSite=Strict" in cookie
    assert "HttpOnly" in cookie
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', first.get_data(as_text=True))[1]
    again = client.get("/briefing")
    assert "Set-Cookie" not in again.headers  # the same token while the cookie lasts
    assert f'value="{token}"' in again.get_data(as_text=True)


def test_behind_a_tls_proxy_the_forwarded_origin_is_this_apps_own(engine, client):
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ioc.cantho.example",
             "Host": "127.0.0.1:8050"}  # fmt: skip
    own = client.post("/briefing", data={"district": "city"},
                      headers={**proxy, "Origin": "https://ioc.cantho.example"})  # fmt: skip
    assert own.status_code == 303
    other = client.post("/briefing", data={"district": "city"},
                        headers={**proxy, "Origin": "https://evil.example"})  # fmt: skip
    assert other.status_code == 403
    assert stored(engine) == 1


def test_every_state_changing_briefing_route_is_guarded(engine, areas):
    app, client = build(engine, areas)
    rules = [
        (rule.rule, method)
        for rule in app.server.url_map.iter_rules()
        if rule.endpoint.startswith("briefing.")
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"})
    ]
    assert ("/briefing", "POST") in rules and ("/api/v1/snapshots", "POST") in rules
    for path, method in rules:
        path = re.sub(r"<[^>]+>", "1", path)
        response = client.open(path, method=method, json={},
                               headers={"Origin": "http://evil.example"})  # fmt: skip
        assert response.status_code == 403, (path, method)
    assert stored(engine) == 0


# --- taking snapshots: a rate per client ------------------------------------------------------


def test_taking_snapshots_is_rate_limited_per_client_address(engine, areas):
    feed(engine, fresh_now())
    app, _ = build(engine, areas, snapshot_rate="3/hour")
    one = app.server.test_client()
    one.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    for _ in range(3):
        assert one.post("/api/v1/snapshots", json={}).status_code == 201
    limited = one.post("/api/v1/snapshots", json={})
    assert limited.status_code == 429 and limited.json["reason"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 1200  # one every 20 minutes
    page = one.post("/briefing", data={"district": "city"}, headers={"Origin": ME})
    assert page.status_code == 429 and "Quá nhiều ảnh chụp" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) >= 1
    english = one.post("/briefing?lang=en", data={}, headers={"Origin": ME})
    assert "Too many snapshots" in english.get_data(as_text=True)
    other = app.server.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert other.post("/api/v1/snapshots", json={}).status_code == 201
    assert stored(engine) == 4


def test_the_limiter_refills_and_its_table_stays_bounded():
    now = {"t": 0.0}
    limiter = RateLimiter.from_text("2/minute", max_clients=100, clock=lambda: now["t"])
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 30]
    now["t"] += 30
    assert limiter.take("a") == 0 and limiter.take("a") == 30
    for n in range(1000):
        limiter.take(f"10.1.{n // 256}.{n % 256}")
    assert len(limiter) == 100
    assert limiter.take("a") == 0  # forgotten (least recently seen): a fresh bucket


# --- PDF: a cap, a queue, a cache -------------------------------------------------------------


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
def test_the_same_pdf_is_printed_once_then_served_from_the_cache(engine, areas):
    feed(engine, fresh_now())
    app, client = build(engine, areas)
    snap_id = client.post("/api/v1/snapshots", json={}).json["id"]
    pool = app.server.extensions[PDF_POOL_KEY]
    first = client.get(f"/briefing/{snap_id}/export.pdf")
    second = client.get(f"/briefing/{snap_id}/export.pdf")
    assert first.status_code == second.status_code == 200
    assert second.data == first.data and (pool.renders, pool.hits) == (1, 1)
    assert client.get(f"/briefing/{snap_id}/export.pdf?lang=en").status_code == 200
    assert pool.renders == 2  # another language is another PDF


def test_pdfs_past_the_cap_and_its_queue_are_refused_with_retry_after(engine, areas):
    feed(engine, fresh_now())
    app, client = build(engine, areas, pdf_concurrency=1)
    snap_id = client.post("/api/v1/snapshots", json={}).json["id"]
    pool = app.server.extensions[PDF_POOL_KEY]
    gate = threading.Event()
    # A print that holds the one turn until the test lets it go.
    holder = threading.Thread(target=pool.get, args=("held", lambda: gate.wait(60) and b"%PDF"))
    holder.start()
    queued: dict = {}
    path = f"/briefing/{snap_id}/export.pdf"
    waiter = threading.Thread(target=lambda: queued.update(r=app.server.test_client().get(path)))
    try:
        assert wait_until(lambda: pool.running == 1)
        waiter.start()
        assert wait_until(lambda: pool.waiting == 1)  # the queue (one place) is now full
        busy = client.get(path)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert "đang in quá nhiều PDF" in busy.get_data(as_text=True)
        english = client.get(f"/briefing/{snap_id}/export.pdf?lang=en")
        assert english.status_code == 503 and "Try again in" in english.get_data(as_text=True)
    finally:
        gate.set()
        holder.join(60)
        if waiter.is_alive() or waiter.ident:
            waiter.join(120)
    # The queued one got its turn: a PDF (or, with no Chromium here, the page that says so).
    assert queued["r"].status_code == (200 if find_chromium() else 503)
    assert "Retry-After" not in queued["r"].headers
    assert pool.running == pool.waiting == 0


# --- dates out of range -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=0001-01-01", "from=0000-12-31"])
def test_dates_out_of_range_are_named_and_ignored_not_a_500(engine, client, query):
    feed(engine, fresh_now())
    client.post("/api/v1/snapshots", json={"title": "kept"})
    page = client.get(f"/briefing?{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Tham số không hợp lệ, dùng mặc định: {query}" in text and "kept" in text
    api = client.get(f"/api/v1/snapshots?{query}")
    assert api.status_code == 400 and query in api.json["error"]
    # The far end of the calendar is a date like any other.
    assert client.get("/api/v1/snapshots?from=2000-01-01&to=9999-12-31").json["total"] == 1


# --- a store that cannot save -----------------------------------------------------------------


def refuse_writes(engine) -> None:
    """Make the store refuse new rows for real: SQLite full (its page cap at its size, as a
    full disk), PostgreSQL read-only (as a standby answers)."""

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()  # a SET in a rolled-back transaction is undone
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # every connection from now on is a new one


def test_a_store_that_cannot_save_a_snapshot_says_so_with_a_503(engine, areas, caplog):
    feed(engine, fresh_now())
    app, client = build(engine, areas)
    refuse_writes(engine)
    caplog.set_level(logging.INFO)
    api = client.post("/api/v1/snapshots", json={"note": "x" * 2000})
    assert api.status_code == 503 and api.json["reason"] == "store_failed"
    assert "could not be saved" in api.json["error"]
    page = client.post("/briefing", data={"district": "city"}, headers={"Origin": ME})
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "Không lưu được ảnh chụp" in text and "Traceback" not in text
    english = client.post("/briefing?lang=en", data={}, headers={"Origin": ME})
    assert "could not be saved" in english.get_data(as_text=True)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(said) == 3 and all("not saved: the store failed" in m for m in said), said
    assert not [r for r in caplog.records if r.exc_info]  # one clear line each, no traceback
    assert app.server.extensions["ioc_services"].briefing.find(SnapshotFilter(), None)[1] == 0


# --- retention of snapshots taken by hand -----------------------------------------------------


def test_snapshots_taken_by_hand_are_pruned_past_their_own_retention(engine, areas):
    app, _ = build(engine, areas, briefing_times="", briefing_manual_retention_days=7)
    briefing = app.server.extensions["ioc_services"].briefing
    now = datetime.now(UTC)
    old = now - timedelta(days=10)
    briefing.take(title="old by hand", now=old)
    briefing.take(title="old by API", trigger="api", now=old)
    briefing.take(title="recent", now=now - timedelta(days=2))
    briefing.take(trigger="schedule", scheduled_for=old, now=old)  # kept 90 days
    scheduler = scheduler_for(app.server.extensions["ioc_services"])
    assert scheduler is not None  # no schedule, but a retention to apply
    scheduler.run_once()
    left = briefing.find(SnapshotFilter(), None)[0]
    assert sorted((s.trigger, s.title) for s in left) == [("manual", "recent"), ("schedule", "")]


def test_by_default_snapshots_taken_by_hand_are_kept(engine, areas):
    app, _ = build(engine, areas, briefing_times="")
    services = app.server.extensions["ioc_services"]
    services.briefing.take(now=datetime.now(UTC) - timedelta(days=3650))
    assert scheduler_for(services) is None  # nothing to take, nothing to delete
    assert services.briefing.prune_expired(datetime.now(UTC), 90) == 0
    assert services.briefing.find(SnapshotFilter(), None)[1] == 1
