"""The store writer's typed interface: every command answered, in a thread or a child process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from feeds.commands import Heartbeat, RawMessage
from feeds.writer import InlineWriter, StoreUnavailable, StoreWriter, WriterProcess
from ioc.contract import TrafficPayload, topic_for
from ioc.store.schema import ingestors

TOPIC = topic_for("ninh-kieu", "traffic", "cam-1")


def traffic(seq: int, age: timedelta) -> RawMessage:
    payload = TrafficPayload(ts=datetime.now(UTC) - age, vehicles=3, speed_kmh=30, seq=seq)
    return RawMessage(TOPIC, TOPIC, payload.to_json().encode(), time.time())


@pytest.fixture(params=["process", "thread"])
def writer(request, engine, areas) -> Iterator[StoreWriter]:
    if request.param == "process":
        made: StoreWriter = WriterProcess(engine.url.render_as_string(False), areas.slugs)
    else:
        made = InlineWriter(engine, areas.slugs)
    made.start()
    yield made
    made.stop()


def test_each_command_gets_its_own_answer(writer, engine):
    old, new = traffic(1, timedelta(days=20)), traffic(2, timedelta(minutes=1))
    bad = RawMessage(TOPIC, TOPIC, b"{", time.time())
    counts = writer.write([old, new, bad])
    assert (counts["received"], counts["accepted"], counts["rejected:bad_json"]) == (3, 2, 1)
    beat = Heartbeat("test-writer", "mqtt://broker", True, datetime.now(UTC), None)
    assert writer.heartbeat(beat) is None
    with engine.connect() as conn:
        assert conn.execute(select(ingestors.c.ingestor_id)).scalars().all() == ["test-writer"]
    assert writer.prune(14) == 1  # the 20-day-old reading; the dead letter is new


def test_a_message_that_is_no_command_is_refused_not_run(writer):
    with pytest.raises(StoreUnavailable, match="not a writer command: str"):
        writer.run("prune")  # the old string commands are gone
    assert writer.prune(14) == 0  # and the writer still answers
