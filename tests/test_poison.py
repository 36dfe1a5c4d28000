"""One message can never stop ingestion: refused text, refused rows, bounded letters and queue.

Each test runs on a real SQLite file and, when given, on PostgreSQL, against
a real broker: the stream goes on around a poison message, which is kept as a
dead letter, and everything is acknowledged.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError

from feeds.bounded import ByteBoundedQueue, Empty
from feeds.commands import RawMessage
from feeds.ingest import Ingestor
from feeds.writer import BatchWriter, database_message, refused_by_store
from ioc.contract import STORE_REFUSED, Rejection, TrafficPayload, topic_for, validate
from ioc.services.ops import OpsService
from ioc.store.engine import make_engine, migrate
from ioc.store.letters import DeadLetter, add_dead_letters
from ioc.store.schema import dead_letters, readings
from pages.web import create_app
from tests.conftest import make_settings, running_ingestor, small_disk, wait_until

TOPIC = topic_for("ninh-kieu", "traffic", "cam-1")


def reading(i: int, name: str | None = None) -> bytes:
    ts = datetime.fromtimestamp(int(time.time()) - 50_000 + i, UTC)
    body = json.loads(TrafficPayload(ts=ts, vehicles=i % 40, speed_kmh=30, seq=i).to_json())
    if name is not None:
        body["name"] = name
    return json.dumps(body).encode()  # ensure_ascii: "\u0000" travels as its JSON escape


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def letters_of(engine, reason: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(dead_letters).where(dead_letters.c.reason == reason)).all()


def refuse_the_name(engine, name: str) -> None:
    """Make the store itself refuse a reading: a real constraint, not a stub."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON readings "
                f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
            )
        else:
            conn.exec_driver_sql(
                f"ALTER TABLE readings ADD CONSTRAINT refuse_poison CHECK (name <> '{name}')"
            )


@pytest.mark.broker
def test_a_nul_in_the_middle_of_a_qos1_stream_is_dead_lettered_and_the_rest_stored(
    broker, publisher, engine, areas
):
    payloads = [reading(i, "cam\u0000one" if i == 100 else "Cầu Hưng Lợi") for i in range(200)]
    with running_ingestor(broker.url, engine, areas, batch_max=500):
        for payload in payloads:
            publisher.publish(TOPIC, payload)
        publisher.wait_all()
        assert wait_until(lambda: count(engine, readings) == 199, timeout=30), (
            count(engine, readings),
            OpsService(engine).ingest_stats(),
        )
        assert wait_until(lambda: len(letters_of(engine, "invalid_payload")) == 1)
        assert wait_until(lambda: ingestor_settled(engine, 200))
    (letter,) = letters_of(engine, "invalid_payload")
    assert "NUL" in letter.detail and letter.topic == TOPIC
    assert letter.payload == payloads[100]  # kept byte for byte


def ingestor_settled(engine, received: int) -> bool:
    return OpsService(engine).ingest_stats()["received"] >= received


@pytest.mark.broker
def test_a_row_the_store_refuses_is_dead_lettered_and_the_stream_goes_on(
    broker, publisher, engine, areas, tmp_path
):
    refuse_the_name(engine, "poison")
    payloads = [reading(i, "poison" if i == 150 else None) for i in range(300)]
    with running_ingestor(broker.url, engine, areas, batch_max=500) as ingestor:
        for payload in payloads:
            publisher.publish(TOPIC, payload)
        publisher.wait_all()
        assert wait_until(lambda: count(engine, readings) == 299, timeout=30)
        assert wait_until(lambda: len(letters_of(engine, STORE_REFUSED)) == 1)
        assert wait_until(lambda: ingestor._unsettled == 0), "some messages were never acked"
    (letter,) = letters_of(engine, STORE_REFUSED)
    assert letter.payload == payloads[150] and letter.district == "ninh-kieu"
    assert ("poison refused" in letter.detail) or ("refuse_poison" in letter.detail)
    stats = OpsService(engine).ingest_stats()
    assert stats["rejected_by_reason"][STORE_REFUSED] == 1 and stats["accepted"] == 299
    app = create_app(make_settings(database_url=engine.url.render_as_string(False)), engine=engine)
    doc = app.server.test_client().get("/healthz").get_json()
    assert doc["status"] == "degraded" and doc["store"]["refusing"] is True
    assert any("refused 1 message" in problem for problem in doc["problems"])


