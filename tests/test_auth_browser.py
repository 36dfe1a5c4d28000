"""Accounts, sign-in and wall tokens in headless Chromium on the real product (IOC_AUTH=local).

`python app.py` runs as a child process on its own SQLite file; the accounts and
the wall tokens are made with the real `python -m ioc.users` on the same store. A
district account signs in (Vietnamese, then English for the admin), a wall on its
token keeps running across a server restart without ever seeing the sign-in page,
a revoked token turns its wall into the "withdrawn" page by itself, and the
server-written pages pass axe-core's WCAG 2.1 A and AA rules.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from feeds.mqtt import free_port
from ioc.i18n import t
from tests.app_process import AppProcess
from tests.conftest import ROOT, screenshot, wait_for_js, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORDS = {"admin1": "admin1-long-password", "anh": "anh-ninh-kieu-2024"}
SIZE = {"width": 1920, "height": 1080}
AXE_DIR = ROOT / "tests" / "axe"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The wall shows values: its active scene has tiles, and some tile holds a number.
WALL_VALUES = """(() => {
  const values = document.querySelectorAll('.scene.is-active .tile-value');
  return values.length > 0 && [...values].some(v => /[0-9]/.test(v.textContent));
})()"""
# The rows of the admin page's table whose caption is given, as lists of cell texts.
TABLE_ROWS = """(caption) => {
  for (const table of document.querySelectorAll('table.grid')) {
    if (table.caption && table.caption.textContent === caption) {
      return [...table.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()));
    }
  }
  return null;
}"""


class AuthApp(AppProcess):
    """`python app.py` with IOC_AUTH=local on a store of its own; stops and starts again."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(
            workdir, IOC_AUTH="local", IOC_EMBEDDED_BROKER_PORT=str(free_port()),
            IOC_METRICS_FILE="", IOC_DATABASE_URL=f"sqlite:///{workdir / 'ioc.db'}",
        )  # fmt: skip
        self.walls: dict[str, str] = {}

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run `python -m ioc.users ARGS` on the app's store; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "ioc.users", *args], env=self.env, cwd=ROOT, input=stdin,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"ioc.users {args}: {done.stdout}{done.stderr}"
        return done.stdout

    def wall_token(self, name: str) -> str:
        """Make a wall token with the CLI; the wall URL from its last line, on this app."""
        printed = self.cli("wall-token", name).strip().splitlines()[-1]
        parts = urlsplit(printed)
        assert parts.path == "/wall" and parts.query.startswith("token="), printed
        return f"{self.base_url}{parts.path}?{parts.query}"


@pytest.fixture(scope="module")
def auth_app(tmp_path_factory) -> Iterator[AuthApp]:
    app = AuthApp(tmp_path_factory.mktemp("auth"))
    app.cli("add", "admin1", "--role", "admin", "--password-stdin", stdin=PASSWORDS["admin1"])
    app.cli("add", "anh", "--role", "district", "--districts", "ninh-kieu", "--password-stdin",
            stdin=PASSWORDS["anh"] + "\n")  # fmt: skip
    app.walls = {name: app.wall_token(name) for name in ("wall-1", "wall-2")}
    app.start()
    try:
        yield app
    finally:
        app.stop()


def new_page(browser, **options):
    """A fresh browser context (no cookies) at 1080p, and a page in it."""
    context = browser.new_context(viewport=SIZE, **options)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    return context, page


def sign_in(page, name: str, password: str) -> None:
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click("form.form button[type=submit]")


def access(context, base_url: str) -> str:
    """What the server says of this browser's access (the wall's ping: ok, withdrawn, none)."""
    return context.request.get(f"{base_url}/api/v1/ping").json()["access"]


def poll(page, expression: str, timeout: float = 30) -> bool:
    """Poll a JavaScript expression through page loads (a reload destroys the context)."""

    def holds() -> bool:
        try:
            return bool(page.evaluate(expression))
        except Exception:  # noqa: BLE001 - navigating: ask again
            return False

    return wait_until(holds, timeout=timeout, every=0.2)


