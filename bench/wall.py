"""Wall benchmark: server time per refresh, publish-to-screen latency, first render, page weight.

``python -m bench.wall`` (in ``make bench``) fills a SQLite store with 30 days of history for
3,000 sources (``bench.history``; reused while filled with the same parameters) and measures:
server time per refresh interval in this process (one snapshot build plus ``updates()``, and a
second screen in the same interval); the page's refresh callback over HTTP from 1 and 10
screens against ``app.py`` on a copy of the store, its simulator keeping ~3,000 sources live
(private Mosquitto on a free loopback port); in headless Chromium, the latency from publishing
a district IOC's status to the wall showing it, the first render of /wall and its transfer size.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.broker import start_broker
from bench.machine import BenchError, machine_info
from bench.store import ensure_store
from bench.wall_app import accepted, replay, running_app, tail
from bench.wall_browser import in_browser
from bench.wall_refresh import in_process
from bench.wall_report import report
from feeds.demo import models as sim
from ioc.areas import load_areas
from ioc.config import ROOT, Settings
from ioc.services.kpis import load_kpis


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.wall",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    add = parser.add_argument
    add("--db", default=str(ROOT / "var" / "bench-wall.db"), help="store (var/bench-wall.db)")
    add("--sources", type=int, default=3000, help="sources in the history (3000)")
    add("--days", type=float, default=30, help="days of history (30)")
    add("--refill", action="store_true", help="fill the store again even if it matches")
    add("--samples", type=int, default=300, help="in-process refresh intervals (300)")
    add("--latency-samples", type=int, default=20, help="publish-to-screen samples (20)")
    add("--cold-loads", type=int, default=5, help="first renders in fresh contexts (5)")
    add("--screens", default="1,10", help="HTTP screen counts, comma-separated (1,10)")
    add("--http-seconds", type=float, default=30, help="per HTTP screen count (30)")
    add("--in-process-only", action="store_true", help="skip the app, HTTP and the browser")
    add("--keep-db", action="store_true", help="keep the app's copy of the store and its log")
    args = parser.parse_args(argv)
    args.screens = [int(n) for n in args.screens.split(",") if n.strip()]
    if min(args.samples, args.latency_samples, args.cold_loads, *args.screens) < 1:
        parser.error("counts must be at least 1")
    return args


def measure_app(args, settings: Settings, areas, workdir: Path, result: dict) -> None:
    """Run app.py on a copy of the store with a live simulator; measure browser and HTTP."""
    copy, refresh_s = workdir / "wall.db", settings.wall_refresh_ms / 1000
    with (
        contextlib.closing(sqlite3.connect(args.db)) as src,
        contextlib.closing(sqlite3.connect(copy)) as dst,
    ):
        src.backup(dst)  # live ingest changes the copy; the bench store stays as filled
    before, at_scale_1 = accepted(copy), sum(len(sim.sources_for(a)) for a in areas.areas)
    broker = start_broker(argparse.Namespace(broker_url=None, broker_inflight=None), workdir)
    try:
        result["broker"] = broker.name
        with running_app(copy, broker.url, args.sources / at_scale_1, workdir) as base:
            deadline = time.monotonic() + 90
            while accepted(copy) - before < 0.95 * args.sources and time.monotonic() < deadline:
                time.sleep(1)  # every source live before measuring
            print(f"app at {base}: {accepted(copy) - before:,} live readings", file=sys.stderr)
            slug = areas.areas[-1].slug  # not the district the page's district scope shows
            b = result["browser"] = in_browser(base, args, refresh_s, broker.url, slug)
            url, body, headers = b.pop("request")
            keep = ("content-type", "accept", "accept-encoding")  # as the browser sent them
            headers = {k: v for k, v in headers.items() if k.lower() in keep}
            runs = [(n, False) for n in args.screens] + [(max(args.screens), True)]
            result["http"] = {
                f"{n} screen{'s' * (n > 1)}{', in step' if step else ''}": replay(
                    url, body, headers, n, args.http_seconds, refresh_s, step
                )
                for n, step in runs
            }
    finally:
        broker.stop()
    noted = [line for line in tail(workdir / "app.log", 2000).splitlines()
             if any(w in line for w in ("WARNING", "ERROR", "Traceback"))]  # fmt: skip
    result["app_log"] = "\n".join(noted[-15:])


def run(args: argparse.Namespace) -> dict:
    """Fill or reuse the store, then measure in-process, over HTTP and in the browser."""
    began, settings = time.monotonic(), Settings(_env_file=None)
    areas, kpis = load_areas(settings.areas_file), load_kpis(settings.kpis_file)
    result: dict = {"machine": machine_info("-"), "db": args.db}
    result["store"] = store = ensure_store(args, areas)
    fill_now = datetime.fromisoformat(store["filled"]["now"])
    result["in_process"] = in_process(args, settings, areas, kpis, fill_now)
    if not args.in_process_only:
        workdir = Path(tempfile.mkdtemp(prefix="ioc-bench-wall-"))
        try:
            measure_app(args, settings, areas, workdir, result)
        finally:
            if args.keep_db:
                print(f"kept the app's store and log in {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = time.monotonic() - began
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    try:
        result = run(args)
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 1
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
