"""IOC_AUTH=oidc end to end: people sign in to the app at a real OpenID Connect provider.

The app (pages.web.create_app) is served over real HTTP on loopback beside the test
provider (tests/oidc/provider.mjs, oidc-provider 8.8.1). A ``requests.Session`` plays the
browser: it asks for a page, is sent to the sign-in page, follows its button to the
provider, logs in and consents there, and comes back through the app's
``/auth/oidc/callback``. What a user would then check is asserted: the page they asked
for, the districts the API lists, what is refused, the admin's audit, signing out, and the
session's absolute lifetime. Skipped without node/npm.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import quote, urlsplit

import dash
import pytest
import requests
from werkzeug.serving import make_server

from feeds.mqtt import free_port
from ioc.i18n import t
from pages.web import create_app
from tests.conftest import make_settings
from tests.oidc_provider import Provider, login, require_provider, running_provider

pytestmark = pytest.mark.slow

ASKED = "/district/ninh-kieu"
API = "/api/v1/districts"
COOKIE = "ioc_session"
SHORT_HOURS = 0.002  # 7.2 s: the short-lived app's absolute session lifetime
# The test provider releases only the claims its scope `profile` lists (name,
# preferred_username, ioc_role, ioc_districts), so a Keycloak-shaped `realm_access`
# never reaches the app; the same nested shape is carried under `ioc_role` instead.
NESTED = {
    "kc-leader": {
        "preferred_username": "kc-leader",
        "ioc_role": {"roles": ["offline_access", "district", "leader"]},
    }
}
APPS = ("main", "nested", "wrong_secret", "short")


@dataclass(frozen=True)
class Setup:
    provider: Provider
    ports: dict[str, int]  # each app's port, its callback registered with the provider


@dataclass(frozen=True)
class Served:
    app: dash.Dash
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    def audit(self, action: str) -> list[dict]:
        return self.app.server.extensions["ioc_services"].accounts.audit_trail(action=action)

    @property
    def districts(self) -> list[str]:
        return sorted(self.app.server.extensions["ioc_services"].areas.slugs)


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    require_provider()
    ports = {name: free_port() for name in APPS}
    callbacks = [f"http://127.0.0.1:{port}/auth/oidc/callback" for port in ports.values()]
    with running_provider(callbacks, accounts=NESTED) as provider:
        yield Setup(provider, ports)


@contextmanager
def serving(setup: Setup, which: str, folder: Path, **overrides: object) -> Iterator[Served]:
    """The app with IOC_AUTH=oidc on its own store, served on its registered port."""
    provider = setup.provider
    options = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret,
        **overrides,
    }
    settings = make_settings(
        database_url=f"sqlite:///{folder / 'ioc.db'}",
        simulate=False,
        metrics_file=None,
        auth="oidc",
        **options,
    )
    app = create_app(settings)
    server = make_server("127.0.0.1", setup.ports[which], app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(app, f"http://127.0.0.1:{setup.ports[which]}")
    finally:
        server.shutdown()
        thread.join()
        app.server.extensions["ioc_services"].engine.dispose()


@pytest.fixture(scope="module")
def main(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(setup, "main", tmp_path_factory.mktemp("main")) as served:
        yield served


def start_link(html: str) -> str:
    """The sign-in page's button to the provider (its href, unescaped)."""
    found = re.search(r'href="(/auth/oidc/start[^"]*)"', html)
    assert found, f"no sign-in button on the page:\n{html}"
    return unescape(found.group(1))


def sign_in(served: Served, account: str, path: str = ASKED):
    """As a browser would: ask for a page, be sent to sign in, log in at the provider.

    Returns the session and the last response (the page asked for, or the app's refusal).
    """
    session = requests.Session()
    asked = session.get(served.url(path), allow_redirects=False)
    assert asked.status_code == 302, asked.text
    assert asked.headers["Location"] == f"/login?lang=vi&next={quote(path, safe='')}"
    page = session.get(served.url(asked.headers["Location"]))
    assert page.status_code == 200
    start = start_link(page.text)
    assert start == f"/auth/oidc/start?lang=vi&next={quote(path, safe='')}"
    return session, login(session, served.url(start), account)


def listed(session: requests.Session, served: Served) -> list[str]:
    response = session.get(served.url(API))
    assert response.status_code == 200, response.text
    return sorted(d["district"] for d in response.json())


def test_district_user_signs_in_and_sees_only_their_district(main: Served) -> None:
    session, response = sign_in(main, "district1")

    assert response.status_code == 200, response.text
    assert response.url == main.url(ASKED)  # the page asked for, not the home page
    callback = response.history[-1]
    assert urlsplit(callback.url).path == "/auth/oidc/callback"
    assert callback.status_code == 303
    assert listed(session, main) == ["ninh-kieu"]
    other = session.get(main.url(f"{API}/cai-rang/live"))
    assert other.status_code == 403
    assert other.headers["Content-Type"].startswith("application/json")
    assert other.json()["slug"] == "cai-rang"
    assert session.get(main.url(f"{API}/ninh-kieu/live")).status_code == 200
    assert session.get(main.url("/admin")).status_code == 403
    logins = [r for r in main.audit("login") if r["actor"] == "district1"]
    assert logins and logins[0]["detail"] == "oidc"


def test_leader_sees_every_district(main: Served) -> None:
    session, response = sign_in(main, "leader1")

    assert response.status_code == 200, response.text
    assert listed(session, main) == main.districts
    assert len(main.districts) > 1
    assert session.get(main.url("/admin")).status_code == 403


def test_operator_sees_every_district_but_not_the_admin_page(main: Served) -> None:
    session, response = sign_in(main, "operator1")

    assert response.status_code == 200, response.text
    assert response.url == main.url(ASKED)
    assert listed(session, main) == main.districts
    assert session.get(main.url("/admin")).status_code == 403


