"""Demo feeds for every district: traffic, public wifi, service backlog and presence.

``python -m feeds.simulate`` publishes through the wire contract's models, one
MQTT client per district with a retained Last Will, so the dashboard, the
ingestor and fault handling can be shown without a city behind them. Values
follow Can Tho's local clock (Asia/Ho_Chi_Minh), optionally sped up; every
``ts`` is the real wall-clock time. This is demo data: the UI labels it.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import itertools
import logging
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from feeds.demo.models import (
    TRAFFIC_INTERVAL_S,
    BacklogState,
    Source,
    WifiState,
    backlog_payload,
    backlog_start,
    backlog_step,
    bad_messages,
    sources_for,
    traffic_payload,
    wifi_payload,
    wifi_start,
    wifi_step,
)
from feeds.demo.places import placed
from feeds.mqtt import connect_kwargs, make_client
from ioc.areas import Area, AreaCatalogue, AreaCatalogueError, load_areas
from ioc.clock import LOCAL_TZ
from ioc.config import ConfigError, Settings, configure_logging, load_settings, redact_url
from ioc.contract import (
    REASONS,
    Payload,
    StatusPayload,
    status_topic,
)

log = logging.getLogger(__name__)
DEFAULT_URL = "mqtt://127.0.0.1:1883"
MAX_QUEUED = 2000  # per district: beyond this, readings are dropped rather than queued
SUCCESS = mqtt.MQTT_ERR_SUCCESS


def _status(online: bool) -> str:
    return StatusPayload(online=online, ts=datetime.now(UTC)).to_json()


class Simulator:
    """Publish demo feeds for a catalogue of areas from a background thread."""

    def __init__(
        self, url: str, areas: AreaCatalogue | Iterable[Area], *, speedup: float = 1.0,
        scale: float = 1.0, qos: int = 1, rate: float | None = None, seed: int | None = None,
        bad_every: float | None = None, offline: Iterable[str] = (), wifi_interval_s: int = 60,
        backlog_interval_s: int = 300, offline_after_s: float = 30.0, offline_for_s: float = 120.0,
        after: threading.Event | None = None,
    ) -> None:  # fmt: skip
        self.url, self.speedup, self.qos, self.rate = url, speedup, qos, rate
        self.areas = tuple(areas.areas if isinstance(areas, AreaCatalogue) else areas)
        self.kinds = {area.slug: area.kind for area in self.areas}
        self.offline = tuple(offline)
        if unknown := set(self.offline) - set(self.kinds):
            raise ValueError(f"--offline: not in the area catalogue: {', '.join(sorted(unknown))}")
        self.sources = [s for area in self.areas for s in sources_for(area, scale)]
        if isinstance(areas, AreaCatalogue):  # each source stands inside its district
            self.sources = placed(self.sources, areas.geojson)
        self.intervals = {"traffic": TRAFFIC_INTERVAL_S, "wifi": wifi_interval_s}
        self.intervals["backlog"] = backlog_interval_s
        self.bad_every, self.offline_cycle = bad_every, (offline_after_s, offline_for_s)
        self.published: Counter[str] = Counter()  # by kind: traffic, wifi, backlog, status
        self.bad: Counter[str] = Counter()  # malformed messages by expected rejection reason
        self.dropped: Counter[str] = Counter()  # readings the client would not queue, by feed
        self._rng = random.Random(seed)
        self._clients: dict[str, mqtt.Client] = {}
        self._state: dict[Source, WifiState | BacklogState] = {}
        self._seq: Counter[Source] = Counter()
        self._last: dict[Source, float] = {}
        self._heap: list[tuple[float, int, Callable[[float], float | None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Readings wait for this (the demo's past being written): presence goes out at once.
        self._after = after
        self._thread: threading.Thread | None = None
        self._t0, self._epoch0, self._next_slot = time.monotonic(), time.time(), 0.0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        areas: AreaCatalogue,
        url: str,
        after: threading.Event | None = None,
    ) -> Simulator:
        """Build a simulator from IOC_ settings (for the all-in-one app)."""
        return cls(
            url, areas, speedup=settings.sim_speedup, scale=settings.sim_sources_scale,
            wifi_interval_s=settings.wifi_interval_s, after=after,
            backlog_interval_s=settings.backlog_interval_s,
        )  # fmt: skip

    def sim_time(self) -> float:
        """Return the simulated Unix time: real start plus elapsed time times speedup."""
        return self._epoch0 + (time.monotonic() - self._t0) * self.speedup

    def start(self) -> None:
        """Connect one client per district and start publishing in a background thread."""
        self._t0, self._epoch0 = time.monotonic(), time.time()
        for area in self.areas:
            self._connect(area.slug)
        for src in self.sources:
            self._schedule(self._t0, self._report_job(src))
        if self.bad_every:
            self._schedule(self._t0 + self.bad_every, self._bad_job(self.bad_every))
        for district in self.offline:
            self._schedule(self._t0 + self.offline_cycle[0], self._offline_job(district))
        self._schedule(self._t0 + 60, self._stats_job)
        self._thread = threading.Thread(target=self._loop, name="ioc-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing; each district says online:false (retained) and disconnects."""
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        clients = list(self._clients.items())
        sent = []
        for district, client in clients:
            if client.is_connected():
                sent.append(client.publish(status_topic(district), _status(False), 1, True))
                self._count("status")
        # One shared 2-second budget: a slow broker must not hold up Ctrl-C for
        # 2 s per district.
        deadline = time.monotonic() + 2.0
        for info in sent:
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.05, deadline - time.monotonic()))
        for _district, client in clients:
            client.disconnect()  # first all, so the network threads wind down together
        for _district, client in clients:
            client.loop_stop()
        self._clients.clear()

    def counters(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        """Return copies of the published, malformed and dropped counters."""
        with self._lock:
            return Counter(self.published), Counter(self.bad), Counter(self.dropped)

    def run_for(self, seconds: float | None) -> None:
        """Start, publish for some seconds (None: until stopped), then stop."""
        self.start()
        try:
            self._stop.wait(seconds)
        finally:
            self.stop()

    def _count(self, kind: str, counter: Counter[str] | None = None) -> None:
        with self._lock:
            (self.published if counter is None else counter)[kind] += 1

    def _connect(self, district: str) -> None:
        client_id = f"ioc-sim-{district}-{random.getrandbits(24):06x}"[:64]
        client, address = make_client(self.url, client_id=client_id, default_username="ioc-sim")
        client.user_data_set(district)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_pre_connect = lambda c, _u: c.will_set(
            status_topic(district), _status(False), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = lambda _c, _u, _f, rc, _p: log.info(
            "%s: disconnected (%s)", district, rc
        )
        client.connect_async(
            address.host, address.port, 30, **connect_kwargs("3.1.1", persistent=False)
        )
        client.loop_start()
        self._clients[district] = client

    def _on_connect(
        self,
        client: mqtt.Client,
        district: str,
        _flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("%s: broker refused the connection: %s", district, reason)
            return
        client.publish(status_topic(district), _status(True), qos=1, retain=True)
        self._count("status")
        log.info("%s: online", district)

    def _drop(self, district: str) -> None:
        """Cut a district's connection without DISCONNECT so the broker sends its Last Will."""
        client = self._clients.pop(district)
        client.loop_stop()
        if (sock := client.socket()) is not None:
            # paho types it as a protocol without shutdown(); over TCP (and TLS,
            # a socket subclass) it is a real socket.
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        log.info("%s: connection cut (fault injection); its Last Will should fire", district)

    def _schedule(self, when: float, job: Callable[[float], float | None]) -> None:
        heapq.heappush(self._heap, (when, next(self._order), job))

    def _loop(self) -> None:
        while not self._stop.is_set():
            when, _, job = self._heap[0]
            delay = when - time.monotonic()
            if delay > 0:
                self._stop.wait(min(delay, 0.25))
                continue
            heapq.heappop(self._heap)
            try:
                follow = job(when)
            except Exception:  # keep the demo running; the log shows the bug
                log.exception("simulator job failed")
                follow = time.monotonic() + 5
            if follow is not None:
                self._schedule(follow, job)

    def _connected(self, district: str) -> mqtt.Client | None:
        client = self._clients.get(district)
        return client if client is not None and client.is_connected() else None

    def _throttle(self) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        if self._next_slot > now:
            self._stop.wait(self._next_slot - now)
        self._next_slot = max(now, self._next_slot) + 1 / self.rate

    def _report_job(self, src: Source) -> Callable[[float], float | None]:
        interval = self.intervals[src.feed] / self.speedup

        def job(when: float) -> float:
            if self._after is not None and not self._after.is_set():
                return time.monotonic() + 0.5  # the past is still being written
            client = self._connected(src.district)
            if client is None:
                return time.monotonic() + 0.5  # report at once when the district is back
            first = src not in self._last
            payload = self.reading(src)
            self._throttle()
            ok = client.publish(src.topic, payload.to_json(), qos=self.qos).rc == SUCCESS
            self._count(src.feed, None if ok else self.dropped)
            now = time.monotonic()
            return now + self._rng.uniform(0, interval) if first else max(when + interval, now)

        return job

    def adopt(
        self, states: dict[Source, WifiState | BacklogState], seqs: dict[Source, int]
    ) -> None:
        """Go on from a written past: its access points' and desks' states, its seq numbers."""
        known = set(self.sources)
        self._state.update({src: state for src, state in states.items() if src in known})
        self._seq.update({src: seq for src, seq in seqs.items() if src in known})

    def reading(self, src: Source) -> Payload:
        """Compute a source's next reading at the simulated time, stamped with real time."""
        t, ts = self.sim_time(), datetime.now(UTC)
        local = datetime.fromtimestamp(t, LOCAL_TZ)
        interval = self.intervals[src.feed]
        dt = min(t - self._last.get(src, t - interval), 4 * interval)
        self._last[src] = t
        self._seq[src] += 1
        seq = self._seq[src]
        if src.feed == "traffic":
            return traffic_payload(src, self.kinds[src.district], local, ts, self._rng, seq)
        if src not in self._state:
            start = wifi_start(t, self._rng) if src.feed == "wifi" else None
            self._state[src] = start or backlog_start(src, local, self._rng)
        state = self._state[src]
        if isinstance(state, WifiState):
            wifi_step(state, t, dt, self._rng)
            return wifi_payload(src, state.up, local, ts, self._rng, seq)
        return backlog_payload(src, backlog_step(state, src, local, dt, self._rng), ts, seq)

    def _bad_job(self, every: float) -> Callable[[float], float]:
        def job(when: float) -> float:
            connected = [d for d in self.kinds if self._connected(d)]
            if connected:
                district = connected[int(when) % len(connected)]
                for reason, topic, payload in bad_messages(district, datetime.now(UTC)):
                    self._clients[district].publish(topic, payload, qos=self.qos)
                    self._count(reason, self.bad)
                log.info("%s: published %d malformed messages", district, len(REASONS))
            return when + every

        return job

    def _offline_job(self, district: str) -> Callable[[float], float]:
        def job(when: float) -> float:
            if district in self._clients:
                self._drop(district)
                return when + self.offline_cycle[1]
            self._connect(district)
            return when + self.offline_cycle[0]

        return job

    def _stats_job(self, when: float) -> float:
        log.info("published %s; malformed %s; dropped %s", *map(dict, self.counters()))
        return when + 60


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line; defaults come from the IOC_ settings."""
    settings = load_settings()
    url = settings.mqtt_url or DEFAULT_URL
    parser = argparse.ArgumentParser(
        prog="python -m feeds.simulate",
        description="Publish demo traffic, public wifi, service backlog and district status "
        "feeds for every area in the catalogue (demo data, not real measurements).",
    )
    # fmt: off
    options: list[tuple[str, dict[str, Any]]] = [
        ("--url", {"default": url, "help": f"broker URL (default: IOC_MQTT_URL, else "
            f"{DEFAULT_URL}; now {redact_url(url)})"}),
        ("--speedup", {"type": float, "default": settings.sim_speedup, "metavar": "N",
            "help": "run the simulated clock N times faster: intervals shrink and the time of "
            "day moves faster, but ts stays real wall-clock time (default: IOC_SIM_SPEEDUP, "
            "now %(default)s)"}),
        ("--scale", {"type": float, "default": settings.sim_sources_scale, "metavar": "X",
            "help": "multiply the number of sources (default: IOC_SIM_SOURCES_SCALE, now "
            "%(default)s)"}),
        ("--rate", {"type": float, "metavar": "MSG_S",
            "help": "cap readings published per second (default: no cap)"}),
        ("--duration", {"type": float, "metavar": "S",
            "help": "stop after S seconds (default: run until interrupted)"}),
        ("--qos", {"type": int, "choices": (0, 1, 2), "default": 1,
            "help": "QoS of readings (default: 1); status messages always use QoS 1"}),
        ("--offline", {"action": "append", "default": [], "metavar": "DISTRICT",
            "help": "cut this district's connection without DISCONNECT after 30 s so its Last "
            "Will (online:false) fires, reconnect 120 s later, and repeat; repeatable"}),
        ("--bad-every", {"type": float, "metavar": "S",
            "help": "every S seconds publish one malformed message per rejection reason (bad "
            "topic, unknown district, unknown feed, bad JSON, too large, invalid values, "
            "future ts) (default: never)"}),
        ("--seed", {"type": int, "help": "random seed for reproducible values (default: random)"}),
        ("--areas", {"default": str(settings.areas_file), "metavar": "FILE",
            "help": "area catalogue GeoJSON (default: IOC_AREAS_FILE, now %(default)s)"}),
    ]
    # fmt: on
    for flag, kwargs in options:
        parser.add_argument(flag, **kwargs)
    parser.set_defaults(wifi_interval_s=settings.wifi_interval_s)
    parser.set_defaults(backlog_interval_s=settings.backlog_interval_s)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the simulator from the command line."""
    try:
        parser = build_parser()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    for name in ("speedup", "scale", "rate", "bad_every"):
        if (value := getattr(args, name)) is not None and not value > 0:
            parser.error(f"--{name.replace('_', '-')} must be more than 0")
    configure_logging(logging.INFO)
    try:
        areas = load_areas(args.areas)
        sim = Simulator(
            args.url, areas, speedup=args.speedup, scale=args.scale, qos=args.qos, rate=args.rate,
            seed=args.seed, bad_every=args.bad_every, offline=args.offline,
            wifi_interval_s=args.wifi_interval_s, backlog_interval_s=args.backlog_interval_s,
        )  # fmt: skip
    except (AreaCatalogueError, ValueError) as err:
        parser.error(str(err))
    print(
        f"Simulating {len(sim.sources)} demo sources in {len(sim.areas)} areas -> "
        f"{redact_url(args.url)} (speedup x{args.speedup:g}); Ctrl+C stops"
    )
    previous = signal.signal(signal.SIGTERM, lambda *_: sim._stop.set())
    # Ctrl-C stops it even when started in the background (SIGINT inherited ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sim.run_for(args.duration)
    except KeyboardInterrupt:
        sim.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
