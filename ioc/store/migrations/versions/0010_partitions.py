"""raw readings partitioned by UTC day (PostgreSQL): retention drops a day, not DELETE

The table is rebuilt as a partitioned one with the same name, columns, indexes and
id sequence; its rows move over; the partitions from the oldest row's day (at most
35 days back) to ``AHEAD_DAYS`` ahead are made here, and the ingestor's writer
makes the later ones (``ioc.store.partitions``). PostgreSQL asks a partitioned
table's unique keys to hold the partition key, so the primary key becomes
``(id, ts)``; ``(district, feed, source, ts)`` already holds it.

On a large store the move copies every raw row once (about 100,000 rows a second
on the 2-core test machine): run it in a quiet hour. SQLite has no partitions:
there this migration does nothing.

Revision ID: 0010_partitions
Revises: 0009
Create Date: 2026-11-24
"""

from datetime import UTC, datetime, timedelta

from alembic import op
from sqlalchemy import text

from ioc.store import partitions

revision = "0010_partitions"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD = "readings_unpartitioned"
INDEXES = ("ix_readings_district_feed_ts", "ix_readings_ts")
OLDEST_DAYS = 35


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    columns = [
        row[0]
        for row in conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'readings' "
                "AND table_schema = current_schema() ORDER BY ordinal_position"
            )
        )
    ]
    op.execute(f"ALTER TABLE readings RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT readings_pkey TO {OLD}_pkey")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT uq_readings_source_ts TO {OLD}_uq")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_old")
    op.execute("ALTER SEQUENCE readings_id_seq OWNED BY NONE")
    op.execute(
        f"CREATE TABLE readings (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE, "
        "CONSTRAINT readings_pkey PRIMARY KEY (id, ts), "
        "CONSTRAINT uq_readings_source_ts UNIQUE (district, feed, source, ts)) "
        "PARTITION BY RANGE (ts)"
    )
    op.execute("CREATE INDEX ix_readings_district_feed_ts ON readings (district, feed, ts)")
    op.execute("CREATE INDEX ix_readings_ts ON readings (ts)")
    op.execute(f"CREATE TABLE {partitions.DEFAULT} PARTITION OF readings DEFAULT")
    today = datetime.now(UTC).date()
    oldest = conn.execute(text(f"SELECT min(ts) FROM {OLD}")).scalar()
    first = max(oldest.date(), today - timedelta(days=OLDEST_DAYS)) if oldest else today
    wanted = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    partitions.make(conn, wanted + partitions.ahead(today))
    names = ", ".join(columns)
    op.execute(f"INSERT INTO readings ({names}) SELECT {names} FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")
    op.execute("ALTER SEQUENCE readings_id_seq OWNED BY readings.id")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE readings RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT readings_pkey TO {OLD}_pkey")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT uq_readings_source_ts TO {OLD}_uq")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_old")
    op.execute("ALTER SEQUENCE readings_id_seq OWNED BY NONE")
    op.execute(
        f"CREATE TABLE readings (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE, "
        "CONSTRAINT readings_pkey PRIMARY KEY (id), "
        "CONSTRAINT uq_readings_source_ts UNIQUE (district, feed, source, ts))"
    )
    op.execute("CREATE INDEX ix_readings_district_feed_ts ON readings (district, feed, ts)")
    op.execute("CREATE INDEX ix_readings_ts ON readings (ts)")
    op.execute(f"INSERT INTO readings SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD} CASCADE")
    op.execute("ALTER SEQUENCE readings_id_seq OWNED BY readings.id")
