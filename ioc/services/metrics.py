"""Database metrics as pages see them: stored values with status, staleness and errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine

from ioc.clock import iso
from ioc.metrics.catalogue import Catalogue, Metric
from ioc.status import Status, status_of, worst
from ioc.store import queries

CITY = ""


@dataclass(frozen=True)
class MetricView:
    """One metric now: the city value (or none, when broken down), per-district values, state."""

    metric: Metric
    value: float | None
    status: Status
    as_of: datetime | None  # the last successful evaluation
    error: str | None  # the last attempt's error, if it failed
    districts: dict[str, tuple[float | None, Status]] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The API's shape."""
        metric = self.metric
        return {
            "id": metric.id,
            "title": {"vi": metric.title_vi, "en": metric.title_en},
            "unit": metric.unit,
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
            status = _worst_or_none([s for _v, s in districts.values()])
        return replace(self, value=None, status=status, districts=districts)


class MetricsService:
    """Reads what the evaluator stored; never runs warehouse SQL itself."""

    def __init__(self, engine: Engine, catalogue: Catalogue | None, stale_factor: float) -> None:
        self.engine = engine
        self.catalogue = catalogue
        self.stale_factor = stale_factor

    @property
    def enabled(self) -> bool:
        """Whether a catalogue with metrics is configured."""
        return bool(self.catalogue and self.catalogue.metrics)

    def current(self, now: datetime) -> list[MetricView]:
        """Every metric's newest stored values, judged now."""
        if not self.enabled:
            return []
        with self.engine.connect() as conn:
            states = queries.metric_states(conn)
            values = queries.metric_latest_values(conn, states)
        views = []
        for metric in self.catalogue.metrics:
            state = states.get(metric.id)
            success = state.last_success_at if state else None
            # Stale: no successful evaluation within 3 x its refresh (IOC_STALE_FACTOR).
            stale = success is None or (now - success).total_seconds() > (
                self.stale_factor * metric.refresh_s
            )
            stored = values.get(metric.id, {})
            city = stored.get(CITY)
            per_district = {
                slug: (value, status_of(value, metric.thresholds, stale=stale))
                for slug, value in stored.items()
                if slug != CITY
            }
            if metric.by_district:
                status = (
                    "stale"
                    if stale and state is not None
                    else _worst_or_none([s for _v, s in per_district.values()])
                )
            else:
                status = status_of(city, metric.thresholds, stale=stale and state is not None)
            error = state.error if state else None
            views.append(MetricView(metric, city, status, success, error, per_district))
        return views


def _worst_or_none(statuses: list[str]) -> Status:
    return worst(statuses) if statuses else "no_data"
