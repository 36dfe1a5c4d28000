"""The record of a briefing snapshot: the wall's (and a district page's) state as plain JSON.

A snapshot is taken from the same wall snapshot the video wall shows (and, for a
district, the same report its page shows for the last 24 hours), turned into
plain JSON (times as RFC 3339 UTC text) and stored once. Everything shown later,
on the page, in the HTML file or the PDF, is rendered from that record alone:
no query of live data, so changed or pruned readings never change a briefing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ioc.clock import utc_text
from ioc.district_view import parse_view
from ioc.model.snapshot import CITY_SCOPE, JsonDict
from ioc.model.wall import SHARE_KPIS, AreaState, WallSnapshot
from ioc.services.alarms import AlarmService
from ioc.services.district import DistrictService
from ioc.services.kpis import KPI_FEEDS, KpiCatalogue
from ioc.status import worst

RECORD_VERSION = 1  # still 1: fields added since (alarm_log) are optional, old records render
# The period counted when there is no earlier briefing of the scope.
FIRST_PERIOD = timedelta(hours=24)
# The district page tables a district snapshot keeps (its 24-hour view).
DISTRICT_TABLES = (
    "traffic_series", "traffic_worst", "wifi_down", "wifi_series",
    "services_desks", "services_series", "services_metrics",
)  # fmt: skip


def plain(value: Any) -> Any:
    """Turn dataclasses, tuples, times and non-finite floats into plain JSON values."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _area(area: AreaState) -> JsonDict:
    return {
        "slug": area.slug,
        "name_vi": area.name_vi,
        "name_en": area.name_en,
        "online": area.online,
        "online_since": utc_text(area.online_since),
        "status": area.status,
        "kpis": {key: plain(kpi) for key, kpi in area.kpis.items()},
        "figures": plain(area.figures),
    }


def record_of(
    snap: WallSnapshot,
    kpis: KpiCatalogue,
    *,
    scope: str,
    taken_by: str,
    trigger: str,
    title: str,
    note: str,
    header: JsonDict,
    scheduled_for: datetime | None = None,
    district: JsonDict | None = None,
    simulated: bool = False,
) -> JsonDict:
    """The record of a wall snapshot: everything a briefing shows, as plain JSON.

    ``simulated``: the figures came from the demo's simulator (the record says so, and
    every page and PDF page of it carries the demo label).
    """
    areas: Sequence[AreaState] = snap.districts
    if scope != CITY_SCOPE:
        area = snap.district(scope)
        if area is None:  # the caller checked the scope against the catalogue
            raise ValueError(f"no such district in the wall snapshot: {scope[:64]}")
        areas = [area]
    slugs = {a.slug for a in areas}
    record: JsonDict = {
        "version": RECORD_VERSION,
        "taken_at": utc_text(snap.now),
        "taken_by": taken_by,
        "trigger": trigger,
        "scheduled_for": utc_text(scheduled_for),
        "scope": scope,
        "title": title,
        "note": note,
        "header": header,
        "thresholds": {
            key: plain(kpis.thresholds.get(key)) for key in KPI_FEEDS if key in kpis.thresholds
        },
        "share_kpis": sorted(SHARE_KPIS),
        "city": _area(snap.city),
        "districts": [_area(a) for a in areas],
        "alarms": [plain(a) for a in snap.alarms if a.district in slugs],
        "series": {
            "traffic_today": plain(snap.traffic_today),
            "traffic_usual": plain(snap.traffic_usual),
            "wifi_down_hours": plain(snap.wifi_down_hours),
        },
        "congested": [plain(c) for c in snap.congested if c["district"] in slugs],
        "aps_down": [plain(a) for a in snap.aps_down if a["district"] in slugs],
        "metrics": [{**m.as_json(), "digits": m.metric.digits} for m in snap.metrics],
        "district": district,
        "simulated": simulated,
    }
    statuses = [a.status for a in areas] + [m.status for m in snap.metrics]
    statuses += ["alarm" for a in areas if a.online is False]
    record["status"] = worst(s for s in statuses if s != "no_data") if statuses else "no_data"
    return record


def district_section(service: DistrictService, slug: str, now: datetime) -> JsonDict:
    """A district's 24-hour page, as a district snapshot keeps it: KPIs vs city and tables."""
    kept: dict[str, JsonDict] = {}
    header = None
    for tab in ("traffic", "wifi", "services"):
        view = parse_view(slug, {"tab": tab, "range": "24h"}, now=now)
        report = service.report(view, now)
        if report is None:  # the caller checked the slug against the catalogue
            raise ValueError(f"no such district: {slug[:64]}")
        header = header or report
        for key, table in report.tables.items():
            if key in DISTRICT_TABLES:
                kept[key] = {
                    "columns": [plain(c) for c in table.columns],
                    "rows": [plain(row) for row in table.rows],
                }
    return {
        "range": {"since": utc_text(view.since), "until": utc_text(view.until)},
        "kpis": [
            {**plain(k), "judged": k.judged} for k in (header.kpis if header is not None else ())
        ],
        "tables": kept,
    }


def alarm_section(
    alarms: AlarmService, scope: str, now: datetime, previous: tuple[int, datetime] | None
) -> JsonDict:
    """The alarms at the time, and those raised and closed since the previous briefing.

    ``previous``: (id, taken_at) of the scope's previous snapshot; without one, the
    24 hours before. A district's briefing counts its own alarms (no city-wide ones).
    """
    since = previous[1] if previous else now - FIRST_PERIOD
    city = scope == CITY_SCOPE
    active = alarms.active_alarms(district=None if city else scope)
    # Raised and closed up to and including the moment taken.
    counted = alarms.alarm_counts_since(since, now + timedelta(microseconds=1),
                                        limit=None if city else scope.__eq__)  # fmt: skip
    return {
        "active": [a.as_json() for a in active],
        "since": utc_text(since),
        "until": utc_text(now),
        "previous_id": previous[0] if previous else None,
        "raised": counted["raised"],
        "closed": counted["closed"],
    }
