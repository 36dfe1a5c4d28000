"""The district page's traffic tab: every camera, flow and speed over time, heat map, slowest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from ioc.clock import LOCAL_TZ
from ioc.district_view import DistrictView
from ioc.model.district import (
    HEATMAP_COLUMNS,
    TRAFFIC_SERIES_COLUMNS,
    TRAFFIC_SOURCE_COLUMNS,
    TRAFFIC_WORST_COLUMNS,
    CameraRow,
    HeatCell,
    Table,
    TrafficPoint,
)
from ioc.services.district_buckets import HOUR, buckets, local_day_start, ratio
from ioc.services.kpis import KpiCatalogue
from ioc.services.live import Freshness
from ioc.store import queries
from ioc.store.queries import HourSums, StoreRow

HEATMAP_DAYS = 7  # the day x hour map shows at least a week, so a weekday pattern shows
WORST_COUNT = 5


def traffic_tables(
    conn: Connection, view: DistrictView, now: datetime, cams: list[StoreRow], *,
    freshness: Freshness, kpis: KpiCatalogue,
) -> dict[str, Table]:  # fmt: skip
    """The traffic tab's tables for a view, from the district's cameras' newest readings."""
    totals = queries.source_totals(
        conn, district=view.slug, feed="traffic", since=view.since, until=view.until,
        raw=view.raw,
    )  # fmt: skip
    rows: list[CameraRow] = []
    for r in cams:
        stale = freshness.is_stale(r, now)
        sums = totals.get(r.source, {})
        rows.append(
            {
                "source": r.source,
                "name": r.name or r.source,
                "flow": ratio(r.vehicles * 60, r.interval_s),
                "speed": r.speed_kmh,
                "occupancy": None if r.occupancy is None else 100 * r.occupancy,
                "status": kpis.status("traffic_speed", r.speed_kmh, stale=stale),
                "as_of": r.ts,
                "flow_avg": ratio(sums.get("vehicles_per_min"), sums.get("n")),
                "speed_avg": ratio(sums.get("speed_x_vehicles"), sums.get("vehicles"))
                if sums.get("vehicles")
                else ratio(sums.get("speed"), sums.get("n")),
                # A camera that does not measure occupancy has none, not 0 %.
                "occupancy_avg": None
                if r.occupancy is None
                else ratio(sums.get("occupancy"), sums.get("n"), 100.0),
                "reports": int(sums.get("n", 0)),
            }
        )
    rows.sort(key=lambda row: row["name"])
    # One read of the hourly sums serves the heat map and (for long ranges) the series.
    heat_since = local_day_start(min(view.since, view.until - timedelta(days=HEATMAP_DAYS - 1)))
    hours = queries.rollup_hours(
        conn, feed="traffic", since=heat_since, until=view.until, district=view.slug
    )
    ranked = [row for row in rows if row["speed_avg"] is not None]
    ranked.sort(key=lambda row: (row["speed_avg"], -(row["occupancy_avg"] or 0)))
    return {
        "traffic_sources": Table("traffic_sources", TRAFFIC_SOURCE_COLUMNS, rows),
        "traffic_series": Table(
            "traffic_series",
            TRAFFIC_SERIES_COLUMNS,
            _traffic_series(conn, view, now, hours),
        ),
        "traffic_heatmap": Table(
            "traffic_heatmap", HEATMAP_COLUMNS, _heatmap(view, heat_since, hours)
        ),
        "traffic_worst": Table("traffic_worst", TRAFFIC_WORST_COLUMNS, ranked[:WORST_COUNT]),
    }


def _traffic_series(
    conn: Connection, view: DistrictView, now: datetime, hours: list[HourSums]
) -> list[TrafficPoint]:
    """Flow and mean speed per bucket of the range."""
    starts, sums = buckets(conn, view, "traffic", hours)
    minutes = view.bucket.total_seconds() / 60
    rows: list[TrafficPoint] = []
    for start in starts:
        bucket = sums.get(start)
        if not bucket or not bucket["n"]:
            rows.append({"time": start, "flow": None, "speed": None, "reports": 0})
            continue
        # Vehicles counted in the bucket per minute of it (the last bucket: its elapsed part).
        elapsed = min(minutes, max((min(view.until, now) - start).total_seconds() / 60, 1))
        rows.append(
            {
                "time": start,
                "flow": bucket["vehicles"] / elapsed,
                "speed": ratio(bucket["speed_x_vehicles"], bucket["vehicles"])
                if bucket["vehicles"]
                else ratio(bucket["speed"], bucket["n"]),
                "reports": int(bucket["n"]),
            }
        )
    return rows


def _heatmap(view: DistrictView, since: datetime, hours: list[HourSums]) -> list[HeatCell]:
    """Mean speed and flow per local day and hour, over the range or the last week."""
    found = {hour: (minutes, sums) for _district, hour, minutes, sums in hours}
    rows: list[HeatCell] = []
    at = since
    while at < view.until:  # every hour of every day, empty ones too
        local = at.astimezone(LOCAL_TZ)
        minutes, sums = found.get(at, (0, None))
        rows.append(
            {
                "date": local.date().isoformat(),
                "hour": local.hour,
                "speed": ratio(sums["speed_x_vehicles"], sums["vehicles"]) if sums else None,
                # Each report's own rate (vehicles x 60 / interval_s): right for any interval.
                "flow": ratio(sums["vehicles_per_min"], minutes) if sums else None,
            }
        )
        at += HOUR
    return rows
