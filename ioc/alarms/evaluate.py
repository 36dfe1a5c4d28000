"""The alarm evaluator: each cycle, read the city's state, raise and clear alarms, notify.

One evaluator acts at a time (``Lease``); the others wait, ready to take over. A
cycle reads what the wall reads (one snapshot: presence, freshness, KPI statuses,
database metrics) and the ingest health, finds the conditions (``conditions``),
steps the state machine (``machine``) against the open alarms in the store, writes
the steps with their transitions in one transaction, then hands every transition
not yet handed on (people's acknowledgements from the web workers too) to the
notifiers. The outbox's cursor is in the store: a restart neither loses nor repeats
a notification's queueing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc.alarms.conditions import IngestHealth, Rulebook
from ioc.alarms.lease import LEASE_NAME, Lease
from ioc.alarms.machine import Step, Timers, step
from ioc.alarms.notify import Outbox
from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.model.alarm import AlarmRules, Condition
from ioc.model.metric import Catalogue
from ioc.services.kpis import KpiCatalogue
from ioc.services.metrics import MetricsService
from ioc.services.ops import OpsService
from ioc.services.wall import WallService
from ioc.store import alarms as rows

log = logging.getLogger(__name__)
ACTOR = "evaluator"  # who the system's own transitions are by
DEAD_LETTER_WINDOW = timedelta(minutes=5)
PRUNE_EVERY = timedelta(hours=1)
KEEP_DELIVERIES = 20_000
# On PostgreSQL a transition is handed to the notifiers once this old, so one committed
# after a later one (ids come from a sequence) is not skipped; SQLite's single writer
# commits them in id order.
SETTLE = timedelta(seconds=1)


@dataclass(frozen=True)
class Cycle:
    """What one cycle did: whether it led, the conditions, the steps written."""

    leading: bool
    conditions: tuple[Condition, ...] = ()
    steps: tuple[Step, ...] = ()


class AlarmEvaluator:
    """Raises, clears and notifies, in a background thread, while it holds the lease."""

    def __init__(
        self, settings: Settings, engine: Engine, areas: AreaCatalogue, kpis: KpiCatalogue,
        catalogue: Catalogue | None, rules: AlarmRules, *, outbox: Outbox | None = None,
        holder: str | None = None, wall: WallService | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.engine = engine
        self.rules = rules
        # The all-in-one hands in the web app's wall, whose interval snapshot it then shares.
        metrics = MetricsService(engine, catalogue, settings.stale_factor)
        self.wall = wall or WallService(settings, engine, areas, kpis, metrics)
        self.ops = OpsService(engine)
        self.rulebook = Rulebook(rules, areas)
        self.outbox = outbox
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:120]
        self.lease = Lease(engine, self.holder, ttl_s=max(10.0, settings.alarm_interval_ms / 100))
        self.timers = Timers()
        self.leading = False
        self._pruned: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one cycle ---------------------------------------------------------------------

    def cycle(self, now: datetime | None = None) -> Cycle:
        """Evaluate once (if this evaluator holds the lease)."""
        now = now or datetime.now(UTC)
        if not self.lease.hold(now):
            if self.leading:
                log.info("alarm evaluator %s: another evaluator took over", self.holder)
            self.leading = False
            return Cycle(False)
        if not self.leading:
            log.info("alarm evaluator %s: evaluating (this one holds the lease)", self.holder)
            self.timers = Timers()  # another may have led meanwhile: start the delays afresh
            self.leading = True
        conditions = self.conditions(now)
        with self.engine.begin() as conn:
            rows.ensure_cursor_row(conn, LEASE_NAME, now)
            if rows.cursor(conn, LEASE_NAME) < 0:  # first start: no old history to send
                rows.set_cursor(conn, LEASE_NAME, rows.newest_transition(conn))
            steps = step(self.rules, self.timers, rows.open_alarms(conn), conditions, now)
            for change in steps:
                apply(conn, change, now)
        if self.outbox is not None:  # no one to deliver to (--once): the cursor stays
            self._hand_on(now)
        if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
            self._prune(now)
        return Cycle(True, tuple(conditions), tuple(steps))

    def conditions(self, now: datetime) -> list[Condition]:
        """Every abnormal condition now (what the wall shows, the metrics, ingest health)."""
        # The interval's snapshot: built once and shared with the wall (per worker, or across
        # processes through IOC_REDIS_URL), so the cycle itself is the rules' evaluation.
        snapshot = self.wall.snapshot(now)
        doc, database_ok = self.ops.health(now)
        ingest = None
        if database_ok:
            with self.engine.connect() as conn:
                dead = rows.dead_letters_since(conn, now - DEAD_LETTER_WINDOW)
            minutes = DEAD_LETTER_WINDOW.total_seconds() / 60
            ingest = IngestHealth.from_health(doc, dead / minutes)
        return self.rulebook.conditions(snapshot, snapshot.metrics, ingest)

    def _hand_on(self, now: datetime) -> None:
        """Queue every settled transition after the outbox cursor, then move the cursor.

        Ids are taken in order but committed in any order (an ack in a web worker may
        commit after a later evaluator step): on PostgreSQL the cursor stops before the
        first transition younger than ``SETTLE``, so one committed late is not passed over."""
        with self.engine.begin() as conn:
            start = rows.cursor(conn, LEASE_NAME)
            found = rows.transitions_after(conn, start)
            settle = SETTLE if conn.dialect.name == "postgresql" else timedelta(0)
            young = next((i for i, (t, _a) in enumerate(found) if t.at > now - settle), None)
            found = found if young is None else found[:young]
            if found:
                rows.set_cursor(conn, LEASE_NAME, found[-1][0].id)
        if self.outbox is not None:
            for transition, alarm in found:
                self.outbox.submit(transition, alarm)

    def _prune(self, now: datetime) -> None:
        before = now - timedelta(days=self.settings.alarm_retention_days)
        with self.engine.begin() as conn:
            gone = rows.prune(conn, before, KEEP_DELIVERIES)
        if gone:
            log.info("alarm history: %d closed alarms older than %s deleted", gone, before)
        self._pruned = now

    # --- running -----------------------------------------------------------------------

    def start(self) -> None:
        """Evaluate in a background thread (and start the notifiers)."""
        if self.outbox is not None:
            self.outbox.start()
        self._thread = threading.Thread(target=self._loop, name="alarm-evaluator", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        interval = self.settings.alarm_interval_ms / 1000
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.cycle()
            except SQLAlchemyError as err:
                log.warning("alarm evaluation failed: %s", str(err).splitlines()[0])
            except Exception:  # a bug must not end the evaluator: the next cycle tries again
                log.exception("alarm evaluation failed")
            self._stop.wait(max(0.05, interval - (time.monotonic() - started)))

    def stop(self) -> None:
        """Stop after the cycle under way; give the lease up so another takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        if self.leading:
            self.lease.release(datetime.now(UTC))
            self.leading = False
        if self.outbox is not None:
            self.outbox.stop()


