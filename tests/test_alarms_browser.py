"""The alarm loop in headless Chromium on the real product (`python app.py`, no simulator,
fed only by what the test publishes to a broker of its own).

An IOC goes offline (its retained status, as a Last Will leaves it) and the alarm is
raised on /alarms; an operator acknowledges it with a note from the keyboard alone; the
IOC comes back and the alarm closes. A shelved alarm comes back when its time is up (the
shelving is made from the keyboard for 5 minutes, the least allowed; the test then moves
its end into the past in the store, as the clock would). Past the flood limit (2 here),
/alarms shows one flood banner. Both languages; axe-core finds no WCAG 2.1 A/AA violation
on /alarms and /alarms/<id>.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from ioc.config import DEFAULT_ALARMS_FILE
from ioc.contract import StatusPayload, status_topic
from ioc.store.engine import make_engine
from ioc.store.schema import alarms as alarms_table
from tests.app_process import AppProcess
from tests.conftest import Publisher, screenshot, wait_until
from tests.test_auth_browser import axe_script, axe_violations, new_page
from tests.test_wall_mqtt import wall_broker  # noqa: F401 - fixture: a broker of the test's

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The row of /alarms whose message is given: its cells' texts, or null.
ROW = """(message) => {
  for (const row of document.querySelectorAll('table.grid tbody tr')) {
    if (row.innerText.includes(message)) return [...row.cells].map(c => c.innerText.trim());
  }
  return null;
}"""


TICKER = "(document.getElementById('wall-city-ticker') || {innerText: ''}).innerText"
# The smallest font size of the ticker's chips' texts, in CSS pixels.
CHIP_PX = """Math.min(...[...document.querySelectorAll('#wall-city-ticker .chip, '
  + '#wall-city-ticker .chip *')].filter(e => e.innerText && e.innerText.trim())
  .map(e => parseFloat(getComputedStyle(e).fontSize)))"""


def ticker(page) -> str:
    try:
        return page.evaluate(TICKER)
    except Exception:  # noqa: BLE001 - the page is loading: ask again
        return ""


class AlarmApp(AppProcess):
    """The product on the test's broker: alarms every 200 ms, IOC alarms clear after 1 s."""

    def __init__(self, broker_url: str, workdir) -> None:
        rules = workdir / "alarms.toml"
        text = DEFAULT_ALARMS_FILE.read_text(encoding="utf-8")
        start = text.index("[kinds.ioc_offline]")
        quick = text[start:].replace("off_delay_s = 60", "off_delay_s = 1", 1)
        rules.write_text(text[:start] + quick, encoding="utf-8")
        self.database_url = f"sqlite:///{workdir / 'alarms.db'}"
        super().__init__(
            workdir, IOC_MQTT_URL=broker_url, IOC_SIMULATE="0", IOC_METRICS_FILE="",
            IOC_MQTT_CLIENT_ID=f"test-alarms-{uuid.uuid4().hex[:8]}", IOC_ALARMS_FILE=str(rules),
            IOC_ALARM_INTERVAL_MS="200", IOC_ALARM_FLOOD_COUNT="2",
            IOC_DATABASE_URL=self.database_url,
        )  # fmt: skip


@pytest.fixture(scope="module")
def alarm_app(wall_broker, tmp_path_factory):  # noqa: F811 - the imported fixture
    app = AlarmApp(wall_broker, tmp_path_factory.mktemp("alarms"))
    app.start()
    try:
        yield app
    finally:
        app.stop()


def say(broker_url: str, district: str, online: bool) -> None:
    """A district IOC's retained status (offline: what its Last Will publishes)."""
    publisher = Publisher(broker_url)
    try:
        payload = StatusPayload(online=online, ts=datetime.now(UTC)).to_json()
        publisher.publish(status_topic(district), payload, retain=True)
        publisher.wait_all()
    finally:
        publisher.close()


def row_of(page, base: str, lang: str, message: str, state: str = "active", timeout=30):
    """Reload /alarms until the alarm with this message is listed; its cells."""
    found: list = []

    def listed() -> bool:
        page.goto(f"{base}/alarms?state={state}&lang={lang}")
        found[:] = page.evaluate(ROW, message) or []
        return bool(found)

    assert wait_until(listed, timeout=timeout, every=0.5), f"{message} not on /alarms"
    return found


def open_alarm(page, message: str) -> int:
    """Follow the list's link to the alarm; its id."""
    page.get_by_role("link", name=message).first.click()
    page.wait_for_url(re.compile(r".*/alarms/\d+.*"))
    return int(urlsplit(page.url).path.rsplit("/", 1)[1])


def state_of(page, base: str, alarm_id: int, lang: str) -> str:
    page.goto(f"{base}/alarms/{alarm_id}?lang={lang}")
    return page.locator("table.grid tbody tr").nth(1).locator("td").inner_text()


