"""Issue 17 on the briefing: whole words in the PDF, the demo label at the head of every
page, the current state before the comparison, honest changes, counts, units, labels."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest

from ioc.services.briefing_compare import compare
from pages.briefing.pdf import find_chromium
from pages.web import create_app
from tests.conftest import make_settings
from tests.test_briefing import feed, fresh_now, take
from widgets.briefing_charts import percent_axis, percent_chart
from widgets.briefing_compare import compare_block
from widgets.briefing_pieces import metric_unit

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")


def client_for(engine, areas, *, simulate: bool):
    app = create_app(make_settings(metrics_file=None, simulate=simulate), engine=engine,
                     areas=areas)  # fmt: skip
    return app.server.test_client()


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text as pypdf extracts it: nothing normalised, nothing joined."""
    pypdf = pytest.importorskip("pypdf")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


# --- the PDF's text --------------------------------------------------------------------------


@needs_chromium
def test_pypdf_extracts_can_tho_and_the_district_names_whole(engine, areas):
    client = client_for(engine, areas, simulate=False)
    feed(engine, fresh_now())
    snap_id = take(client, title="Giao ban Cần Thơ")
    pages = pdf_pages(client.get(f"/briefing/{snap_id}/export.pdf").data)
    text = "\n".join(pages)
    # A search in the PDF finds the words as typed: no space inside a word, no accent apart.
    for words in ("Cần Thơ, ngày", "UBND THÀNH PHỐ CẦN THƠ", "Giao ban Cần Thơ", "Ninh Kiều",
                  "Cái Răng", "Vĩnh Thạnh", "Thốt Nốt", "Phong Điền", "Hồ sơ quá hạn"):  # fmt: skip
        assert words in text, (words, text[:600])
    english = "\n".join(pdf_pages(client.get(f"/briefing/{snap_id}/export.pdf?lang=en").data))
    for words in ("Giao ban Cần Thơ", "IOC Cần Thơ"):
        assert words in english, words


@needs_chromium
def test_every_pdf_page_of_a_simulated_snapshot_carries_the_demo_label_at_its_top(engine, areas):
    client = client_for(engine, areas, simulate=True)
    feed(engine, fresh_now())
    first = take(client)
    feed(engine, fresh_now() + timedelta(seconds=5), speed=9.0, ap_up=False)
    second = take(client)
    for lang, label in (("vi", "DỮ LIỆU MÔ PHỎNG (demo)"), ("en", "SIMULATED DATA (demo)")):
        data = client.get(f"/briefing/{second}/export.pdf?compare={first}&lang={lang}").data
        pages = pdf_pages(data)
        assert len(pages) >= 2
        for number, text in enumerate(pages, 1):
            # The top margin box comes first in each page's text.
            assert text.lstrip().startswith(label), (lang, number, text[:120])
    # Real data: no label anywhere.
    real = client_for(engine, areas, simulate=False)
    plain = "\n".join(pdf_pages(real.get(f"/briefing/{take(real)}/export.pdf").data))
    assert "MÔ PHỎNG" not in plain


@needs_chromium
def test_the_pdf_shows_the_current_kpis_before_the_comparison(engine, areas):
    client = client_for(engine, areas, simulate=False)
    feed(engine, fresh_now())
    first = take(client)
    second = take(client)
    pages = pdf_pages(client.get(f"/briefing/{second}/export.pdf?compare={first}").data)
    kpis = next(i for i, text in enumerate(pages) if "CHỈ SỐ TOÀN THÀNH PHỐ" in text)
    compared = next(i for i, text in enumerate(pages) if "SO SÁNH" in text)
    assert kpis == 0 and kpis < compared, [p[:80] for p in pages]


# --- the pages' heads ------------------------------------------------------------------------


def test_the_list_and_a_snapshot_carry_the_demo_label_in_their_header(engine, areas):
    client = client_for(engine, areas, simulate=True)
    feed(engine, fresh_now())
    snap_id = take(client)
    for lang, label in (("vi", "DỮ LIỆU MÔ PHỎNG (demo)"), ("en", "SIMULATED DATA (demo)")):
        listing = client.get(f"/briefing?lang={lang}").get_data(as_text=True)
        head = listing[listing.index('<header class="top-head">') : listing.index("</header>")]
        assert label in head, lang
        page = client.get(f"/briefing/{snap_id}?lang={lang}").get_data(as_text=True)
        main = page[page.index('<main class="sheet">') :]
        # Before the official header and any figure, not at the bottom.
        assert main.index(label) < main.index('<header class="official">'), lang
    real = client_for(engine, areas, simulate=False)
    assert "MÔ PHỎNG" not in real.get("/briefing").get_data(as_text=True)
    assert "MÔ PHỎNG" not in real.get(f"/briefing/{take(real)}").get_data(as_text=True)


def test_a_comparison_follows_the_current_state_on_the_page(engine, areas):
    client = client_for(engine, areas, simulate=False)
    feed(engine, fresh_now())
    first, second = take(client), take(client)
    page = client.get(f"/briefing/{second}?compare={first}").get_data(as_text=True)
    assert page.index('<div class="cards">') < page.index('class="block compare"')


def test_the_briefing_draws_the_one_mark_component(engine, areas):
    client = client_for(engine, areas, simulate=False)
    feed(engine, fresh_now())
    snap_id = take(client)
    page = client.get(f"/briefing/{snap_id}").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/assets/marks.css">' in page
    assert 'class="mark mark--alarm"' in page and 'class="mark__shape"' in page
    assert "/assets/marks.css" in client.get("/briefing").get_data(as_text=True)
    exported = client.get(f"/briefing/{snap_id}/export.html").get_data(as_text=True)
    assert ".mark--warn .mark__shape" in exported  # inlined with the file
    own_css = client.get("/assets/briefing/briefing.css").get_data(as_text=True)
    assert not re.search(r"\.mark--(ok|warn|alarm|stale|no_data)\b", own_css)


