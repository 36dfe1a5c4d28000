"""The ingest benchmark's product runs: the real ingestor on a fresh store, flooded and paced."""

from __future__ import annotations

import argparse
import bisect
import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.broker import discard_session, publish_probe
from bench.child import Child, start_publisher
from bench.machine import BenchError
from feeds.ingest import Ingestor
from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.store import queries
from ioc.store.engine import make_engine, migrate, private_schema
from ioc.store.schema import readings

POLL_S = 0.02


@contextlib.contextmanager
def fresh_store(base_url: str | None, workdir: Path) -> Iterator[str]:
    """A new SQLite file per run, or a private schema in the given PostgreSQL database."""
    backend = make_url(base_url).get_backend_name() if base_url else "sqlite"
    if backend == "sqlite":
        given = make_url(base_url).database if base_url else None
        if given and given != ":memory:" and not given.startswith("file:"):
            folder = Path(given).resolve().parent  # fresh files next to the one given
        else:
            folder = workdir
        path = folder / f"ioc-bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm", ".migrate-lock"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
        return
    with private_schema(base_url, "bench") as url:
        yield url


class RunningIngestor:
    """An Ingestor on a fresh store, proven subscribed; cleaned up on exit."""

    def __init__(self, url: str, store_url: str, args: argparse.Namespace, areas) -> None:
        self.url = url
        self.store_url = store_url
        self.areas: AreaCatalogue = areas
        self.client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
        overrides = {}
        if args.batch_max is not None:
            overrides["batch_max"] = args.batch_max
        if args.batch_interval_ms is not None:
            overrides["batch_interval_ms"] = args.batch_interval_ms
        self.settings = Settings(
            _env_file=None,
            mqtt_url=url,
            database_url=store_url,
            mqtt_client_id=self.client_id,
            **overrides,
        )
        self.engine = make_engine(store_url)
        migrate(self.engine)
        self.reader = make_engine(store_url)  # the benchmark's own polling connection
        self.ingestor = Ingestor(self.settings, self.engine, areas)

    def __enter__(self) -> RunningIngestor:
        self.ingestor.start()
        if not self.ingestor.wait_connected(15):
            self.close()
            raise BenchError("the ingestor did not connect within 15 s")
        # A status report through the broker proves the subscription is active.
        publish_probe(self.url, self.areas.areas[0].slug)
        deadline = time.monotonic() + 15
        while self.counters().get("status_updates", 0) < 1:
            if time.monotonic() > deadline:
                self.close()
                raise BenchError("the ingestor did not store the probe within 15 s")
            time.sleep(0.02)
        return self

    def counters(self) -> dict[str, int]:
        with self.reader.connect() as conn:
            return queries.counters(conn)

    def close(self) -> None:
        self.ingestor.stop()
        discard_session(self.url, self.client_id)
        self.engine.dispose()
        self.reader.dispose()

    def __exit__(self, *_exc) -> None:
        self.close()

    def wait_accepted(self, n: int, timeout: float) -> tuple[float | None, dict, int]:
        """Poll the counters until accepted >= n; return (wall time seen, counters, max queue)."""
        deadline = time.monotonic() + timeout
        max_queue, last_change, last_accepted = 0, time.monotonic(), -1
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            counts = self.counters()
            seen_at = time.time()
            max_queue = max(max_queue, self.ingestor.queue.qsize())
            accepted = counts.get("accepted", 0)
            if accepted >= n:
                return seen_at, counts, max_queue
            if accepted != last_accepted:
                last_accepted, last_change = accepted, time.monotonic()
            elif time.monotonic() - last_change > 15:
                break  # no progress for 15 s
            time.sleep(POLL_S)
        return None, counts, max_queue


def run_product(url: str, args: argparse.Namespace, areas, qos: int, workdir: Path) -> dict:
    """Publish N readings at `qos` to the running ingestor; time until all are committed."""
    n = args.messages
    publisher = start_publisher(url, messages=n, sources=args.sources, qos=qos, max_s=args.timeout)
    try:
        with (
            fresh_store(args.database_url, workdir) as store_url,
            RunningIngestor(url, store_url, args, areas) as running,
        ):
            publisher.wait_ready()
            publisher.go()
            done_at, counts, max_queue = running.wait_accepted(n, args.timeout)
            pub = publisher.finish(30)
            last_message = running.ingestor.last_message_at
            with running.reader.connect() as conn:
                rows = queries.count_readings(conn)
    finally:
        publisher.kill()
    start = pub["wall_start"]
    accepted = counts.get("accepted", 0)
    result = {
        "accepted": accepted,
        "rows": rows,
        "received": counts.get("received", 0) - 1,  # minus the probe
        "duplicates": counts.get("duplicates", 0),
        "rejected": counts.get("rejected", 0),
        "complete": done_at is not None and accepted == n and rows == n,
        "publisher_rate": pub.get("send_rate"),
        "max_queue": max_queue,
    }
    result["wall_start"] = start  # for bench.ingest_cpu's window
    if done_at is not None:
        result["seconds"] = round(done_at - start, 3)
        result["rate"] = round(n / (done_at - start))
    else:
        result["seconds"], result["rate"] = None, 0
    if last_message is not None:
        receive_s = last_message.timestamp() - start
        result["receive_rate"] = round(result["received"] / receive_s) if receive_s > 0 else None
    return result


def run_latency(url: str, args: argparse.Namespace, areas, workdir: Path) -> dict:
    """A paced QoS 1 run: publish time (payload ts) to the row's first visibility."""
    n = int(args.latency_rate * args.latency_seconds)
    max_s = args.latency_seconds * 3 + 60
    publisher = start_publisher(
        url, messages=n, sources=args.sources, qos=1, rate=args.latency_rate, max_s=max_s
    )
    watcher = None
    try:
        with (
            fresh_store(args.database_url, workdir) as store_url,
            RunningIngestor(url, store_url, args, areas) as running,
        ):
            watcher = Child(
                ["watch", f"--database-url={store_url}", "--every-ms=5", f"--max-seconds={max_s}"]
            )
            watcher.wait_ready(60)
            publisher.wait_ready()
            publisher.go()
            done_at, counts, _ = running.wait_accepted(n, max_s)
            time.sleep(0.05)
            watched = watcher.finish(30)
            pub = publisher.finish(30)
            with running.reader.connect() as conn:
                rows = conn.execute(
                    select(readings.c.id, readings.c.ts, readings.c.received_at).order_by(
                        readings.c.id
                    )
                ).all()
    finally:
        publisher.kill()
        if watcher is not None:
            watcher.kill()
    seen = watched["seen"]
    seen_ids = [top for top, _ in seen]
    commit_ms, start_ms = [], []
    for row_id, ts, received_at in rows:
        k = bisect.bisect_left(seen_ids, row_id)
        if k < len(seen):
            commit_ms.append((seen[k][1] - ts.timestamp()) * 1000)
        start_ms.append((received_at - ts).total_seconds() * 1000)
    return {
        "messages": n,
        "rate_asked": args.latency_rate,
        "publisher_rate": pub.get("send_rate"),
        "accepted": counts.get("accepted", 0),
        "complete": done_at is not None and len(rows) == n,
        "commit_ms": percentiles(commit_ms),
        "received_at_ms": percentiles(start_ms),
        "watch_every_ms": 5,
        "watch_poll_cost_ms": watched.get("poll_cost_ms_p50"),
    }


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    values = sorted(values)

    def pick(p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 1)

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": round(values[-1], 1)}
