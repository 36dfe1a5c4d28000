"""District page benchmark: server time to build one district's page, every tab and range.

``python -m bench.district`` (in ``make bench``) fills a SQLite store with 30 days of history for
500 sources (``bench.history``, per-source hourly rollups included; reused while filled with the
same parameters) and times, in this process, the page of the district with the most sources for
each tab (traffic, wifi, services) and range (1h, 24h, 7d, 30d), and with a camera selected
(24h, 30d): ``district_layout`` (the report and its Dash components) and the JSON Dash makes of
them. Then over the Flask test client (no socket): the same pages as a browser asks for them
(the pages' router callback, compressed as a browser accepts), and the 30-day CSV of cameras.

The clock is the fill's end, one wall refresh interval further at each render: every render
builds its own wall snapshot (the header's KPIs), as when no wall screen has just asked for one.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from plotly.io.json import to_json_plotly

from bench.figures import row, stats
from bench.machine import BenchError, machine_info
from bench.store import ensure_store
from ioc.areas import load_areas
from ioc.config import ROOT, Settings
from ioc.district_view import RANGES, TABS, parse_view
from ioc.scope import Scope
from ioc.services.container import EXTENSION_KEY
from ioc.services.kpis import load_kpis
from ioc.store import queries
from ioc.store.engine import make_engine
from pages.web import create_app

GOAL_MS = 300
DEFAULT_DB = ROOT / "var" / "bench-district.db"
ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium accepts
CSV_TABLE, CSV_RANGE = "traffic_sources", "30d"
PROFILE_RENDERS, PROFILE_LINES = 5, 25
# Per render: district_layout, of which the report, of which the wall snapshot; the rest of
# district_layout (Dash components); the components' JSON; district_layout and JSON.
TIMED = ("layout", "report", "snapshot", "components", "json", "page")


@dataclass(frozen=True)
class View:
    """One page to time: a tab, a range and perhaps a selected source."""

    tab: str
    range: str
    source: str | None = None

    @property
    def label(self) -> str:
        return f"{self.tab} {self.range}" + (f", {self.source} selected" if self.source else "")

    def query(self) -> dict[str, str]:
        query = {"tab": self.tab, "range": self.range}
        if self.source:
            query["source"] = self.source
        return query


def views_for(camera: str) -> list[View]:
    """Every tab x range, then a selected camera over a day and a month."""
    found = [View(tab, key) for tab in TABS for key in RANGES]
    return found + [View("traffic", "24h", camera), View("traffic", "30d", camera)]


class Clock:
    """The time the pages see: the fill's end, moved on one wall refresh interval per render.

    Within one minute (the wall's minute aggregates would be refreshed in a thread at the
    next); each render in a refresh interval of its own, so each builds a wall snapshot.
    """

    def __init__(self, fill_now: datetime, step: timedelta) -> None:
        self.start = (fill_now - timedelta(minutes=1)).replace(second=0, microsecond=0)
        self.step, self.per_minute, self.i = step, max(1, int(timedelta(minutes=1) / step)), 0
        self.now = self.start

    def tick(self) -> datetime:
        self.now = self.start + self.step * (self.i % self.per_minute)
        self.i += 1
        return self.now


@contextlib.contextmanager
def instrumented(services, clock: Clock, spent: Counter):
    """Pin the pages' clock to the bench's and time the report and the wall snapshot builds.

    The page module and the CSV export read the time as they parse their URL, the report
    when it is given none: both are the bench clock's here, so a store filled hours ago
    shows what a live one would. Undone on leaving.
    """
    page = sys.modules["pages.district"]  # the module Dash loaded, whose layout it calls
    export = sys.modules["pages.district_export"]
    parse = page.parse_view
    district, wall = services.district, services.wall
    report, build = district.report, wall.build

    def pinned_parse(slug, query, **kwargs):
        return parse(slug, query, **{"now": clock.now, **kwargs})

    def timed_report(view, now=None, **kwargs):
        began = time.perf_counter()
        try:
            return report(view, now or clock.now, **kwargs)
        finally:
            spent["report"] += time.perf_counter() - began

    def timed_build(now):
        began = time.perf_counter()
        try:
            return build(now)
        finally:
            spent["snapshot"] += time.perf_counter() - began

    page.parse_view = export.parse_view = pinned_parse
    district.report, wall.build = timed_report, timed_build
    try:
        yield
    finally:
        page.parse_view, export.parse_view = parse, parse
        del district.report, wall.build


# --- in-process -------------------------------------------------------------------------


def in_process(app, slug: str, views: list[View], clock: Clock, repeats: int) -> dict:
    """Time district_layout and the JSON of its components per view (after one warm-up)."""
    from pages.district import district_layout  # Dash's copy, loaded by create_app

    services, out = app.server.extensions[EXTENSION_KEY], {}
    lang = services.settings.lang
    spent: Counter = Counter()
    with app.server.test_request_context(), instrumented(services, clock, spent):
        for view in views:
            times: dict[str, list[float]] = {k: [] for k in TIMED}
            size = 0
            for i in range(repeats + 1):
                parsed = parse_view(slug, view.query(), default_lang=lang, now=clock.tick())
                spent.clear()
                t0 = time.perf_counter()
                page = district_layout(services, parsed, Scope.everything())
                t1 = time.perf_counter()
                size = len(to_json_plotly(page))
                t2 = time.perf_counter()
                if page.to_plotly_json()["props"].get("data-district") != slug:
                    raise BenchError(f"{view.label}: no district page was built")
                if i == 0:
                    continue  # warm-up: the day's usual profile, the minute's aggregates
                report, snapshot = spent["report"], spent["snapshot"]
                for key, took in (("layout", t1 - t0), ("report", report), ("snapshot", snapshot),
                                  ("components", t1 - t0 - report), ("json", t2 - t1),
                                  ("page", t2 - t0)):  # fmt: skip
                    times[key].append(took * 1000)
            out[view] = {key: stats(values) for key, values in times.items()}
            out[view]["bytes"] = size
            out[view]["all"] = times["layout"]
            print(f"  {view.label}: p95 {out[view]['layout']['p95']:.0f} ms", file=sys.stderr)
    return out


def profile(app, slug: str, view: View, clock: Clock) -> str:
    """The functions that took longest over a few renders of one view (cumulative)."""
    from pages.district import district_layout

    services, profiler = app.server.extensions[EXTENSION_KEY], cProfile.Profile()
    lang = services.settings.lang
    with app.server.test_request_context(), instrumented(services, clock, Counter()):
        for _ in range(PROFILE_RENDERS):
            parsed = parse_view(slug, view.query(), default_lang=lang, now=clock.tick())
            profiler.enable()
            district_layout(services, parsed, Scope.everything())
            profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(PROFILE_LINES)
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line.rstrip() for line in lines[start:] if line.strip())


# --- HTTP (test client) -----------------------------------------------------------------


def router_body(slug: str, view: View) -> dict:
    """The request a browser's Dash renderer makes to show a page (the pages' router)."""
    search = "?" + "&".join(f"{k}={v}" for k, v in view.query().items())
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname",
                    "value": f"/district/{slug}"},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
        "state": [],
    }  # fmt: skip


def over_http(app, slug: str, views: list[View], clock: Clock, repeats: int) -> dict:
    """Time the page's router callback per view, and one CSV export, on the test client."""
    services, client = app.server.extensions[EXTENSION_KEY], app.server.test_client()
    headers = {"Accept-Encoding": ENCODINGS}
    out: dict = {"pages": {}}

    def timed(call, check) -> dict:
        took, size, coding = [], 0, "none"
        for i in range(repeats + 1):
            clock.tick()
            t0 = time.perf_counter()
            response = call()
            body = response.get_data()
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200 or not check(response):
                raise BenchError(f"HTTP {response.status_code}: {body[:300]!r}")
            if i:
                took.append(elapsed)
            size, coding = len(body), response.headers.get("Content-Encoding", "none")
        return {**stats(took), "bytes": size, "coding": coding, "all": took}

    with instrumented(services, clock, Counter()):
        client.get(f"/district/{slug}")  # Dash registers the pages' router on a first request
        for view in views:
            body = router_body(slug, view)
            post = partial(client.post, "/_dash-update-component", json=body, headers=headers)
            out["pages"][view] = timed(post, lambda r: r.is_json)
        path = f"/district/{slug}/export/{CSV_TABLE}.csv?range={CSV_RANGE}"
        out["csv"] = timed(partial(client.get, path, headers=headers),
                           lambda r: r.mimetype == "text/csv")  # fmt: skip
        out["csv"]["path"] = path
    return out


