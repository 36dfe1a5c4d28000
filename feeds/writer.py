"""The store writer: validates and writes every ingested message, by default in its own process.

With MQTT parsing, validation and SQL in one interpreter, the two threads take
turns on one lock and a 2-core machine ingests about 7,000 messages/s. With the
writes in a child process, the MQTT side and the store each get a core. The
ingestor sends a batch, the writer commits it and answers; only then does the
ingestor acknowledge the batch to the broker, so "acknowledged" still means
"committed". The ingestor holds a StoreWriter and calls its typed methods; the
commands behind them (feeds/commands.py) cross the pipe and are dispatched by type.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import multiprocessing
import signal
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any, TypeVar, cast

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    SQLAlchemyError,
    StatementError,
)

from feeds.commands import (
    Command,
    Counts,
    Done,
    Heartbeat,
    Prune,
    RawMessage,
    Stop,
    Unavailable,
    Write,
)
from ioc import telemetry
from ioc.config import configure_logging
from ioc.contract import STORE_REFUSED, Reading, Rejection, StatusReport, validate
from ioc.store import positions, rollup_writes, writes
from ioc.store.engine import make_engine
from ioc.store.letters import MAX_PER_REASON, DeadLetter, add_dead_letters

log = logging.getLogger(__name__)
R = TypeVar("R")


def classify(
    messages: Sequence[RawMessage], districts: frozenset[str]
) -> tuple[list[Reading], list[StatusReport], list[DeadLetter]]:
    """Validate messages against the contract; rejected ones become dead letters."""
    readings: list[Reading] = []
    reports: list[StatusReport] = []
    letters: list[DeadLetter] = []
    for message in messages:
        received_at = datetime.fromtimestamp(message.received, UTC)
        try:
            result = validate(
                message.topic,
                message.payload,
                districts=districts,
                now=received_at,
                size=message.size,
            )
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
                DeadLetter(
                    received_at,
                    message.printable_topic,
                    message.payload,
                    result.reason,
                    result.detail,
                    result.district,
                    message.size,
                    message.sha256,
                )  # fmt: skip
            )
    return readings, reports, letters


class StoreUnavailable(Exception):
    """The store could not take a write; the caller keeps the batch and tries again."""


# The drivers' own classes, for the writes that bind rows on the driver's cursor.
DRIVER_REFUSALS = (sqlite3.DataError, sqlite3.IntegrityError, psycopg.DataError,
                   psycopg.IntegrityError)  # fmt: skip
DRIVER_ERRORS = (sqlite3.Error, psycopg.Error)


def refused_by_store(err: Exception) -> bool:
    """Tell a write that fails for what a message holds from one that fails for a while.

    The store refusing data (a data or integrity error, a value the driver
    cannot encode or bind) fails again on every retry: the batch is split and
    the message behind it dead-lettered. Everything else (connection lost,
    database locked, disk full, a statement or privilege the schema does not
    allow) is the store's state, not the message's: it is retried with backoff.
    """
    if isinstance(err, (DataError, IntegrityError, *DRIVER_REFUSALS)):
        return True
    if isinstance(err, StatementError) and not isinstance(err, DBAPIError):
        return True  # raised while binding a value, before the database saw it
    return isinstance(err, ValueError | TypeError | OverflowError)


def database_message(err: Exception) -> str:
    """The database's own words, one line, without the statement or its parameters."""
    cause = getattr(err, "orig", None) or err.__cause__ or err
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"[:300]


