"""Briefing snapshots: the city's (or one district's) state frozen into one stored record.

A snapshot is taken from the same wall snapshot the video wall shows (and, for a
district, the same report its page shows for the last 24 hours), turned into
plain JSON (times as RFC 3339 UTC text) and stored once. Everything shown later,
on the page, in the HTML file or the PDF, is rendered from that record alone:
no query of live data, so changed or pruned readings never change a briefing.

The record is stored as canonical JSON with its SHA-256, so that a printed
snapshot can be checked against the store years later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ioc.areas import AreaCatalogue
from ioc.clock import utc_text
from ioc.config import Settings
from ioc.district_view import parse_view
from ioc.model.wall import CITY, SHARE_KPIS, AreaState, WallSnapshot
from ioc.services.district import DistrictService
from ioc.services.kpis import KPI_FEEDS, KpiCatalogue
from ioc.services.wall import WallService
from ioc.status import SEVERITY, worst
from ioc.store.schema import snapshots

RECORD_VERSION = 1
CITY_SCOPE = "city"
TRIGGERS = ("manual", "api", "schedule")
TITLE_CHARS = 200
NOTE_CHARS = 2000
TAKEN_BY_CHARS = 120
# The district page tables a district snapshot keeps (its 24-hour view).
DISTRICT_TABLES = (
    "traffic_series", "traffic_worst", "wifi_down", "wifi_series",
    "services_desks", "services_series", "services_metrics",
)  # fmt: skip


class SnapshotError(ValueError):
    """A snapshot cannot be taken as asked (unknown district, text too long)."""


# --- plain JSON --------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Turn dataclasses, tuples, times and non-finite floats into plain JSON values."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical(record: dict) -> str:
    """The one text a record is stored as: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """SHA-256 of a stored record text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- building the record ---------------------------------------------------------------


def _area(area: AreaState) -> dict:
    return {
        "slug": area.slug,
        "name_vi": area.name_vi,
        "name_en": area.name_en,
        "online": area.online,
        "online_since": utc_text(area.online_since),
        "status": area.status,
        "kpis": {key: plain(kpi) for key, kpi in area.kpis.items()},
        "figures": plain(area.figures),
    }


def record_of(
    snap: WallSnapshot,
    kpis: KpiCatalogue,
    *,
    scope: str,
    taken_by: str,
    trigger: str,
    title: str,
    note: str,
    header: dict,
    scheduled_for: datetime | None = None,
    district: dict | None = None,
) -> dict:
    """The record of a wall snapshot: everything a briefing shows, as plain JSON."""
    areas = snap.districts if scope == CITY_SCOPE else [snap.district(scope)]
    slugs = {a.slug for a in areas}
    record = {
        "version": RECORD_VERSION,
        "taken_at": utc_text(snap.now),
        "taken_by": taken_by,
        "trigger": trigger,
        "scheduled_for": utc_text(scheduled_for),
        "scope": scope,
        "title": title,
        "note": note,
        "header": header,
        "thresholds": {
            key: plain(kpis.thresholds.get(key)) for key in KPI_FEEDS if key in kpis.thresholds
        },
        "share_kpis": sorted(SHARE_KPIS),
        "city": _area(snap.city),
        "districts": [_area(a) for a in areas],
        "alarms": [plain(a) for a in snap.alarms if a.district in slugs],
        "series": {
            "traffic_today": plain(snap.traffic_today),
            "traffic_usual": plain(snap.traffic_usual),
            "wifi_down_hours": plain(snap.wifi_down_hours),
        },
        "congested": [plain(c) for c in snap.congested if c["district"] in slugs],
        "aps_down": [plain(a) for a in snap.aps_down if a["district"] in slugs],
        "metrics": [{**m.as_json(), "digits": m.metric.digits} for m in snap.metrics],
        "district": district,
    }
    statuses = [a.status for a in areas] + [m.status for m in snap.metrics]
    statuses += ["alarm" for a in areas if a.online is False]
    record["status"] = worst(s for s in statuses if s != "no_data") if statuses else "no_data"
    return record


def district_section(service: DistrictService, slug: str, now: datetime) -> dict:
    """A district's 24-hour page, as a district snapshot keeps it: KPIs vs city and tables."""
    kept: dict[str, dict] = {}
    header = None
    for tab in ("traffic", "wifi", "services"):
        view = parse_view(slug, {"tab": tab, "range": "24h"}, now=now)
        report = service.report(view, now)
        header = header or report
        for key, table in report.tables.items():
            if key in DISTRICT_TABLES:
                kept[key] = {
                    "columns": [plain(c) for c in table.columns],
                    "rows": [plain(row) for row in table.rows],
                }
    return {
        "range": {"since": utc_text(view.since), "until": utc_text(view.until)},
        "kpis": [
            {**plain(k), "judged": k.judged} for k in (header.kpis if header is not None else ())
        ],
        "tables": kept,
    }