# --- report -----------------------------------------------------------------------------


def report(r: dict) -> str:
    """The figures as tables, with the machine, the store and the goal."""
    m, st, filled, ip = r["machine"], r["store"], r["store"]["filled"], r["in_process"]
    goal = f"p95 <= {GOAL_MS} ms"
    took = ", ".join(f"{k} {v:g}" for k, v in filled.get("took", {}).items())
    out = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), load "
        f"{m['load_avg_1min_before']} before, {r['load_after']} after; Python {m['python']}, "
        f"SQLite {m['sqlite']}",
        f"store:   {r['db']}: {st['params']['sources']:,} sources, {st['params']['days']:g} "
        f"days up to {filled['now'][:19]}Z, "
        + ("reused, " * st["reused"] + f"filled in {filled['seconds']} s ({took} s)")
        + "; "
        + ", ".join(f"{k} {v:,}" for k, v in filled["rows"].items()),
        f"page:    /district/{r['slug']} ({r['district_sources']}), the district with the "
        f"most sources; lang {r['lang']}; clock from {r['clock'][:19]}Z, +{r['step_ms']} ms "
        f"per render (a wall snapshot built in each)",
        "",
        f"{'':46}{'p50':>8}{'p95':>8}{'max':>8} unit   n  goal",
        f"district_layout() in-process ({r['repeats']} renders per view after 1 warm-up):",
    ]
    for view, s in ip.items():
        out.append(row(f"  {view.label}", s["layout"], "ms", goal, s["layout"]["p95"] <= GOAL_MS))
    every = stats([v for s in ip.values() for v in s["all"]])
    out.append(row("  all views", every, "ms", goal, every["p95"] <= GOAL_MS))
    out += ["", "where an in-process render's time goes (p50, ms; JSON: of the components, "
            "as Dash sends them):",
            f"  {'view':44}{'report':>8}{'snapshot':>9}{'Dash':>8}{'JSON':>8}{'+JSON':>8}"
            f"{'kB':>8}"]  # fmt: skip
    for view, s in ip.items():
        out.append(f"  {view.label:44}{s['report']['p50']:>8.1f}{s['snapshot']['p50']:>9.1f}"
                   f"{s['components']['p50']:>8.1f}{s['json']['p50']:>8.1f}{s['page']['p50']:>8.1f}"
                   f"{s['bytes'] / 1000:>8.0f}")  # fmt: skip
    if h := r.get("http"):
        out += ["", f"over HTTP (Flask test client, no socket; {r['http_repeats']} per view after "
                f"1 warm-up; Accept-Encoding: {ENCODINGS}):",
                "  page: POST /_dash-update-component, the pages' router (layout + JSON + "
                "compression)"]  # fmt: skip
        for view, s in h["pages"].items():
            out.append(row(f"    {view.label}", s, "ms", goal, s["p95"] <= GOAL_MS)
                       + f"  {s['bytes']:,} B {s['coding']}")  # fmt: skip
        every = stats([v for s in h["pages"].values() for v in s["all"]])
        out.append(row("    all views", every, "ms", goal, every["p95"] <= GOAL_MS))
        c = h["csv"]
        out.append(row(f"  CSV: {c['path'].split('/export/')[1]}", c, "ms", goal,
                       c["p95"] <= GOAL_MS) + f"  {c['bytes']:,} B {c['coding']}")  # fmt: skip
    if r.get("profile"):
        out += ["", f"profile of the slowest view ({r['profile'][0]}, {PROFILE_RENDERS} renders, "
                "by cumulative time):", r["profile"][1]]  # fmt: skip
    out.append(f"bench took {r['seconds']:.0f} s")
    return "\n".join(out)


