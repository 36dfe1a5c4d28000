"""Accounts, tokens, the audit trail and the signing key in the store: rows in, rows out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ioc.store.schema import accounts, app_secrets, audit, sessions, tokens

AUDIT_PAGE_MAX = 1000  # the most audit rows one read returns


def _row(found: Any) -> dict[str, Any] | None:
    return None if found is None else dict(found._mapping)


# --- accounts ------------------------------------------------------------------------


def _insert_new(conn: Connection, table: Table, row: Mapping[str, Any]) -> bool:
    """Add a row; False when a unique column (its name) is taken."""
    try:
        with conn.begin_nested():
            conn.execute(insert(table), dict(row))
    except IntegrityError:
        return False
    return True


def insert_account(conn: Connection, row: Mapping[str, Any]) -> bool:
    """Add an account; False when the name is taken."""
    return _insert_new(conn, accounts, row)


def account(conn: Connection, name: str) -> dict[str, Any] | None:
    """One account's row by name, or None."""
    return _row(conn.execute(select(accounts).where(accounts.c.name == name)).first())


def all_accounts(conn: Connection) -> list[dict[str, Any]]:
    """Every account, by name."""
    return [dict(r._mapping) for r in conn.execute(select(accounts).order_by(accounts.c.name))]


def change_account(conn: Connection, name: str, *, new_epoch: bool, **values: Any) -> bool:
    """Set some columns of an account (``new_epoch``: end its sessions); False if none."""
    if new_epoch:
        values["epoch"] = accounts.c.epoch + 1
    done = conn.execute(update(accounts).where(accounts.c.name == name).values(**values))
    return done.rowcount > 0


# --- sessions ------------------------------------------------------------------------


def insert_session(conn: Connection, row: Mapping[str, Any]) -> None:
    """Record a session that begins."""
    conn.execute(insert(sessions), dict(row))


def session_row(conn: Connection, session_id: str) -> dict[str, Any] | None:
    """A session by the SHA-256 of its id, ended or not, or None."""
    return _row(conn.execute(select(sessions).where(sessions.c.id == session_id)).first())


def end_session(conn: Connection, session_id: str, at: datetime) -> None:
    """Mark a session ended (signed out)."""
    conn.execute(
        update(sessions).where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
        .values(ended_at=at)
    )  # fmt: skip


def prune_sessions(conn: Connection, before: datetime) -> int:
    """Delete sessions that began before a time (past any lifetime); how many went."""
    return conn.execute(delete(sessions).where(sessions.c.started_at < before)).rowcount


# --- tokens --------------------------------------------------------------------------


def insert_token(conn: Connection, row: Mapping[str, Any]) -> bool:
    """Add a token; False when its name is taken."""
    return _insert_new(conn, tokens, row)


def token_by_digest(conn: Connection, digest: str) -> dict[str, Any] | None:
    """The token whose SHA-256 is ``digest``, revoked or not, or None."""
    return _row(conn.execute(select(tokens).where(tokens.c.digest == digest)).first())


def all_tokens(conn: Connection, kind: str | None = None) -> list[dict[str, Any]]:
    """Every token (of a kind), newest first; digests included, never the tokens."""
    query = select(tokens).order_by(tokens.c.id.desc())
    if kind is not None:
        query = query.where(tokens.c.kind == kind)
    return [dict(r._mapping) for r in conn.execute(query)]


def revoke_token(conn: Connection, name: str, *, at: datetime, by: str) -> bool:
    """Revoke a token by name; False when there is none, or it is revoked already."""
    done = conn.execute(
        update(tokens)
        .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=by)
    )
    return done.rowcount > 0


def token_seen(conn: Connection, token_id: int, *, at: datetime, address: str) -> None:
    """Note when and from where a token was last used."""
    conn.execute(
        update(tokens)
        .where(tokens.c.id == token_id)
        .values(last_seen_at=at, last_seen_from=address[:64])
    )


# --- the audit trail -----------------------------------------------------------------


def add_audit(conn: Connection, row: Mapping[str, Any]) -> None:
    """Append one audit row (columns cut to their sizes)."""
    sizes = {"actor": 120, "action": 32, "target": 200, "detail": 500, "address": 64}
    conn.execute(
        insert(audit), {k: (v[: sizes[k]] if k in sizes else v) for k, v in dict(row).items()}
    )


def audit_rows(
    conn: Connection, *, limit: int = 200, action: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """The newest audit rows first, at most ``limit`` (capped), of one action or actor."""
    query = select(audit).order_by(audit.c.id.desc()).limit(max(1, min(limit, AUDIT_PAGE_MAX)))
    if action is not None:
        query = query.where(audit.c.action == action)
    if actor is not None:
        query = query.where(audit.c.actor == actor)
    return [dict(r._mapping) for r in conn.execute(query)]


def count_audit(
    conn: Connection,
    action: str,
    since: datetime,
    *,
    target: str | None = None,
    address: str | None = None,
) -> int:
    """How many rows of ``action`` since a time, for one target or one address."""
    query = select(func.count()).where(audit.c.action == action, audit.c.at >= since)
    if target is not None:
        query = query.where(audit.c.target == target)
    if address is not None:
        query = query.where(audit.c.address == address)
    found: int = conn.execute(query).scalar_one()
    return found


def prune_audit(conn: Connection, before: datetime) -> int:
    """Delete audit rows older than the retention; how many went."""
    return conn.execute(delete(audit).where(audit.c.at < before)).rowcount


# --- the signing key -----------------------------------------------------------------


def kept_secret(conn: Connection, name: str, new_value: str) -> str:
    """The value kept under ``name``: the first one stored wins, whichever worker stored it."""
    try:
        with conn.begin_nested():
            conn.execute(insert(app_secrets), {"name": name, "value": new_value})
    except IntegrityError:
        pass
    value: str = conn.execute(
        select(app_secrets.c.value).where(app_secrets.c.name == name)
    ).scalar_one()
    return value
