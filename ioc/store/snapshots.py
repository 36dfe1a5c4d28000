"""Briefing snapshots in the store: written once, read by id, by scope or by filter, pruned."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import Connection, delete, func, insert, select

from ioc.model.snapshot import StoredSnapshot
from ioc.store.queries import StoreRow
from ioc.store.schema import snapshots


class NewSnapshot(TypedDict):
    """The columns of a snapshot row to store (its id is the store's)."""

    taken_at: datetime
    scope: str
    trigger: str
    scheduled_for: datetime | None
    title: str
    taken_by: str
    status: str
    record: str  # the canonical JSON text
    sha256: str


def insert_snapshot(conn: Connection, row: NewSnapshot) -> int:
    """Store one snapshot row and return its id (IntegrityError when its slot is taken)."""
    new_id: int = conn.execute(insert(snapshots).returning(snapshots.c.id), row).scalar_one()
    return new_id


def snapshot_by_id(conn: Connection, snapshot_id: int) -> StoredSnapshot | None:
    """One snapshot, or None."""
    row = conn.execute(select(snapshots).where(snapshots.c.id == snapshot_id)).first()
    return None if row is None else stored(row)


def snapshot_before(conn: Connection, *, scope: str, before_id: int) -> StoredSnapshot | None:
    """The snapshot of a scope stored just before the one with ``before_id``."""
    query = (
        select(snapshots)
        .where(snapshots.c.scope == scope, snapshots.c.id < before_id)
        .order_by(snapshots.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else stored(row)


def find_snapshots(
    conn: Connection,
    *,
    scope: str | None = None,
    allowed: Collection[str] | None = None,
    trigger: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[StoredSnapshot], int]:
    """Snapshots (without their records) newest first, one page, and how many match in all.

    ``allowed``: the scopes the viewer may see (None: all); ``text``: words of the title.
    """
    conditions = []
    if scope:
        conditions.append(snapshots.c.scope == scope)
    if allowed is not None:
        conditions.append(snapshots.c.scope.in_(sorted(allowed)))
    if trigger:
        conditions.append(snapshots.c.trigger == trigger)
    if since:
        conditions.append(snapshots.c.taken_at >= since)
    if until:
        conditions.append(snapshots.c.taken_at < until)
    if text:
        words = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(snapshots.c.title.ilike(f"%{words}%", escape="\\"))
    columns = [c for c in snapshots.c if c.name != "record"]
    query = select(*columns).where(*conditions)
    count = select(func.count()).select_from(snapshots).where(*conditions)
    page = query.order_by(snapshots.c.id.desc()).limit(limit).offset(offset)
    total = conn.execute(count).scalar_one()
    rows = conn.execute(page).all()
    return [stored(row, text="") for row in rows], total


def delete_expired(conn: Connection, *, now: datetime, days: float, manual_days: float = 0) -> int:
    """Delete scheduled snapshots older than ``days``, and those taken by hand or through
    the API older than ``manual_days`` (0: those are kept); return how many went."""
    scheduled = snapshots.c.trigger == "schedule"
    expired = scheduled & (snapshots.c.taken_at < now - timedelta(days=days))
    if manual_days:
        expired |= ~scheduled & (snapshots.c.taken_at < now - timedelta(days=manual_days))
    result = conn.execute(delete(snapshots).where(expired))
    return result.rowcount or 0


def stored(row: StoreRow, text: str | None = None) -> StoredSnapshot:
    """A snapshots row as a StoredSnapshot (``text``: in place of a record not selected)."""
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
