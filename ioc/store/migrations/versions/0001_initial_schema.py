"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from ioc.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("topic", sa.String(length=512), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dead_letters_received_at", "dead_letters", ["received_at"], unique=False)
    op.create_index("ix_dead_letters_sha", "dead_letters", ["payload_sha256"], unique=False)

    op.create_table(
        "district_status",
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("district"),
    )
    op.create_table(
        "ingest_counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "ingestors",
        sa.Column("ingestor_id", sa.String(length=64), nullable=False),
        sa.Column("broker", sa.String(length=300), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_message_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("ingestor_id"),
    )
    op.create_table(
        "latest",
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("state_since", UTCDateTime(), nullable=True),
        sa.Column("vehicles", sa.Integer(), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("occupancy", sa.Float(), nullable=True),
        sa.Column("up", sa.Boolean(), nullable=True),
        sa.Column("clients", sa.Integer(), nullable=True),
        sa.Column("pending", sa.Integer(), nullable=True),
        sa.Column("overdue", sa.Integer(), nullable=True),
        sa.Column("received_today", sa.Integer(), nullable=True),
        sa.Column("resolved_today", sa.Integer(), nullable=True),
        sa.Column("resolved_on_time_today", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("district", "feed", "source"),
    )
    op.create_table(
        "readings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("vehicles", sa.Integer(), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("occupancy", sa.Float(), nullable=True),
        sa.Column("up", sa.Boolean(), nullable=True),
        sa.Column("clients", sa.Integer(), nullable=True),
        sa.Column("pending", sa.Integer(), nullable=True),
        sa.Column("overdue", sa.Integer(), nullable=True),
        sa.Column("received_today", sa.Integer(), nullable=True),
        sa.Column("resolved_today", sa.Integer(), nullable=True),
        sa.Column("resolved_on_time_today", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district", "feed", "source", "ts", name="uq_readings_source_ts"),
    )
    op.create_index(
        "ix_readings_district_feed_ts", "readings", ["district", "feed", "ts"], unique=False
    )
    op.create_index("ix_readings_ts", "readings", ["ts"], unique=False)

    op.create_table(
        "rollups_minute",
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("minute", UTCDateTime(), nullable=False),
        sa.Column("n", sa.Float(), server_default="0", nullable=False),
        sa.Column("vehicles", sa.Float(), server_default="0", nullable=False),
        sa.Column("vehicles_per_min", sa.Float(), server_default="0", nullable=False),
        sa.Column("speed_x_vehicles", sa.Float(), server_default="0", nullable=False),
        sa.Column("speed", sa.Float(), server_default="0", nullable=False),
        sa.Column("up_n", sa.Float(), server_default="0", nullable=False),
        sa.Column("clients", sa.Float(), server_default="0", nullable=False),
        sa.Column("pending", sa.Float(), server_default="0", nullable=False),
        sa.Column("overdue", sa.Float(), server_default="0", nullable=False),
        sa.Column("received_today", sa.Float(), server_default="0", nullable=False),
        sa.Column("resolved_today", sa.Float(), server_default="0", nullable=False),
        sa.Column("resolved_on_time_today", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("district", "feed", "minute"),
    )
    op.create_index("ix_rollups_minute", "rollups_minute", ["minute"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rollups_minute", table_name="rollups_minute")

    op.drop_table("rollups_minute")
    op.drop_index("ix_readings_ts", table_name="readings")
    op.drop_index("ix_readings_district_feed_ts", table_name="readings")

    op.drop_table("readings")
    op.drop_table("latest")
    op.drop_table("ingestors")
    op.drop_table("ingest_counters")
    op.drop_table("district_status")
    op.drop_index("ix_dead_letters_sha", table_name="dead_letters")
    op.drop_index("ix_dead_letters_received_at", table_name="dead_letters")

    op.drop_table("dead_letters")
