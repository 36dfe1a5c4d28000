"""The ISA-18.2 state machine with on- and off-delays: pure, one step per cycle.

States: ``active_unacked`` (raised, nobody has taken it), ``active_acked``,
``cleared_unacked`` (back to normal, nobody took it: it stays in view), ``closed``
and ``shelved`` (hidden by an operator until a stated time).

- A condition is raised only once it has held for its kind's ``on_delay_s``; an
  open alarm clears only once its condition has been gone for ``off_delay_s``. A
  signal flapping faster than that stays one alarm.
- A cleared, unacknowledged alarm whose condition comes back is active again:
  the same alarm, not a new one.
- A shelved alarm comes back when its time is up: active and unacknowledged if
  its condition still holds, else closed.
- Operators' steps (acknowledge, shelve) are ``acknowledge`` and ``shelve`` here,
  applied by the service under a check that the state did not move meanwhile.

The timers live in memory; the alarms live in the store. After a restart an
open alarm is found in the store, so a condition still true is not raised anew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ioc.model.alarm import Alarm, AlarmRules, Condition

ACTIVE = ("active_unacked", "active_acked")


@dataclass(frozen=True)
class Step:
    """One change the evaluator makes: what, to which alarm (or condition), the new state."""

    action: str  # raise, clear, close, return, unshelve, severity
    to_state: str
    alarm: Alarm | None = None
    condition: Condition | None = None
    note: str = ""


@dataclass
class Timers:
    """Since when each condition has held, and since when each open alarm's has been gone."""

    held_since: dict[str, datetime] = field(default_factory=dict)
    gone_since: dict[str, datetime] = field(default_factory=dict)


def step(
    rules: AlarmRules, timers: Timers, open_alarms: list[Alarm], conditions: list[Condition],
    now: datetime,
) -> list[Step]:  # fmt: skip
    """The changes due now, given the open alarms and the conditions that hold."""
    present = {c.key: c for c in conditions}
    by_key = {a.key: a for a in open_alarms}
    steps: list[Step] = []
    for key in list(timers.held_since):
        if key not in present:
            del timers.held_since[key]
    for key, condition in present.items():
        since = timers.held_since.setdefault(key, now)
        timers.gone_since.pop(key, None)
        alarm = by_key.get(key)
        if alarm is None:
            rule = rules.kinds[condition.kind]
            if now - since >= timedelta(seconds=rule.on_delay_s):
                steps.append(Step("raise", "active_unacked", condition=condition))
        elif alarm.state == "cleared_unacked":
            steps.append(Step("return", "active_unacked", alarm, condition))
        elif alarm.state in ACTIVE and alarm.severity != condition.severity:
            steps.append(Step("severity", alarm.state, alarm, condition,
                              f"{alarm.severity} → {condition.severity}"))  # fmt: skip
    for alarm in open_alarms:
        holding = present.get(alarm.key)
        if alarm.state == "shelved":
            if alarm.shelved_until is not None and now >= alarm.shelved_until:
                back = "active_unacked" if holding is not None else "closed"
                steps.append(Step("unshelve", back, alarm, holding))
            continue
        if holding is not None or alarm.state not in ACTIVE:
            continue
        gone = timers.gone_since.setdefault(alarm.key, now)
        if now - gone >= timedelta(seconds=rules.kinds[alarm.kind].off_delay_s):
            to_state = "cleared_unacked" if alarm.state == "active_unacked" else "closed"
            steps.append(Step("clear", to_state, alarm))
    for key in list(timers.gone_since):
        if key not in by_key:
            del timers.gone_since[key]
    return steps
