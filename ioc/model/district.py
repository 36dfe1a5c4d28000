"""What a district page shows for one view: headline KPIs, named tables, one source's detail.

Plain data: ``ioc.services.district`` builds a ``DistrictReport``; the page's
widgets, its CSV exports and the JSON API all read the same ``Table``s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypedDict

from ioc.clock import iso
from ioc.district_view import DistrictView
from ioc.i18n.format import local_name
from ioc.model.wall import SHARE_KPIS
from ioc.status import Status


@dataclass(frozen=True)
class Column:
    """One column of a table: its key, its heading (an i18n key) and how to show it."""

    key: str
    label: str
    kind: str = "text"  # text, int, num1, num2, pct, time, date, hour, status, bool, link


@dataclass(frozen=True)
class Table:
    """Named columns and plain rows: one grid, chart or CSV file of a district page."""

    key: str
    columns: tuple[Column, ...]
    rows: Sequence[Mapping[str, object]]  # one of the row shapes below, by the table's key

    def as_json(self) -> dict[str, object]:
        """The API's shape: columns and rows, times in RFC 3339 UTC."""
        return {
            "columns": [c.key for c in self.columns],
            "rows": [{k: _jsonable(v) for k, v in row.items()} for row in self.rows],
        }


def _jsonable(value: object) -> object:
    """A cell as JSON holds it: times in RFC 3339 UTC, floats to three places."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


@dataclass(frozen=True)
class HeaderKpi:
    """One headline KPI of the district beside the median of every district."""

    key: str
    value: float | None
    share: float | None
    status: Status
    as_of: datetime | None
    median: float | None  # of the judged figure (the share where there is one)
    total: float | None = None

    @property
    def judged(self) -> float | None:
        """The figure the thresholds and the median speak of."""
        return self.share if self.key in SHARE_KPIS else self.value

    def as_json(self) -> dict[str, object]:
        """The API's shape."""
        return {
            "key": self.key,
            "value": self.value,
            "share": None if self.share is None else round(self.share, 3),
            "status": self.status,
            "as_of": iso(self.as_of),
            "city_median": None if self.median is None else round(self.median, 3),
            "total": self.total,
        }


@dataclass(frozen=True)
class SourceDetail:
    """One source: its newest reading, its history over the range, the messages refused."""

    feed: str
    source: str
    name: str
    topic: str
    latest: Mapping[str, object] | None  # the reading's time, sequence, staleness and values
    history: Table
    rejected: int
    rejections: Table

    def as_json(self) -> dict[str, object]:
        """The API's shape."""
        latest = None
        if self.latest is not None:
            latest = {k: _jsonable(v) for k, v in self.latest.items()}
        return {
            "feed": self.feed,
            "source": self.source,
            "name": self.name,
            "topic": self.topic,
            "latest": latest,
            "history": self.history.as_json(),
            "rejected": self.rejected,
            "rejections": self.rejections.as_json(),
        }


@dataclass(frozen=True)
class DistrictReport:
    """Everything one district page shows for one view."""

    view: DistrictView
    now: datetime
    name_vi: str
    name_en: str
    online: bool | None
    online_since: datetime | None
    status: Status
    kpis: tuple[HeaderKpi, ...]
    tables: dict[str, Table] = field(default_factory=dict)
    source: SourceDetail | None = None
    source_missing: bool = False  # the URL named a source this district does not have
    # Each tab's worst headline status (``tab_statuses``): shown on the tab, and the
    # tab a page opens on when its URL names none.
    tab_status: Mapping[str, Status] = field(default_factory=dict)
    # Where the tab's sources are (lat, lon, WGS 84), for those whose feed says so.
    positions: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        """The district's name in a language."""
        return local_name(self, lang)

    def kpi(self, key: str) -> HeaderKpi | None:
        """One headline KPI, or None."""
        return next((k for k in self.kpis if k.key == key), None)

    def as_json(self) -> dict[str, object]:
        """The API's shape: the same numbers the page shows."""
        view = self.view
        return {
            "district": view.slug,
            "name": {"vi": self.name_vi, "en": self.name_en},
            "online": self.online,
            "online_since": iso(self.online_since),
            "status": self.status,
            "now": iso(self.now),
            "tab": view.tab,
            "tab_status": dict(self.tab_status),
            "positions": {k: {"lat": v[0], "lon": v[1]} for k, v in self.positions.items()},
            "range": {"key": view.range, "since": iso(view.since), "until": iso(view.until)},
            "kpis": [k.as_json() for k in self.kpis],
            "tables": {key: table.as_json() for key, table in self.tables.items()},
            "source": None if self.source is None else self.source.as_json(),
            "notices": list(view.notices),
        }


