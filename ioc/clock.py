"""The city's clock: its time zone and the one way times are written for machines.

The store keeps UTC; screens show Asia/Ho_Chi_Minh (GMT+7, no daylight saving).
How a time *reads* to a person (clock time, date, dateline) is in
``ioc.i18n.format``; this module only converts and writes RFC 3339.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def iso(ts: datetime | None) -> str | None:
    """A UTC time for JSON, to the second: RFC 3339 with Z."""
    if ts is None:
        return None
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_text(ts: datetime | None) -> str | None:
    """A time as a stored record keeps it: RFC 3339, UTC, full precision, with Z."""
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc(text: str | None) -> datetime | None:
    """Read an RFC 3339 time (``Z`` or an offset); empty gives None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_local(ts: datetime | str | None) -> datetime | None:
    """A UTC time (or its RFC 3339 text) on the city's clock."""
    if isinstance(ts, str):
        ts = parse_utc(ts)
    return None if ts is None else ts.astimezone(LOCAL_TZ)
