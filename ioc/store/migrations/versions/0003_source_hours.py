"""per-source hourly rollups (filled from the raw readings still kept); dead letters by topic

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from ioc.store.schema import SOURCE_HOUR_MAXES, SOURCE_HOUR_SUMS, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# What each column sums (or keeps the highest of) from a raw reading.
_SUMS = {
    "n": "1",
    "vehicles": "coalesce(vehicles, 0)",
    "vehicles_per_min": "coalesce(vehicles * 60.0 / interval_s, 0)",
    "speed_x_vehicles": "coalesce(speed_kmh * vehicles, 0)",
    "speed": "coalesce(speed_kmh, 0)",
    "occupancy": "coalesce(occupancy, 0)",
    "up_n": "CASE WHEN up THEN 1 ELSE 0 END",
    "clients": "coalesce(clients, 0)",
    "pending": "coalesce(pending, 0)",
    "overdue": "coalesce(overdue, 0)",
}
_MAXES = {
    "received_max": "received_today",
    "resolved_max": "resolved_today",
    "on_time_max": "resolved_on_time_today",
}


def upgrade() -> None:
    op.create_table(
        "source_hours",
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        *[
            sa.Column(name, sa.Float(), server_default="0", nullable=False)
            for name in (*SOURCE_HOUR_SUMS, *SOURCE_HOUR_MAXES)
        ],
        sa.PrimaryKeyConstraint("district", "feed", "source", "hour"),
    )
    op.create_index(
        "ix_source_hours_district_hour", "source_hours", ["district", "feed", "hour"], unique=False
    )
    op.create_index("ix_dead_letters_topic", "dead_letters", ["topic"], unique=False)
    # A store that already holds readings gets its recent history at once.
    if op.get_bind().dialect.name == "postgresql":
        hour = "date_trunc('hour', ts)"
    else:  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"; the hour is its first 13 characters
        hour = "substr(ts, 1, 13) || ':00:00.000000'"
    columns = [*_SUMS, *_MAXES]
    chosen = [f"sum({expr})" for expr in _SUMS.values()]
    chosen += [f"coalesce(max({expr}), 0)" for expr in _MAXES.values()]
    op.execute(
        f"INSERT INTO source_hours (district, feed, source, hour, {', '.join(columns)}) "
        f"SELECT district, feed, source, {hour}, {', '.join(chosen)} "
        f"FROM readings GROUP BY district, feed, source, {hour}"
    )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_topic", table_name="dead_letters")
    op.drop_index("ix_source_hours_district_hour", table_name="source_hours")
    op.drop_table("source_hours")
