"""/briefing in headless Chromium, on the all-in-one demo (`python app.py`, simulator on)."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

from tests.conftest import screenshot, wait_for_js


def api(base: str, path: str):
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
        return json.loads(response.read())


def test_take_open_compare_and_export_a_snapshot_in_the_browser(live_app, browser, tmp_path):
    base = live_app.base_url
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    try:
        page.goto(f"{base}/briefing")
        assert page.locator("h1").inner_text() == "Ảnh chụp giao ban"
        page.fill("#title", "Giao ban sáng thứ hai")
        page.fill("#note", "Kiểm tra trước cuộc họp")
        page.fill("#taken_by", "Trần Thị Bình")
        page.click("#take")
        page.wait_for_url("**/briefing/*?lang=vi")
        first = int(urlsplit(page.url).path.rsplit("/", 1)[1])
        wait_for_js(page, "document.querySelectorAll('.chart svg').length >= 2")
        text = page.locator("main").inner_text()
        for words in ("BÁO CÁO GIAO BAN — Toàn thành phố", "Giao ban sáng thứ hai",
                      "Trần Thị Bình", "Kiểm tra trước cuộc họp", "Cần Thơ, ngày"):  # fmt: skip
            assert words in text, words
        # The figures on the page are the stored ones.
        record = api(base, f"/api/v1/snapshots/{first}")["record"]
        cards = page.locator(".card-value").all_inner_texts()
        flow = record["city"]["kpis"].get("traffic_flow", {}).get("value")
        if flow is not None:
            assert cards[0].startswith(f"{flow:,.0f}".replace(",", "."))
        assert page.locator("table.districts tbody tr").count() == len(record["districts"])
        screenshot(page, "briefing-snapshot")

        # A second one, a district's, then a third city one compared with the first.
        page.goto(f"{base}/briefing")
        page.select_option("#district", "ninh-kieu")
        page.click("#take")
        page.wait_for_url("**/briefing/*?lang=vi")
        assert "BÁO CÁO GIAO BAN — Ninh Kiều" in page.locator("h1").inner_text()
        wait_for_js(page, "document.querySelectorAll('.chart svg').length >= 1")
        screenshot(page, "briefing-district")
        page.goto(f"{base}/briefing")
        page.click("#take")
        page.wait_for_url("**/briefing/*?lang=vi")
        page.click("text=So với lần trước")
        page.wait_for_url("**compare=previous**")
        assert f"So với ảnh chụp #{first} lúc" in page.locator("section.compare").inner_text()
        screenshot(page, "briefing-compare")

        # The list shows all three, newest first, and filters by district.
        page.goto(f"{base}/briefing?lang=en")
        rows = page.locator("#snapshots tbody tr")
        assert rows.count() == 3
        page.select_option("select[name=scope]", "ninh-kieu")
        page.click("text=Filter")
        page.wait_for_url("**scope=ninh-kieu**")
        assert page.locator("#snapshots tbody tr").count() == 1
        screenshot(page, "briefing-list")
        assert hosts == {urlsplit(base).netloc}, hosts  # nothing from another host

        # The HTML file, opened from disk with every network request refused, still draws.
        with urllib.request.urlopen(f"{base}/briefing/{first}/export.html", timeout=30) as f:
            saved = tmp_path / "snapshot.html"
            saved.write_bytes(f.read())
        offline = browser.new_page(viewport={"width": 1280, "height": 900})
        asked = []

        def refuse(route):
            asked.append(route.request.url)
            route.abort()

        offline.route("http*://**", refuse)
        offline.goto(saved.as_uri())
        wait_for_js(offline, "document.querySelectorAll('.chart svg').length >= 2")
        assert "Giao ban sáng thứ hai" in offline.locator("main").inner_text()
        assert asked == []
        screenshot(offline, "briefing-export-offline")
        offline.close()
    finally:
        page.close()
