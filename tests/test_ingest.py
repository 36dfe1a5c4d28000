"""The ingestor against a real broker and a real store: nothing acknowledged is lost."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from feeds.mqtt import make_client
from ioc.contract import (
    REASONS,
    STORE_REFUSED,
    StatusPayload,
    TrafficPayload,
    WifiPayload,
    status_topic,
    topic_for,
)
from ioc.services.ops import OpsService
from ioc.store import queries
from ioc.store.schema import dead_letters
from tests.conftest import (
    Publisher,
    discard_session,
    running_ingestor,
    wait_until,
)

pytestmark = pytest.mark.broker


def received(engine) -> int:
    with engine.connect() as conn:
        return queries.counters(conn).get("received", 0)


def good_traffic(i: int, source: str = "cam-1") -> bytes:
    ts = datetime.fromtimestamp(int(time.time()) - 100_000 + i, UTC)
    return TrafficPayload(ts=ts, vehicles=i % 50, speed_kmh=30, seq=i).to_json().encode()


def bad_message(reason: str) -> tuple[str, bytes]:
    ts = int(time.time())
    ok = json.dumps({"ts": ts, "up": True}).encode()
    return {
        "bad_topic": ("ioc/v1/ninh-kieu/wifi/NOT VALID", ok),
        "unknown_district": ("ioc/v1/hau-giang/wifi/ap-1", ok),
        "unknown_feed": ("ioc/v1/ninh-kieu/parking/lot-1", ok),
        "too_large": ("ioc/v1/ninh-kieu/wifi/ap-1", b"{" + b" " * 17_000 + b"}"),
        "bad_json": ("ioc/v1/ninh-kieu/wifi/ap-1", b"{up: yes}"),
        "invalid_payload": ("ioc/v1/ninh-kieu/wifi/ap-1", b'{"ts": 1, "up": "yes"}'),
        "future_timestamp": (
            "ioc/v1/ninh-kieu/wifi/ap-1",
            json.dumps({"ts": ts + 3600, "up": True}).encode(),
        ),
    }[reason]


def test_every_rejection_is_dead_lettered_and_counted(broker, publisher, engine, areas):
    with running_ingestor(broker.url, engine, areas):
        for reason in REASONS:
            publisher.publish(*bad_message(reason))
        publisher.publish(
            topic_for("vinh-thanh", "wifi", "ap-01"),
            WifiPayload(ts=datetime.now(UTC), up=True).to_json(),
        )
        publisher.wait_all()
        assert wait_until(lambda: received(engine) >= len(REASONS) + 1)
    stats = OpsService(engine).ingest_stats()
    assert stats["rejected_by_reason"] == {**dict.fromkeys(REASONS, 1), STORE_REFUSED: 0}
    assert stats["rejected"] == len(REASONS) and stats["accepted"] == 1
    with engine.connect() as conn:
        rows = conn.execute(select(dead_letters)).all()
    assert sorted(r.reason for r in rows) == sorted(REASONS)
    big = next(r for r in rows if r.reason == "too_large")
    assert len(big.payload) == 2048 and big.payload_bytes == 17_002
    assert all(r.topic and r.detail for r in rows)


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_duplicates_are_stored_once(broker, publisher, engine, areas, writer):
    with running_ingestor(broker.url, engine, areas, ingest_writer=writer):
        for _ in range(3):
            publisher.publish(topic_for("cai-rang", "traffic", "cam-9"), good_traffic(1))
        publisher.wait_all()
        assert wait_until(lambda: received(engine) >= 3)
    stats = OpsService(engine).ingest_stats()
    assert (stats["accepted"], stats["duplicates"]) == (1, 2)


def test_status_presence_and_last_will(broker, engine, areas):
    with running_ingestor(broker.url, engine, areas):
        district = "phong-dien"
        client, address = make_client(
            broker.url, client_id="test-district-pd", default_username="test"
        )
        now = datetime.now(UTC)
        client.will_set(
            status_topic(district),
            StatusPayload(online=False, ts=now).to_json(),
            qos=1,
            retain=True,
        )
        client.connect(address.host, address.port)
        client.loop_start()
        client.publish(
            status_topic(district), StatusPayload(online=True, ts=now).to_json(), qos=1, retain=True
        ).wait_for_publish(5)

        def online():
            with engine.connect() as conn:
                row = queries.statuses(conn).get(district)
            return None if row is None else row.online

        assert wait_until(lambda: online() is True)
        # Cut the connection without DISCONNECT: the broker publishes the Last Will.
        client.loop_stop()
        client.socket().close()
        assert wait_until(lambda: online() is False, timeout=30)


def test_ingestor_restart_while_publishing_loses_nothing(broker, publisher, engine, areas):
    client_id = f"test-ingest-restart-{random.randrange(1 << 30)}"
    good, bad, total = 0, 0, 600  # under Mosquitto's default queue of 1000 per session
    stop_publishing = threading.Event()

    def publish_all():
        nonlocal good, bad
        for i in range(total):
            if i % 10 == 0:
                publisher.publish("ioc/v1/o-mon/wifi/ap-1", f"not json {i}")
                bad += 1
            else:
                publisher.publish(topic_for("o-mon", "traffic", f"cam-{i % 7}"), good_traffic(i))
                good += 1
            time.sleep(0.005)
            if stop_publishing.is_set():
                break

    try:
        with running_ingestor(broker.url, engine, areas, client_id=client_id):
            thread = threading.Thread(target=publish_all)
            thread.start()
            time.sleep(0.8)
        # The ingestor is down; the publisher keeps going.
        time.sleep(1.0)
        with running_ingestor(broker.url, engine, areas, client_id=client_id):
            thread.join(30)
            publisher.wait_all()
            ok = wait_until(lambda: stored_and_rejected(engine) == (good, bad), timeout=30)
            if not ok:
                with engine.connect() as conn:
                    for r in conn.execute(select(dead_letters).order_by(dead_letters.c.id)):
                        print("DL", r.id, r.received_at, r.payload[:30])
            assert ok, (stored_and_rejected(engine), (good, bad))
    finally:
        stop_publishing.set()
        discard_session(broker.url, client_id)


def stored_and_rejected(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        stored = queries.count_readings(conn)
        rejected = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
    return stored, rejected


def test_broker_restart_loses_nothing(restartable_broker, engine, areas):
    client_id = "test-ingest-broker-restart"
    publisher = Publisher(restartable_broker.url)
    sent = 0
    try:
        with running_ingestor(restartable_broker.url, engine, areas, client_id=client_id):
            for i in range(200):
                publisher.publish(topic_for("thot-not", "traffic", "cam-1"), good_traffic(i))
                sent += 1
            publisher.wait_all()
            restartable_broker.restart(down_for=1.0)
            # Published while the broker was coming back: paho keeps and resends them.
            for i in range(200, 400):
                publisher.publish(topic_for("thot-not", "traffic", "cam-1"), good_traffic(i))
                sent += 1
            publisher.wait_all(timeout=60)
            assert wait_until(lambda: stored_and_rejected(engine) == (sent, 0), timeout=40), (
                stored_and_rejected(engine)
            )
    finally:
        publisher.close()


TOPIC_TAIL = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "ninh-kieu",
                "co-do",
                "traffic",
                "wifi",
                "backlog",
                "status",
                "cam-1",
                "",
                "Cần Thơ",
                "v2",
            ]
        ),
        # A broker may refuse wildcards, NUL and control characters in a topic name.
        st.text(
            st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="+#/"),
            max_size=12,
        ),
    ),
    max_size=5,
).map("/".join)
PAYLOADS = st.one_of(
    st.binary(max_size=300),
    st.fixed_dictionaries(
        {"ts": st.one_of(st.just(time.time()), st.text(max_size=5), st.none(), st.integers())},
        optional={
            k: st.one_of(st.integers(-3, 10**12), st.floats(), st.booleans(), st.none())
            for k in ("up", "vehicles", "speed_kmh", "pending", "overdue", "online")
        },
    ).map(lambda body: json.dumps(body).encode()),
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messages=st.lists(st.tuples(TOPIC_TAIL, PAYLOADS), min_size=1, max_size=60))
def test_arbitrary_topics_and_bytes_are_all_counted(broker, publisher, engine, areas, messages):
    before = OpsService(engine).ingest_stats()
    with running_ingestor(broker.url, engine, areas) as ingestor:
        for tail, payload in messages:
            publisher.publish(f"ioc/v1/{tail}" if tail else "ioc/v1", payload)
        publisher.wait_all()
        expected = before["received"] + len(messages)
        assert wait_until(lambda: received(engine) == expected), (received(engine), expected)
        assert ingestor.connected
    after = OpsService(engine).ingest_stats()
    answered = sum(
        after[k] - before[k] for k in ("accepted", "duplicates", "status_updates", "rejected")
    )
    assert answered == len(messages)


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_two_ingestors_in_a_share_group_split_the_stream(
    restartable_broker, engine, areas, protocol
):
    url = restartable_broker.url  # a spawned Mosquitto: it supports $share/ groups
    publisher = Publisher(url)
    group = f"ingest{random.randrange(1 << 20)}"
    try:
        with (
            running_ingestor(
                url,
                engine,
                areas,
                client_id="test-share-a",
                mqtt_protocol=protocol,
                mqtt_share_group=group,
            ) as first,
            running_ingestor(
                url,
                engine,
                areas,
                client_id="test-share-b",
                mqtt_protocol=protocol,
                mqtt_share_group=group,
            ) as second,
        ):
            for i in range(400):
                publisher.publish(
                    topic_for("binh-thuy", "traffic", f"cam-{i % 20}"), good_traffic(i)
                )
            publisher.wait_all()
            assert wait_until(lambda: stored_and_rejected(engine) == (400, 0), timeout=30)
        # Each ingestor took a share; together they took everything, once.
        # (Read after stop: a batch's counters arrive just after its commit.)
        shares = first.stats["received"], second.stats["received"]
        assert min(shares) > 0 and sum(shares) == 400, shares
    finally:
        publisher.close()


def test_a_killed_writer_process_is_replaced_and_nothing_is_lost(broker, publisher, engine, areas):
    with running_ingestor(broker.url, engine, areas) as ingestor:
        for i in range(100):
            publisher.publish(topic_for("co-do", "traffic", "cam-1"), good_traffic(i))
        publisher.wait_all()
        assert wait_until(lambda: stored_and_rejected(engine) == (100, 0))
        ingestor.writer._process.kill()
        for i in range(100, 200):
            publisher.publish(topic_for("co-do", "traffic", "cam-1"), good_traffic(i))
        publisher.wait_all()
        assert wait_until(lambda: stored_and_rejected(engine) == (200, 0), timeout=30)
        assert ingestor.writer._process.is_alive()
