"""The wall in headless Chromium: first render, page weight and publish-to-screen latency."""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from datetime import UTC, datetime

from bench.machine import BenchError
from feeds.mqtt import make_client
from ioc.contract import StatusPayload, status_topic

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
    # Late: Playwright is a dev tool, needed only when the browser part runs.
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
