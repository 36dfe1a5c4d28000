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
import json
import logging
import math
import random
import signal
import socket
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt

from feeds.contract import (
    MAX_PAYLOAD_BYTES,
    REASONS,
    TOPIC_PREFIX,
    BacklogPayload,
    Payload,
    StatusPayload,
    TrafficPayload,
    WifiPayload,
    status_topic,
    topic_for,
)
from feeds.mqtt import connect_kwargs, make_client
from ioc.areas import Area, AreaCatalogue, AreaCatalogueError, load_areas
from ioc.config import ConfigError, Settings, load_settings, redact_url

log = logging.getLogger(__name__)
SUCCESS = mqtt.MQTT_ERR_SUCCESS

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TRAFFIC_INTERVAL_S = 60
URBAN_KINDS = frozenset({"quan", "phuong"})
# Figures from can-tho-facts.md: a dense centre, 54/54 hamlets with public wifi.
FIXED_COUNTS = {("ninh-kieu", "traffic"): 40, ("ninh-kieu", "wifi"): 30, ("vinh-thanh", "wifi"): 54}
NINH_KIEU_ROADS = (
    "Cầu Ninh Kiều", "Bến Ninh Kiều", "Đường 30 Tháng 4", "Đường 3 Tháng 2",
    "Đường Nguyễn Văn Cừ", "Đường Mậu Thân", "Đường Hòa Bình", "Đường Trần Hưng Đạo",
    "Đường Cách Mạng Tháng Tám", "Đường Nguyễn Trãi", "Cầu Hưng Lợi", "Cầu Quang Trung",
)  # fmt: skip
RIVERSIDE_APS = 5  # the 2015 pilot: 5 outdoor access points on the Ninh Kiều riverside
DESKS = (  # (id, name, intake per working hour urban, rural)
    ("desk-1cua", "Bộ phận một cửa", 6.0, 2.5),
    ("online", "Cổng dịch vụ công trực tuyến", 8.0, 3.0),
    ("hotline-1022", "Đường dây nóng 1022", 0.4, 0.15),
)
WORK_PERIODS = ((7.0, 11.5), (13.5, 17.0))  # Mon-Fri, local hours
BACKLOG_DAYS = 3.0  # pending settles near this many working days of intake
DOWN_SHARE = 0.03  # share of wifi access points down at any time
MEAN_UP_S = 1200 * (1 - DOWN_SHARE) / DOWN_SHARE
UNKNOWN_DISTRICT = "ngoai-danh-muc"
DEFAULT_URL = "mqtt://127.0.0.1:1883"
MAX_QUEUED = 2000  # per district: beyond this, readings are dropped rather than queued


@dataclass(frozen=True, slots=True)
class Source:
    """One simulated camera, access point or service desk."""

    district: str
    feed: str
    source: str
    name: str
    size: float  # vehicles/min at full flow, clients at peak, or intake per working hour
    quality: float = 1.0  # backlog: the share resolved on time

    @property
    def topic(self) -> str:
        """Return this source's reading topic."""
        return topic_for(self.district, self.feed, self.source)


def is_urban(area: Area) -> bool:
    """Tell whether an area is urban (quận, phường)."""
    return area.kind in URBAN_KINDS


def source_count(area: Area, feed: str, scale: float = 1.0) -> int:
    """Return how many sources of a feed an area has."""
    spread = zlib.crc32(f"{area.slug}/{feed}".encode())
    if (area.slug, feed) in FIXED_COUNTS:
        base = FIXED_COUNTS[area.slug, feed]
    elif feed == "traffic":
        base = 15 + spread % 11 if is_urban(area) else 6 + spread % 5
    elif feed == "wifi":
        base = 10 + spread % 16
    else:
        base = len(DESKS)
    return max(1, round(base * scale))


def _name(area: Area, feed: str, i: int) -> str:
    if feed == "traffic":
        if area.slug == "ninh-kieu" and i < len(NINH_KIEU_ROADS):
            return NINH_KIEU_ROADS[i]
        return f"Camera giao thông {i + 1:03d} – {area.name_vi}"
    if area.slug == "ninh-kieu" and i < RIVERSIDE_APS:
        return f"Bến Ninh Kiều {i + 1}"
    return f"Khu vực {i + 1} – {area.name_vi}" if is_urban(area) else f"Ấp {i + 1}"


