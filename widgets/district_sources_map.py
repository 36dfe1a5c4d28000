"""The district's sources on its own outline: one marker per camera, access point or desk.

Drawn like the wall's map (``widgets.district_map``): plain scatter traces on
lon/lat axes, the outline from the areas' GeoJSON served with the app, so no
tile server and no request to another host. A marker's shape and colour are
its status's mark (ok circle, warn triangle, alarm square, stale dotted ring,
no data dash), one trace per status so the legend names them. A click opens
the source (``assets/district.js`` follows the point's link). Sources whose
feed gives no position are not drawn; the note under the map counts them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dash import dcc, html

from ioc.areas import AreaCatalogue
from ioc.district_view import DistrictView
from ioc.i18n import t
from ioc.i18n.format import number
from widgets.district_axes import graph_locale
from widgets.district_map import area_shapes
from widgets.theme import STATUS_SYMBOLS

# The page's light-theme mark colours (assets/marks.css), so map and marks agree.
MARK_COLOURS = {"ok": "#1f9d87", "warn": "#d99a00", "alarm": "#d9381e", "stale": "#6f7889",
                "no_data": "#8a93a6"}  # fmt: skip
ORDER = ("alarm", "warn", "stale", "no_data", "ok")  # drawn last on top: the worst
MAP_CONFIG = {"displayModeBar": False, "scrollZoom": False, "responsive": True}


def outline(catalogue: AreaCatalogue, slug: str) -> dict | None:
    """The district's rings (lon/lat lists split by None), or None when it has no shape."""
    shape = next((s for s in area_shapes(catalogue) if s["slug"] == slug), None)
    if shape is None or not shape["lon"]:
        return None
    return shape


def placed(
    rows: Sequence[Mapping[str, object]], positions: Mapping[str, tuple[float, float]]
) -> list[dict]:
    """The rows that have a position, with it (lat, lon); the others are left out."""
    found = []
    for row in rows:
        where = positions.get(str(row.get("source")))
        if where is None:
            continue
        lat, lon = where
        if not (math.isfinite(lat) and math.isfinite(lon)):
            continue
        found.append({**row, "lat": lat, "lon": lon})
    return found


def map_figure(shape: dict | None, points: list[dict], view: DistrictView, lang: str) -> dict:
    """The outline and one marker trace per status (shape and colour of its mark)."""
    traces: list[dict] = []
    lons = [x for x in (shape or {}).get("lon", []) if x is not None]
    lats = [y for y in (shape or {}).get("lat", []) if y is not None]
    if shape is not None:
        traces.append({"type": "scatter", "mode": "lines", "x": shape["lon"], "y": shape["lat"],
                       "fill": "toself", "fillcolor": "#eef2f8", "hoverinfo": "skip",
                       "line": {"color": "#5b6579", "width": 2}, "showlegend": False,
                       "name": "outline"})  # fmt: skip
    for status in ORDER:
        mine = [p for p in points if p.get("status") == status]
        if not mine:
            continue
        open_shape = STATUS_SYMBOLS[status].endswith(("-open", "-open-dot"))
        colour = MARK_COLOURS[status]
        traces.append({
            "type": "scatter", "mode": "markers", "name": t(f"status_{status}", lang),
            "x": [p["lon"] for p in mine], "y": [p["lat"] for p in mine],
            "text": [str(p.get("name") or p.get("source")) for p in mine],
            "customdata": [view.href(source=str(p["source"])) for p in mine],
            "hovertemplate": "%{text}<extra>" + t(f"status_{status}", lang) + "</extra>",
            "marker": {"symbol": STATUS_SYMBOLS[status], "size": 15,
                       "color": "#ffffff" if open_shape else colour,
                       "line": {"width": 2.5 if open_shape else 1.5,
                                "color": colour if open_shape else "#ffffff"}},
        })  # fmt: skip
        lons += [p["lon"] for p in mine]
        lats += [p["lat"] for p in mine]
    mid = (min(lats) + max(lats)) / 2 if lats else 10.0
    ratio = 1 / max(math.cos(math.radians(mid)), 0.1)
    axis = {"visible": False, "fixedrange": True}
    return {
        "data": traces,
        "layout": {
            "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
            "font": {"family": "Be Vietnam Pro, Noto Sans, DejaVu Sans, sans-serif", "size": 14,
                     "color": "#1d2433"},
            "margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "dragmode": False,
            "hovermode": "closest", "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": 0, "yanchor": "top",
                       "itemclick": False, "itemdoubleclick": False},
            "xaxis": axis, "yaxis": {**axis, "scaleanchor": "x", "scaleratio": ratio},
        },
    }  # fmt: skip


def sources_map(
    catalogue: AreaCatalogue,
    rows: Sequence[Mapping[str, object]],
    positions: Mapping[str, tuple[float, float]],
    view: DistrictView,
    lang: str,
) -> html.Div:
    """The map with a note of the sources it cannot place."""
    points = placed(rows, positions)
    figure = map_figure(outline(catalogue, view.slug), points, view, lang)
    unplaced = len(rows) - len(points)
    note = (
        t("map_unplaced", lang, count=number(unplaced, lang), total=number(len(rows), lang))
        if unplaced
        else t("map_all_placed", lang)
    )
    return html.Div(
        [
            dcc.Graph(id="district-sources-map", figure=figure,
                      config={**MAP_CONFIG, **graph_locale(lang)}, style={"height": "360px"}),
            html.P(note, className="map-note", id="district-map-note"),
        ],
        className="sources-map",
        **{"data-placed": str(len(points)), "data-unplaced": str(unplaced)},
    )  # fmt: skip
