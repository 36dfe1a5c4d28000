"""Scale benchmark: a city's two weeks of raw readings in PostgreSQL, and what they cost.

``python -m bench.scale`` (in ``make bench``) makes a private schema in a PostgreSQL server
(``--database-url``, default the machine's, dropped afterwards), migrates it, and loads 14
days of raw readings at 3,000 sources × 1 a minute (about 60 M rows) by COPY, one day
partition at a time (a table without indexes, COPY, its indexes, then ATTACH, as a bulk
load is done). The aggregates the pages read (minute and hour rollups, per-source hours,
the newest state) are filled by ``bench.history`` from the simulator's rhythms; the raw
rows carry plausible values of the same shape but are drawn apart from them. Then it times:

- pruning one day (the product's ``writes.prune``: drop the oldest partition);
- the district page's 30-day views (the report of each tab for the busiest district);
- the wall's refresh (a snapshot built from the store);
- a briefing snapshot (taken and stored, then deleted);
- and reports the size of every table.

``--quick`` (2 days, 300 sources) is the smoke run ``tests/test_scale_bench.py`` makes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from bench.figures import stats
from bench.history import fill_history
from bench.history_sources import choose_sources
from bench.machine import BenchError, machine_info
from ioc.areas import load_areas
from ioc.config import Settings
from ioc.district_view import parse_view
from ioc.services.container import EXTENSION_KEY
from ioc.services.kpis import load_kpis
from ioc.store import partitions, queries, writes
from ioc.store.engine import driver_cursor, make_engine, migrate, private_schema
from ioc.store.rollup_writes import minute_of
from pages.web import create_app

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOALS = {"prune_day_s": 1.0, "district_30d_p95_ms": 300, "wall_p95_ms": 30, "briefing_s": 1.0}
COLUMNS = ("id", "district", "feed", "source", "ts", "received_at", "vehicles", "interval_s",
           "speed_kmh", "occupancy", "up", "clients", "pending", "overdue", "received_today",
           "resolved_today", "resolved_on_time_today")  # fmt: skip
CHUNK = 1 << 20  # bytes per COPY write


def _values(feed: str, n: int, minute: int) -> str:
    """A reading's values as COPY text (tab-separated, \\N for none), by feed."""
    wave = (minute * 7 + n * 13) % 60
    if feed == "traffic":
        return f"{wave}\t60\t{18 + wave / 3:.1f}\t{wave / 60:.2f}" + "\t\\N" * 7
    if feed == "wifi":
        return "\\N\t\\N\t\\N\t\\N\t" + ("f" if wave == 59 else "t") + f"\t{wave}" + "\t\\N" * 5
    served = minute // 20
    return "\\N\t" * 6 + f"{wave // 6}\t{wave // 30}\t{served + 5}\t{served}\t{served}"


def _literal(when: datetime) -> str:
    """A UTC time as a timestamp literal (DDL takes no bound parameters)."""
    return f"'{when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"


def load_day(engine: Engine, day, sources, next_id: int, until: datetime) -> tuple[int, float]:
    """Load one UTC day of raw readings (up to ``until``); return the next id and seconds."""
    began = time.perf_counter()
    name = partitions.partition_name(day)
    first = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    minutes = min(1440, int((until - first).total_seconds() // 60))
    stamps = [
        (first + timedelta(minutes=m)).replace(tzinfo=None).isoformat(sep=" ")
        for m in range(minutes)
    ]
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))  # made empty by the migration
        conn.execute(text(f"CREATE TABLE {name} (LIKE readings INCLUDING DEFAULTS)"))
        cursor = driver_cursor(conn)
        with cursor.copy(f"COPY {name} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            lines: list[str] = []
            size = 0
            for n, src in enumerate(sources):
                head = f"\t{src.district}\t{src.feed}\t{src.source}\t"
                for m, stamp in enumerate(stamps):
                    line = f"{next_id}{head}{stamp}\t{stamp}\t{_values(src.feed, n, m)}\n"
                    next_id += 1
                    lines.append(line)
                    size += len(line)
                    if size > CHUNK:
                        copy.write("".join(lines))
                        lines, size = [], 0
            copy.write("".join(lines))
        cursor.close()
        low, high = _literal(first), _literal(first + timedelta(days=1))
        # The check spares ATTACH a scan of the day; the partition's bound holds it after.
        conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound "
                          f"CHECK (ts >= {low} AND ts < {high})"))  # fmt: skip
        conn.execute(text(f"ALTER TABLE readings ATTACH PARTITION {name} "
                          f"FOR VALUES FROM ({low}) TO ({high})"))  # fmt: skip
        conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound"))
    return next_id, time.perf_counter() - began