def sources_for(area: Area, scale: float = 1.0) -> list[Source]:
    """List an area's sources; the layout depends only on the area, not on a seed."""
    rng = random.Random(zlib.crc32(area.slug.encode()))
    urban, found = is_urban(area), []
    for i in range(source_count(area, "traffic", scale)):
        size = rng.uniform(60, 150) if urban else rng.uniform(15, 50)
        found.append(
            Source(area.slug, "traffic", f"cam-{i + 1:03d}", _name(area, "traffic", i), size)
        )
    for i in range(source_count(area, "wifi", scale)):
        riverside = area.slug == "ninh-kieu" and i < RIVERSIDE_APS
        size = rng.uniform(60, 90) if riverside else rng.uniform(12, 40)
        found.append(Source(area.slug, "wifi", f"ap-{i + 1:02d}", _name(area, "wifi", i), size))
    for i in range(source_count(area, "backlog", scale)):
        sid, label, urban_rate, rural_rate = DESKS[i % len(DESKS)]
        lap = i // len(DESKS)
        sid, label = (f"{sid}-{lap + 1}", f"{label} {lap + 1}") if lap else (sid, label)
        rate = (urban_rate if urban else rural_rate) * rng.uniform(0.7, 1.3)
        name = f"{label} – {area.name_vi}"
        found.append(Source(area.slug, "backlog", sid, name, rate, rng.uniform(0.98, 0.999)))
    return found


def _hour(local_dt: datetime) -> float:
    return local_dt.hour + local_dt.minute / 60 + local_dt.second / 3600


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


def _plateau(hour: float, start: float, end: float, ramp: float = 1.0) -> float:
    return max(0.0, min(1.0, (hour - start + ramp) / ramp, (end + ramp - hour) / ramp))


def traffic_level(local_dt: datetime, kind: str) -> float:
    """Return the flow (0-1) at a local time: peaks 7-8h and 16:30-18h, quiet nights."""
    hour, weekday = _hour(local_dt), local_dt.weekday() < 5
    urban = kind in URBAN_KINDS
    peak = (1.0 if weekday else 0.45) * (0.55 if urban else 0.45)
    level = 0.04 + 0.40 * _plateau(hour, 6.0, 21.0)
    level += peak * (_bump(hour, 7.5, 0.55) + _bump(hour, 17.25, 0.65))
    return max(0.0, min(1.0, level if urban else level * 0.8))


def wifi_level(local_dt: datetime) -> float:
    """Return public wifi use (0-1) at a local time: busiest in the evening."""
    hour = _hour(local_dt)
    level = 0.04 + 0.30 * _plateau(hour, 6.0, 22.5) + 0.15 * _bump(hour, 12.0, 1.0)
    return min(1.0, level + 0.55 * _bump(hour, 20.0, 1.6))


def is_working_time(local_dt: datetime) -> bool:
    """Tell whether desks work now: Mon-Fri 7:00-11:30 and 13:30-17:00 local."""
    hour = _hour(local_dt)
    return local_dt.weekday() < 5 and any(a <= hour < b for a, b in WORK_PERIODS)


def worked_hours_today(local_dt: datetime) -> float:
    """Return the working hours already past today at a local time."""
    if local_dt.weekday() >= 5:
        return 0.0
    hour = _hour(local_dt)
    return sum(max(0.0, min(hour, b) - a) for a, b in WORK_PERIODS)