# --- rows: what each table's rows hold (times UTC; flow in vehicles/min; shares in %) -------


class CameraRow(TypedDict):
    """A camera of the traffic tab: now, its means over the range, its reports."""

    source: str
    name: str
    flow: float | None
    speed: float | None
    occupancy: float | None
    status: Status
    as_of: datetime
    flow_avg: float | None
    speed_avg: float | None
    occupancy_avg: float | None
    reports: int


class TrafficPoint(TypedDict):
    """The district's flow and mean speed over one bucket of the range."""

    time: datetime
    flow: float | None
    speed: float | None
    reports: int


class HeatCell(TypedDict):
    """Mean speed and flow over one local hour of one local day."""

    date: str  # ISO date
    hour: int
    speed: float | None
    flow: float | None


class AccessPointRow(TypedDict):
    """An access point of the wifi tab: its state, since when, its uptime over the range."""

    source: str
    name: str
    state: Literal["up", "down", "stale"]
    status: Status
    since: datetime
    for_min: float
    uptime: float | None
    clients: int | None
    as_of: datetime


class OutageRow(TypedDict):
    """One down period of one access point."""

    source: str
    name: str
    start: datetime
    end: datetime
    down_min: float


class WifiPoint(TypedDict):
    """The share of "up" reports over one bucket of the range."""

    time: datetime
    up_pct: float | None
    reports: int


class DeskRow(TypedDict):
    """A desk of the services tab: its backlog now and today's intake."""

    source: str
    name: str
    pending: int
    overdue: int
    overdue_pct: float | None
    received_today: int | None
    resolved_today: int | None
    on_time_pct: float | None
    status: Status
    as_of: datetime


class PendingPoint(TypedDict):
    """Pending and overdue applications over one hour, summed over desks."""

    time: datetime
    pending: float | None
    overdue: float | None
    desks: int


class IntakeRow(TypedDict):
    """Applications received and resolved over one local day or hour."""

    period: datetime
    received: int
    resolved: int
    on_time_pct: float | None


class MetricRow(TypedDict):
    """A database metric: this district's value beside every district's median."""

    metric: str
    title: dict[str, str]  # by language
    unit: dict[str, str]  # by language
    value: float | None
    status: Status
    median: float | None
    rank: int | None
    of: int
    as_of: datetime | None
    error: str | None


class TrafficHistoryRow(TypedDict):
    """A camera's reading, or one hour of its readings."""

    time: datetime
    vehicles: int
    flow: float | None
    speed: float | None
    occupancy: float | None


class WifiHistoryRow(TypedDict):
    """An access point's report, or one hour of its reports."""

    time: datetime
    up: bool
    up_pct: float | None
    clients: float | None  # a count, or the mean count over an hour


class BacklogHistoryRow(TypedDict):
    """A desk's report, or one hour of its reports (backlog as the hour's mean)."""

    time: datetime
    pending: float | None
    overdue: float | None
    received_today: int | None
    resolved_today: int | None


HistoryRow = TrafficHistoryRow | WifiHistoryRow | BacklogHistoryRow


class RejectionRow(TypedDict):
    """A message of the source the ingestor refused."""

    received_at: datetime
    reason: str
    detail: str
    payload: str  # its start, as text


# --- columns ----------------------------------------------------------------------------

