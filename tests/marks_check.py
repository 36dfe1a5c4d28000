"""Check, on any page open in headless Chromium, that the status marks keep their shapes.

Any page's browser test calls ``check_marks(page)``: it sets one mark of every
status (the markup of ``widgets.mark.mark_html``) into the page, inside
``container`` so the page's own scoped rules (sizes, colours) apply, reads the
computed style of those samples and of every mark the page shows itself, and
asserts the shapes docs/wall.md documents: ok a circle, warn a triangle, alarm a
square, stale a dotted ring, no data a short dash (neutral a diamond, offline a
cross), each unlike the others, so the shape alone tells the status. It saves a
screenshot of the samples as ``marks-<name>.png`` for a person to look at.

Example (a district page test)::

    from tests.marks_check import check_marks
    shapes = check_marks(page, "district", container=".district-page")
"""

from __future__ import annotations

import json

from tests.conftest import SCREENSHOTS
from widgets.mark import mark_html

DOCUMENTED = ("ok", "warn", "alarm", "stale", "no_data")
SAMPLED = (*DOCUMENTED, "neutral", "offline")

MEASURE = """
(() => {
  const out = [];
  for (const el of document.querySelectorAll('.mark')) {
    const shape = el.querySelector('.mark__shape');
    const status = [...el.classList].find((c) => c.startsWith('mark--') && c !== 'mark--bare');
    if (!shape || !status) { out.push({status: status || '', broken: true}); continue; }
    const style = getComputedStyle(shape);
    const box = shape.getBoundingClientRect();
    const word = el.querySelector('.mark__word');
    out.push({
      status: status.slice(6),
      sample: !!el.closest('#marks-check'),
      visible: shape.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}),
      radius: style.borderTopLeftRadius, clip: style.clipPath,
      border: style.borderTopStyle, borderWidth: parseFloat(style.borderTopWidth),
      background: style.backgroundColor, width: box.width, height: box.height,
      cssWidth: parseFloat(style.width),
      hidden: shape.getAttribute('aria-hidden'),
      name: word ? word.textContent : el.getAttribute('aria-label'),
    });
  }
  return out;
})()
"""


def _points(clip: str) -> int:
    return clip.count(",") + 1 if clip.startswith("polygon(") else 0


def shape_of(mark: dict) -> str:
    """Name the shape a mark's computed style draws (circle, triangle, square, ...)."""
    clip, radius = mark["clip"], mark["radius"]
    if clip.startswith("inset("):
        return "dash"
    if _points(clip) == 3:
        return "triangle"
    if _points(clip) == 4:
        return "diamond"
    if _points(clip) == 12:
        return "cross"
    if clip != "none":
        return f"other: {clip}"
    round_ = (
        radius in ("50%", f"{mark['cssWidth'] / 2}px") or radius.endswith("%") and radius != "0%"
    )
    if (
        round_
        and mark["border"] == "dotted"
        and mark["background"] in ("rgba(0, 0, 0, 0)", "transparent")
    ):
        return "dotted ring"
    if round_:
        return "circle"
    if radius in ("0px", "0%"):
        return "square"
    return f"other: radius {radius}"


EXPECTED = {
    "ok": "circle",
    "warn": "triangle",
    "alarm": "square",
    "stale": "dotted ring",
    "no_data": "dash",
    "neutral": "diamond",
    "offline": "cross",
}


def check_marks(
    page, name: str, *, container: str = "body", lang: str = "vi", min_px: float = 0
) -> dict[str, dict]:
    """Assert every mark on ``page`` (and one sample per status) has its documented shape.

    ``min_px``: the least a visible mark's box may measure on screen (the wall: 28).
    Returns the samples' measures by status.
    """
    samples = "".join(mark_html(status, lang) for status in SAMPLED)
    page.evaluate(
        """([container, html]) => {
          document.getElementById('marks-check')?.remove();
          const holder = document.createElement('div');
          holder.id = 'marks-check';
          holder.style.cssText = 'display:flex;gap:24px;padding:12px;flex-wrap:wrap;'
            + 'position:relative;z-index:99;background:inherit';
          holder.innerHTML = html;
          (document.querySelector(container) || document.body).prepend(holder);
        }""",
        [container, samples],
    )
    measured = page.evaluate(MEASURE)
    holder = page.locator("#marks-check")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    holder.screenshot(path=str(SCREENSHOTS / f"marks-{name}.png"))
    page.evaluate("document.getElementById('marks-check').remove()")
    broken = [m for m in measured if m.get("broken")]
    assert not broken, f"marks without a shape: {json.dumps(broken)}"
    by_status = {m["status"]: m for m in measured if m["sample"]}
    assert set(by_status) == set(SAMPLED), by_status.keys()
    problems = []
    for mark in measured:
        shape = shape_of(mark)
        where = "sample" if mark["sample"] else "on the page"
        if shape != EXPECTED.get(mark["status"]):
            problems.append(f"{mark['status']} ({where}) draws {shape}")
        if mark["hidden"] != "true":
            problems.append(f"{mark['status']} ({where}): its shape is not aria-hidden")
        if not mark["name"]:
            problems.append(f"{mark['status']} ({where}): no word, no accessible name")
        if abs(mark["width"] - mark["height"]) > 0.5:
            problems.append(f"{mark['status']} ({where}) box not square: {mark}")
        if mark["visible"] and not mark["sample"] and min(mark["width"], mark["height"]) < min_px:
            problems.append(f"{mark['status']} mark {mark['width']:.1f} px < {min_px}")
    # Told apart by shape alone: no two documented statuses draw the same shape.
    shapes = [shape_of(by_status[s]) for s in DOCUMENTED]
    assert len(set(shapes)) == len(shapes), shapes
    assert problems == [], problems
    return by_status
