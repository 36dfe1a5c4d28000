"""The district page's wifi tab: every access point, those down now, outages, uptime over time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection

from ioc.district_view import DistrictView
from ioc.model.district import (
    OUTAGE_COLUMNS,
    WIFI_AP_COLUMNS,
    WIFI_DOWN_COLUMNS,
    WIFI_SERIES_COLUMNS,
    AccessPointRow,
    OutageRow,
    Table,
    WifiPoint,
)
from ioc.services.district_buckets import HOUR, buckets, floor_to, ratio
from ioc.services.live import Freshness
from ioc.store import queries
from ioc.store.queries import StoreRow


def wifi_tables(
    conn: Connection, view: DistrictView, now: datetime, aps: list[StoreRow], *,
    freshness: Freshness,
) -> dict[str, Table]:  # fmt: skip
    """The wifi tab's tables for a view, from the district's access points' newest readings."""
    totals = queries.source_totals(
        conn, district=view.slug, feed="wifi", since=view.since, until=view.until,
        raw=view.raw,
    )  # fmt: skip
    rows: list[AccessPointRow] = []
    for r in aps:
        stale = freshness.is_stale(r, now)
        sums = totals.get(r.source, {})
        since = r.state_since or r.ts
        state: Literal["up", "down", "stale"] = "stale" if stale else ("up" if r.up else "down")
        rows.append(
            {
                "source": r.source,
                "name": r.name or r.source,
                "state": state,
                "status": "stale" if stale else ("ok" if r.up else "alarm"),
                "since": since,
                "for_min": (now - since).total_seconds() / 60,
                "uptime": ratio(sums.get("up_n"), sums.get("n"), 100.0),
                "clients": r.clients,
                "as_of": r.ts,
            }
        )
    order = {"down": 0, "stale": 1, "up": 2}
    rows.sort(key=lambda row: (order[row["state"]], row["since"], row["name"]))
    down = [row for row in rows if row["state"] == "down"]
    names: dict[str, str] = {r.source: r.name or r.source for r in aps}
    return {
        "wifi_aps": Table("wifi_aps", WIFI_AP_COLUMNS, rows),
        "wifi_down": Table("wifi_down", WIFI_DOWN_COLUMNS, down),
        "wifi_outages": Table(
            "wifi_outages", OUTAGE_COLUMNS, _outages(conn, view, now, names, freshness)
        ),
        "wifi_series": Table("wifi_series", WIFI_SERIES_COLUMNS, _wifi_series(conn, view)),
    }


def _outages(
    conn: Connection, view: DistrictView, now: datetime, names: Mapping[str, str],
    freshness: Freshness,
) -> list[OutageRow]:  # fmt: skip
    """Every down period of every access point in the range, newest first."""
    end_of_range = min(view.until, now)
    found: list[OutageRow] = []
    if view.raw:
        hold = freshness.hold("wifi")
        reports: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
        for row in queries.wifi_history(conn, district=view.slug, since=view.since - hold):
            if row.ts < view.until:
                reports[row.source].append((row.ts, bool(row.up)))
        for source, items in reports.items():
            for start, end in down_periods(items, since=view.since, until=end_of_range):
                found.append(_outage(source, names, start, end, exact=True))
    else:
        rows = queries.source_hour_rows(
            conn, district=view.slug, feed="wifi", since=floor_to(view.since, HOUR),
            until=view.until, down_only=True,
        )  # fmt: skip
        # Per source, the outage still open: its start, its end so far, its down minutes.
        open_: dict[str, tuple[datetime, datetime, float]] = {}
        for row in rows:  # by source, then hour
            down_share = 1 - row.up_n / row.n if row.n else 0.0
            current = open_.get(row.source)
            if down_share <= 0:
                continue
            if current and current[1] == row.hour:
                open_[row.source] = (current[0], row.hour + HOUR, current[2] + down_share * 60)
            else:
                if current:
                    found.append(_outage(row.source, names, current[0], current[1], current[2]))
                open_[row.source] = (row.hour, row.hour + HOUR, down_share * 60)
        for source, (start, end, minutes) in open_.items():
            found.append(_outage(source, names, start, min(end, end_of_range), minutes))
    found.sort(key=lambda item: item["start"], reverse=True)
    return found


def _outage(
    source: str, names: Mapping[str, str], start: datetime, end: datetime,
    minutes: float | None = None, *, exact: bool = False,
) -> OutageRow:  # fmt: skip
    """One outage's row; its minutes are the period's length unless counted from the hours."""
    if exact or minutes is None:
        minutes = (end - start).total_seconds() / 60
    return {
        "source": source,
        "name": names.get(source, source),
        "start": start,
        "end": end,
        "down_min": minutes,
    }


def _wifi_series(conn: Connection, view: DistrictView) -> list[WifiPoint]:
    """The share of "up" reports per bucket of the range."""
    starts, sums = buckets(conn, view, "wifi")
    rows: list[WifiPoint] = []
    for start in starts:
        bucket = sums.get(start)
        n = bucket["n"] if bucket else 0
        rows.append(
            {
                "time": start,
                "up_pct": ratio(bucket["up_n"], n, 100.0) if bucket and n else None,
                "reports": int(n),
            }
        )
    return rows


def down_periods(
    reports: list[tuple[datetime, bool]], *, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The down periods of one access point in [since, until), from its time-ordered reports.

    A "down" report starts a period (or continues one); the next "up" report ends
    it. A period still open at ``until`` ends there. Clipped to the range.
    """
    periods: list[tuple[datetime, datetime]] = []
    start: datetime | None = None
    for ts, up in reports:
        if not up and start is None:
            start = ts
        elif up and start is not None:
            periods.append((start, ts))
            start = None
    if start is not None:
        periods.append((start, until))
    clipped = []
    for start, end in periods:
        start, end = max(start, since), min(end, until)
        if end > start:
            clipped.append((start, end))
    return clipped
