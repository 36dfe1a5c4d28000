"""Alarms: the rule file, the state machine with its delays, the evaluator on a real store
(one of two evaluating, restarts), operators' acknowledgements and shelvings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ioc.alarms.evaluate import AlarmEvaluator
from ioc.alarms.machine import Timers, step
from ioc.alarms.rules import AlarmRulesError, load_rules
from ioc.config import DEFAULT_ALARMS_FILE
from ioc.contract import StatusReport
from ioc.model.alarm import Alarm, Condition
from ioc.services.alarms import AlarmActionError, AlarmService
from ioc.services.kpis import load_kpis
from ioc.store.writes import upsert_status
from tests.conftest import make_settings

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def rules(areas):
    return load_rules(DEFAULT_ALARMS_FILE, areas.slugs)


def _condition(key="ioc_offline:cai-rang:ioc", kind="ioc_offline", severity="critical"):
    return Condition(key, kind, "cai-rang", "ioc", severity, "Cái Răng mất kết nối", "offline")


def _alarm(state, key="ioc_offline:cai-rang:ioc", kind="ioc_offline", **extra):
    return Alarm(1, key, kind, "cai-rang", "ioc", "critical", state, "vi", "en", T0, **extra)


# --- the rule file ----------------------------------------------------------------------


def test_the_shipped_rules_name_every_kind_with_its_severity(rules):
    assert rules.kinds["ioc_offline"].severity == "critical"
    assert rules.kinds["kpi_alarm"].warn_severity == "low"
    assert set(rules.kinds) == {"ioc_offline", "feed_stale", "kpi_alarm", "metric_alarm",
                                "metric_error", "ingest_degraded"}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ('severity = "critical"', "severity must be one of critical, high, low, not 'urgent'"),
        ("on_delay_s = 0", "on_delay_s must be a number from 0 to 86400, not -1"),
        ("[kinds.ioc_offline]", "unknown kind [kinds.door_open]"),
        ("off_delay_s = 60", "has unknown keys ['off_delay']"),
        ("[ingest]", "unknown tables ['ingestion']"),
        ('severity = "high"\nwarn_severity = "low"', "warn_severity is only for kpi_alarm"),
    ],
)
def test_a_broken_rule_file_is_refused_in_one_line_naming_the_place(tmp_path, areas, change, named):
    text = DEFAULT_ALARMS_FILE.read_text(encoding="utf-8")
    broken = {
        'severity = "critical"': text.replace('severity = "critical"', 'severity = "urgent"', 1),
        "on_delay_s = 0": text.replace("on_delay_s = 0", "on_delay_s = -1", 1),
        "[kinds.ioc_offline]": text + '\n[kinds.door_open]\nseverity = "low"\n',
        "off_delay_s = 60": text.replace("off_delay_s = 60", "off_delay = 60", 1),
        "[ingest]": text.replace("[ingest]", "[ingestion]"),
        'severity = "high"\nwarn_severity = "low"': text.replace(
            '[kinds.feed_stale]     # a district\'s feed sends nothing within IOC_STALE_FACTOR x '
            'its interval\nseverity = "high"',
            '[kinds.feed_stale]\nseverity = "high"\nwarn_severity = "low"'),
    }[change]  # fmt: skip
    path = tmp_path / "alarms.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(AlarmRulesError) as caught:
        load_rules(path, areas.slugs)
    assert named in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_email_recipient_must_name_known_districts(tmp_path, areas):
    path = tmp_path / "alarms.toml"
    path.write_text(DEFAULT_ALARMS_FILE.read_text(encoding="utf-8")
                    + '\n[[email]]\nto = ["a@b.vn"]\ndistricts = ["atlantis"]\n')  # fmt: skip
    with pytest.raises(AlarmRulesError, match="districts must list known district slugs"):
        load_rules(path, areas.slugs)


# --- the state machine ------------------------------------------------------------------


def test_a_condition_is_raised_only_after_its_on_delay(rules):
    timers = Timers()
    stale = _condition("feed_stale:cai-rang:wifi", "feed_stale", "high")  # on-delay 60 s
    assert step(rules, timers, [], [stale], T0) == []
    assert step(rules, timers, [], [stale], T0 + timedelta(seconds=59)) == []
    raised = step(rules, timers, [], [stale], T0 + timedelta(seconds=60))
    assert [(s.action, s.to_state) for s in raised] == [("raise", "active_unacked")]


def test_a_flapping_signal_raises_one_alarm_and_clears_only_after_the_off_delay(rules):
    timers = Timers()
    alarm = _alarm("active_unacked")
    for second in range(0, 50, 10):  # gone, back, gone … within the 60 s off-delay
        now = T0 + timedelta(seconds=second)
        present = [_condition()] if second % 20 else []
        assert step(rules, timers, [alarm], present, now) == []
    assert step(rules, timers, [alarm], [], T0 + timedelta(seconds=99)) == []  # gone since 40
    cleared = step(rules, timers, [alarm], [], T0 + timedelta(seconds=100))
    assert [(s.action, s.to_state) for s in cleared] == [("clear", "cleared_unacked")]


@pytest.mark.parametrize(
    ("state", "present", "expected"),
    [
        ("active_acked", False, ("clear", "closed")),  # taken and normal: closed
        ("cleared_unacked", True, ("return", "active_unacked")),  # the same alarm again
        ("cleared_unacked", False, None),  # stays in view until someone takes it
    ],
)
def test_transitions_by_state(rules, state, present, expected):
    timers = Timers()
    alarm = _alarm(state)
    conditions = [_condition()] if present else []
    step(rules, timers, [alarm], conditions, T0)
    found = step(rules, timers, [alarm], conditions, T0 + timedelta(minutes=5))
    found = found or step(rules, timers, [alarm], conditions, T0 + timedelta(minutes=5))
    assert ((found[0].action, found[0].to_state) if found else None) == expected


def test_a_shelved_alarm_comes_back_when_its_time_is_up(rules):
    until = T0 + timedelta(minutes=30)
    alarm = _alarm("shelved", shelved_until=until)
    assert step(rules, Timers(), [alarm], [_condition()], until - timedelta(seconds=1)) == []
    back = step(rules, Timers(), [alarm], [_condition()], until)
    assert [(s.action, s.to_state) for s in back] == [("unshelve", "active_unacked")]
    normal = step(rules, Timers(), [alarm], [], until)
    assert [(s.action, s.to_state) for s in normal] == [("unshelve", "closed")]


# --- the evaluator on a real store --------------------------------------------------------


def _evaluator(engine, areas, rules, **settings):
    made = make_settings(database_url=str(engine.url), metrics_file="", **settings)
    return AlarmEvaluator(made, engine, areas, load_kpis(made.kpis_file), None, rules)


def _say(engine, district, online, at):
    with engine.begin() as conn:
        upsert_status(conn, [StatusReport(district, online, at)], received_at=at)


def _service(engine, areas):
    return AlarmService(engine, areas.slugs, flood_count=2, flood_minutes=10)


def test_an_ioc_offline_is_raised_acknowledged_cleared_and_closed_with_its_history(
    engine, areas, rules
):
    evaluator, service = _evaluator(engine, areas, rules), _service(engine, areas)
    _say(engine, "cai-rang", False, T0)
    assert evaluator.cycle(T0).leading
    [alarm] = service.active_alarms()
    assert (alarm.kind, alarm.district, alarm.severity, alarm.state) == (
        "ioc_offline", "cai-rang", "critical", "active_unacked")  # fmt: skip
    assert "Cái Răng" in alarm.message_vi and "Cai Rang" in alarm.message_en
    evaluator.cycle(T0 + timedelta(seconds=1))  # still offline: not raised again
    assert len(service.find(state="all")) == 1
    acked, changed = service.acknowledge(alarm.id, actor="op1", note="gọi kỹ thuật",
                                         now=T0 + timedelta(seconds=5))  # fmt: skip
    assert changed and (acked.state, acked.acked_by, acked.ack_note) == (
        "active_acked", "op1", "gọi kỹ thuật")  # fmt: skip
    _say(engine, "cai-rang", True, T0 + timedelta(seconds=10))
    evaluator.cycle(T0 + timedelta(seconds=10))
    evaluator.cycle(T0 + timedelta(seconds=80))  # past the 60 s off-delay
    done = service.get(alarm.id)
    assert done.state == "closed" and done.cleared_at == T0 + timedelta(seconds=80)
    assert [(t.action, t.to_state, t.actor) for t in done.transitions] == [
        ("raise", "active_unacked", "evaluator"), ("ack", "active_acked", "op1"),
        ("clear", "closed", "evaluator"),
    ]  # fmt: skip
    assert service.active_alarms() == []
    counts = service.alarm_counts_since(T0, T0 + timedelta(hours=1))
    assert counts["raised"]["ioc_offline"] == 1 and counts["closed"]["ioc_offline"] == 1


def test_a_shelved_alarm_is_hidden_then_comes_back(engine, areas, rules):
    evaluator, service = _evaluator(engine, areas, rules), _service(engine, areas)
    _say(engine, "o-mon", False, T0)
    evaluator.cycle(T0)
    [alarm] = service.active_alarms()
    service.shelve(alarm.id, actor="op1", minutes=5, reason="bảo trì", now=T0)
    assert service.active_alarms() == [] and service.counts().total == 0
    assert [a.state for a in service.find(state="active")] == ["shelved"]
    evaluator.cycle(T0 + timedelta(minutes=5))
    [back] = service.active_alarms()
    assert (back.id, back.state, back.shelved_until) == (alarm.id, "active_unacked", None)


@pytest.mark.parametrize(
    ("minutes", "reason", "key"),
    [(0, "x", "alarm_bad_minutes"), (10081, "x", "alarm_bad_minutes"),
     ("5", "x", "alarm_bad_minutes"), (5, "", "alarm_reason_needed"),
     (5, "x" * 501, "alarm_note_too_long")],
)  # fmt: skip
def test_a_shelving_needs_a_time_in_range_and_a_short_reason(engine, areas, rules, minutes,
                                                              reason, key):  # fmt: skip
    evaluator, service = _evaluator(engine, areas, rules), _service(engine, areas)
    _say(engine, "o-mon", False, T0)
    evaluator.cycle(T0)
    [alarm] = service.active_alarms()
    with pytest.raises(AlarmActionError) as caught:
        service.shelve(alarm.id, actor="op", minutes=minutes, reason=reason, now=T0)
    assert (caught.value.status, caught.value.key) == (400, key)


def test_alarms_survive_a_restart_and_are_not_raised_again(engine, areas, rules):
    _say(engine, "cai-rang", False, T0)
    first = _evaluator(engine, areas, rules)
    first.cycle(T0)
    first.stop()
    again = _evaluator(engine, areas, rules)
    assert again.cycle(T0 + timedelta(seconds=30)).steps == ()
    [alarm] = _service(engine, areas).find(state="all")
    assert (
        alarm.state == "active_unacked"
        and len(_service(engine, areas).get(alarm.id).transitions) == 1
    )


def test_of_two_evaluators_exactly_one_evaluates_and_the_other_takes_over(engine, areas, rules):
    one, two = _evaluator(engine, areas, rules), _evaluator(engine, areas, rules)
    _say(engine, "cai-rang", False, T0)
    assert one.cycle(T0).leading and not two.cycle(T0).leading
    for second in range(1, 4):
        now = T0 + timedelta(seconds=second)
        assert one.cycle(now).leading and not two.cycle(now).leading
    assert len(_service(engine, areas).find(state="all")) == 1
    one.stop()  # a clean stop gives the lease up
    assert two.cycle(T0 + timedelta(seconds=5)).leading
    assert two.cycle(T0 + timedelta(seconds=6)).steps == ()  # the open alarm is known


def test_a_dead_evaluators_lease_expires(engine, areas, rules):
    if engine.dialect.name == "postgresql":  # the lock goes with its connection: see below
        pytest.skip("the SQLite lease row; PostgreSQL's advisory lock: test_alarms_lease_pg.py")
    one, two = _evaluator(engine, areas, rules), _evaluator(engine, areas, rules)
    assert one.cycle(T0).leading and not two.cycle(T0 + timedelta(seconds=5)).leading
    assert two.cycle(T0 + timedelta(seconds=11)).leading  # one stopped renewing: gone


def test_a_flood_is_more_new_alarms_than_the_limit_in_the_window(engine, areas, rules):
    evaluator, service = _evaluator(engine, areas, rules), _service(engine, areas)
    for slug in ("cai-rang", "o-mon", "ninh-kieu"):
        _say(engine, slug, False, T0)
    evaluator.cycle(T0)
    flood = service.flood_state(T0 + timedelta(minutes=1))
    assert (flood.flooding, flood.raised, flood.limit) == (True, 3, 2)
    assert not service.flood_state(T0 + timedelta(minutes=11)).flooding
    assert service.counts().by_severity["critical"] == 3 and service.counts().unacked == 3
    limited = service.active_alarms(lambda slug: slug == "o-mon")
    assert [a.district for a in limited] == ["o-mon"]


def test_history_older_than_the_retention_is_pruned(engine, areas, rules):
    evaluator = _evaluator(engine, areas, rules, alarm_retention_days=1)
    service = _service(engine, areas)
    _say(engine, "cai-rang", False, T0)
    evaluator.cycle(T0)
    [alarm] = service.active_alarms()
    service.acknowledge(alarm.id, actor="op", note="", now=T0)
    _say(engine, "cai-rang", True, T0)
    evaluator.cycle(T0 + timedelta(minutes=1))
    evaluator.cycle(T0 + timedelta(minutes=3))
    assert service.get(alarm.id).state == "closed"
    evaluator.cycle(T0 + timedelta(days=2))  # the hourly pruning runs
    assert service.get(alarm.id) is None


def test_the_rule_file_setting_must_name_a_file(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        make_settings(alarms_file=Path(tmp_path / "nothing.toml"))
