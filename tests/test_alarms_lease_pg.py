"""One alarm evaluator at a time on PostgreSQL: the advisory lock, with two evaluators on
two engines (two sessions, as two processes have), in their own threads.

Runs only with IOC_TEST_DATABASE_URL (CI's PostgreSQL); the SQLite lease row is tested
in test_alarms.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ioc.alarms.evaluate import AlarmEvaluator
from ioc.alarms.lease import ADVISORY_LOCK_ID
from ioc.alarms.rules import load_rules
from ioc.config import DEFAULT_ALARMS_FILE
from ioc.contract import StatusReport
from ioc.services.alarms import AlarmService
from ioc.services.kpis import load_kpis
from ioc.store.engine import make_engine, migrate, private_schema
from ioc.store.writes import upsert_status
from tests.conftest import TEST_DATABASE_URL, make_settings, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs IOC_TEST_DATABASE_URL"),
]


@pytest.fixture
def url():
    with private_schema(TEST_DATABASE_URL, "lease") as found:
        migrate(make_engine(found))
        yield found


def _evaluator(url, areas, holder):
    settings = make_settings(database_url=url, metrics_file="", alarm_interval_ms=200)
    engine = make_engine(url)  # its own pool: its own session, as another process has
    rules = load_rules(DEFAULT_ALARMS_FILE, areas.slugs)
    kpis = load_kpis(settings.kpis_file)
    return AlarmEvaluator(settings, engine, areas, kpis, None, rules, holder=holder)


def _lock_holders(engine) -> list[int]:
    """The sessions holding the evaluator's advisory lock in this schema."""
    query = text("SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
                 "AND l.classid = :id AND l.objid::bigint = "
                 "(hashtext(current_schema())::bigint & 4294967295)")  # fmt: skip
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query, {"id": ADVISORY_LOCK_ID})]


def test_two_evaluators_running_one_evaluates_and_the_other_takes_over_when_it_dies(url, areas):
    one, two = _evaluator(url, areas, "one"), _evaluator(url, areas, "two")
    look = make_engine(url)
    try:
        with look.begin() as conn:  # Cái Răng's IOC left (its Last Will): one alarm
            upsert_status(conn, [StatusReport("cai-rang", False, datetime.now(UTC))],
                          received_at=datetime.now(UTC))  # fmt: skip
        one.start()
        assert wait_until(lambda: one.leading, timeout=20)
        two.start()
        service = AlarmService(look, areas.slugs)
        assert wait_until(lambda: len(service.active_alarms()) == 1, timeout=20)
        time.sleep(1.5)  # several cycles of both: still one leader, still one alarm
        assert one.leading and not two.leading
        assert len(_lock_holders(look)) == 1
        assert len(service.find(state="all")) == 1

        # The leader's process dies: its session ends, the lock is free, two takes over.
        with look.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                         {"pid": _lock_holders(look)[0]})  # fmt: skip
            conn.commit()
        assert wait_until(lambda: two.leading, timeout=20)
        assert wait_until(lambda: not one.leading, timeout=20)
        time.sleep(1.0)
        [alarm] = service.find(state="all")  # the open alarm was found, not raised again
        assert [t.action for t in service.get(alarm.id).transitions] == ["raise"]

        # A clean stop gives the lock up at once.
        two.stop()
        assert _lock_holders(look) == [] or wait_until(lambda: not _lock_holders(look), 10)
        assert wait_until(lambda: one.leading, timeout=20)
    finally:
        one.stop()
        two.stop()
        for made in (one, two):
            made.engine.dispose()
        look.dispose()
