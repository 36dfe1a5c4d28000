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
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.history import HISTORY_VERSION, fill_history
from bench.ingest import BenchError, machine_info, start_broker
from feeds.demo import models as sim
from feeds.demo.broker import wait_for_port
from feeds.mqtt import free_port, make_client
from ioc.areas import load_areas
from ioc.clock import LOCAL_TZ
from ioc.config import Settings
from ioc.contract import StatusPayload, status_topic
from ioc.services.kpis import load_kpis
from ioc.services.wall import WallService
from ioc.store import queries
from ioc.store.engine import make_engine, migrate
from widgets.wall_scenes import updates

ROOT = Path(__file__).resolve().parent.parent
GOAL_SERVER_MS, GOAL_LATENCY_S, GOAL_RENDER_S, GOAL_TRANSFER_MB = 30, 1.5, 1.5, 2.0
RAW_HOURS, SEED = 24, 1
# Sources go stale 3 min after their last reading: the in-process clock runs in rounds of
# 3 min from the minute before the fill's end, so sources stay fresh as in production.
ROUND = timedelta(minutes=3)
VIEW = "/wall?scenes=overview&rotate=0&jump=0"
PRESENCE = "wall-city-ioc_online-box"
# Ready: stage scaled and every chart of the scene on screen drawn; time since navigation.
READY_JS = """(() => { const check = () => {
  const stage = document.getElementById('wall-stage');
  const scene = stage && stage.classList.contains('is-ready')
    && stage.querySelector('.scene.is-active');
  if (scene && [...scene.querySelectorAll('.js-plotly-plot')]
      .every(p => p.querySelector('.main-svg'))) { window.__benchReady = performance.now(); }
  else { requestAnimationFrame(check); } };
  requestAnimationFrame(check); })();"""
OBSERVE_JS = """(id) => { const el = document.getElementById(id); let last = el.textContent;
  window.__benchSeen = [];
  new MutationObserver(() => { if (el.textContent !== last) { last = el.textContent;
    window.__benchSeen.push(performance.timeOrigin + performance.now()); } })
  .observe(el, {subtree: true, childList: true, characterData: true}); }"""
ENTRIES_JS = """() => performance.getEntriesByType('navigation')
  .concat(performance.getEntriesByType('resource'))
  .map(e => ({name: e.name, size: e.transferSize, raw: e.decodedBodySize, start: e.startTime,
              end: e.responseEnd, type: e.initiatorType || 'navigation'}))"""