# --- comparing two records ---------------------------------------------------------------


def judged(kpi: dict | None) -> float | None:
    """The figure a KPI's thresholds judge: its share where it has one, else its value."""
    if not kpi:
        return None
    if kpi.get("share") is not None:
        return kpi["share"]
    return kpi.get("value")


def _move(before: float | None, after: float | None, direction: str | None) -> str:
    """better, worse, same, or unknown (a side has no value or the KPI has no direction)."""
    if before is None or after is None:
        return "unknown"
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-9):
        return "same"
    if direction is None:
        return "changed"
    up = after > before
    return "better" if up == (direction == "higher") else "worse"


def compare(newer: dict, older: dict) -> dict:
    """What changed from ``older`` to ``newer``: per area and KPI, per metric, alarms.

    Each KPI row has both values, the delta of the value and of the judged figure,
    whether that is better or worse (by the thresholds' direction in the newer
    record) and both statuses. An area is better or worse by its worst status
    first, then by how many of its KPIs moved each way.
    """
    directions = {k: (t or {}).get("direction") for k, t in newer.get("thresholds", {}).items()}
    old_areas = {a["slug"]: a for a in [older["city"], *older["districts"]]}
    areas = []
    for area in [newer["city"], *newer["districts"]]:
        before = old_areas.get(area["slug"])
        if before is None:
            continue
        rows = []
        for key in sorted(set(area["kpis"]) | set(before["kpis"]), key=list(KPI_FEEDS).index):
            a, b = area["kpis"].get(key), before["kpis"].get(key)
            value_a = a.get("value") if a else None
            value_b = b.get("value") if b else None
            rows.append(
                {
                    "key": key,
                    "before": value_b,
                    "after": value_a,
                    "delta": None if value_a is None or value_b is None else value_a - value_b,
                    "judged_before": judged(b),
                    "judged_after": judged(a),
                    "move": _move(judged(b), judged(a), directions.get(key)),
                    "status_before": b.get("status") if b else "no_data",
                    "status_after": a.get("status") if a else "no_data",
                }
            )
        better = sum(r["move"] == "better" for r in rows)
        worse = sum(r["move"] == "worse" for r in rows)
        rank_a, rank_b = SEVERITY[area["status"]], SEVERITY[before["status"]]
        if area["online"] is False:
            rank_a = SEVERITY["alarm"] + 1
        if before["online"] is False:
            rank_b = SEVERITY["alarm"] + 1
        if rank_a != rank_b:
            verdict = "better" if rank_a < rank_b else "worse"
        elif better != worse:
            verdict = "better" if better > worse else "worse"
        else:
            verdict = "same"
        areas.append(
            {
                "slug": area["slug"],
                "name_vi": area["name_vi"],
                "name_en": area["name_en"],
                "status_before": before["status"],
                "status_after": area["status"],
                "online_before": before["online"],
                "online_after": area["online"],
                "verdict": verdict,
                "better": better,
                "worse": worse,
                "kpis": rows,
                "status_changes": [r for r in rows if r["status_before"] != r["status_after"]],
            }
        )
    old_metrics = {m["id"]: m for m in older.get("metrics", [])}
    metrics = []
    for metric in newer.get("metrics", []):
        before = old_metrics.get(metric["id"])
        if before is None:
            continue
        a, b = metric.get("value"), before.get("value")
        metrics.append(
            {
                "id": metric["id"],
                "title": metric["title"],
                "unit": metric.get("unit"),
                "before": b,
                "after": a,
                "delta": None if a is None or b is None else a - b,
                "move": _move(b, a, (metric.get("thresholds") or {}).get("direction")),
                "status_before": before.get("status"),
                "status_after": metric.get("status"),
            }
        )

    def alarm_key(alarm: dict) -> tuple:
        return (alarm["district"], alarm["kind"], alarm["key"])

    old_alarms = {alarm_key(a) for a in older.get("alarms", [])}
    new_alarms = {alarm_key(a) for a in newer.get("alarms", [])}
    return {
        "newer": {"taken_at": newer["taken_at"], "title": newer.get("title", "")},
        "older": {"taken_at": older["taken_at"], "title": older.get("title", "")},
        "areas": areas,
        "better": [a["slug"] for a in areas if a["verdict"] == "better" and a["slug"] != CITY],
        "worse": [a["slug"] for a in areas if a["verdict"] == "worse" and a["slug"] != CITY],
        "metrics": metrics,
        "alarms_new": [a for a in newer.get("alarms", []) if alarm_key(a) not in old_alarms],
        "alarms_cleared": [a for a in older.get("alarms", []) if alarm_key(a) not in new_alarms],
    }