def apply(conn: Connection, change: Step, now: datetime) -> None:
    """Write one step and its transition (skipped if a person moved the alarm meanwhile)."""
    if change.action == "raise":
        assert change.condition is not None
        made = rows.insert_alarm(conn, change.condition, now)
        if made is not None:
            rows.add_transition(conn, made, now, "raise", None, "active_unacked", ACTOR)
        return
    alarm = change.alarm
    assert alarm is not None
    values: dict[str, object] = {"state": change.to_state, "updated_at": now}
    condition = change.condition
    if condition is not None:
        values.update(severity=condition.severity, message_vi=condition.message_vi[:300],
                      message_en=condition.message_en[:300])  # fmt: skip
    if change.action == "clear" or (change.action == "unshelve" and change.to_state == "closed"):
        values["cleared_at"] = alarm.cleared_at or now
    if change.to_state == "active_unacked":  # back in view: nobody has taken it this time
        values.update(cleared_at=None, acked_by=None, acked_at=None, ack_note=None)
    if change.action == "unshelve":
        values.update(shelved_until=None)
    if rows.change_alarm(conn, alarm.id, alarm.state, **values):
        rows.add_transition(conn, alarm.id, now, change.action, alarm.state, change.to_state,
                            ACTOR, change.note)  # fmt: skip
