"""The product as a new user starts it: processes, ports, settings, shutdown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from feeds.mqtt import free_port
from ioc.contract import TrafficPayload, topic_for
from ioc.store import queries
from ioc.store.engine import make_engine
from ioc.store.schema import ingestors
from tests.conftest import Publisher, discard_session, wait_until

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"PYTHONPATH": str(ROOT), "IOC_SIM_BACKFILL_DAYS": "0", **extra})  # no past
    return env


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
    except OSError:
        return None, None


def start(args, env, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def stop(proc: subprocess.Popen) -> str:
    """Stop a program as Ctrl-C would and return its output (a child still holding
    the pipe must not hang the test: the output is read with a time limit)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            output, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            output = "(the output pipe stayed open: a child process outlived the program)"
        output = "did not stop within 20 s of SIGINT\n" + (output or "")
    return output or ""


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IOC_PORT", "eighty"),
        ("IOC_PORT", "70000"),
        ("IOC_MQTT_URL", "http://broker.example"),
        ("IOC_DATABASE_URL", "not a url"),
        ("IOC_LANG", "fr"),
        ("IOC_AREAS_FILE", "/nonexistent/areas.geojson"),
        ("IOC_SIMULATE", "perhaps"),
        ("IOC_MQTT_SHARE_GROUP", "a/b"),
    ],
)
@pytest.mark.parametrize("program", [[str(ROOT / "app.py")], ["-m", "feeds.ingest"]])
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(tmp_path, variable, value, program):
    env = clean_env(**{variable: value})
    result = subprocess.run(
        [sys.executable, *program], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_standalone_ingestor_needs_a_broker_url(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "feeds.ingest"], env=clean_env(), cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "IOC_MQTT_URL" in result.stderr


def test_a_taken_web_port_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "app.py")], env=clean_env(IOC_PORT=str(port)),
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"IOC_PORT={port}" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_all_in_one_serves_live_simulated_data(tmp_path):
    port, broker_port = free_port(), free_port()
    env = clean_env(
        IOC_PORT=str(port),
        IOC_EMBEDDED_BROKER_PORT=str(broker_port),
        IOC_DATABASE_URL=f"sqlite:///{tmp_path / 'ioc.db'}",
    )
    proc = start([str(ROOT / "app.py")], env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: get_json(f"{base}/healthz")[0] == 200, timeout=60)
        assert wait_until(lambda: get_json(f"{base}/healthz")[1]["status"] == "ok", timeout=30)

        def all_live():
            _, districts = get_json(f"{base}/api/v1/districts")
            return districts and all(
                d["online"] and not any(f["stale"] for f in d["feeds"].values()) for d in districts
            )

        assert wait_until(all_live, timeout=60), get_json(f"{base}/api/v1/districts")
        _, stats = get_json(f"{base}/api/v1/ingest/stats")
        assert stats["accepted"] > 100 and stats["rejected"] == 0
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and "<script" in page
        # Nothing on the page comes from another host.
        assert "https://" not in page and "http://" not in page.replace(base, "")
    finally:
        output = stop(proc)
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert f"embedded MQTT broker listening on mqtt://127.0.0.1:{broker_port}" in output


@pytest.mark.slow
@pytest.mark.skipif(
    not shutil.which("gunicorn", path=str(Path(sys.executable).parent)),
    reason="gunicorn is not installed in this environment",
)
def test_gunicorn_workers_serve_but_never_ingest(tmp_path):
    port = free_port()
    database = f"sqlite:///{tmp_path / 'ioc.db'}"
    env = clean_env(IOC_DATABASE_URL=database, IOC_MQTT_URL="mqtt://127.0.0.1:1")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "app:server"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert wait_until(
            lambda: get_json(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=60
        )
        status, districts = get_json(f"http://127.0.0.1:{port}/api/v1/districts")
        assert status == 200 and len(districts) == 9
        time.sleep(6)  # an ingestor would have written a heartbeat by now
        with make_engine(database).connect() as conn:
            assert conn.execute(select(ingestors)).all() == []
    finally:
        output = stop(proc)
    assert "Traceback" not in output, output


@pytest.mark.broker
def test_standalone_ingestor_writes_what_it_receives(tmp_path, broker):
    database = f"sqlite:///{tmp_path / 'ioc.db'}"
    client_id = f"test-standalone-{free_port()}"
    env = clean_env(IOC_MQTT_URL=broker.url, IOC_DATABASE_URL=database,
                    IOC_MQTT_CLIENT_ID=client_id)  # fmt: skip
    proc = start(["-m", "feeds.ingest"], env, ROOT)
    publisher = Publisher(broker.url)
    engine = make_engine(database)
    try:

        def connected():
            try:
                with engine.connect() as conn:
                    return any(r.connected for r in conn.execute(select(ingestors)))
            except Exception:
                return False

        assert wait_until(connected, timeout=30)
        from datetime import UTC, datetime

        payload = TrafficPayload(ts=datetime.now(UTC), vehicles=12, speed_kmh=33.0).to_json()
        publisher.publish(topic_for("thoi-lai", "traffic", "cam-7"), payload)
        publisher.wait_all()

        def stored():
            with engine.connect() as conn:
                return queries.count_readings(conn) == 1

        assert wait_until(stored, timeout=20)
    finally:
        publisher.close()
        output = stop(proc)
        discard_session(broker.url, client_id)
    assert proc.returncode == 0 and "Traceback" not in output, output


@pytest.mark.parametrize("program", [[str(ROOT / "app.py")], ["-m", "feeds.ingest"]])
def test_a_broken_areas_file_is_one_line_naming_it(tmp_path, program):
    areas = tmp_path / "areas.geojson"
    areas.write_text('{"type": "FeatureCollection", "features": [{"properties": {"slug": "X Y"}}]}')
    env = clean_env(
        IOC_AREAS_FILE=str(areas), IOC_MQTT_URL="mqtt://127.0.0.1:1", IOC_PORT=str(free_port())
    )
    result = subprocess.run(
        [sys.executable, *program], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: IOC_AREAS_FILE: {areas}: feature 0 has a bad slug 'X Y'"
    ]


def test_a_broken_kpi_file_is_one_line_naming_it(tmp_path):
    kpis = tmp_path / "kpis.toml"
    kpis.write_text("[traffic_speed]\ndirection = 'higher'\nwarn = 10\nalarm = 20\n")
    env = clean_env(
        IOC_KPIS_FILE=str(kpis), IOC_MQTT_URL="mqtt://127.0.0.1:1", IOC_PORT=str(free_port())
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: IOC_KPIS_FILE: {kpis}: [traffic_speed] "
        "alarm must be below or at warn when higher is better"
    ]


def test_a_broken_metric_catalogue_is_one_line_naming_it(tmp_path):
    catalogue = tmp_path / "metrics.toml"
    catalogue.write_text(
        '[databases.wh]\nurl = "sqlite:///wh.db"\n\n[[metrics]]\nid = "x"\ntitle_vi = "X"\n'
        'title_en = "X"\ndatabase = "wh"\nsql = "UPDATE t SET a = 1"\nrefresh_s = 60\n'
    )
    env = clean_env(
        IOC_METRICS_FILE=str(catalogue), IOC_MQTT_URL="mqtt://127.0.0.1:1",
        IOC_PORT=str(free_port()),
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: IOC_METRICS_FILE: {catalogue}: metric x: "
        "sql must be one SELECT (or WITH … SELECT)"
    ]
