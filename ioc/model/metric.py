"""Database metrics as declared (a catalogue of SQL databases and metrics), evaluated, and shown.

Plain data: ``ioc.metrics.catalogue`` reads the declarations from TOML,
``ioc.metrics.evaluate`` gives each evaluation's outcome to the store,
``ioc.services.metrics`` makes the views, widgets draw them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ioc.clock import iso
from ioc.status import Status, Thresholds, worst


@dataclass(frozen=True)
class Database:
    """A named SQL database that metrics read from."""

    name: str
    url: str
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Metric:
    """One declared metric."""

    id: str
    title_vi: str
    title_en: str
    database: str
    sql: str
    thresholds: Thresholds
    refresh_s: int
    unit: str = ""
    digits: int = 0
    window_days: int = 30
    by_district: bool = False
    demo: bool = False
    unit_en: str = ""  # the English unit; ``unit`` is the Vietnamese one

    def title(self, lang: str) -> str:
        """Return the title in a language."""
        return self.title_vi if lang == "vi" else self.title_en

    def unit_in(self, lang: str) -> str:
        """Return the unit in a language (English falls back to the Vietnamese unit)."""
        return self.unit_en or self.unit if lang == "en" else self.unit


@dataclass(frozen=True)
class Catalogue:
    """Databases and metrics, in file order."""

    databases: dict[str, Database]
    metrics: tuple[Metric, ...]

    def get(self, metric_id: str) -> Metric | None:
        """Return a metric by id, or None."""
        return next((m for m in self.metrics if m.id == metric_id), None)


@dataclass(frozen=True)
class Outcome:
    """One evaluation: values per district ("" for the city), or why there are none."""

    metric_id: str
    at: datetime
    values: dict[str, float | None]
    error: str | None
    duration_ms: float


@dataclass(frozen=True)
class MetricView:
    """One metric now: the city value (or none, when broken down), per-district values, state."""

    metric: Metric
    value: float | None
    status: Status
    as_of: datetime | None  # the last successful evaluation
    error: str | None  # the last attempt's error, if it failed
    districts: dict[str, tuple[float | None, Status]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The API's shape."""
        metric = self.metric
        return {
            "id": metric.id,
            "title": {"vi": metric.title_vi, "en": metric.title_en},
            "unit": metric.unit,
            "units": {"vi": metric.unit, "en": metric.unit_in("en")},
            "by_district": metric.by_district,
            "value": self.value,
            "status": self.status,
            "as_of": iso(self.as_of),
            "error": self.error,
            "demo": metric.demo,
            "thresholds": {
                "direction": metric.thresholds.direction,
                "target": metric.thresholds.target,
                "warn": metric.thresholds.warn,
                "alarm": metric.thresholds.alarm,
            },
            "districts": {
                slug: {"value": value, "status": status}
                for slug, (value, status) in self.districts.items()
            },
        }

    def within(self, allows: Callable[[str], bool] | None) -> MetricView:
        """The metric as a viewer limited to some districts sees it (``allows``; None: all).

        Per-district values outside are dropped. A metric broken down by district
        keeps no city value, and its status is the worst of the districts kept.
        """
        if allows is None:
            return self
        districts = {slug: v for slug, v in self.districts.items() if allows(slug)}
        if not self.metric.by_district:
            return replace(self, districts=districts)
        status = self.status
        if status != "stale":
            status = worst([s for _v, s in districts.values()]) if districts else "no_data"
        return replace(self, value=None, status=status, districts=districts)
