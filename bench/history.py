"""Fill a store with weeks of history, for benchmarks of the wall display.

``python -m bench.history --db sqlite:///var/bench-wall.db --sources 3000 --days 30``
migrates the store and fills it as weeks of ingesting would have left it: ``latest``
with a few stale sources, ``rollups_minute`` for every minute (and ``rollups_hour``
summed from them), ``source_hours`` for every source and hour, raw ``readings`` for the last
hours only, and ``district_status``
with one district gone (its Last Will; its sources stopped with it). Values follow the
simulator's rhythms (feeds.demo.models). In the raw window the rollups are the sums of
the stored readings, as ``rollup_sums`` and ``source_hour_sums`` make them; before it,
traffic and wifi sums are drawn per district and minute, and per source and hour
(summing a month of raw readings would take hours), and desks are simulated one by one.
The drawn district minutes and source hours share the rhythms, the days' moods and
the access points' outages, so they agree on counts and up/down exactly and on
vehicles and clients in expectation (each is drawn apart, from its own random stream).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Engine, Table, func, insert, select

from bench.history_rows import HOUR_COLUMNS, READING_COLUMNS, VALUES, History
from bench.history_sources import choose_sources
from ioc.areas import AreaCatalogue, load_areas
from ioc.config import Settings
from ioc.store.engine import make_engine, migrate
from ioc.store.rollup_writes import hour_of, refresh_hour_rollups
from ioc.store.schema import (
    ROLLUP_SUMS,
    district_status,
    latest,
    readings,
    rollups,
    source_hours,
)
from ioc.store.schema import sqlite_datetime_text as sqlite_text

# What a fill holds; stores filled by an older version (bench.wall's marker) are filled again.
# 2: source_hours. 3: rollups_hour.
HISTORY_VERSION = 3
CHUNK = 50_000


def _insert_all(engine: Engine, table: Table, columns: tuple, rows) -> int:
    """Insert row tuples in chunks, one transaction each; say how it goes."""
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    count, began, rows = 0, time.perf_counter(), iter(rows)
    while chunk := list(islice(rows, CHUNK)):
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # SQLAlchemy's per-row work costs more than SQLite's own: bind tuples directly,
                # and cache the unique index, which takes rows at one place per source.
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA cache_size = -524288")
                driver.executemany(sql, chunk)
            else:
                conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in chunk])
        count += len(chunk)
        if count % (10 * CHUNK) == 0 or len(chunk) < CHUNK:
            took = time.perf_counter() - began
            print(f"  {table.name}: {count:,} rows, {took:.1f} s ({count / took:,.0f}/s)",
                  file=sys.stderr)  # fmt: skip
    return count


def fill_history(
    engine: Engine, areas: AreaCatalogue, *, sources: int = 3000, days: float = 30,
    now: datetime, raw_hours: float = 24, seed: int = 1,
) -> dict:  # fmt: skip
    """Fill a migrated, empty store with `days` of history up to `now`; return counts, seconds."""
    if now.tzinfo is None or raw_hours < 1:
        raise ValueError("now must be UTC-aware, raw_hours at least 1 (stale sources need it)")
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(rollups)).scalar_one():
            raise ValueError(f"{engine.url.render_as_string()} is not empty")
    began = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    # Source hours draw from a stream of their own: the other tables stay as without them.
    history = History(areas, choose_sources(areas, sources), days=days, now=now,
                       raw_hours=raw_hours, rng=random.Random(seed),
                       hours_rng=random.Random(f"{seed}:source_hours"),
                       stamp=sqlite_text if sqlite else lambda t: t)  # fmt: skip
    history.draw_old()
    history.run_desks()
    print(f"  history before the raw window: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    rows, took = {}, {"drawn": round(time.perf_counter() - began, 1)}
    for table, columns, made in (
        (readings, READING_COLUMNS, history.raw_rows()),
        (rollups, ("district", "feed", "minute", *ROLLUP_SUMS), history.rollup_rows()),
        (source_hours, HOUR_COLUMNS, history.source_hour_rows()),  # after the readings
        (latest, (*READING_COLUMNS[:7], "state_since", *VALUES), history.latest_rows()),
        (district_status, ("district", "online", "ts", "received_at", "since"),
         history.status_rows()),
    ):  # fmt: skip
        started = time.perf_counter()
        rows[table.name] = _insert_all(engine, table, columns, made)
        took[table.name] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with engine.begin() as conn:  # the hourly district rollups, as the ingestor keeps them
        hours = conn.execute(select(rollups.c.feed, rollups.c.minute).distinct()).all()
        refresh_hour_rollups(conn, {(feed, hour_of(minute)) for feed, minute in hours})
    took["rollups_hour"] = round(time.perf_counter() - started, 1)
    stale = [s for s in history.sources if s.until < history.now_s]
    return {
        "version": HISTORY_VERSION,
        "sources": dict(Counter(s.src.feed for s in history.sources)),
        "rows": rows,
        "offline": history.offline,
        "stale_elsewhere": sum(s.src.district != history.offline for s in stale),
        "from": history.t0.isoformat(),
        "now": now.isoformat(),
        "seconds": round(time.perf_counter() - began, 1),
        "took": took,  # seconds: drawing before the raw window, then making and inserting tables
    }


def main(argv: list[str] | None = None) -> int:
    """Create or migrate the store and fill it; print counts and the time taken."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db", default="sqlite:///var/bench-wall.db", help="an empty store")
    parser.add_argument("--sources", type=int, default=3000, help="sources in all (3000)")
    parser.add_argument("--days", type=float, default=30, help="days of rollups (30)")
    parser.add_argument("--raw-hours", type=float, default=24, help="hours of readings (24)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--now", type=datetime.fromisoformat, help="end, with offset (now)")
    args = parser.parse_args(argv)
    engine = make_engine(args.db)
    try:
        migrate(engine)
        result = fill_history(
            engine, load_areas(Settings().areas_file), sources=args.sources, days=args.days,
            now=args.now or datetime.now(UTC), raw_hours=args.raw_hours, seed=args.seed,
        )  # fmt: skip
    except ValueError as err:
        print(f"bench.history: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
