"""The wall's behaviour in headless Chromium on the all-in-one demo: rotation, keys, cursor.

Scenes rotate and a person can step, pause and resume them from the keyboard;
the district carousel shows each district's own values; the cursor hides and the
stage moves against burn-in; a planned reload waits for a rotation boundary.
"""

from __future__ import annotations

import pytest

from tests.conftest import screenshot, wait_for_js
from tests.test_wall_page import active_scene, open_wall

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_scenes_rotate_and_a_person_can_step_pause_and_resume(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview,traffic,wifi&rotate=5")
    try:
        assert active_scene(page) == "overview"
        wait_for_js(
            page,
            "document.querySelector('.scene.is-active').dataset.scene === 'traffic'",
            timeout=12_000,
        )
        progress = page.eval_on_selector(
            "#wall-stage", "el => parseFloat(el.style.getPropertyValue('--progress'))"
        )
        assert 0 <= progress < 1
        page.keyboard.press("ArrowRight")
        assert active_scene(page) == "wifi"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert active_scene(page) == "overview"
        page.keyboard.press("Space")
        assert page.locator("#wall-paused").is_visible()
        page.wait_for_timeout(6500)
        assert active_scene(page) == "overview"  # paused: no rotation
        page.keyboard.press("Space")
        assert page.locator("#wall-paused").is_hidden()
        wait_for_js(
            page,
            "document.querySelector('.scene.is-active').dataset.scene === 'traffic'",
            timeout=12_000,
        )
    finally:
        context.close()


def test_the_district_carousel_visits_districts_with_their_own_values(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "district=rotate&rotate=5&jump=0")
    try:
        assert active_scene(page) == "district"
        assert page.locator("#wall-scene-title").inner_text() == "Quận/huyện · Ninh Kiều"
        wait_for_js(
            page,
            "document.getElementById('wall-scene-title').textContent.endsWith('Bình Thủy')",
            timeout=15_000,
        )
        # The district scene shows the district it says, not the previous one's values.
        assert page.locator("#wall-district-slug").inner_text() == "binh-thuy"
        screenshot(page, "wall-district-carousel")
    finally:
        context.close()


def test_the_cursor_hides_when_idle_and_the_stage_moves_against_burn_in(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview&rotate=0")
    try:
        page.mouse.move(200, 200)
        assert (
            page.eval_on_selector(".wall-root", "el => el.classList.contains('hide-cursor')")
            is False
        )
        wait_for_js(
            page,
            "document.querySelector('.wall-root').classList.contains('hide-cursor')",
            timeout=6000,
        )
        positions = set()
        for _ in range(4):
            page.evaluate("window.iocWall.moveAgainstBurnIn()")
            box = page.locator("#wall-stage").bounding_box()
            positions.add((round(box["x"]), round(box["y"])))
            # Never pushed off the screen.
            assert box["x"] >= 0 and box["y"] >= 0
            assert box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080
        assert len(positions) == 4
    finally:
        context.close()


def test_a_planned_reload_happens_at_a_rotation_boundary(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview,traffic&rotate=5")
    try:
        page.evaluate("window.__beforeReload = true; window.iocWall.config.reloadH = 1e-6")
        with page.expect_event("load", timeout=15_000):
            pass
        page.wait_for_selector("#wall-stage.is-ready", state="attached")
        assert page.evaluate("window.__beforeReload === undefined")
        # After the reload it starts its rotation again, from the first scene.
        assert active_scene(page) == "overview"
    finally:
        context.close()
