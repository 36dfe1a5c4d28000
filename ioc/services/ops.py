"""Operational state: health of the store and the broker link, ingest counters."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from feeds.contract import REASONS
from ioc.services.live import iso
from ioc.store import queries

# An ingestor writes a heartbeat every 5 s; three missed ones mean it is gone.
HEARTBEAT_STALE = timedelta(seconds=15)


class OpsService:
    """Answers "is the pipeline healthy" from the store, whichever process asks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ingest_stats(self) -> dict:
        """Accepted, duplicate and rejected message counts since the store was created."""
        with self.engine.connect() as conn:
            counts = queries.counters(conn)
        return {
            "received": counts.get("received", 0),
            "accepted": counts.get("accepted", 0),
            "duplicates": counts.get("duplicates", 0),
            "status_updates": counts.get("status_updates", 0),
            "rejected": counts.get("rejected", 0),
            "rejected_by_reason": {r: counts.get(f"rejected:{r}", 0) for r in REASONS},
        }

    def health(self, now: datetime) -> tuple[dict, bool]:
        """Return the health document and whether the database answered."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                beats = queries.ingestor_heartbeats(conn)
        except SQLAlchemyError as err:
            doc = {
                "status": "degraded",
                "database": {"ok": False, "error": str(err.__cause__ or err)[:200]},
                "mqtt": {"connected": False, "ingestors": []},
                "last_message_age_s": None,
            }
            return doc, False
        alive = [b for b in beats if now - b.updated_at <= HEARTBEAT_STALE]
        connected = any(b.connected for b in alive)
        last = max((b.last_message_at for b in alive if b.last_message_at), default=None)
        doc = {
            "status": "ok" if connected else "degraded",
            "database": {"ok": True, "dialect": self.engine.dialect.name},
            "mqtt": {
                "connected": connected,
                "ingestors": [
                    {
                        "id": b.ingestor_id,
                        "broker": b.broker,
                        "connected": b.connected and b in alive,
                        "last_seen": iso(b.updated_at),
                    }
                    for b in beats
                ],
            },
            "last_message_age_s": None if last is None else round((now - last).total_seconds(), 1),
        }
        return doc, True
