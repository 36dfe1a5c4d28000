"""The ingestor: MQTT in, validated batches into the store, acknowledged only after commit.

Run alone with ``python -m feeds.ingest`` (needs IOC_MQTT_URL), or inside the
all-in-one ``python app.py``. paho's network thread only receives and queues;
a batch thread hands batches to the store writer (feeds/writer.py, by default
a child process on the other core), which validates, commits and answers;
only then is the batch acknowledged, so a message the broker considers
delivered is always in the store (as a reading or a dead letter).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from feeds.bounded import ByteBoundedQueue, Empty
from feeds.commands import Heartbeat, RawMessage
from feeds.mqtt import connect_kwargs, make_client
from feeds.writer import InlineWriter, StoreUnavailable, StoreWriter, WriterProcess
from ioc import telemetry
from ioc.areas import AreaCatalogue
from ioc.bootstrap import StartupError, boot, exit_on_startup_error, run_until_stopped
from ioc.config import Settings, redact_url
from ioc.contract import MAX_PAYLOAD_BYTES, SUBSCRIPTION
from ioc.store import queries
from ioc.store.letters import DEAD_LETTER_PAYLOAD_BYTES

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 5.0
PRUNE_EVERY_S = 600.0
# Bounded so a stalled database pushes back on the broker connection instead
# of filling memory; QoS 1 messages then wait at the broker. The byte bound is
# IOC_INGEST_QUEUE_MB; this one bounds the count of tiny messages.
QUEUE_MAX = 200_000
# What a queued message costs beside its topic and payload (the objects around them).
ENVELOPE_OVERHEAD = 400


@dataclass(frozen=True, slots=True)
class Envelope:
    """A received message waiting for its batch, with what is needed to ack it."""

    generation: int
    mid: int
    qos: int
    item: RawMessage


def topic_text(message: mqtt.MQTTMessage) -> tuple[str | None, str]:
    """Return (topic or None when not UTF-8, printable topic for the dead letter)."""
    try:
        return message.topic, message.topic
    except UnicodeDecodeError:
        raw = bytes(message._topic)  # paho keeps the raw bytes here
        return None, raw.decode("utf-8", errors="replace")


class Ingestor:
    """Subscribe to the contract's topics and write them to the store."""

    def __init__(self, settings: Settings, engine: Engine, areas: AreaCatalogue) -> None:
        self.settings = settings
        self.engine = engine
        self.districts = areas.slugs
        self.url = settings.mqtt_url or ""
        self.queue: ByteBoundedQueue[Envelope] = ByteBoundedQueue(
            max_items=QUEUE_MAX, max_bytes=settings.ingest_queue_mb * 1024 * 1024
        )
        self.stats: Counter[str] = Counter()
        self.connected = False
        # Set once the broker has acknowledged the subscription (SUBACK).
        self.subscribed = threading.Event()
        self.last_message_at: datetime | None = None
        self.started_at = datetime.now(UTC)
        self._generation = 0
        # Counted since this client id first ran (carried over from its heartbeat row):
        # connections made again, and those where the broker had kept no session.
        self.reconnects = 0
        self.session_losses = 0
        self._expect_session = False  # a session was held before (here, or by a past run)
        self._pending_since: float | None = None  # when the batch in hand was received
        # Messages received and not yet acknowledged (or, for QoS 0, committed).
        self._unsettled = 0
        self._unsettled_lock = threading.Lock()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        # An in-memory SQLite database cannot be shared with a child process.
        in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (
            None,
            "",
            ":memory:",
        )
        self.writer: StoreWriter
        if settings.ingest_writer == "process" and not in_memory:
            url = engine.url.render_as_string(hide_password=False)
            self.writer = WriterProcess(
                url, self.districts, settings.log_level, settings.dead_letters_per_reason
            )
        else:
            self.writer = InlineWriter(engine, self.districts, settings.dead_letters_per_reason)

    # --- MQTT side (paho's network thread) ---------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        self._generation += 1
        self.connected = True
        if self._generation > 1:
            self.reconnects += 1
            telemetry.MQTT_RECONNECTS.inc()
        if self._expect_session and not flags.session_present:
            self.session_losses += 1
            telemetry.MQTT_SESSION_LOSSES.inc()
            log.warning(
                "the broker at %s kept no session for %s (session present: False): QoS 1 "
                "messages queued for it while it was away may be lost (session loss %d)",
                redact_url(self.url), self.settings.mqtt_client_id, self.session_losses,
            )  # fmt: skip
        self._expect_session = True
        topic = SUBSCRIPTION
        if self.settings.mqtt_share_group:
            topic = f"$share/{self.settings.mqtt_share_group}/{SUBSCRIPTION}"
        client.subscribe(topic, qos=1)
        log.info(
            "connected to %s (session present: %s), subscribed to %s",
            redact_url(self.url),
            flags.session_present,
            topic,
        )

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("the broker refused the subscription: %s", reason_codes)
            return
        self.subscribed.set()

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self.connected = False
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting with backoff", reason_code)

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        # Networking only: validation happens beside the writes, on the other core.
        received = time.time()
        self.last_message_at = datetime.fromtimestamp(received, UTC)
        try:
            topic, printable = topic_text(message)
        except Exception:  # never let a message take the client thread down
            log.exception("unreadable topic")
            topic, printable = None, "<unreadable topic>"
        payload = message.payload
        if len(payload) > MAX_PAYLOAD_BYTES:
            # Too large to accept: keep what its dead letter keeps, not the whole.
            whole = hashlib.sha256(payload).hexdigest()
            head = bytes(payload[:DEAD_LETTER_PAYLOAD_BYTES])
            raw = RawMessage(topic, printable, head, received, len(payload), whole)
        else:
            raw = RawMessage(topic, printable, bytes(payload), received)
        with self._unsettled_lock:
            self._unsettled += 1
        size = len(raw.payload) + len(printable) + ENVELOPE_OVERHEAD
        self.queue.put(Envelope(self._generation, message.mid, message.qos, raw), size)

    # --- Writer side ---------------------------------------------------------

    def _collect(self) -> list[Envelope]:
        """Gather a batch: up to batch_max messages or batch_interval after the first."""
        try:
            first = self.queue.get(timeout=1.0)
        except Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_interval_ms / 1000
        limit = self.settings.batch_max
        while len(batch) < limit:
            try:
                batch.append(self.queue.get_nowait())
                continue
            except Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.queue.get(timeout=remaining))
            except Empty:
                break
        return batch

    def _commit_with_retry(self, batch: list[Envelope]) -> bool:
        """Keep trying a batch while the store is down; never drop it."""
        items = [envelope.item for envelope in batch]
        delay = 0.5
        while True:
            try:
                started = time.perf_counter()
                counts = self.writer.write(items)
                telemetry.record_batch(counts, time.perf_counter() - started)
                self.stats.update(counts)
                return True
            except StoreUnavailable as err:
                if self._stop.is_set():
                    log.error(
                        "store unavailable at shutdown; %d messages left unacknowledged "
                        "for the broker to deliver again: %s",
                        len(batch),
                        err,
                    )
                    return False
                log.error("store write failed, retrying in %.1f s: %s", delay, err)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _ack(self, batch: list[Envelope]) -> None:
        client = self._client
        generation = self._generation
        if client is not None:
            for envelope in batch:
                # An ack for a previous connection's packet id would ack the wrong
                # message; the broker redelivers those and the store dedups them.
                if envelope.qos > 0 and envelope.generation == generation:
                    client.ack(envelope.mid, envelope.qos)
        with self._unsettled_lock:
            self._unsettled -= len(batch)

    def _heartbeat(self) -> None:
        beat = Heartbeat(
            ingestor_id=self.settings.mqtt_client_id,
            broker=redact_url(self.url),
            connected=self.connected,
            started_at=self.started_at,
            last_message_at=self.last_message_at,
            reconnects=self.reconnects,
            session_losses=self.session_losses,
        )
        try:
            self.writer.heartbeat(beat)
        except StoreUnavailable as err:
            log.warning("could not write the ingestor heartbeat: %s", err)

    def _prune(self) -> None:
        try:
            removed = self.writer.prune(self.settings.retention_days)
            if removed:
                log.info(
                    "pruned %d raw rows older than %s days", removed, self.settings.retention_days
                )
        except StoreUnavailable as err:
            log.warning("pruning failed: %s", err)

    def _run_writer(self) -> None:
        next_heartbeat = 0.0
        next_prune = time.monotonic() + 30
        while not (self._stop.is_set() and self.queue.empty()):
            batch = self._collect()
            self._pending_since = batch[0].item.received if batch else None
            if batch and self._commit_with_retry(batch):
                self._ack(batch)
            self._pending_since = None
            now = time.monotonic()
            if now >= next_heartbeat:
                self._heartbeat()
                next_heartbeat = now + HEARTBEAT_EVERY_S
            if now >= next_prune:
                self._prune()
                next_prune = now + PRUNE_EVERY_S
        self.connected = False
        self._heartbeat()

    # --- Lifecycle ------------------------------------------------------------

    def _carry_over(self) -> None:
        """A client id that ran before held a session: expect it, and keep counting."""
        try:
            with self.engine.connect() as conn:
                before = queries.ingestor_heartbeat(conn, self.settings.mqtt_client_id)
        except SQLAlchemyError as err:
            log.warning("could not read this ingestor's earlier heartbeat: %s", err)
            return
        if before is not None:
            self._expect_session = True
            self.reconnects, self.session_losses = before.reconnects, before.session_losses

    def start(self) -> None:
        """Connect (retrying until the broker answers) and start writing."""
        settings = self.settings
        self._carry_over()
        telemetry.queue_gauges(
            lambda: self.queue.qsize(),
            lambda: self.queue.bytes,
            lambda: 0.0 if self._pending_since is None else time.time() - self._pending_since,
        )
        client, address = make_client(
            self.url,
            client_id=settings.mqtt_client_id,
            persistent=True,
            protocol=settings.mqtt_protocol,
            ca_file=settings.mqtt_ca_file,
            manual_ack=True,
            default_username="ioc-ingest",
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        # paho's own window for QoS 1 messages we publish is irrelevant here;
        # what we receive is bounded by the broker (see docs/performance.md).
        client.connect_async(
            address.host,
            address.port,
            keepalive=settings.mqtt_keepalive_s,
            **connect_kwargs(settings.mqtt_protocol, persistent=True),
        )
        self._client = client
        self.writer.start()
        self._writer = threading.Thread(target=self._run_writer, name="ingest-writer", daemon=True)
        self._writer.start()
        client.loop_start()
        log.info("ingestor %s starting against %s", settings.mqtt_client_id, redact_url(self.url))

    def stop(self, timeout: float = 10.0) -> None:
        """Commit and acknowledge what is queued, disconnect, write a last heartbeat."""
        # Drain while still connected, so what is committed is also acknowledged
        # and the broker need not send it again (bounded: the stream may not pause).
        deadline = time.monotonic() + min(timeout / 2, 2.0)
        while self._unsettled > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        if self._writer is not None:
            self._writer.join(timeout)
        self.writer.stop()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected and subscribed (the broker acknowledged the subscription)."""
        return self.subscribed.wait(timeout)


def need_broker(settings: Settings) -> None:
    """Refuse to run alone without a broker to subscribe to."""
    if not settings.mqtt_url:
        raise StartupError(
            "configuration error: IOC_MQTT_URL is required to run the ingestor alone "
            "(for example mqtt://127.0.0.1:1883)"
        )


def main(argv: list[str] | None = None) -> int:
    """Run one ingestor until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m feeds.ingest",
        description="Subscribe to ioc/v1/# on IOC_MQTT_URL and write readings to "
        "IOC_DATABASE_URL. Configure with IOC_* variables (see README); with "
        "IOC_PROMETHEUS_PORT, its Prometheus metrics are served on that port.",
    )
    parser.parse_args(argv)
    with exit_on_startup_error():
        started = boot(check=need_broker)
    settings = started.settings
    if settings.prometheus and settings.prometheus_port is not None:
        telemetry.serve(settings.prometheus_port, settings.host)
        log.info("Prometheus metrics on %s:%d/metrics", settings.host, settings.prometheus_port)
    run_until_stopped(Ingestor(settings, started.engine, started.areas))
    return 0


if __name__ == "__main__":
    sys.exit(main())
