"""Fill a store with weeks of history, for benchmarks of the wall display.

``python -m bench.history --db sqlite:///var/bench-wall.db --sources 3000 --days 30``
migrates the store and fills it as weeks of ingesting would have left it: ``latest``
with a few stale sources, ``rollups_minute`` for every minute (and ``rollups_hour``
summed from them), ``source_hours`` for every source and hour, raw ``readings`` for the last
hours only, and ``district_status``
with one district gone (its Last Will; its sources stopped with it). Values follow the
simulator's rhythms (feeds.demo.models). In the raw window the rollups are the sums of
the stored readings, as ``rollup_sums`` and ``source_hour_sums`` make them; before it,
traffic and wifi sums are drawn per district and minute, and per source and hour
(summing a month of raw readings would take hours), and desks are simulated one by one.
The drawn district minutes and source hours share the rhythms, the days' moods and
the access points' outages, so they agree on counts and up/down exactly and on
vehicles and clients in expectation (each is drawn apart, from its own random stream).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import Engine, Table, func, insert, select

from feeds.demo import models as sim
from ioc.areas import Area, AreaCatalogue, load_areas
from ioc.config import Settings
from ioc.contract import FEEDS, Reading
from ioc.store.engine import make_engine, migrate
from ioc.store.schema import (
    ROLLUP_SUMS,
    SOURCE_HOUR_MAXES,
    SOURCE_HOUR_SUMS,
    district_status,
    latest,
    readings,
    rollups,
    source_hours,
)
from ioc.store.schema import sqlite_datetime_text as sqlite_text
from ioc.store.writes import hour_of, minute_of, refresh_hour_rollups, source_hour_sums

# What a fill holds; stores filled by an older version (bench.wall's marker) are filled again.
# 2: source_hours. 3: rollups_hour.
HISTORY_VERSION = 3
CHUNK = 50_000
CAM_S = sim.TRAFFIC_INTERVAL_S  # cameras count vehicles over this, in each reading's interval_s
INTERVAL_S = {"traffic": CAM_S, "wifi": 60, "backlog": 300}  # Settings' defaults
STALE_SHARE = 1 / 500  # of sources, besides the offline district's
VALUES = ("vehicles", "interval_s", "speed_kmh", "occupancy", "up", "clients", "pending",
          "overdue", "received_today", "resolved_today", "resolved_on_time_today")  # fmt: skip
READING_COLUMNS = ("district", "feed", "source", "ts", "received_at", "seq", "name", *VALUES)
HOUR_VALUES = (*SOURCE_HOUR_SUMS, *SOURCE_HOUR_MAXES)
HOUR_COLUMNS = ("district", "feed", "source", "hour", *HOUR_VALUES)
SPEED_SPREAD = 0.2 / math.sqrt(12)  # of a camera's speed about the road's: uniform(0.9, 1.1)


def choose_sources(areas: AreaCatalogue, total: int) -> list[sim.Source]:
    """Pick about `total` sources in the simulator's layout and proportions."""
    groups = [(area, feed) for area in areas.areas for feed in FEEDS]
    least = {"traffic": 1, "wifi": 1, "backlog": len(sim.DESKS)}  # every district has a hotline
    if total < sum(least[feed] for _area, feed in groups):
        raise ValueError(f"{total} sources are too few for {len(areas.areas)} districts")
    base = [sim.source_count(area, feed) for area, feed in groups]
    quota = [b * total / sum(base) for b in base]
    counts = [max(least[feed], int(q)) for q, (_area, feed) in zip(quota, groups, strict=True)]
    # Largest remainders: the total is exact unless the minimums pushed it over.
    by_remainder = sorted(range(len(groups)), key=lambda i: int(quota[i]) - quota[i])
    for i in by_remainder[: max(0, total - sum(counts))]:
        counts[i] += 1
    wanted = {(area.slug, feed): c for (area, feed), c in zip(groups, counts, strict=True)}
    chosen: list[sim.Source] = []
    for area in areas.areas:
        # A scale with enough of every feed; taking the first keeps the simulator's names.
        scale = max(wanted[area.slug, f] / sim.source_count(area, f) for f in FEEDS) + 1
        taken: Counter[str] = Counter()
        for src in sim.sources_for(area, scale):
            taken[src.feed] += 1
            if taken[src.feed] <= wanted[area.slug, src.feed]:
                chosen.append(src)
    return chosen


