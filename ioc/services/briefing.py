"""Briefing snapshots: the city's (or one district's) state frozen into one stored record.

The record (``briefing_record``) is stored as canonical JSON with its SHA-256, so
that a printed snapshot can be checked against the store years later; two records
are compared by ``briefing_compare``; the SQL is in ``ioc.store.snapshots``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.model.snapshot import (
    CITY_SCOPE,
    TRIGGERS,
    SnapshotFilter,
    StoredSnapshot,
    canonical,
    digest,
)
from ioc.services.alarms import AlarmService
from ioc.services.briefing_record import alarm_section, district_section, record_of
from ioc.services.district import DistrictService
from ioc.services.kpis import KpiCatalogue
from ioc.services.wall import WallService
from ioc.store import snapshots as store

TITLE_CHARS = 200
NOTE_CHARS = 2000
TAKEN_BY_CHARS = 120


class SnapshotError(ValueError):
    """A snapshot cannot be taken as asked (unknown district, text too long)."""


class BriefingService:
    """Takes, keeps and finds briefing snapshots; never changes one once written."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        areas: AreaCatalogue,
        kpis: KpiCatalogue,
        wall: WallService,
        district: DistrictService,
        alarms: AlarmService | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.areas = areas
        self.kpis = kpis
        self.wall = wall
        self.district = district
        self.alarms = alarms

    def header(self) -> dict[str, dict[str, str]]:
        """The official header of a snapshot taken now (kept in the record)."""
        s = self.settings
        return {
            "issuer": {"vi": s.briefing_issuer, "en": s.briefing_issuer_en},
            "centre": {"vi": s.briefing_centre, "en": s.briefing_centre_en},
            "place": {"vi": s.briefing_place, "en": s.briefing_place_en},
        }

    def _check(self, scope: str, trigger: str, title: str, note: str, taken_by: str) -> None:
        """Refuse (SnapshotError) an unknown district or trigger, or a text too long."""
        if scope != CITY_SCOPE and scope not in self.areas:
            raise SnapshotError(f"no such district: {scope[:64]}")
        if trigger not in TRIGGERS:
            raise SnapshotError(f"trigger must be one of {', '.join(TRIGGERS)}")
        for name, text, limit in (
            ("title", title, TITLE_CHARS),
            ("note", note, NOTE_CHARS),
            ("taken_by", taken_by, TAKEN_BY_CHARS),
        ):
            if len(text) > limit:
                raise SnapshotError(f"{name} is longer than {limit} characters")

    def take(
        self,
        *,
        scope: str = CITY_SCOPE,
        title: str = "",
        note: str = "",
        taken_by: str = "",
        trigger: str = "manual",
        now: datetime | None = None,
        scheduled_for: datetime | None = None,
    ) -> StoredSnapshot | None:
        """Take and store a snapshot; None when its schedule slot is already taken."""
        scope = scope or CITY_SCOPE
        self._check(scope, trigger, title, note, taken_by)
        now = now or datetime.now(UTC)
        snap = self.wall.build(now)
        section = None if scope == CITY_SCOPE else district_section(self.district, scope, now)
        record = record_of(
            snap, self.kpis, scope=scope, taken_by=taken_by.strip(), trigger=trigger,
            title=title.strip(), note=note.strip(), header=self.header(),
            scheduled_for=scheduled_for, district=section,
            simulated=self.settings.simulator_enabled,
        )  # fmt: skip
        if self.alarms is not None:
            with self.engine.connect() as conn:
                found, _n = store.find_snapshots(conn, scope=scope, until=now, limit=1)
            before = found[0] if found else None
            record["alarm_log"] = alarm_section(
                self.alarms, scope, now, None if before is None else (before.id, before.taken_at)
            )
        text = canonical(record)
        row: store.NewSnapshot = {
            "taken_at": now,
            "scope": scope,
            "trigger": trigger,
            "scheduled_for": scheduled_for,
            "title": record["title"],
            "taken_by": record["taken_by"],
            "status": record["status"],
            "record": text,
            "sha256": digest(text),
        }
        try:
            with self.engine.begin() as conn:
                new_id = store.insert_snapshot(conn, row)
        except IntegrityError:
            if scheduled_for is None:
                raise
            return None  # another process took this slot
        return self.get(new_id)

    def get(self, snapshot_id: int) -> StoredSnapshot | None:
        """One snapshot, or None."""
        with self.engine.connect() as conn:
            return store.snapshot_by_id(conn, snapshot_id)

    def previous(self, snap: StoredSnapshot) -> StoredSnapshot | None:
        """The snapshot of the same scope taken just before this one."""
        with self.engine.connect() as conn:
            return store.snapshot_before(conn, scope=snap.scope, before_id=snap.id)

    def find(
        self, wanted: SnapshotFilter, allowed: frozenset[str] | None
    ) -> tuple[list[StoredSnapshot], int]:
        """Snapshots matching a filter, newest first, and how many match in all.

        ``allowed``: the scopes the viewer may see (None: all).
        """
        with self.engine.connect() as conn:
            return store.find_snapshots(
                conn, scope=wanted.scope, allowed=allowed, trigger=wanted.trigger,
                since=wanted.since, until=wanted.until, text=wanted.text,
                limit=wanted.limit, offset=wanted.offset,
            )  # fmt: skip

    def prune_expired(self, now: datetime, days: float, manual_days: float = 0) -> int:
        """Delete scheduled snapshots older than ``days``, and those taken by hand or
        through the API older than ``manual_days`` (0: those are kept)."""
        with self.engine.begin() as conn:
            return store.delete_expired(conn, now=now, days=days, manual_days=manual_days)
