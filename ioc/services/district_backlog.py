"""The district page's services tab: every desk, pending over time, intake, the database metrics."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection

from ioc.clock import LOCAL_TZ
from ioc.district_view import DistrictView
from ioc.model.district import (
    DESK_COLUMNS,
    INTAKE_COLUMNS,
    METRIC_COLUMNS,
    SERVICES_SERIES_COLUMNS,
    DeskRow,
    IntakeRow,
    MetricRow,
    PendingPoint,
    Table,
)
from ioc.services.district_buckets import HOUR, floor_to, ratio
from ioc.services.kpis import KpiCatalogue
from ioc.services.live import Freshness
from ioc.services.metrics import MetricsService
from ioc.status import worst
from ioc.store import queries
from ioc.store.queries import StoreRow

DAILY_SPAN = timedelta(hours=48)  # longer ranges count intake per day, shorter per hour


def services_tables(
    conn: Connection, view: DistrictView, now: datetime, desks: list[StoreRow], *,
    freshness: Freshness, kpis: KpiCatalogue, metrics: MetricsService,
) -> dict[str, Table]:  # fmt: skip
    """The public-services tab's tables for a view, from the district's desks' newest readings."""
    today = now.astimezone(LOCAL_TZ).date()
    rows: list[DeskRow] = []
    for r in desks:
        stale = freshness.is_stale(r, now)
        todays = r.ts.astimezone(LOCAL_TZ).date() == today
        received = r.received_today if todays else None
        resolved = r.resolved_today if todays else None
        on_time = r.resolved_on_time_today if todays else None
        rows.append(
            {
                "source": r.source,
                "name": r.name or r.source,
                "pending": r.pending,
                "overdue": r.overdue,
                "overdue_pct": ratio(r.overdue, r.pending, 100.0) if r.pending else 0.0,
                "received_today": received,
                "resolved_today": resolved,
                "on_time_pct": ratio(on_time, resolved, 100.0),
                "status": worst(
                    [
                        kpis.status(
                            "backlog_overdue",
                            ratio(r.overdue, r.pending, 100.0) if r.pending else 0.0,
                            stale=stale,
                        ),
                        kpis.status(
                            "backlog_on_time", ratio(on_time, resolved, 100.0), stale=stale
                        ),
                    ]
                ),
                "as_of": r.ts,
            }
        )
    rows.sort(key=lambda row: row["name"])
    hours = queries.source_hour_rows(
        conn, district=view.slug, feed="backlog", since=floor_to(view.since, HOUR),
        until=view.until,
    )  # fmt: skip
    return {
        "services_desks": Table("services_desks", DESK_COLUMNS, rows),
        "services_series": Table(
            "services_series", SERVICES_SERIES_COLUMNS, _pending_series(hours, view)
        ),
        "services_intake": Table(
            "services_intake",
            INTAKE_COLUMNS,
            intake_by_period(hours, daily=view.span > DAILY_SPAN),
        ),
        "services_metrics": Table(
            "services_metrics", METRIC_COLUMNS, _metric_rows(metrics, view.slug, now)
        ),
    }


def _pending_series(hours: list[StoreRow], view: DistrictView) -> list[PendingPoint]:
    """Pending and overdue per hour: each desk's mean over its reports, summed over desks."""
    per_hour: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in hours:
        if row.n:
            per_hour[row.hour]["pending"] += row.pending / row.n
            per_hour[row.hour]["overdue"] += row.overdue / row.n
            per_hour[row.hour]["desks"] += 1
    rows: list[PendingPoint] = []
    at = floor_to(view.since, HOUR)
    while at < view.until:
        sums = per_hour.get(at)
        rows.append(
            {
                "time": at,
                "pending": sums["pending"] if sums else None,
                "overdue": sums["overdue"] if sums else None,
                "desks": int(sums["desks"]) if sums else 0,
            }
        )
        at += HOUR
    return rows


def _metric_rows(metrics: MetricsService, slug: str, now: datetime) -> list[MetricRow]:
    """The database metrics broken down by district: this district's value and the median."""
    rows: list[MetricRow] = []
    for view in metrics.current(now):
        metric = view.metric
        if not metric.by_district:
            continue
        value, status = view.districts.get(slug, (None, "no_data"))
        others = [v for v, _s in view.districts.values() if v is not None]
        rank: int | None = None
        if value is not None:
            higher = metric.thresholds.direction == "higher"
            rank = 1 + sum(1 for v in others if (v > value if higher else v < value))
        rows.append(
            {
                "metric": metric.id,
                "title": {"vi": metric.title_vi, "en": metric.title_en},
                "unit": {lang: metric.unit_in(lang) for lang in ("vi", "en")},
                "value": value,
                "status": status if view.error is None or value is not None else "no_data",
                "median": statistics.median(others) if others else None,
                "rank": rank,
                "of": len(others),
                "as_of": view.as_of,
                "error": view.error,
            }
        )
    return rows


def intake_by_period(hours: list[StoreRow], *, daily: bool) -> list[IntakeRow]:
    """Applications received, resolved and resolved on time per local day (or hour).

    A desk's counters count up from local midnight, so a day's intake is the
    highest count of the day, and an hour's is the rise over the previous hour
    of the same day. Summed over desks.
    """
    per_period: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    previous: dict[tuple[str, date], dict[str, float]] = {}
    day_high: dict[tuple[str, date], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in sorted(hours, key=lambda r: (r.source, r.hour)):
        day = row.hour.astimezone(LOCAL_TZ).date()
        values: dict[str, float] = {
            "received": row.received_max,
            "resolved": row.resolved_max,
            "on_time": row.on_time_max,
        }
        if daily:
            high = day_high[(row.source, day)]
            for name, value in values.items():
                high[name] = max(high[name], value)
        else:
            before = previous.get((row.source, day), dict.fromkeys(values, 0.0))
            bucket = per_period[row.hour]
            for name, value in values.items():
                bucket[name] += max(value - before[name], 0.0)
            previous[(row.source, day)] = {
                name: max(value, before[name]) for name, value in values.items()
            }
    if daily:
        for (_source, day), high in day_high.items():
            start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)
            bucket = per_period[start]
            for name, value in high.items():
                bucket[name] += value
    rows: list[IntakeRow] = []
    for start in sorted(per_period):
        bucket = per_period[start]
        rows.append(
            {
                "period": start,
                "received": int(bucket["received"]),
                "resolved": int(bucket["resolved"]),
                "on_time_pct": ratio(bucket["on_time"], bucket["resolved"], 100.0),
            }
        )
    return rows
