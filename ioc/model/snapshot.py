"""A stored briefing snapshot, the list's filter, the one text and digest a record is in,
and the shape of two records compared."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict

from ioc.clock import utc_text
from ioc.status import Status

CITY_SCOPE = "city"
TRIGGERS = ("manual", "api", "schedule")
# A briefing record, or a part of one: JSON as stored (texts, numbers, lists, objects, null).
JsonDict = dict[str, Any]


def canonical(record: JsonDict) -> str:
    """The one text a record is stored as: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """SHA-256 of a stored record text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredSnapshot:
    """One row of the snapshots table, its record parsed."""

    id: int
    taken_at: datetime
    scope: str
    trigger: str
    scheduled_for: datetime | None
    title: str
    taken_by: str
    status: str
    text: str
    sha256: str

    @property
    def record(self) -> JsonDict:
        """The record, parsed anew each time (callers may not change the stored one)."""
        record: JsonDict = json.loads(self.text)
        return record

    @property
    def intact(self) -> bool:
        """The stored text still has the digest written beside it."""
        return digest(self.text) == self.sha256

    def summary(self) -> dict[str, int | str | None]:
        """The list's and the API's short form."""
        return {
            "id": self.id,
            "taken_at": utc_text(self.taken_at),
            "scope": self.scope,
            "trigger": self.trigger,
            "scheduled_for": utc_text(self.scheduled_for),
            "title": self.title,
            "taken_by": self.taken_by,
            "status": self.status,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class SnapshotFilter:
    """What the list shows: a scope, a trigger, a local date range, words of the title."""

    scope: str | None = None
    trigger: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""
    limit: int = 50
    offset: int = 0


# --- two records compared (``ioc.services.briefing_compare``); values as the records hold them ---

# How a figure moved: by the thresholds' direction, "changed" when they have none.
Move = Literal["better", "worse", "same", "changed", "unknown"]
# How an area fared: by its worst status first, then by how many of its KPIs moved each way.
Verdict = Literal["better", "worse", "same"]


class KpiChange(TypedDict):
    """One KPI of an area in two records: both values, the delta, the move, both statuses."""

    key: str
    before: float | None
    after: float | None
    delta: float | None
    judged_before: float | None
    judged_after: float | None
    move: Move
    status_before: Status
    status_after: Status


class AreaChange(TypedDict):
    """An area (the city or a district) in two records, and whether it got better or worse."""

    slug: str
    name_vi: str
    name_en: str
    status_before: Status
    status_after: Status
    online_before: bool | None
    online_after: bool | None
    verdict: Verdict
    better: int  # how many of its KPIs got better
    worse: int
    kpis: list[KpiChange]
    status_changes: list[KpiChange]


class MetricChange(TypedDict):
    """A database metric in two records."""

    id: str
    title: dict[str, str]  # by language
    unit: str | None
    before: float | None
    after: float | None
    delta: float | None
    move: Move
    status_before: Status | None
    status_after: Status | None


class RecordSide(TypedDict):
    """Which record a comparison speaks of."""

    taken_at: str
    title: str


class Comparison(TypedDict):
    """What changed from an older record to a newer one."""

    newer: RecordSide
    older: RecordSide
    areas: list[AreaChange]
    better: list[str]  # district slugs
    worse: list[str]
    metrics: list[MetricChange]
    alarms_new: list[JsonDict]  # as the records hold them
    alarms_cleared: list[JsonDict]
