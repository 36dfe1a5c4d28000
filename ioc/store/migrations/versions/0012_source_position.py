"""each source's newest position (optional lat/lon of contract v1), for the district map

Revision ID: 0012_source_position
Revises: 0011_alarms
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from ioc.store.schema import UTCDateTime

revision = "0012_source_position"
down_revision = "0011_alarms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_positions",
        sa.Column("district", sa.String(64), primary_key=True),
        sa.Column("feed", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_positions")