# --- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.district",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    add = parser.add_argument
    add("--db", default=str(DEFAULT_DB), help="store (var/bench-district.db)")
    add("--sources", type=int, default=500, help="sources in the history (500)")
    add("--days", type=float, default=30, help="days of history (30)")
    add("--refill", action="store_true", help="fill the store again even if it matches")
    add("--district", help="district slug (the one with the most sources)")
    add("--repeats", type=int, default=30, help="in-process renders per view (30)")
    add("--http-repeats", type=int, default=10, help="HTTP requests per view, 0: none (10)")
    add("--profile", action="store_true", help="profile the slowest view even if it meets the goal")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.http_repeats < 0:
        parser.error("--repeats must be at least 1, --http-repeats at least 0")
    return args


def run(args: argparse.Namespace) -> dict:
    """Fill or reuse the store, then time the pages in-process and over the test client."""
    began, settings = time.monotonic(), Settings(_env_file=None)
    areas, kpis = load_areas(settings.areas_file), load_kpis(settings.kpis_file)
    result: dict = {"machine": machine_info("-"), "db": args.db, "repeats": args.repeats,
                    "http_repeats": args.http_repeats}  # fmt: skip
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    result["store"] = store = ensure_store(args, areas)
    catalogue = None
    if settings.metrics_file is not None:  # as app.py: the services tab lists the metrics
        from ioc.metrics.catalogue import load_catalogue

        catalogue = load_catalogue(settings.metrics_file, root=ROOT)
    engine = make_engine(f"sqlite:///{args.db}")
    try:
        with engine.connect() as conn:
            rows = queries.latest_by_source(conn)
        per_district = Counter(r.district for r in rows)
        slug = args.district or per_district.most_common(1)[0][0]
        mine = [r for r in rows if r.district == slug]
        cameras = sorted(r.source for r in mine if r.feed == "traffic")
        if not cameras:
            raise BenchError(f"{slug} has no traffic camera in {args.db}")
        feeds = Counter(r.feed for r in mine)
        result["slug"], result["lang"] = slug, settings.lang
        result["district_sources"] = f"{len(mine)} sources: " + ", ".join(
            f"{n} {feed}" for feed, n in feeds.most_common()
        )
        app = create_app(settings, engine=engine, areas=areas, kpis=kpis, catalogue=catalogue)
        step = timedelta(milliseconds=settings.wall_refresh_ms)
        clock = Clock(datetime.fromisoformat(store["filled"]["now"]), step)
        result["clock"], result["step_ms"] = clock.start.isoformat(), settings.wall_refresh_ms
        views = views_for(cameras[0])
        print(f"timing /district/{slug} in-process...", file=sys.stderr)
        result["in_process"] = ip = in_process(app, slug, views, clock, args.repeats)
        slowest = max(ip, key=lambda v: ip[v]["layout"]["p95"])
        if args.profile or ip[slowest]["layout"]["p95"] > GOAL_MS:
            result["profile"] = (slowest.label, profile(app, slug, slowest, clock))
        if args.http_repeats:
            print("timing over the test client...", file=sys.stderr)
            result["http"] = over_http(app, slug, views, clock, args.http_repeats)
    finally:
        engine.dispose()
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = time.monotonic() - began
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
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
