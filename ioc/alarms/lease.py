"""Exactly one evaluator at a time: a PostgreSQL advisory lock, or a lease row on SQLite.

PostgreSQL: the lock belongs to one connection held open by the leader; if that
process dies, its connection closes and the lock is free at once. SQLite: a row
(``alarm_lease``) names the holder until ``expires_at``; the leader renews it each
cycle, and another evaluator takes it over once it has expired (or was released on
a clean stop).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ioc.store import alarms as rows

log = logging.getLogger(__name__)
LEASE_NAME = "evaluator"
ADVISORY_LOCK_ID = 0x10C0_0015  # beside the migration lock's 0x10C0_0001
# Advisory locks are per database, not per schema: the lock is (this id, the schema's
# hash), so deployments (or tests) in separate schemas of one database each have their
# own evaluator rather than one of them evaluating for all.
LOCK_ARGS = "CAST(:id AS integer), hashtext(current_schema())"


class Lease:
    """Held by one evaluator of all those sharing a store."""

    def __init__(self, engine: Engine, holder: str, ttl_s: float = 10.0) -> None:
        self.engine = engine
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_s)
        self._locked: Connection | None = None  # PostgreSQL: the connection holding the lock

    def hold(self, now: datetime) -> bool:
        """Take or keep the lease; False while another evaluator holds it."""
        try:
            if self.engine.dialect.name == "postgresql":
                return self._advisory()
            with self.engine.begin() as conn:
                return rows.take_lease(conn, LEASE_NAME, self.holder, now, now + self.ttl)
        except SQLAlchemyError as err:
            log.warning("alarm lease: the store does not answer: %s", str(err).splitlines()[0])
            self._drop()
            return False

    def _advisory(self) -> bool:
        if self._locked is not None:
            self._locked.execute(text("SELECT 1"))  # still connected: still ours
            self._locked.commit()
            return True
        conn = self.engine.connect()
        got = bool(conn.execute(text(f"SELECT pg_try_advisory_lock({LOCK_ARGS})"),
                                {"id": ADVISORY_LOCK_ID}).scalar())  # fmt: skip
        conn.commit()
        if got:
            self._locked = conn
        else:
            conn.close()
        return got

    def _drop(self) -> None:
        if self._locked is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._locked.invalidate()
            self._locked = None

    def release(self, now: datetime) -> None:
        """Give the lease up (a clean stop), so another evaluator takes over at once."""
        try:
            if self._locked is not None:
                self._locked.execute(text(f"SELECT pg_advisory_unlock({LOCK_ARGS})"),
                                     {"id": ADVISORY_LOCK_ID})  # fmt: skip
                self._locked.commit()
                self._locked.close()
                self._locked = None
            elif self.engine.dialect.name != "postgresql":
                with self.engine.begin() as conn:
                    rows.release_lease(conn, LEASE_NAME, self.holder, now)
        except SQLAlchemyError as err:
            log.warning("alarm lease not released: %s", str(err).splitlines()[0])
            self._drop()
