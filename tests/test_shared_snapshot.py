"""Web workers share one wall snapshot per interval through Redis (IOC_REDIS_URL), on real parts.

Builds are counted in Redis, per interval and per builder (``SharedCache.build_counts``),
so a test in another process can read them. Skipped when no Redis answers on
127.0.0.1:6379 (the machine's own; ``REDIS_URL`` names another).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from feeds.mqtt import free_port
from ioc.contract import Reading, StatusReport
from ioc.model.metric import Metric, MetricView
from ioc.services.kpis import KpiCatalogue
from ioc.services.shared_cache import SharedCache, key_prefix
from ioc.services.wall import WallService
from ioc.services.wall_json import SnapshotFormatError, from_json, to_json
from ioc.status import Thresholds
from ioc.store import rollup_writes, writes
from ioc.store.engine import make_engine, migrate
from tests.conftest import make_settings, wait_until

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REFRESH_MS = 1000
LOGGER = "ioc.services.shared_cache"


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({err}); start redis-server")
    return client


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis; its keys are deleted after."""
    client = redis_or_skip()
    name = f"test-shared:{uuid.uuid4().hex[:12]}"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)


@pytest.fixture
def kpis() -> KpiCatalogue:
    return KpiCatalogue({
        "traffic_speed": Thresholds("higher", warn=25, alarm=15),
        "wifi_up": Thresholds("higher", warn=95, alarm=85),
        "backlog_overdue": Thresholds("lower", warn=5, alarm=10),
    })  # fmt: skip


def fill(engine: Engine, now: datetime) -> None:
    """Readings over the last hour (trends), fresh ones now, an AP down, an IOC offline."""
    batch = []
    for minutes_ago in range(0, 60, 5):
        ts = now - timedelta(minutes=minutes_ago)
        for i, district in enumerate(("ninh-kieu", "cai-rang", "binh-thuy")):
            values = {"vehicles": 40 + 7 * i + minutes_ago, "interval_s": 60,
                      "speed_kmh": 12.5 + 9 * i, "occupancy": 0.3}  # fmt: skip
            batch.append(Reading(district, "traffic", f"cam-{i}", ts, values, name=f"Cam {i}"))
            batch.append(Reading(district, "wifi", f"ap-{i}", ts, {"up": i != 1, "clients": 3}))
            values = {"pending": 30 + i, "overdue": 4 * i, "received_today": 9,
                      "resolved_today": 7, "resolved_on_time_today": 6}  # fmt: skip
            source = "hotline-1022" if i == 2 else "desk-1"
            batch.append(Reading(district, "backlog", source, ts, values, name=source))
    with engine.begin() as conn:
        new = writes.insert_readings(conn, batch, received_at=now)
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)
        writes.upsert_status(conn, [StatusReport("o-mon", False, now)], received_at=now)


@pytest.fixture
def filled(tmp_path) -> Iterator[tuple[Engine, str]]:
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    engine = make_engine(url)
    migrate(engine)
    fill(engine, datetime.now(UTC))
    yield engine, url
    engine.dispose()