def poisson(rng: random.Random, lam: float) -> int:
    """Draw a Poisson count (normal approximation for large means)."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def traffic_payload(
    src: Source, kind: str, local_dt: datetime, ts: datetime, rng: random.Random, seq: int = 0
) -> TrafficPayload:
    """Make one camera reading: fewer vehicles at night, slower when the road is full."""
    level = traffic_level(local_dt, kind)
    occupancy = max(0.01, min(0.98, level * 0.85 + rng.gauss(0, 0.03)))
    free_flow = 45.0 if kind in URBAN_KINDS else 60.0
    speed = free_flow * (1 - 0.75 * occupancy**1.5) * rng.uniform(0.9, 1.1)
    vehicles = poisson(rng, level * src.size * TRAFFIC_INTERVAL_S / 60)
    return TrafficPayload(
        ts=ts, seq=seq, name=src.name, vehicles=vehicles, interval_s=TRAFFIC_INTERVAL_S,
        speed_kmh=round(speed, 1), occupancy=round(occupancy, 3),
    )  # fmt: skip


@dataclass(slots=True)
class WifiState:
    """Whether an access point is up, and when an outage ends (sim Unix seconds)."""

    up: bool = True
    back_at: float = 0.0


def wifi_start(t: float, rng: random.Random) -> WifiState:
    """Start an access point, down already with the usual small chance."""
    if rng.random() < DOWN_SHARE:
        return WifiState(False, t + rng.uniform(120, 3600))
    return WifiState()


def wifi_step(state: WifiState, t: float, dt: float, rng: random.Random) -> WifiState:
    """Advance an access point by dt seconds: rare outages of minutes to an hour."""
    if not state.up and t >= state.back_at:
        state.up = True
    elif state.up and rng.random() < 1 - math.exp(-dt / MEAN_UP_S):
        state.up, state.back_at = False, t + min(3600.0, max(120.0, rng.expovariate(1 / 1200)))
    return state


def wifi_payload(
    src: Source, up: bool, local_dt: datetime, ts: datetime, rng: random.Random, seq: int = 0
) -> WifiPayload:
    """Make one access point reading; a down AP has no clients."""
    clients = poisson(rng, src.size * wifi_level(local_dt)) if up else 0
    return WifiPayload(ts=ts, seq=seq, name=src.name, up=up, clients=clients)


@dataclass(slots=True)
class BacklogState:
    """A desk's applications: pending now, and today's counters."""

    day: date
    pending: int
    received: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue_share: float = field(default=0.02)


def backlog_start(src: Source, local_dt: datetime, rng: random.Random) -> BacklogState:
    """Start a desk mid-day with plausible pending work and today's counts so far."""
    pending = poisson(rng, src.size * 8 * BACKLOG_DAYS * rng.uniform(0.8, 1.2))
    received = poisson(rng, src.size * worked_hours_today(local_dt))
    resolved = min(received + pending, round(received * rng.uniform(0.9, 1.05)))
    on_time = resolved - min(resolved, poisson(rng, resolved * (1 - src.quality)))
    share = (1 - src.quality) * rng.uniform(2, 5)
    return BacklogState(local_dt.date(), pending, received, resolved, on_time, share)


def backlog_step(
    state: BacklogState, src: Source, local_dt: datetime, dt: float, rng: random.Random
) -> BacklogState:
    """Advance a desk by dt seconds: counters reset at midnight, work only in office hours."""
    if local_dt.date() != state.day:
        state.day, state.received, state.resolved, state.on_time = local_dt.date(), 0, 0, 0
    if not is_working_time(local_dt):
        return state
    hours = dt / 3600
    arrivals = poisson(rng, src.size * hours)
    target = src.size * 8 * BACKLOG_DAYS
    done = min(state.pending + arrivals, poisson(rng, src.size * hours * state.pending / target))
    late = min(done, poisson(rng, done * (1 - src.quality)))
    state.pending += arrivals - done
    state.received += arrivals
    state.resolved += done
    state.on_time += done - late
    return state


def backlog_payload(src: Source, state: BacklogState, ts: datetime, seq: int = 0) -> BacklogPayload:
    """Make one desk reading from its state."""
    overdue = min(state.pending, round(state.pending * state.overdue_share))
    return BacklogPayload(
        ts=ts, seq=seq, name=src.name, pending=state.pending, overdue=overdue,
        received_today=state.received, resolved_today=state.resolved,
        resolved_on_time_today=state.on_time,
    )  # fmt: skip


