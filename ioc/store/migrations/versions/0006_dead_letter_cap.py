"""dead letters capped per reason: an index to find a reason's oldest rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dead_letters_reason_id", "dead_letters", ["reason", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dead_letters_reason_id", table_name="dead_letters")
