"""Benchmark: evaluation time of the whole demo metric catalogue (``python -m bench.metrics``).

Builds a fresh demo warehouse and store in a temporary folder, evaluates every
metric of ``ioc/defaults/metrics.toml`` (read-only engines, values stored) a
number of rounds, and prints per-round and per-metric times. Figures go to
docs/performance.md by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from feeds.demo.warehouse import build_demo_warehouse
from ioc.areas import load_areas
from ioc.clock import LOCAL_TZ
from ioc.config import DEFAULT_AREAS_FILE, DEFAULT_METRICS_FILE, ROOT
from ioc.metrics.catalogue import load_catalogue
from ioc.metrics.evaluate import MetricEvaluator
from ioc.store.engine import make_engine, migrate


def percentile(values: list[float], share: float) -> float:
    """The value under which ``share`` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Evaluate the demo catalogue ROUNDS times and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.metrics", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="evaluations of the catalogue (20)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-metrics-") as folder:
        warehouse = Path(folder) / "demo-warehouse.db"
        today = datetime.now(UTC).astimezone(LOCAL_TZ).date()
        started = time.perf_counter()
        build_demo_warehouse(warehouse, today=today)
        built = time.perf_counter() - started
        text = DEFAULT_METRICS_FILE.read_text(encoding="utf-8").replace(
            "sqlite:///var/demo-warehouse.db", f"sqlite:///{warehouse}"
        )
        catalogue_file = Path(folder) / "metrics.toml"
        catalogue_file.write_text(text, encoding="utf-8")
        catalogue = load_catalogue(catalogue_file, root=ROOT)
        store = make_engine(f"sqlite:///{Path(folder) / 'store.db'}")
        migrate(store)
        evaluator = MetricEvaluator(catalogue, store, load_areas(DEFAULT_AREAS_FILE).slugs)
        rounds, per_metric = [], {m.id: [] for m in catalogue.metrics}
        for index in range(args.rounds):
            started = time.perf_counter()
            outcomes = evaluator.run_due(now_monotonic=float(index) * 1e6)  # every metric due
            rounds.append(1000 * (time.perf_counter() - started))
            for outcome in outcomes:
                assert outcome.error is None, (outcome.metric_id, outcome.error)
                per_metric[outcome.metric_id].append(outcome.duration_ms)
        evaluator.runner.dispose()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown CPU",
    )  # fmt: skip
    print(f"machine: {cpu}, {os.cpu_count()} cores")
    print(f"demo warehouse built in {built:.2f} s")
    print(
        f"whole catalogue ({len(catalogue.metrics)} metrics, queries and storing), "
        f"{args.rounds} rounds: p50 {statistics.median(rounds):.1f} ms, "
        f"p95 {percentile(rounds, 0.95):.1f} ms, max {max(rounds):.1f} ms"
    )
    slowest = sorted(per_metric.items(), key=lambda item: -statistics.median(item[1]))[:5]
    print("slowest metrics (query only, median):")
    for metric_id, times in slowest:
        print(f"  {metric_id:38} {statistics.median(times):6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
