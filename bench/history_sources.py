"""The sources a history holds and their schedules: who reports when, outages, drawn counts."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

from feeds.demo import models as sim
from ioc.areas import AreaCatalogue
from ioc.contract import FEEDS

CAM_S = sim.TRAFFIC_INTERVAL_S  # cameras count vehicles over this, in each reading's interval_s
INTERVAL_S = {"traffic": CAM_S, "wifi": 60, "backlog": 300}  # Settings' defaults


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


def draw_count(rng: random.Random, lam: float) -> int:
    """Draw a Poisson count; the normal approximation from 15 up is close and much quicker."""
    return sim.poisson(rng, lam) if lam < 15 else max(0, round(rng.gauss(lam, math.sqrt(lam))))


def draw_outages(rng: random.Random, until: float) -> tuple[tuple[float, float], ...]:
    """Draw an access point's outages (start, end seconds), down ~3 % of the time as simulated."""
    spans, t = [], 0.0 if rng.random() < sim.DOWN_SHARE else rng.expovariate(1 / sim.MEAN_UP_S)
    while t < until:
        end = t + min(3600.0, max(120.0, rng.expovariate(1 / 1200)))
        spans.append((t, end))
        t = end + rng.expovariate(1 / sim.MEAN_UP_S)
    return tuple(spans)


def first_minute(seconds: float, phase: int) -> int:
    """Return the first minute whose reading, `phase` seconds into it, is at `seconds` or later."""
    return math.ceil((seconds - phase) / 60)


@dataclass(slots=True, eq=False)
class ScheduledSource:
    """A chosen source and its schedule, in seconds after the first minute."""

    src: sim.Source
    phase: int  # it reports at phase + k * interval
    until: float  # and not after this (now, or when it stopped)
    spans: tuple = ()  # wifi: outages
    at: int = 0  # wifi: the first outage not over at its last reading
    last: tuple = ()  # its newest readings row
    hours: dict = field(default_factory=dict)  # desks: hour -> sums before the raw window
