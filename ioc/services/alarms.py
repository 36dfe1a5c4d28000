"""Alarms as pages, the API, the wall and the briefing see them; operators' acknowledgements
and shelvings. The evaluator (``ioc.alarms``) raises and clears; this service reads, and
applies what a person does, each step recorded with who, when and a note.

For the displays: ``active_alarms`` (severity, then age), ``counts`` (active alarms by
severity), ``flood_state`` (new alarms in the flood window against the limit),
``alarm_counts_since`` (raised and closed by kind, for the briefing) and ``history``
(a district's alarms over 30 days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from ioc.model.alarm import (
    ACTIVE_STATES,
    KINDS,
    NOTE_MAX,
    SEVERITIES,
    SHELVE_MINUTES,
    Alarm,
    AlarmBoard,
    AlarmCounts,
    FloodState,
    sort_key,
)
from ioc.store import alarms as rows

Limit = Callable[[str], bool] | None  # a viewer's scope: None for every district


class AlarmActionError(Exception):
    """An operator's step cannot be done; ``status`` is the HTTP answer, ``key`` the text."""

    def __init__(self, status: int, key: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.key = key


def _districts(limit: Limit, slugs: frozenset[str]) -> frozenset[str] | None:
    """The districts a limited viewer may see (no city-wide alarms); None: everything."""
    return None if limit is None else frozenset(s for s in slugs if limit(s))


def visible(alarm: Alarm, limit: Limit) -> bool:
    """A limited viewer sees its districts' alarms, not city-wide ones."""
    return limit is None or (alarm.district is not None and limit(alarm.district))


def acknowledged_state(state: str) -> str | None:
    """Where an acknowledgement takes an alarm (None: there is nothing to acknowledge)."""
    return {"active_unacked": "active_acked", "cleared_unacked": "closed"}.get(state)


class AlarmService:
    """Reads alarms from the store and records operators' steps."""

    def __init__(
        self, engine: Engine, slugs: frozenset[str], *, flood_count: int = 10,
        flood_minutes: int = 10,
    ) -> None:  # fmt: skip
        self.engine = engine
        self.slugs = slugs
        self.flood_count = flood_count
        self.flood_minutes = flood_minutes

    # --- for the displays ------------------------------------------------------------------

    def active_alarms(self, limit: Limit = None, district: str | None = None) -> list[Alarm]:
        """Alarms wanting an operator (not shelved, not closed): worst first, then oldest."""
        with self.engine.connect() as conn:
            found = rows.find_alarms(conn, states=ACTIVE_STATES, district=district,
                                     districts=_districts(limit, self.slugs))  # fmt: skip
        return sorted(found, key=sort_key)

    def counts(self, limit: Limit = None) -> AlarmCounts:
        """Active alarms by severity, and how many nobody has taken."""
        active = self.active_alarms(limit)
        by_severity: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for alarm in active:
            by_severity[alarm.severity] = by_severity.get(alarm.severity, 0) + 1
        return AlarmCounts(by_severity, sum(1 for a in active if a.unacked))

    def flood_state(self, now: datetime, limit: Limit = None) -> FloodState:
        """A flood: more new alarms than the limit in the window (ISA-18.2: 10 in 10 min)."""
        since = now - timedelta(minutes=self.flood_minutes)
        with self.engine.connect() as conn:
            counted = rows.actions_since(conn, since, now + timedelta(seconds=1),
                                         actions=("raise",),
                                         districts=_districts(limit, self.slugs))  # fmt: skip
        raised = sum(n for _a, _k, n in counted)
        return FloodState(raised > self.flood_count, raised, self.flood_count, self.flood_minutes)

    def board(self, now: datetime, limit: Limit = None) -> AlarmBoard:
        """The wall's view: active alarms in order, counts by severity, the flood state."""
        active = self.active_alarms(limit)
        by_severity: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for alarm in active:
            by_severity[alarm.severity] = by_severity.get(alarm.severity, 0) + 1
        counts = AlarmCounts(by_severity, sum(1 for a in active if a.unacked))
        return AlarmBoard(tuple(active), counts, self.flood_state(now, limit))

    def alarm_counts_since(
        self, since: datetime, until: datetime, limit: Limit = None
    ) -> dict[str, dict[str, int]]:
        """Alarms raised and closed in [since, until), by kind (every kind named, 0 or more)."""
        with self.engine.connect() as conn:
            districts = _districts(limit, self.slugs)
            counted = rows.actions_since(conn, since, until, actions=("raise",),
                                         districts=districts)  # fmt: skip
            ended = rows.closed_since(conn, since, until, districts=districts)
        raised: dict[str, int] = dict.fromkeys(KINDS, 0)
        closed: dict[str, int] = dict.fromkeys(KINDS, 0)
        for _action, kind, n in counted:
            raised[kind] = raised.get(kind, 0) + n
        for kind, n in ended:
            closed[kind] = closed.get(kind, 0) + n
        return {"raised": raised, "closed": closed}

    def history(self, district: str, now: datetime, days: int = 30) -> list[Alarm]:
        """One district's alarms raised or changed in the last ``days``, newest first."""
        with self.engine.connect() as conn:
            return rows.find_alarms(conn, district=district, since=now - timedelta(days=days))

    # --- for /alarms and the API -----------------------------------------------------------

    def find(
        self, *, state: str = "active", district: str | None = None, kind: str | None = None,
        severity: str | None = None, since: datetime | None = None, limit: Limit = None,
        max_rows: int = 500,
    ) -> list[Alarm]:  # fmt: skip
        """Alarms for a list: ``active`` (incl. shelved: an operator must find them), or all."""
        states = (*ACTIVE_STATES, "shelved") if state == "active" else None
        with self.engine.connect() as conn:
            found = rows.find_alarms(
                conn, states=states, district=district, kind=kind, severity=severity,
                since=since, districts=_districts(limit, self.slugs), limit=max_rows,
            )  # fmt: skip
        return sorted(found, key=sort_key) if state == "active" else found

    def get(self, alarm_id: int) -> Alarm | None:
        """One alarm with its transitions."""
        with self.engine.connect() as conn:
            return rows.alarm(conn, alarm_id)

    def acknowledge(
        self, alarm_id: int, *, actor: str, note: object, now: datetime
    ) -> tuple[Alarm, bool]:
        """Take an alarm; (the alarm now, whether this changed it). Twice is harmless."""
        note = _note(note, required=False)
        with self.engine.begin() as conn:
            alarm = rows.alarm(conn, alarm_id)
            if alarm is None:
                raise AlarmActionError(404, "alarm_not_found", "no such alarm")
            to_state = acknowledged_state(alarm.state)
            if to_state is None:
                if alarm.state in ("active_acked", "closed"):
                    return alarm, False
                raise AlarmActionError(409, "alarm_cannot_ack", f"a {alarm.state} alarm "
                                       "cannot be acknowledged")  # fmt: skip
            values = {"state": to_state, "acked_by": actor[:120], "acked_at": now,
                      "ack_note": note, "updated_at": now}  # fmt: skip
            if not rows.change_alarm(conn, alarm_id, alarm.state, **values):
                raise AlarmActionError(409, "alarm_moved", "the alarm changed meanwhile")
            rows.add_transition(conn, alarm_id, now, "ack", alarm.state, to_state, actor, note)
            changed = rows.alarm(conn, alarm_id)
        assert changed is not None
        return changed, True

    def shelve(
        self, alarm_id: int, *, actor: str, minutes: object, reason: str, now: datetime
    ) -> Alarm:
        """Hide an alarm for a stated time and reason; it comes back when the time is up."""
        low, high = SHELVE_MINUTES
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
            raise AlarmActionError(
                400, "alarm_bad_minutes", f"minutes must be a whole number from {low} to {high}"
            )
        reason = _note(reason, required=True)
        until = now + timedelta(minutes=minutes)
        with self.engine.begin() as conn:
            alarm = rows.alarm(conn, alarm_id)
            if alarm is None:
                raise AlarmActionError(404, "alarm_not_found", "no such alarm")
            if alarm.state == "closed":
                raise AlarmActionError(409, "alarm_cannot_shelve", "a closed alarm cannot "
                                       "be shelved")  # fmt: skip
            values = {"state": "shelved", "shelved_until": until, "shelved_by": actor[:120],
                      "shelve_reason": reason, "updated_at": now}  # fmt: skip
            if not rows.change_alarm(conn, alarm_id, alarm.state, **values):
                raise AlarmActionError(409, "alarm_moved", "the alarm changed meanwhile")
            rows.add_transition(conn, alarm_id, now, "shelve", alarm.state, "shelved", actor,
                                f"{minutes} min: {reason}")  # fmt: skip
            changed = rows.alarm(conn, alarm_id)
        assert changed is not None
        return changed

    def deliveries(self, limit: int = 100) -> list[dict[str, object]]:
        """The newest notification attempts (webhook, e-mail), for the operators."""
        with self.engine.connect() as conn:
            return rows.deliveries(conn, limit)


def _note(text: object, *, required: bool) -> str:
    """A note or reason: text of at most 500 characters (a reason may not be empty)."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise AlarmActionError(400, "alarm_bad_note", "the note must be text")
    text = text.strip()
    if len(text) > NOTE_MAX:
        raise AlarmActionError(
            400, "alarm_note_too_long", f"the note is longer than {NOTE_MAX} characters"
        )
    if required and not text:
        raise AlarmActionError(400, "alarm_reason_needed", "a shelving needs a reason")
    return text


def by_kind(alarms: list[Alarm]) -> dict[str, int]:
    """How many alarms of each kind (every kind named)."""
    counted: dict[str, int] = defaultdict(int, dict.fromkeys(KINDS, 0))
    for alarm in alarms:
        counted[alarm.kind] += 1
    return dict(counted)
