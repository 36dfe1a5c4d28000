"""Dead letters: messages not stored as readings, kept (bounded) for whoever fixes the sender."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from ioc.contract import UNSTORABLE
from ioc.store.schema import dead_letters

DEAD_LETTER_PAYLOAD_BYTES = 2048
DEAD_LETTER_TOPIC_CHARS = 512
# Rows kept per reason, newest first: a sender that floods bad messages cannot
# fill the disk. The counters (ingest_counters) still count every one.
MAX_PER_REASON = 5_000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message, as kept for the people who must fix its sender."""

    received_at: datetime
    topic: str
    payload: bytes
    reason: str
    detail: str
    district: str | None = None
    payload_bytes: int | None = None  # the length as received, when payload is its head
    sha256: str | None = None  # the whole payload's digest, when payload is its head


def storable(text: str) -> str:
    """Text any store keeps: a NUL or a lone surrogate written as its escape."""
    return UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def add_dead_letters(
    conn: Connection, letters: Sequence[DeadLetter], *, keep: int = MAX_PER_REASON
) -> list[DeadLetter]:
    """Keep rejected messages, cut to 2 KiB, with why; return those that were new.

    Idempotent like readings: a byte-identical payload on the same topic is the
    same message again (the broker resends what it did not see acknowledged,
    with or without its DUP flag), so it is kept once.
    """
    if not letters:
        return []
    fresh: dict[tuple[str, str], DeadLetter] = {}
    for letter in letters:
        digest = letter.sha256 or _sha256(letter.payload)
        fresh.setdefault((storable(letter.topic)[:DEAD_LETTER_TOPIC_CHARS], digest), letter)
    digests = {digest for _topic, digest in fresh}
    known = conn.execute(
        select(dead_letters.c.topic, dead_letters.c.payload_sha256).where(
            dead_letters.c.payload_sha256.in_(digests)
        )
    ).all()
    for topic, digest in known:
        fresh.pop((topic, digest), None)
    if fresh:
        conn.execute(
            dead_letters.insert(),
            [
                {
                    "received_at": letter.received_at,
                    "topic": topic,
                    "payload": letter.payload[:DEAD_LETTER_PAYLOAD_BYTES],
                    "payload_bytes": letter.payload_bytes or len(letter.payload),
                    "payload_sha256": digest,
                    "reason": letter.reason,
                    "detail": storable(letter.detail)[:300],
                    "district": letter.district,
                }
                for (topic, digest), letter in fresh.items()
            ],
        )
        for reason in {letter.reason for letter in fresh.values()}:
            trim(conn, reason, keep=keep)
    return list(fresh.values())


def trim(conn: Connection, reason: str, *, keep: int) -> int:
    """Delete all but the newest ``keep`` dead letters of one reason; return how many went."""
    oldest_kept = (
        select(dead_letters.c.id)
        .where(dead_letters.c.reason == reason)
        .order_by(dead_letters.c.id.desc())
        .limit(1)
        .offset(keep)
        .scalar_subquery()
    )
    statement = delete(dead_letters).where(
        dead_letters.c.reason == reason, dead_letters.c.id <= oldest_kept
    )
    return conn.execute(statement).rowcount or 0
