"""per-district hourly rollups, filled from the per-minute ones

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from ioc.store.schema import ROLLUP_SUMS, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollups_hour",
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), server_default="0", nullable=False),
        *[sa.Column(name, sa.Float(), server_default="0", nullable=False) for name in ROLLUP_SUMS],
        sa.PrimaryKeyConstraint("district", "feed", "hour"),
    )
    op.create_index("ix_rollups_hour", "rollups_hour", ["hour"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        hour = "date_trunc('hour', minute)"
    else:  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"; the hour is its first 13 characters
        hour = "substr(minute, 1, 13) || ':00:00.000000'"
    op.execute(
        f"INSERT INTO rollups_hour (district, feed, hour, minutes, {', '.join(ROLLUP_SUMS)}) "
        f"SELECT district, feed, {hour}, count(*), "
        f"{', '.join(f'sum({name})' for name in ROLLUP_SUMS)} "
        f"FROM rollups_minute GROUP BY district, feed, {hour}"
    )


def downgrade() -> None:
    op.drop_index("ix_rollups_hour", table_name="rollups_hour")
    op.drop_table("rollups_hour")
