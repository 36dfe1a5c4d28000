"""The live status page at "/" in a real browser against the running all-in-one product."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, errors


def test_status_page_lists_every_district_live_in_vietnamese(live_app, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_app.base_url}/")
    page.wait_for_selector(".status-table tbody tr")
    rows = page.locator(".status-table tbody tr")
    assert rows.count() == 9
    assert rows.first.locator(".district-name").inner_text() == "Ninh Kiều"
    assert page.locator("th").first.inner_text() == "Quận/huyện"
    # Every feed of every district reports live within a few refreshes.
    wait_for_js(
        page, "document.querySelectorAll('.status-table td.feed.ok').length === 27", timeout=20_000
    )
    assert page.locator(".demo-label").is_visible()
    assert re.search(r"\d{2}:\d{2}:\d{2} \(GMT\+7\)", page.locator(".updated").inner_text())
    # Closed networks: every request stays on this server.
    assert requested and all(url.startswith(live_app.base_url) for url in requested)
    screenshot(page, "status-vi")


def test_status_page_in_english_updates_itself(live_app, page):
    page.goto(f"{live_app.base_url}/?lang=en")
    page.wait_for_selector(".status-table tbody tr")
    assert page.locator("th").first.inner_text() == "District"
    assert page.locator(".district-name").first.inner_text() == "Ninh Kieu"
    first = page.locator(".updated").inner_text()
    wait_for_js(page, f"document.querySelector('.updated').innerText !== {first!r}", timeout=10_000)
    screenshot(page, "status-en")


def test_unknown_language_falls_back_to_vietnamese(live_app, page):
    page.goto(f"{live_app.base_url}/?lang=xx")
    page.wait_for_selector(".status-table tbody tr")
    assert page.locator("th").first.inner_text() == "Quận/huyện"


def test_vietnamese_text_is_set_in_the_served_typeface(live_app, page):
    fonts: list[str] = []
    page.on("response", lambda r: fonts.append(r.url) if r.url.endswith(".woff2") else None)
    page.goto(f"{live_app.base_url}/")
    page.wait_for_selector(".status-table tbody tr")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"Be Vietnam Pro\"', 'Cần Thơ Vĩnh Thạnh')")
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert family.startswith('"Be Vietnam Pro"')
    # The Vietnamese subset came from this server, not a font CDN.
    assert any("vietnamese" in url and url.startswith(live_app.base_url) for url in fonts)


def test_all_nine_districts_fit_a_1080p_screen_without_scrolling(live_app, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(f"{live_app.base_url}/")
        page.wait_for_selector(".status-table tbody tr")
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        screenshot(page, "status-vi-1920x1080")
    finally:
        context.close()
