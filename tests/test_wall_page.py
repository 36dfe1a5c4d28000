"""The wall display in headless Chromium against the real product.

Two apps: the all-in-one demo (simulator; for layout at 1080p and 4K and the
behaviour of rotation, keys and cursor) and a wall fed only by what a test
publishes over MQTT (for values, staleness, alarm jumps and a server that
stops and comes back).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from feeds.mqtt import free_port
from ioc.contract import StatusPayload, TrafficPayload, status_topic, topic_for
from tests.conftest import (
    ROOT,
    TEST_MQTT_URL,
    Publisher,
    clear_retained,
    discard_session,
    screenshot,
    spawn_embedded,
    spawn_mosquitto,
    wait_for_js,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
SCENES = ("overview", "traffic", "wifi", "backlog", "dx")
ALL_DRAWN = """(() => {
  const scene = document.querySelector('.scene.is-active');
  const plots = scene.querySelectorAll('.js-plotly-plot');
  const drawn = scene.querySelectorAll('.js-plotly-plot .main-svg').length;
  return plots.length > 0 && drawn >= plots.length;
})()"""
LAYOUT_CHECK = """
() => {
  const scene = document.querySelector('.scene.is-active');
  const view = {w: window.innerWidth, h: window.innerHeight};
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > view.w || doc.scrollHeight > view.h) problems.push('page scrolls');
  const inside = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 &&
           r.right <= view.w + 0.5 && r.bottom <= view.h + 0.5; };
  for (const el of scene.querySelectorAll('.tile, .panel, .overview-map, .ticker')) {
    if (!inside(el)) problems.push('outside the screen: ' + el.className);
    if (el.scrollHeight > el.clientHeight + 1) problems.push('overflows: ' + el.className);
  }
  const texts = '.tile-label, .tile-main, .tile-sub, .tile-foot, .panel-title, .row';
  for (const el of scene.querySelectorAll(texts)) {
    if (el.scrollWidth > el.clientWidth + 1) problems.push('cut: ' + el.textContent);
  }
  const plots = scene.querySelectorAll('.js-plotly-plot');
  const drawn = scene.querySelectorAll('.js-plotly-plot .main-svg').length;
  return {problems, tiles: scene.querySelectorAll('.tile').length, plots: plots.length,
          drawn: drawn, scale: document.getElementById('wall-stage').getBoundingClientRect().width};
}
"""


def open_wall(browser, base_url: str, query: str, size=(1920, 1080)):
    """A page on the wall, scaled and showing values; page errors collected."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.goto(f"{base_url}/wall?{query}")
    page.wait_for_selector("#wall-stage.is-ready", state="attached")
    page.wait_for_selector(".scene.is-active")
    return context, page


def active_scene(page) -> str:
    return page.eval_on_selector(".scene.is-active", "el => el.dataset.scene")


# --- the demo: layout, language, behaviour --------------------------------------------


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("scene", [*SCENES, "district"])
def test_every_scene_fills_the_screen_at_1080p_and_4k(live_app, browser, scene, size):
    query = "rotate=0&jump=0&" + (
        "district=ninh-kieu&scenes=" if scene == "district" else f"scenes={scene}"
    )
    requested: list[str] = []
    context, page = open_wall(browser, live_app.base_url, query, SIZES[size])
    page.on("request", lambda request: requested.append(request.url))
    try:
        assert active_scene(page) == scene
        # Values from the refresh callback are in, and every chart has drawn.
        if scene != "dx":  # the database metrics scene has tiles only
            wait_for_js(page, ALL_DRAWN)
        page.wait_for_timeout(2500)  # a refresh or two: values from the callback in place
        report = page.evaluate(LAYOUT_CHECK)
        path = screenshot(page, f"wall-{scene}-{size}")
        assert report["problems"] == [], report["problems"]
        assert report["drawn"] >= report["plots"] > 0 or scene == "dx"
        if scene in ("overview", "district"):
            assert report["tiles"] == 8
        if scene == "dx":  # the demo catalogue's city-wide metrics, evaluated and shown
            wait_for_js(
                page,
                "document.querySelectorAll('#wall-scene-dx .tile--ok, #wall-scene-dx .tile--warn,"
                " #wall-scene-dx .tile--alarm').length >= 12",
                timeout=20_000,
            )
        # The same layout, scaled: the stage spans the screen's width at both sizes.
        assert report["scale"] == pytest.approx(SIZES[size][0] - 12, abs=1)
        assert path.stat().st_size > 50_000
        # A closed network: nothing is fetched from another host.
        assert all(url.startswith(live_app.base_url) for url in requested)
        assert page.errors == []
    finally:
        context.close()