def _count(rng: random.Random, lam: float) -> int:
    """Draw a Poisson count; the normal approximation from 15 up is close and much quicker."""
    return sim.poisson(rng, lam) if lam < 15 else max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _outages(rng: random.Random, until: float) -> tuple[tuple[float, float], ...]:
    """Draw an access point's outages (start, end seconds), down ~3 % of the time as simulated."""
    spans, t = [], 0.0 if rng.random() < sim.DOWN_SHARE else rng.expovariate(1 / sim.MEAN_UP_S)
    while t < until:
        end = t + min(3600.0, max(120.0, rng.expovariate(1 / 1200)))
        spans.append((t, end))
        t = end + rng.expovariate(1 / sim.MEAN_UP_S)
    return tuple(spans)


def _minute(seconds: float, phase: int) -> int:
    """Return the first minute whose reading, `phase` seconds into it, is at `seconds` or later."""
    return math.ceil((seconds - phase) / 60)


@dataclass(slots=True, eq=False)
class _Src:
    """A chosen source and its schedule, in seconds after the first minute."""

    src: sim.Source
    phase: int  # it reports at phase + k * interval
    until: float  # and not after this (now, or when it stopped)
    spans: tuple = ()  # wifi: outages
    at: int = 0  # wifi: the first outage not over at its last reading
    last: tuple = ()  # its newest readings row
    hours: dict = field(default_factory=dict)  # desks: hour -> sums before the raw window