class BatchWriter:
    """Validates and writes batches, heartbeats and prunes on one engine."""

    def __init__(
        self, engine: Engine, districts: frozenset[str], letters_per_reason: int = MAX_PER_REASON
    ) -> None:
        self.engine = engine
        self.districts = districts
        self.letters_per_reason = letters_per_reason

    def write(self, items: Sequence[RawMessage]) -> dict[str, int]:
        """Validate and commit a batch; return the counters it added.

        One transaction when the store takes it all. When it refuses something
        a message holds, the batch is halved until the message is alone; the
        store keeps the rest and the refused message is dead-lettered with the
        database's words, so one poison message never stalls the stream.
        """
        try:
            return self._commit(items)
        except Exception as err:
            if not refused_by_store(err):
                raise
            if len(items) == 1:
                return self._refuse(items[0], err)
            log.warning("the store refused a batch of %d (%s); splitting it",
                        len(items), database_message(err))  # fmt: skip
        middle = len(items) // 2
        counts = Counter(self.write(items[:middle]))
        counts.update(self.write(items[middle:]))
        return dict(counts)

    def _refuse(self, item: RawMessage, err: Exception) -> dict[str, int]:
        """Dead-letter one message the store would not take, with the database's words."""
        detail = database_message(err)
        log.error("the store refused a message on %s: %s", item.printable_topic[:120], detail)
        district = None
        if item.topic and item.topic.count("/") >= 2:
            district = item.topic.split("/")[2]
        letter = DeadLetter(
            datetime.fromtimestamp(item.received, UTC),
            item.printable_topic,
            item.payload,
            STORE_REFUSED,
            detail,
            district if district in self.districts else None,
            item.size,
            item.sha256,
        )
        try:
            with self.engine.begin() as conn:
                kept = add_dead_letters(conn, [letter], keep=self.letters_per_reason)
                counts = Counter(received=1, rejected=len(kept), duplicates=1 - len(kept))
                counts.update(f"rejected:{letter.reason}" for letter in kept)
                writes.add_counters(conn, counts)
        except Exception as second:
            if not refused_by_store(second):
                raise
            # Not even as a dead letter: the log is the last record, whole.
            log.error("the store refused the dead letter too (%s); topic %r, payload (base64) %s",
                      database_message(second), item.printable_topic,
                      base64.b64encode(item.payload).decode())  # fmt: skip
            return {"received": 1, "unrecorded": 1}
        return dict(counts)

    def _commit(self, items: Sequence[RawMessage]) -> dict[str, int]:
        now = datetime.now(UTC)
        readings, reports, letters = classify(items, self.districts)
        with self.engine.begin() as conn:
            new = writes.insert_readings(conn, readings, received_at=now)
            writes.upsert_latest(conn, new, received_at=now)
            rollup_writes.add_rollups(conn, new)
            positions.upsert_positions(conn, new)
            writes.upsert_status(conn, reports, received_at=now)
            kept = add_dead_letters(conn, letters, keep=self.letters_per_reason)
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

    def heartbeat(self, beat: Heartbeat) -> None:
        """Record that an ingestor is alive and whether it holds a broker connection."""
        with self.engine.begin() as conn:
            writes.heartbeat(
                conn,
                ingestor_id=beat.ingestor_id,
                broker=beat.broker,
                connected=beat.connected,
                started_at=beat.started_at,
                now=datetime.now(UTC),
                last_message_at=beat.last_message_at,
                reconnects=beat.reconnects,
                session_losses=beat.session_losses,
            )

    def prune(self, days: float) -> int:
        """Delete raw rows older than the retention; return how many."""
        cutoff = writes.retention_cutoff(datetime.now(UTC), days)
        with self.engine.begin() as conn:
            return writes.prune(conn, before=cutoff)

    def execute(self, command: Command[Any]) -> object:
        """Carry out one command; the answer is of the type the command names."""
        match command:
            case Write(items):
                return self.write(items)
            case Heartbeat():
                self.heartbeat(command)
                return None
            case Prune(days):
                return self.prune(days)
        raise TypeError(f"not a writer command: {type(command).__name__}")


class StoreWriter(ABC):
    """The ingestor's side of the writer: one typed method per command.

    Each method raises StoreUnavailable when the store cannot take the command
    now; the ingestor keeps what it holds and tries again.
    """

    def write(self, items: Sequence[RawMessage]) -> Counts:
        """Validate and commit a batch; return the counters it added."""
        return self.run(Write(items))

    def heartbeat(self, beat: Heartbeat) -> None:
        """Record the ingestor's heartbeat."""
        self.run(beat)

    def prune(self, days: float) -> int:
        """Delete raw rows older than ``days`` days; return how many."""
        return self.run(Prune(days))

    @abstractmethod
    def start(self) -> None:
        """Make the writer ready for commands."""

    @abstractmethod
    def run(self, command: Command[R]) -> R:
        """Carry out a command and return its answer."""

    @abstractmethod
    def stop(self) -> None:
        """Finish; no command is taken after this."""


