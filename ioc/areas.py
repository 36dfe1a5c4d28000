"""The catalogue of areas (districts), read from a GeoJSON file, never hard-coded."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ioc.i18n.format import local_name

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class AreaCatalogueError(Exception):
    """The areas file cannot be used; the message names the file and the feature."""


@dataclass(frozen=True)
class Area:
    """One district (or ward, commune: whatever the city's areas are)."""

    slug: str
    name_vi: str
    name_en: str
    kind: str = ""

    def name(self, lang: str) -> str:
        """Return the display name in a language (vi or en)."""
        return local_name(self, lang)


@dataclass(frozen=True)
class AreaCatalogue:
    """Areas in file order, looked up by slug."""

    areas: tuple[Area, ...]
    geojson: dict[str, Any]  # the GeoJSON document as read, for the maps

    def __contains__(self, slug: object) -> bool:
        return any(area.slug == slug for area in self.areas)

    def get(self, slug: str) -> Area | None:
        """Return the area with this slug, or None."""
        return next((area for area in self.areas if area.slug == slug), None)

    @property
    def slugs(self) -> frozenset[str]:
        """All slugs, for fast membership tests on the hot path."""
        return frozenset(area.slug for area in self.areas)


def load_areas(path: Path) -> AreaCatalogue:
    """Read a GeoJSON FeatureCollection whose features carry slug, name_vi and name_en."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AreaCatalogueError(f"{path}: cannot read areas: {err}") from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list) or not features:
        raise AreaCatalogueError(f"{path}: not a GeoJSON FeatureCollection with features")
    areas: list[Area] = []
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise AreaCatalogueError(f"{path}: feature {index} has no properties")
        slug = props.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            raise AreaCatalogueError(f"{path}: feature {index} has a bad slug {slug!r}")
        if any(area.slug == slug for area in areas):
            raise AreaCatalogueError(f"{path}: slug {slug!r} appears twice")
        name_vi = props.get("name_vi") or props.get("name") or slug
        name_en = props.get("name_en") or name_vi
        areas.append(Area(slug, str(name_vi), str(name_en), str(props.get("kind", ""))))
    return AreaCatalogue(tuple(areas), document)
