"""The broker comes back without the ingestor's session: a warning, a count, /healthz says so.

Issue 16: a persistent session holds the QoS 1 messages published while the
ingestor is away. When the broker restarts without it (no persistence, a wiped
disk, another node of a cluster), those messages are gone; the ingestor must say
so instead of logging ``session present: False`` at INFO.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ioc.services.ops import OpsService
from ioc.store.engine import make_engine, migrate
from tests.conftest import running_ingestor, wait_until

CLIENT = "test-ingest-session-loss"
WARNING = "kept no session"


@pytest.fixture
def engine(tmp_path):
    """SQLite only: what these tests hold is the MQTT session and its counts; the
    heartbeat's SQL runs on PostgreSQL too, in tests/test_ingest.py and test_store.py."""
    made = make_engine(f"sqlite:///{tmp_path / 'ioc.db'}")
    migrate(made)
    yield made
    made.dispose()


def mqtt_health(engine) -> dict:
    return OpsService(engine).health(datetime.now(UTC))[0]["mqtt"]


def counted(engine, reconnects: int, losses: int) -> bool:
    mqtt = mqtt_health(engine)
    return (mqtt["reconnects"], mqtt["session_losses"]) == (reconnects, losses)


def wipe(broker, workdir: Path) -> None:
    """Stop the broker, delete its persistence file, start it: every session is gone."""
    broker.stop()
    for saved in workdir.glob("*.db"):
        saved.unlink()
    broker.start()


def test_a_broker_restart_that_keeps_the_session_is_a_reconnect_only(
    restartable_broker, engine, areas, caplog
):
    caplog.set_level(logging.INFO, logger="feeds.ingest")
    with running_ingestor(restartable_broker.url, engine, areas, client_id=CLIENT) as ingestor:
        restartable_broker.restart(down_for=0.5)
        assert wait_until(lambda: ingestor.reconnects == 1 and ingestor.connected, timeout=40)
        assert wait_until(lambda: counted(engine, 1, 0), timeout=15)
    assert WARNING not in caplog.text
    assert "session present: True" in caplog.text


def test_a_lost_session_is_a_warning_a_count_and_a_line_in_healthz(
    restartable_broker, engine, areas, caplog, tmp_path
):
    caplog.set_level(logging.WARNING, logger="feeds.ingest")
    workdir = tmp_path / "mosquitto"
    with running_ingestor(restartable_broker.url, engine, areas, client_id=CLIENT) as ingestor:
        assert WARNING not in caplog.text  # the first connection of a new client id
        wipe(restartable_broker, workdir)
        assert wait_until(lambda: ingestor.session_losses == 1, timeout=40)
        assert wait_until(lambda: counted(engine, 1, 1), timeout=15)
    assert caplog.text.count(WARNING) == 1
    assert "may be lost" in caplog.text
    ingestors = mqtt_health(engine)["ingestors"]
    assert [(i["id"], i["session_losses"]) for i in ingestors] == [(CLIENT, 1)]


def test_an_ingestor_started_again_expects_its_session_and_keeps_counting(
    restartable_broker, engine, areas, caplog, tmp_path
):
    caplog.set_level(logging.WARNING, logger="feeds.ingest")
    workdir = tmp_path / "mosquitto"
    with running_ingestor(restartable_broker.url, engine, areas, client_id=CLIENT):
        pass  # it ran once, with a persistent session
    wipe(restartable_broker, workdir)  # while it was stopped, the broker lost its disk
    with running_ingestor(restartable_broker.url, engine, areas, client_id=CLIENT) as ingestor:
        assert ingestor.session_losses == 1
        assert wait_until(lambda: counted(engine, 0, 1), timeout=15)
    assert caplog.text.count(WARNING) == 1