def open_wall(browser, url: str):
    """A fresh context on a wall URL, waiting until it shows values; main-frame URLs kept."""
    context, page = new_page(browser)
    page.urls = []  # type: ignore[attr-defined]
    page.on(
        "framenavigated",
        lambda frame: page.urls.append(frame.url) if frame == page.main_frame else None,
    )
    page.goto(url)
    page.wait_for_selector("#wall-stage.is-ready", state="attached")
    wait_for_js(page, WALL_VALUES, timeout=60_000)
    return context, page


# --- signing in -------------------------------------------------------------------------


def test_a_district_account_signs_in_in_vietnamese_and_sees_its_district(auth_app, browser):
    base = auth_app.base_url
    context, page = new_page(browser)
    try:
        page.goto(f"{base}/district/ninh-kieu")
        page.wait_for_url("**/login?**")
        assert urlsplit(page.url).path == "/login"
        assert page.get_attribute("html", "lang") == "vi"
        assert page.inner_text("h1") == t("login_title", "vi")
        labels = page.locator("form.form label").all_inner_texts()
        assert labels == ["Tên đăng nhập", "Mật khẩu"]
        assert labels == [t("login_name", "vi"), t("login_password", "vi")]
        screenshot(page, "auth-login-vi")

        sign_in(page, "anh", "not-the-password")
        page.wait_for_selector(".notice__error")
        assert page.inner_text(".notice__error") == t("login_failed", "vi")
        assert urlsplit(page.url).path == "/login"
        assert page.get_attribute("html", "lang") == "vi"
        assert page.input_value("#login-name") == "anh"  # the name stays, the password not
        assert page.input_value("#login-password") == ""
        assert access(context, base) == "none"
        screenshot(page, "auth-login-error-vi")

        sign_in(page, "anh", PASSWORDS["anh"])
        page.wait_for_url(f"{base}/district/ninh-kieu")
        page.wait_for_selector("#district-name")
        assert page.inner_text("#district-name") == "Ninh Kiều"
        assert access(context, base) == "ok"
        # Its numbers: the simulator's traffic of Ninh Kieu reaches the header's card.
        wait_for_js(
            page,
            "(() => { const c = document.querySelector('[data-kpi=traffic_flow]');"
            " return !!c && /[0-9]/.test(c.innerText); })()",
            timeout=60_000,
        )
        assert page.errors == []
        # Another district is not this account's: refused, not sent to sign in again.
        answer = page.goto(f"{base}/district/cai-rang")
        assert answer is not None and answer.status == 403
        assert urlsplit(page.url).path == "/district/cai-rang"
    finally:
        context.close()


def test_the_admin_signs_in_in_english_and_sees_the_wall_last_seen(auth_app, browser):
    base = auth_app.base_url
    wall_context, _ = open_wall(browser, auth_app.walls["wall-1"])  # a screen shows up
    wall_context.close()
    context, page = new_page(browser)
    try:
        page.goto(f"{base}/login")
        assert page.get_attribute("html", "lang") == "vi"
        switch = page.locator("a.notice__lang")
        assert switch.inner_text() == t("language", "vi") == "English"
        switch.click()
        page.wait_for_url("**/login?lang=en**")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == t("login_title", "en")
        labels = page.locator("form.form label").all_inner_texts()
        assert labels == ["User name", "Password"]
        assert page.locator("a.notice__lang").inner_text() == t("language", "en")
        screenshot(page, "auth-login-en")

        sign_in(page, "admin1", PASSWORDS["admin1"])
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        assert access(context, base) == "ok"

        page.goto(f"{base}/admin?lang=en")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == t("admin_title", "en")
        tokens = page.evaluate(TABLE_ROWS, t("admin_tokens", "en"))
        assert tokens is not None, "no table of tokens on /admin"
        walls = {row[0]: row for row in tokens}
        assert {"wall-1", "wall-2"} <= set(walls)
        seen = walls["wall-1"][5]  # "<when> · <from>"
        assert not seen.startswith("–") and seen.endswith("127.0.0.1"), seen
        assert walls["wall-2"][5].startswith("–")  # never opened yet
        accounts = {row[0] for row in page.evaluate(TABLE_ROWS, t("admin_accounts", "en"))}
        assert {"admin1", "anh"} <= accounts
        screenshot(page, "auth-admin-en")

        page.goto(f"{base}/admin?lang=vi")
        assert page.get_attribute("html", "lang") == "vi"
        assert page.inner_text("h1") == t("admin_title", "vi")
        assert page.evaluate(TABLE_ROWS, t("admin_tokens", "vi")) is not None
        screenshot(page, "auth-admin-vi")
        assert page.errors == []
    finally:
        context.close()


