"""Ingest benchmark: how fast MQTT readings reach the store, against this machine's ceiling.

``python -m bench.ingest`` (``make bench``) publishes N contract traffic readings
across 3,000 sources in the 9 districts and reports, in one run:

* the ceiling: the receive rate of a bare paho subscriber that does nothing
  but count (QoS 1 subscription, paho defaults, ``loop_start()``), for
  messages published at QoS 0 and at QoS 1;
* the product: the real ``feeds.ingest.Ingestor`` writing into a fresh store,
  from the first message published to the moment the store's ``accepted``
  counter reaches N, at QoS 0 and QoS 1 (subscription QoS 1 in both cases; the
  effective QoS is the lower of the two), with a check that nothing was lost;
* product / ceiling for each QoS;
* latency from publish to committed row (p50/p95/p99) in a separate, paced run
  that does not saturate the ingestor.

The publisher (a raw-socket MQTT 3.1.1 client, see ``bench/publisher.py``) and
the commit watcher run in their own processes; the subscriber under test runs
in this process, which otherwise only sleeps and polls the store every 20 ms.

By default a private Mosquitto is spawned on a free loopback port with
``max_queued_messages 0`` (Mosquitto's default of 1000 queued messages per
session silently drops QoS 1 messages under a flood); without mosquitto on
PATH the embedded amqtt broker is used (and the figures then measure amqtt).
A broker given with ``--broker-url`` must carry no other ``ioc/v1`` traffic.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import logging
import os
import platform
import queue
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from sqlalchemy import select
from sqlalchemy.engine import make_url

from feeds.demo.broker import EmbeddedBroker, wait_for_port
from feeds.ingest import Ingestor
from feeds.mqtt import BrokerAddress, free_port, make_client
from ioc.areas import AreaCatalogue, load_areas
from ioc.config import DEFAULT_AREAS_FILE, Settings
from ioc.contract import StatusPayload, status_topic
from ioc.store import queries
from ioc.store.engine import make_engine, migrate, private_schema
from ioc.store.schema import readings

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATE = 15_000
GOAL_RATIO = 0.7
POLL_S = 0.02
PHASES = ("ceiling0", "ceiling1", "product0", "product1", "latency")
log = logging.getLogger("bench.ingest")


class BenchError(Exception):
    """A run could not be completed (broker, publisher or store trouble)."""


# --- Machine --------------------------------------------------------------------------


def machine_info(broker: str) -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_avg_1min_before": load,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "paho_mqtt": _version("paho-mqtt"),
        "sqlalchemy": _version("sqlalchemy"),
        "broker": broker,
        "os": f"{platform.system()} {platform.release()}",
    }


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


# --- Broker ---------------------------------------------------------------------------


@dataclass
class Broker:
    url: str
    name: str
    stop: Callable[[], None] = field(default=lambda: None)


def spawn_mosquitto(workdir: Path, inflight: int | None) -> Broker:
    """A private Mosquitto on a free loopback port that never drops queued QoS 1 messages."""
    port = free_port()
    config = workdir / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence false",
        # Default 1000: a flood faster than the subscriber loses messages.
        "max_queued_messages 0",
    ]
    if inflight is not None:
        lines.append(f"max_inflight_messages {inflight}")
    if os.geteuid() == 0:
        lines.append("user root")  # do not depend on a "mosquitto" user existing
    config.write_text("\n".join(lines) + "\n")
    errors = open(workdir / "mosquitto.log", "wb")  # noqa: SIM115 - closed in stop()
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=errors
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        errors.close()

    if not wait_for_port(port, 10):
        stop()
        raise BenchError(f"mosquitto did not start; see {workdir / 'mosquitto.log'}")
    version = subprocess.run(
        ["mosquitto", "-h"], capture_output=True, text=True, timeout=10
    ).stdout.splitlines()
    name = version[0].strip() if version else "mosquitto"
    settings = "max_queued_messages 0" + (
        f", max_inflight_messages {inflight}" if inflight is not None else ""
    )
    return Broker(f"mqtt://127.0.0.1:{port}", f"{name} (spawned, {settings})", stop)


def start_broker(args: argparse.Namespace, workdir: Path) -> Broker:
    if args.broker_url:
        return Broker(args.broker_url, f"external broker at {args.broker_url}")
    if shutil.which("mosquitto"):
        return spawn_mosquitto(workdir, args.broker_inflight)
    print(
        "mosquitto is not on PATH: using the embedded amqtt broker instead. It is far "
        "slower than Mosquitto, so the figures below measure amqtt, not the ingestor.",
        file=sys.stderr,
    )
    broker = EmbeddedBroker(free_port())
    broker.start()
    return Broker(broker.url, "embedded amqtt (feeds.demo.broker)", broker.stop)


def discard_session(url: str, client_id: str) -> None:
    """Connect once with a clean session so the broker forgets a persistent one."""
    client, address = make_client(url, client_id=client_id, default_username="bench")
    with contextlib.suppress(OSError):
        client.connect(address.host, address.port)
        client.loop_start()
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()


def publish_probe(url: str, district: str) -> None:
    """One status report, to prove the ingestor's subscription is in place."""
    client, address = make_client(
        url, client_id=f"bench-probe-{uuid.uuid4().hex[:8]}", default_username="bench"
    )
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        payload = StatusPayload(online=True, ts=datetime.now(UTC)).to_json()
        client.publish(status_topic(district), payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


# --- Child processes ------------------------------------------------------------------


class Child:
    """A child process of bench.publisher speaking the ready / go / JSON protocol."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.publisher", *argv],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def _line(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(
                f"child {self.proc.args[3]} did not answer in {timeout:.0f} s"
            ) from None
        if line is None:
            raise BenchError(f"child {self.proc.args[3]} exited ({self.proc.wait(5)})")
        return line

    def wait_ready(self, timeout: float = 120) -> None:
        line = self._line(timeout)
        if line != "ready":
            raise BenchError(f"child said {line!r} instead of ready")

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float) -> dict:
        """Close stdin (the watcher's stop signal) and read the JSON result."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        return json.loads(self._line(timeout))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def start_publisher(
    url: str, *, messages: int, sources: int, qos: int, rate: float = 0, max_s: float
) -> Child:
    address = BrokerAddress.from_url(url)
    if address.tls:
        raise BenchError("the benchmark publisher speaks plain TCP only (mqtt://)")
    return Child(
        [
            "publish",
            f"--host={address.host}",
            f"--port={address.port}",
            f"--client-id=bench-pub-{uuid.uuid4().hex[:8]}",
            *([f"--username={address.username}"] if address.username else []),
            *([f"--password={address.password}"] if address.password else []),
            f"--messages={messages}",
            f"--sources={sources}",
            f"--qos={qos}",
            f"--rate={rate}",
            f"--base-ts={time.time() - 7 * 86400:.0f}",
            f"--max-seconds={max_s}",
        ]
    )


# --- Stores ---------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_store(base_url: str | None, workdir: Path) -> Iterator[str]:
    """A new SQLite file per run, or a private schema in the given PostgreSQL database."""
    backend = make_url(base_url).get_backend_name() if base_url else "sqlite"
    if backend == "sqlite":
        given = make_url(base_url).database if base_url else None
        if given and given != ":memory:" and not given.startswith("file:"):
            folder = Path(given).resolve().parent  # fresh files next to the one given
        else:
            folder = workdir
        path = folder / f"ioc-bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm", ".migrate-lock"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
        return
    with private_schema(base_url, "bench") as url:
        yield url


# --- Ceiling: a bare paho subscriber --------------------------------------------------


def run_ceiling(url: str, args: argparse.Namespace, qos: int) -> dict:
    """Receive rate of a paho subscriber that only counts (QoS 1 subscription)."""
    n = args.messages
    address = BrokerAddress.from_url(url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
    )
    # The embedded broker wants its user and password; Mosquitto on loopback ignores them.
    client.username_pw_set(address.username or "bench", address.password)
    state = {"n": 0, "first": 0.0, "last": 0.0}
    subscribed = threading.Event()

    def on_message(_client, _userdata, _message) -> None:
        now = time.perf_counter()
        if not state["n"]:
            state["first"] = now
        state["last"] = now
        state["n"] += 1

    client.on_message = on_message
    client.on_connect = lambda c, *_: c.subscribe("ioc/v1/#", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    max_s = args.timeout
    publisher = start_publisher(url, messages=n, sources=args.sources, qos=qos, max_s=max_s)
    try:
        client.connect(address.host, address.port, keepalive=60)
        client.loop_start()
        if not subscribed.wait(15):
            raise BenchError("the bare subscriber was not subscribed within 15 s")
        publisher.wait_ready()
        publisher.go()
        deadline = time.monotonic() + max_s
        idle_since, seen = time.monotonic(), 0
        while state["n"] < n and time.monotonic() < deadline:
            time.sleep(0.05)
            if state["n"] != seen:
                seen, idle_since = state["n"], time.monotonic()
            elif state["n"] and time.monotonic() - idle_since > 10:
                break  # nothing new for 10 s: messages were lost
        pub = publisher.finish(30)
    finally:
        client.disconnect()
        client.loop_stop()
        publisher.kill()
    got = state["n"]
    elapsed = state["last"] - state["first"]
    return {
        "received": got,
        "complete": got == n,
        "seconds": round(elapsed, 3),
        "rate": round((got - 1) / elapsed) if got > 1 and elapsed > 0 else 0,
        "publisher_rate": pub.get("send_rate"),
    }


# --- Product: the real ingestor -------------------------------------------------------


class RunningIngestor:
    """An Ingestor on a fresh store, proven subscribed; cleaned up on exit."""

    def __init__(self, url: str, store_url: str, args: argparse.Namespace, areas) -> None:
        self.url = url
        self.store_url = store_url
        self.areas: AreaCatalogue = areas
        self.client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
        overrides = {}
        if args.batch_max is not None:
            overrides["batch_max"] = args.batch_max
        if args.batch_interval_ms is not None:
            overrides["batch_interval_ms"] = args.batch_interval_ms
        self.settings = Settings(
            _env_file=None,
            mqtt_url=url,
            database_url=store_url,
            mqtt_client_id=self.client_id,
            **overrides,
        )
        self.engine = make_engine(store_url)
        migrate(self.engine)
        self.reader = make_engine(store_url)  # the benchmark's own polling connection
        self.ingestor = Ingestor(self.settings, self.engine, areas)

    def __enter__(self) -> RunningIngestor:
        self.ingestor.start()
        if not self.ingestor.wait_connected(15):
            self.close()
            raise BenchError("the ingestor did not connect within 15 s")
        # A status report through the broker proves the subscription is active.
        publish_probe(self.url, self.areas.areas[0].slug)
        deadline = time.monotonic() + 15
        while self.counters().get("status_updates", 0) < 1:
            if time.monotonic() > deadline:
                self.close()
                raise BenchError("the ingestor did not store the probe within 15 s")
            time.sleep(0.02)
        return self

    def counters(self) -> dict[str, int]:
        with self.reader.connect() as conn:
            return queries.counters(conn)

    def close(self) -> None:
        self.ingestor.stop()
        discard_session(self.url, self.client_id)
        self.engine.dispose()
        self.reader.dispose()

    def __exit__(self, *_exc) -> None:
        self.close()

    def wait_accepted(self, n: int, timeout: float) -> tuple[float | None, dict, int]:
        """Poll the counters until accepted >= n; return (wall time seen, counters, max queue)."""
        deadline = time.monotonic() + timeout
        max_queue, last_change, last_accepted = 0, time.monotonic(), -1
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            counts = self.counters()
            seen_at = time.time()
            max_queue = max(max_queue, self.ingestor.queue.qsize())
            accepted = counts.get("accepted", 0)
            if accepted >= n:
                return seen_at, counts, max_queue
            if accepted != last_accepted:
                last_accepted, last_change = accepted, time.monotonic()
            elif time.monotonic() - last_change > 15:
                break  # no progress for 15 s
            time.sleep(POLL_S)
        return None, counts, max_queue


def run_product(url: str, args: argparse.Namespace, areas, qos: int, workdir: Path) -> dict:
    """Publish N readings at `qos` to the running ingestor; time until all are committed."""
    n = args.messages
    publisher = start_publisher(url, messages=n, sources=args.sources, qos=qos, max_s=args.timeout)
    try:
        with (
            fresh_store(args.database_url, workdir) as store_url,
            RunningIngestor(url, store_url, args, areas) as running,
        ):
            publisher.wait_ready()
            publisher.go()
            done_at, counts, max_queue = running.wait_accepted(n, args.timeout)
            pub = publisher.finish(30)
            last_message = running.ingestor.last_message_at
            with running.reader.connect() as conn:
                rows = queries.count_readings(conn)
    finally:
        publisher.kill()
    start = pub["wall_start"]
    accepted = counts.get("accepted", 0)
    result = {
        "accepted": accepted,
        "rows": rows,
        "received": counts.get("received", 0) - 1,  # minus the probe
        "duplicates": counts.get("duplicates", 0),
        "rejected": counts.get("rejected", 0),
        "complete": done_at is not None and accepted == n and rows == n,
        "publisher_rate": pub.get("send_rate"),
        "max_queue": max_queue,
    }
    if done_at is not None:
        result["seconds"] = round(done_at - start, 3)
        result["rate"] = round(n / (done_at - start))
    else:
        result["seconds"], result["rate"] = None, 0
    if last_message is not None:
        receive_s = last_message.timestamp() - start
        result["receive_rate"] = round(result["received"] / receive_s) if receive_s > 0 else None
    return result


def run_latency(url: str, args: argparse.Namespace, areas, workdir: Path) -> dict:
    """A paced QoS 1 run: publish time (payload ts) to the row's first visibility."""
    n = int(args.latency_rate * args.latency_seconds)
    max_s = args.latency_seconds * 3 + 60
    publisher = start_publisher(
        url, messages=n, sources=args.sources, qos=1, rate=args.latency_rate, max_s=max_s
    )
    watcher = None
    try:
        with (
            fresh_store(args.database_url, workdir) as store_url,
            RunningIngestor(url, store_url, args, areas) as running,
        ):
            watcher = Child(
                ["watch", f"--database-url={store_url}", "--every-ms=5", f"--max-seconds={max_s}"]
            )
            watcher.wait_ready(60)
            publisher.wait_ready()
            publisher.go()
            done_at, counts, _ = running.wait_accepted(n, max_s)
            time.sleep(0.05)
            watched = watcher.finish(30)
            pub = publisher.finish(30)
            with running.reader.connect() as conn:
                rows = conn.execute(
                    select(readings.c.id, readings.c.ts, readings.c.received_at).order_by(
                        readings.c.id
                    )
                ).all()
    finally:
        publisher.kill()
        if watcher is not None:
            watcher.kill()
    seen = watched["seen"]
    seen_ids = [top for top, _ in seen]
    commit_ms, start_ms = [], []
    for row_id, ts, received_at in rows:
        k = bisect.bisect_left(seen_ids, row_id)
        if k < len(seen):
            commit_ms.append((seen[k][1] - ts.timestamp()) * 1000)
        start_ms.append((received_at - ts).total_seconds() * 1000)
    return {
        "messages": n,
        "rate_asked": args.latency_rate,
        "publisher_rate": pub.get("send_rate"),
        "accepted": counts.get("accepted", 0),
        "complete": done_at is not None and len(rows) == n,
        "commit_ms": percentiles(commit_ms),
        "received_at_ms": percentiles(start_ms),
        "watch_every_ms": 5,
        "watch_poll_cost_ms": watched.get("poll_cost_ms_p50"),
    }


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    values = sorted(values)

    def pick(p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 1)

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": round(values[-1], 1)}


# --- Report ---------------------------------------------------------------------------


def summarise(runs: list[dict]) -> dict:
    rates = [r["rate"] for r in runs]
    return {
        "median": round(statistics.median(rates)) if rates else 0,
        "min": min(rates, default=0),
        "max": max(rates, default=0),
        "complete": all(r["complete"] for r in runs),
        "runs": runs,
    }


def report(result: dict) -> str:
    m, cfg, s = result["machine"], result["config"], result["summary"]
    out = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"load {m['load_avg_1min_before']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"paho-mqtt {m['paho_mqtt']}",
        f"broker:  {m['broker']}",
        f"store:   {cfg['store']}; batch_max {cfg['batch_max']}, "
        f"batch_interval_ms {cfg['batch_interval_ms']}",
        f"load:    {cfg['messages']:,} traffic readings across {cfg['sources']:,} sources "
        f"in {cfg['districts']} districts; {cfg['repeat']} run(s) each, median (min-max)",
        "",
        f"{'':36}{'msg/s':>9}  {'min-max':>15}  {'vs ceiling':>10}  complete",
    ]
    labels = {
        "ceiling0": "ceiling: bare paho sub, QoS 0 pubs",
        "ceiling1": "ceiling: bare paho sub, QoS 1 pubs",
        "product0": "product: ingestor->store, QoS 0",
        "product1": "product: ingestor->store, QoS 1",
    }
    for key, label in labels.items():
        if key not in s:
            continue
        row = s[key]
        ratio = result["ratios"].get(key)
        shown = f"{ratio:.2f}" if ratio is not None else ""
        spread = f"{row['min']:,}-{row['max']:,}"
        out.append(
            f"{label:36}{row['median']:>9,}  {spread:>15}  {shown:>10}  "
            f"{'yes' if row['complete'] else 'NO (lost or timed out)'}"
        )
    lat = result.get("latency")
    if lat:
        c, r = lat["commit_ms"], lat["received_at_ms"]
        out += [
            "",
            f"latency, paced QoS 1 run of {lat['messages']:,} at {lat['rate_asked']:,.0f} msg/s "
            f"(publisher {lat['publisher_rate']:,}/s):",
            f"  publish -> committed row visible: p50 {c.get('p50')} ms, p95 {c.get('p95')} ms, "
            f"p99 {c.get('p99')} ms, max {c.get('max')} ms "
            f"(watcher polls max(id) every {lat['watch_every_ms']} ms)",
            f"  publish -> batch write start (received_at): p50 {r.get('p50')} ms, "
            f"p95 {r.get('p95')} ms",
        ]
    goal = result.get("goal")
    if goal:
        out += [
            "",
            f"goal >= {GOAL_RATE:,} msg/s at QoS 1: {'met' if goal['rate_met'] else 'MISSED'} "
            f"({goal['rate']:,}); >= {GOAL_RATIO} of ceiling: "
            f"{'met' if goal['ratio_met'] else 'MISSED'} ({goal['ratio']:.2f})",
        ]
    return "\n".join(out)


# --- Main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__.split("\n\n")[0],
        epilog="Loopback only. See docs/performance.md for the figures and what limits them.",
    )
    parser.add_argument("--messages", type=int, default=100_000, help="per run (100000)")
    parser.add_argument("--sources", type=int, default=3000, help="distinct sources (3000)")
    parser.add_argument(
        "--database-url",
        help="store to benchmark: default a fresh SQLite file per run in a temporary folder; "
        "a sqlite:///path.db gets fresh files next to it; a PostgreSQL URL gets a private "
        "schema per run (dropped afterwards)",
    )
    parser.add_argument(
        "--broker-url",
        help="a running broker (mqtt://host:port) with no other ioc/v1 traffic; default: "
        "spawn a private mosquitto on a free loopback port (or the embedded broker)",
    )
    parser.add_argument(
        "--broker-inflight",
        type=int,
        default=None,
        help="max_inflight_messages of the spawned mosquitto (default: Mosquitto's, 20)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (3)")
    parser.add_argument("--batch-max", type=int, help="ingestor batch_max (default: Settings)")
    parser.add_argument(
        "--batch-interval-ms", type=int, help="ingestor batch_interval_ms (default: Settings)"
    )
    parser.add_argument(
        "--latency-rate", type=float, default=3000, help="paced latency run, msg/s (3000)"
    )
    parser.add_argument(
        "--latency-seconds", type=float, default=5, help="paced latency run length (5)"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (all)",
    )
    parser.add_argument(
        "--timeout", type=float, help="give up on a run after this many seconds (60 + N/1000)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="ingestor logs at INFO")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    args.phases = phases
    if args.messages < 2 or args.sources < 1 or args.repeat < 1:
        parser.error("--messages must be >= 2, --sources and --repeat >= 1")
    if args.timeout is None:
        args.timeout = 60 + args.messages / 1000
    return args


def run(args: argparse.Namespace) -> dict:
    areas = load_areas(DEFAULT_AREAS_FILE)
    defaults = Settings(_env_file=None)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
        workdir = Path(tmp)
        broker = start_broker(args, workdir)
        try:
            result = {
                "machine": machine_info(broker.name),
                "config": {
                    "messages": args.messages,
                    "sources": args.sources,
                    "districts": len(areas.areas),
                    "repeat": args.repeat,
                    "store": "fresh SQLite file per run"
                    if not args.database_url
                    else make_url(args.database_url).render_as_string(hide_password=True),
                    "batch_max": args.batch_max or defaults.batch_max,
                    "batch_interval_ms": args.batch_interval_ms or defaults.batch_interval_ms,
                    "phases": args.phases,
                },
            }
            runs: dict[str, list[dict]] = {p: [] for p in PHASES[:4] if p in args.phases}
            for i in range(args.repeat):
                for phase in runs:
                    qos = int(phase[-1])
                    log.info("run %d/%d: %s", i + 1, args.repeat, phase)
                    if phase.startswith("ceiling"):
                        outcome = run_ceiling(broker.url, args, qos)
                    else:
                        outcome = run_product(broker.url, args, areas, qos, workdir)
                    runs[phase].append(outcome)
                    if not args.json:
                        print(f"  {phase} run {i + 1}: {json.dumps(outcome)}", file=sys.stderr)
            summary = {phase: summarise(outcomes) for phase, outcomes in runs.items()}
            result["summary"] = summary
            ratios = {}
            for qos in (0, 1):
                ceiling, product = summary.get(f"ceiling{qos}"), summary.get(f"product{qos}")
                if ceiling and product and ceiling["median"]:
                    ratios[f"product{qos}"] = round(product["median"] / ceiling["median"], 3)
            result["ratios"] = ratios
            if "latency" in args.phases:
                result["latency"] = run_latency(broker.url, args, areas, workdir)
            if "product1" in summary:
                rate = summary["product1"]["median"]
                ratio = ratios.get("product1")
                result["goal"] = {
                    "rate": rate,
                    "rate_met": rate >= GOAL_RATE and summary["product1"]["complete"],
                    "ratio": ratio if ratio is not None else 0.0,
                    "ratio_met": ratio is not None and ratio >= GOAL_RATIO,
                }
        finally:
            broker.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        result = run(args)
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else report(result))
    complete = all(s["complete"] for s in result["summary"].values())
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
