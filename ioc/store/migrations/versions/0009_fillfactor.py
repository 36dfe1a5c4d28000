"""room on each page for the rows the ingestor updates in place (PostgreSQL)

Each batch updates thousands of existing rows of ``latest`` (one per source) and
``source_hours`` (one per source and hour). With free room on a row's page,
PostgreSQL writes the new version there (a HOT update, no index entry to add):
measured, 12,100 → 14,100 readings a second written in process (docs/performance.md).
SQLite has no such setting; there this migration does nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("latest", "source_hours")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