C = Column
TRAFFIC_SOURCE_COLUMNS = (
    C("name", "col_camera", "link"), C("source", "col_source"),
    C("flow", "col_flow_now", "num1"), C("speed", "col_speed_now", "num1"),
    C("occupancy", "col_occupancy", "num1"), C("status", "col_status", "status"),
    C("as_of", "col_as_of", "time"), C("flow_avg", "col_flow_avg", "num1"),
    C("speed_avg", "col_speed_avg", "num1"), C("occupancy_avg", "col_occupancy_avg", "num1"),
    C("reports", "col_reports", "int"),
)  # fmt: skip
TRAFFIC_WORST_COLUMNS = (
    C("name", "col_camera", "link"), C("speed_avg", "col_speed_avg", "num1"),
    C("flow_avg", "col_flow_avg", "num1"), C("occupancy_avg", "col_occupancy_avg", "num1"),
)  # fmt: skip
TRAFFIC_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("flow", "col_flow", "num1"),
    C("speed", "col_speed", "num1"), C("reports", "col_reports", "int"),
)  # fmt: skip
HEATMAP_COLUMNS = (
    C("date", "col_date", "date"), C("hour", "col_hour", "hour"),
    C("speed", "col_speed", "num1"), C("flow", "col_flow", "num1"),
)  # fmt: skip
WIFI_AP_COLUMNS = (
    C("name", "col_ap", "link"), C("source", "col_source"), C("state", "col_state", "state"),
    C("since", "col_state_since", "time"), C("for_min", "col_for", "duration"),
    C("uptime", "col_uptime_range", "num1"), C("clients", "col_clients", "int"),
    C("as_of", "col_as_of", "time"),
)  # fmt: skip
WIFI_DOWN_COLUMNS = (
    C("name", "col_ap", "link"), C("since", "col_down_since", "time"),
    C("for_min", "col_for", "duration"),
)  # fmt: skip
OUTAGE_COLUMNS = (
    C("name", "col_ap"), C("source", "col_source"), C("start", "col_start", "time"),
    C("end", "col_end", "time"), C("down_min", "col_down_min", "num1"),
)  # fmt: skip
WIFI_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("up_pct", "col_up_pct", "num1"),
    C("reports", "col_reports", "int"),
)  # fmt: skip
DESK_COLUMNS = (
    C("name", "col_desk", "link"), C("source", "col_source"), C("pending", "col_pending", "int"),
    C("overdue", "col_overdue", "int"), C("overdue_pct", "col_overdue_pct", "num1"),
    C("received_today", "col_received_today", "int"),
    C("resolved_today", "col_resolved_today", "int"),
    C("on_time_pct", "col_on_time_pct", "num1"), C("status", "col_status", "status"),
    C("as_of", "col_as_of", "time"),
)  # fmt: skip
SERVICES_SERIES_COLUMNS = (
    C("time", "col_time", "time"), C("pending", "col_pending", "num1"),
    C("overdue", "col_overdue", "num1"), C("desks", "col_desks", "int"),
)  # fmt: skip
INTAKE_COLUMNS = (
    C("period", "col_period", "time"), C("received", "col_received", "int"),
    C("resolved", "col_resolved", "int"), C("on_time_pct", "col_on_time_pct", "num1"),
)  # fmt: skip
METRIC_COLUMNS = (
    C("title", "col_metric", "i18n"), C("value", "col_value", "num2"),
    C("unit", "col_unit", "i18n"), C("median", "col_median", "num2"), C("rank", "col_rank", "rank"),
    C("status", "col_status", "status"), C("as_of", "col_as_of", "time"),
)  # fmt: skip
HISTORY_COLUMNS = {
    "traffic": (
        C("time", "col_time", "time"), C("vehicles", "col_vehicles", "int"),
        C("flow", "col_flow", "num1"), C("speed", "col_speed", "num1"),
        C("occupancy", "col_occupancy", "num1"),
    ),
    "wifi": (
        C("time", "col_time", "time"), C("up_pct", "col_up_pct", "num1"),
        C("clients", "col_clients", "num1"),
    ),
    "backlog": (
        C("time", "col_time", "time"), C("pending", "col_pending", "num1"),
        C("overdue", "col_overdue", "num1"), C("received_today", "col_received_today", "int"),
        C("resolved_today", "col_resolved_today", "int"),
    ),
}  # fmt: skip
REJECTION_COLUMNS = (
    C("received_at", "col_received_at", "time"), C("reason", "col_reason"),
    C("detail", "col_detail"), C("payload", "col_payload"),
)  # fmt: skip
