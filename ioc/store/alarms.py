"""Every SQL statement on alarms: the alarms, their transitions, deliveries and the lease."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ioc.model.alarm import Alarm, Condition, Transition
from ioc.store.schema import (
    alarm_deliveries,
    alarm_lease,
    alarm_transitions,
    alarms,
    dead_letters,
)

ALARM_FIELDS = (
    "id", "key", "kind", "district", "subject", "severity", "state", "message_vi", "message_en",
    "raised_at", "cleared_at", "acked_by", "acked_at", "ack_note", "shelved_until", "shelved_by",
    "shelve_reason", "updated_at",
)  # fmt: skip


def _alarm(row: Mapping[Any, Any], transitions: Iterable[Transition] = ()) -> Alarm:
    return Alarm(**{name: row[name] for name in ALARM_FIELDS}, transitions=tuple(transitions))


def _transition(row: Mapping[Any, Any]) -> Transition:
    return Transition(row["id"], row["alarm_id"], row["at"], row["action"], row["from_state"],
                      row["to_state"], row["actor"], row["note"])  # fmt: skip


def open_alarms(conn: Connection) -> list[Alarm]:
    """Every alarm that is not closed."""
    rows = conn.execute(select(alarms).where(alarms.c.state != "closed")).mappings()
    return [_alarm(r) for r in rows]


def insert_alarm(conn: Connection, condition: Condition, at: datetime) -> int | None:
    """Raise a new alarm for a condition (None: one is already open for it)."""
    row = {
        "key": condition.key, "open_key": condition.key, "kind": condition.kind,
        "district": condition.district, "subject": condition.subject[:64],
        "severity": condition.severity, "state": "active_unacked",
        "message_vi": condition.message_vi[:300], "message_en": condition.message_en[:300],
        "raised_at": at, "updated_at": at,
    }  # fmt: skip
    try:
        with conn.begin_nested():
            made = conn.execute(insert(alarms).values(row))
    except IntegrityError:
        return None
    key = made.inserted_primary_key
    return None if key is None else int(key[0])


def change_alarm(conn: Connection, alarm_id: int, expected_state: str, **values: Any) -> bool:
    """Change an alarm if it is still in the state the caller saw (False: it moved on)."""
    if values.get("state") == "closed":
        values["open_key"] = None
    done = conn.execute(
        update(alarms)
        .where(alarms.c.id == alarm_id, alarms.c.state == expected_state)
        .values(**values)
    )
    return done.rowcount == 1


def add_transition(
    conn: Connection, alarm_id: int, at: datetime, action: str, from_state: str | None,
    to_state: str, actor: str, note: str = "",
) -> int:  # fmt: skip
    """Record one change of an alarm's state."""
    made = conn.execute(insert(alarm_transitions).values(
        alarm_id=alarm_id, at=at, action=action, from_state=from_state, to_state=to_state,
        actor=actor[:120], note=note[:500],
    ))  # fmt: skip
    key = made.inserted_primary_key
    assert key is not None  # an autoincrement key is always returned
    return int(key[0])


def alarm(conn: Connection, alarm_id: int) -> Alarm | None:
    """One alarm with its transitions, oldest first."""
    row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).mappings().first()
    if row is None:
        return None
    steps = conn.execute(
        select(alarm_transitions)
        .where(alarm_transitions.c.alarm_id == alarm_id)
        .order_by(alarm_transitions.c.id)
    ).mappings()
    return _alarm(row, (_transition(s) for s in steps))


def find_alarms(
    conn: Connection, *, states: Iterable[str] | None = None, district: str | None = None,
    kind: str | None = None, severity: str | None = None, since: datetime | None = None,
    districts: frozenset[str] | None = None, limit: int = 500,
) -> list[Alarm]:  # fmt: skip
    """Alarms matching the filters, newest first. ``districts``: only these (no city-wide)."""
    query = select(alarms)
    if states is not None:
        query = query.where(alarms.c.state.in_(list(states)))
    if district is not None:
        query = query.where(
            alarms.c.district.is_(None) if district == "city" else alarms.c.district == district
        )
    if districts is not None:
        query = query.where(alarms.c.district.in_(sorted(districts)))
    if kind is not None:
        query = query.where(alarms.c.kind == kind)
    if severity is not None:
        query = query.where(alarms.c.severity == severity)
    if since is not None:  # raised since, or still changing since
        query = query.where(or_(alarms.c.raised_at >= since, alarms.c.updated_at >= since))
    query = query.order_by(alarms.c.raised_at.desc(), alarms.c.id.desc()).limit(limit)
    return [_alarm(r) for r in conn.execute(query).mappings()]


def actions_since(
    conn: Connection, since: datetime, until: datetime, *, actions: Iterable[str],
    districts: frozenset[str] | None = None,
) -> list[tuple[str, str, int]]:  # fmt: skip
    """(action, kind, count) of transitions in [since, until)."""
    query = (
        select(alarm_transitions.c.action, alarms.c.kind, func.count())
        .join(alarms, alarms.c.id == alarm_transitions.c.alarm_id)
        .where(
            alarm_transitions.c.at >= since,
            alarm_transitions.c.at < until,
            alarm_transitions.c.action.in_(list(actions)),
        )
        .group_by(alarm_transitions.c.action, alarms.c.kind)
    )
    if districts is not None:
        query = query.where(alarms.c.district.in_(sorted(districts)))
    return [(a, k, int(n)) for a, k, n in conn.execute(query)]


