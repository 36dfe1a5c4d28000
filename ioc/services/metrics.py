"""Database metrics as pages see them: stored values with status, staleness and errors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ioc.model.metric import Catalogue, MetricView
from ioc.status import Status, status_of, worst
from ioc.store import queries

CITY = ""


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
        catalogue = self.catalogue
        if catalogue is None or not catalogue.metrics:  # not self.enabled
            return []
        with self.engine.connect() as conn:
            states = queries.metric_states(conn)
            values = queries.metric_latest_values(conn, states)
        views = []
        for metric in catalogue.metrics:
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
            status: Status
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


def _worst_or_none(statuses: list[Status]) -> Status:
    return worst(statuses) if statuses else "no_data"
