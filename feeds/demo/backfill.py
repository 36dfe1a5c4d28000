"""A demo with a past: days of simulated history, written once into an empty store.

``make run`` on an empty store would show empty 24 h, 7 d and 30 d charts, heat
maps and "usual at this hour" markers for hours. On a first start in demo mode
the all-in-one writes the past through the ingestor's own store functions
(``insert_readings``, ``upsert_latest``, ``add_rollups``, ``upsert_positions``),
from the simulator's own models (``feeds/demo/models.py``), so the past has the present's peaks,
access point outages and overdue desks. Demo data, like the live feeds.

Thirty days of every source once a minute are 16 million readings: too many
for a minute. The charts need less, so each source reports at the resolution
the page reading that stretch needs (docs/feeds.md, "The demo's past"):

- older than ``FINE_SPAN``: once an hour per source (traffic counts the whole
  hour, ``interval_s`` 3600), rollups and per-source hours only; pages read
  nothing finer there, and raw readings that old are pruned anyway;
- the last ``FINE_SPAN`` (the 24 h views, the 6 h raw tables): every 10 minutes
  (traffic counts 10 minutes), access points every 3 minutes (a report holds for
  IOC_STALE_FACTOR x IOC_WIFI_INTERVAL_S, so the time-weighted 24 h uptime is
  whole), raw readings too;
- the last ``LIVE_SPAN`` (the 1 h view): as the live feeds, once a minute
  (desks every 5 minutes).

All sources of a district report at the same instant of a step, so each
per-minute rollup holds every source once, as the live feeds' minutes do.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from feeds.demo.models import (
    BacklogState,
    Source,
    WifiState,
    backlog_payload,
    backlog_start,
    backlog_step,
    sources_for,
    traffic_payload,
    wifi_payload,
    wifi_start,
    wifi_step,
)
from feeds.demo.places import placed
from ioc.areas import AreaCatalogue
from ioc.clock import LOCAL_TZ
from ioc.contract import Payload, Reading, as_reading
from ioc.store import positions, queries, rollup_writes, writes

log = logging.getLogger(__name__)

FINE_SPAN = timedelta(hours=36)  # the span of the per-minute series; raw readings kept
LIVE_SPAN = timedelta(hours=1)  # as live: once a minute
HOUR, TEN_MINUTES, MINUTE = timedelta(hours=1), timedelta(minutes=10), timedelta(minutes=1)
BACKLOG_LIVE = timedelta(minutes=5)  # desks report every 5 minutes live
ALL_FEEDS = ("traffic", "wifi", "backlog")
# One transaction holds about this much simulated time, so the live ingestor
# (one SQLite writer at a time) never waits long behind the backfill.
CHUNK = {"coarse": timedelta(hours=12), "fine": timedelta(hours=2), "live": LIVE_SPAN}
PROGRESS_EVERY_S = 5.0


@dataclass(frozen=True)
class Step:
    """One instant at which the sources of some feeds report, and the interval it covers."""

    start: datetime  # the interval's start (UTC)
    width: timedelta
    tier: str  # coarse, fine, live
    feeds: tuple[str, ...] = ALL_FEEDS

    @property
    def raw(self) -> bool:
        """Whether the readings are kept as raw readings too (all but the coarse tier)."""
        return self.tier != "coarse"

    @property
    def ts(self) -> datetime:
        """The reports' time: the middle of the interval, so they fall in its hour."""
        return self.start + self.width / 2


