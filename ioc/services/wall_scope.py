"""The wall snapshot as a viewer limited to some districts may see it.

Such a viewer sees their districts' states, alarms and sources. Everything
that sums or lists the whole city (city KPIs, today's city traffic, hours of
access points down, other districts' states) is replaced by "no data", so a
scene can still be drawn from the snapshot without showing any of it. Other
districts stay on the map as blank, unlabelled shapes: the map is drawn from
one state per area of the catalogue, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ioc.model.wall import CITY, AreaState, WallSnapshot

HOURS = 24


def _blank(slug: str, name_vi: str = "", name_en: str = "") -> AreaState:
    return AreaState(slug, name_vi, name_en, None, None, {}, "no_data")


def within(snap: WallSnapshot, allows: Callable[[str], bool] | None) -> WallSnapshot:
    """The snapshot limited to the districts ``allows`` lets through (None: the whole city)."""
    if allows is None:
        return snap
    return replace(
        snap,
        city=_blank(CITY, snap.city.name_vi, snap.city.name_en),
        # A blank slug: it matches no district, so nothing is looked up or opened by it.
        districts=tuple(d if allows(d.slug) else _blank("") for d in snap.districts),
        alarms=tuple(a for a in snap.alarms if allows(a.district)),
        traffic_today=(None,) * HOURS,
        traffic_usual=(None,) * HOURS,
        congested=tuple(c for c in snap.congested if allows(c["district"])),
        aps_down=tuple(a for a in snap.aps_down if allows(a["district"])),
        wifi_down_hours=(),
        metrics=tuple(view.within(allows) for view in snap.metrics),
    )