class InlineWriter(StoreWriter):
    """Run the writer in the calling thread (IOC_INGEST_WRITER=thread)."""

    def __init__(
        self, engine: Engine, districts: frozenset[str], letters_per_reason: int = MAX_PER_REASON
    ) -> None:
        self._writer = BatchWriter(engine, districts, letters_per_reason)

    def start(self) -> None:
        """Nothing to start."""

    def run(self, command: Command[R]) -> R:
        """Carry out a command here; a store error becomes StoreUnavailable."""
        try:
            return cast(R, self._writer.execute(command))
        except (SQLAlchemyError, *DRIVER_ERRORS) as err:
            raise StoreUnavailable(str(err.__cause__ or err).splitlines()[0]) from err
        except Exception as err:  # a bug must not end the writer thread; the batch is retried
            log.exception("writer command %s failed", type(command).__name__.lower())
            raise StoreUnavailable(f"{type(err).__name__}: {err}") from err

    def stop(self) -> None:
        """Nothing to stop."""


def _serve(
    url: str,
    districts: frozenset[str],
    connection: Connection,
    log_level: str,
    letters_per_reason: int,
) -> None:
    """Answer writer commands from the ingestor until told to stop or the pipe closes."""
    # Ctrl-C in a terminal reaches the whole process group; the ingestor stops this
    # child itself (Stop, or the pipe closing), after its last batch is committed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(log_level)
    writer = InlineWriter(make_engine(url), districts, letters_per_reason)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break
        match message:
            case Stop():
                break
            case Command():
                try:
                    answer: Done | Unavailable = Done(writer.run(message))
                except StoreUnavailable as err:
                    answer = Unavailable(str(err))
                if not _answer(connection, answer):
                    break
            case _:  # answered all the same: the ingestor waits for every answer
                refusal = Unavailable(f"not a writer command: {type(message).__name__}")
                if not _answer(connection, refusal):
                    break


def _answer(connection: Connection, answer: Done | Unavailable) -> bool:
    """Send an answer; False when the ingestor is gone (killed: its pipe is broken).

    What the writer committed for it stays committed; the broker sends the messages
    again to whichever ingestor comes next, and they are counted as duplicates."""
    try:
        connection.send(answer)
    except OSError:
        log.warning("the ingestor that started this writer is gone; the writer stops")
        return False
    return True


class WriterProcess(StoreWriter):
    """A child process that owns the store's ingest writes (the default)."""

    def __init__(
        self,
        url: str,
        districts: frozenset[str],
        log_level: str = "INFO",
        letters_per_reason: int = MAX_PER_REASON,
    ) -> None:
        self.url = url
        self.districts = districts
        self.log_level = log_level
        self.letters_per_reason = letters_per_reason
        # spawn, not fork: the parent already runs threads (paho, the writer thread).
        self._context = multiprocessing.get_context("spawn")
        self._process: SpawnProcess | None = None
        self._pipe: Connection | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child process."""
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve,
            args=(self.url, self.districts, child, self.log_level, self.letters_per_reason),
            name="ioc-writer",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._pipe = parent

    def run(self, command: Command[R]) -> R:
        """Send a command and wait for its answer; restart the child if it died."""
        with self._lock:
            try:
                pipe = self._connection()
                pipe.send(command)
                answer = pipe.recv()
            except (EOFError, OSError, BrokenPipeError) as err:
                log.error("the writer process died (%s); starting a new one", err)
                self._restart()
                raise StoreUnavailable("the writer process died") from err
        match answer:
            case Done(result):
                return cast(R, result)
            case Unavailable(reason):
                raise StoreUnavailable(reason)
        raise StoreUnavailable(f"the writer answered {type(answer).__name__}")

    def _connection(self) -> Connection:
        """Return the pipe to the child, which start() opens."""
        if self._pipe is None:
            raise RuntimeError("the writer process is not started")
        return self._pipe

    def _restart(self) -> None:
        telemetry.INGEST_WRITER_RESTARTS.inc()
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
            pipe = self._connection()
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(Stop())
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            pipe.close()
        self._process = None
