"""Writes of the metric evaluator: each evaluation's values and the metric's state."""

from __future__ import annotations

from sqlalchemy import Connection

from ioc.model.metric import Outcome
from ioc.store.dialect import dialect_insert
from ioc.store.schema import metric_state, metric_values


def record_metric(conn: Connection, outcome: Outcome) -> None:
    """Keep one metric evaluation: its values when it succeeded, and the metric's state."""
    if outcome.error is None and outcome.values:
        statement = dialect_insert(conn, metric_values)
        conn.execute(
            statement.on_conflict_do_nothing(),
            [
                {"metric_id": outcome.metric_id, "district": district,
                 "evaluated_at": outcome.at, "value": value}
                for district, value in outcome.values.items()
            ],
        )  # fmt: skip
    state = {
        "metric_id": outcome.metric_id,
        "last_attempt_at": outcome.at,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }
    if outcome.error is None:
        state["last_success_at"] = outcome.at
    statement = dialect_insert(conn, metric_state)
    update = {k: statement.excluded[k] for k in state if k != "metric_id"}
    conn.execute(statement.on_conflict_do_update(index_elements=["metric_id"], set_=update), state)
