"""The wall's server time per refresh interval, measured in this process as the clock moves."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from bench.figures import stats
from ioc.clock import LOCAL_TZ
from ioc.config import Settings
from ioc.services.wall import WallService
from ioc.store import queries
from ioc.store.engine import make_engine
from widgets.wall_scenes import updates

# Sources go stale 3 min after their last reading: the in-process clock runs in rounds of
# 3 min from the minute before the fill's end, so sources stay fresh as in production.
ROUND = timedelta(minutes=3)


def in_process(args, settings: Settings, areas, kpis, fill_now: datetime) -> dict:
    """Time each refresh interval's server work, uncached and cached, as the clock moves."""
    engine = make_engine(f"sqlite:///{args.db}")
    wall = WallService(settings, engine, areas, kpis)
    step = timedelta(milliseconds=settings.wall_refresh_ms)
    # From a whole minute: one minute-boundary build in 30 intervals, as in production.
    start = (fill_now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    per_round = int(ROUND / step)
    district, lang = areas.areas[0].slug, settings.lang  # what a fresh /wall page asks for
    # A rotating wall asks for the scene on screen and the next one: the first two.
    scenes = ("overview", "traffic")
    times: dict[str, list] = {"uncached": [], "cached": [], "build": [], "updates": []}
    kinds, prev = [], None
    try:
        for i in range(args.samples):
            now = start + step * (i % per_round)
            if prev is None or now.astimezone(LOCAL_TZ).date() != prev.astimezone(LOCAL_TZ).date():
                kinds.append("day")  # the usual profile (4 weeks of hours) and minute aggregates
            elif now.replace(second=0, microsecond=0) != prev.replace(second=0, microsecond=0):
                kinds.append("minute")  # trends, 24 h uptime, today's hours
            else:
                kinds.append("steady")
            prev = now
            t0 = time.perf_counter()
            snap = wall.snapshot(now)
            t1 = time.perf_counter()
            updates(snap, areas, lang, district, scenes)
            t2 = time.perf_counter()
            updates(wall.snapshot(now), areas, lang, district, scenes)  # 2nd screen, same interval
            t3 = time.perf_counter()
            for key, took in zip(times, (t2 - t0, t3 - t2, t1 - t0, t2 - t1), strict=True):
                times[key].append(took * 1000)
        with engine.connect() as conn:
            sources = len(queries.latest_by_source(conn))
    finally:
        engine.dispose()
    result = {key: stats(values) for key, values in times.items()}
    for kind in ("steady", "minute", "day"):
        of_kind = zip(times["uncached"], kinds, strict=True)
        result[kind] = stats([v for v, k in of_kind if k == kind])
    # cache computes = snapshots + minute aggregates + day profiles
    return {**result, "sources": sources, "intervals": args.samples,
            "computed": wall.cache.computed}  # fmt: skip
