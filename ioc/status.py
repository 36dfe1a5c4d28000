"""The one status rule: ok / warn / alarm from thresholds; stale and no_data beat every colour.

A value with a target but no warn or alarm is ``neutral``, and so is one short of its
target but not past warn: it is shown against its target ("6 / mục tiêu 5") in a
neutral colour, never as a green "ok"; ok needs the target met (or no target).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "alarm", "stale", "no_data", "neutral"]
# Worst first: a district's colour on the map is its worst feed's status.
# neutral (judged against a target only) raises nothing: below ok.
SEVERITY: dict[str, int] = {
    "alarm": 4, "warn": 3, "stale": 2, "no_data": 1, "ok": 0, "neutral": -1,
}  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """When a value is worth a look (warn) or an alarm, and which way is better."""

    direction: Literal["higher", "lower"]
    warn: float | None = None
    alarm: float | None = None
    target: float | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ValueError("direction must be 'higher' or 'lower'")
        if self.warn is not None and self.alarm is not None:
            # higher is better: alarm below warn; lower is better: alarm above warn.
            ordered = (
                self.alarm <= self.warn if self.direction == "higher" else (self.alarm >= self.warn)
            )
            if not ordered:
                better = "below" if self.direction == "higher" else "above"
                raise ValueError(
                    f"alarm must be {better} or at warn when {self.direction} is better"
                )

    def breached(self, value: float, limit: float | None) -> bool:
        """Tell whether a value is on the bad side of a limit."""
        if limit is None:
            return False
        return value < limit if self.direction == "higher" else value > limit


def status_of(value: float | None, thresholds: Thresholds | None, *, stale: bool) -> Status:
    """Compute a value's status; stale beats every colour, and no value is no_data."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "stale" if stale else "no_data"
    if stale:
        return "stale"
    if thresholds is None:
        return "ok"
    if thresholds.breached(value, thresholds.alarm):
        return "alarm"
    if thresholds.breached(value, thresholds.warn):
        return "warn"
    if thresholds.breached(value, thresholds.target):
        return "neutral"  # short of its target: not "normal", whatever the thresholds say
    if thresholds.warn is None and thresholds.alarm is None and thresholds.target is not None:
        return "neutral"  # a target alone says nothing of good or bad
    return "ok"


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe of several statuses (no_data when there are none)."""
    return max(statuses, key=SEVERITY.__getitem__, default="no_data")