# --- the store ---------------------------------------------------------------------------


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
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.areas = areas
        self.kpis = kpis
        self.wall = wall
        self.district = district

    def header(self) -> dict:
        """The official header of a snapshot taken now (kept in the record)."""
        s = self.settings
        return {
            "issuer": {"vi": s.briefing_issuer, "en": s.briefing_issuer_en},
            "centre": {"vi": s.briefing_centre, "en": s.briefing_centre_en},
            "place": {"vi": s.briefing_place, "en": s.briefing_place_en},
        }

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
        now = now or datetime.now(UTC)
        snap = self.wall.build(now)
        section = None if scope == CITY_SCOPE else district_section(self.district, scope, now)
        record = record_of(
            snap, self.kpis, scope=scope, taken_by=taken_by.strip(), trigger=trigger,
            title=title.strip(), note=note.strip(), header=self.header(),
            scheduled_for=scheduled_for, district=section,
        )  # fmt: skip
        text = canonical(record)
        row = {
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
                new_id = conn.execute(insert(snapshots).returning(snapshots.c.id), row).scalar_one()
        except IntegrityError:
            if scheduled_for is None:
                raise
            return None  # another process took this slot
        return self.get(new_id)

    def get(self, snapshot_id: int) -> StoredSnapshot | None:
        """One snapshot, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(snapshots).where(snapshots.c.id == snapshot_id)).first()
        return None if row is None else _stored(row)

    def previous(self, snap: StoredSnapshot) -> StoredSnapshot | None:
        """The snapshot of the same scope taken just before this one."""
        query = (
            select(snapshots)
            .where(snapshots.c.scope == snap.scope, snapshots.c.id < snap.id)
            .order_by(snapshots.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored(row)

    def find(self, wanted: SnapshotFilter, allowed: frozenset[str] | None) -> tuple[list, int]:
        """Snapshots matching a filter, newest first, and how many match in all.

        ``allowed``: the scopes the viewer may see (None: all).
        """
        columns = [c for c in snapshots.c if c.name != "record"]
        query = select(*columns)
        conditions = []
        if wanted.scope:
            conditions.append(snapshots.c.scope == wanted.scope)
        if allowed is not None:
            conditions.append(snapshots.c.scope.in_(sorted(allowed)))
        if wanted.trigger:
            conditions.append(snapshots.c.trigger == wanted.trigger)
        if wanted.since:
            conditions.append(snapshots.c.taken_at >= wanted.since)
        if wanted.until:
            conditions.append(snapshots.c.taken_at < wanted.until)
        if wanted.text:
            words = wanted.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(snapshots.c.title.ilike(f"%{words}%", escape="\\"))
        query = query.where(*conditions)
        count = select(func.count()).select_from(snapshots).where(*conditions)
        page = query.order_by(snapshots.c.id.desc()).limit(wanted.limit).offset(wanted.offset)
        with self.engine.connect() as conn:
            total = conn.execute(count).scalar_one()
            rows = conn.execute(page).all()
        return [_stored(row, text="") for row in rows], total

    def prune_expired(self, now: datetime, days: float, manual_days: float = 0) -> int:
        """Delete scheduled snapshots older than ``days``, and those taken by hand or
        through the API older than ``manual_days`` (0: those are kept)."""
        scheduled = snapshots.c.trigger == "schedule"
        expired = scheduled & (snapshots.c.taken_at < now - timedelta(days=days))
        if manual_days:
            expired |= ~scheduled & (snapshots.c.taken_at < now - timedelta(days=manual_days))
        with self.engine.begin() as conn:
            result = conn.execute(delete(snapshots).where(expired))
        return result.rowcount or 0


def _stored(row, text: str | None = None) -> StoredSnapshot:
    return StoredSnapshot(
        id=row.id,
        taken_at=row.taken_at,
        scope=row.scope,
        trigger=row.trigger,
        scheduled_for=row.scheduled_for,
        title=row.title,
        taken_by=row.taken_by,
        status=row.status,
        text=row.record if text is None else text,
        sha256=row.sha256,
    )
