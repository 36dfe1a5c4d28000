"""The wire contract v1: topic grammar and payload models.

Shared by the ingestor, the simulator and the tests, so that what is published
and what is accepted can never drift apart. ``validate`` never raises: every
message becomes a ``Reading``, a ``StatusReport`` or a ``Rejection``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

TOPIC_PREFIX = "ioc/v1"
SUBSCRIPTION = f"{TOPIC_PREFIX}/#"
FEEDS = ("traffic", "wifi", "backlog")
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Three or four segments after the prefix; anything else is outside the grammar.
TOPIC = re.compile(r"^ioc/v1/([^/]+)/([^/]+)(?:/([^/]+))?$")

MAX_PAYLOAD_BYTES = 16 * 1024
# District clocks drift; a reading a little ahead of ours is still believed.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Storage limit for counters (fits every SQL integer type we use).
MAX_COUNT = 1_000_000_000
MAX_SEQ = 2**63 - 1
# Unix seconds up to the year 3000; beyond that a number is not a time.
MAX_UNIX_TS = 32_503_680_000

# In the order they are checked.
Reason = Literal[
    "bad_topic",
    "unknown_district",
    "unknown_feed",
    "too_large",
    "bad_json",
    "invalid_payload",
    "future_timestamp",
]
REASONS: tuple[str, ...] = get_args(Reason)
# Not the contract's: the writer's, for a message the store would not take.
STORE_REFUSED = "store_refused"
DEAD_LETTER_REASONS: tuple[str, ...] = (*REASONS, STORE_REFUSED)
# Text no supported store can keep: NUL (PostgreSQL refuses it in text) and
# UTF-16 surrogates left alone by a JSON escape (they are not encodable as UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_ts(value: Any) -> datetime:
    """Accept RFC 3339 with an offset, or Unix seconds; return an aware UTC datetime."""
    if isinstance(value, bool):
        raise ValueError("ts must be RFC 3339 text or Unix seconds, not a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value <= MAX_UNIX_TS:
            raise ValueError("ts as Unix seconds must be a finite number after 1970")
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        if len(value) > 40:
            raise ValueError("ts is too long for an RFC 3339 time")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("ts is not an RFC 3339 time") from None
        if parsed.tzinfo is None:
            raise ValueError("ts needs a UTC offset (Z or +07:00)")
        return parsed.astimezone(UTC)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    raise ValueError("ts must be RFC 3339 text or Unix seconds")


Timestamp = Annotated[datetime, BeforeValidator(parse_ts)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Payload(BaseModel):
    """Fields every message carries."""

    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)

    ts: Timestamp
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ)] | None = None
    name: Annotated[str, Field(max_length=120)] | None = None
    # Optional, still contract v1: where the source stands (WGS 84 degrees), both or neither.
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _position(self) -> Payload:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together (both or neither)")
        return self

    def to_json(self) -> str:
        """Serialise for the wire, ts as RFC 3339 with offset, no nulls."""
        body = self.model_dump(exclude_none=True)
        body["ts"] = self.ts.isoformat()
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class TrafficPayload(Payload):
    """A camera or counter: vehicles counted over interval_s seconds."""

    vehicles: Count
    interval_s: Annotated[int, Field(ge=1, le=3600)] = 60
    speed_kmh: Annotated[float, Field(ge=0, le=200)]
    occupancy: Annotated[float, Field(ge=0, le=1)] | None = None


class WifiPayload(Payload):
    """A public wifi access point."""

    up: bool
    clients: Count | None = None


class BacklogPayload(Payload):
    """A service desk or channel (including hotline 1022)."""

    pending: Count
    overdue: Count
    received_today: Count | None = None
    resolved_today: Count | None = None
    resolved_on_time_today: Count | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BacklogPayload:
        if self.overdue > self.pending:
            raise ValueError("overdue cannot exceed pending")
        if self.resolved_on_time_today is not None and (
            self.resolved_today is None or self.resolved_on_time_today > self.resolved_today
        ):
            raise ValueError("resolved_on_time_today cannot exceed resolved_today")
        return self


class StatusPayload(BaseModel):
    """A district IOC's presence, retained; online:false is its Last Will."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    online: bool
    ts: Timestamp

    def to_json(self) -> str:
        """Serialise for the wire."""
        return json.dumps({"online": self.online, "ts": self.ts.isoformat()})


PAYLOADS: dict[str, type[Payload]] = {
    "traffic": TrafficPayload,
    "wifi": WifiPayload,
    "backlog": BacklogPayload,
}
VALUE_FIELDS: dict[str, tuple[str, ...]] = {
    feed: tuple(name for name in model.model_fields if name not in Payload.model_fields)
    for feed, model in PAYLOADS.items()
}


