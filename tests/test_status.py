"""The one status rule: thresholds by direction; stale and no_data beat every colour."""

from __future__ import annotations

import pytest

from ioc.status import Thresholds, status_of, worst

SPEED = Thresholds("higher", warn=25, alarm=15)  # km/h: lower is worse
OVERDUE = Thresholds("lower", warn=3, alarm=8)  # % overdue: higher is worse


@pytest.mark.parametrize(
    ("value", "thresholds", "stale", "expected"),
    [
        (40, SPEED, False, "ok"),
        (25, SPEED, False, "ok"),  # at the limit is not a breach
        (24.9, SPEED, False, "warn"),
        (15, SPEED, False, "warn"),
        (14, SPEED, False, "alarm"),
        (2, OVERDUE, False, "ok"),
        (3.5, OVERDUE, False, "warn"),
        (9, OVERDUE, False, "alarm"),
        (9, OVERDUE, True, "stale"),  # stale beats every colour
        (None, OVERDUE, False, "no_data"),
        (None, OVERDUE, True, "stale"),
        (float("nan"), SPEED, False, "no_data"),
        (123, None, False, "ok"),
        (5, Thresholds("lower", alarm=4), False, "alarm"),
    ],
)
def test_status_of(value, thresholds, stale, expected):
    assert status_of(value, thresholds, stale=stale) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "up"}, "direction"),
        ({"direction": "higher", "warn": 10, "alarm": 20}, "alarm must be below"),
        ({"direction": "lower", "warn": 10, "alarm": 5}, "alarm must be above"),
    ],
)
def test_inconsistent_thresholds_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Thresholds(**kwargs)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["ok", "warn", "stale"], "warn"),
        (["ok", "stale"], "stale"),
        (["alarm", "warn"], "alarm"),
        (["ok"], "ok"),
        ([], "no_data"),
    ],
)
def test_worst(statuses, expected):
    assert worst(statuses) == expected
