"""Tables of the store. Times are UTC; migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: one meaning on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)
def sqlite_datetime_text(value: datetime) -> str:
    """The exact text SQLAlchemy stores for a UTCDateTime on SQLite (naive UTC).

    The ingestor's SQLite fast path binds this text directly; tests check that
    SQLAlchemy reads it back as the same instant. Cached: a batch formats the
    same times twice (readings, then latest) and one received_at for all rows.
    """
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


metadata = MetaData()

# Value columns, one per contract field; a row uses those of its feed.
VALUE_COLUMNS = {
    "vehicles": Integer,
    "interval_s": Integer,
    "speed_kmh": Float,
    "occupancy": Float,
    "up": Boolean,
    "clients": Integer,
    "pending": Integer,
    "overdue": Integer,
    "received_today": Integer,
    "resolved_today": Integer,
    "resolved_on_time_today": Integer,
}


def _value_columns() -> list[Column[Any]]:
    return [Column(name, kind, nullable=True) for name, kind in VALUE_COLUMNS.items()]


readings = Table(
    "readings",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("district", String(64), nullable=False),
    Column("feed", String(16), nullable=False),
    Column("source", String(64), nullable=False),
    Column("ts", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("name", String(120), nullable=True),
    *_value_columns(),
    # The idempotency key: a source measures once per instant. (Not seq: a
    # district device that restarts begins its seq again from zero.)
    UniqueConstraint("district", "feed", "source", "ts", name="uq_readings_source_ts"),
    Index("ix_readings_district_feed_ts", "district", "feed", "ts"),
    Index("ix_readings_ts", "ts"),
)

latest = Table(
    "latest",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("feed", String(16), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("ts", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("name", String(120), nullable=True),
    # wifi: when the current up/down state began (as far as the store knows).
    Column("state_since", UTCDateTime(), nullable=True),
    *_value_columns(),
)

# Per-minute per-district sums, so long ranges never scan raw readings.
# Sums and counts only (never averages), so batches add up exactly.
ROLLUP_SUMS = (
    "n",
    "vehicles",
    "vehicles_per_min",
    "speed_x_vehicles",
    "speed",
    "up_n",
    "clients",
    "pending",
    "overdue",
    "received_today",
    "resolved_today",
    "resolved_on_time_today",
)
rollups = Table(
    "rollups_minute",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("feed", String(16), primary_key=True),
    Column("minute", UTCDateTime(), primary_key=True),
    *[Column(name, Float, nullable=False, server_default="0") for name in ROLLUP_SUMS],
    Index("ix_rollups_minute", "minute"),
)

# Per-hour per-district sums, recomputed from the minute rows of each hour a batch
# touches: a 30-day view of a district reads 720 rows, not 43,200. ``minutes`` is the
# number of minute rows (minutes with data) the hour holds.
rollups_hour = Table(
    "rollups_hour",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("feed", String(16), primary_key=True),
    Column("hour", UTCDateTime(), primary_key=True),
    Column("minutes", Integer, nullable=False, server_default="0"),
    *[Column(name, Float, nullable=False, server_default="0") for name in ROLLUP_SUMS],
    Index("ix_rollups_hour", "hour"),
)

# Per-hour per-source sums, so a district page can show every source over 30
# days without scanning raw readings. The three ``*_max`` columns keep the
# highest of a desk's day counters in the hour (they count up from local
# midnight): intake in a period is a difference of these, never a sum.
SOURCE_HOUR_SUMS = (
    "n",
    "vehicles",
    "vehicles_per_min",
    "speed_x_vehicles",
    "speed",
    "occupancy",
    "up_n",
    "clients",
    "pending",
    "overdue",
)
SOURCE_HOUR_MAXES = ("received_max", "resolved_max", "on_time_max")
source_hours = Table(
    "source_hours",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("feed", String(16), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("hour", UTCDateTime(), primary_key=True),
    *[
        Column(name, Float, nullable=False, server_default="0")
        for name in (*SOURCE_HOUR_SUMS, *SOURCE_HOUR_MAXES)
    ],
    Index("ix_source_hours_district_hour", "district", "feed", "hour"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("topic", String(512), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("payload_bytes", Integer, nullable=False),
    # To recognise a redelivered copy of a message already dead-lettered.
    Column("payload_sha256", String(64), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", String(300), nullable=False),
    Column("district", String(64), nullable=True),
    Index("ix_dead_letters_received_at", "received_at"),
    Index("ix_dead_letters_sha", "payload_sha256"),
    Index("ix_dead_letters_topic", "topic"),  # a source's rejections, on its detail page
    Index("ix_dead_letters_reason_id", "reason", "id"),  # the cap per reason keeps the newest
)

district_status = Table(
    "district_status",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("ts", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("since", UTCDateTime(), nullable=False),
)

ingest_counters = Table(
    "ingest_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

ingestors = Table(
    "ingestors",
    metadata,
    Column("ingestor_id", String(64), primary_key=True),
    Column("broker", String(300), nullable=False),
    Column("connected", Boolean, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_message_at", UTCDateTime(), nullable=True),
    # Since the ingestor (by its client id) first ran: how often it connected again,
    # and how often the broker then had kept no session for it (queued messages lost).
    Column("reconnects", Integer, nullable=False, server_default="0"),
    Column("session_losses", Integer, nullable=False, server_default="0"),
)

# Database metrics (ioc.metrics): each successful evaluation's values, and per
# metric the state of its last attempt. district "" is the city-wide value.
metric_values = Table(
    "metric_values",
    metadata,
    Column("metric_id", String(64), primary_key=True),
    Column("district", String(64), primary_key=True),
    Column("evaluated_at", UTCDateTime(), primary_key=True),
    Column("value", Float, nullable=True),
    Index("ix_metric_values_evaluated_at", "evaluated_at"),
)

metric_state = Table(
    "metric_state",
    metadata,
    Column("metric_id", String(64), primary_key=True),
    Column("last_attempt_at", UTCDateTime(), nullable=False),
    Column("last_success_at", UTCDateTime(), nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Float, nullable=True),
)

# Briefing snapshots: each holds, in ``record`` (canonical JSON), everything its page
# shows, and is never changed once written; ``sha256`` is the digest of ``record``,
# so anyone can check later that it still reads the same. A scheduled snapshot keeps
# the local slot it was taken for: one per slot and scope, however many processes run.
snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("taken_at", UTCDateTime(), nullable=False),
    Column("scope", String(64), nullable=False),  # "city" or a district slug
    Column("trigger", String(16), nullable=False),  # manual, api, schedule
    Column("scheduled_for", UTCDateTime(), nullable=True),
    Column("title", String(200), nullable=False),
    Column("taken_by", String(120), nullable=False),
    Column("status", String(16), nullable=False),  # the worst status it shows
    Column("record", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    UniqueConstraint("scope", "scheduled_for", name="uq_snapshots_slot"),
    Index("ix_snapshots_taken_at", "taken_at"),
)

# Accounts signed in with a password (IOC_AUTH=local). ``password`` is an argon2id
# hash; ``epoch`` grows when the password changes or the account is disabled, and a
# session signed for an older epoch is no longer honoured.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("districts", String(1000), nullable=True),  # comma-separated slugs, NULL: all
    Column("password", String(200), nullable=True),  # NULL: no password set yet
    Column("disabled", Boolean, nullable=False, default=False),
    Column("epoch", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_login_at", UTCDateTime(), nullable=True),
)

# Wall screens' and other systems' tokens: the token itself is shown once, and only
# its SHA-256 is kept (a 256-bit random token needs no slow hash). Never expires by
# time; ``revoked_at`` ends it. A wall's ``last_seen_*`` says which screens are alive.
tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),  # wall, api
    Column("digest", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=True),  # api tokens
    Column("districts", String(1000), nullable=True),
    Column("scenes", String(200), nullable=True),  # wall tokens: the rotation, if limited
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", String(120), nullable=True),
    Column("last_seen_at", UTCDateTime(), nullable=True),
    Column("last_seen_from", String(64), nullable=True),
)

# Who did what: sign-ins and failed ones, snapshots taken, exported and compared,
# accounts and tokens made or revoked. Rows are added, never changed (a trigger
# refuses an UPDATE); rows older than the audit retention are the only ones deleted.
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(120), nullable=False),  # who: an account, token or "-"
    Column("action", String(32), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", String(500), nullable=False, default=""),
    Column("address", String(64), nullable=False, default=""),
    Index("ix_audit_at", "at"),
    Index("ix_audit_action_at", "action", "at"),
)

# Signed-in sessions: the browser's signed cookie holds a random id whose SHA-256 is
# ``id`` here, so signing out, disabling the account or a new password ends a session
# on the server too, whoever kept a copy of the cookie. Rows older than the sessions'
# lifetime are deleted as new sessions start.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("via", String(8), nullable=False),  # local, oidc
    Column("role", String(16), nullable=False),
    Column("districts", String(1000), nullable=True),
    Column("epoch", Integer, nullable=False, default=0),  # a local account's, when it began
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Index("ix_sessions_started_at", "started_at"),
)

# Values this installation keeps for itself: the key that signs session cookies when
# IOC_SECRET_KEY is not set, shared by every web worker that uses the store.
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Alarms (issue 15, docs/alarms.md). One row per alarm; ``open_key`` is its condition's
# key while it is not closed and NULL after, so one condition has at most one open alarm,
# whichever evaluator writes. Transitions are who did what, when and why.
alarms = Table(
    "alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("open_key", String(200), nullable=True, unique=True),
    Column("kind", String(32), nullable=False),
    Column("district", String(64), nullable=True),  # NULL: city-wide
    Column("subject", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("message_vi", String(300), nullable=False),
    Column("message_en", String(300), nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("cleared_at", UTCDateTime(), nullable=True),
    Column("acked_by", String(120), nullable=True),
    Column("acked_at", UTCDateTime(), nullable=True),
    Column("ack_note", String(500), nullable=True),
    Column("shelved_until", UTCDateTime(), nullable=True),
    Column("shelved_by", String(120), nullable=True),
    Column("shelve_reason", String(500), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_alarms_state", "state"),
    Index("ix_alarms_raised_at", "raised_at"),
)
alarm_transitions = Table(
    "alarm_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alarm_id", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Index("ix_alarm_transitions_alarm", "alarm_id", "id"),
    Index("ix_alarm_transitions_at", "at"),
)
# Each attempt to deliver a transition (webhook, e-mail), newest kept (bounded).
alarm_deliveries = Table(
    "alarm_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transition_id", Integer, nullable=False),
    Column("channel", String(8), nullable=False),  # webhook, email
    Column("target", String(300), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(8), nullable=False),  # sent, retry, failed, dropped
    Column("detail", String(300), nullable=False, default=""),
    Index("ix_alarm_deliveries_at", "at"),
)
# The single evaluator's lease (SQLite; PostgreSQL uses an advisory lock) and, per
# lease, the newest transition handed to the notifiers (the outbox's cursor).
alarm_lease = Table(
    "alarm_lease",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("cursor", Integer, nullable=False, default=0),
)

# Each source's newest position, when it sends the contract's optional lat/lon (WGS 84):
# apart from ``latest``, so a reading without one keeps it (ioc/store/positions.py).
source_positions = Table(
    "source_positions",
    metadata,
    Column("district", String(64), primary_key=True),
    Column("feed", String(16), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("ts", UTCDateTime(), nullable=False),  # the reading that carried it
)
