"""The wall's look: status colours and marks, the dark chart template. Pure data."""

from __future__ import annotations

# Colour-blind safe on a dark ground (after Okabe and Ito): teal, amber and
# vermillion differ in lightness as well as hue, and every status also has its
# own shape, so no one needs to tell colours apart.
STATUS_COLOURS = {
    "ok": "#2fb5a0",
    "warn": "#f2b233",
    "alarm": "#ff5c39",
    "stale": "#7d8594",
    "no_data": "#4b5261",
    "neutral": "#8fa9d6",  # slate blue: against a target only, neither good nor bad
}
# Plotly marker symbols (drawn as SVG, so no font needs the glyphs).
STATUS_SYMBOLS = {
    "ok": "circle",
    "warn": "triangle-up",
    "alarm": "square",
    "stale": "circle-open-dot",
    "no_data": "line-ew-open",
    "neutral": "diamond",
}
OFFLINE_SYMBOL = "x-thin-open"
INK = "#e9edf5"
MUTED = "#a3acbd"
GRID = "#2a3142"
PANEL = "#141a26"
FONT = "Be Vietnam Pro, Noto Sans, DejaVu Sans, sans-serif"
# Sizes in the wall's logical pixels (a 1920-wide stage, scaled to the screen).
CHART_FONT_PX = 20
TICK_FONT_PX = 18


def chart_layout(**extra) -> dict:
    """Base layout of every wall chart: transparent, dark, large type, no interaction chrome."""
    layout = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": CHART_FONT_PX, "color": INK},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "showlegend": False,
        "dragmode": False,
        "hovermode": False,
        "uirevision": "wall",
        "transition": {"duration": 0},
    }
    layout.update(extra)
    return layout


# dcc.Graph config for a wall: nothing to click, no mode bar, no network.
GRAPH_CONFIG = {
    "displayModeBar": False,
    "staticPlot": True,
    "responsive": True,
    "showTips": False,
    # plotly.js names a CDN as the default source of geo maps' topojson; the wall
    # draws no geo traces, and points it at this server in case one ever does.
    "topojsonURL": "/assets/geo/",
}
