"""The shipped Mosquitto set-up (deploy/mosquitto/), proven on the machine's mosquitto.

The broker runs the shipped mosquitto.conf with only its port, paths and log
destination changed, the shipped ACL file itself (not a copy), and a password
file made by mosquitto_passwd for every user the ACL names. With openssl on
PATH the listener keeps its TLS, with a throwaway CA made for the test, and
the clients verify it the way the ingestor does (mqtts:// and
IOC_MQTT_CA_FILE); without openssl the TLS lines are left out.

Denials are proven without waiting for something not to happen: a refused
publish is answered "Not authorized" (MQTT 5), and a message the ACL lets
through, published after it on the same broker, arrives alone.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import select

from feeds.demo.broker import wait_for_port
from feeds.ingest import Ingestor
from feeds.mqtt import connect_kwargs, free_port, make_client
from ioc.contract import StatusPayload, TrafficPayload, status_topic, topic_for
from ioc.store import queries
from ioc.store.schema import readings
from tests.conftest import make_settings, wait_until

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "mosquitto"
INGEST = "ioc-ingest"
KEEP = object()

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not (shutil.which("mosquitto") and shutil.which("mosquitto_passwd")),
        reason="needs mosquitto and mosquitto_passwd on PATH (Debian: apt install mosquitto)",
    ),
]


def acl_users(acl: str) -> list[str]:
    """The user names an ACL file grants something to (commented ones excluded)."""
    return [line.split(None, 1)[1].strip() for line in acl.splitlines() if line.startswith("user ")]


def config_for_test(shipped: str, *, port: int, workdir: Path, tls: bool) -> str:
    """The shipped configuration with this test's port, paths and logging (None: left out)."""
    replace = {
        "listener": f"{port} 127.0.0.1",
        "certfile": str(workdir / "broker.crt") if tls else None,
        "keyfile": str(workdir / "broker.key") if tls else None,
        "tls_version": KEEP if tls else None,
        "password_file": str(workdir / "passwd"),
        "acl_file": str(SHIPPED / "acl"),
        "persistence_location": f"{workdir}/",
        "pid_file": None,
        "log_dest": "stderr",
    }
    lines, seen = [], set()
    for line in shipped.splitlines():
        key = line.split(None, 1)[0] if line.strip() and not line.startswith("#") else None
        if key not in replace or replace[key] is KEEP:
            lines.append(line)
        elif replace[key] is not None and key not in seen:
            lines.append(f"{key} {replace[key]}")
        seen.add(key)
    assert seen >= set(replace) - {"tls_version"}, "the shipped mosquitto.conf changed shape"
    if os.geteuid() == 0:
        # As root, mosquitto drops to user "mosquitto", who cannot enter
        # pytest's private tmp folder (conftest's spawned broker does the same).
        lines.append("user root")
    return "\n".join(lines) + "\n"


