"""Run declared metrics read-only, on their schedule, and keep their values in the store.

Each database gets its own engine and pool that cannot write (readonly.py: one
statement per metric, in a read-only transaction, the connection discarded after
an error), with a statement timeout. Whatever goes wrong (SQL error, a refused
statement, timeout, unreachable database, a result of the wrong shape) becomes
the metric's error state; the evaluator never stops for it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, RowMapping, text
from sqlalchemy.exc import SQLAlchemyError

from ioc import telemetry
from ioc.clock import LOCAL_TZ
from ioc.metrics.readonly import read_only_engine, read_rows
from ioc.model.metric import Catalogue, Metric, Outcome
from ioc.store.metric_writes import record_metric

log = logging.getLogger(__name__)
CITY = ""  # the district key of a city-wide value


def parameters(metric: Metric, now: datetime, district: str | None = None) -> dict[str, str]:
    """The bound parameters: local dates as ISO text; the metric's window."""
    today: date = now.astimezone(LOCAL_TZ).date()
    values = {
        "today": today.isoformat(),
        "until": today.isoformat(),
        "since": (today - timedelta(days=metric.window_days)).isoformat(),
    }
    if district is not None:
        values["district"] = district
    return values


class MetricRunner:
    """Evaluates metrics against their databases (one engine each)."""

    def __init__(self, catalogue: Catalogue, districts: frozenset[str]) -> None:
        self.catalogue = catalogue
        self.districts = districts
        self._engines: dict[str, Engine] = {}

    def engine(self, name: str) -> Engine:
        """The read-only engine of a database, made on first use."""
        if name not in self._engines:
            self._engines[name] = read_only_engine(self.catalogue.databases[name])
        return self._engines[name]

    def evaluate(self, metric: Metric, now: datetime) -> Outcome:
        """Run one metric; any failure is returned as its error, never raised."""
        started = time.perf_counter()
        try:
            rows = self._run(metric, now)
            values = self._shape(metric, rows)
            error = None
        except (SQLAlchemyError, ValueError, TypeError, OSError) as err:
            values, error = {}, _describe(err)
            log.warning("metric %s failed: %s", metric.id, error)
        seconds = time.perf_counter() - started
        telemetry.METRIC_EVALUATION.labels(metric.id).observe(seconds)
        if error is not None:
            telemetry.METRIC_ERRORS.labels(metric.id).inc()
        return Outcome(metric.id, now, values, error, 1000 * seconds)

    def _run(self, metric: Metric, now: datetime) -> list[RowMapping]:
        engine = self.engine(metric.database)
        timeout = self.catalogue.databases[metric.database].timeout_s
        used = set(text(metric.sql).compile().params)
        bound: dict[str, str | None] = {
            k: v for k, v in parameters(metric, now).items() if k in used
        }
        if "district" in used:
            bound["district"] = None  # all districts; a drill-down binds one
        return read_rows(engine, metric.sql, bound, timeout)

    def _shape(self, metric: Metric, rows: list[RowMapping]) -> dict[str, float | None]:
        if metric.by_district:
            values: dict[str, float | None] = {}
            for row in rows:
                if "district" not in row or "value" not in row:
                    raise ValueError("the SQL must return columns district and value")
                if row["district"] not in self.districts:
                    raise ValueError(
                        f"unknown district {str(row['district'])[:40]!r} in the result"
                    )
                values[row["district"]] = _numeric(row["value"])
            return values
        if len(rows) != 1 or "value" not in rows[0]:
            raise ValueError(
                f"the SQL must return one row with a value column, not {len(rows)} rows"
            )
        return {CITY: _numeric(rows[0]["value"])}

    def dispose(self) -> None:
        """Close every pool."""
        for engine in self._engines.values():
            engine.dispose()


def _numeric(value: Any) -> float | None:
    # Any: whatever the warehouse's driver returns; float() decides what is a number.
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("the value must be a number, not a boolean")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the value must be a number, not {str(value)[:40]!r}") from None


def _describe(err: Exception) -> str:
    cause = err.__cause__ or getattr(err, "orig", None) or err
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if "interrupted" in message.lower() or "statement timeout" in message.lower():
        message = f"timed out ({message})"
    return message[:480]


def store_outcome(engine: Engine, outcome: Outcome) -> None:
    """Keep an evaluation: its values (when it succeeded) and the metric's state."""
    with engine.begin() as conn:
        record_metric(conn, outcome)


class MetricEvaluator:
    """Runs every metric when it is due, in a background thread, until stopped."""

    def __init__(self, catalogue: Catalogue, store: Engine, districts: frozenset[str]) -> None:
        self.runner = MetricRunner(catalogue, districts)
        self.store = store
        self.catalogue = catalogue
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now_monotonic: float | None = None) -> list[Outcome]:
        """Evaluate every metric that is due now; return what ran."""
        clock = time.monotonic() if now_monotonic is None else now_monotonic
        done = []
        for metric in self.catalogue.metrics:
            if self._stop.is_set():
                break
            if self._due.get(metric.id, 0.0) > clock:
                continue
            outcome = self.runner.evaluate(metric, datetime.now(UTC))
            try:
                store_outcome(self.store, outcome)
            except SQLAlchemyError as err:
                log.warning("cannot store metric %s: %s", metric.id, _describe(err))
            self._due[metric.id] = clock + metric.refresh_s
            done.append(outcome)
        return done

    def start(self) -> None:
        """Evaluate in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="metric-evaluator", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(1.0)

    def stop(self) -> None:
        """Stop after the metric being evaluated."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        self.runner.dispose()