def bad_messages(district: str, ts: datetime) -> list[tuple[str, str, bytes]]:
    """Return (expected rejection reason, topic, payload), one per reason in REASONS."""
    good = TrafficPayload(ts=ts, vehicles=12, speed_kmh=32.5, occupancy=0.2)
    body, topic = json.loads(good.to_json()), topic_for(district, "traffic", "cam-loi")
    text = good.to_json().encode()
    future = TrafficPayload(ts=ts + timedelta(days=1), vehicles=12, speed_kmh=32.5)
    return [
        ("bad_topic", f"{TOPIC_PREFIX}/{district}/traffic/Cam Lỗi!", text),
        ("unknown_district", topic_for(UNKNOWN_DISTRICT, "traffic", "cam-001"), text),
        ("unknown_feed", topic_for(district, "weather", "tram-01"), text),
        ("bad_json", topic, b'{"ts": "' + ts.isoformat().encode() + b'", "vehicles": }'),
        ("too_large", topic, json.dumps({**body, "pad": "x" * MAX_PAYLOAD_BYTES}).encode()),
        ("invalid_payload", topic, json.dumps({**body, "speed_kmh": 999, "vehicles": -5}).encode()),
        ("future_timestamp", topic, future.to_json().encode()),
    ]  # fmt: skip


def _status(online: bool) -> str:
    return StatusPayload(online=online, ts=datetime.now(UTC)).to_json()


class Simulator:
    """Publish demo feeds for a catalogue of areas from a background thread."""

    def __init__(
        self, url: str, areas: AreaCatalogue | Iterable[Area], *, speedup: float = 1.0,
        scale: float = 1.0, qos: int = 1, rate: float | None = None, seed: int | None = None,
        bad_every: float | None = None, offline: Iterable[str] = (), wifi_interval_s: int = 60,
        backlog_interval_s: int = 300, offline_after_s: float = 30.0, offline_for_s: float = 120.0,
    ) -> None:  # fmt: skip
        self.url, self.speedup, self.qos, self.rate = url, speedup, qos, rate
        self.areas = tuple(getattr(areas, "areas", areas))
        self.kinds = {area.slug: area.kind for area in self.areas}
        self.offline = tuple(offline)
        if unknown := set(self.offline) - set(self.kinds):
            raise ValueError(f"--offline: not in the area catalogue: {', '.join(sorted(unknown))}")
        self.sources = [s for area in self.areas for s in sources_for(area, scale)]
        self.intervals = {"traffic": TRAFFIC_INTERVAL_S, "wifi": wifi_interval_s}
        self.intervals["backlog"] = backlog_interval_s
        self.bad_every, self.offline_cycle = bad_every, (offline_after_s, offline_for_s)
        self.published: Counter[str] = Counter()  # by kind: traffic, wifi, backlog, status
        self.bad: Counter[str] = Counter()  # malformed messages by expected rejection reason
        self.dropped: Counter[str] = Counter()  # readings the client would not queue, by feed
        self._rng = random.Random(seed)
        self._clients: dict[str, mqtt.Client] = {}
        self._state: dict[Source, object] = {}
        self._seq: Counter[Source] = Counter()
        self._last: dict[Source, float] = {}
        self._heap: list[tuple[float, int, Callable[[float], float | None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0, self._epoch0, self._next_slot = time.monotonic(), time.time(), 0.0

    @classmethod
    def from_settings(cls, settings: Settings, areas: AreaCatalogue, url: str) -> Simulator:
        """Build a simulator from IOC_ settings (for the all-in-one app)."""
        return cls(
            url, areas, speedup=settings.sim_speedup, scale=settings.sim_sources_scale,
            wifi_interval_s=settings.wifi_interval_s,
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
            self._schedule(self._t0 + self.bad_every, self._bad_job)
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
        for district, client in clients:
            if client.is_connected():
                info = client.publish(status_topic(district), _status(False), qos=1, retain=True)
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(2)
                self._count("status")
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

    def _on_connect(self, client: mqtt.Client, district: str, _flags, reason, _props) -> None:
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

    def _bad_job(self, when: float) -> float:
        connected = [d for d in self.kinds if self._connected(d)]
        if connected:
            district = connected[int(when) % len(connected)]
            for reason, topic, payload in bad_messages(district, datetime.now(UTC)):
                self._clients[district].publish(topic, payload, qos=self.qos)
                self._count(reason, self.bad)
            log.info("%s: published %d malformed messages", district, len(REASONS))
        return when + self.bad_every

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
    options = [
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
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
    try:
        sim.run_for(args.duration)
    except KeyboardInterrupt:
        sim.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
