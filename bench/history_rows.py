"""One fill's history, drawn and simulated; the rows of every table come out as generators."""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from datetime import UTC, timedelta

from bench.history_sources import (
    CAM_S,
    INTERVAL_S,
    ScheduledSource,
    draw_count,
    draw_outages,
    first_minute,
)
from feeds.demo import models as sim
from ioc.areas import Area
from ioc.clock import LOCAL_TZ
from ioc.contract import FEEDS, Reading
from ioc.store.rollup_writes import hour_of, minute_of, source_hour_sums
from ioc.store.schema import ROLLUP_SUMS, SOURCE_HOUR_MAXES, SOURCE_HOUR_SUMS

STALE_SHARE = 1 / 500  # of sources, besides the offline district's
VALUES = ("vehicles", "interval_s", "speed_kmh", "occupancy", "up", "clients", "pending",
          "overdue", "received_today", "resolved_today", "resolved_on_time_today")  # fmt: skip
READING_COLUMNS = ("district", "feed", "source", "ts", "received_at", "seq", "name", *VALUES)
HOUR_VALUES = (*SOURCE_HOUR_SUMS, *SOURCE_HOUR_MAXES)
HOUR_COLUMNS = ("district", "feed", "source", "hour", *HOUR_VALUES)
SPEED_SPREAD = 0.2 / math.sqrt(12)  # of a camera's speed about the road's: uniform(0.9, 1.1)


class History:
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
            (self.t0 + timedelta(minutes=m)).astimezone(LOCAL_TZ) for m in range(self.minutes)
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
        self.sources = [
            ScheduledSource(s, rng.randrange(INTERVAL_S[s.feed]), self.now_s) for s in chosen
        ]
        others = [s for s in self.sources if s.src.district != self.offline]
        stale = min(len(others), max(3, round(len(chosen) * STALE_SHARE)))
        for s in rng.sample(others, stale):
            s.until = self.now_s - INTERVAL_S[s.src.feed] * rng.uniform(4, 8)
        self.group: dict[tuple[str, str], list[ScheduledSource]] = defaultdict(list)
        for s in self.sources:
            self.group[s.src.district, s.src.feed].append(s)
            s.until = self.went_down if s.src.district == self.offline else s.until
            s.spans = draw_outages(rng, self.minutes * 60) if s.src.feed == "wifi" else ()
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
                count = draw_count(rng, level * size)  # a sum of Poisson counts is one
                occupancy = min(0.98, max(0.01, level * 0.85))
                # Each camera is +-10 % about the road's speed; a sum of n varies by 1/sqrt(n).
                speed = n * free * (1 - 0.75 * occupancy**1.5) * rng.gauss(1, 0.06 / math.sqrt(n))
                speed = round(speed, 1)
                self._add(d, "traffic", m, n=n, vehicles=count, vehicles_per_min=count * 60 / CAM_S,
                          speed_x_vehicles=round(count * speed / n, 1), speed=speed)  # fmt: skip
            down, lost = array("d", bytes(8 * end)), array("d", bytes(8 * end))
            for s in aps:
                for a, b in s.spans:  # the minutes whose reading falls in the outage
                    for m in range(
                        max(0, first_minute(a, s.phase)), min(end, first_minute(b, s.phase))
                    ):
                        down[m], lost[m] = down[m] + 1, lost[m] + s.src.size
            total = sum(s.src.size for s in aps)
            for m in range(end):
                level = self.wifi[m] * self.mood[d, self.day[m]]
                clients = draw_count(rng, level * max(0.0, total - lost[m]))
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
            count = draw_count(rng, level * s.src.size)
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
            count = draw_count(rng, level * s.src.size) if up else 0
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

    def _old_hours(self, s: ScheduledSource, levels: dict) -> dict[int, list[float]]:
        """Draw one source's hourly sums before the raw window (desks': as simulated)."""
        rng, size, zeros = self.hours_rng, s.src.size, [0.0] * len(SOURCE_HOUR_MAXES)
        out: dict[int, list[float]] = {}
        if s.src.feed == "traffic":
            free = levels["free"]
            for h, k in enumerate(levels["minutes"]):
                if not k:
                    continue
                count = draw_count(rng, levels["level"][h] * size)  # a sum of Poisson counts is one
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
                for m in range(
                    max(0, first_minute(a, s.phase)), min(end, first_minute(b, s.phase))
                ):
                    h = (self.first + m) // 60
                    down[h], lost[h] = down[h] + 1, lost[h] + by_minute[m]
            for h, k in enumerate(levels["minutes"]):
                if k:
                    clients = draw_count(rng, max(0.0, levels["wifi"][h] - lost[h]) * size)
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
                since = self.when(s.phase + 60 * max(0, first_minute(start, s.phase)))
            yield (*s.last[:7], since, *s.last[7:])

    def status_rows(self):
        """Yield each district IOC's presence: online since before the history, one gone."""
        for area in self.areas:
            connected, gone = -self.rng.uniform(60, 3600), area.slug == self.offline
            # A Last Will carries its client's connect ts; the broker sends it 1.5 keepalives on.
            since = self.when(self.went_down + 45 if gone else connected + 0.2)
            yield (area.slug, not gone, self.when(connected), since, since)
