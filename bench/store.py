"""The benchmarks' store of history: filled once, reused while its parameters match."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.history import HISTORY_VERSION, fill_history
from bench.machine import BenchError
from ioc.store.engine import make_engine, migrate

RAW_HOURS, SEED = 24, 1


def ensure_store(args: argparse.Namespace, areas) -> dict:
    """Fill the bench store, or reuse it when its marker holds these parameters."""
    db, params = Path(args.db), {"sources": args.sources, "days": args.days, "raw_hours": RAW_HOURS,
                                 "seed": SEED, "history": HISTORY_VERSION}  # fmt: skip
    marker = db.with_name(db.name + ".json")
    saved = json.loads(marker.read_text()) if marker.exists() else None
    if saved and saved.get("params") == params and saved.get("filled") and not args.refill:
        engine = make_engine(f"sqlite:///{db}")
        migrate(engine)  # the product's newer migrations, as the app would run them
        engine.dispose()
        return {**saved, "reused": True}
    if db.exists() and saved is None:
        raise BenchError(f"{db} exists but was not filled by a benchmark: remove it or use --db")
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}{suffix}").unlink()
    marker.write_text(json.dumps({"params": params}))  # ours, even if the fill is cut short
    print(f"filling {db} ({args.sources:,} sources, {args.days:g} days)...", file=sys.stderr)
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
        filled = fill_history(engine, areas, sources=args.sources, days=args.days,
                              now=datetime.now(UTC), raw_hours=RAW_HOURS, seed=SEED)  # fmt: skip
    finally:
        engine.dispose()
    saved = {"params": params, "filled": filled}
    marker.write_text(json.dumps(saved, indent=2))
    return {**saved, "reused": False}