@dataclass(frozen=True, slots=True)
class Reading:
    """One accepted measurement from one source."""

    district: str
    feed: str
    source: str
    ts: datetime
    values: dict[str, Any]
    seq: int | None = None
    name: str | None = None
    lat: float | None = None  # the source's position (WGS 84), when it sent one
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A district IOC said it is online or offline."""

    district: str
    online: bool
    ts: datetime


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that is not stored as a reading, and why."""

    reason: Reason
    detail: str = ""
    district: str | None = None


def as_reading(district: str, feed: str, source: str, payload: Payload) -> Reading:
    """The reading a valid payload becomes (what ``validate`` returns for it)."""
    values = {name: getattr(payload, name) for name in VALUE_FIELDS[feed]}
    return Reading(
        district, feed, source, payload.ts, values, payload.seq, payload.name,
        payload.lat, payload.lon,
    )  # fmt: skip


def topic_for(district: str, feed: str, source: str) -> str:
    """Build a reading topic."""
    return f"{TOPIC_PREFIX}/{district}/{feed}/{source}"


def status_topic(district: str) -> str:
    """Build a district status topic."""
    return f"{TOPIC_PREFIX}/{district}/status"


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "payload"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {first['msg'].removeprefix('Value error, ')}{more}"[:300]


def unstorable(text: str) -> str | None:
    """Say why a string cannot be stored (a NUL or a lone surrogate), or None when it can."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "holds a NUL character (U+0000), which no store can keep"
    return f"holds a lone UTF-16 surrogate (U+{ord(char):04X}), which is not text"


def _find_unstorable(body: dict[str, Any]) -> str | None:
    """Find the first key or string value, at any depth, that no store can keep."""
    stack: list[tuple[str, object]] = [("", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            why = unstorable(value)
            if why:
                return f"{where or 'payload'}: {why}"
        elif isinstance(value, dict):
            for key, item in value.items():
                why = unstorable(key)
                if why:
                    return f"a key {why}"
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def _decode(payload: bytes, size: int | None = None) -> dict[str, Any] | Rejection:
    size = len(payload) if size is None else size
    if size > MAX_PAYLOAD_BYTES:
        return Rejection("too_large", f"{size} bytes, limit {MAX_PAYLOAD_BYTES}")
    try:
        body = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        return Rejection("bad_json", "not UTF-8")
    except (ValueError, RecursionError) as err:
        return Rejection("bad_json", f"not JSON: {str(err)[:120]}")
    if not isinstance(body, dict):
        return Rejection("bad_json", f"a JSON {type(body).__name__}, not an object")
    # UTF-8 cannot carry a lone surrogate and JSON no raw NUL: both arrive only as a
    # \u escape, so a payload without one needs no walk through its strings.
    why = _find_unstorable(body) if b"\\u" in payload else None
    if why:
        return Rejection("invalid_payload", why[:300])
    return body


def validate(
    topic: str | None,
    payload: bytes,
    *,
    districts: frozenset[str],
    now: datetime,
    size: int | None = None,
) -> Reading | StatusReport | Rejection:
    """Check one message against the contract; never raise.

    ``size`` is the payload's length as received, when ``payload`` holds only
    its head (the ingestor keeps no more of a message too large to accept).
    """
    match = TOPIC.match(topic) if topic else None
    if topic is None or match is None:
        return Rejection("bad_topic", "expected ioc/v1/{district}/{feed}/{source}")
    why = unstorable(topic)
    if why:
        return Rejection("bad_topic", f"the topic {why}")
    district, second, source = match.groups()
    if source is None and second != "status":
        return Rejection("bad_topic", "expected ioc/v1/{district}/status")
    if district not in districts:
        return Rejection("unknown_district", f"{district[:64]!r} is not in the area catalogue")
    if source is not None:
        if second not in FEEDS:
            return Rejection(
                "unknown_feed", f"{second[:64]!r}; feeds: {', '.join(FEEDS)}", district
            )
        if not SOURCE.match(source):
            return Rejection("bad_topic", "source must match [a-z0-9][a-z0-9_-]{0,63}", district)
    body = _decode(payload, size)
    if isinstance(body, Rejection):
        return Rejection(body.reason, body.detail, district)
    model = StatusPayload if source is None else PAYLOADS[second]
    try:
        parsed = model.model_validate(body)
    except ValidationError as err:
        return Rejection("invalid_payload", _describe(err), district)
    except (ValueError, TypeError, OverflowError) as err:  # defensive: odd numbers
        return Rejection("invalid_payload", str(err)[:300], district)
    if parsed.ts > now + FUTURE_TOLERANCE:
        ahead = (parsed.ts - now).total_seconds()
        return Rejection("future_timestamp", f"ts is {ahead:.0f} s ahead of the ingestor", district)
    if isinstance(parsed, StatusPayload):
        return StatusReport(district, parsed.online, parsed.ts)
    return as_reading(district, second, source, parsed)
