"""The embedded broker admits only its own clients: user ``ioc`` with the password of this start."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from feeds.demo.broker import EmbeddedBroker
from feeds.mqtt import BrokerAddress, free_port, make_client
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent


def connack(host: str, port: int, username: str | None, password: str | None):
    """Connect once and return the broker's CONNACK reason (None: no answer at all)."""
    answer: dict = {}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    if username is not None:
        client.username_pw_set(username, password)
    client.on_connect = lambda _c, _u, _f, reason, _p: answer.setdefault("reason", reason)
    client.connect(host, port, keepalive=10)
    client.loop_start()
    try:
        wait_until(lambda: "reason" in answer, timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()
    return answer.get("reason")


def accepted(port: int) -> int:
    """Readings the all-in-one has stored so far (0 while it is not answering)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ingest/stats") as answer:
            return json.load(answer)["accepted"]
    except OSError:
        return 0


@pytest.fixture(scope="module")
def embedded():
    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.mark.broker
@pytest.mark.parametrize(
    "who",
    ["no user name", "user name, no password", "wrong password", "other user, right password",
     "empty password"],
)  # fmt: skip
def test_embedded_broker_refuses_anyone_without_the_password(embedded, who):
    username, password = {
        "no user name": (None, None),
        "user name, no password": ("ioc", None),
        "wrong password": ("ioc", "not-" + embedded.password),
        "other user, right password": ("ioc-sim", embedded.password),
        "empty password": ("ioc", ""),
    }[who]
    reason = connack("127.0.0.1", embedded.port, username, password)
    assert reason is not None and reason.is_failure, f"{who}: {reason}"
    assert str(reason) == "Not authorized"


@pytest.mark.broker
def test_embedded_broker_admits_its_url_and_delivers(embedded):
    address = BrokerAddress.from_url(embedded.url)
    assert (address.username, address.password) == ("ioc", embedded.password)
    reason = connack("127.0.0.1", embedded.port, "ioc", embedded.password)
    assert reason is not None and not reason.is_failure

    received: list[bytes] = []
    subscribed = threading.Event()
    subscriber, _ = make_client(embedded.url, client_id=f"t-sub-{uuid.uuid4().hex[:8]}")
    subscriber.on_message = lambda _c, _u, message: received.append(message.payload)
    subscriber.on_connect = lambda c, *_: c.subscribe("ioc/v1/test-auth/#", qos=1)
    subscriber.on_subscribe = lambda *_: subscribed.set()
    subscriber.connect(address.host, address.port)
    subscriber.loop_start()
    publisher, _ = make_client(embedded.url, client_id=f"t-pub-{uuid.uuid4().hex[:8]}")
    publisher.connect(address.host, address.port)
    publisher.loop_start()
    try:
        assert subscribed.wait(10)
        publisher.publish("ioc/v1/test-auth/x", b"hello", qos=1)
        assert wait_until(lambda: received == [b"hello"])
    finally:
        for client in (publisher, subscriber):
            client.disconnect()
            client.loop_stop()


def test_each_broker_draws_its_own_password():
    first, second = EmbeddedBroker(1883), EmbeddedBroker(1883)
    assert first.password != second.password
    assert len(first.password) >= 40  # 32 random bytes, URL-safe base64


@pytest.mark.slow
@pytest.mark.broker
def test_all_in_one_logs_the_password_its_clients_use_and_refuses_others(tmp_path):
    port, broker_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(
        PYTHONPATH=str(ROOT),
        IOC_PORT=str(port),
        IOC_EMBEDDED_BROKER_PORT=str(broker_port),
        IOC_DATABASE_URL=f"sqlite:///{tmp_path / 'ioc.db'}",
        IOC_METRICS_FILE="",
        IOC_BRIEFING_TIMES="",
        IOC_SIM_BACKFILL_DAYS="0",
    )
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    pattern = re.compile(r"embedded MQTT broker listening on .* user (\S+), password (\S+) ")

    def logged():
        return next((m for line in list(lines) if (m := pattern.search(line))), None)

    try:
        assert wait_until(lambda: logged() is not None, timeout=60), "".join(lines)
        username, password = logged().groups()
        assert username == "ioc"
        assert connack("127.0.0.1", broker_port, None, None).is_failure
        assert connack("127.0.0.1", broker_port, "ioc", "guess").is_failure

        # With the logged password an operator sees the simulator's feeds.
        seen: list[str] = []
        url = f"mqtt://{username}:{password}@127.0.0.1:{broker_port}"
        watcher, _ = make_client(url, client_id=f"t-watch-{uuid.uuid4().hex[:8]}")
        watcher.on_connect = lambda c, *_: c.subscribe("ioc/v1/#", qos=0)
        watcher.on_message = lambda _c, _u, message: seen.append(message.topic)
        watcher.connect("127.0.0.1", broker_port)
        watcher.loop_start()
        try:
            assert wait_until(lambda: any(t.endswith("/status") for t in seen), timeout=60)
        finally:
            watcher.disconnect()
            watcher.loop_stop()
        # And the ingestor, given the same password, stores them.
        assert wait_until(lambda: accepted(port) > 0, timeout=60)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader.join(5)
    output = "".join(lines)
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    # Said once, at start, and nowhere else (not in the simulator's or ingestor's lines).
    assert output.count(password) == 2, output  # the message and its mosquitto_sub example
    assert len([line for line in lines if password in line]) == 1
