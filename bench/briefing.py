"""Briefing benchmark: time to take a snapshot, to render it, and to print its PDF.

``python -m bench.briefing`` (in ``make bench``) reuses (or fills) the wall benchmark's
store (``bench.history``: 3000 sources, 30 days) and times, in this process:
taking a city snapshot (a fresh wall snapshot, the record, canonical JSON and its
digest, the insert), taking a district snapshot (the busiest district: its 24-hour
page on three tabs as well), rendering the snapshot page, rendering the self-contained
HTML file (plotly.js and fonts inlined), and printing the PDF with headless Chromium
(a new Chromium process each time, as the app does). Goals: take ≤ 1 s, PDF ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from bench.figures import row, stats
from bench.machine import BenchError, machine_info
from bench.store import ensure_store
from ioc.areas import load_areas
from ioc.config import ROOT, Settings
from ioc.services.container import EXTENSION_KEY
from ioc.services.kpis import load_kpis
from ioc.store import queries
from ioc.store.engine import make_engine
from ioc.store.schema import snapshots
from pages.briefing.pdf import find_chromium, html_to_pdf
from pages.web import create_app
from widgets.briefing import Assets, document, plotly_js

TAKE_GOAL_MS, PDF_GOAL_MS = 1000, 5000


def _timed(fn) -> tuple[float, object]:
    began = time.perf_counter()
    value = fn()
    return (time.perf_counter() - began) * 1000, value


def run(args: argparse.Namespace) -> dict:
    """Fill or reuse the store, then take, render and print snapshots."""
    began, settings = time.monotonic(), Settings(_env_file=None)
    areas, kpis = load_areas(settings.areas_file), load_kpis(settings.kpis_file)
    result: dict = {"machine": machine_info("-"), "db": args.db}
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    result["store"] = store = ensure_store(args, areas)
    # The snapshots taken here are deleted at the end: the store stays as filled.
    engine = make_engine(f"sqlite:///{args.db}")
    with engine.connect() as conn:
        before = conn.execute(select(func.max(snapshots.c.id))).scalar() or 0
    try:
        app = create_app(settings.model_copy(update={"metrics_file": None}), engine=engine,
                         areas=areas, kpis=kpis)  # fmt: skip
        services = app.server.extensions[EXTENSION_KEY]
        with engine.connect() as conn:
            per_district = Counter(r.district for r in queries.latest_by_source(conn))
        slug = per_district.most_common(1)[0][0]
        result["slug"], result["district_sources"] = slug, per_district[slug]
        now = datetime.fromisoformat(store["filled"]["now"])
        made, took = [], {"take_city": [], "take_district": [], "page": [], "html": [], "pdf": []}
        for i in range(args.repeats + 1):  # the first of each is a warm-up
            at = now + timedelta(seconds=i)
            ms, snap = _timed(lambda at=at: services.briefing.take(now=at, title="bench"))
            ms_d, _ = _timed(lambda at=at: services.briefing.take(now=at, scope=slug))
            if i:
                took["take_city"].append(ms)
                took["take_district"].append(ms_d)
            made.append(snap)
        snap = made[-1]
        meta = {"id": snap.id, "sha256": snap.sha256, "intact": snap.intact}
        record = snap.record
        result["record_bytes"] = len(snap.text.encode("utf-8"))
        for _ in range(args.repeats):
            took["page"].append(_timed(lambda: document(
                record, meta=meta, lang="vi", assets=Assets(inline=False)))[0])  # fmt: skip
        inline = Assets(inline=True, plotly_js=plotly_js())
        html = ""
        for _ in range(args.repeats):
            ms, html = _timed(lambda: document(record, meta=meta, lang="vi", assets=inline))
            took["html"].append(ms)
        result["html_bytes"] = len(html.encode("utf-8"))
        chromium = find_chromium(settings.chromium)
        if chromium is None:
            result["pdf"] = "no Chromium: PDF not timed"
        else:
            pdf = b""
            for _ in range(args.pdf_repeats):
                ms, pdf = _timed(lambda: html_to_pdf(html, chromium))
                took["pdf"].append(ms)
            result["pdf_bytes"] = len(pdf)
        result["timings"] = {name: stats(values) for name, values in took.items()}
    finally:
        with engine.begin() as conn:
            conn.execute(delete(snapshots).where(snapshots.c.id > before))
        engine.dispose()
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = time.monotonic() - began
    return result


def report(r: dict) -> str:
    """The figures as a table, with the machine, the store and the goals."""
    m, s, tm = r["machine"], r["store"], r["timings"]
    goals = {"take_city": TAKE_GOAL_MS, "take_district": TAKE_GOAL_MS, "pdf": PDF_GOAL_MS}
    labels = {
        "take_city": "take a city snapshot",
        "take_district": f"take a district snapshot ({r['slug']}, {r['district_sources']} src)",
        "page": "render the snapshot page (HTML, linked assets)",
        "html": "render the HTML file (plotly.js, fonts inlined)",
        "pdf": "print the PDF (headless Chromium, new process)",
    }
    out = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"load {m['load_avg_1min_before']} before, {r['load_after']} after; Python {m['python']}, "
        f"SQLite {m['sqlite']}",
        f"store:   {r['db']}: {s['params']['sources']} sources, {s['params']['days']:g} days"
        f"{' (reused)' if s.get('reused') else ''}",
        f"sizes:   record {r['record_bytes']:,} B (canonical JSON), HTML file "
        f"{r['html_bytes']:,} B" + (f", PDF {r['pdf_bytes']:,} B" if "pdf_bytes" in r else ""),
        "",
        f"{'':46}{'p50':>8}{'p95':>8}{'max':>8} unit   n  goal",
    ]
    for key, label in labels.items():
        goal = goals.get(key)
        timing = tm.get(key, {})
        met = None if goal is None or not timing.get("n") else timing["p95"] <= goal
        out.append(row(label, timing, "ms", f"p95 <= {goal} ms" if goal else "", met))
    if isinstance(r.get("pdf"), str):
        out.append(r["pdf"])
    out.append(f"\nbench took {r['seconds']:.0f} s")
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.briefing",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    add = parser.add_argument
    add("--db", default=str(ROOT / "var" / "bench-wall.db"), help="store (var/bench-wall.db)")
    add("--sources", type=int, default=3000, help="sources in the history (3000)")
    add("--days", type=float, default=30, help="days of history (30)")
    add("--refill", action="store_true", help="fill the store again even if it matches")
    add("--repeats", type=int, default=20, help="snapshots taken and rendered (20)")
    add("--pdf-repeats", type=int, default=5, help="PDFs printed (5)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.pdf_repeats < 1:
        parser.error("--repeats and --pdf-repeats must be at least 1")
    return args


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
