"""The district page as district staff use it, in headless Chromium at 1920×1080.

A district red for wifi opens on its wifi tab; every tab shows its status as a
mark; the grids work from the keyboard alone and in the product's typeface;
the charts read in the page's language; the sources stand on the district's
outline; and axe-core finds nothing on any tab in either language.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ioc.contract import topic_for
from tests.conftest import Publisher, screenshot, wait_for_js, wait_until
from tests.marks_check import check_marks
from tests.test_auth_browser import axe_script
from tests.test_district_page import get_json
from tests.test_wall_mqtt import wall_app, wall_broker  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DISTRICT = "co-do"
# Cờ Đỏ's area lies around 10.1 N, 105.45 E in the shipped GeoJSON.
APS = {"ap-1": (True, 10.10, 105.43), "ap-2": (False, 10.12, 105.45), "ap-3": (False, None, None)}


def _send(publisher: Publisher, feed: str, source: str, body: dict) -> None:
    body = {"ts": datetime.now(UTC).isoformat(), "name": f"{feed} {source}", **body}
    publisher.publish(topic_for(DISTRICT, feed, source), json.dumps(body))


@pytest.fixture(scope="module")
def fed(wall_app, wall_broker):  # noqa: F811 - the imported fixtures
    """Cờ Đỏ: cameras fine, a desk fine, two access points of three down (red for wifi)."""
    publisher = Publisher(wall_broker)
    try:
        for source, speed in (("cam-1", 42.5), ("cam-2", 38.0)):
            _send(publisher, "traffic", source, {"vehicles": 50, "speed_kmh": speed,
                                                 "lat": 10.11, "lon": 105.44})  # fmt: skip
        for source, (up, lat, lon) in APS.items():
            where = {"lat": lat, "lon": lon} if lat is not None else {}
            _send(publisher, "wifi", source, {"up": up, "clients": 3, **where})
        _send(
            publisher,
            "backlog",
            "desk-1",
            {
                "pending": 4,
                "overdue": 0,
                "received_today": 6,
                "resolved_today": 5,
                "resolved_on_time_today": 5,
            },
        )
        publisher.wait_all()
    finally:
        publisher.close()
    live = f"{wall_app.base_url}/api/v1/districts/{DISTRICT}/live"
    assert wait_until(lambda: len(get_json(live)["sources"]) == 6, timeout=20)
    return wall_app


def open_page(browser, url: str, **options):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, **options)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.goto(url)
    page.wait_for_selector("#district-body")
    return context, page


ACTIVE = """(() => { const e = document.activeElement;
  return {grid: !!e.closest('.ag-root-wrapper'), cls: e.className, text: e.innerText || '',
          id: e.id}; })()"""


def test_a_district_red_for_wifi_opens_on_wifi_and_each_tab_shows_its_status(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?lang=en")
    try:
        assert page.get_attribute(".district-page", "data-tab") == "wifi"
        shapes = {tab: page.get_attribute(f"#district-tab-{tab} .mark", "class")
                  for tab in ("traffic", "wifi", "services")}  # fmt: skip
        assert shapes["wifi"] == "mark mark--alarm mark--bare"
        assert shapes["traffic"] == "mark mark--ok mark--bare"
        assert page.get_attribute("#district-tab-wifi", "title") == "Public wifi: alarm"
        # The wall may still name the tab: ?tab= wins.
        page.goto(f"{fed.base_url}/district/{DISTRICT}?lang=en&tab=traffic")
        page.wait_for_selector(".district-page[data-tab='traffic']")
    finally:
        context.close()


def test_the_grid_is_used_with_the_keyboard_alone(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=wifi&lang=en")
    try:
        page.wait_for_selector("#grid-wifi_aps .ag-cell")
        page.focus("#csv-wifi_aps")
        page.keyboard.press("Tab")  # into the grid: its first heading
        assert page.evaluate(ACTIVE)["grid"]
        page.keyboard.press("Tab")  # and out again: the headings are no trap
        assert not page.evaluate(ACTIVE)["grid"]
        page.keyboard.press("Shift+Tab")  # back into the grid
        assert page.evaluate(ACTIVE)["grid"]
        page.focus("#csv-wifi_aps")
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")  # the first row's name cell
        active = page.evaluate(ACTIVE)
        assert active["grid"] and "ag-cell" in active["cls"] and "wifi ap-" in active["text"]
        source = active["text"].split()[-1]
        page.keyboard.press("Enter")  # opens that access point
        page.wait_for_url(f"**source={source}**", timeout=15_000)
        page.wait_for_selector("#source-panel")
        assert page.errors == []
    finally:
        context.close()


def test_the_grid_is_in_the_products_typeface(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=wifi")
    try:
        page.wait_for_selector("#grid-wifi_aps .ag-cell")
        family = page.evaluate("getComputedStyle(document.querySelector('.ag-cell')).fontFamily")
        assert family.startswith('"Be Vietnam Pro"'), family
        header = page.evaluate(
            "getComputedStyle(document.querySelector('.ag-header-cell-text')).fontFamily"
        )
        assert header.startswith('"Be Vietnam Pro"'), header
        wait_for_js(page, "document.fonts.check('14px \"Be Vietnam Pro\"', 'Điểm phát')")
    finally:
        context.close()


AXE_RUN = """async () => (await axe.run(document)).violations.map(v =>
  `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_axe_finds_nothing_on_any_tab(fed, browser, lang):
    script = axe_script()
    # The app's Content-Security-Policy forbids the injected script: bypassed for axe only.
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}", bypass_csp=True)
    try:
        found = {}
        for tab in ("traffic", "wifi", "services"):
            page.goto(f"{fed.base_url}/district/{DISTRICT}?tab={tab}&lang={lang}")
            page.wait_for_selector("#district-body .dpanel")
            wait_for_js(page, "document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
            screenshot(page, f"district-{tab}-{lang}-1080p")
            page.add_script_tag(path=str(script))
            found[tab] = page.evaluate(AXE_RUN)
        assert found == {"traffic": [], "wifi": [], "services": []}
    finally:
        context.close()


def test_every_mark_on_the_page_has_its_shape(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=wifi")
    try:
        page.wait_for_selector("#grid-wifi_aps .ag-cell .mark")
        shapes = check_marks(page, "district", container=".district-page")
        assert {"ok", "warn", "alarm", "stale", "no_data"} <= set(shapes)
        # The page's own marks: the header's, the tabs', the grid's.
        assert page.locator("#grid-wifi_aps .mark--alarm .mark__shape").count() >= 1
        assert page.locator(".kpi-card .mark .mark__shape").count() == 7
    finally:
        context.close()


AXES = """(id) => { const g = document.querySelector(`#${id} .js-plotly-plot`);
  const box = g.getBoundingClientRect(); const L = g._fullLayout; const clipped = [];
  for (const t of g.querySelectorAll('.xtick text, .ytick text, .y2tick text')) {
    const r = t.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
        || r.bottom > box.bottom + 1) clipped.push(t.textContent); }
  return {separators: L.separators, xticks: [...g.querySelectorAll('.xtick text')].map(
            t => t.textContent), y2: L.yaxis2 ? {overlaying: L.yaxis2.overlaying || null,
            dtick: L.yaxis2.dtick, domain: L.yaxis2.domain} : null,
          yrange: L.yaxis.range, shapes: (L.shapes || []).map(s => s.y0), clipped,
          width: L._size.w, bars: [...g.querySelectorAll('.bars .point path')].map(
            p => p.getBoundingClientRect().width)}; }"""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _axes(page, graph_id: str) -> dict:
    # Drawn: its ticks are there (plotly draws them after the frame).
    wait_for_js(page, f"document.querySelectorAll('#{graph_id} .xtick text').length > 1")
    page.wait_for_timeout(300)  # plotly's automargin redraw settles the tick positions
    return page.evaluate(AXES, graph_id)


def test_the_charts_read_in_the_pages_language_with_sensible_axes(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=traffic")
    try:
        series = _axes(page, "district-traffic-series")
        assert series["separators"] == ",."  # vi: 1.234,5
        assert not any(month in tick for tick in series["xticks"] for month in MONTHS)
        assert any("/" in tick for tick in series["xticks"]), series["xticks"]  # day/month
        assert series["y2"]["overlaying"] is None  # speed in its own panel, not a 2nd axis
        assert series["y2"]["domain"][1] < 0.5
        assert float(series["y2"]["dtick"]) in (1, 2, 5, 10, 20, 25, 50)
        assert series["clipped"] == []
        page.goto(f"{fed.base_url}/district/{DISTRICT}?tab=wifi&lang=en")
        uptime = _axes(page, "district-wifi-series")
        assert uptime["separators"] == ".,"
        assert uptime["yrange"][0] > 0  # a share axis starts near its data, not at 0
        assert sorted(uptime["shapes"]) == [95, 98]  # the alarm and warn limits as lines
        assert _axes(page, "district-outages")["clipped"] == []
        page.goto(f"{fed.base_url}/district/{DISTRICT}?tab=services&lang=en")
        intake = _axes(page, "district-intake")
        assert intake["bars"], "no intake bar drawn"
        # One hour of data in a 24 h view: a narrow bar, not one across the chart.
        assert max(intake["bars"]) < intake["width"] / 20
        screenshot(page, "district-services-en-intake")
    finally:
        context.close()


def test_the_access_points_stand_on_the_district_map_and_a_click_opens_one(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=wifi&lang=en")
    try:
        wait_for_js(page, "!!document.querySelector('#district-sources-map .main-svg')")
        box = page.locator(".sources-map")
        assert (box.get_attribute("data-placed"), box.get_attribute("data-unplaced")) == ("2", "1")
        assert "1 of 3 sources" in page.inner_text("#district-map-note")
        traces = page.evaluate("""[...document.querySelector(
            '#district-sources-map .js-plotly-plot').data].map(
            t => [t.name, t.marker && t.marker.symbol, (t.x || []).length])""")
        assert ["alarm", "square", 1] in traces and ["normal", "circle", 1] in traces
        screenshot(page, "district-wifi-map-en")
        point = page.locator("#district-sources-map .scatterlayer .trace .points path").last
        point.click(force=True)
        page.wait_for_url("**source=ap-**", timeout=15_000)
        assert all(not r.startswith("http") or r.startswith(fed.base_url) for r in page.errors)
    finally:
        context.close()
