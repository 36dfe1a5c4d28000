"""Where the demo's sources stand: a stable point inside their district's outline.

The outline is the area catalogue's GeoJSON (Polygon or MultiPolygon, holes
respected). A source's point depends only on its district, feed and id, so it
stays put across restarts, like a real camera. No I/O here.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from feeds.demo.models import Source

Ring = Sequence[Sequence[float]]  # [[lon, lat], ...]
Polygon = Sequence[Ring]  # the outer ring, then holes
TRIES = 2000


def outlines(geojson: dict[str, Any]) -> dict[str, list[Polygon]]:
    """Each area's polygons by slug (features without a usable geometry are left out)."""
    found: dict[str, list[Polygon]] = {}
    for feature in geojson.get("features", []):
        slug = (feature.get("properties") or {}).get("slug")
        geometry = feature.get("geometry") or {}
        kind, coordinates = geometry.get("type"), geometry.get("coordinates")
        if not isinstance(slug, str) or not coordinates:
            continue
        if kind == "Polygon":
            found[slug] = [coordinates]
        elif kind == "MultiPolygon":
            found[slug] = list(coordinates)
    return found


def _in_ring(ring: Ring, lon: float, lat: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(polygons: Iterable[Polygon], lon: float, lat: float) -> bool:
    """Whether a point lies inside one of the polygons (and outside its holes)."""
    return any(
        _in_ring(polygon[0], lon, lat) and not any(_in_ring(h, lon, lat) for h in polygon[1:])
        for polygon in polygons
    )


def point_in(polygons: list[Polygon], key: str) -> tuple[float, float] | None:
    """A stable (lat, lon) inside the polygons, drawn from ``key``; None if none is found."""
    points = [point for polygon in polygons for point in polygon[0]]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    rng = random.Random(zlib.crc32(key.encode()))
    for _ in range(TRIES):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if contains(polygons, lon, lat):
            return round(lat, 5), round(lon, 5)  # about a metre
    return None


def placed(sources: Iterable[Source], geojson: dict[str, Any]) -> list[Source]:
    """The sources, each with a stable position inside its district's outline."""
    shapes = outlines(geojson)
    found = []
    for src in sources:
        point = None
        if src.district in shapes:
            point = point_in(shapes[src.district], f"{src.district}/{src.feed}/{src.source}")
        found.append(src if point is None else replace(src, lat=point[0], lon=point[1]))
    return found