class CountingWall(WallService):
    """The wall service as a worker has it, counting the snapshots it builds itself."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.builds = 0

    def build(self, now: datetime):
        self.builds += 1
        return super().build(now)


# --- the snapshot as JSON ----------------------------------------------------------


def test_a_snapshot_survives_json_exactly(filled, areas, kpis):
    engine, _url = filled
    snap = WallService(make_settings(), engine, areas, kpis).build(datetime.now(UTC))
    assert snap.alarms and snap.congested and snap.aps_down and snap.wifi_down_hours
    assert any(k.trend for k in snap.city.kpis.values())
    metric = Metric("m", "Chỉ số", "Metric", "db", "SELECT 1", Thresholds("higher", 5, 2), 60,
                    unit="%", by_district=True)  # fmt: skip
    view = MetricView(metric, None, "warn", snap.now, None, {"ninh-kieu": (3.5, "warn")})
    snap = dataclasses.replace(snap, metrics=(view,))
    text = to_json(snap)
    back = from_json(text)
    assert back == snap
    assert to_json(back) == text
    assert back.now.tzinfo is UTC and isinstance(back.wifi_down_hours[0], tuple)
    assert isinstance(back.districts, tuple) and back.metrics[0].districts["ninh-kieu"][1] == "warn"


def test_only_a_snapshot_is_read_back(filled, areas, kpis):
    engine, _url = filled
    snap = WallService(make_settings(), engine, areas, kpis).build(datetime.now(UTC))
    for bad in (pickle.dumps(snap), b"[1, 2]", b"{}", b"not json"):
        with pytest.raises(SnapshotFormatError):
            from_json(bad)
    wrong = json.loads(to_json(snap))
    wrong["city"]["status"] = "purple"  # not a status
    with pytest.raises(SnapshotFormatError):
        from_json(json.dumps(wrong))


# --- two workers in one process -----------------------------------------------------


def test_two_workers_build_one_snapshot_per_interval(filled, areas, kpis, prefix):
    engine, _url = filled
    settings = make_settings(wall_refresh_ms=REFRESH_MS)
    # Two workers: each its own wall service and Redis client, as two gunicorn workers have.
    workers = [
        CountingWall(settings, engine, areas, kpis, shared=SharedCache(REDIS_URL, prefix, 1000))
        for _ in range(2)
    ]
    start = datetime.now(UTC).replace(microsecond=0)
    moments = [start + timedelta(milliseconds=REFRESH_MS * i + 10 * j)
               for i in range(3) for j in range(3)]  # fmt: skip
    seen: dict[int, list] = {}
    errors: list[BaseException] = []
    ready = threading.Barrier(8)

    def screen(wall: WallService) -> None:
        try:
            ready.wait(10)
            for now in moments:  # every thread asks for the same intervals at once
                bucket = int(now.timestamp() * 1000) // REFRESH_MS
                seen.setdefault(bucket, []).append(wall.snapshot(now))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=screen, args=(workers[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(seen) == 3
    assert sum(w.builds for w in workers) == 3  # one per interval, not one per worker
    counts = workers[0].shared.build_counts("snapshot")
    assert sorted(counts) == sorted(str(b) for b in seen)
    assert all(sum(by.values()) == 1 for by in counts.values()), counts
    for snaps in seen.values():  # both workers show the very same snapshot
        assert all(s == snaps[0] for s in snaps)


def test_without_redis_the_wall_builds_locally_and_says_so_once(filled, areas, kpis, caplog):
    engine, _url = filled
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    shared = SharedCache(closed, "test-shared:closed", REFRESH_MS, retry_after_s=0)
    wall = CountingWall(make_settings(), engine, areas, kpis, shared=shared)
    start = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        snaps = [wall.snapshot(start + timedelta(milliseconds=REFRESH_MS * i)) for i in range(4)]
    assert all(s.districts for s in snaps)
    assert wall.builds == shared.local_builds == 4  # every interval tried Redis, then built
    said = [r for r in caplog.records if r.name == LOGGER]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "does not answer" in said[0].getMessage() and closed in said[0].getMessage()


def test_a_silent_redis_costs_a_moment_and_one_line(filled, areas, kpis, caplog):
    engine, _url = filled
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        shared = SharedCache(url, "test-shared:silent", REFRESH_MS, retry_after_s=0)
        wall = CountingWall(make_settings(), engine, areas, kpis, shared=shared)
        start = datetime.now(UTC)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            for i in range(2):
                assert wall.snapshot(start + timedelta(milliseconds=REFRESH_MS * i)).districts
    assert wall.builds == shared.local_builds == 2
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1


def test_a_builder_that_never_finishes_holds_no_one_up(filled, areas, kpis, prefix):
    engine, _url = filled
    shared = SharedCache(REDIS_URL, prefix, REFRESH_MS)
    wall = CountingWall(make_settings(), engine, areas, kpis, shared=shared)
    now = datetime.now(UTC)
    bucket = int(now.timestamp() * 1000) // REFRESH_MS
    shared.client.set(f"{prefix}:snapshot:{bucket}:lock", "a worker that died", px=60_000)
    snap = wall.snapshot(now)  # waits at most one interval, then builds here and shares it
    assert wall.builds == 1
    assert from_json(shared.client.get(f"{prefix}:snapshot:{bucket}")) == snap
    assert shared.build_counts("snapshot") == {str(bucket): {SharedCache.builder(): 1}}


def test_what_redis_holds_is_read_as_data_or_not_at_all(filled, areas, kpis, prefix, caplog):
    engine, _url = filled
    shared = SharedCache(REDIS_URL, prefix, REFRESH_MS)
    wall = CountingWall(make_settings(), engine, areas, kpis, shared=shared)
    now = datetime.now(UTC)
    bucket = int(now.timestamp() * 1000) // REFRESH_MS
    planted = pickle.dumps(Exploding())  # would run code if unpickled
    shared.client.set(f"{prefix}:snapshot:{bucket}", planted, px=60_000)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        snap = wall.snapshot(now)
    assert snap.districts and wall.builds == 1 and not Exploding.ran
    assert any("cannot read" in r.getMessage() for r in caplog.records)


class Exploding:
    ran = False

    def __reduce__(self):
        return (setattr, (Exploding, "ran", True))


def test_a_redis_url_must_name_redis():
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        make_settings(redis_url="http://127.0.0.1:6379")
    assert make_settings(redis_url="").redis_url is None
    assert make_settings(redis_url="rediss://cache.example:6380/2").redis_url


# --- gunicorn -w 4 and 20 screens -----------------------------------------------------

SCREENS, SECONDS, EVERY_S = 20, 4.5, 0.25


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _refresh_body(base: str) -> bytes:
    """The wall's refresh callback as the page posts it (from Dash's own dependency list)."""
    with urllib.request.urlopen(f"{base}/_dash-dependencies", timeout=20) as response:
        specs = json.loads(response.read())
    spec = next(s for s in specs if {"id": "wall-tick", "property": "n_intervals"} in s["inputs"])
    values = {"wall-tick": 1, "wall-view": None, "wall-scenes": ["overview", "traffic"],
              "wall-lang": "vi"}  # fmt: skip
    inputs = [{**d, "value": values[d["id"]]} for d in spec["inputs"]]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True))
               for p in spec["output"].strip(".").split("...")]  # fmt: skip
    body = {"output": spec["output"], "outputs": outputs,
            "inputs": inputs, "state": [{**d, "value": values[d["id"]]} for d in spec["state"]],
            "changedPropIds": ["wall-tick.n_intervals"]}  # fmt: skip
    return json.dumps(body).encode()


@pytest.mark.slow
def test_four_gunicorn_workers_and_twenty_screens_build_once_per_interval(filled, tmp_path):
    client = redis_or_skip()
    _engine, database = filled
    port = free_port()
    access = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(PYTHONPATH=str(ROOT), IOC_DATABASE_URL=database, IOC_REDIS_URL=REDIS_URL,
               IOC_WALL_REFRESH_MS=str(REFRESH_MS), IOC_METRICS_FILE="",
               IOC_MQTT_URL="mqtt://127.0.0.1:1")  # fmt: skip
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", "4", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "--access-logfile", str(access), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
         "app:server"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    # Keys of this store (any build: the digest of the code is the part after it).
    pattern = key_prefix(database).rsplit(":", 1)[0] + ":*"
    try:
        assert wait_until(lambda: _workers_serving(base, access) == 4, timeout=90, every=0.2), (
            "4 workers did not all serve within 90 s"
        )
        url, body = f"{base}/_dash-update-component", _refresh_body(base)
        calls = _screens(url, body)
        assert calls and all(status == 200 for status, _t0, _t1 in calls), calls[:3]
        counts = _build_counts(client, pattern)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate(timeout=10)
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    assert "Traceback" not in output, output[-3000:]

    def bucket(t: float) -> int:
        return int(t * 1000) // REFRESH_MS

    # An interval surely touched: a call that began and ended in it. Possibly: any it spanned.
    surely = {bucket(t0) for _s, t0, t1 in calls if bucket(t0) == bucket(t1)}
    maybe = {b for _s, t0, t1 in calls for b in range(bucket(t0), bucket(t1) + 1)}
    built = {int(b): sum(by.values()) for b, by in counts.items()}
    builders = {who for by in counts.values() for who in by}
    print(f"{len(calls)} calls, {len(built)} intervals, builds {sum(built.values())}, "
          f"builders {len(builders)}")  # fmt: skip
    assert surely <= set(built) <= maybe, (sorted(surely), sorted(built), sorted(maybe))
    assert all(n == 1 for n in built.values()), built  # once per interval: not 4x, not 20x
    assert len(built) >= SECONDS * 1000 // REFRESH_MS
    served = {line.split()[0] for line in access.read_text().splitlines()
              if "/_dash-update-component" in line}  # fmt: skip
    assert len(served) == 4  # every worker answered screens


def _workers_serving(base: str, access: Path) -> int:
    """Ask /healthz a few times at once; return how many workers have answered so far."""
    threads = [
        threading.Thread(target=lambda: _get(f"{base}/healthz")) for _ in range(8)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not access.exists():
        return 0
    return len({line.split()[0] for line in access.read_text().splitlines()
                if re.search(r" /healthz 200$", line)})  # fmt: skip


def _get(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            response.read()
    except OSError:
        pass  # not serving yet


def _screens(url: str, body: bytes) -> list[tuple[int, float, float]]:
    """20 screens posting the refresh callback every 250 ms for a few intervals."""
    calls: list[tuple[int, float, float]] = []
    lock = threading.Lock()
    stop_at = time.time() + SECONDS

    def screen() -> None:
        next_at = time.time() + random.uniform(0, EVERY_S)
        while next_at < stop_at:
            time.sleep(max(0.0, next_at - time.time()))
            began = time.time()
            status = _post(url, body)
            with lock:
                calls.append((status, began, time.time()))
            next_at += EVERY_S

    threads = [threading.Thread(target=screen) for _ in range(SCREENS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls


def _build_counts(client: redis.Redis, pattern: str) -> dict[str, dict[str, int]]:
    """Snapshot builds per interval, read from Redis as any process may."""
    counts = {}
    for raw in client.scan_iter(match=pattern + ":snapshot:*:builds"):
        key = raw.decode()
        bucket = key.rsplit(":", 2)[1]
        counts[bucket] = {k.decode(): int(v) for k, v in client.hgetall(key).items()}
    return counts
