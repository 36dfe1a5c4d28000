"""Alarms in ISA-18.2 / IEC 62682 terms: kinds, severities, states, rules, and one alarm.

Plain data: ``ioc.alarms.rules`` reads the rules from TOML, ``ioc.alarms.evaluate``
raises and clears alarms, ``ioc.store.alarms`` keeps them, ``ioc.services.alarms``
answers the pages and the API, widgets draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ioc.clock import iso

Kind = Literal[
    "ioc_offline", "feed_stale", "kpi_alarm", "metric_alarm", "metric_error", "ingest_degraded"
]
KINDS: tuple[Kind, ...] = (
    "ioc_offline", "feed_stale", "kpi_alarm", "metric_alarm", "metric_error", "ingest_degraded"
)  # fmt: skip
Severity = Literal["critical", "high", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "low")
# Worst first: the ticker and the lists sort by this, then by age.
SEVERITY_RANK: dict[str, int] = {"critical": 3, "high": 2, "low": 1}
State = Literal["active_unacked", "active_acked", "cleared_unacked", "closed", "shelved"]
STATES: tuple[State, ...] = (
    "active_unacked", "active_acked", "cleared_unacked", "closed", "shelved"
)  # fmt: skip
# Still wanting an operator: shown on the wall and counted. Shelved ones are hidden.
ACTIVE_STATES: tuple[State, ...] = ("active_unacked", "active_acked", "cleared_unacked")
OPEN_STATES: tuple[State, ...] = (*ACTIVE_STATES, "shelved")
UNACKED_STATES: tuple[State, ...] = ("active_unacked", "cleared_unacked")
NOTE_MAX = 500  # characters of an acknowledgement note or a shelving reason
SHELVE_MINUTES = (5, 7 * 24 * 60)  # a shelving lasts from 5 minutes to a week


@dataclass(frozen=True)
class KindRule:
    """How one kind of alarm is raised: its severity and its delays (seconds)."""

    kind: Kind
    severity: Severity
    on_delay_s: float
    off_delay_s: float
    warn_severity: Severity | None = None  # kpi_alarm, metric_alarm: raise at warn too


@dataclass(frozen=True)
class Recipient:
    """Who gets e-mail: addresses, for which districts ("*": all, "city": city-wide)."""

    to: tuple[str, ...]
    districts: frozenset[str]
    severities: frozenset[str]
    lang: str

    def wants(self, district: str | None, severity: str) -> bool:
        """Tell whether an alarm of this district and severity goes to these addresses."""
        place = district or "city"
        return severity in self.severities and ("*" in self.districts or place in self.districts)


@dataclass(frozen=True)
class AlarmRules:
    """The rule file: one rule per kind, the ingest limits, who gets e-mail."""

    kinds: dict[str, KindRule]
    dead_letters_per_minute: float = 60.0
    recipients: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class Condition:
    """One abnormal situation found now; ``key`` names it across cycles and restarts."""

    key: str
    kind: Kind
    district: str | None
    subject: str
    severity: Severity
    message_vi: str
    message_en: str


@dataclass(frozen=True)
class Transition:
    """One change of an alarm's state: who, when, why."""

    id: int
    alarm_id: int
    at: datetime
    action: str  # raise, clear, return, unshelve, severity (evaluator); ack, shelve (people)
    from_state: str | None
    to_state: str
    actor: str
    note: str

    def as_json(self) -> dict[str, Any]:
        """The API's shape."""
        return {"id": self.id, "at": iso(self.at), "action": self.action,
                "from_state": self.from_state, "to_state": self.to_state,
                "actor": self.actor, "note": self.note}  # fmt: skip


@dataclass(frozen=True)
class Alarm:
    """One alarm as stored."""

    id: int
    key: str
    kind: str
    district: str | None
    subject: str
    severity: str
    state: str
    message_vi: str
    message_en: str
    raised_at: datetime
    cleared_at: datetime | None = None
    acked_by: str | None = None
    acked_at: datetime | None = None
    ack_note: str | None = None
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    shelve_reason: str | None = None
    updated_at: datetime | None = None
    transitions: tuple[Transition, ...] = field(default=())

    @property
    def unacked(self) -> bool:
        """Nobody has taken it yet."""
        return self.state in UNACKED_STATES

    @property
    def rank(self) -> int:
        """Its severity as a number, worst highest."""
        return SEVERITY_RANK.get(self.severity, 0)

    def message(self, lang: str) -> str:
        """Its message in a language."""
        return self.message_vi if lang == "vi" else self.message_en

    def as_json(self, *, with_transitions: bool = False) -> dict[str, Any]:
        """The API's shape (with its transitions when asked)."""
        doc: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "district": self.district,
            "subject": self.subject, "severity": self.severity, "state": self.state,
            "message_vi": self.message_vi, "message_en": self.message_en,
            "raised_at": iso(self.raised_at), "cleared_at": iso(self.cleared_at),
            "acked_by": self.acked_by, "acked_at": iso(self.acked_at),
            "ack_note": self.ack_note, "shelved_until": iso(self.shelved_until),
            "shelve_reason": self.shelve_reason,
        }  # fmt: skip
        if with_transitions:
            doc["transitions"] = [t.as_json() for t in self.transitions]
        return doc


def sort_key(alarm: Alarm) -> tuple[int, datetime]:
    """Severity first (worst first), then age (oldest first)."""
    return (-alarm.rank, alarm.raised_at)


@dataclass(frozen=True)
class FloodState:
    """Whether the wall shows one flood banner: new alarms in the window against the limit."""

    flooding: bool
    raised: int
    limit: int
    minutes: int


@dataclass(frozen=True)
class AlarmCounts:
    """Active alarms by severity, and how many of them nobody has taken."""

    by_severity: dict[str, int]
    unacked: int

    @property
    def total(self) -> int:
        """All active alarms."""
        return sum(self.by_severity.values())


@dataclass(frozen=True)
class AlarmBoard:
    """What the wall shows of the alarms: the active ones (worst, then oldest), their counts
    by severity, and whether new ones come as a flood."""

    active: tuple[Alarm, ...]
    counts: AlarmCounts
    flood: FloodState