# --- changes, counts, units, labels -----------------------------------------------------------


def test_an_unchanged_kpi_reads_unchanged_and_traffic_flow_is_never_better_or_worse(engine, areas):
    client = client_for(engine, areas, simulate=False)
    now = fresh_now()
    feed(engine, now)
    first = take(client)
    feed(engine, now + timedelta(seconds=5), speed=32.02)  # speed moves by 0,02 km/h
    second = take(client)
    older = client.get(f"/api/v1/snapshots/{first}").json["record"]
    newer = client.get(f"/api/v1/snapshots/{second}").json["record"]
    newer["city"]["kpis"]["traffic_flow"]["value"] += 40  # more cars
    result = compare(newer, older)
    city = next(a for a in result["areas"] if a["slug"] == "city")
    flow = next(r for r in city["kpis"] if r["key"] == "traffic_flow")
    assert flow["move"] == "changed" and flow["delta"] == 40
    for lang, same in (("vi", "không đổi"), ("en", "unchanged")):
        html = compare_block(result, {"id": first, "taken_at": older["taken_at"]}, newer, lang)
        assert same in html and "+0,0" not in html and "+0.0" not in html
        row = html[html.index("<tbody>") : html.index("</tr>", html.index("<tbody>"))]
        flow_cell = row.split("<td>")[2]
        assert "+40" in flow_cell and "▲" not in flow_cell and "▼" not in flow_cell


def metric(value: float, unit: str, digits: int) -> dict:
    return {"id": "pending", "title": {"vi": "Hồ sơ đang xử lý", "en": "Applications pending"},
            "unit": unit, "digits": digits, "value": value, "status": "ok",
            "thresholds": {"direction": "lower"}}  # fmt: skip


def test_metric_changes_show_counts_without_decimals_and_units_in_the_page_language():
    older = metric(2810, "hồ sơ", 0)
    newer = metric(2934, "hồ sơ", 0)
    comparison = {"areas": [], "better": [], "worse": [], "alarms_new": [], "alarms_cleared": [],
                  "metrics": [{"id": "pending", "title": newer["title"], "unit": "hồ sơ",
                               "before": 2810, "after": 2934, "delta": 124, "move": "worse",
                               "status_before": "ok", "status_after": "ok"}]}  # fmt: skip
    record = {"metrics": [newer]}
    other = {"id": 1, "taken_at": "2026-11-24T00:30:00Z"}
    vi = compare_block(comparison, other, record, "vi")
    assert "2.934 hồ sơ" in vi and "2.934,00" not in vi and "124,00" not in vi
    en = compare_block(comparison, other, record, "en")
    assert "2,934 applications" in en and "hồ sơ" not in en
    assert metric_unit({"unit": "nhiệm vụ"}, "en") == "tasks"
    assert metric_unit({"unit": "nhiệm vụ", "unit_en": "assignments"}, "en") == "assignments"
    assert metric_unit({"unit": "%"}, "en") == "%"
    # As a snapshot's record keeps them (ioc/model/metric.py as_json): both languages.
    units = {"unit": "chỉ tiêu", "units": {"vi": "chỉ tiêu", "en": "indicators"}}
    assert (metric_unit(units, "en"), metric_unit(units, "vi")) == ("indicators", "chỉ tiêu")
    assert older["value"] < newer["value"]


def test_each_kpi_says_what_it_counts_over_which_period_and_its_source(engine, areas):
    client = client_for(engine, areas, simulate=False)
    feed(engine, fresh_now())
    snap_id = take(client)
    for lang, source, today in (("vi", "Nguồn:", "hôm nay"), ("en", "Source:", "today")):
        page = client.get(f"/briefing/{snap_id}?lang={lang}").get_data(as_text=True)
        cards = page[page.index('<div class="cards">') : page.index('<div class="charts">')]
        abouts = re.findall(r'card-line--about">([^<]*)<', cards)
        assert len(abouts) == 7 and all(source in a for a in abouts), abouts
        on_time = re.search(r'card-line">([^<]*(?:đúng hạn|on time)[^<]*)<', cards).group(1)
        assert today in on_time, on_time  # "99,8 % đúng hạn" alone had no period


def test_share_charts_start_near_their_values_and_draw_the_thresholds():
    thresholds = {"direction": "higher", "warn": 95, "alarm": 85}
    low, high = percent_axis([89.7, 100.0], thresholds)
    assert 70 <= low <= 85 and high >= 100  # 89.7 % and 100 % no longer look alike
    assert percent_axis([40.0], thresholds)[0] <= 40
    table = {"rows": [{"time": "2026-11-24T00:00:00Z", "up_pct": 89.7},
                      {"time": "2026-11-24T01:00:00Z", "up_pct": 100.0}]}  # fmt: skip
    html = percent_chart("c", table, "up_pct", "#1f9d87", thresholds, "vi")
    spec = json.loads(html[html.index("var s=") + 6 : html.index(";Plotly")])
    layout = spec["layout"]
    assert sorted(shape["y0"] for shape in layout["shapes"]) == [85, 95]
    said = [note["text"] for note in layout["annotations"]]
    assert "ngưỡng cần chú ý 95" in said and "ngưỡng báo động 85" in said
    assert layout["yaxis"]["range"][0] >= 70 and layout["yaxis"]["rangemode"] != "tozero"
