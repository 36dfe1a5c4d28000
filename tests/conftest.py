"""Real parts for tests: an MQTT broker on loopback, a SQLite file, PostgreSQL when given.

Brokers, in order: IOC_TEST_MQTT_URL (a running broker, e.g. the machine's
Mosquitto), else a `mosquitto` spawned on a free port when it is on PATH, else
the embedded amqtt broker. Tests that restart the broker always spawn their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from feeds.demo.broker import EmbeddedBroker, wait_for_port
from feeds.ingest import Ingestor
from feeds.mqtt import BrokerAddress, free_port, make_client
from ioc.areas import AreaCatalogue, load_areas
from ioc.config import DEFAULT_AREAS_FILE, Settings
from ioc.contract import status_topic
from ioc.store.engine import make_engine, migrate, private_schema

TEST_MQTT_URL = os.environ.get("IOC_TEST_MQTT_URL") or None
TEST_DATABASE_URL = os.environ.get("IOC_TEST_DATABASE_URL") or None


# --- areas and settings -------------------------------------------------------


@pytest.fixture(scope="session")
def areas() -> AreaCatalogue:
    """The shipped Can Tho catalogue."""
    return load_areas(DEFAULT_AREAS_FILE)


def make_settings(**overrides) -> Settings:
    """Settings for a test, independent of the developer's environment and .env."""
    base = {"mqtt_client_id": f"test-ingest-{uuid.uuid4().hex[:8]}", "_env_file": None}
    return Settings(**{**base, **overrides})


# --- stores ---------------------------------------------------------------------