class _History:
    """One fill's schedule and per-minute sums; rows come out as generators of tuples."""

    def __init__(self, areas, chosen, *, days, now, raw_hours, rng, hours_rng, stamp) -> None:
        self.areas, self.rng, self.hours_rng, self.stamp = areas.areas, rng, hours_rng, stamp
        self.minutes = round(days * 1440) + 1  # whole minutes before now's, and now's own
        self.t0 = minute_of(now.astimezone(UTC)) - timedelta(minutes=self.minutes - 1)
        # Source hours: hour h is h0 + h hours; minute m falls in hour (first + m) // 60.
        self.h0, self.first = hour_of(self.t0), self.t0.minute
        self.hours = (self.first + self.minutes - 1) // 60 + 1
        self.now_s = (now - self.t0).total_seconds()
        self.raw_from = max(0, self.minutes - 1 - round(raw_hours * 60))
        self.local = [
            (self.t0 + timedelta(minutes=m)).astimezone(sim.LOCAL_TZ) for m in range(self.minutes)
        ]
        self.day = [t.date() for t in self.local]
        kinds = {a.kind for a in self.areas}
        self.traffic = {k: [sim.traffic_level(t, k) for t in self.local] for k in kinds}
        self.wifi = [sim.wifi_level(t) for t in self.local]
        # Weather, holidays, events: no two days alike, so "usual at this hour" has a spread.
        days_seen = dict.fromkeys(self.day)  # in order, so a seed gives the same history
        self.mood = {(a.slug, d): rng.uniform(0.85, 1.15) for a in self.areas for d in days_seen}
        self.offline = rng.choice(self.areas[1:] or self.areas).slug  # the centre stays up
        self.went_down = self.now_s - rng.uniform(15, 30) * 60
        self.sources = [_Src(s, rng.randrange(INTERVAL_S[s.feed]), self.now_s) for s in chosen]
        others = [s for s in self.sources if s.src.district != self.offline]
        stale = min(len(others), max(3, round(len(chosen) * STALE_SHARE)))
        for s in rng.sample(others, stale):
            s.until = self.now_s - INTERVAL_S[s.src.feed] * rng.uniform(4, 8)
        self.group: dict[tuple[str, str], list[_Src]] = defaultdict(list)
        for s in self.sources:
            self.group[s.src.district, s.src.feed].append(s)
            s.until = self.went_down if s.src.district == self.offline else s.until
            s.spans = _outages(rng, self.minutes * 60) if s.src.feed == "wifi" else ()
        # (district, feed, sum) -> one float per minute
        self.sums = defaultdict(lambda: array("d", bytes(8 * self.minutes)))
        self.desk_rows: dict[int, list[tuple]] = defaultdict(list)  # by minute, raw window only
        # (district, feed, source, hour) -> the raw window's sums, as source_hour_sums made them
        self.raw_hours: dict[tuple, dict[str, float]] = {}

    def when(self, seconds: float):
        """Return the time `seconds` after the first minute, as the store binds it."""
        return self.stamp(self.t0 + timedelta(seconds=seconds))

    def _add(self, district: str, feed: str, m: int, **values: float) -> None:
        for name, value in values.items():
            self.sums[district, feed, name][m] += value

    def draw_old(self) -> None:
        """Draw traffic and wifi sums per district and minute before the raw window."""
        rng, end = self.rng, self.raw_from
        for area in self.areas:
            d, free = area.slug, 45.0 if sim.is_urban(area) else 60.0
            cams, aps = self.group[d, "traffic"], self.group[d, "wifi"]
            n, size = len(cams), sum(s.src.size for s in cams)
            for m in range(end):
                level = min(1.0, self.traffic[area.kind][m] * self.mood[d, self.day[m]])
                count = _count(rng, level * size)  # a sum of Poisson counts is one
                occupancy = min(0.98, max(0.01, level * 0.85))
                # Each camera is +-10 % about the road's speed; a sum of n varies by 1/sqrt(n).
                speed = n * free * (1 - 0.75 * occupancy**1.5) * rng.gauss(1, 0.06 / math.sqrt(n))
                speed = round(speed, 1)
                self._add(d, "traffic", m, n=n, vehicles=count, vehicles_per_min=count * 60 / CAM_S,
                          speed_x_vehicles=round(count * speed / n, 1), speed=speed)  # fmt: skip
            down, lost = array("d", bytes(8 * end)), array("d", bytes(8 * end))
            for s in aps:
                for a, b in s.spans:  # the minutes whose reading falls in the outage
                    for m in range(max(0, _minute(a, s.phase)), min(end, _minute(b, s.phase))):
                        down[m], lost[m] = down[m] + 1, lost[m] + s.src.size
            total = sum(s.src.size for s in aps)
            for m in range(end):
                level = self.wifi[m] * self.mood[d, self.day[m]]
                clients = _count(rng, level * max(0.0, total - lost[m]))
                self._add(d, "wifi", m, n=len(aps), up_n=len(aps) - down[m], clients=clients)

    def run_desks(self) -> None:
        """Simulate every desk all along; keep its rows inside the raw window."""
        for s in (s for s in self.sources if s.src.feed == "backlog"):
            src, seq, t = s.src, 0, s.phase
            state = sim.backlog_start(src, self.local[0], self.rng)
            while t <= s.until:
                m, seq = t // 60, seq + 1
                state = sim.backlog_step(state, src, self.local[m], INTERVAL_S["backlog"], self.rng)
                overdue = min(state.pending, round(state.pending * state.overdue_share))
                values = (state.pending, overdue, state.received, state.resolved, state.on_time)
                for name, value in zip(("n", *VALUES[6:]), (1, *values), strict=True):
                    self.sums[src.district, "backlog", name][m] += value
                if m >= self.raw_from:
                    s.last = (src.district, "backlog", src.source, self.when(t),
                              self.when(t + 1), seq, src.name, *(None,) * 6, *values)  # fmt: skip
                    self.desk_rows[m].append(s.last)
                else:  # n, pending, overdue summed; the day counters' highest
                    hour = s.hours.setdefault((self.first + m) // 60, [0.0] * 6)
                    hour[:3] = [hour[0] + 1, hour[1] + values[0], hour[2] + values[1]]
                    hour[3:] = map(max, hour[3:], values[2:])
                t += INTERVAL_S["backlog"]

    def raw_rows(self):
        """Yield raw readings minute by minute, desks' among them; add them to the sums.

        Each hour's readings are summed per source as the ingestor sums them
        (``source_hour_sums``), for ``source_hour_rows``.
        """
        batch: list[Reading] = []
        for m in range(self.raw_from, self.minutes):
            if (self.first + m) % 60 == 0:
                self._keep_hour(batch)
                batch = []
            minute = self.t0 + timedelta(minutes=m)  # in the hour of every reading of the minute
            for row in self._minute_rows(m):
                values = {name: v for name, v in zip(VALUES, row[7:], strict=True) if v is not None}
                batch.append(Reading(row[0], row[1], row[2], minute, values))
                yield row
        self._keep_hour(batch)

    def _minute_rows(self, m: int):
        at = [self.when(m * 60 + i) for i in range(62)]  # ts, and received 1 s later
        for area in self.areas:
            mood = self.mood[area.slug, self.day[m]]
            yield from self._traffic(area, m, at, min(1.0, self.traffic[area.kind][m] * mood))
            yield from self._wifi(area.slug, m, at, self.wifi[m] * mood)
        yield from self.desk_rows.pop(m, ())

    def _keep_hour(self, batch: list[Reading]) -> None:
        for (d, f, source, hour), sums in source_hour_sums(batch).items():
            self.raw_hours[d, f, source, round((hour - self.h0).total_seconds()) // 3600] = sums

    def _traffic(self, area: Area, m: int, at: list, level: float):
        rng, d, free = self.rng, area.slug, 45.0 if sim.is_urban(area) else 60.0
        n = vehicles = speed_x_vehicles = speeds = 0
        for s in self.group[d, "traffic"]:
            if m * 60 + s.phase > s.until:
                continue
            occupancy = min(0.98, max(0.01, level * 0.85 + rng.gauss(0, 0.03)))
            speed = round(free * (1 - 0.75 * occupancy**1.5) * rng.uniform(0.9, 1.1), 1)
            count = _count(rng, level * s.src.size)
            head = (d, "traffic", s.src.source, at[s.phase], at[s.phase + 1], m + 1, s.src.name)
            s.last = (*head, count, CAM_S, speed, round(occupancy, 3), *(None,) * 7)
            n, vehicles, speeds = n + 1, vehicles + count, speeds + speed
            speed_x_vehicles += speed * count
            yield s.last
        self._add(d, "traffic", m, n=n, vehicles=vehicles, vehicles_per_min=vehicles * 60 / CAM_S,
                  speed_x_vehicles=speed_x_vehicles, speed=speeds)  # fmt: skip

    def _wifi(self, d: str, m: int, at: list, level: float):
        rng, n, up_n, clients = self.rng, 0, 0, 0
        for s in self.group[d, "wifi"]:
            t = m * 60 + s.phase
            if t > s.until:
                continue
            while s.at < len(s.spans) and s.spans[s.at][1] <= t:
                s.at += 1
            up = not (s.at < len(s.spans) and s.spans[s.at][0] <= t)
            count = _count(rng, level * s.src.size) if up else 0
            head = (d, "wifi", s.src.source, at[s.phase], at[s.phase + 1], m + 1, s.src.name)
            s.last = (*head, None, None, None, None, up, count, *(None,) * 5)
            n, up_n, clients = n + 1, up_n + up, clients + count
            yield s.last
        self._add(d, "wifi", m, n=n, up_n=up_n, clients=clients)

    def rollup_rows(self):
        """Yield the per-minute sums, minute by minute, where a district's feed reported."""
        keys = [(a.slug, f) for a in self.areas for f in FEEDS]
        cols = {(d, f): [self.sums.get((d, f, name)) for name in ROLLUP_SUMS] for d, f in keys}
        for m in range(self.minutes):
            minute = self.when(m * 60)
            for (d, f), sums in cols.items():
                if sums[0] and sums[0][m]:  # n, the readings in this minute
                    yield (d, f, minute, *(c[m] if c else 0.0 for c in sums))

    def source_hour_rows(self):
        """Yield every source's hourly sums in key order: drawn before the raw window, then summed.

        The hour the raw window starts in holds both: sums added, day counters' highest kept.
        """
        stamps = [self.stamp(self.h0 + timedelta(hours=h)) for h in range(self.hours)]
        per_district = {area.slug: self._district_hours(area) for area in self.areas}
        keep = len(SOURCE_HOUR_SUMS)
        for s in sorted(self.sources, key=lambda s: (s.src.district, s.src.feed, s.src.source)):
            d, f, source = s.src.district, s.src.feed, s.src.source
            old = self._old_hours(s, per_district[d])
            for h in range(self.hours):
                values, raw = old.get(h), self.raw_hours.get((d, f, source, h))
                if raw is not None:
                    new = [raw[name] for name in HOUR_VALUES]
                    values = new if values is None else [
                        *(a + b for a, b in zip(values[:keep], new[:keep], strict=True)),
                        *map(max, values[keep:], new[keep:]),
                    ]  # fmt: skip
                if values is not None:
                    yield (d, f, source, stamps[h], *values)

    def _district_hours(self, area: Area) -> dict:
        """Per hour before the raw window: minutes, and the sums of the rhythms' levels in them."""
        d, end, count = area.slug, self.raw_from, (self.first + self.raw_from - 1) // 60 + 1
        traffic, wifi, day, mood = self.traffic[area.kind], self.wifi, self.day, self.mood
        out = {name: [0.0] * count for name in ("minutes", "level", "occupancy", "slow", "wifi")}
        minutes, level, occupancy, slow, wifi_sum = out.values()
        out["wifi_by_minute"] = by_minute = array("d", bytes(8 * end))
        for m in range(end):
            h, md = (self.first + m) // 60, mood[d, day[m]]
            lvl = min(1.0, traffic[m] * md)
            occ = min(0.98, max(0.01, lvl * 0.85))
            minutes[h] += 1
            level[h] += lvl
            occupancy[h] += occ
            slow[h] += 1 - 0.75 * occ**1.5
            by_minute[m] = wifi[m] * md
            wifi_sum[h] += by_minute[m]
        out["free"] = 45.0 if sim.is_urban(area) else 60.0
        return out

    def _old_hours(self, s: _Src, levels: dict) -> dict[int, list[float]]:
        """Draw one source's hourly sums before the raw window (desks': as simulated)."""
        rng, size, zeros = self.hours_rng, s.src.size, [0.0] * len(SOURCE_HOUR_MAXES)
        out: dict[int, list[float]] = {}
        if s.src.feed == "traffic":
            free = levels["free"]
            for h, k in enumerate(levels["minutes"]):
                if not k:
                    continue
                count = _count(rng, levels["level"][h] * size)  # a sum of Poisson counts is one
                spread = math.sqrt(k)
                occupancy = levels["occupancy"][h] + rng.gauss(0, 0.03 * spread)
                occupancy = min(0.98 * k, max(0.01 * k, occupancy))
                speed = free * levels["slow"][h] * rng.gauss(1, SPEED_SPREAD / spread)
                out[h] = [k, count, count * 60 / CAM_S, count * speed / k, speed, occupancy,
                          0.0, 0.0, 0.0, 0.0, *zeros]  # fmt: skip
        elif s.src.feed == "wifi":
            end, by_minute = self.raw_from, levels["wifi_by_minute"]
            down, lost = defaultdict(int), defaultdict(float)
            for a, b in s.spans:  # the minutes whose reading falls in the outage
                for m in range(max(0, _minute(a, s.phase)), min(end, _minute(b, s.phase))):
                    h = (self.first + m) // 60
                    down[h], lost[h] = down[h] + 1, lost[h] + by_minute[m]
            for h, k in enumerate(levels["minutes"]):
                if k:
                    clients = _count(rng, max(0.0, levels["wifi"][h] - lost[h]) * size)
                    out[h] = [k, 0.0, 0.0, 0.0, 0.0, 0.0, k - down[h], clients, 0.0, 0.0, *zeros]
        else:
            for h, (n, pending, overdue, *highest) in s.hours.items():
                out[h] = [n, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, pending, overdue, *highest]
        return out

    def latest_rows(self):
        """Yield each source's newest reading; wifi with when its up or down run began."""
        for s in self.sources:
            since = None
            if s.src.feed == "wifi":
                up = s.last[11]
                start = (s.spans[s.at - 1][1] if s.at else 0.0) if up else s.spans[s.at][0]
                since = self.when(s.phase + 60 * max(0, _minute(start, s.phase)))
            yield (*s.last[:7], since, *s.last[7:])

    def status_rows(self):
        """Yield each district IOC's presence: online since before the history, one gone."""
        for area in self.areas:
            connected, gone = -self.rng.uniform(60, 3600), area.slug == self.offline
            # A Last Will carries its client's connect ts; the broker sends it 1.5 keepalives on.
            since = self.when(self.went_down + 45 if gone else connected + 0.2)
            yield (area.slug, not gone, self.when(connected), since, since)


def _insert_all(engine: Engine, table: Table, columns: tuple, rows) -> int:
    """Insert row tuples in chunks, one transaction each; say how it goes."""
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    count, began, rows = 0, time.perf_counter(), iter(rows)
    while chunk := list(islice(rows, CHUNK)):
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # SQLAlchemy's per-row work costs more than SQLite's own: bind tuples directly,
                # and cache the unique index, which takes rows at one place per source.
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA cache_size = -524288")
                driver.executemany(sql, chunk)
            else:
                conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in chunk])
        count += len(chunk)
        if count % (10 * CHUNK) == 0 or len(chunk) < CHUNK:
            took = time.perf_counter() - began
            print(f"  {table.name}: {count:,} rows, {took:.1f} s ({count / took:,.0f}/s)",
                  file=sys.stderr)  # fmt: skip
    return count


