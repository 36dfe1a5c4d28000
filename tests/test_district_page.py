"""The district page in headless Chromium, on an app fed only by what the test publishes.

A person clicks a district on the wall's map, reads its numbers, changes the
range and opens a source; every step is checked against the URL and the JSON
API, which must say what the page says.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from ioc.contract import topic_for
from tests.conftest import screenshot, wait_until
from tests.test_wall_mqtt import (  # noqa: F401 - fixtures: a broker and an app of the test's
    mqtt,
    publish_traffic,
    wall_app,
    wall_broker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DISTRICT = "thoi-lai"


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def fed(wall_app, wall_broker):  # noqa: F811 - the imported fixtures
    """Two cameras of Thới Lai, one of them slow, and one message of cam-slow refused."""
    from tests.conftest import Publisher

    publisher = Publisher(wall_broker)
    try:
        publish_traffic(publisher, DISTRICT, "cam-fast", 120, 40.5)
        publish_traffic(publisher, DISTRICT, "cam-slow", 60, 12.0)
        publisher.publish(topic_for(DISTRICT, "traffic", "cam-slow"), b"{not json")
        publisher.wait_all()
    finally:
        publisher.close()
    live = f"{wall_app.base_url}/api/v1/districts/{DISTRICT}/live"
    assert wait_until(lambda: len(get_json(live)["sources"]) == 2, timeout=20)
    stats = f"{wall_app.base_url}/api/v1/ingest/stats"
    assert wait_until(lambda: get_json(stats)["rejected"] >= 1, timeout=20)
    return wall_app


def open_page(browser, url: str, size=(1440, 900)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.requests = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(url)
    return context, page


CLICK_DISTRICT = """(slug) => {
  const config = JSON.parse(document.getElementById('wall-stage').dataset.config);
  const index = config.districtSlugs.indexOf(slug);
  const graph = document.querySelector('#wall-city-map .js-plotly-plot');
  const layout = graph._fullLayout, marks = graph.data[graph.data.length - 1];
  const box = graph.getBoundingClientRect(), scale = box.width / graph.offsetWidth;
  // Just above the district's label dot: inside its shape, not on the dot.
  return {x: box.left + (layout._size.l + layout.xaxis.d2p(marks.x[index])) * scale,
          y: box.top + (layout._size.t + layout.yaxis.d2p(marks.y[index]) - 16) * scale};
}"""


def grid_rows(page, key: str) -> dict[str, dict[str, str]]:
    """The rows an AG Grid shows, by source id, as {column id: text}."""
    page.wait_for_selector(f"#grid-{key} .ag-center-cols-container .ag-row")
    return page.evaluate(
        """(key) => {
      const rows = {};
      for (const row of document.querySelectorAll(`#grid-${key} .ag-row`)) {
        const index = row.getAttribute('row-index');
        rows[index] = rows[index] || {};
        for (const cell of row.querySelectorAll('.ag-cell')) {
          rows[index][cell.getAttribute('col-id')] = cell.innerText.trim();
        }
      }
      const bySource = {};
      for (const cells of Object.values(rows)) if (cells.source) bySource[cells.source] = cells;
      return bySource;
    }""",
        key,
    )


def test_a_district_opens_from_the_wall_map_and_says_what_the_api_says(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/wall?scenes=overview&rotate=0&lang=en")
    try:
        page.wait_for_selector("#wall-stage.is-ready", state="attached")
        page.wait_for_selector("#wall-city-map .main-svg")
        spot = page.evaluate(CLICK_DISTRICT, DISTRICT)
        page.mouse.click(spot["x"], spot["y"])
        page.wait_for_url(f"**/district/{DISTRICT}?lang=en", timeout=15_000)
        page.wait_for_selector("#district-name")
        assert page.inner_text("#district-name") == "Thoi Lai"

        # The header: vehicles a minute past both cameras, as the API has it.
        api = get_json(f"{fed.base_url}/api/v1/districts/{DISTRICT}/report?lang=en")
        flow = next(k for k in api["kpis"] if k["key"] == "traffic_flow")
        assert flow["value"] == 180
        card = page.locator("[data-kpi=traffic_flow]")
        assert "180" in card.inner_text()
        assert card.get_attribute("data-status") == flow["status"] == "ok"
        speed = page.locator("[data-kpi=traffic_speed]").inner_text()
        assert "31.0" in speed  # (120 x 40.5 + 60 x 12) / 180, weighted by vehicles

        # The grid of cameras: the same rows and numbers as the API's table.
        shown = grid_rows(page, "traffic_sources")
        rows = {r["source"]: r for r in api["tables"]["traffic_sources"]["rows"]}
        assert set(shown) == set(rows) == {"cam-fast", "cam-slow"}
        for source, row in rows.items():
            assert shown[source]["flow"] == f"{row['flow']:.1f}"
            assert shown[source]["speed"] == f"{row['speed']:.1f}"
        assert "alarm" in shown["cam-slow"]["status"]
        screenshot(page, "district-traffic-en")

        # A longer range: in the URL, in the caption, and the API agrees on the rows.
        page.click("#district-range-7d")
        page.wait_for_url("**range=7d**", timeout=15_000)
        page.wait_for_selector(".district-page[data-range='7d']")
        api7 = get_json(f"{fed.base_url}/api/v1/districts/{DISTRICT}/report?range=7d&lang=en")
        assert api7["range"]["key"] == "7d"
        shown7 = grid_rows(page, "traffic_sources")
        assert set(shown7) == {r["source"] for r in api7["tables"]["traffic_sources"]["rows"]}

        # A source: its detail in the URL, with the message that was refused.
        page.click("#grid-traffic_sources a.source-link >> text=cam-slow")
        page.wait_for_url("**source=cam-slow**", timeout=15_000)
        panel = page.locator("#source-panel")
        panel.wait_for()
        assert panel.get_attribute("data-source") == "cam-slow"
        assert "1 messages rejected" in panel.inner_text()
        assert "bad_json" in panel.inner_text()
        assert "range=7d" in page.url  # the range stays as it was
        screenshot(page, "district-source-en")

        # Nothing came from another host; no script failed.
        assert all(url.startswith(fed.base_url) for url in page.requests)
        assert page.errors == []
    finally:
        context.close()


def test_the_custom_range_form_puts_its_dates_in_the_url(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=wifi")
    try:
        page.wait_for_selector("#district-apply")
        page.click("#district-apply")
        page.wait_for_url("**range=custom**", timeout=15_000)
        page.wait_for_selector(".district-page[data-range='custom']")
        assert "tab=wifi" in page.url
        today = datetime.now(UTC).astimezone().date()  # the picker's default ends today
        assert "to=" in page.url and str(today.year) in page.url
        assert page.locator(".notice").count() == 0
        screenshot(page, "district-wifi-vi")
    finally:
        context.close()


def test_an_unknown_district_gets_a_404_page_in_the_viewers_language(fed, browser):
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(f"{fed.base_url}/district/atlantis", timeout=10)
    assert answer.value.code == 404
    for lang, title in (("vi", "Không tìm thấy trang"), ("en", "Page not found")):
        context, page = open_page(browser, f"{fed.base_url}/district/atlantis?lang={lang}")
        try:
            page.wait_for_selector(".refusal h1")
            assert page.inner_text(".refusal h1") == title
            assert page.locator(".district-links li").count() == 9  # the districts to choose
            if lang == "en":
                screenshot(page, "district-404-en")
        finally:
            context.close()


def test_bad_parameters_show_the_default_view_with_a_notice(fed, browser):
    url = f"{fed.base_url}/district/{DISTRICT}?tab=weather&range=forever&lang=en&to=xx"
    context, page = open_page(browser, url)
    try:
        page.wait_for_selector("#district-notices .notice")
        text = page.inner_text("#district-notices")
        assert "tab=weather" in text and "range=forever" in text
        page_el = page.locator(".district-page")
        assert page_el.get_attribute("data-tab") == "traffic"
        assert page_el.get_attribute("data-range") == "24h"
        assert page.errors == []
    finally:
        context.close()


def test_the_services_tab_shows_desks_and_metrics_in_vietnamese(fed, browser):
    context, page = open_page(browser, f"{fed.base_url}/district/{DISTRICT}?tab=services")
    try:
        page.wait_for_selector("#grid-services_desks")
        assert page.inner_text("#district-tab-services") == "Dịch vụ công"
        assert "Bộ phận một cửa" in page.inner_text("#district-body")
        screenshot(page, "district-services-vi")
    finally:
        context.close()
