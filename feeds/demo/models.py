"""Values of the demo feeds: sources per district, daily rhythms, payloads. No I/O here.

Shaped by Can Tho's figures (shared/data/can-tho-facts.md): a dense centre in
Ninh Kiều, public wifi in all 54 hamlets of Vĩnh Thạnh, one-stop desks, the
online portal and hotline 1022 working office hours in local time.
"""

from __future__ import annotations

import json
import math
import random
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ioc.areas import Area
from ioc.contract import (
    MAX_PAYLOAD_BYTES,
    TOPIC_PREFIX,
    BacklogPayload,
    TrafficPayload,
    WifiPayload,
    topic_for,
)

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


@dataclass(frozen=True, slots=True)
class Source:
    """One simulated camera, access point or service desk."""

    district: str
    feed: str
    source: str
    name: str
    size: float  # vehicles/min at full flow, clients at peak, or intake per working hour
    quality: float = 1.0  # backlog: the share resolved on time
    lat: float | None = None  # where it stands (feeds/demo/places.py), sent with each reading
    lon: float | None = None

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
    src: Source, kind: str, local_dt: datetime, ts: datetime, rng: random.Random, seq: int = 0,
    interval_s: int = TRAFFIC_INTERVAL_S,
) -> TrafficPayload:  # fmt: skip
    """Make one camera reading: fewer vehicles at night, slower when the road is full.

    ``interval_s``: the counting interval; the backfill counts 10 minutes or an hour at once.
    """
    level = traffic_level(local_dt, kind)
    occupancy = max(0.01, min(0.98, level * 0.85 + rng.gauss(0, 0.03)))
    free_flow = 45.0 if kind in URBAN_KINDS else 60.0
    speed = free_flow * (1 - 0.75 * occupancy**1.5) * rng.uniform(0.9, 1.1)
    vehicles = poisson(rng, level * src.size * interval_s / 60)
    return TrafficPayload(
        ts=ts, seq=seq, name=src.name, lat=src.lat, lon=src.lon, vehicles=vehicles,
        interval_s=interval_s,
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
    """Advance an access point by dt seconds: rare outages of minutes to an hour.

    An outage starts somewhere in the step; one that began and ended between two
    reports is not seen (the backfill steps 10 minutes or an hour at a time), so
    about DOWN_SHARE of the reports say "down" whatever the step.
    """
    if not state.up and t >= state.back_at:
        state.up = True
    elif state.up and rng.random() < 1 - math.exp(-dt / MEAN_UP_S):
        began = t - rng.uniform(0, min(dt, 3600.0))
        back_at = began + min(3600.0, max(120.0, rng.expovariate(1 / 1200)))
        if back_at > t:
            state.up, state.back_at = False, back_at
    return state


def wifi_payload(
    src: Source, up: bool, local_dt: datetime, ts: datetime, rng: random.Random, seq: int = 0
) -> WifiPayload:
    """Make one access point reading; a down AP has no clients."""
    clients = poisson(rng, src.size * wifi_level(local_dt)) if up else 0
    return WifiPayload(
        ts=ts, seq=seq, name=src.name, lat=src.lat, lon=src.lon, up=up, clients=clients
    )


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
        ts=ts, seq=seq, name=src.name, lat=src.lat, lon=src.lon, pending=state.pending,
        overdue=overdue,
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