def stats(values: list[float]) -> dict:
    """Return n, p50, p95 (nearest rank) and max."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {"n": len(ordered), "p50": rank(0.5), "p95": rank(0.95), "max": ordered[-1]}


# --- store ----------------------------------------------------------------------------


def ensure_store(args: argparse.Namespace, areas) -> dict:
    """Fill the bench store, or reuse it when its marker holds these parameters."""
    db, params = Path(args.db), {"sources": args.sources, "days": args.days, "raw_hours": RAW_HOURS,
                                 "seed": SEED, "history": HISTORY_VERSION}  # fmt: skip
    marker = db.with_name(db.name + ".json")
    saved = json.loads(marker.read_text()) if marker.exists() else None
    if saved and saved.get("params") == params and saved.get("filled") and not args.refill:
        engine = make_engine(f"sqlite:///{db}")
        migrate(engine)  # the product's newer migrations, as the app would run them
        engine.dispose()
        return {**saved, "reused": True}
    if db.exists() and saved is None:
        raise BenchError(f"{db} exists but was not filled by a benchmark: remove it or use --db")
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}{suffix}").unlink()
    marker.write_text(json.dumps({"params": params}))  # ours, even if the fill is cut short
    print(f"filling {db} ({args.sources:,} sources, {args.days:g} days)...", file=sys.stderr)
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
        filled = fill_history(engine, areas, sources=args.sources, days=args.days,
                              now=datetime.now(UTC), raw_hours=RAW_HOURS, seed=SEED)  # fmt: skip
    finally:
        engine.dispose()
    saved = {"params": params, "filled": filled}
    marker.write_text(json.dumps(saved, indent=2))
    return {**saved, "reused": False}


# --- in-process -----------------------------------------------------------------------


def in_process(args, settings: Settings, areas, kpis, fill_now: datetime) -> dict:
    """Time each refresh interval's server work, uncached and cached, as the clock moves."""
    engine = make_engine(f"sqlite:///{args.db}")
    wall = WallService(settings, engine, areas, kpis)
    step = timedelta(milliseconds=settings.wall_refresh_ms)
    # From a whole minute: one minute-boundary build in 30 intervals, as in production.
    start = (fill_now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    per_round = int(ROUND / step)
    district, lang = areas.areas[0].slug, settings.lang  # what a fresh /wall page asks for
    # A rotating wall asks for the scene on screen and the next one: the first two.
    scenes = ("overview", "traffic")
    times: dict[str, list] = {"uncached": [], "cached": [], "build": [], "updates": []}
    kinds, prev = [], None
    try:
        for i in range(args.samples):
            now = start + step * (i % per_round)
            if prev is None or now.astimezone(LOCAL_TZ).date() != prev.astimezone(LOCAL_TZ).date():
                kinds.append("day")  # the usual profile (4 weeks of hours) and minute aggregates
            elif now.replace(second=0, microsecond=0) != prev.replace(second=0, microsecond=0):
                kinds.append("minute")  # trends, 24 h uptime, today's hours
            else:
                kinds.append("steady")
            prev = now
            t0 = time.perf_counter()
            snap = wall.snapshot(now)
            t1 = time.perf_counter()
            updates(snap, areas, lang, district, scenes)
            t2 = time.perf_counter()
            updates(wall.snapshot(now), areas, lang, district, scenes)  # 2nd screen, same interval
            t3 = time.perf_counter()
            for key, took in zip(times, (t2 - t0, t3 - t2, t1 - t0, t2 - t1), strict=True):
                times[key].append(took * 1000)
        with engine.connect() as conn:
            sources = len(queries.latest_by_source(conn))
    finally:
        engine.dispose()
    result = {key: stats(values) for key, values in times.items()}
    for kind in ("steady", "minute", "day"):
        of_kind = zip(times["uncached"], kinds, strict=True)
        result[kind] = stats([v for v, k in of_kind if k == kind])
    # cache computes = snapshots + minute aggregates + day profiles
    return {**result, "sources": sources, "intervals": args.samples,
            "computed": wall.cache.computed}  # fmt: skip


# --- the app --------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Return the ids of a process's children (Linux), e.g. the ingestor's writer."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text().split()]
    return found


@contextlib.contextmanager
def running_app(store: Path, broker_url: str, scale: float, workdir: Path):
    """Run app.py (web, ingestor, simulator) on a store and a broker; yield its base URL."""
    port = free_port()
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{store}", "IOC_MQTT_URL": broker_url,
           "IOC_SIMULATE": "1", "IOC_SIM_SOURCES_SCALE": f"{scale:.4f}", "IOC_PORT": str(port),
           "IOC_HOST": "127.0.0.1", "IOC_LOG_LEVEL": "WARNING",
           "IOC_MQTT_CLIENT_ID": f"bench-wall-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    log = open(workdir / "app.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    children: list[int] = []
    try:
        if not wait_for_port(port, 90):
            raise BenchError(f"app.py did not listen within 90 s: {tail(workdir / 'app.log')}")
        children = children_of(proc.pid)
        yield f"http://127.0.0.1:{port}"
    finally:
        children = children or children_of(proc.pid)
        proc.send_signal(signal.SIGINT)  # app.py then stops simulator and ingestor cleanly
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        for pid in children:  # a writer left behind by a hard stop
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def tail(path: Path, lines: int = 15) -> str:
    """Return the last lines of a log."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def accepted(store: Path) -> int:
    """Return the store's count of accepted readings."""
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return dict(conn.execute("SELECT name, value FROM ingest_counters")).get("accepted", 0)


# --- HTTP -----------------------------------------------------------------------------


def replay(url: str, body: bytes, headers: dict, screens: int, seconds: float, refresh_s: float,
           in_step: bool) -> dict:  # fmt: skip
    """POST the page's refresh callback from N screens, each once per refresh interval."""
    took, sizes, failures, lock = [], [], [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def screen() -> None:
        next_at = time.monotonic() + (0 if in_step else random.uniform(0, refresh_s))
        while next_at < stop_at:
            time.sleep(max(0.0, next_at - time.monotonic()))
            t0 = time.perf_counter()
            try:
                request = urllib.request.Request(url, data=body, headers=headers)
                with urllib.request.urlopen(request, timeout=30) as response:
                    size = len(response.read())
            except OSError as err:
                with lock:
                    failures.append(str(err))
            else:
                with lock:
                    took.append((time.perf_counter() - t0) * 1000)
                    sizes.append(size)
            next_at += refresh_s

    threads = [threading.Thread(target=screen) for _ in range(screens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**stats(took), "bytes": stats(sizes).get("p50"), "failed": len(failures),
            "failures": failures[:3]}  # fmt: skip


# --- browser --------------------------------------------------------------------------


def open_wall(browser, url: str, problems: list[str], **context_args):
    """Open /wall in a fresh context (cold cache), wait until ready; return what was seen."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, **context_args)
    context.add_init_script(READY_JS)
    page, codings, calls = context.new_page(), {}, []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))

    def response(r) -> None:
        if r.status >= 400:
            problems.append(f"HTTP {r.status} {r.request.method} {r.url}")
        coding = r.headers.get("content-encoding", "none")
        codings[coding] = codings.get(coding, 0) + 1

    page.on("response", response)
    page.on("request", lambda r: "_dash-update-component" in r.url
            and "wall-tick" in (r.post_data or "") and calls.append(r))  # fmt: skip
    page.goto(url + VIEW, wait_until="commit")
    wait_ready(page)
    return context, page, codings, calls


def wait_ready(page, timeout_s: float = 60) -> None:
    """Wait for the page's own ready mark (it times itself, so polling adds nothing).

    Polled through page.evaluate: wait_for_function's eval is refused by the CSP.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate("window.__benchReady !== undefined"):
        if time.monotonic() > deadline:
            raise BenchError("the wall was not ready in time")
        page.wait_for_timeout(20)


def render_times(page) -> tuple[float, float, float]:
    """Return seconds to ready, to the HTML's first byte and in the layout callback."""
    entries = page.evaluate(ENTRIES_JS)
    layout = next(e for e in entries if "_dash-update-component" in e["name"])
    ttfb = page.evaluate("performance.getEntriesByType('navigation')[0].responseStart")
    ready = page.evaluate("window.__benchReady")
    return ready / 1e3, ttfb / 1e3, (layout["end"] - layout["start"]) / 1e3


def transfer(page, codings: dict) -> dict:
    """Sum what the page transferred so far; name the biggest resources."""
    entries = page.evaluate(ENTRIES_JS)
    live = [e for e in entries if e["type"] in ("fetch", "xmlhttprequest")]
    top = sorted(entries, key=lambda e: -e["size"])[:5]
    return {"total": sum(e["size"] for e in entries), "live": sum(e["size"] for e in live),
            "raw": sum(e["raw"] for e in entries), "count": len(entries), "codings": {**codings},
            "biggest": [(e["size"], e["raw"], e["name"].split("?")[0]) for e in top]}  # fmt: skip


def in_browser(url: str, args, refresh_s: float, broker_url: str, slug: str) -> dict:
    """First render (cold, warm), page weight, the refresh request, publish-to-screen latency."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    out: dict = {"problems": problems, "cold": [], "ttfb": [], "layout": [], "warm": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            # The app's first page also computes the day's usual profile: reported apart.
            context, page, _, _ = open_wall(browser, url, problems)
            out["server_cold"] = render_times(page)
            context.close()
            for i in range(args.cold_loads):
                context, page, codings, calls = open_wall(browser, url, problems)
                for key, value in zip(("cold", "ttfb", "layout"), render_times(page), strict=True):
                    out[key].append(value)
                if i == 0:
                    for _ in range(50):  # until the first refresh: the render has settled
                        if calls:
                            break
                        page.wait_for_timeout(refresh_s * 100)
                    page.wait_for_timeout(500)  # its answer
                    out["transfer"] = transfer(page, codings)
                    out["request"] = (calls[0].url, calls[0].post_data.encode(), calls[0].headers)
                # Settled first (hidden scenes' charts draw after ready), as before planned reloads.
                page.wait_for_timeout(1.5 * refresh_s * 1000)
                page.reload(wait_until="commit")  # the same context: a warm cache
                wait_ready(page)
                out["warm"].append(page.evaluate("window.__benchReady") / 1000)
                context.close()
            gzip_only = {"Accept-Encoding": "gzip"}
            context, page, codings, _ = open_wall(browser, url, problems,
                                                  extra_http_headers=gzip_only)  # fmt: skip
            page.wait_for_timeout(1.5 * refresh_s * 1000)
            out["gzip"] = transfer(page, codings)
            context.close()
            context, page, _, _ = open_wall(browser, url, problems)
            out["latency"] = presence_latency(page, args, refresh_s, broker_url, slug)
            context.close()
        finally:
            browser.close()
    return out


def presence_latency(page, args, refresh_s: float, broker_url: str, slug: str) -> list[float]:
    """Toggle a district IOC offline/online; time from publish to the tile's text changing."""
    client, address = make_client(broker_url, client_id=f"bench-wall-pub-{uuid.uuid4().hex[:6]}",
                                  default_username="bench")  # fmt: skip
    client.connect(address.host, address.port)
    client.loop_start()

    def publish(online: bool) -> float:
        payload = StatusPayload(online=online, ts=datetime.now(UTC)).to_json()
        sent = time.time()
        client.publish(status_topic(slug), payload, qos=1, retain=True).wait_for_publish(10)
        return sent

    took: list[float] = []
    try:
        publish(True)  # start from "all online", whatever the history left
        page.wait_for_timeout(2.5 * refresh_s * 1000)
        page.evaluate(OBSERVE_JS, PRESENCE)
        for i in range(args.latency_samples):
            # Random spacing beyond two intervals: publishes fall anywhere in the refresh cycle.
            page.wait_for_timeout(random.uniform(2.2, 3.2) * refresh_s * 1000)
            sent, deadline = publish(i % 2 == 1), time.time() + 10 * refresh_s
            while page.evaluate("window.__benchSeen.length") <= i and time.time() < deadline:
                page.wait_for_timeout(20)
            seen = page.evaluate("window.__benchSeen")
            if len(seen) <= i:
                raise BenchError(f"the presence tile did not change within {10 * refresh_s:.0f} s")
            took.append(seen[i] / 1000 - sent)
    finally:
        with contextlib.suppress(Exception):
            publish(True)
        client.disconnect()
        client.loop_stop()
    return took


# --- report ---------------------------------------------------------------------------


def row(label: str, s: dict, unit: str, goal: str = "", met: bool | None = None) -> str:
    """One table line: p50, p95, max, n, the goal and whether it was met."""
    if not s.get("n"):
        return f"{label:46}{'-':>8}"
    f = ".1f" if unit == "ms" else ".2f"
    verdict = "" if met is None else ("met" if met else "MISSED")
    return (f"{label:46}{s['p50']:>8{f}}{s['p95']:>8{f}}{s['max']:>8{f}} {unit:>3}{s['n']:>5}"
            f"  {goal:15}{verdict}")  # fmt: skip


def report(r: dict) -> str:
    """The figures as a table, with the machine, the store and the goals."""
    m, ip, st, filled = r["machine"], r["in_process"], r["store"], r["store"]["filled"]
    goal_ms = f"p95 <= {GOAL_SERVER_MS} ms"
    out = [f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), load "
           f"{m['load_avg_1min_before']} before, {r['load_after']} after; Python {m['python']}, "
           f"SQLite {m['sqlite']}; broker: {r.get('broker', '-')}",
           f"store:   {r['db']}: {st['params']['sources']:,} sources, {st['params']['days']:g} "
           f"days up to {filled['now'][:19]}Z, "
           + ("reused" if st["reused"] else f"filled in {filled['seconds']} s") + "; "
           + ", ".join(f"{k} {v:,}" for k, v in filled["rows"].items()),
           "", f"{'':46}{'p50':>8}{'p95':>8}{'max':>8} unit   n  goal",
           f"server time per refresh, in-process ({ip['intervals']} intervals of "
           f"{ip['sources']:,} sources; {ip['computed']} cache computes):",
           row("  1st screen: build + updates (uncached)", ip["uncached"], "ms", goal_ms,
               ip["uncached"]["p95"] <= GOAL_SERVER_MS),
           row("    of which the snapshot build", ip["build"], "ms"),
           row("    of which updates()", ip["updates"], "ms"),
           row("    intervals within a minute", ip["steady"], "ms"),
           row("    minute boundary (aggregates rebuilt)", ip["minute"], "ms"),
           row("    first of a day (usual profile too)", ip["day"], "ms"),
           row("  2nd screen, same interval (cached)", ip["cached"], "ms")]  # fmt: skip
    if r.get("http"):
        out.append("refresh callback over HTTP (app.py, live simulator; size of one answer):")
    for label, h in r.get("http", {}).items():
        failed = f", {h['failed']} FAILED: {h['failures']}" if h["failed"] else ""
        out.append(row(f"  {label}", h, "ms", goal_ms, h.get("p95", 1e9) <= GOAL_SERVER_MS)
                   + f"  {h['bytes'] or 0:,} B{failed}")  # fmt: skip
    if b := r.get("browser"):
        lat, cold = stats(b["latency"]), stats(b["cold"])
        ready, ttfb, layout = b["server_cold"]
        out += [f"browser (headless Chromium, 1920x1080, {VIEW}):",
                row("  publish -> presence tile text changed", lat, "s",
                    f"p95 <= {GOAL_LATENCY_S} s", lat.get("p95", 1e9) <= GOAL_LATENCY_S),
                row("  first render, cold cache (ready, drawn)", cold, "s",
                    f"<= {GOAL_RENDER_S} s (max)", cold.get("max", 1e9) <= GOAL_RENDER_S),
                row("    of which the HTML's first byte", stats(b["ttfb"]), "s"),
                row("    of which the layout callback", stats(b["layout"]), "s"),
                row("  first render, warm cache (reload)", stats(b["warm"]), "s"),
                f"  first page after the app started (server caches cold): {ready:.2f} s, "
                f"of which the layout callback {layout:.2f} s"]  # fmt: skip
        for label, t in (("as Chromium asks", b["transfer"]), ("gzip only", b["gzip"])):
            mb, met = t["total"] / 1e6, t["total"] / 1e6 <= GOAL_TRANSFER_MB
            out.append(f"  transfer, cold, {label}: {mb:.2f} MB ({t['raw'] / 1e6:.2f} MB decoded, "
                       f"{t['count']} entries, live calls {t['live'] / 1e3:.0f} kB) "
                       f"{'met' if met else 'MISSED'} (<= {GOAL_TRANSFER_MB:g} MB); "
                       f"encodings {t['codings']}")  # fmt: skip
        out.append("  biggest resources (transferred, decoded bytes):")
        out += [f"    {s:>10,} {raw:>10,}  {name}" for s, raw, name in b["transfer"]["biggest"]]
        out.append(f"browser problems (console errors, page errors, HTTP >= 400): "
                   f"{len(b['problems'])}")  # fmt: skip
        out += [f"  {p[:300]}" for p in dict.fromkeys(b["problems"])]
    if r.get("app_log"):
        out += ["app.py log, warnings and errors (last 15):", r["app_log"]]
    out.append(f"bench took {r['seconds']:.0f} s")
    return "\n".join(out)


# --- main -----------------------------------------------------------------------------


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
