"""Notifications of alarm transitions: a webhook and e-mail, retried, logged, never in the way.

The evaluator hands each new transition to ``Outbox.submit``, which only queues it:
each channel (webhook, e-mail) has its own thread and a bounded queue, so a dead
endpoint slows nothing but its own channel, never the evaluator, the ingestor or the
pages. A failed attempt is tried again after 1, 2, 4, 8, 16 and 32 seconds, then
given up; every attempt is a row of the delivery log (``alarm_deliveries``, pruned
with the alarm history).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc.clock import iso
from ioc.model.alarm import Alarm, Transition
from ioc.store import alarms as rows

log = logging.getLogger(__name__)
RETRY_DELAYS: tuple[float, ...] = (1, 2, 4, 8, 16, 32)
QUEUE_MAX = 1000  # transitions waiting per channel; past it the newest is dropped (logged)
WEBHOOK_TIMEOUT_S = 5.0


class DeliveryError(Exception):
    """One attempt failed; the message says why (kept in the delivery log)."""


class Channel(Protocol):
    """A way out: its name, who gets an alarm's transition, and one attempt to send it."""

    name: str

    def targets(self, alarm: Alarm) -> Sequence[str]: ...

    def send(self, target: str, transition: Transition, alarm: Alarm) -> None: ...


def payload(transition: Transition, alarm: Alarm, base_url: str) -> dict[str, Any]:
    """The webhook's JSON document: the transition, the alarm's fields, a link to it."""
    return {
        "event": transition.action,
        "at": iso(transition.at),
        "from_state": transition.from_state,
        "to_state": transition.to_state,
        "actor": transition.actor,
        "note": transition.note,
        "transition_id": transition.id,
        "alarm": alarm.as_json(),
        "url": f"{base_url.rstrip('/')}/alarms/{alarm.id}",
    }


class Webhook:
    """One JSON POST per transition to IOC_ALARM_WEBHOOK_URL."""

    name = "webhook"

    def __init__(self, url: str, base_url: str, timeout_s: float = WEBHOOK_TIMEOUT_S) -> None:
        self.url = url
        self.base_url = base_url
        self.timeout_s = timeout_s

    def targets(self, alarm: Alarm) -> Sequence[str]:
        """Every transition goes to the one URL."""
        return (self.url,)

    def send(self, target: str, transition: Transition, alarm: Alarm) -> None:
        """POST the document; anything but a 2xx answer is a failure."""
        body = json.dumps(payload(transition, alarm, self.base_url), ensure_ascii=False)
        request = urllib.request.Request(
            target, data=body.encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "User-Agent": "ioc-alarms/1"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as err:
            raise DeliveryError(f"HTTP {err.code}") from None
        except (OSError, ValueError) as err:
            raise DeliveryError(str(getattr(err, "reason", err))[:200]) from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


@dataclass(order=True)
class _Job:
    due: float
    order: int
    target: str = field(compare=False)
    transition: Transition = field(compare=False)
    alarm: Alarm = field(compare=False)
    attempt: int = field(default=1, compare=False)


class _Worker:
    """One channel's thread: a bounded inbox, and a heap of attempts by when they are due."""

    def __init__(self, channel: Channel, engine: Engine, delays: Sequence[float]) -> None:
        self.channel = channel
        self.engine = engine
        self.delays = tuple(delays)
        self.inbox: queue.Queue[_Job] = queue.Queue(QUEUE_MAX)
        self.pending: list[_Job] = []
        self.counter = itertools.count()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"alarm-{channel.name}",
                                       daemon=True)  # fmt: skip

    def put(self, transition: Transition, alarm: Alarm) -> None:
        for target in self.channel.targets(alarm):
            job = _Job(time.monotonic(), next(self.counter), target, transition, alarm)
            try:
                self.inbox.put_nowait(job)
            except queue.Full:
                log.warning("alarm %s queue full: transition %d to %s dropped",
                            self.channel.name, transition.id, target)  # fmt: skip
                self._log(job, "dropped", "queue full")

    def _run(self) -> None:
        while not self.stopping.is_set():
            wait = max(0.0, self.pending[0].due - time.monotonic()) if self.pending else 0.5
            if len(self.pending) < QUEUE_MAX:  # inbox and retries together stay bounded:
                try:  # while full, the inbox fills and put() drops, logged
                    heapq.heappush(self.pending, self.inbox.get(timeout=min(wait, 0.5)))
                    continue
                except queue.Empty:
                    pass
            else:
                self.stopping.wait(min(wait, 0.5))
            if self.pending and self.pending[0].due <= time.monotonic():
                job = heapq.heappop(self.pending)
                try:
                    self._attempt(job)
                except Exception as err:  # a bug in a channel must not end its thread
                    log.exception("alarm %s to %s failed unexpectedly", self.channel.name,
                                  job.target)  # fmt: skip
                    self._log(job, "failed", f"{type(err).__name__}: {err}")

    def _attempt(self, job: _Job) -> None:
        try:
            self.channel.send(job.target, job.transition, job.alarm)
        except DeliveryError as err:
            if job.attempt <= len(self.delays):
                self._log(job, "retry", str(err))
                job.due = time.monotonic() + self.delays[job.attempt - 1]
                job.attempt += 1
                heapq.heappush(self.pending, job)
            else:
                log.warning("alarm %s to %s gave up after %d attempts: %s",
                            self.channel.name, job.target, job.attempt, err)  # fmt: skip
                self._log(job, "failed", str(err))
            return
        self._log(job, "sent", "")

    def _log(self, job: _Job, outcome: str, detail: str) -> None:
        row = {"transition_id": job.transition.id, "channel": self.channel.name,
               "target": job.target[:300], "at": datetime.now(UTC), "attempt": job.attempt,
               "outcome": outcome, "detail": detail[:300]}  # fmt: skip
        try:
            with self.engine.begin() as conn:
                rows.add_delivery(conn, row)
        except SQLAlchemyError as err:
            log.warning("cannot log an alarm delivery: %s", str(err).splitlines()[0])


class Outbox:
    """Hands transitions to every channel's own thread."""

    def __init__(
        self, engine: Engine, channels: Sequence[Channel],
        delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:  # fmt: skip
        self.workers = [_Worker(channel, engine, delays) for channel in channels]

    def start(self) -> None:
        """Start each channel's thread."""
        for worker in self.workers:
            worker.thread.start()

    def submit(self, transition: Transition, alarm: Alarm) -> None:
        """Queue a transition for every channel (returns at once)."""
        for worker in self.workers:
            worker.put(transition, alarm)

    def stop(self) -> None:
        """Stop the threads (attempts still waiting are dropped; the log says what went)."""
        for worker in self.workers:
            worker.stopping.set()
        for worker in self.workers:
            if worker.thread.is_alive():
                worker.thread.join(WEBHOOK_TIMEOUT_S + 1)
