"""What the wall shows at one instant: the city and its districts, their KPIs, the alarms.

Plain data: ``ioc.services.wall`` builds a ``WallSnapshot`` once per refresh
interval; widgets turn it into scenes; the briefing keeps it as a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from ioc.i18n.format import local_name
from ioc.model.metric import MetricView
from ioc.status import SEVERITY, Status

CITY = "city"
# KPIs whose thresholds judge a percentage while the tile shows a count.
SHARE_KPIS = frozenset({"wifi_up", "backlog_overdue", "backlog_on_time"})


@dataclass(frozen=True)
class Kpi:
    """One tile's worth: a value, its status, its time and its recent trend."""

    key: str
    value: float | None
    status: Status
    as_of: datetime | None
    trend: tuple[float | None, ...] = ()
    total: float | None = None  # the whole a count is part of (access points up / total)
    share: float | None = None  # the percentage the thresholds judge, when not the value
    limits: tuple[float | None, float | None] = (None, None)  # (warn, alarm) from kpis.toml


@dataclass(frozen=True)
class AreaState:
    """The city or one district: presence, KPIs, worst status."""

    slug: str
    name_vi: str
    name_en: str
    online: bool | None
    online_since: datetime | None
    kpis: dict[str, Kpi]
    status: Status
    figures: dict[str, float | None] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        """Return the display name in a language."""
        return local_name(self, lang)


@dataclass(frozen=True)
class Alarm:
    """One line of the ticker: a KPI past a threshold, an offline IOC or a stale feed."""

    district: str
    kind: str  # "kpi", "offline" or "stale"
    key: str  # the KPI or the feed
    status: Status
    value: float | None = None
    since: datetime | None = None

    @property
    def severity(self) -> int:
        """Order: alarms and offline IOCs first, then warnings, then stale feeds."""
        return SEVERITY["alarm"] if self.kind == "offline" else SEVERITY[self.status]


class Congested(TypedDict):
    """One of the slowest traffic points now."""

    district: str
    name: str
    speed_kmh: float | None
    occupancy: float | None
    status: Status
    as_of: datetime


class ApDown(TypedDict):
    """An access point reporting down now, and since when."""

    district: str
    name: str
    since: datetime


@dataclass(frozen=True)
class WallSnapshot:
    """Everything every scene needs, for one instant."""

    now: datetime
    city: AreaState
    districts: tuple[AreaState, ...]
    alarms: tuple[Alarm, ...]
    traffic_today: tuple[float | None, ...]  # city vehicles/min per local hour 0..23
    traffic_usual: tuple[float | None, ...]
    congested: tuple[Congested, ...]
    aps_down: tuple[ApDown, ...]
    wifi_down_hours: tuple[tuple[datetime, float], ...]  # (hour start, mean APs down)
    metrics: tuple[MetricView, ...] = ()  # database metrics, as the evaluator stored them

    def district(self, slug: str) -> AreaState | None:
        """Return one district's state, or None."""
        return next((d for d in self.districts if d.slug == slug), None)
