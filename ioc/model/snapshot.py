"""A stored briefing snapshot, the list's filter, and the one text and digest a record is in."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from ioc.clock import utc_text

CITY_SCOPE = "city"
TRIGGERS = ("manual", "api", "schedule")


def canonical(record: dict) -> str:
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
    def record(self) -> dict:
        """The record, parsed anew each time (callers may not change the stored one)."""
        return json.loads(self.text)

    @property
    def intact(self) -> bool:
        """The stored text still has the digest written beside it."""
        return digest(self.text) == self.sha256

    def summary(self) -> dict:
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
