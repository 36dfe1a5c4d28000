"""Two briefing records compared: what got better or worse, per area and KPI, per metric, alarms."""

from __future__ import annotations

import math

from ioc.model.snapshot import (
    AreaChange,
    Comparison,
    JsonDict,
    KpiChange,
    MetricChange,
    Move,
    Verdict,
)
from ioc.model.wall import CITY
from ioc.services.kpis import KPI_FEEDS
from ioc.status import SEVERITY

# KPIs whose change is neither better nor worse, whatever direction the thresholds file
# gives (it needs one to judge a threshold): more vehicles is not a better city.
UNJUDGED = frozenset({"traffic_flow"})


def judged(kpi: JsonDict | None) -> float | None:
    """The figure a KPI's thresholds judge: its share where it has one, else its value."""
    if not kpi:
        return None
    share: float | None = kpi.get("share")
    if share is not None:
        return share
    value: float | None = kpi.get("value")
    return value


def _move(before: float | None, after: float | None, direction: str | None) -> Move:
    """better, worse, same, or unknown (a side has no value or the KPI has no direction)."""
    if before is None or after is None:
        return "unknown"
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-9):
        return "same"
    if direction is None:
        return "changed"
    up = after > before
    return "better" if up == (direction == "higher") else "worse"


def _kpi_rows(
    area: JsonDict, before: JsonDict, directions: dict[str, str | None]
) -> list[KpiChange]:
    """One row per KPI either record has for an area: both values, delta, move, statuses."""
    rows: list[KpiChange] = []
    for key in sorted(set(area["kpis"]) | set(before["kpis"]), key=list(KPI_FEEDS).index):
        a, b = area["kpis"].get(key), before["kpis"].get(key)
        value_a = a.get("value") if a else None
        value_b = b.get("value") if b else None
        rows.append(
            {
                "key": key,
                "before": value_b,
                "after": value_a,
                "delta": None if value_a is None or value_b is None else value_a - value_b,
                "judged_before": judged(b),
                "judged_after": judged(a),
                "move": _move(judged(b), judged(a), directions.get(key)),
                "status_before": b.get("status") if b else "no_data",
                "status_after": a.get("status") if a else "no_data",
            }
        )
    return rows


def _area_change(area: JsonDict, before: JsonDict, directions: dict[str, str | None]) -> AreaChange:
    """An area in both records: its KPI rows and whether it got better, worse or stayed."""
    rows = _kpi_rows(area, before, directions)
    better = sum(r["move"] == "better" for r in rows)
    worse = sum(r["move"] == "worse" for r in rows)
    rank_a, rank_b = SEVERITY[area["status"]], SEVERITY[before["status"]]
    if area["online"] is False:
        rank_a = SEVERITY["alarm"] + 1
    if before["online"] is False:
        rank_b = SEVERITY["alarm"] + 1
    verdict: Verdict
    if rank_a != rank_b:
        verdict = "better" if rank_a < rank_b else "worse"
    elif better != worse:
        verdict = "better" if better > worse else "worse"
    else:
        verdict = "same"
    return {
        "slug": area["slug"],
        "name_vi": area["name_vi"],
        "name_en": area["name_en"],
        "status_before": before["status"],
        "status_after": area["status"],
        "online_before": before["online"],
        "online_after": area["online"],
        "verdict": verdict,
        "better": better,
        "worse": worse,
        "kpis": rows,
        "status_changes": [r for r in rows if r["status_before"] != r["status_after"]],
    }


def _metric_changes(newer: JsonDict, older: JsonDict) -> list[MetricChange]:
    """Each database metric in both records: both values, delta, move, statuses."""
    old_metrics = {m["id"]: m for m in older.get("metrics", [])}
    metrics: list[MetricChange] = []
    for metric in newer.get("metrics", []):
        before = old_metrics.get(metric["id"])
        if before is None:
            continue
        a, b = metric.get("value"), before.get("value")
        metrics.append(
            {
                "id": metric["id"],
                "title": metric["title"],
                "unit": metric.get("unit"),
                "before": b,
                "after": a,
                "delta": None if a is None or b is None else a - b,
                "move": _move(b, a, (metric.get("thresholds") or {}).get("direction")),
                "status_before": before.get("status"),
                "status_after": metric.get("status"),
            }
        )
    return metrics


def _alarm_key(alarm: JsonDict) -> tuple[str, str, str]:
    return (alarm["district"], alarm["kind"], alarm["key"])


def compare(newer: JsonDict, older: JsonDict) -> Comparison:
    """What changed from ``older`` to ``newer``: per area and KPI, per metric, alarms.

    Each KPI row has both values, the delta of the value and of the judged figure,
    whether that is better or worse (by the thresholds' direction in the newer
    record) and both statuses. An area is better or worse by its worst status
    first, then by how many of its KPIs moved each way.
    """
    directions = {
        k: None if k in UNJUDGED else (t or {}).get("direction")
        for k, t in newer.get("thresholds", {}).items()
    }
    old_areas = {a["slug"]: a for a in [older["city"], *older["districts"]]}
    areas = [
        _area_change(area, old_areas[area["slug"]], directions)
        for area in [newer["city"], *newer["districts"]]
        if area["slug"] in old_areas
    ]
    old_alarms = {_alarm_key(a) for a in older.get("alarms", [])}
    new_alarms = {_alarm_key(a) for a in newer.get("alarms", [])}
    return {
        "newer": {"taken_at": newer["taken_at"], "title": newer.get("title", "")},
        "older": {"taken_at": older["taken_at"], "title": older.get("title", "")},
        "areas": areas,
        "better": [a["slug"] for a in areas if a["verdict"] == "better" and a["slug"] != CITY],
        "worse": [a["slug"] for a in areas if a["verdict"] == "worse" and a["slug"] != CITY],
        "metrics": _metric_changes(newer, older),
        "alarms_new": [a for a in newer.get("alarms", []) if _alarm_key(a) not in old_alarms],
        "alarms_cleared": [a for a in older.get("alarms", []) if _alarm_key(a) not in new_alarms],
    }
