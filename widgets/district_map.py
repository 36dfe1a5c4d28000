"""The district map: the areas' own GeoJSON drawn as filled shapes, coloured by worst status.

Plain Scatter traces on lon/lat axes, not a geo or mapbox map: no tiles, no
topojson, nothing fetched from the network, and the same code draws any city's
areas. Trace ``i`` is area ``i`` of the catalogue; the last trace holds the
labels and status marks. ``map_patch`` recolours in place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dash import Patch

from ioc.areas import AreaCatalogue
from ioc.i18n import t
from widgets.theme import (
    INK,
    OFFLINE_SYMBOL,
    PANEL,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    chart_layout,
)

DIMMED = 0.25  # opacity of the other districts when one is in focus


def _rings(geometry: dict) -> list[list[list[float]]]:
    """Outer rings of a Polygon or MultiPolygon (holes are not drawn)."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords[0]] if coords else []
    if kind == "MultiPolygon":
        return [polygon[0] for polygon in coords if polygon]
    return []


def _centroid(ring: list[list[float]]) -> tuple[float, float]:
    """Area-weighted centroid of a ring (its vertex mean when degenerate)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return cx / (3 * area), cy / (3 * area)


def area_shapes(catalogue: AreaCatalogue) -> list[dict]:
    """Per area: lon/lat lists (rings split by None) and a label point on the largest ring."""
    features = {
        (f.get("properties") or {}).get("slug"): f for f in catalogue.geojson.get("features", [])
    }
    shapes = []
    for area in catalogue.areas:
        rings = _rings((features.get(area.slug) or {}).get("geometry") or {})
        lon: list[float | None] = []
        lat: list[float | None] = []
        for ring in rings:
            lon += [p[0] for p in ring] + [None]
            lat += [p[1] for p in ring] + [None]
        largest = max(rings, key=len) if rings else [[0.0, 0.0]]
        shapes.append({"slug": area.slug, "lon": lon, "lat": lat, "label": _centroid(largest)})
    return shapes


def _mark(status: str, online: bool | None) -> tuple[str, str]:
    if online is False:
        return OFFLINE_SYMBOL, STATUS_COLOURS["alarm"]
    return STATUS_SYMBOLS[status], STATUS_COLOURS[status]


def _label(name: str, online: bool | None, lang: str) -> str:
    # The mark's shape and colour carry the status; an offline IOC also says so.
    if online is False:
        return f"<b>{name}</b><br>{t('status_offline', lang)}"
    return f"<b>{name}</b>"


def map_figure(
    catalogue: AreaCatalogue,
    states: Sequence,
    lang: str,
    focus: str | None = None,
) -> dict:
    """The whole map figure; ``states`` are AreaStates in catalogue order."""
    shapes = area_shapes(catalogue)
    traces = []
    for shape in shapes:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": shape["lon"],
                "y": shape["lat"],
                "fill": "toself",
                "line": {"width": 2, "color": PANEL},
                "hoverinfo": "skip",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [s["label"][0] for s in shapes],
            "y": [s["label"][1] for s in shapes],
            "textposition": "bottom center",
            "textfont": {"size": 19, "color": INK},
            "marker": {"size": 22, "line": {"width": 2, "color": INK}},
            "hoverinfo": "skip",
            "cliponaxis": False,
        }
    )
    lats = [y for s in shapes for y in s["lat"] if y is not None] or [0.0]
    ratio = 1 / max(math.cos(math.radians((min(lats) + max(lats)) / 2)), 0.1)
    figure = {
        "data": traces,
        "layout": chart_layout(
            xaxis={"visible": False, "fixedrange": True},
            yaxis={
                "visible": False,
                "fixedrange": True,
                "scaleanchor": "x",
                "scaleratio": ratio,
            },
            margin={"l": 4, "r": 4, "t": 4, "b": 4},
        ),
    }
    _apply(figure, states, lang, focus)
    return figure


def _styles(states: Sequence, lang: str, focus: str | None) -> tuple[list[dict], dict]:
    fills, symbols, colours, texts, opacities = [], [], [], [], []
    for state in states:
        dim = focus is not None and state.slug != focus
        symbol, colour = _mark(state.status, state.online)
        fill = STATUS_COLOURS[state.status]
        fills.append(
            {
                "fillcolor": fill + ("40" if dim else "c0"),
                "line": {
                    "width": 4 if state.slug == focus else 2,
                    "color": INK if state.slug == focus else PANEL,
                },
            }
        )
        symbols.append(symbol)
        colours.append(colour)
        texts.append(_label(state.name(lang), state.online, lang))
        opacities.append(DIMMED if dim else 1.0)
    labels = {"symbol": symbols, "color": colours, "text": texts, "opacity": opacities}
    return fills, labels


def _apply(figure: dict, states: Sequence, lang: str, focus: str | None) -> None:
    fills, labels = _styles(states, lang, focus)
    for trace, style in zip(figure["data"], fills, strict=False):
        trace["fillcolor"] = style["fillcolor"]
        trace["line"] = style["line"]
    marks = figure["data"][-1]
    marks["marker"].update(
        symbol=labels["symbol"], color=labels["color"], opacity=labels["opacity"]
    )
    marks["text"] = labels["text"]


def map_patch(states: Sequence, lang: str, focus: str | None = None) -> Patch:
    """Recolour the map in place (no shapes resent)."""
    fills, labels = _styles(states, lang, focus)
    patch = Patch()
    for index, style in enumerate(fills):
        patch["data"][index]["fillcolor"] = style["fillcolor"]
        patch["data"][index]["line"] = style["line"]
    marks = len(fills)
    patch["data"][marks]["marker"]["symbol"] = labels["symbol"]
    patch["data"][marks]["marker"]["color"] = labels["color"]
    patch["data"][marks]["marker"]["opacity"] = labels["opacity"]
    patch["data"][marks]["text"] = labels["text"]
    return patch