def load(engine: Engine, areas, sources: int, days: int, now: datetime) -> dict:
    """Raw days by COPY, then the aggregates; return rows and seconds of each part."""
    chosen = choose_sources(areas, sources)
    raw_until = minute_of(now) - timedelta(hours=1, minutes=1)  # bench.history's raw hour after
    next_id, took, began = 1, [], time.perf_counter()
    today, first_day_rows = now.date(), 0
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        before = next_id
        next_id, seconds = load_day(engine, day, chosen, next_id, raw_until)
        first_day_rows = first_day_rows or next_id - before  # the day pruning drops
        took.append(seconds)
        print(f"  {day}: {next_id - 1:,} raw rows so far, {seconds:.1f} s", file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(text(f"SELECT setval('readings_id_seq', {next_id})"))
    raw_s = time.perf_counter() - began
    filled = fill_history(engine, areas, sources=sources, days=days, now=now, raw_hours=1)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {"raw_rows": next_id - 1, "first_day_rows": first_day_rows,
            "raw_s": round(raw_s, 1), "day_s": stats(took),
            "aggregates": filled["rows"], "aggregates_s": filled["seconds"]}  # fmt: skip


def sizes(engine: Engine) -> dict:
    """Bytes of each table with its indexes (the day partitions summed as ``readings``)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            )
        ).all()
    found: Counter = Counter()
    for name, size in rows:
        found["readings" if partitions.is_partition(name) else name] += size
    return {"tables": dict(found.most_common()), "total": sum(found.values())}


def timed(call, samples: int) -> dict:
    """Milliseconds of ``call(i)`` over ``samples`` runs, after one warm-up."""
    took = []
    for i in range(samples + 1):
        began = time.perf_counter()
        call(i)
        if i:
            took.append((time.perf_counter() - began) * 1000)
    return stats(took)


def measure(engine: Engine, areas, now: datetime, samples: int) -> dict:
    """The pages' reads and the retention's drop on the loaded store."""
    settings = Settings(_env_file=None)
    app = create_app(settings.model_copy(update={"metrics_file": None}), engine=engine,
                     areas=areas, kpis=load_kpis(settings.kpis_file))  # fmt: skip
    services = app.server.extensions[EXTENSION_KEY]
    step = timedelta(seconds=settings.wall_refresh_ms / 1000)
    out: dict = {"wall_ms": timed(lambda i: services.wall.build(now + i * step), samples)}
    with engine.connect() as conn:
        busiest = Counter(r.district for r in queries.latest_by_source(conn)).most_common(1)[0][0]
    out["district"] = busiest
    for tab in ("traffic", "wifi", "services"):

        def report(i: int, tab: str = tab) -> None:
            at = now + i * step  # a new wall snapshot each time, as at each refresh
            view = parse_view(busiest, {"tab": tab, "range": "30d"}, now=at)
            if services.district.report(view, at) is None:
                raise BenchError(f"no district page for {busiest}")

        out[f"district_30d_{tab}_ms"] = timed(report, samples)
    briefings = []
    for i in range(3):
        began = time.perf_counter()
        services.briefing.take(now=now + timedelta(seconds=i), title="bench.scale")
        briefings.append(time.perf_counter() - began)
    out["briefing_s"] = stats(briefings)
    with engine.begin() as conn:
        oldest = partitions.days(conn)[0]
        cutoff = datetime.combine(oldest + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        began = time.perf_counter()
        removed = writes.prune(conn, before=cutoff)
        out["prune_day_s"] = round(time.perf_counter() - began, 3)
        out["prune_day_rows"] = removed
    return out


def report(r: dict) -> str:
    """The figures as text, with the machine and the goals."""
    m, load_, got = r["machine"], r["load"], r["measured"]
    mb = {k: v / 1e6 for k, v in r["sizes"]["tables"].items()}
    lines = [
        f"bench.scale: {r['sources']:,} sources × 1/min, {r['days']} days, PostgreSQL "
        f"{r['server']}; {m['cpu']} ({m['cores']} cores), load after {r['load_after']}",
        f"  loaded {load_['raw_rows']:,} raw rows by COPY in {load_['raw_s']:.0f} s "
        f"(a day: p50 {load_['day_s']['p50']:.0f} s); aggregates in {load_['aggregates_s']:.0f} s",
        f"  prune one day: {got['prune_day_s']:.3f} s ({got['prune_day_rows']:,} rows; "
        f"goal ≤ {GOALS['prune_day_s']} s)",
    ]
    for tab in ("traffic", "wifi", "services"):
        s = got[f"district_30d_{tab}_ms"]
        lines.append(f"  district 30 d, {tab} ({got['district']}): p50 {s['p50']:.0f} ms, "
                     f"p95 {s['p95']:.0f} ms (goal ≤ {GOALS['district_30d_p95_ms']})")  # fmt: skip
    w, b = got["wall_ms"], got["briefing_s"]
    lines += [
        f"  wall refresh: p50 {w['p50']:.1f} ms, p95 {w['p95']:.1f} ms "
        f"(goal ≤ {GOALS['wall_p95_ms']})",
        f"  briefing snapshot: p50 {b['p50']:.2f} s, max {b['max']:.2f} s "
        f"(goal ≤ {GOALS['briefing_s']})",
        f"  database: {r['sizes']['total'] / 1e9:.2f} GB; "
        + ", ".join(f"{k} {v:,.0f} MB" for k, v in mb.items() if v >= 1),
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n\n")[0]
    )
    default = os.environ.get("IOC_BENCH_DATABASE_URL", DEFAULT_URL)
    parser.add_argument("--database-url", default=default,
                        help="a PostgreSQL server; the bench works in a private schema it drops "
                        "(default: $IOC_BENCH_DATABASE_URL or %(default)s)")  # fmt: skip
    parser.add_argument("--days", type=int, default=14, help="days of raw readings (14)")
    parser.add_argument("--sources", type=int, default=3000, help="sources, each 1 a minute (3000)")
    parser.add_argument("--samples", type=int, default=20, help="timed page builds each (20)")
    parser.add_argument(
        "--quick", action="store_true", help="2 days, 300 sources, 5 samples: a smoke run"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.days, args.sources, args.samples = 2, 300, 5
    if args.days < 2 or args.sources < 30 or args.samples < 1:
        parser.error("at least 2 days (one is pruned), 30 sources and 1 sample")
    if not args.database_url.startswith("postgresql"):
        parser.error("bench.scale measures PostgreSQL's partitions: give a postgresql URL")
    return args


def run(args: argparse.Namespace) -> dict:
    """Load a private schema, measure, drop it."""
    began, areas = time.monotonic(), load_areas(Settings(_env_file=None).areas_file)
    now = datetime.now(UTC)
    result: dict = {"machine": machine_info("-"), "days": args.days, "sources": args.sources}
    with private_schema(args.database_url, "scale") as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            with engine.connect() as conn:
                result["server"] = conn.execute(text("SHOW server_version")).scalar()
            result["load"] = load(engine, areas, args.sources, args.days, now)
            result["sizes"] = sizes(engine)
            result["measured"] = measure(engine, areas, now, args.samples)
        finally:
            engine.dispose()
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = round(time.monotonic() - began, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table (or JSON)."""
    args = parse_args(argv)
    try:
        result = run(args)
    except BenchError as err:
        print(f"bench.scale: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
