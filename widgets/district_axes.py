"""How the district page's charts read in the page's language: dates, decimals, axes, limits.

Plotly writes "Nov 23, 2026" and "30.5" unless told otherwise. The page's
language sets plotly's locale (month and day names, given in the graph's own
config, so no locale script is fetched), its separators (vi: 1.234,5) and the
date ticks (vi: 24/11, 09:00). Share axes (% up, % on time) start near the
data, not at 0, and show their thresholds as lines.
"""

from __future__ import annotations

import math

from ioc.i18n import t
from ioc.i18n.format import number

DAY_MS = 86_400_000
# layout.separators: the decimal mark, then the thousands mark.
SEPARATORS = {"vi": ",.", "en": ".,"}
# plotly's locale format for Vietnamese (d3-time-format names); English is plotly's own.
VI_LOCALE = {
    "dictionary": {},
    "format": {
        "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
        "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
        "months": [f"tháng {m}" for m in range(1, 13)],
        "shortMonths": [f"thg {m}" for m in range(1, 13)],
        "date": "%d/%m/%Y",
        "decimal": ",",
        "thousands": ".",
    },
}
# Day first, 24-hour clock in both languages (as the page's own times); a date under
# the hours so a 24 h axis tells which day each hour is on.
DATE_TICKS = [
    {"dtickrange": [None, DAY_MS], "value": "%H:%M<br>%d/%m"},
    {"dtickrange": [DAY_MS, 28 * DAY_MS], "value": "%d/%m"},
    {"dtickrange": [28 * DAY_MS, None], "value": "%m/%Y"},
]
DATE_HOVER = "%H:%M %d/%m/%Y"


def graph_locale(lang: str) -> dict:
    """The part of a graph's config that sets its locale."""
    if lang == "vi":
        return {"locale": "vi", "locales": {"vi": VI_LOCALE}}
    return {"locale": "en"}


def date_axis(**extra) -> dict:
    """A time axis with day-first ticks and room for its labels."""
    axis = {
        "type": "date",
        "tickformatstops": DATE_TICKS,
        "hoverformat": DATE_HOVER,
        "automargin": True,
    }
    axis.update(extra)
    return axis


def share_range(values: list[float | None], limits: list[float | None]) -> list[float]:
    """A % axis from just under the lowest value or limit to 100, in steps of 5."""
    seen = [v for v in [*values, *limits] if v is not None]
    low = min(seen) if seen else 90.0
    bottom = max(0.0, math.floor((low - 2) / 5) * 5)
    return [bottom, 100.5]


def limit_lines(lang: str, warn: float | None, alarm: float | None, *, yref: str = "y") -> tuple:
    """Dashed lines at a share's warn and alarm limits, each labelled with its value."""
    shapes, notes = [], []
    for status, value, colour in (("warn", warn, "#b07d00"), ("alarm", alarm, "#c0321a")):
        if value is None:
            continue
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": yref,
                       "y0": value, "y1": value, "line": {"color": colour, "width": 1.5,
                                                          "dash": "dash"}})  # fmt: skip
        text = f"{t(f'status_{status}', lang)} < {number(value, lang)} %"
        notes.append({"xref": "paper", "x": 1, "xanchor": "right", "yref": yref, "y": value,
                      # warn's label above its line, alarm's below: close limits stay legible
                      "yanchor": "bottom" if status == "warn" else "top",
                      "showarrow": False, "text": text,
                      "font": {"color": colour, "size": 12}})  # fmt: skip
    return shapes, notes
