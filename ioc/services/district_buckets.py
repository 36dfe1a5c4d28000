"""The district tabs' common arithmetic: ratios, local days, and the range cut into time buckets."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from ioc.clock import LOCAL_TZ
from ioc.district_view import DistrictView
from ioc.store import queries
from ioc.store.queries import HourSums
from ioc.store.schema import ROLLUP_SUMS

MINUTE_SERIES_SPAN = timedelta(hours=36)
HOUR = timedelta(hours=1)


def ratio(part: float | None, whole: float | None, scale: float = 1.0) -> float | None:
    """``scale`` × part / whole, or None when either is missing or the whole is 0."""
    if part is None or not whole:
        return None
    return scale * part / whole


def local_day_start(ts: datetime) -> datetime:
    """The UTC instant of the local midnight that starts ``ts``'s local day."""
    local = ts.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def floor_to(ts: datetime, width: timedelta) -> datetime:
    """Floor a UTC time to a multiple of ``width`` (minutes or hours; UTC+7 keeps them local)."""
    seconds = int(width.total_seconds())
    stamp = int(ts.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


# Per bucket start: the rollups' sums by name, and "minutes" (how many minutes had data).
BucketSums = dict[datetime, dict[str, float]]


def buckets(
    conn: Connection, view: DistrictView, feed: str, hours: list[HourSums] | None = None
) -> tuple[list[datetime], BucketSums]:
    """Bucket starts over the range, and per bucket the summed rollups and minutes seen.

    Up to ``MINUTE_SERIES_SPAN`` from the per-minute rollups, beyond from the
    hourly sums (``hours``, when the caller has read them already).
    """
    width = view.bucket
    first = floor_to(view.since, width)
    starts: list[datetime] = []
    at = first
    while at < view.until:
        starts.append(at)
        at += width
    sums: BucketSums = {}
    if view.span <= MINUTE_SERIES_SPAN:
        rows = queries.district_minutes(
            conn, district=view.slug, feed=feed, since=first, until=view.until
        )
        for row in rows:
            bucket = sums.setdefault(floor_to(row.minute, width), defaultdict(float))
            bucket["minutes"] += 1
            for name in ROLLUP_SUMS:
                bucket[name] += getattr(row, name) or 0.0
    else:
        if hours is None:
            hours = queries.rollup_hours(
                conn, feed=feed, since=first, until=view.until, district=view.slug
            )
        for _district, hour, minutes, values in hours:
            if hour < first:
                continue
            bucket = sums.setdefault(hour, defaultdict(float))
            bucket["minutes"] += minutes
            for name, value in values.items():
                bucket[name] += value
    return starts, sums
