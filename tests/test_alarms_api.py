"""Alarms over HTTP: the API and /alarms with accounts on, and notifications to a real
webhook (an HTTP server on loopback) and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feeds.mqtt import free_port
from ioc.alarms.mail import Mail
from ioc.alarms.notify import Outbox, Webhook
from ioc.model.alarm import Condition, Recipient
from ioc.store import alarms as rows
from pages.web import create_app
from tests.conftest import make_settings, wait_until

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "mat-khau-rat-dai-1"


def _raise(engine, district="cai-rang", subject="wifi"):
    with engine.begin() as conn:
        found = Condition(f"feed_stale:{district}:{subject}", "feed_stale", district, subject,
                          "high", "Cái Răng: wifi", "Cai Rang: wifi")  # fmt: skip
        made = rows.insert_alarm(conn, found, datetime.now(UTC))
        rows.add_transition(conn, made, datetime.now(UTC), "raise", None, "active_unacked", "ev")
    return made


@pytest.fixture
def app(store_url, areas):
    settings = make_settings(database_url=store_url, auth="local", simulate=False,
                             metrics_file="")  # fmt: skip
    made = create_app(settings, areas=areas)
    accounts = made.server.extensions["ioc_services"].accounts
    for role in ("operator", "leader"):
        accounts.add_account(role, role, None, PASSWORD, by="test")
    return made


def _signed_in(app, name):
    client = app.server.test_client()
    assert client.post("/login", data={"name": name, "password": PASSWORD},
                       headers=ORIGIN).status_code == 303  # fmt: skip
    return client


def test_an_operator_token_acknowledges_with_a_note_and_the_history_says_who(app):
    engine = app.server.extensions["ioc_services"].engine
    alarm_id = _raise(engine)
    token = app.server.extensions["ioc_services"].accounts.add_token(
        "api", "bridge", by="test", role="operator"
    )
    client = app.server.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/alarms", headers=bearer).get_json()
    assert [a["id"] for a in listed] == [alarm_id] and listed[0]["state"] == "active_unacked"
    assert set(listed[0]) >= {"id", "kind", "district", "severity", "state", "message_vi",
                              "message_en", "raised_at", "cleared_at", "acked_by", "acked_at",
                              "ack_note", "shelved_until"}  # fmt: skip
    done = client.post(f"/api/v1/alarms/{alarm_id}/ack", json={"note": "đã gọi kỹ thuật"},
                       headers=bearer)  # fmt: skip
    assert done.status_code == 200 and done.get_json()["acked_by"] == "bridge"
    one = client.get(f"/api/v1/alarms/{alarm_id}", headers=bearer).get_json()
    assert [(t["action"], t["actor"], t["note"]) for t in one["transitions"]] == [
        ("raise", "ev", ""), ("ack", "bridge", "đã gọi kỹ thuật")]  # fmt: skip
    audit = app.server.extensions["ioc_services"].accounts.audit_trail(action="alarm_ack")
    assert audit[0]["actor"] == "bridge" and audit[0]["target"] == f"alarm {alarm_id}"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"minutes": 3, "reason": "x"}, {}, 400),
        ({"minutes": 30}, {}, 400),
        ({"minutes": 30, "reason": "x" * 501}, {}, 400),
        ({"minutes": 30, "reason": "x" * 5000}, {}, 413),
        ({"minutes": 30, "reason": "bảo trì"}, {"Origin": "http://evil.example"}, 403),
        ({"minutes": 30, "reason": "bảo trì"}, {}, 200),
    ],
)
def test_shelving_is_checked_and_comes_from_this_site(app, body, headers, status):
    alarm_id = _raise(app.server.extensions["ioc_services"].engine)
    client = _signed_in(app, "operator")
    answer = client.post(f"/api/v1/alarms/{alarm_id}/shelve", json=body, headers=headers)
    assert answer.status_code == status
    if status == 200:
        assert answer.get_json()["state"] == "shelved"


def test_a_form_post_is_refused_on_the_api_and_a_leader_may_only_look(app):
    alarm_id = _raise(app.server.extensions["ioc_services"].engine)
    operator = _signed_in(app, "operator")
    form = operator.post(f"/api/v1/alarms/{alarm_id}/ack", data={"note": "x"}, headers=ORIGIN)
    assert form.status_code == 415
    leader = _signed_in(app, "leader")
    assert leader.post(f"/api/v1/alarms/{alarm_id}/ack", json={}).status_code == 403
    page = leader.get(f"/alarms/{alarm_id}?lang=en").get_data(as_text=True)
    assert "an operator acknowledges" in page and 'action="/alarms' not in page


def test_the_page_acknowledges_with_a_note_in_both_languages(app):
    alarm_id = _raise(app.server.extensions["ioc_services"].engine)
    client = _signed_in(app, "operator")
    listing = client.get("/alarms?lang=en").get_data(as_text=True)
    assert "Cai Rang: wifi" in listing and "Active, unacknowledged" in listing
    page = client.get(f"/alarms/{alarm_id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(f"/alarms/{alarm_id}/ack", data={"note": "đã xử lý", "csrf_token": token,
                                                        "lang": "vi"})  # fmt: skip
    assert done.status_code == 303
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Đã xác nhận cảnh báo." in shown and "đã xử lý" in shown
    assert "Đang xảy ra, đã xác nhận" in shown


# --- notifications against real servers ---------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    failures_left = 0

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.failures_left > 0:
            _Hook.failures_left -= 1
            self.send_response(503)
        else:
            _Hook.received.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _transitions(engine):
    with engine.connect() as conn:
        return rows.transitions_after(conn, 0)


def test_the_webhook_gets_one_post_per_transition_retried_after_a_failure(engine):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received, _Hook.failures_left = [], 1
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    outbox = Outbox(engine, [Webhook(url, "https://ioc.example")], delays=(0.1, 0.2))
    outbox.start()
    try:
        _raise(engine)
        [(transition, alarm)] = _transitions(engine)
        outbox.submit(transition, alarm)
        assert wait_until(lambda: _Hook.received, timeout=10)
    finally:
        outbox.stop()
        server.shutdown()
    [sent] = _Hook.received
    assert sent["event"] == "raise" and sent["alarm"]["id"] == alarm.id
    assert sent["url"] == f"https://ioc.example/alarms/{alarm.id}"
    with engine.connect() as conn:
        log = [(d["outcome"], d["attempt"]) for d in reversed(rows.deliveries(conn))]
    assert log == [("retry", 1), ("sent", 2)]


def test_a_dead_webhook_never_holds_up_the_caller(engine):
    outbox = Outbox(engine, [Webhook("http://127.0.0.1:9/none", "http://x")], delays=(0.05,))
    outbox.start()
    try:
        _raise(engine)
        [(transition, alarm)] = _transitions(engine)
        for _ in range(50):
            outbox.submit(transition, alarm)  # returns at once: queued for its own thread
        assert wait_until(lambda: any(d["outcome"] == "failed" for d in _deliveries(engine)))
    finally:
        outbox.stop()


def _deliveries(engine):
    with engine.connect() as conn:
        return rows.deliveries(conn)


def test_email_goes_to_the_recipients_of_the_district_in_their_language(engine):
    controller_module = pytest.importorskip("aiosmtpd.controller")
    messages = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            messages.append((envelope.rcpt_tos[0], parsed))
            return "250 OK"

    port = free_port()
    controller = controller_module.Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        recipients = [Recipient(("truc-ban@cantho.vn",), frozenset({"cai-rang"}),
                                frozenset({"high", "critical"}), "vi"),
                      Recipient(("duty@cantho.vn",), frozenset({"*"}), frozenset({"high"}), "en"),
                      Recipient(("other@cantho.vn",), frozenset({"o-mon"}),
                                frozenset({"high"}), "en")]  # fmt: skip
        mail = Mail(f"smtp://127.0.0.1:{port}", "ioc@cantho.vn", recipients, "https://ioc.vn")
        outbox = Outbox(engine, [mail], delays=(0.1,))
        outbox.start()
        _raise(engine)
        [(transition, alarm)] = _transitions(engine)
        outbox.submit(transition, alarm)
        assert wait_until(lambda: len(messages) == 2, timeout=15)
        outbox.stop()
    finally:
        controller.stop()
    by_address = dict(messages)
    assert set(by_address) == {"truc-ban@cantho.vn", "duty@cantho.vn"}
    vi, en = by_address["truc-ban@cantho.vn"], by_address["duty@cantho.vn"]
    assert vi["Subject"] == "[IOC] Cao · Phát sinh: Cái Răng: wifi"
    assert "Trạng thái: Đang xảy ra, chưa xác nhận" in vi.get_content()
    assert en["Subject"] == "[IOC] High · Raised: Cai Rang: wifi"
    assert f"https://ioc.vn/alarms/{alarm.id}?lang=en" in en.get_content()