# --- wall screens on their tokens -------------------------------------------------------


def test_a_wall_on_its_token_runs_across_a_server_restart_without_signing_in(auth_app, browser):
    context, page = open_wall(browser, auth_app.walls["wall-1"])
    try:
        assert page.locator("#wall-banner").is_hidden()
        auth_app.stop()
        page.wait_for_selector("#wall-banner", state="visible", timeout=30_000)
        assert page.eval_on_selector(".wall-root", "el => el.classList.contains('is-offline')")
        auth_app.start()
        # Nobody touches the wall: it finds the server again, with its cookie or URL token.
        page.wait_for_selector("#wall-banner", state="hidden", timeout=60_000)
        first = page.locator("#wall-stamp").inner_text()
        wait_for_js(
            page, f"document.getElementById('wall-stamp').textContent !== {first!r}", timeout=30_000
        )
        wait_for_js(page, WALL_VALUES, timeout=30_000)
        assert page.urls, "no navigation recorded"
        assert all(urlsplit(url).path == "/wall" for url in page.urls), page.urls
        assert access(context, auth_app.base_url) == "ok"
        assert page.errors == []
    finally:
        context.close()


def test_a_revoked_token_turns_its_wall_into_the_withdrawn_page(auth_app, browser):
    context, page = open_wall(browser, auth_app.walls["wall-2"])
    try:
        title = t("wall_withdrawn_title", "vi")
        auth_app.cli("revoke-token", "wall-2")
        assert poll(page, f"document.querySelector('h1')?.textContent === {title!r}"), (
            page.url,
            page.content()[:2000],
        )
        assert page.get_attribute("html", "lang") == "vi"
        assert page.locator(".tile-value").count() == 0
        assert page.locator("#wall-stage").count() == 0
        assert all(urlsplit(url).path == "/wall" for url in page.urls), page.urls
        answer = context.request.get(auth_app.walls["wall-2"])
        assert answer.status == 403
        assert access(context, auth_app.base_url) == "withdrawn"
        screenshot(page, "auth-wall-withdrawn-vi")
    finally:
        context.close()


# --- accessibility: axe-core on the server-written pages ---------------------------------


def axe_script() -> Path:
    """axe-core's script from tests/axe/node_modules, after `npm ci` there if need be."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install axe-core (npm ci in tests/axe)")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if done.returncode != 0 or not script.exists():
        pytest.skip(f"npm ci in tests/axe failed: {(done.stderr or done.stdout)[-500:]}")
    return script


def axe_violations(page, script: Path) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA) on the page; its violations, briefly."""
    page.add_script_tag(path=str(script))
    found = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
          return {passes: result.passes.length, violations: result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))};
        }""",
        AXE_TAGS,
    )
    assert found["passes"] > 0, "axe-core checked nothing"
    return found["violations"]


def test_the_server_written_pages_pass_axe_wcag_21_aa(auth_app, browser):
    script = axe_script()
    base = auth_app.base_url
    # The app's Content-Security-Policy forbids the injected script: bypassed for axe only.
    context, page = new_page(browser, bypass_csp=True)
    try:
        problems: dict[str, list[dict]] = {}
        for lang in ("vi", "en"):
            page.goto(f"{base}/login?lang={lang}")
            problems[f"login {lang}"] = axe_violations(page, script)
        sign_in(page, "anh", "not-the-password")
        page.wait_for_selector(".notice__error")
        problems["login error"] = axe_violations(page, script)
        page.goto(f"{base}/wall?token=wall-not-a-token")  # an unknown token: withdrawn
        assert page.inner_text("h1") == t("wall_withdrawn_title", "vi")
        problems["withdrawn"] = axe_violations(page, script)
        page.goto(f"{base}/login?lang=en&next=/admin%3Flang%3Den")
        sign_in(page, "admin1", PASSWORDS["admin1"])
        page.wait_for_url("**/admin?lang=en")
        problems["admin en"] = axe_violations(page, script)
        page.goto(f"{base}/admin?lang=vi")
        problems["admin vi"] = axe_violations(page, script)
        assert {name: found for name, found in problems.items() if found} == {}
    finally:
        context.close()