def steps(until: datetime, days: float, *, wifi_every: timedelta = 3 * MINUTE) -> list[Step]:
    """The report instants of a backfill of ``days`` ending at ``until`` (a whole minute).

    ``wifi_every``: in the fine tier, access points report this often, at most the time a
    report holds (IOC_STALE_FACTOR x IOC_WIFI_INTERVAL_S), so the raw readings cover the
    whole of the last day for the time-weighted 24 h uptime.
    """
    begin = (until - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    fine_from = max(begin, _floor(until - FINE_SPAN, HOUR))
    live_from = max(fine_from, _floor(until - LIVE_SPAN, TEN_MINUTES))
    found = _every(begin, fine_from, HOUR, "coarse", ALL_FEEDS)
    found += _every(fine_from, live_from, TEN_MINUTES, "fine", ("traffic", "backlog"))
    found += _every(fine_from, live_from, wifi_every, "fine", ("wifi",))
    found += _every(live_from, until, MINUTE, "live", ("traffic", "wifi"))
    found += _every(live_from, until, BACKLOG_LIVE, "live", ("backlog",))
    return sorted(found, key=lambda step: step.start)


def _every(
    begin: datetime, end: datetime, width: timedelta, tier: str, feeds: tuple[str, ...]
) -> list[Step]:
    found, at = [], begin
    while at + width <= end:
        found.append(Step(at, width, tier, feeds))
        at += width
    return found


def _floor(ts: datetime, width: timedelta) -> datetime:
    seconds = int(width.total_seconds())
    stamp = int(ts.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


class History:
    """The simulated sources stepped through the past, one report instant at a time."""

    def __init__(
        self, areas: AreaCatalogue, *, scale: float = 1.0, seed: int | None = None
    ) -> None:
        self.kinds = {area.slug: area.kind for area in areas.areas}
        found = [src for area in areas.areas for src in sources_for(area, scale)]
        self.sources = placed(found, areas.geojson)
        self.rng = random.Random(seed)
        self.state: dict[Source, WifiState | BacklogState] = {}
        self.last: dict[Source, float] = {}
        self.seq: dict[Source, int] = {}

    def readings(self, step: Step) -> list[Reading]:
        """Every source's report at one step (desks every 5 minutes in the live-like stretch)."""
        local = step.ts.astimezone(LOCAL_TZ)
        t = step.ts.timestamp()
        found = []
        for src in self.sources:
            if src.feed not in step.feeds:
                continue
            payload = self._payload(src, step, local, t)
            found.append(as_reading(src.district, src.feed, src.source, payload))
        return found

    def _payload(self, src: Source, step: Step, local: datetime, t: float) -> Payload:
        seq = self.seq[src] = self.seq.get(src, 0) + 1
        width_s = step.width.total_seconds()
        dt = t - self.last.get(src, t - width_s)
        self.last[src] = t
        if src.feed == "traffic":
            kind = self.kinds[src.district]
            return traffic_payload(src, kind, local, step.ts, self.rng, seq, int(width_s))
        state = self.state.get(src)
        if state is None:
            state = wifi_start(t, self.rng) if src.feed == "wifi" else None
            state = self.state[src] = state or backlog_start(src, local, self.rng)
        if isinstance(state, WifiState):
            wifi_step(state, t, dt, self.rng)
            return wifi_payload(src, state.up, local, step.ts, self.rng, seq)
        return backlog_payload(src, backlog_step(state, src, local, dt, self.rng), step.ts, seq)


def chunks(plan: list[Step]) -> Iterator[list[Step]]:
    """The steps in groups of about CHUNK's length, one transaction each."""
    group: list[Step] = []
    for step in plan:
        if group and (
            step.tier != group[0].tier or step.start - group[0].start >= CHUNK[step.tier]
        ):
            yield group
            group = []
        group.append(step)
    if group:
        yield group


def write(engine: Engine, readings: list[Reading], *, raw: bool) -> None:
    """Store readings as the ingestor does, in one transaction; raw rows only when asked."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        new = writes.insert_readings(conn, readings, received_at=now) if raw else readings
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)
        positions.upsert_positions(conn, new)


def wifi_every_for(stale_factor: float, wifi_interval_s: int) -> timedelta:
    """How often access points report in the fine tier: as long as a report holds, in minutes."""
    held = int(stale_factor * wifi_interval_s) // 60 * 60
    return timedelta(seconds=max(60, min(600, held)))


def backfill(
    engine: Engine, areas: AreaCatalogue, *, until: datetime, days: float,
    scale: float = 1.0, seed: int | None = None, wifi_every: timedelta = 3 * MINUTE,
    progress: Callable[[int, int, int], None] | None = None,
) -> int:  # fmt: skip
    """Write ``days`` of history ending at ``until``; return the readings written."""
    plan = steps(until, days, wifi_every=wifi_every)
    history = History(areas, scale=scale, seed=seed)
    written = done = 0
    for group in chunks(plan):
        batch = [reading for step in group for reading in history.readings(step)]
        write(engine, batch, raw=group[0].raw)
        written, done = written + len(batch), done + len(group)
        if progress is not None:
            progress(done, len(plan), written)
    return written


def is_empty(engine: Engine) -> bool:
    """Tell whether the store holds no reading and no history yet (a first start)."""
    with engine.connect() as conn:
        return not queries.has_history(conn)


# Takes the sources' states (access points, desks) and seq numbers where the past ends.
Handover = Callable[[dict[Source, WifiState | BacklogState], dict[Source, int]], None]


class Backfill:
    """Write the demo's past in a background thread, saying how far it got in the log.

    First the past is only simulated, in memory (a few seconds): the sources' states
    where it ends are handed on (``then``) and ``ready`` is set, so the live readings
    start from there while the same past (same seed) is written. The live readings
    keep the newest state fresh meanwhile: nothing looks stale on a first start.
    """

    def __init__(
        self, engine: Engine, areas: AreaCatalogue, *, days: float, until: datetime,
        scale: float = 1.0, seed: int | None = None, wifi_every: timedelta = 3 * MINUTE,
    ) -> None:  # fmt: skip
        self.engine, self.areas, self.days, self.until = engine, areas, days, until
        self.scale, self.wifi_every = scale, wifi_every
        self.seed = seed if seed is not None else random.getrandbits(32)  # both passes alike
        self.ready = threading.Event()  # the past's end is known: live readings may start
        self.done = threading.Event()  # the past is written
        self.then: Handover | None = None
        self.written = 0
        self._thread: threading.Thread | None = None
        self._said = 0.0

    def start(self) -> None:
        """Start writing; pages answer meanwhile."""
        self._thread = threading.Thread(target=self._run, name="ioc-backfill", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the end; True once done."""
        return self.done.wait(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        log.info(
            "backfill: writing %g days of demo history up to %s (IOC_SIM_BACKFILL_DAYS=0 "
            "turns this off)", self.days, self.until.isoformat(timespec="minutes"),
        )  # fmt: skip
        try:
            self._hand_over()
            self.written = backfill(
                self.engine, self.areas, until=self.until, days=self.days, scale=self.scale,
                seed=self.seed, wifi_every=self.wifi_every, progress=self._progress,
            )  # fmt: skip
        except Exception:  # the demo goes on without (all of) its past; the log says why
            log.exception("backfill: stopped")
        else:
            log.info("backfill: done, %d readings over %g days in %.1f s",
                     self.written, self.days, time.monotonic() - started)  # fmt: skip
        finally:
            self.ready.set()
            self.done.set()

    def _hand_over(self) -> None:
        """Simulate the past without writing it; hand its end on to the live feeds."""
        ending = History(self.areas, scale=self.scale, seed=self.seed)
        for step in steps(self.until, self.days, wifi_every=self.wifi_every):
            ending.readings(step)
        if self.then is not None:
            self.then(ending.state, ending.seq)
        self.ready.set()

    def _progress(self, done: int, total: int, written: int) -> None:
        now = time.monotonic()
        if now - self._said >= PROGRESS_EVERY_S or done == total:
            self._said = now
            log.info("backfill: %d%% (%d readings)", 100 * done // total, written)