def test_the_wall_speaks_vietnamese_by_default_and_english_on_request(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview&rotate=0&jump=0")
    try:
        assert page.locator(".brand").inner_text() == "IOC Cần Thơ"
        assert page.locator("#wall-scene-title").inner_text() == "Tổng quan thành phố"
        labels = page.locator("#wall-scene-overview .tile-label").all_inner_texts()
        assert labels[:2] == ["Lưu lượng giao thông", "Tốc độ trung bình"]
        assert page.locator(".wall-demo").is_visible()
        assert "Thứ" in page.locator("#wall-date").inner_text()  # weekday in Vietnamese
    finally:
        context.close()
    context, page = open_wall(browser, live_app.base_url, "scenes=overview&rotate=0&lang=en")
    try:
        assert page.locator(".brand").inner_text() == "Can Tho IOC"
        assert page.locator("#wall-scene-title").inner_text() == "City overview"
        labels = page.locator("#wall-scene-overview .tile-label").all_inner_texts()
        assert labels[:2] == ["Traffic flow", "Mean speed"]
        assert "as of" in page.locator("#wall-scene-overview .tile-time").first.inner_text()
        screenshot(page, "wall-overview-en")
    finally:
        context.close()


def test_the_clock_shows_can_tho_time(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview&rotate=0")
    try:
        wait_for_js(page, "document.getElementById('wall-clock').textContent.length > 0")
        shown = page.locator("#wall-clock").inner_text()
        expected = datetime.now(UTC) + timedelta(hours=7)
        hours, minutes, _ = (int(part) for part in shown.split(":"))
        assert abs((hours * 60 + minutes) - (expected.hour * 60 + expected.minute)) % 1440 <= 1
    finally:
        context.close()


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


def test_bad_parameters_are_named_and_the_wall_still_runs(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "rotate=soon&scenes=wifi,weather")
    try:
        notices = page.locator(".wall-footer .notice").all_inner_texts()
        assert any("rotate='soon'" in notice for notice in notices)
        assert any("'weather'" in notice for notice in notices)
        assert active_scene(page) == "wifi"
        assert page.errors == []
    finally:
        context.close()


# --- a wall fed by the test over MQTT -----------------------------------------------------


class WallApp:
    """`python app.py` on a broker of the test's, no simulator; can be stopped and started."""

    def __init__(self, broker_url: str, workdir) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.client_id = f"test-wall-ingest-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        self.env.update(
            PYTHONPATH=str(ROOT), IOC_PORT=str(self.port), IOC_MQTT_URL=broker_url,
            IOC_SIMULATE="0", IOC_MQTT_CLIENT_ID=self.client_id, IOC_WALL_REFRESH_MS="1000",
            IOC_DATABASE_URL=f"sqlite:///{workdir / 'wall.db'}",
        )  # fmt: skip
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.workdir / "app.log", "a")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")], env=self.env, cwd=self.workdir,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/ping", timeout=2):
                    return True
            except OSError:
                return False

        assert wait_until(up, timeout=60), (self.workdir / "app.log").read_text()[-2000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture(scope="module")
def wall_broker(tmp_path_factory, areas) -> Iterator[str]:
    if TEST_MQTT_URL:
        clear_retained(TEST_MQTT_URL, [a.slug for a in areas.areas])
        yield TEST_MQTT_URL
        clear_retained(TEST_MQTT_URL, [a.slug for a in areas.areas])
        return
    handle = (
        spawn_mosquitto(tmp_path_factory.mktemp("mosquitto"))
        if shutil.which("mosquitto")
        else spawn_embedded()
    )
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def wall_app(wall_broker, tmp_path_factory) -> Iterator[WallApp]:
    app = WallApp(wall_broker, tmp_path_factory.mktemp("wall"))
    app.start()
    try:
        yield app
    finally:
        app.stop()
        discard_session(wall_broker, app.client_id)


@pytest.fixture
def mqtt(wall_broker) -> Iterator[Publisher]:
    publisher = Publisher(wall_broker)
    yield publisher
    publisher.close()


def publish_traffic(mqtt, district, source, vehicles, speed, ts=None):
    ts = ts or datetime.now(UTC)
    payload = TrafficPayload(ts=ts, vehicles=vehicles, interval_s=60, speed_kmh=speed)
    mqtt.publish(topic_for(district, "traffic", source), payload.to_json())
    mqtt.wait_all()


def tile_text(page, scope: str, key: str) -> str:
    return page.locator(f"#wall-{scope}-{key}-box").inner_text()


def test_a_reading_published_over_mqtt_appears_on_the_wall(wall_app, mqtt, browser):
    context, page = open_wall(browser, wall_app.base_url, "district=thoi-lai&scenes=&rotate=0")
    try:
        publish_traffic(mqtt, "thoi-lai", "cam-wall-1", 1234, 42.5)
        wait_for_js(
            page,
            "document.getElementById('wall-district-traffic_flow-box').innerText.includes('1.234')",
            timeout=15_000,
        )
        assert "42,5" in tile_text(page, "district", "traffic_speed")
        box = page.locator("#wall-district-traffic_flow-box")
        assert box.get_attribute("class") == "tile tile--ok"
        publish_traffic(mqtt, "thoi-lai", "cam-wall-1", 777, 41.0)
        wait_for_js(
            page,
            "document.getElementById('wall-district-traffic_flow-box').innerText.includes('777')",
            timeout=15_000,
        )
        screenshot(page, "wall-mqtt-value")
    finally:
        context.close()


def test_a_stale_feed_turns_grey_with_its_age_even_when_it_would_be_an_alarm(
    wall_app, mqtt, browser
):
    context, page = open_wall(browser, wall_app.base_url, "district=vinh-thanh&scenes=&rotate=0")
    try:
        # Four minutes old: traffic reports every 60 s, so it is stale (3 x 60 s).
        old = datetime.now(UTC) - timedelta(minutes=4)
        publish_traffic(mqtt, "vinh-thanh", "cam-wall-2", 50, 5.0, ts=old)
        wait_for_js(
            page,
            "document.getElementById('wall-district-traffic_speed-box').className"
            " === 'tile tile--stale'",
            timeout=15_000,
        )
        text = tile_text(page, "district", "traffic_speed")
        assert "dữ liệu cũ" in text and "4 phút trước" in text
        colour = page.eval_on_selector(
            "#wall-district-traffic_speed-box", "el => getComputedStyle(el).borderLeftColor"
        )
        assert colour == "rgb(125, 133, 148)"  # grey, not the alarm's vermillion
        screenshot(page, "wall-stale")
    finally:
        context.close()


def test_the_wall_jumps_once_to_a_district_that_turns_alarm(wall_app, mqtt, browser):
    context, page = open_wall(browser, wall_app.base_url, "scenes=overview,traffic&rotate=8")
    try:
        page.wait_for_timeout(1500)  # the wall has seen the alarms already on
        publish_traffic(mqtt, "o-mon", "cam-wall-3", 40, 7.0)  # 7 km/h: alarm
        wait_for_js(
            page,
            "document.getElementById('wall-district-slug').textContent === 'o-mon' && "
            "document.querySelector('.scene.is-active').dataset.scene === 'district'",
            timeout=15_000,
        )
        assert page.locator("#wall-scene-title").inner_text() == "Quận/huyện · Ô Môn"
        assert "báo động" in tile_text(page, "district", "traffic_speed")
        screenshot(page, "wall-alarm-jump")
        # Once: afterwards the rotation resumes and does not come back for the same alarm.
        wait_for_js(
            page,
            "document.querySelector('.scene.is-active').dataset.scene !== 'district'",
            timeout=15_000,
        )
        page.wait_for_timeout(9000)
        assert active_scene(page) != "district"
    finally:
        context.close()


def test_an_offline_district_ioc_is_marked_on_the_map_and_in_the_ticker(wall_app, mqtt, browser):
    context, page = open_wall(browser, wall_app.base_url, "scenes=overview&rotate=0&jump=0")
    try:
        payload = StatusPayload(online=False, ts=datetime.now(UTC)).to_json()
        mqtt.publish(status_topic("thot-not"), payload, retain=True)
        mqtt.wait_all()
        wait_for_js(
            page,
            "document.getElementById('wall-city-ticker').innerText.includes('IOC mất kết nối')",
            timeout=15_000,
        )
        assert "Thốt Nốt" in page.locator("#wall-city-ticker").inner_text()
        assert "mất kết nối: Thốt Nốt" in tile_text(page, "city", "ioc_online")
        labels = page.locator("#wall-city-map .textpoint").evaluate_all(
            "points => points.map(point => point.textContent)"
        )
        assert any("Thốt Nốt" in label and "mất kết nối" in label for label in labels)
    finally:
        context.close()


def test_a_lost_server_shows_the_banner_and_the_wall_recovers_by_itself(wall_app, browser):
    context, page = open_wall(browser, wall_app.base_url, "scenes=overview&rotate=0&jump=0")
    try:
        assert page.locator("#wall-banner").is_hidden()
        wall_app.stop()
        stopped = time.monotonic()
        page.wait_for_selector("#wall-banner", state="visible", timeout=15_000)
        took = time.monotonic() - stopped
        print(f"banner shown {took:.1f} s after the server stopped")  # figures: docs/wall.md
        banner = page.locator("#wall-banner").inner_text()
        assert "Mất kết nối tới máy chủ" in banner and "Cập nhật" in banner
        assert page.eval_on_selector(".wall-root", "el => el.classList.contains('is-offline')")
        screenshot(page, "wall-connection-lost")
        wall_app.start()
        # Nobody touches the wall: it finds the server again, the banner goes and
        # new values arrive (the same build: no reload needed).
        page.wait_for_selector("#wall-banner", state="hidden", timeout=15_000)
        assert not page.eval_on_selector(".wall-root", "el => el.classList.contains('is-offline')")
        first = page.locator("#wall-stamp").inner_text()
        wait_for_js(
            page, f"document.getElementById('wall-stamp').textContent !== {first!r}", timeout=10_000
        )
    finally:
        context.close()