def _store_params() -> list:
    params = ["sqlite"]
    if TEST_DATABASE_URL:
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_store_params())
def store_url(request, tmp_path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a private schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ioc.db'}"
        return
    with private_schema(TEST_DATABASE_URL, "t") as url:
        yield url


@pytest.fixture
def engine(store_url) -> Iterator[Engine]:
    """A migrated engine on the test store."""
    engine = make_engine(store_url)
    migrate(engine)
    yield engine
    engine.dispose()


# --- brokers --------------------------------------------------------------------


@dataclass
class BrokerUnderTest:
    """A broker the test may talk to, and (when it owns it) restart."""

    url: str
    kind: str
    stop: Callable[[], None] = field(default=lambda: None)
    start: Callable[[], None] | None = None

    def restart(self, down_for: float = 0.0) -> None:
        """Stop the broker, wait, start it again (spawned brokers only)."""
        assert self.start is not None, "this broker is not ours to restart"
        self.stop()
        time.sleep(down_for)
        self.start()


def spawn_mosquitto(workdir: Path) -> BrokerUnderTest:
    """Run mosquitto on a free loopback port, with persistence, as a restartable child."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"persistence true\npersistence_location {workdir}/\n"
        # Keep every queued QoS 1 message for an absent session (default 1000).
        "max_queued_messages 0\n" + ("user root\n" if os.geteuid() == 0 else "")
        # As root, mosquitto drops to user "mosquitto", which cannot write its
        # persistence file into pytest's private tmp folder.
    )
    state: dict = {}

    def start() -> None:
        state["proc"] = subprocess.Popen(
            ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_for_port(port, 10):
            raise RuntimeError("spawned mosquitto did not start")

    def stop() -> None:
        proc = state.get("proc")
        if proc and proc.poll() is None:
            proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            proc.wait(10)

    start()
    return BrokerUnderTest(f"mqtt://127.0.0.1:{port}", "mosquitto", stop, start)


def spawn_embedded() -> BrokerUnderTest:
    """Run the embedded amqtt broker on a free port."""
    broker = EmbeddedBroker(free_port())
    broker.start()
    return BrokerUnderTest(broker.url, "embedded", broker.stop, broker.start)


def clear_retained(url: str, districts) -> None:
    """Remove retained status messages so tests on a shared broker start clean."""
    client, address = make_client(
        url, client_id=f"test-clean-{uuid.uuid4().hex[:8]}", default_username="test"
    )
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        for slug in districts:
            client.publish(status_topic(slug), b"", qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def broker(tmp_path, areas) -> Iterator[BrokerUnderTest]:
    """A broker for one test, clean of retained status messages."""
    if TEST_MQTT_URL:
        handle = BrokerUnderTest(TEST_MQTT_URL, "external")
    elif shutil.which("mosquitto"):
        handle = spawn_mosquitto(tmp_path / "mosquitto")
    else:
        handle = spawn_embedded()
    try:
        clear_retained(handle.url, [a.slug for a in areas.areas])
        yield handle
    finally:
        if handle.kind == "external":
            clear_retained(handle.url, [a.slug for a in areas.areas])
        handle.stop()


@pytest.fixture
def restartable_broker(tmp_path) -> Iterator[BrokerUnderTest]:
    """A broker this test owns and may restart: spawned mosquitto (with persistence)."""
    if not shutil.which("mosquitto"):
        pytest.skip("restarting a broker with persistent sessions needs mosquitto on PATH")
    handle = spawn_mosquitto(tmp_path / "mosquitto")
    try:
        yield handle
    finally:
        handle.stop()


def discard_session(url: str, client_id: str) -> None:
    """Connect once with a clean session so the broker forgets a persistent one."""
    client, address = make_client(
        url, client_id=client_id, persistent=False, default_username="test"
    )
    try:
        client.connect(address.host, address.port)
        client.loop_start()
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()
    except OSError:
        pass


class Publisher:
    """A test publisher: QoS 1, persistent, keeps messages while the broker is away."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client_id = f"test-pub-{uuid.uuid4().hex[:8]}"
        self.client, self.address = make_client(
            url,
            client_id=self.client_id,
            persistent=True,
            default_username="test",
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        # Track completions by packet id: paho's MQTTMessageInfo raises for a
        # message published while disconnected, though it keeps and resends it.
        self.sent: set[int] = set()
        self.acknowledged: set[int] = set()
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect(self.address.host, self.address.port)
        self.client.loop_start()

    def _on_publish(self, _client, _userdata, mid, _reason, _properties) -> None:
        with self._lock:
            self.acknowledged.add(mid)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain=False):
        """Publish at QoS 1 (kept and resent by paho if the broker is away)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        with self._lock:
            self.sent.add(info.mid)
        return info

    def wait_all(self, timeout: float = 30) -> None:
        """Wait until the broker has acknowledged everything published."""

        def done() -> bool:
            with self._lock:
                return self.sent <= self.acknowledged

        assert wait_until(done, timeout), "the broker did not acknowledge every message"

    def close(self) -> None:
        """Disconnect and let the broker forget this publisher's session."""
        self.client.disconnect()
        self.client.loop_stop()
        discard_session(self.url, self.client_id)


@pytest.fixture
def publisher(broker) -> Iterator[Publisher]:
    """A QoS 1 publisher on the test broker."""
    pub = Publisher(broker.url)
    yield pub
    pub.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 20, every: float = 0.05) -> bool:
    """Poll a condition until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


__all__ = ["BrokerAddress", "Publisher", "discard_session", "make_settings", "wait_until"]


# --- the running product and a browser ------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class RunningApp:
    """The all-in-one product started as `python app.py` in a child process."""

    base_url: str
    process: subprocess.Popen
    database_url: str


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[RunningApp]:
    """Start the all-in-one demo on free ports and wait until it serves live data."""
    import json
    import urllib.request

    workdir = tmp_path_factory.mktemp("app")
    port = free_port()
    database_url = f"sqlite:///{workdir / 'ioc.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(
        PYTHONPATH=str(ROOT),
        IOC_PORT=str(port),
        IOC_EMBEDDED_BROKER_PORT=str(free_port()),
        IOC_DATABASE_URL=database_url,
        # No 30-day past (tests/test_backfill.py has its own) and no scheduled briefing,
        # which at 07:30 local time would add a snapshot to the ones a test counts.
        IOC_SIM_BACKFILL_DAYS="0",
        IOC_BRIEFING_TIMES="",
    )
    log = open(workdir / "app.log", "w")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")], env=env, cwd=workdir, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/ingest/stats", timeout=2) as response:
                return json.loads(response.read())["accepted"] > 0
        except OSError:
            return False

    try:
        if not wait_until(serving, timeout=60):
            raise RuntimeError((workdir / "app.log").read_text()[-3000:])
        yield RunningApp(base, process, database_url)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def chromium_path() -> str | None:
    """Debian's Chromium (never a browser downloaded by a test tool)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright; skipped where either is missing."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def running_ingestor(url, engine, areas, client_id=None, **overrides):
    """An ingestor on a real broker and store, connected and subscribed; stopped afterwards."""
    settings = make_settings(mqtt_url=url, batch_interval_ms=50, **overrides)
    if client_id:
        settings = settings.model_copy(update={"mqtt_client_id": client_id})
    ingestor = Ingestor(settings, engine, areas)
    ingestor.start()
    assert ingestor.wait_connected(15), "ingestor did not connect"
    try:
        yield ingestor
    finally:
        ingestor.stop()


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of the given size mounted at path (a real disk that fills up); skip if not root."""
    path.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def wait_for_js(page, expression: str, timeout: float = 30_000) -> None:
    """Wait until a JavaScript expression is true in the page (timeout in ms).

    Not ``page.wait_for_function``: Playwright runs its predicate through
    ``eval`` inside the page, which the pages' Content-Security-Policy forbids
    (no 'unsafe-eval'); ``page.evaluate`` goes through the DevTools protocol.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(50)


def screenshot(page, name: str) -> Path:
    """Save a screenshot under var/screenshots (kept as a CI artefact, not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