def make_certificates(workdir: Path) -> None:
    """A throwaway CA and a broker certificate for 127.0.0.1, made by openssl."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=workdir, check=True, capture_output=True)

    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=IOC test CA",
            "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    openssl("req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", "broker.key", "-out", "broker.csr")
    (workdir / "broker.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "broker.ext",
            "-out", "broker.crt")  # fmt: skip


@dataclass
class SecuredBroker:
    """The spawned broker, and the password of every user of the shipped ACL."""

    port: int
    ca_file: Path | None
    passwords: dict[str, str]

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """The URL a client would be given: its user and password (its own by default)."""
        scheme = "mqtts" if self.ca_file else "mqtt"
        if user is None:
            return f"{scheme}://127.0.0.1:{self.port}"
        secret = self.passwords.get(user, "") if password is None else password
        return f"{scheme}://{user}:{secret}@127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mosquitto-acl")
    tls = shutil.which("openssl") is not None
    if tls:
        make_certificates(workdir)
    users = acl_users((SHIPPED / "acl").read_text())
    assert INGEST in users and "ninh-kieu" in users and "cai-rang" in users
    passwords = {user: secrets.token_urlsafe(16) for user in users}
    for i, (user, password) in enumerate(passwords.items()):
        create = ["-c"] if i == 0 else []
        subprocess.run(["mosquitto_passwd", *create, "-b", str(workdir / "passwd"), user, password],
                       check=True, capture_output=True)  # fmt: skip
    port = free_port()
    config = workdir / "mosquitto.conf"
    shipped = (SHIPPED / "mosquitto.conf").read_text()
    config.write_text(config_for_test(shipped, port=port, workdir=workdir, tls=tls))
    log = (workdir / "mosquitto.log").open("w")
    proc = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=log, stderr=log)
    try:
        if not wait_for_port(port, 10):
            raise RuntimeError((workdir / "mosquitto.log").read_text())
        yield SecuredBroker(port, workdir / "ca.crt" if tls else None, passwords)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


class Session:
    """One MQTT 5 client of the secured broker, as the product builds them."""

    def __init__(self, broker: SecuredBroker, url: str, *, will: str | None = None) -> None:
        self.client, address = make_client(
            url, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol="5", ca_file=broker.ca_file
        )
        if will:
            offline = StatusPayload(online=False, ts=datetime.now(UTC)).to_json()
            self.client.will_set(will, offline, qos=1, retain=True)
        self.connack = None
        self.received: list[tuple[str, bytes]] = []  # live messages
        self.everything: list[tuple[str, bytes]] = []  # retained ones too
        self.pubacks: dict[int, object] = {}
        self.subacks: list = []
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.connect(address.host, address.port, **connect_kwargs("5", persistent=False))
        self.client.loop_start()
        assert wait_until(lambda: self.connack is not None, timeout=10), "no CONNACK"

    def _on_connect(self, _c, _u, _flags, reason, _p) -> None:
        if self.connack is None:
            self.connack = reason

    def _on_message(self, _c, _u, message) -> None:
        self.everything.append((message.topic, message.payload))
        # A retained message replayed on subscribing is history from another test.
        if not message.retain:
            self.received.append((message.topic, message.payload))

    def _on_publish(self, _c, _u, mid, reason, _p) -> None:
        self.pubacks[mid] = reason

    def _on_subscribe(self, _c, _u, _mid, reasons, _p) -> None:
        self.subacks.append(reasons)

    @property
    def admitted(self) -> bool:
        """Whether the broker accepted the connection."""
        return not self.connack.is_failure

    def publish(self, topic: str, payload: bytes, *, retain: bool = False):
        """Publish at QoS 1 and return the broker's PUBACK reason."""
        mid = self.client.publish(topic, payload, qos=1, retain=retain).mid
        assert wait_until(lambda: mid in self.pubacks, timeout=10), f"no PUBACK for {topic}"
        return self.pubacks[mid]

    def subscribe(self, topic: str) -> list:
        """Subscribe at QoS 1 and return the SUBACK reasons."""
        count = len(self.subacks)
        self.client.subscribe(topic, qos=1)
        assert wait_until(lambda: len(self.subacks) > count, timeout=10), f"no SUBACK for {topic}"
        return self.subacks[-1]

    def leave_with_will(self) -> None:
        """Disconnect asking the broker to publish the Last Will (MQTT 5 reason 0x04)."""
        self.client.disconnect(ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"))
        self.client.loop_stop()  # returns once the DISCONNECT is written and the socket closed

    def close(self) -> None:
        """Disconnect (a normal disconnect: no Last Will)."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def sessions(secured):
    """Open sessions for a test, closed at its end."""
    opened: list[Session] = []

    def open_session(user=None, password=None, *, will=None) -> Session:
        session = Session(secured, secured.url(user, password), will=will)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()


# Recent enough that no retention prunes it while the tests run.
NOW = int(time.time())


def reading(vehicles: int = 12) -> bytes:
    return TrafficPayload(ts=NOW, vehicles=vehicles, speed_kmh=30).to_json().encode()


@pytest.mark.parametrize(
    ("who", "user", "password"),
    [
        ("no user name", None, None),
        ("an unknown user", "hau-giang", "whatever"),
        ("a district without its password", "ninh-kieu", ""),
        ("a district with a wrong password", "ninh-kieu", "guess"),
        ("a district with another's password", "ninh-kieu", "<cai-rang>"),
        ("the ingestor without its password", INGEST, ""),
    ],
)
def test_strangers_are_refused(secured, sessions, who, user, password):
    if password == "<cai-rang>":
        password = secured.passwords["cai-rang"]
    session = sessions(user, password)
    assert not session.admitted, who
    assert str(session.connack) in ("Not authorized", "Bad user name or password"), who


def test_a_district_publishes_under_its_own_slug_and_the_ingestor_receives_it(sessions):
    ingest = sessions(INGEST)
    assert [str(r) for r in ingest.subscribe("ioc/v1/#")] == ["Granted QoS 1"]
    district = sessions("ninh-kieu", will=status_topic("ninh-kieu"))
    assert district.admitted
    topic = topic_for("ninh-kieu", "traffic", "cam-1")
    assert str(district.publish(topic, reading())) == "Success"
    online = StatusPayload(online=True, ts=datetime.now(UTC)).to_json().encode()
    assert str(district.publish(status_topic("ninh-kieu"), online, retain=True)) == "Success"
    assert wait_until(lambda: len(ingest.received) == 2)
    assert ingest.received == [(topic, reading()), (status_topic("ninh-kieu"), online)]
    district.publish(status_topic("ninh-kieu"), b"", retain=True)  # its own, so it may clear it


def test_a_shared_subscription_reads_too(sessions):
    ingest = sessions(INGEST)
    assert [str(r) for r in ingest.subscribe("$share/ioc/ioc/v1/#")] == ["Granted QoS 1"]
    district = sessions("cai-rang")
    topic = topic_for("cai-rang", "wifi", "ap-1")
    district.publish(topic, json.dumps({"ts": NOW, "up": True}).encode())
    assert wait_until(lambda: len(ingest.received) == 1)
    assert ingest.received[0][0] == topic


def test_a_district_cannot_publish_for_another(sessions):
    ingest = sessions(INGEST)
    ingest.subscribe("ioc/v1/#")
    district = sessions("ninh-kieu")
    forgeries = [
        topic_for("cai-rang", "traffic", "cam-1"),
        status_topic("cai-rang"),
        "ioc/v1/ninh-kieu-x/traffic/cam-1",
        "ioc/v2/ninh-kieu/traffic/cam-1",
    ]
    for forged in forgeries:
        assert str(district.publish(forged, reading(99))) == "Not authorized", forged
    own = topic_for("ninh-kieu", "traffic", "cam-1")
    district.publish(own, reading(1))
    assert wait_until(lambda: ingest.received)
    assert ingest.received == [(own, reading(1))]  # the forged ones were not delivered


def test_a_district_cannot_leave_a_last_will_for_another(sessions):
    watcher = sessions(INGEST)
    watcher.subscribe("ioc/v1/#")
    # Mosquitto admits the forged will and checks it when it would publish it.
    forger = sessions("ninh-kieu", will=status_topic("cai-rang"))
    forger.leave_with_will()
    honest = sessions("thoi-lai", will=status_topic("thoi-lai"))
    honest.leave_with_will()  # after the forger's, so its will arrives after any forged one
    assert wait_until(lambda: watcher.received)
    assert [topic for topic, _ in watcher.received] == [status_topic("thoi-lai")]
    sessions("thoi-lai").publish(status_topic("thoi-lai"), b"", retain=True)


def test_a_district_reads_nothing(sessions):
    watcher = sessions(INGEST)
    watcher.subscribe("ioc/v1/#")
    snoop = sessions("ninh-kieu")
    for topic in ("#", "ioc/v1/#", "ioc/v1/ninh-kieu/#", "$share/x/ioc/v1/#"):
        snoop.subscribe(topic)  # Mosquitto may grant it; what counts is what it delivers
    other = sessions("cai-rang")
    online = StatusPayload(online=True, ts=datetime.now(UTC)).to_json().encode()
    other.publish(status_topic("cai-rang"), online, retain=True)
    other.publish(topic_for("cai-rang", "traffic", "cam-1"), reading())
    snoop.publish(topic_for("ninh-kieu", "traffic", "cam-1"), reading(3))
    assert wait_until(lambda: len(watcher.received) == 3)
    # A delivery to the snoop would have been queued before this PUBACK.
    snoop.publish(topic_for("ninh-kieu", "traffic", "cam-1"), reading(4))
    late = sessions("ninh-kieu")  # a retained message replays on subscribing
    late.subscribe("ioc/v1/#")
    late.publish(topic_for("ninh-kieu", "traffic", "cam-1"), reading(5))
    assert snoop.everything == [] and late.everything == []
    other.publish(status_topic("cai-rang"), b"", retain=True)


def test_the_ingestor_cannot_publish(sessions):
    watcher = sessions(INGEST)
    watcher.subscribe("ioc/v1/#")
    ingest = sessions(INGEST)
    for topic in (topic_for("ninh-kieu", "traffic", "cam-1"), status_topic("ninh-kieu"), "x"):
        assert str(ingest.publish(topic, reading(99))) == "Not authorized", topic
    own = topic_for("thoi-lai", "traffic", "cam-2")
    sessions("thoi-lai").publish(own, reading(2))
    assert wait_until(lambda: watcher.received)
    assert watcher.received == [(own, reading(2))]


def test_every_district_of_the_catalogue_has_its_own_subtree(areas):
    acl = (SHIPPED / "acl").read_text()
    for area in areas.areas:
        assert f"user {area.slug}\ntopic write ioc/v1/{area.slug}/#\n" in acl, area.slug
    assert "pattern" not in "\n".join(
        line for line in acl.splitlines() if not line.startswith("#")
    ), "a pattern line applies to every user, the ingestor included"


def test_the_ingestor_stores_what_the_acl_lets_through(secured, sessions, engine, areas):
    settings = make_settings(
        mqtt_url=secured.url(INGEST),
        mqtt_ca_file=secured.ca_file,
        mqtt_share_group=f"t{uuid.uuid4().hex[:8]}",  # no idle session of another run in it
        batch_interval_ms=50,
    )
    ingestor = Ingestor(settings, engine, areas)
    ingestor.start()
    try:
        assert ingestor.wait_connected(15), "the ingestor did not connect and subscribe"
        district = sessions("ninh-kieu")
        district.publish(topic_for("cai-rang", "traffic", "cam-forged"), reading(99))
        district.publish(topic_for("ninh-kieu", "traffic", "cam-1"), reading(7))

        def stored():
            with engine.connect() as conn:
                return conn.execute(select(readings.c.district, readings.c.source)).all()

        assert wait_until(lambda: stored())
        assert stored() == [("ninh-kieu", "cam-1")]
        with engine.connect() as conn:
            assert queries.counters(conn).get("received", 0) == 1
    finally:
        ingestor.stop()