def fill_history(
    engine: Engine, areas: AreaCatalogue, *, sources: int = 3000, days: float = 30,
    now: datetime, raw_hours: float = 24, seed: int = 1,
) -> dict:  # fmt: skip
    """Fill a migrated, empty store with `days` of history up to `now`; return counts, seconds."""
    if now.tzinfo is None or raw_hours < 1:
        raise ValueError("now must be UTC-aware, raw_hours at least 1 (stale sources need it)")
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(rollups)).scalar_one():
            raise ValueError(f"{engine.url.render_as_string()} is not empty")
    began = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    # Source hours draw from a stream of their own: the other tables stay as without them.
    history = _History(areas, choose_sources(areas, sources), days=days, now=now,
                       raw_hours=raw_hours, rng=random.Random(seed),
                       hours_rng=random.Random(f"{seed}:source_hours"),
                       stamp=sqlite_text if sqlite else lambda t: t)  # fmt: skip
    history.draw_old()
    history.run_desks()
    print(f"  history before the raw window: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    rows, took = {}, {"drawn": round(time.perf_counter() - began, 1)}
    for table, columns, made in (
        (readings, READING_COLUMNS, history.raw_rows()),
        (rollups, ("district", "feed", "minute", *ROLLUP_SUMS), history.rollup_rows()),
        (source_hours, HOUR_COLUMNS, history.source_hour_rows()),  # after the readings
        (latest, (*READING_COLUMNS[:7], "state_since", *VALUES), history.latest_rows()),
        (district_status, ("district", "online", "ts", "received_at", "since"),
         history.status_rows()),
    ):  # fmt: skip
        started = time.perf_counter()
        rows[table.name] = _insert_all(engine, table, columns, made)
        took[table.name] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with engine.begin() as conn:  # the hourly district rollups, as the ingestor keeps them
        hours = conn.execute(select(rollups.c.feed, rollups.c.minute).distinct()).all()
        refresh_hour_rollups(conn, {(feed, hour_of(minute)) for feed, minute in hours})
    took["rollups_hour"] = round(time.perf_counter() - started, 1)
    stale = [s for s in history.sources if s.until < history.now_s]
    return {
        "version": HISTORY_VERSION,
        "sources": dict(Counter(s.src.feed for s in history.sources)),
        "rows": rows,
        "offline": history.offline,
        "stale_elsewhere": sum(s.src.district != history.offline for s in stale),
        "from": history.t0.isoformat(),
        "now": now.isoformat(),
        "seconds": round(time.perf_counter() - began, 1),
        "took": took,  # seconds: drawing before the raw window, then making and inserting tables
    }


def main(argv: list[str] | None = None) -> int:
    """Create or migrate the store and fill it; print counts and the time taken."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db", default="sqlite:///var/bench-wall.db", help="an empty store")
    parser.add_argument("--sources", type=int, default=3000, help="sources in all (3000)")
    parser.add_argument("--days", type=float, default=30, help="days of rollups (30)")
    parser.add_argument("--raw-hours", type=float, default=24, help="hours of readings (24)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--now", type=datetime.fromisoformat, help="end, with offset (now)")
    args = parser.parse_args(argv)
    engine = make_engine(args.db)
    try:
        migrate(engine)
        result = fill_history(
            engine, load_areas(Settings().areas_file), sources=args.sources, days=args.days,
            now=args.now or datetime.now(UTC), raw_hours=args.raw_hours, seed=args.seed,
        )  # fmt: skip
    except ValueError as err:
        print(f"bench.history: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
