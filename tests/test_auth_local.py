"""Accounts in the store (IOC_AUTH=local), the proxy mode, the open mode's guard rails,
the audit trail and ``python -m ioc.users``, each through its real door."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from ioc import identity
from ioc.config import ROOT
from ioc.services.accounts import AccountError
from ioc.store import accounts as rows
from pages.web import create_app
from tests.conftest import make_settings

PASSWORD = "mat-khau-rat-dai-1"
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def app(store_url, areas):
    settings = make_settings(database_url=store_url, auth="local", simulate=False,
                             metrics_file=None)  # fmt: skip
    app = create_app(settings, areas=areas)
    accounts = app.server.extensions["ioc_services"].accounts
    accounts.add_account("anh", "district", ["ninh-kieu"], PASSWORD, by="test")
    accounts.add_account("lan", "leader", None, PASSWORD, by="test")
    return app


def accounts_of(app):
    return app.server.extensions["ioc_services"].accounts


def sign_in(client, name="anh", password=PASSWORD, **extra):
    data = {"name": name, "password": password, **extra}
    return client.post("/login", data=data, headers=ORIGIN)


# --- accounts ----------------------------------------------------------------------------


def test_bad_accounts_are_refused_with_the_reason(app):
    accounts = accounts_of(app)
    cases = [
        (("x y", "leader"), {}, "a name is"),
        (("ok", "chief"), {}, "the role is one of"),
        (("ok", "district"), {}, "needs --districts"),
        (("ok", "district", ["atlantis"]), {}, "unknown district atlantis"),
        (("ok", "leader", None, "short"), {}, "10 to 256 characters"),
        (("anh", "leader", None, PASSWORD), {}, "exists already"),
    ]
    for args, kwargs, reason in cases:
        with pytest.raises(AccountError, match=reason):
            accounts.add_account(*args, by="test", **kwargs)


def test_passwords_are_stored_as_argon2id_hashes_only(app):
    with app.server.extensions["ioc_services"].engine.connect() as conn:
        stored = conn.execute(sql("SELECT password FROM accounts WHERE name = 'anh'")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_login_in_vietnamese_then_the_page_asked_for(app):
    client = app.server.test_client()
    sent = client.get("/district/ninh-kieu?tab=wifi")
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login?lang=vi")
    form = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'lang="vi"' in form and "Tên đăng nhập" in form and "Mật khẩu" in form
    wrong = sign_in(client, password="not-the-password")
    assert wrong.status_code == 401 and "không đúng" in wrong.get_data(as_text=True)
    assert client.get("/api/v1/districts").status_code == 401
    done = sign_in(client, next="/district/ninh-kieu?tab=wifi")
    assert done.status_code == 303 and done.headers["Location"] == "/district/ninh-kieu?tab=wifi"
    assert [d["district"] for d in client.get("/api/v1/districts").get_json()] == ["ninh-kieu"]
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_the_login_page_in_english_and_its_errors(app):
    client = app.server.test_client()
    form = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in form and "User name" in form and "Password" in form
    wrong = sign_in(client, password="not-the-password", lang="en")
    assert "wrong" in wrong.get_data(as_text=True)


def test_next_never_leads_to_another_site(app):
    client = app.server.test_client()
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert sign_in(app.server.test_client(), next=evil).headers["Location"] == "/"
    assert client.get("/login?next=//evil.example").status_code == 200


def test_a_login_from_another_site_is_refused(app):
    client = app.server.test_client()
    refused = client.post("/login", data={"name": "anh", "password": PASSWORD},
                          headers={"Origin": "https://evil.example"})  # fmt: skip
    assert refused.status_code == 403
    assert client.get("/api/v1/districts").status_code == 401


def test_failed_logins_are_throttled_per_account_even_with_the_right_password_after(app):
    client = app.server.test_client()
    for _ in range(5):
        assert sign_in(client, password="not-the-password").status_code == 401
    throttled = sign_in(client)
    assert throttled.status_code == 429 and "15 phút" in throttled.get_data(as_text=True)
    assert sign_in(app.server.test_client(), "lan").status_code == 303  # other accounts: fine
    actions = [r["action"] for r in accounts_of(app).audit_trail(10)]
    assert actions.count("login_failed") == 5 and "login_throttled" in actions


def test_failed_logins_are_throttled_per_address_across_accounts(store_url, areas):
    settings = make_settings(database_url=store_url, auth="local", simulate=False,
                             metrics_file=None, login_attempts_address=3)  # fmt: skip
    app = create_app(settings, areas=areas)
    accounts_of(app).add_account("lan", "leader", None, PASSWORD, by="test")
    client = app.server.test_client()
    for name in ("a1", "a2", "a3"):
        sign_in(client, name, "not-the-password")
    assert sign_in(client, "lan").status_code == 429


def test_disabling_an_account_or_setting_its_password_ends_its_sessions(app):
    client = app.server.test_client()
    sign_in(client)
    assert client.get("/api/v1/districts").status_code == 200
    accounts_of(app).set_disabled("anh", True, by="test")
    assert client.get("/api/v1/districts").status_code == 401
    assert sign_in(client).status_code == 401  # disabled: cannot sign in again
    accounts_of(app).set_disabled("anh", False, by="test")
    assert sign_in(client).status_code == 303
    accounts_of(app).set_password("anh", "another-long-password", by="test")
    assert client.get("/api/v1/districts").status_code == 401


def test_a_session_has_an_absolute_lifetime(store_url, areas):
    settings = make_settings(
        database_url=store_url,
        auth="local",
        simulate=False,
        metrics_file=None,
        session_hours=0.0004,
    )  # 1.44 s; fmt: skip
    app = create_app(settings, areas=areas)
    accounts_of(app).add_account("lan", "leader", None, PASSWORD, by="test")
    client = app.server.test_client()
    sign_in(client, "lan")
    assert client.get("/api/v1/districts").status_code == 200
    time.sleep(1.6)
    assert client.get("/api/v1/districts").status_code == 401


def test_signing_out_ends_the_session_and_is_audited(app):
    client = app.server.test_client()
    sign_in(client)
    kept = client.get_cookie("ioc_session").value  # a copy someone kept of the cookie
    out = client.post("/logout", headers=ORIGIN)
    assert out.status_code == 303 and out.headers["Location"].startswith("/login")
    assert client.get("/api/v1/districts").status_code == 401
    other = app.server.test_client()
    other.set_cookie("ioc_session", kept)
    assert other.get("/api/v1/districts").status_code == 401  # ended on the server too
    assert accounts_of(app).audit_trail(1)[0]["action"] == "logout"


def test_a_snapshot_is_taken_by_the_account_not_by_the_form(app):
    client = app.server.test_client()
    sign_in(client, "lan")
    taken = client.post("/briefing", data={"district": "city", "taken_by": "Someone Else"},
                        headers=ORIGIN)  # fmt: skip
    assert taken.status_code == 303
    snap_id = int(taken.headers["Location"].split("/")[2].split("?")[0])
    assert client.get(f"/api/v1/snapshots/{snap_id}").get_json()["taken_by"] == "lan"
    client.get(f"/briefing/{snap_id}/export.html")
    client.get(f"/briefing/{snap_id}?compare=previous")
    trail = accounts_of(app).audit_trail(5)
    assert [(r["actor"], r["action"]) for r in trail[:3]] == [
        ("lan", "snapshot_compared"), ("lan", "snapshot_exported"), ("lan", "snapshot_taken")
    ]  # fmt: skip


def test_the_audit_trail_cannot_be_changed(app):
    accounts_of(app).audit("test", "login", "anh")
    engine = app.server.extensions["ioc_services"].engine
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sql("UPDATE audit SET actor = 'someone else'"))


# --- API tokens and the proxy mode ---------------------------------------------------------


def test_an_api_token_reads_the_api_within_its_districts_until_revoked(app):
    token = accounts_of(app).add_token("api", "nk", by="t", role="district",
                                       districts=["ninh-kieu"])  # fmt: skip
    client = app.server.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert [d["district"] for d in client.get("/api/v1/districts", headers=bearer).get_json()] \
        == ["ninh-kieu"]  # fmt: skip
    assert client.get("/api/v1/districts/cai-rang/live", headers=bearer).status_code == 403
    assert client.get("/", headers=bearer).status_code == 403  # no page
    accounts_of(app).revoke("nk", by="t")
    assert client.get("/api/v1/districts", headers=bearer).status_code == 401
    assert client.get("/api/v1/districts", headers={"Authorization": "Basic eDp5"}).status_code \
        == 401  # fmt: skip


@pytest.mark.parametrize("trusted, seen", [("127.0.0.1", True), ("10.1.2.3", False)])
def test_proxy_headers_count_only_from_a_trusted_proxy(
    store_url, areas, caplog, monkeypatch, trusted, seen
):
    settings = make_settings(database_url=store_url, auth="proxy", trusted_proxies=trusted,
                             scope_header="X-IOC-Districts", user_header="X-Forwarded-User",
                             simulate=False, metrics_file=None)  # fmt: skip
    app = create_app(settings, areas=areas)
    headers = {"X-IOC-Districts": "ninh-kieu", "X-Forwarded-User": "anh", "X-IOC-Role": "district"}
    caplog.set_level(logging.WARNING)
    monkeypatch.setattr(identity, "_IGNORED_LOGGED", {})  # logged once a minute per address
    response = app.server.test_client().get("/api/v1/districts", headers=headers)
    if seen:
        assert [d["district"] for d in response.get_json()] == ["ninh-kieu"]
    else:
        assert response.status_code == 401
        assert "not a trusted proxy" in caplog.text and "10.1.2.3" not in caplog.text
    admin = app.server.test_client().get("/admin", headers={**headers, "X-IOC-Role": "admin"})
    assert admin.status_code == (200 if seen else 401)  # proxy mode: no sign-in page here


# --- the open mode ---------------------------------------------------------------------------


def _run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    return subprocess.run([sys.executable, *args], env={**clean, "PYTHONPATH": str(ROOT), **env},
                          input=stdin, capture_output=True, text=True, timeout=60, check=False,
                          cwd=ROOT)  # fmt: skip


def test_an_open_app_on_a_network_address_refuses_to_start_with_one_line(tmp_path):
    env = {"IOC_HOST": "0.0.0.0", "IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = _run("app.py", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "IOC_AUTH=none on IOC_HOST=0.0.0.0" in lines[0]
    assert "IOC_AUTH_ALLOW_OPEN=1" in lines[0] and "Traceback" not in done.stderr


def test_an_open_app_allowed_on_the_network_warns_on_every_page(tmp_path, areas, caplog):
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", host="0.0.0.0",
                             auth_allow_open=True, simulate=False, metrics_file=None)  # fmt: skip
    with caplog.at_level(logging.WARNING):
        app = create_app(settings, areas=areas)
    assert "anyone who reaches this address" in caplog.text
    client = app.server.test_client()
    for path in ("/", "/wall", "/briefing", "/login"):
        body = client.get(path).get_data(as_text=True)
        assert 'class="ioc-open-warning"' in body and "CẢNH BÁO" in body, path


# --- python -m ioc.users ---------------------------------------------------------------------


def test_the_users_command_makes_accounts_and_tokens_that_work(tmp_path, areas):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    env = {"IOC_DATABASE_URL": url, "IOC_PORT": "8123"}
    added = _run("-m", "ioc.users", "add", "anh", "--role", "district", "--districts",
                 "ninh-kieu", "--password-stdin", env=env, stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    wall = _run("-m", "ioc.users", "wall-token", "screen-1", "--district", "ninh-kieu", env=env)
    wall_url = wall.stdout.strip().splitlines()[-1]
    assert wall_url.startswith("http://127.0.0.1:8123/wall?token=iocw_")
    api = _run("-m", "ioc.users", "api-token", "platform", "--role", "leader", env=env)
    token = api.stdout.strip().splitlines()[-1]
    bad = _run("-m", "ioc.users", "add", "x", "--role", "district", env=env)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("add: a district account needs")

    app = create_app(make_settings(database_url=url, auth="local", simulate=False,
                                   metrics_file=None), areas=areas)  # fmt: skip
    client = app.server.test_client()
    assert sign_in(client).status_code == 303
    screen = app.server.test_client()
    assert screen.get(wall_url.removeprefix("http://127.0.0.1:8123")).status_code == 200
    assert screen.get("/api/v1/ping").get_json()["access"] == "ok"
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/districts", headers=bearer).status_code == 200

    assert _run("-m", "ioc.users", "revoke-token", "screen-1", env=env).returncode == 0
    assert screen.get("/api/v1/ping").get_json()["access"] == "withdrawn"
    listed = _run("-m", "ioc.users", "tokens", env=env).stdout
    assert "screen-1" in listed and "127.0.0.1" in listed  # where it was last seen from
    trail = _run("-m", "ioc.users", "audit", env=env).stdout
    for action in ("account_added", "wall_token_added", "api_token_added", "token_revoked",
                   "login"):  # fmt: skip
        assert action in trail


def test_audit_rows_past_the_retention_are_deleted_and_newer_ones_kept(app):
    engine = app.server.extensions["ioc_services"].engine
    old = datetime.now(UTC) - timedelta(days=401)
    with engine.begin() as conn:
        rows.add_audit(conn, {"at": old, "actor": "x", "action": "login", "target": "",
                              "detail": "", "address": ""})  # fmt: skip
    accounts_of(app)._pruned = None  # as a web worker just started
    accounts_of(app).audit("test", "login", "anh")
    actors = [r["actor"] for r in accounts_of(app).audit_trail(1000)]
    assert "x" not in actors and "test" in actors


def test_an_admin_cannot_lock_everyone_out(app):
    accounts_of(app).add_account("boss", "admin", None, PASSWORD, by="test")
    client = app.server.test_client()
    sign_in(client, "boss")
    own = client.post("/admin", data={"action": "disable", "name": "boss"}, headers=ORIGIN)
    assert own.status_code == 400 and "chính mình" in own.get_data(as_text=True)
    with pytest.raises(AccountError, match="last enabled admin"):
        accounts_of(app).set_disabled("boss", True, by="test")
    done = client.post("/admin", data={"action": "disable", "name": "lan"}, headers=ORIGIN)
    assert done.status_code == 200 and "Đã khóa tài khoản lan" in done.get_data(as_text=True)


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(store_url, areas):
    settings = make_settings(database_url=store_url, auth="local", simulate=False,
                             metrics_file=None, login_attempts_address=3,
                             trusted_proxies="127.0.0.1")  # fmt: skip
    app = create_app(settings, areas=areas)
    accounts_of(app).add_account("lan", "leader", None, PASSWORD, by="test")
    client = app.server.test_client()

    def attempt(name, password, client_address):
        headers = {**ORIGIN, "X-Forwarded-For": f"203.0.113.9, {client_address}"}
        return client.post("/login", data={"name": name, "password": password}, headers=headers)

    for name in ("a1", "a2", "a3"):
        attempt(name, "not-the-password", "198.51.100.7")
    assert attempt("lan", PASSWORD, "198.51.100.7").status_code == 429  # that client: locked
    assert attempt("lan", PASSWORD, "198.51.100.8").status_code == 303  # another: not
    assert accounts_of(app).audit_trail(1)[0]["address"] == "198.51.100.8"
