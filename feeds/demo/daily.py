"""Simulate a district's daily public-service applications and hotline reports (DEMO data).

The demo warehouse's service_daily and hotline_daily rows, shaped by Can Tho's public
figures: applications about 99.8 % resolved on time and 63 % submitted online, and
about 2,900 hotline 1022 reports a year of which about 96 % are resolved.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import date

from ioc.areas import Area

URBAN_KINDS = frozenset({"quan", "phuong"})
CITY_CENTRE = "ninh-kieu"  # the densest district gets twice a typical urban load
# Applications per working day at one district's one-stop desk and portal.
URBAN_INTAKE, RURAL_INTAKE = (45.0, 70.0), (20.0, 32.0)
# Monday brings the weekend's questions; at the weekend only the portal takes applications.
WEEKDAY_LOAD = (1.15, 1.05, 1.0, 1.0, 0.9, 0.12, 0.08)
# A working day resolves about a third of what is open: the backlog holds ~3 days of intake.
RESOLVE_RATE = (0.26, 0.36)
URBAN_ONLINE, RURAL_ONLINE = 0.65, 0.51  # weekday shares; with all-online weekends ≈ 63 % a year
LATE_SHARE = (0.001, 0.003)  # resolved late: 99.86 % on time at the Public Service Centre
# Hotline 1022 reports per working day; about 2,917 a year city-wide.
URBAN_REPORTS, RURAL_REPORTS = (1.0, 1.4), (0.5, 0.8)
WEEKEND_REPORTS = 0.4  # the hotline answers at the weekend, fewer people call
REPORTS_RESOLVED = 0.96  # of a report's cohort, in the end; 95.92 % over 2023 with recent ones
REPORT_TAU_DAYS = 3.0  # most reports are settled within a few days
REPORT_DEADLINE_DAYS = 15  # assumed: about ten working days, then an open report is overdue

# service_daily: district, day, received, resolved_on_time, resolved_late, pending,
# submitted_online; hotline_daily: district, day, received, resolved, overdue.
ServiceRow = tuple[str, str, int, int, int, int, int]
HotlineRow = tuple[str, str, int, int, int]


def service_rows(area: Area, days: Sequence[date], rng: random.Random) -> Iterator[ServiceRow]:
    """Simulate a district's applications day by day; pending carries the backlog over."""
    urban = area.kind in URBAN_KINDS
    intake = rng.uniform(*(URBAN_INTAKE if urban else RURAL_INTAKE))
    intake *= 2 if area.slug == CITY_CENTRE else 1
    online_share = (URBAN_ONLINE if urban else RURAL_ONLINE) + rng.uniform(-0.02, 0.02)
    late_share = rng.uniform(*LATE_SHARE)
    # Start from a settled backlog, so the first weeks are no ramp up from zero.
    pending = round(intake * 3)
    for day in days:
        working = day.weekday() < 5
        received = _poisson(rng, intake * WEEKDAY_LOAD[day.weekday()])
        online = _binomial(rng, received, online_share) if working else received
        resolved = round((pending + received) * rng.uniform(*RESOLVE_RATE)) if working else 0
        late = _binomial(rng, resolved, late_share)
        pending += received - resolved
        yield area.slug, day.isoformat(), received, resolved - late, late, pending, online


def hotline_rows(
    area: Area, days: Sequence[date], rng: random.Random, *, today: date
) -> Iterator[HotlineRow]:
    """Simulate a district's hotline reports; each row follows the reports received that day.

    resolved and overdue are as of today: recent reports are still being handled, and
    those open past the deadline are overdue.
    """
    urban = area.kind in URBAN_KINDS
    per_day = rng.uniform(*(URBAN_REPORTS if urban else RURAL_REPORTS))
    per_day *= 2 if area.slug == CITY_CENTRE else 1
    for day in days:
        age = (today - day).days
        received = _poisson(rng, per_day * (1.0 if day.weekday() < 5 else WEEKEND_REPORTS))
        share = REPORTS_RESOLVED * (1 - math.exp(-(age + 1) / REPORT_TAU_DAYS))
        resolved = _binomial(rng, received, share)
        overdue = received - resolved if age > REPORT_DEADLINE_DAYS else 0
        yield area.slug, day.isoformat(), received, resolved, overdue


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw a count with this mean: Knuth's method when small, a normal approximation above."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _binomial(rng: random.Random, trials: int, share: float) -> int:
    """Count successes among trials; exact, and cheap at a few hundred a day."""
    return sum(rng.random() < share for _ in range(trials))
