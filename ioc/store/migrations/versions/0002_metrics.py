"""database metrics: values and evaluation state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from ioc.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_values",
        sa.Column("metric_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("evaluated_at", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("metric_id", "district", "evaluated_at"),
    )
    op.create_index(
        "ix_metric_values_evaluated_at", "metric_values", ["evaluated_at"], unique=False
    )
    op.create_table(
        "metric_state",
        sa.Column("metric_id", sa.String(length=64), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("metric_id"),
    )


def downgrade() -> None:
    op.drop_table("metric_state")
    op.drop_index("ix_metric_values_evaluated_at", table_name="metric_values")
    op.drop_table("metric_values")
