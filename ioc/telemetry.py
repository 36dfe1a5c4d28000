"""What operators' Prometheus reads: the product's own metrics, all named ``ioc_…``.

The metric objects live here, once per process, and the parts that know a
number record it: the ingestor (messages, batches, queue, broker), the database
metric evaluator, the wall, and every HTTP request (pages/web.py). ``/metrics``
(ioc/api.py) writes them in Prometheus' text format; the last message's age per
district and feed is read from the store when Prometheus asks (``FeedAges``).

Under gunicorn each worker is a process: set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty folder shared by the workers (prometheus_client's multiprocess mode) and
``/metrics`` adds them up. An ingestor run on its own (``python -m feeds.ingest``)
serves its metrics on ``IOC_PROMETHEUS_PORT``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Every name is the product's: the library's own process metrics come back as ioc_process_…,
# and no "_created" series (a counter's start time) doubles what Prometheus reads.
disable_created_metrics()  # type: ignore[no-untyped-call]
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.unregister(_default)
ProcessCollector(namespace="ioc")
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- ingest --------------------------------------------------------------------------------
INGEST_ACCEPTED = Counter("ioc_ingest_accepted", "Readings and statuses stored.")
INGEST_DUPLICATES = Counter(
    "ioc_ingest_duplicates", "Readings received again and stored once (idempotency key)."
)
INGEST_REJECTED = Counter(
    "ioc_ingest_rejected", "Messages refused and dead-lettered, by reason.", ["reason"]
)
INGEST_COMMIT = Histogram(
    "ioc_ingest_batch_commit_seconds", "Time to validate and commit one batch.", buckets=FAST
)
INGEST_WRITER_RESTARTS = Counter(
    "ioc_ingest_writer_restarts", "Times the store writer's child process was started again."
)
MQTT_RECONNECTS = Counter("ioc_mqtt_reconnects", "Connections to the broker made again.")
MQTT_SESSION_LOSSES = Counter(
    "ioc_mqtt_session_losses",
    "Reconnections where the broker had kept no session: queued messages may be lost.",
)

# --- database metrics, the wall, HTTP -------------------------------------------------------
METRIC_EVALUATION = Histogram(
    "ioc_metric_evaluation_seconds", "Time to evaluate one database metric.", ["metric"],
    buckets=FAST,
)  # fmt: skip
METRIC_ERRORS = Counter("ioc_metric_errors", "Database metric evaluations that failed.", ["metric"])
WALL_SNAPSHOT_BUILD = Histogram(
    "ioc_wall_snapshot_build_seconds", "Time to build the wall's snapshot of one interval.",
    buckets=FAST,
)  # fmt: skip
HTTP_LATENCY = Histogram(
    "ioc_http_request_duration_seconds", "Time to answer a request, by route.",
    ["route", "method"], buckets=FAST,
)  # fmt: skip


def record_batch(counts: dict[str, int], seconds: float) -> None:
    """Count one committed batch (the writer's counters) and its time."""
    INGEST_COMMIT.observe(seconds)
    INGEST_ACCEPTED.inc(counts.get("accepted", 0) + counts.get("status_updates", 0))
    INGEST_DUPLICATES.inc(counts.get("duplicates", 0))
    for key, n in counts.items():
        if key.startswith("rejected:") and n:
            INGEST_REJECTED.labels(key.removeprefix("rejected:")).inc(n)


QUEUE_MESSAGES = Gauge("ioc_ingest_queue_messages", "Messages received, waiting for the store.")
QUEUE_BYTES = Gauge("ioc_ingest_queue_bytes", "Bytes of the messages waiting for the store.")
OLDEST_UNACKED = Gauge(
    "ioc_ingest_oldest_unacked_age_seconds",
    "Age of the oldest message received and not yet acknowledged to the broker.",
)


def queue_gauges(
    messages: Callable[[], float], size: Callable[[], float], oldest: Callable[[], float]
) -> None:
    """The ingestor's queue, read when Prometheus asks (the latest ingestor of a process)."""
    if MULTIPROCESS:  # read at a scrape: only in the ingestor's own process and registry
        return
    QUEUE_MESSAGES.set_function(messages)
    QUEUE_BYTES.set_function(size)
    OLDEST_UNACKED.set_function(oldest)


class FeedAges(Collector):
    """``ioc_feed_last_message_age_seconds{district, feed}``, read from the store on a scrape."""

    def __init__(self, ages: Callable[[], Iterable[tuple[str, str, float | None]]]) -> None:
        self._ages = ages

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "ioc_feed_last_message_age_seconds",
            "Seconds since the newest reading of a district's feed (absent: none yet).",
            labels=["district", "feed"],
        )
        for district, feed, age in self._ages():
            if age is not None:
                family.add_metric([district, feed], age)
        yield family


def serve(port: int, host: str, extra: Iterable[Collector] = ()) -> None:
    """Serve this process's metrics (and ``extra``) on a port of their own, in a thread."""
    for collector in extra:
        REGISTRY.register(collector)
    start_http_server(port, addr=host)


def exposition(extra: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text Prometheus reads, and its content type: this process's metrics or, in
    multiprocess mode, every worker's, then those of ``extra`` collectors."""
    if MULTIPROCESS:
        workers = CollectorRegistry()
        MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
        text = generate_latest(workers)
    else:
        text = generate_latest(REGISTRY)
    more = CollectorRegistry()
    for collector in extra:
        more.register(collector)
    return text + generate_latest(more), CONTENT_TYPE_LATEST
