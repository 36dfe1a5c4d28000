"""The store writer: validates and writes every ingested message, by default in its own process.

With MQTT parsing, validation and SQL in one interpreter, the two threads take
turns on one lock and a 2-core machine ingests about 7,000 messages/s. With the
writes in a child process, the MQTT side and the store each get a core. The
ingestor sends a batch, the writer commits it and answers; only then does the
ingestor acknowledge the batch to the broker, so "acknowledged" still means
"committed".
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from feeds.contract import Reading, Rejection, StatusReport, validate
from ioc.config import configure_logging
from ioc.store import writes
from ioc.store.engine import make_engine

log = logging.getLogger(__name__)


class RawMessage(NamedTuple):
    """A message as received: validated beside the writes, not on the network thread."""

    topic: str | None  # None when the topic is not UTF-8
    printable_topic: str
    payload: bytes
    received: float  # Unix time of arrival


def classify(
    messages: Sequence[RawMessage], districts: frozenset[str]
) -> tuple[list[Reading], list[StatusReport], list[writes.DeadLetter]]:
    """Validate messages against the contract; rejected ones become dead letters."""
    readings: list[Reading] = []
    reports: list[StatusReport] = []
    letters: list[writes.DeadLetter] = []
    for message in messages:
        received_at = datetime.fromtimestamp(message.received, UTC)
        try:
            result = validate(message.topic, message.payload, districts=districts, now=received_at)
        except Exception as err:  # defensive: a validator bug must not stop the stream
            log.exception("unexpected error validating a message")
            result = Rejection("invalid_payload", f"unexpected error: {err!r}"[:300])
        if isinstance(result, Reading):
            readings.append(result)
        elif isinstance(result, StatusReport):
            reports.append(result)
        else:
            log.debug("rejected %s: %s %s", message.printable_topic[:120], result.reason,
                      result.detail)  # fmt: skip
            letters.append(
                writes.DeadLetter(
                    received_at,
                    message.printable_topic,
                    message.payload,
                    result.reason,
                    result.detail,
                    result.district,
                )  # fmt: skip
            )
    return readings, reports, letters


class StoreUnavailable(Exception):
    """The store could not take a write; the caller keeps the batch and tries again."""


class BatchWriter:
    """Validates and writes batches, heartbeats and prunes on one engine."""

    def __init__(self, engine: Engine, districts: frozenset[str]) -> None:
        self.engine = engine
        self.districts = districts

    def write(self, items: Sequence[RawMessage]) -> dict[str, int]:
        """Validate and commit one batch in one transaction; return the counters it added."""
        now = datetime.now(UTC)
        readings, reports, letters = classify(items, self.districts)
        with self.engine.begin() as conn:
            new = writes.insert_readings(conn, readings, received_at=now)
            writes.upsert_latest(conn, new, received_at=now)
            writes.add_rollups(conn, new)
            writes.upsert_status(conn, reports, received_at=now)
            kept = writes.add_dead_letters(conn, letters)
            counts = Counter(
                received=len(items),
                accepted=len(new),
                # Copies of rejected messages already kept count as duplicates too.
                duplicates=len(readings) - len(new) + len(letters) - len(kept),
                status_updates=len(reports),
                rejected=len(kept),
            )
            counts.update(f"rejected:{letter.reason}" for letter in kept)
            writes.add_counters(conn, counts)
        return dict(counts)

    def heartbeat(self, state: dict) -> None:
        """Record that an ingestor is alive and whether it holds a broker connection."""
        with self.engine.begin() as conn:
            writes.heartbeat(conn, now=datetime.now(UTC), **state)

    def prune(self, days: float) -> int:
        """Delete raw rows older than the retention; return how many."""
        cutoff = writes.retention_cutoff(datetime.now(UTC), days)
        with self.engine.begin() as conn:
            return writes.prune(conn, before=cutoff)


class InlineWriter:
    """Run the writer in the calling thread (IOC_INGEST_WRITER=thread)."""

    def __init__(self, engine: Engine, districts: frozenset[str]) -> None:
        self._writer = BatchWriter(engine, districts)

    def start(self) -> None:
        """Nothing to start."""

    def call(self, command: str, *args):
        """Run a writer command; a store error becomes StoreUnavailable."""
        try:
            return getattr(self._writer, command)(*args)
        except SQLAlchemyError as err:
            raise StoreUnavailable(str(err.__cause__ or err).splitlines()[0]) from err

    def stop(self) -> None:
        """Nothing to stop."""


def _serve(url: str, districts: frozenset[str], connection, log_level: str) -> None:
    """Answer writer commands from the ingestor until told to stop or the pipe closes."""
    configure_logging(log_level)
    writer = InlineWriter(make_engine(url), districts)
    while True:
        try:
            command, args = connection.recv()
        except (EOFError, OSError):
            break
        if command == "stop":
            break
        try:
            connection.send(("ok", writer.call(command, *args)))
        except StoreUnavailable as err:
            connection.send(("unavailable", str(err)))
        except Exception as err:  # a bug must not kill the writer; the batch is retried
            log.exception("writer command %s failed", command)
            connection.send(("unavailable", f"{type(err).__name__}: {err}"))


class WriterProcess:
    """A child process that owns the store's ingest writes (the default)."""

    def __init__(self, url: str, districts: frozenset[str], log_level: str = "INFO") -> None:
        self.url = url
        self.districts = districts
        self.log_level = log_level
        # spawn, not fork: the parent already runs threads (paho, the writer thread).
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._pipe = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child process."""
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve,
            args=(self.url, self.districts, child, self.log_level),
            name="ioc-writer",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._pipe = parent

    def call(self, command: str, *args):
        """Send a command and wait for its answer; restart the child if it died."""
        with self._lock:
            try:
                self._pipe.send((command, args))
                status, result = self._pipe.recv()
            except (EOFError, OSError, BrokenPipeError) as err:
                log.error("the writer process died (%s); starting a new one", err)
                self._restart()
                raise StoreUnavailable("the writer process died") from err
        if status != "ok":
            raise StoreUnavailable(result)
        return result

    def _restart(self) -> None:
        if self._process is not None:
            self._process.join(1)
            if self._process.is_alive():
                self._process.kill()
        self.start()

    def stop(self) -> None:
        """Ask the child to finish and wait for it."""
        if self._process is None:
            return
        with self._lock:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._pipe.send(("stop", ()))
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            self._pipe.close()
        self._process = None
