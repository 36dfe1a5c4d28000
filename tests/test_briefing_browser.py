"""The briefing in headless Chromium (issue 17): each status's mark has its own shape in a
snapshot's screenshot, and axe-core finds nothing on the list, a snapshot and a comparison
in either language."""

from __future__ import annotations

import json
import struct
import urllib.request
import zlib
from datetime import timedelta

from pages.web import create_app
from tests.conftest import make_settings, screenshot
from tests.test_auth_browser import axe_script, axe_violations
from tests.test_briefing import feed, fresh_now, take
from tests.test_wall_service import traffic, write

STATUSES = ("ok", "warn", "alarm", "stale", "no_data")
SIDE = 40  # px: each mark drawn this big for the check


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows (RGB or RGBA bytes) of a non-interlaced 8-bit PNG."""
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    chunks, at = [], 8
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + size])
        at += 12 + size
    raw, step = zlib.decompress(b"".join(chunks)), 3 if colour == 2 else 4
    rows: list[bytes] = []
    prior = bytearray(width * step)
    for y in range(height):
        line = raw[y * (width * step + 1) : (y + 1) * (width * step + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(len(row)):
            left = row[i - step] if i >= step else 0
            up, corner = prior[i], prior[i - step] if i >= step else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                near = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                row[i] = (row[i] + near) & 255
        rows.append(bytes(row))
        prior = row
    return width, height, [bytes(r[i] for i in range(len(r)) if i % step < 3) for r in rows]


def inked(rows: list[bytes], x: float, y: float) -> bool:
    """Whether the pixel at fractions (x, y) of the image is drawn (not the white ground)."""
    row = rows[min(len(rows) - 1, int(y * len(rows)))]
    i = 3 * min(len(row) // 3 - 1, int(x * (len(row) // 3)))
    return sum(row[i : i + 3]) < 3 * 225


def shape_of(rows: list[bytes]) -> str:
    """The shape a mark's pixels draw: circle, triangle, square, ring or dash."""
    centre = inked(rows, 0.5, 0.5)
    spots = ((0.06, 0.06), (0.94, 0.06), (0.06, 0.94), (0.94, 0.94))
    corners = [inked(rows, x, y) for x, y in spots]
    top, bottom = inked(rows, 0.5, 0.15), inked(rows, 0.5, 0.85)
    # A dotted ring: ink somewhere in its outer band, none in its middle.
    band = sum(inked(rows, x / 20, y / 20) for x in range(21) for y in range(21)
               if 0.3 < ((x / 20 - 0.5) ** 2 + (y / 20 - 0.5) ** 2) ** 0.5 < 0.5)  # fmt: skip
    hollow = not any(inked(rows, 0.5 + dx, 0.5 + dy) for dx in (-0.15, 0, 0.15)
                     for dy in (-0.15, 0, 0.15))  # fmt: skip
    if hollow and band > 8:
        return "ring"
    if centre and not top and not bottom:
        return "dash"
    if all(corners):
        return "square"
    if corners[2] and corners[3] and not corners[0] and not corners[1]:
        return "triangle"
    if centre and not any(corners):
        return "circle"
    return f"unknown {centre=} {corners=} {top=} {bottom=} {band=}"


EXPECTED = {"ok": "circle", "warn": "triangle", "alarm": "square", "stale": "ring",
            "no_data": "dash"}  # fmt: skip


def test_a_snapshot_draws_each_status_with_its_own_shape(engine, areas, browser, tmp_path):
    app = create_app(make_settings(metrics_file=None, simulate=False), engine=engine,
                     areas=areas)  # fmt: skip
    client = app.server.test_client()
    now = fresh_now()
    feed(engine, now)  # ok, warn (on time 90 %), alarm (15 % overdue), no data elsewhere
    write(engine, [traffic("o-mon", "cam-old", 30, 30.0, ts=now - timedelta(hours=1))], now=now)
    snap_id = take(client)
    saved = tmp_path / "snapshot.html"
    saved.write_bytes(client.get(f"/briefing/{snap_id}/export.html").data)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(saved.as_uri())
        found = {}
        for status in STATUSES:
            mark = page.locator(f".mark--{status} .mark__shape").first
            assert mark.count() == 1, f"no {status} mark in the snapshot"
            mark.evaluate(f"e => e.parentElement.style.setProperty('--mark-size', '{SIDE}px')")
            _, _, rows = png_pixels(mark.screenshot())
            found[status] = shape_of(rows)
        assert found == EXPECTED, found
        screenshot(page, "briefing-marks")
    finally:
        page.close()


def post(base: str, body: dict) -> int:
    request = urllib.request.Request(f"{base}/api/v1/snapshots", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["id"]


def test_the_list_a_snapshot_and_a_comparison_pass_axe_in_both_languages(live_app, browser):
    script = axe_script()
    base = live_app.base_url
    first = post(base, {"title": "Giao ban sáng", "note": "Trước cuộc họp"})
    second = post(base, {"title": "Giao ban chiều"})
    # The app's Content-Security-Policy forbids the injected script: bypassed for axe only.
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    problems = {}
    try:
        for lang in ("vi", "en"):
            for name, path in (("list", "/briefing"), ("snapshot", f"/briefing/{first}"),
                               ("compare", f"/briefing/{second}?compare={first}")):  # fmt: skip
                joiner = "&" if "?" in path else "?"
                page.goto(f"{base}{path}{joiner}lang={lang}")
                if name != "list":
                    page.wait_for_selector(".chart svg")
                screenshot(page, f"briefing-{name}-{lang}")
                found = axe_violations(page, script)
                if found:
                    problems[f"{name} {lang}"] = found
        assert problems == {}, problems
    finally:
        context.close()
