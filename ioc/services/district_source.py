"""One source of a district page: its newest reading, its history, the messages refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ioc.contract import VALUE_FIELDS, topic_for
from ioc.district_view import DistrictView
from ioc.model.district import (
    HISTORY_COLUMNS,
    REJECTION_COLUMNS,
    HistoryRow,
    RejectionRow,
    SourceDetail,
    Table,
)
from ioc.services.district_buckets import HOUR, MINUTE_SERIES_SPAN, floor_to, ratio
from ioc.services.live import Freshness
from ioc.store import queries
from ioc.store.queries import StoreRow

REJECTIONS_SHOWN = 20


def source_detail(
    conn: Connection, view: DistrictView, now: datetime, row: StoreRow, *, freshness: Freshness
) -> SourceDetail:
    """The detail of the source a view selects, from its newest reading's row."""
    feed, source = row.feed, row.source
    stale = freshness.is_stale(row, now)
    latest: dict[str, object] = {
        "ts": row.ts,
        "received_at": row.received_at,
        "seq": row.seq,
        "stale": stale,
        **{name: getattr(row, name) for name in VALUE_FIELDS[feed]},
    }
    if view.span <= MINUTE_SERIES_SPAN:
        found = queries.source_readings(
            conn, district=view.slug, feed=feed, source=source, since=view.since,
            until=view.until,
        )  # fmt: skip
        history: list[HistoryRow] = [_reading_row(feed, r) for r in found]
    else:
        found = queries.source_hour_rows(
            conn, district=view.slug, feed=feed, since=floor_to(view.since, HOUR),
            until=view.until, source=source,
        )  # fmt: skip
        history = [_hour_row(feed, r) for r in found]
    topic = topic_for(view.slug, feed, source)
    count, letters = queries.dead_letters_of_topic(conn, topic=topic, limit=REJECTIONS_SHOWN)
    rejections: list[RejectionRow] = [
        {
            "received_at": letter.received_at,
            "reason": letter.reason,
            "detail": letter.detail,
            "payload": bytes(letter.payload)[:300].decode("utf-8", "replace"),
        }
        for letter in letters
    ]
    return SourceDetail(
        feed=feed,
        source=source,
        name=row.name or source,
        topic=topic,
        latest=latest,
        history=Table("source_history", HISTORY_COLUMNS[feed], history),
        rejected=count,
        rejections=Table("source_rejections", REJECTION_COLUMNS, rejections),
    )


def _reading_row(feed: str, r: StoreRow) -> HistoryRow:
    """One raw reading as a history row."""
    if feed == "traffic":
        return {
            "time": r.ts,
            "vehicles": r.vehicles,
            "flow": ratio(r.vehicles * 60, r.interval_s),
            "speed": r.speed_kmh,
            "occupancy": None if r.occupancy is None else 100 * r.occupancy,
        }
    if feed == "wifi":
        return {
            "time": r.ts,
            "up": bool(r.up),
            "up_pct": 100.0 if r.up else 0.0,
            "clients": r.clients,
        }
    return {
        "time": r.ts,
        "pending": r.pending,
        "overdue": r.overdue,
        "received_today": r.received_today,
        "resolved_today": r.resolved_today,
    }


def _hour_row(feed: str, r: StoreRow) -> HistoryRow:
    """One hour of a source's rollups as a history row."""
    n = r.n or 0
    if feed == "traffic":
        return {
            "time": r.hour,
            "vehicles": int(r.vehicles),
            "flow": ratio(r.vehicles_per_min, n),
            "speed": ratio(r.speed_x_vehicles, r.vehicles) if r.vehicles else ratio(r.speed, n),
            "occupancy": ratio(r.occupancy, n, 100.0),
        }
    if feed == "wifi":
        return {
            "time": r.hour,
            "up": r.up_n == n,
            "up_pct": ratio(r.up_n, n, 100.0),
            "clients": ratio(r.clients, n),
        }
    return {
        "time": r.hour,
        "pending": ratio(r.pending, n),
        "overdue": ratio(r.overdue, n),
        "received_today": int(r.received_max),
        "resolved_today": int(r.resolved_max),
    }
