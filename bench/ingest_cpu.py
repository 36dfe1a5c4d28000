"""Where the ingest CPU goes: CPU seconds per message of each process, and the writer's profile.

``python -m bench.ingest_cpu`` (in ``make bench``) answers why the ingestor reaches only part
of a bare paho subscriber's rate on a 2-core machine. It runs, on a private Mosquitto:

1. the ceiling: a bare paho subscriber that only counts (``bench.ingest_ceiling``);
2. the product: the real ingestor (MQTT side in this process, the store writer in its
   child process) into a fresh SQLite file (``bench.ingest_product``);

and samples every 0.1 s the CPU time (user + system, from ``/proc/<pid>/stat``) of the
broker, this process and each of its children (the publisher, the writer). Between the
first and the last message of a run, CPU seconds / messages is what each process costs a
message. With every process busy at once, the machine's cores bound the rate at
``cores / (sum of the costs)``; the ratio of the two sums bounds the product's ratio to the
ceiling, whatever the machine's load. Last, it profiles the writer's own work in this
process (cProfile over ``BatchWriter.write``, batches of 5,000): JSON, validation, SQL.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.broker import spawn_mosquitto
from bench.ingest_ceiling import run_ceiling
from bench.ingest_product import run_product
from bench.machine import machine_info
from feeds.commands import RawMessage
from feeds.writer import BatchWriter
from ioc.areas import load_areas
from ioc.config import Settings
from ioc.contract import TrafficPayload, topic_for
from ioc.store.engine import make_engine, migrate

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[str, float] | None:
    """A process's name and CPU seconds so far (user + system), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    return name, (int(rest[11]) + int(rest[12])) / TICK


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                found.append(int(entry))
    return found


class Sampler(threading.Thread):
    """CPU seconds of the broker, this process and its children, every 0.1 s."""

    def __init__(self, broker_pid: int) -> None:
        super().__init__(daemon=True)
        self.broker_pid, self.samples = broker_pid, []
        self.roles: dict[int, str] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        self.roles = {self.broker_pid: "broker", me: "bench"}
        while not self.stop_event.is_set():
            now, seen = time.time(), {}
            for pid in {self.broker_pid, me, *_children(me)}:
                if self.roles.get(pid, "other") == "other":
                    self.roles[pid] = _role(pid)  # an exec'ing child may not show it yet
                got = _cpu(pid)
                if got:
                    seen[pid] = got[1]
            self.samples.append((now, seen))
            self.stop_event.wait(0.1)

    def spent(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds of each role between two wall times (nearest samples)."""
        before = max((s for s in self.samples if s[0] <= start), default=self.samples[0])[1]
        after: dict[int, float] = {}
        for at, seen in self.samples:  # a process that ended keeps its last figure
            if at <= end + 0.1:
                after.update(seen)
        out: dict[str, float] = {}
        for pid, seconds in after.items():
            role = self.roles.get(pid, "other")
            out[role] = out.get(role, 0.0) + seconds - before.get(pid, 0.0)
        return out


def _role(pid: int) -> str:
    """What a child of the bench is, from its command line."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "gone"
    if b"bench.publisher" in command:
        return "publisher"
    if b"multiprocessing" in command:
        return "writer"
    return "other"


def _broker_pid(config: Path) -> int:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(config).encode() in cmd:
                return int(entry)
    raise RuntimeError("the spawned mosquitto was not found")


def per_message(spent: dict[str, float], n: int) -> dict[str, float]:
    """Microseconds of CPU per message, by role (broker, bench process, publisher, writer)."""
    labels = {"bench": "subscriber / ingestor MQTT side"}
    return {labels.get(role, role): seconds * 1e6 / n for role, seconds in spent.items()}


def profile_writer(messages: int, batch: int = 5000) -> tuple[float, str]:
    """The writer's own work in this process: µs a message, and its costliest functions."""
    areas = load_areas(Settings(_env_file=None).areas_file)
    slugs = sorted(areas.slugs)
    base = datetime.now(UTC) - timedelta(days=2)
    items = []
    for i in range(messages):
        topic = topic_for(slugs[i % len(slugs)], "traffic", f"cam-{i % 3000:04d}")
        body = TrafficPayload(ts=base + timedelta(seconds=i // 3000), vehicles=i % 40,
                              speed_kmh=20 + i % 30, seq=i).to_json().encode()  # fmt: skip
        items.append(RawMessage(topic, topic, body, time.time()))
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/profile.db")
        migrate(engine)
        writer = BatchWriter(engine, areas.slugs)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for start in range(0, messages, batch):
            writer.write(items[start : start + batch])
        profiler.disable()
        took = time.perf_counter() - began
        engine.dispose()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
    return took * 1e6 / messages, text.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest_cpu", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--messages", type=int, default=100_000, help="per run (100000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    run_args = argparse.Namespace(messages=args.messages, sources=3000, timeout=300,
                                  database_url=None, batch_max=None,
                                  batch_interval_ms=None)  # fmt: skip
    areas = load_areas(Settings(_env_file=None).areas_file)
    result: dict = {"machine": machine_info("mosquitto"), "messages": args.messages}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        broker = spawn_mosquitto(workdir, None)
        sampler = Sampler(_broker_pid(workdir / "mosquitto.conf"))
        sampler.start()
        try:
            began = time.time()
            ceiling = run_ceiling(broker.url, run_args, 1)
            end = ceiling["ended_at"] or time.time()
            spent = sampler.spent(end - ceiling["seconds"], end)
            result["ceiling"] = {"rate": ceiling["rate"], "us": per_message(spent, args.messages)}
            product = run_product(broker.url, run_args, areas, 1, workdir)
            start = product["wall_start"]
            spent = sampler.spent(start, start + (product["seconds"] or 0))
            result["product"] = {"rate": product["rate"], "us": per_message(spent, args.messages)}
            result["wall_s"] = round(time.time() - began, 1)
        finally:
            sampler.stop_event.set()
            broker.stop()
    result["writer_us"], result["writer_profile"] = profile_writer(min(args.messages, 50_000))
    result["load_after"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    cores = result["machine"].get("cores") or os.cpu_count() or 1
    for run in ("ceiling", "product"):
        r = result[run]
        total = sum(r["us"].values())
        parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["us"].items(), key=lambda kv: -kv[1]))
        print(f"{run}: {r['rate']:,} msg/s; CPU µs a message: {parts}; total {total:.1f} "
              f"(bound at {cores} cores: {cores * 1e6 / total:,.0f} msg/s)")  # fmt: skip
    c, p = (sum(result[k]["us"].values()) for k in ("ceiling", "product"))
    print(
        f"bound on the ratio (ceiling's CPU / product's): {c / p:.2f}; "
        f"measured ratio {result['product']['rate'] / result['ceiling']['rate']:.2f}"
    )
    print(
        f"writer alone, in process: {result['writer_us']:.1f} µs a message; load after "
        f"{result['load_after']}\n{result['writer_profile']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