def raw(i: int, name: str | None = None) -> RawMessage:
    return RawMessage(TOPIC, TOPIC, reading(i, name), time.time())


def test_a_refused_batch_is_split_around_each_poison_message(engine, areas):
    refuse_the_name(engine, "poison")
    writer = BatchWriter(engine, areas.slugs)
    batch = [raw(i, "poison" if i in (3, 77, 78) else None) for i in range(100)]
    counts = writer.write(batch)
    assert counts["received"] == 100 and counts["accepted"] == 97
    assert counts[f"rejected:{STORE_REFUSED}"] == 3
    assert count(engine, readings) == 97
    assert sorted(json.loads(r.payload)["seq"] for r in letters_of(engine, STORE_REFUSED)) == [
        3,
        77,
        78,
    ]
    # Delivered again (the broker did not see the ack): stored once, counted as duplicates.
    again = writer.write(batch)
    assert again["accepted"] == 0 and again["duplicates"] == 100
    assert len(letters_of(engine, STORE_REFUSED)) == 3


def test_the_store_s_own_refusals_are_told_from_passing_failures(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = create_engine(url, connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER CHECK (x > 0))")
    locker = sqlite3.connect(tmp_path / "x.db")
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(OperationalError) as locked, engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    locker.rollback()
    assert not refused_by_store(locked.value)  # database is locked: retried with backoff
    with pytest.raises(Exception) as checked, engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (-1)")
    assert refused_by_store(checked.value)
    assert database_message(checked.value).startswith("IntegrityError: CHECK constraint")


def test_dead_letters_are_capped_per_reason_and_still_counted(engine, areas):
    writer = BatchWriter(engine, areas.slugs, letters_per_reason=50)
    for start in range(0, 120, 40):
        writer.write([RawMessage(TOPIC, TOPIC, b"not json %d" % i, time.time())
                      for i in range(start, start + 40)])  # fmt: skip
    writer.write(
        [RawMessage("ioc/v1/atlantis/wifi/a", "ioc/v1/atlantis/wifi/a", b"{}", time.time())]
    )
    kept = letters_of(engine, "bad_json")
    assert len(kept) == 50  # the newest 50 of 120
    assert sorted(int(r.payload.split()[-1]) for r in kept) == list(range(70, 120))
    assert len(letters_of(engine, "unknown_district")) == 1
    stats = OpsService(engine).ingest_stats()
    assert stats["rejected_by_reason"]["bad_json"] == 120 and stats["rejected"] == 121


def test_dead_letter_text_is_stored_even_with_a_nul_in_the_topic(engine):
    topic = "ioc/v1/ninh\u0000kieu/traffic/\ud800"
    with engine.begin() as conn:
        kept = add_dead_letters(
            conn, [DeadLetter(datetime.now(UTC), topic, b"x", "bad_topic", "d")]
        )
    assert len(kept) == 1
    (row,) = letters_of(engine, "bad_topic")
    assert row.topic == "ioc/v1/ninh\\u0000kieu/traffic/\\ud800"


def test_a_message_too_large_is_cut_before_it_waits_in_the_queue(engine, areas):
    settings = make_settings(mqtt_url="mqtt://127.0.0.1:1", ingest_writer="thread")
    ingestor = Ingestor(settings, engine, areas)
    message = mqtt.MQTTMessage(mid=7, topic=TOPIC.encode())
    message.payload = b"{" + b" " * 1_000_000 + b"}"
    message.qos = 1
    ingestor._on_message(None, None, message)
    assert ingestor.queue.bytes < 4096  # the head a dead letter keeps, not a megabyte
    envelope = ingestor.queue.get_nowait()
    counts = BatchWriter(engine, areas.slugs).write([envelope.item])
    assert counts["rejected:too_large"] == 1
    (letter,) = letters_of(engine, "too_large")
    assert letter.payload_bytes == 1_000_002
    assert letter.payload_sha256 == hashlib.sha256(message.payload).hexdigest()


def test_the_ingest_queue_is_bounded_in_bytes():
    queue: ByteBoundedQueue[int] = ByteBoundedQueue(max_items=1000, max_bytes=10_000)
    queue.put(1, 6_000)
    queue.put(2, 4_000)
    third_in = threading.Event()
    threading.Thread(target=lambda: (queue.put(3, 5_000), third_in.set()), daemon=True).start()
    assert not third_in.wait(0.3), "a put past the byte bound did not wait"
    assert queue.bytes == 10_000 and queue.get() == 1
    assert third_in.wait(5) and queue.bytes == 9_000
    assert [queue.get_nowait(), queue.get_nowait()] == [2, 3]
    with pytest.raises(Empty):
        queue.get(timeout=0.01)
    queue.put(4, 50_000)  # larger than the bound: still passes, alone
    assert queue.get_nowait() == 4


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A 2 MiB disk."""
    with small_disk(tmp_path / "small", "2m") as mount:
        yield mount


def test_healthz_says_the_disk_is_full_at_once(full_disk):
    url = f"sqlite:///{full_disk / 'ioc.db'}"
    engine = make_engine(url)
    migrate(engine)
    app = create_app(make_settings(database_url=url), engine=engine)
    assert not any("disk" in p for p in app.server.test_client().get("/healthz").json["problems"])
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={full_disk / 'filler'}", "bs=64k"],
        capture_output=True,
        check=False,
    )  # fmt: skip (ends at "no space left")
    doc = app.server.test_client().get("/healthz").get_json()
    assert doc["status"] == "degraded"
    assert any("MiB free" in p for p in doc["problems"]), doc["problems"]
    engine.dispose()


NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
WIFI = "ioc/v1/ninh-kieu/wifi/ap-1"


@pytest.mark.parametrize(
    ("topic", "body", "reason", "words"),
    [
        (WIFI, '{"ts": 1795000000, "up": true, "name": "a\\u0000b"}', "invalid_payload", "NUL"),
        (
            WIFI,
            '{"ts": 1795000000, "up": true, "name": "a\\udc00"}',
            "invalid_payload",
            "surrogate",
        ),
        (WIFI, '{"ts": 1795000000, "up": true, "x\\u0000": 1}', "invalid_payload", "key holds"),
        (
            WIFI,
            '{"ts": 1795000000, "up": true, "x": [{"y": "\\ud800"}]}',
            "invalid_payload",
            "x[0].y",
        ),
        (WIFI, '{"ts": "2026-11-24T07:00:00\\u0000Z", "up": true}', "invalid_payload", "NUL"),
        ("ioc/v1/ninh-kieu/status\x00", '{"ts": 1795000000, "online": true}', "bad_topic", "NUL"),
        ("ioc/v1/ninh-kieu/wifi/ap\x00", '{"ts": 1795000000, "up": true}', "bad_topic", "NUL"),
    ],
)
def test_the_contract_refuses_text_no_store_can_keep(topic, body, reason, words):
    districts = frozenset({"ninh-kieu"})
    result = validate(topic, body.encode(), districts=districts, now=NOW)
    assert isinstance(result, Rejection) and result.reason == reason
    assert words in result.detail


def test_a_surrogate_pair_is_one_character_and_is_kept():
    body = b'{"ts": 1795000000, "up": true, "name": "\\ud83d\\ude00 Wifi"}'
    result = validate(WIFI, body, districts=frozenset({"ninh-kieu"}), now=NOW)
    assert result.name == "\U0001f600 Wifi"
