"""Operational state: health of the store and the broker link, ingest counters."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc.clock import iso
from ioc.contract import DEAD_LETTER_REASONS
from ioc.store import queries

# An ingestor writes a heartbeat every 5 s; three missed ones mean it is gone.
HEARTBEAT_STALE = timedelta(seconds=15)
# The store "keeps refusing" while it refused a message this recently.
REFUSALS_WINDOW = timedelta(minutes=10)
# Below this much free space under a SQLite store (or a tenth of a small
# disk), writes are about to fail.
LOW_DISK_BYTES = 32 * 1024 * 1024


def low_disk(engine: Engine) -> int | None:
    """Free bytes under a SQLite file store when they are about to run out, else None."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    try:
        stats = os.statvfs(Path(database).resolve().parent)
    except OSError:
        return None
    free = stats.f_bavail * stats.f_frsize
    return free if free < min(LOW_DISK_BYTES, stats.f_blocks * stats.f_frsize // 10) else None


class IngestStats(TypedDict):
    """Message counts since the store was created."""

    received: int
    accepted: int
    duplicates: int
    status_updates: int
    rejected: int
    rejected_by_reason: dict[str, int]


class OpsService:
    """Answers "is the pipeline healthy" from the store, whichever process asks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ingest_stats(self) -> IngestStats:
        """Accepted, duplicate and rejected message counts since the store was created."""
        with self.engine.connect() as conn:
            counts = queries.counters(conn)
        return {
            "received": counts.get("received", 0),
            "accepted": counts.get("accepted", 0),
            "duplicates": counts.get("duplicates", 0),
            "status_updates": counts.get("status_updates", 0),
            "rejected": counts.get("rejected", 0),
            "rejected_by_reason": {r: counts.get(f"rejected:{r}", 0) for r in DEAD_LETTER_REASONS},
        }

    def health(self, now: datetime) -> tuple[dict[str, Any], bool]:
        """Return the health document and whether the database answered."""
        try:
            with self.engine.connect() as conn:
                queries.ping(conn)
                beats = queries.ingestor_heartbeats(conn)
                refused, newest_refusal = queries.store_refusals(conn, since=now - REFUSALS_WINDOW)
        except SQLAlchemyError as err:
            reason = str(err.__cause__ or err).splitlines()[0][:200]
            doc: dict[str, Any] = {
                "status": "degraded",
                "problems": [f"the database does not answer: {reason}"],
                "database": {"ok": False, "error": reason},
                "mqtt": {
                    "connected": False,
                    "reconnects": None,
                    "session_losses": None,
                    "ingestors": [],
                },  # fmt: skip
                "last_message_age_s": None,
            }
            return doc, False
        alive = [b for b in beats if now - b.updated_at <= HEARTBEAT_STALE]
        connected = any(b.connected for b in alive)
        last = max((b.last_message_at for b in alive if b.last_message_at), default=None)
        problems = []
        if not beats:
            problems.append("no ingestor has written a heartbeat to this store yet")
        elif not alive:
            newest = max(b.updated_at for b in beats)
            problems.append(
                f"no ingestor heartbeat for {(now - newest).total_seconds():.0f} s: "
                "the ingestor is stopped, or it cannot write to the store"
            )
        elif not connected:
            problems.append("the ingestor has no connection to the MQTT broker")
        if refused and newest_refusal is not None:
            problems.append(
                f"the store refused {refused} message(s) in the last "
                f"{REFUSALS_WINDOW.total_seconds() / 60:.0f} min (dead-lettered as "
                f"store_refused): {newest_refusal.detail}"
            )
        free = low_disk(self.engine)
        if free is not None:
            problems.append(
                f"the disk of the SQLite store has {free / 1024 / 1024:.1f} MiB free: "
                "writes will fail or are failing"
            )
        doc = {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "database": {"ok": True, "dialect": self.engine.dialect.name},
            "store": {
                "refusing": bool(refused),
                "refused_recently": refused,
                "last_refusal": None
                if newest_refusal is None
                else {"at": iso(newest_refusal.received_at), "detail": newest_refusal.detail},
            },
            "mqtt": {
                "connected": connected,
                # Every ingestor's counts since its client id first ran.
                "reconnects": sum(b.reconnects for b in beats),
                "session_losses": sum(b.session_losses for b in beats),
                "ingestors": [
                    {
                        "id": b.ingestor_id,
                        "broker": b.broker,
                        "connected": b.connected and b in alive,
                        "last_seen": iso(b.updated_at),
                        "reconnects": b.reconnects,
                        "session_losses": b.session_losses,
                    }
                    for b in beats
                ],
            },
            "last_message_age_s": None if last is None else round((now - last).total_seconds(), 1),
        }
        return doc, True
