"""Accessibility (WCAG 2.1 AA): axe-core finds nothing on /, /wall and the 404 pages, in
both languages; every Dash page says its language in <html lang>; focus is visible.

axe-core comes from tests/axe (npm, test-only, never served to users) and is injected
into the page by the test, past the app's Content-Security-Policy.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.app_process import AppProcess
from tests.conftest import screenshot, wait_for_js
from tests.test_auth_browser import axe_script, axe_violations, new_page

# The wall is connected and its active scene has faded in (no "offline" dimming).
WALL_SETTLED = """(() => {
  const root = document.querySelector('.wall-root');
  const scene = document.querySelector('.wall-root .scene.is-active');
  return !!root && !!scene && !root.classList.contains('is-offline')
    && getComputedStyle(scene).opacity === '1' && !!scene.querySelector('.tile');
})()"""
PAGE_DRAWN = "!!document.querySelector('h1') && !document.querySelector('._dash-loading')"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[AppProcess]:
    process = AppProcess(tmp_path_factory.mktemp("a11y"), IOC_SIM_BACKFILL_DAYS="0",
                         IOC_METRICS_FILE="", IOC_BRIEFING_TIMES="",
                         IOC_EMBEDDED_BROKER_PORT="0")  # fmt: skip
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _status_and_lang(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read().decode()
    opening = body[body.index("<html") : body.index(">", body.index("<html")) + 1]
    return status, opening


@pytest.mark.parametrize(
    ("path", "status", "lang"),
    [
        ("/", 200, "vi"),
        ("/?lang=en", 200, "en"),
        ("/wall?lang=en", 200, "en"),
        ("/district/ninh-kieu?lang=en", 200, "en"),
        ("/no-such-page", 404, "vi"),
        ("/no/such/page?lang=en", 404, "en"),
        ("/district/no-such-district?lang=en", 404, "en"),
    ],
)
def test_every_dash_page_says_its_language(app, path, status, lang):
    found_status, opening = _status_and_lang(app.base_url + path)
    assert found_status == status
    assert f'lang="{lang}"' in opening


def _settled_axe(page, script, ready: str) -> list[dict]:
    """axe's findings on a page in its settled state. The wall dims itself while its ping
    is slow (a loaded test machine): a run during which it left that state is run again."""
    for _attempt in range(3):
        wait_for_js(page, ready)
        page.wait_for_timeout(500)  # past the scenes' 400 ms fade
        found = axe_violations(page, script)
        if page.evaluate(ready):
            return found
    raise AssertionError("the page never stayed settled through an axe run")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_status_page_the_wall_and_the_404_pages_pass_axe(app, browser, lang):
    script = axe_script()
    context, page = new_page(browser, bypass_csp=True)
    try:
        problems: dict[str, list[dict]] = {}
        for path, ready in (
            (f"/?lang={lang}", PAGE_DRAWN),
            (f"/wall?lang={lang}&rotate=600&jump=0", WALL_SETTLED),
            (f"/no-such-page?lang={lang}", PAGE_DRAWN),
            (f"/district/no-such-district?lang={lang}", PAGE_DRAWN),
        ):
            page.goto(app.base_url + path)
            problems[path] = _settled_axe(page, script, ready)
        screenshot(page, f"a11y-404-{lang}")
        assert {path: found for path, found in problems.items() if found} == {}
        assert page.errors == []
    finally:
        context.close()


def test_the_404_page_speaks_the_viewers_language_and_leads_back(app, browser):
    context, page = new_page(browser)
    try:
        page.goto(f"{app.base_url}/no-such-page?lang=en")
        wait_for_js(page, PAGE_DRAWN)
        assert page.inner_text("h1") == "Page not found"
        assert page.evaluate("document.documentElement.lang") == "en"
        # Dash moves to the status page without a reload: <html lang> follows the address.
        page.click("a[href='/?lang=en']")
        wait_for_js(page, "!!document.querySelector('.lang-switch')")
        page.evaluate("history.pushState({}, '', '/?lang=vi')")
        assert page.evaluate("document.documentElement.lang") == "vi"
    finally:
        context.close()


def test_keyboard_focus_is_drawn_in_the_products_style(app, browser):
    context, page = new_page(browser)
    try:
        page.goto(f"{app.base_url}/no-such-page?lang=vi")
        wait_for_js(page, PAGE_DRAWN)
        page.keyboard.press("Tab")
        style = page.evaluate(
            """(() => { const s = getComputedStyle(document.activeElement);
              return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth,
                      s.outlineColor]; })()"""
        )
        assert style == ["A", "solid", "3px", "rgb(29, 78, 216)"]
        screenshot(page, "a11y-focus")
    finally:
        context.close()
