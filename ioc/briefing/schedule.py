"""Scheduled briefing snapshots: city snapshots at set local times on set days.

The slots are local times in Asia/Ho_Chi_Minh (``IOC_BRIEFING_TIMES``, for instance
``07:30,13:30``, on ``IOC_BRIEFING_DAYS``, by default ``mon-fri``). A slot is taken
when its time comes, or up to ``GRACE`` later (a process that was starting or busy);
a slot missed by more than that is logged and skipped, never taken late under its
old time. Each slot is stored once per scope (a unique key), so several processes
running the schedule (web workers, a restart) never take it twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

from ioc.clock import LOCAL_TZ
from ioc.model.snapshot import StoredSnapshot
from ioc.services.container import Services

log = logging.getLogger(__name__)
GRACE = timedelta(minutes=10)
LONGEST_SLEEP_S = 30.0
PRUNE_EVERY = timedelta(hours=1)


def slots_between(
    times: Iterable[time], days: Iterable[int], after: datetime, until: datetime
) -> list[datetime]:
    """The UTC instants of local slots in (after, until], oldest first.

    ``days`` are weekdays, Monday 0; ``times`` local wall-clock times.
    """
    times, days = sorted(times), frozenset(days)
    found = []
    day: date = after.astimezone(LOCAL_TZ).date()
    last: date = until.astimezone(LOCAL_TZ).date()
    while day <= last:
        if day.weekday() in days:
            for at in times:
                slot = datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(UTC)
                if after < slot <= until:
                    found.append(slot)
        day += timedelta(days=1)
    return found


def next_slot(times: Iterable[time], days: Iterable[int], now: datetime) -> datetime | None:
    """The first slot after ``now`` (within two weeks), or None when there are no slots."""
    ahead = slots_between(times, days, now, now + timedelta(days=14))
    return ahead[0] if ahead else None


class Scheduler:
    """A thread that takes the scheduled snapshots and deletes expired ones.

    ``take(slot)`` takes the snapshot of one slot (returning None when another
    process has it already); ``prune(now)`` deletes what the retention no longer
    keeps. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        times: Iterable[time],
        days: Iterable[int],
        take: Callable[[datetime], object],
        prune: Callable[[datetime], int] | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.times = tuple(sorted(times))
        self.days = frozenset(days)
        self._take = take
        self._prune = prune
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._checked = clock() - GRACE  # a slot just missed (a restart) is still taken
        self._pruned: datetime | None = None
        self.taken: list[datetime] = []
        self.skipped: list[datetime] = []

    def run_once(self) -> None:
        """Take every slot due since the last check; prune now and then."""
        now = self._clock()
        for slot in slots_between(self.times, self.days, self._checked, now):
            if now - slot > GRACE:
                local = slot.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
                log.warning(
                    "briefing slot %s (local) missed by more than %s: skipped", local, GRACE
                )
                self.skipped.append(slot)
                continue
            try:
                made = self._take(slot)
            except Exception:  # one failed slot must not stop the next ones
                log.exception("scheduled briefing snapshot for %s failed", slot.isoformat())
                continue
            if made is not None:
                self.taken.append(slot)
                log.info("scheduled briefing snapshot taken for %s", slot.isoformat())
        self._checked = now
        if self._prune is not None and (self._pruned is None or now - self._pruned >= PRUNE_EVERY):
            self._pruned = now
            try:
                removed = self._prune(now)
            except Exception:
                log.exception("pruning briefing snapshots failed")
            else:
                if removed:
                    log.info("deleted %d briefing snapshots past retention", removed)

    def start(self) -> None:
        """Run in a daemon thread until stop()."""
        self._thread = threading.Thread(target=self._loop, name="briefing-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (waits for a snapshot being taken)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            upcoming = next_slot(self.times, self.days, self._clock())
            wait = LONGEST_SLEEP_S
            if upcoming is not None:
                wait = min(wait, max((upcoming - self._clock()).total_seconds(), 0.05))
            self._stop.wait(wait)


def scheduler_for(services: Services) -> Scheduler | None:
    """The scheduler the settings ask for: None when no times are set and snapshots taken
    by hand are kept for good (with a retention for those, it prunes, taking nothing)."""
    settings = services.settings
    if not settings.briefing_times and not settings.briefing_manual_retention_days:
        return None

    def take(slot: datetime) -> StoredSnapshot | None:
        return services.briefing.take(trigger="schedule", scheduled_for=slot, taken_by="", title="")

    def prune(now: datetime) -> int:
        return services.briefing.prune_expired(now, settings.briefing_retention_days,
                                               settings.briefing_manual_retention_days)  # fmt: skip

    return Scheduler(settings.briefing_times, settings.briefing_days, take, prune)