def test_admin_opens_admin_page_whose_audit_shows_the_oidc_login(main: Served) -> None:
    session, response = sign_in(main, "admin1", "/admin")

    assert response.status_code == 200, response.text
    assert response.url == main.url("/admin")
    # The audit table's row: when, actor, action, target, detail, address.
    row = re.compile(
        r"<tr><td>[^<]*</td><td>admin1</td><td>Đăng nhập</td><td>admin1</td>"
        r"<td>oidc</td><td>127\.0\.0\.1</td></tr>"
    )
    assert row.search(response.text), response.text
    assert listed(session, main) == main.districts


def test_account_without_role_is_refused_in_vietnamese(main: Served) -> None:
    session, response = sign_in(main, "nobody1")

    assert response.status_code == 403
    assert urlsplit(response.url).path == "/auth/oidc/callback"
    assert '<html lang="vi"' in response.text
    said = t("login_no_role", "vi")
    assert said.startswith("Tài khoản của bạn chưa được gán vai trò")
    assert said in unescape(response.text)
    assert session.get(main.url(API)).status_code == 401
    again = session.get(main.url(ASKED), allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login?")
    failed = [r for r in main.audit("login_failed") if r["target"] == "nobody1"]
    assert failed and failed[0]["detail"] == "oidc: no role"


def test_sign_out_ends_the_session(main: Served) -> None:
    session, response = sign_in(main, "leader1")
    assert response.status_code == 200, response.text
    assert session.get(main.url(API)).status_code == 200

    out = session.post(main.url("/logout"), headers={"Origin": main.base}, allow_redirects=False)

    assert out.status_code == 303
    assert out.headers["Location"] == "/login?lang=vi"
    assert session.get(main.url(API)).status_code == 401
    back = session.get(main.url(ASKED), allow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"].startswith("/login?")
    assert any(r["actor"] == "leader1" for r in main.audit("logout"))


def test_sign_out_from_another_site_is_refused(main: Served) -> None:
    session, response = sign_in(main, "leader1")
    assert response.status_code == 200, response.text

    out = session.post(
        main.url("/logout"), headers={"Origin": "http://evil.example"}, allow_redirects=False
    )

    assert out.status_code == 403
    assert session.get(main.url(API)).status_code == 200  # still signed in


def test_role_in_a_nested_list_claim(setup: Setup, tmp_path: Path) -> None:
    with serving(setup, "nested", tmp_path, oidc_role_claim="ioc_role.roles") as served:
        session, response = sign_in(served, "kc-leader")

        assert response.status_code == 200, response.text
        assert response.url == served.url(ASKED)
        # The strongest known role of the list ("leader", over "district"): every district.
        assert listed(session, served) == served.districts
        logins = served.audit("login")
        assert [r["actor"] for r in logins] == ["kc-leader"]


def test_wrong_client_secret_fails_the_sign_in(setup: Setup, tmp_path: Path) -> None:
    with serving(setup, "wrong_secret", tmp_path, oidc_client_secret="not-the-secret") as served:
        session, response = sign_in(served, "admin1")

        assert response.status_code == 401
        assert urlsplit(response.url).path == "/auth/oidc/callback"
        assert t("login_oidc_failed", "vi") in unescape(response.text)
        assert session.get(served.url(API)).status_code == 401
        assert session.get(served.url("/admin"), allow_redirects=False).status_code == 302
        assert served.audit("login") == []
        failed = served.audit("login_failed")
        assert len(failed) == 1 and "invalid_client" in failed[0]["detail"]


def test_session_has_an_absolute_lifetime(setup: Setup, tmp_path: Path) -> None:
    with serving(setup, "short", tmp_path, session_hours=SHORT_HOURS) as served:
        session, response = sign_in(served, "district1")
        signed_in_by = time.time()  # the session began before this moment
        assert response.status_code == 200, response.text
        assert listed(session, served) == ["ninh-kieu"]
        cookie = session.cookies.get(COOKIE)
        assert requests.get(served.url(API), cookies={COOKIE: cookie}).status_code == 200

        ends = signed_in_by + SHORT_HOURS * 3600
        while time.time() <= ends + 0.2:
            time.sleep(max(0.05, ends + 0.2 - time.time()))

        # The browser that kept using the app is no longer signed in...
        assert session.get(served.url(API)).status_code == 401
        # ...and the server itself refuses the old cookie when it is sent on regardless.
        replayed = requests.get(served.url(API), cookies={COOKIE: cookie})
        assert replayed.status_code == 401
        page = requests.get(served.url(ASKED), cookies={COOKIE: cookie}, allow_redirects=False)
        assert page.status_code == 302 and page.headers["Location"].startswith("/login?")


class _Back(Exception):
    """Raised from a response hook to stop at the app's callback instead of following it."""


def _stop_at_callback(response: requests.Response, *args: object, **kwargs: object) -> None:
    if urlsplit(response.url).path == "/auth/oidc/callback":
        raise _Back(response)


@pytest.mark.parametrize("sneaky", ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example"])
def test_sign_in_never_sends_to_another_site(main: Served, sneaky: str) -> None:
    session = requests.Session()
    session.hooks["response"].append(_stop_at_callback)
    with pytest.raises(_Back) as back:
        login(session, main.url(f"/auth/oidc/start?lang=vi&next={sneaky}"), "leader1")
    callback = back.value.args[0]

    assert callback.status_code == 303
    where = urlsplit(callback.headers["Location"])
    assert not where.scheme and not where.netloc and where.path.startswith("/")
    assert not any(ord(c) < 0x20 for c in callback.headers["Location"])
