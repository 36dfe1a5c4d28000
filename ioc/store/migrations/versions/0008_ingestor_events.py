"""ingestors count their broker reconnects and the sessions the broker lost

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingestors") as batch:
        batch.add_column(sa.Column("reconnects", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("session_losses", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("ingestors") as batch:
        batch.drop_column("session_losses")
        batch.drop_column("reconnects")