def test_raise_acknowledge_by_keyboard_clear_and_close(alarm_app, wall_broker, browser):  # noqa: F811
    base = alarm_app.base_url
    context, page = new_page(browser)
    try:
        say(wall_broker, "cai-rang", False)
        cells = row_of(page, base, "vi", "IOC Cái Răng mất kết nối")
        assert cells[0].endswith("Khẩn cấp") and cells[1] == "Đang xảy ra, chưa xác nhận"
        assert page.locator("#alarm-flood").count() == 0  # one new alarm: no flood
        screenshot(page, "alarms-raised-vi")
        # On the wall: the ticker's chip, marked as nobody's yet, in the wall's 28 px and up.
        wall, board = new_page(browser)
        board.goto(f"{base}/wall?scenes=overview&rotate=0&lang=vi")
        assert wait_until(lambda: "IOC Cái Răng mất kết nối" in ticker(board), 30)
        assert "chưa xác nhận" in ticker(board) and "1 khẩn cấp · 0 cao" in ticker(board)
        assert board.evaluate(CHIP_PX) >= 28
        screenshot(board, "wall-alarm-ticker-vi")
        wall.close()
        alarm_id = open_alarm(page, "IOC Cái Răng mất kết nối")

        # The keyboard alone: into the note, type, Tab to the button, Enter.
        page.focus("#ack-note")
        page.keyboard.type("Đã gọi kỹ thuật viên quận")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.outerHTML")
        assert focused.startswith("<button") and "Xác nhận" in focused, focused
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*done=ack.*"))
        assert page.locator(".notice__ok").count() == 1
        body = page.inner_text("main")
        assert "Đã gọi kỹ thuật viên quận" in body and "Đang xảy ra, đã xác nhận" in body
        screenshot(page, "alarm-acked-vi")

        say(wall_broker, "cai-rang", True)  # back: closed after the 1 s off-delay
        assert wait_until(lambda: "Đã đóng" in state_of(page, base, alarm_id, "vi"), 30)
        history = page.inner_text("main")
        for word in ("Phát sinh", "Đã xác nhận", "Trở lại bình thường"):
            assert word in history, word
        page.goto(f"{base}/alarms/{alarm_id}?lang=en")
        english = page.inner_text("main")
        assert "Cai Rang IOC is offline" in english and "Closed" in english
        screenshot(page, "alarm-closed-en")
    finally:
        context.close()


def test_a_shelved_alarm_comes_back_when_its_time_is_up(alarm_app, wall_broker, browser):  # noqa: F811
    base = alarm_app.base_url
    context, page = new_page(browser)
    try:
        say(wall_broker, "o-mon", False)
        row_of(page, base, "en", "O Mon IOC is offline")
        alarm_id = open_alarm(page, "O Mon IOC is offline")
        page.focus("#shelve-minutes")
        page.keyboard.press("Control+A")
        page.keyboard.type("5")
        page.keyboard.press("Tab")
        page.keyboard.type("Line works, the provider is on site")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*done=shelve.*"))
        assert "Shelved" in page.inner_text("main")
        engine = make_engine(alarm_app.database_url)
        try:  # the 5 minutes are up
            with engine.begin() as conn:
                ended = datetime.now(UTC) - timedelta(seconds=1)
                conn.execute(update(alarms_table).where(alarms_table.c.id == alarm_id)
                             .values(shelved_until=ended))  # fmt: skip
        finally:
            engine.dispose()
        back = "Active, unacknowledged"
        assert wait_until(lambda: back in state_of(page, base, alarm_id, "en"), 30)
        assert "Shelving ended" in page.inner_text("main")
        screenshot(page, "alarm-unshelved-en")
    finally:
        context.close()
        say(wall_broker, "o-mon", True)


def test_a_flood_shows_one_banner_in_both_languages(alarm_app, wall_broker, browser):  # noqa: F811
    base = alarm_app.base_url
    context, page = new_page(browser)
    try:
        for district in ("ninh-kieu", "thoi-lai", "co-do"):
            say(wall_broker, district, False)
        row_of(page, base, "vi", "IOC Cờ Đỏ mất kết nối")

        def banner(lang: str) -> str:
            page.goto(f"{base}/alarms?lang={lang}")
            return page.locator("#alarm-flood").all_inner_texts()[0] if page.locator(
                "#alarm-flood").count() else ""  # fmt: skip

        assert wait_until(lambda: "Lũ cảnh báo" in banner("vi"), 30)
        assert page.locator(".flood").count() == 1
        screenshot(page, "alarms-flood-vi")
        assert "Alarm flood" in banner("en") and "limit 2" in banner("en")
        screenshot(page, "alarms-flood-en")
        # The wall: one flood banner with the count instead of the alarms.
        page.goto(f"{base}/wall?scenes=overview&rotate=0&lang=en")
        assert wait_until(lambda: "Alarm flood" in ticker(page), 30)
        assert "Co Do IOC is offline" not in ticker(page)
        assert page.locator("#wall-city-ticker .chip--flood").count() == 1
        screenshot(page, "wall-alarm-flood-en")
    finally:
        context.close()
        for district in ("ninh-kieu", "thoi-lai", "co-do"):
            say(wall_broker, district, True)


def test_alarms_pages_pass_axe_in_both_languages(alarm_app, wall_broker, browser):  # noqa: F811
    script = axe_script()
    base = alarm_app.base_url
    say(wall_broker, "phong-dien", False)
    context, page = new_page(browser, bypass_csp=True)
    try:
        row_of(page, base, "vi", "IOC Phong Điền mất kết nối")
        alarm_id = open_alarm(page, "IOC Phong Điền mất kết nối")
        # The list refreshes itself by a script the viewer can turn off (no meta refresh).
        page.goto(f"{base}/alarms?lang=en")
        assert page.locator('script[src="/assets/auth/alarms.js"]').count() == 1
        page.get_by_role("link", name="Stop refreshing").click()
        page.wait_for_url(re.compile(r".*refresh=0.*"))
        assert page.locator('script[src="/assets/auth/alarms.js"]').count() == 0
        assert page.get_by_role("link", name="Refresh every 15 seconds").count() == 1
        problems = {}
        for lang in ("vi", "en"):
            for path in ("/alarms", f"/alarms/{alarm_id}", "/alarms?state=all"):
                page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
                assert page.get_attribute("html", "lang") == lang
                problems[f"{path} {lang}"] = axe_violations(page, script)
        assert all(not v for v in problems.values()), problems
    finally:
        context.close()
        say(wall_broker, "phong-dien", True)