def closed_since(
    conn: Connection, since: datetime, until: datetime, *, districts: frozenset[str] | None = None
) -> list[tuple[str, int]]:
    """(kind, count) of alarms closed in [since, until)."""
    query = (
        select(alarms.c.kind, func.count())
        .join(alarms, alarms.c.id == alarm_transitions.c.alarm_id)
        .where(alarm_transitions.c.at >= since, alarm_transitions.c.at < until,
               alarm_transitions.c.to_state == "closed")
        .group_by(alarms.c.kind)
    )  # fmt: skip
    if districts is not None:
        query = query.where(alarms.c.district.in_(sorted(districts)))
    return [(k, int(n)) for k, n in conn.execute(query)]


def transitions_after(
    conn: Connection, cursor: int, limit: int = 200
) -> list[tuple[Transition, Alarm]]:
    """The transitions after the outbox cursor, oldest first, with their alarms as now."""
    query = (
        select(alarm_transitions, *[alarms.c[n].label(f"a_{n}") for n in ALARM_FIELDS])
        .join(alarms, alarms.c.id == alarm_transitions.c.alarm_id)
        .where(alarm_transitions.c.id > cursor)
        .order_by(alarm_transitions.c.id)
        .limit(limit)
    )
    found = []
    for row in conn.execute(query).mappings():
        found.append((_transition(row), _alarm({n: row[f"a_{n}"] for n in ALARM_FIELDS})))
    return found


def newest_transition(conn: Connection) -> int:
    """The id of the newest transition (0: none)."""
    return int(conn.execute(select(func.max(alarm_transitions.c.id))).scalar() or 0)


# --- the single evaluator's lease (SQLite) and the outbox cursor ------------------------


def take_lease(conn: Connection, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or renew the lease: ours already, or expired. False: another holds it."""
    renewed = conn.execute(
        update(alarm_lease)
        .where(alarm_lease.c.name == name,
               or_(alarm_lease.c.holder == holder, alarm_lease.c.expires_at < now))
        .values(holder=holder, expires_at=until)
    )  # fmt: skip
    if renewed.rowcount == 1:
        return True
    try:
        with conn.begin_nested():
            conn.execute(insert(alarm_lease).values(name=name, holder=holder,
                                                    expires_at=until, cursor=-1))  # fmt: skip
    except IntegrityError:
        return False
    return True


def release_lease(conn: Connection, name: str, holder: str, now: datetime) -> None:
    """Give the lease up at once (a clean stop), so another evaluator needs not wait.

    It expires at the epoch, not ``now``: free to whichever clock the next one reads
    (an evaluator whose clock is behind this one's would otherwise wait for it)."""
    del now  # kept for the callers' shape; a released lease is free at any time
    conn.execute(
        update(alarm_lease)
        .where(alarm_lease.c.name == name, alarm_lease.c.holder == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
    )


def ensure_cursor_row(conn: Connection, name: str, now: datetime) -> None:
    """The cursor's row, made when missing (PostgreSQL holds no lease row otherwise)."""
    exists = conn.execute(select(alarm_lease.c.name).where(alarm_lease.c.name == name)).first()
    if exists is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(alarm_lease).values(name=name, holder="", expires_at=now,
                                                        cursor=-1))  # fmt: skip
        except IntegrityError:
            pass


def cursor(conn: Connection, name: str) -> int:
    """The newest transition handed to the notifiers (-1: never started)."""
    value = conn.execute(select(alarm_lease.c.cursor).where(alarm_lease.c.name == name)).scalar()
    return -1 if value is None else int(value)


def set_cursor(conn: Connection, name: str, value: int) -> None:
    """Move the outbox cursor on."""
    conn.execute(update(alarm_lease).where(alarm_lease.c.name == name).values(cursor=value))


# --- deliveries, retention ---------------------------------------------------------------


def add_delivery(conn: Connection, row: Mapping[str, Any]) -> None:
    """Log one delivery attempt."""
    conn.execute(insert(alarm_deliveries).values(**row))


def deliveries(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The newest delivery attempts first."""
    query = select(alarm_deliveries).order_by(alarm_deliveries.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def prune(conn: Connection, before: datetime, keep_deliveries: int) -> int:
    """Delete closed alarms (and their transitions) last changed before ``before``, and
    delivery attempts past the newest ``keep_deliveries`` or older than ``before``."""
    old = select(alarms.c.id).where(alarms.c.state == "closed", alarms.c.updated_at < before)
    conn.execute(delete(alarm_transitions).where(alarm_transitions.c.alarm_id.in_(old)))
    gone = conn.execute(
        delete(alarms).where(alarms.c.state == "closed", alarms.c.updated_at < before)
    ).rowcount
    newest = conn.execute(select(func.max(alarm_deliveries.c.id))).scalar() or 0
    conn.execute(delete(alarm_deliveries).where(or_(
        alarm_deliveries.c.at < before, alarm_deliveries.c.id <= newest - keep_deliveries
    )))  # fmt: skip
    return int(gone)


def dead_letters_since(conn: Connection, since: datetime) -> int:
    """Messages dead-lettered since a time, store refusals left out (counted apart)."""
    query = select(func.count()).where(
        and_(dead_letters.c.received_at >= since, dead_letters.c.reason != "store_refused")
    )
    return int(conn.execute(query).scalar() or 0)
