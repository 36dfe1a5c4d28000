"""The wall's pure parts: tiles, map, charts, the URL parameters, the KPI file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc.model.metric import Metric, MetricView
from ioc.model.wall import Alarm, AreaState, Kpi
from ioc.services.kpis import KpiConfigError, load_kpis
from ioc.status import Thresholds, status_of
from ioc.wall_view import DEFAULT_ROTATE_S, SCENES, parse_view
from widgets import wall_charts as charts
from widgets.district_map import area_shapes, map_figure, map_patch
from widgets.theme import OFFLINE_SYMBOL, STATUS_COLOURS, STATUS_SYMBOLS
from widgets.tiles import (
    metric_body,
    metric_class,
    tile_body,
    tile_class,
    time_text,
    trend_figure,
    trend_patch,
    unit_text,
    value_text,
)

NOW = datetime(2026, 11, 23, 3, 0, 30, tzinfo=UTC)


def texts(component) -> str:
    """All text of a component tree, in order."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(filter(None, (texts(c) for c in component)))
    children = getattr(component, "children", None)
    return "" if children is None else texts(children)


def state(slug, status="ok", online=True, name=None) -> AreaState:
    return AreaState(slug, name or slug, name or slug, online, NOW, {}, status)


# --- tiles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kpi", "lang", "shown"),
    [
        ("traffic_flow", Kpi("traffic_flow", 1234.4, "ok", NOW), "vi", "1.234"),
        ("traffic_flow", Kpi("traffic_flow", 1234.4, "ok", NOW), "en", "1,234"),
        ("traffic_speed", Kpi("traffic_speed", 36.66, "ok", NOW), "vi", "36,7"),
        ("wifi_up", Kpi("wifi_up", 1490, "ok", NOW, total=1601, share=93.0), "vi", "1.490"),
        ("traffic_flow", Kpi("traffic_flow", None, "stale", NOW), "vi", "—"),
        ("traffic_flow", None, "en", "—"),
    ],
)
def test_tile_values_are_formatted_per_language(key, kpi, lang, shown):
    assert value_text(key, kpi, lang) == shown


def test_a_part_of_a_whole_says_of_how_many():
    kpi = Kpi("wifi_up", 1490, "warn", NOW, total=1601, share=93.1)
    assert unit_text("wifi_up", kpi, "vi") == "/ 1.601 điểm"
    assert unit_text("wifi_up", kpi, "en") == "/ 1,601 APs"
    assert unit_text("traffic_flow", None, "vi") == "xe/phút"


def test_a_tile_says_its_status_in_words_and_its_time_in_can_tho():
    kpi = Kpi("backlog_overdue", 31, "warn", NOW, share=6.25)
    body = texts(tile_body("backlog_overdue", kpi, "vi", NOW, {}))
    assert "Hồ sơ quá hạn" in body and "31" in body and "6,2 %" in body
    assert "cần chú ý" in body and "lúc 10:00" in body
    english = texts(tile_body("backlog_overdue", kpi, "en", NOW, {}))
    assert "Applications overdue" in english and "warning" in english and "as of 10:00" in english
    assert tile_class("warn") == "tile tile--warn"


def test_a_stale_tile_is_grey_and_says_how_old():
    kpi = Kpi("traffic_flow", None, "stale", NOW - timedelta(minutes=12))
    assert time_text(kpi, "vi", NOW) == "lúc 09:48 · 12 phút trước"
    assert time_text(kpi, "en", NOW) == "as of 09:48 · 12 min ago"
    body = texts(tile_body("traffic_flow", kpi, "vi", NOW, {}))
    assert body.count("dữ liệu cũ") == 1  # said once, by the status word
    assert tile_class(kpi.status) == "tile tile--stale"
    assert trend_figure(kpi)["data"][0]["line"]["color"] == STATUS_COLOURS["stale"]


def test_a_trend_is_patched_in_place():
    kpi = Kpi("traffic_flow", 5, "alarm", NOW, trend=(1.0, None, 3.0))
    figure = trend_figure(kpi)
    assert figure["data"][0]["y"] == [1.0, None, 3.0]
    patch = trend_patch(kpi).to_plotly_json()
    paths = {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}
    assert paths[("data", 0, "y")] == [1.0, None, 3.0]
    assert paths[("data", 0, "line", "color")] == STATUS_COLOURS["alarm"]


# --- map --------------------------------------------------------------------------------


def test_the_map_draws_every_area_of_the_catalogue(areas):
    shapes = area_shapes(areas)
    assert [s["slug"] for s in shapes] == [a.slug for a in areas.areas]
    for shape in shapes:
        lon = [x for x in shape["lon"] if x is not None]
        lat = [y for y in shape["lat"] if y is not None]
        assert len(lon) > 10
        # The label point lies inside the area's bounding box (Can Tho: lon 105, lat 10).
        assert min(lon) < shape["label"][0] < max(lon)
        assert min(lat) < shape["label"][1] < max(lat)


def test_map_colours_and_shapes_follow_status_and_presence(areas):
    slugs = [a.slug for a in areas.areas]
    states = [state(slug) for slug in slugs]
    states[0] = state(slugs[0], "alarm")
    states[1] = state(slugs[1], "warn")
    states[2] = state(slugs[2], "stale", online=False)
    figure = map_figure(areas, states, "vi")
    assert len(figure["data"]) == len(slugs) + 1
    assert figure["data"][0]["fillcolor"].startswith(STATUS_COLOURS["alarm"])
    assert figure["data"][1]["fillcolor"].startswith(STATUS_COLOURS["warn"])
    marks = figure["data"][-1]["marker"]
    assert marks["symbol"][:4] == [
        STATUS_SYMBOLS["alarm"], STATUS_SYMBOLS["warn"], OFFLINE_SYMBOL, STATUS_SYMBOLS["ok"]
    ]  # fmt: skip
    assert "mất kết nối" in figure["data"][-1]["text"][2]
    # The patch recolours without resending any shape.
    operations = map_patch(states, "vi").to_plotly_json()["operations"]
    assert not any(op["location"][-1] in ("x", "y") for op in operations)


def test_a_focused_district_stands_out(areas):
    states = [state(a.slug) for a in areas.areas]
    figure = map_figure(areas, states, "en", focus="cai-rang")
    focused = [a.slug for a in areas.areas].index("cai-rang")
    opacity = figure["data"][-1]["marker"]["opacity"]
    assert opacity[focused] == 1.0 and sorted(set(opacity)) == [0.25, 1.0]
    assert figure["data"][focused]["line"]["width"] > figure["data"][0]["line"]["width"]


# --- charts and lists ------------------------------------------------------------------


def test_every_wall_chart_uses_only_trace_types_of_the_served_plotly_bundle(areas):
    # assets/vendor holds plotly.js "basic": scatter, bar and pie. Others would not draw.
    names = ["A", "B"]
    figures = [
        charts.district_bars(names, [1, None], ["ok", "no_data"], "vi", markers=[2, None]),
        charts.stacked_bars(names, [("x", [1, 2], "#fff"), ("y", [3, 4], "#000")], "vi"),
        charts.overlaid_bars(names, ("x", [3, 4], "#fff"), ("y", [1, 2], "#000"), "vi"),
        charts.hourly_lines([1.0] * 24, [2.0] * 24, "en"),
        charts.down_hours([(NOW, 2.0)], "vi"),
        map_figure(areas, [state(a.slug) for a in areas.areas], "vi"),
        trend_figure(Kpi("traffic_flow", 1, "ok", NOW, trend=(1.0,))),
    ]
    for figure in figures:
        assert {trace["type"] for trace in figure["data"]} <= {"scatter", "bar", "pie"}


def test_bars_say_no_data_rather_than_zero():
    figure = charts.district_bars(["A", "B"], [12.5, None], ["ok", "no_data"], "vi", digits=1)
    assert figure["data"][1]["text"] == ["● 12,5", "chưa có dữ liệu"]
    assert figure["data"][0]["marker"]["color"] == [STATUS_COLOURS["ok"], STATUS_COLOURS["no_data"]]


def test_share_bars_start_near_their_values_and_say_each_status_by_shape():
    # 89.7 % and 100 % must not look alike: the axis starts near the lowest value.
    figure = charts.district_bars(["A", "B", "C"], [89.7, 100.0, 96.0], ["alarm", "ok", "warn"],
                                  "vi", digits=1, suffix=" %", upper=100)  # fmt: skip
    low, high = figure["layout"]["xaxis"]["range"]
    assert 80 <= low <= 85 < 100 < high
    assert [text.split()[0] for text in figure["data"][1]["text"]] == ["■", "●", "▲"]
    assert figure["layout"]["yaxis"]["dtick"] == 1  # every district named
    # A count keeps its zero.
    assert charts.district_bars(["A"], [40.0], ["ok"], "vi")["layout"]["xaxis"]["range"][0] == 0
    # The warn and alarm limits of kpis.toml, as dashed lines in their colours.
    ruled = charts.district_bars(["A"], [97.0], ["warn"], "vi", digits=1, suffix=" %",
                                 upper=100, limits=(98.0, 95.0))  # fmt: skip
    lines = {(s["x0"], s["line"]["color"]) for s in ruled["layout"]["shapes"]}
    assert lines == {(98.0, STATUS_COLOURS["warn"]), (95.0, STATUS_COLOURS["alarm"])}
    assert ruled["layout"]["xaxis"]["range"][0] <= 90  # both limits in view


def test_figure_patch_carries_the_data_of_every_trace():
    figure = charts.hourly_lines([1.0] * 24, [2.0] * 24, "vi")
    operations = charts.figure_patch(figure).to_plotly_json()["operations"]
    located = {tuple(op["location"]) for op in operations}
    assert ("data", 0, "y") in located and ("data", 1, "y") in located


def test_the_ticker_names_place_what_and_how_bad():
    names = {"ninh-kieu": "Ninh Kiều", "thot-not": "Thốt Nốt", "co-do": "Cờ Đỏ"}
    alarms = [
        Alarm("ninh-kieu", "kpi", "traffic_speed", "alarm", 12.04, NOW),
        Alarm("thot-not", "offline", "ioc", "alarm", since=NOW),
        Alarm("co-do", "stale", "wifi", "stale", since=NOW - timedelta(minutes=5)),
    ]
    chips = charts.ticker_items(alarms, names, "vi", NOW)
    assert [c.className for c in chips] == [
        "chip chip--alarm",
        "chip chip--alarm",
        "chip chip--stale",
    ]
    assert texts(chips[0]) == "Ninh Kiều  Tốc độ trung bình 12,0 km/h · báo động"
    assert "IOC mất kết nối từ 10:00:30" in texts(chips[1])
    assert "Wifi công cộng: dữ liệu cũ (5 phút trước)" in texts(chips[2])
    assert texts(charts.ticker_items([], names, "en", NOW)) == "No alarms"


# --- URL parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "scenes", "rotate", "lang", "district", "notices"),
    [
        ({}, SCENES, DEFAULT_ROTATE_S, "vi", None, 0),
        ({"scenes": "overview,traffic,wifi", "rotate": "20", "lang": "en"},
         ("overview", "traffic", "wifi"), 20, "en", None, 0),
        ({"scenes": "wifi,wifi,backlog"}, ("wifi", "backlog"), 20, "vi", None, 0),
        ({"rotate": "0"}, SCENES, 0, "vi", None, 0),
        ({"district": "rotate"}, (), 20, "vi", "rotate", 0),
        ({"district": "cai-rang", "scenes": "overview"}, ("overview",), 20, "vi", "cai-rang", 0),
        ({"rotate": "abc"}, SCENES, DEFAULT_ROTATE_S, "vi", None, 1),
        ({"rotate": "2"}, SCENES, DEFAULT_ROTATE_S, "vi", None, 1),
        ({"scenes": "nope"}, SCENES, 20, "vi", None, 1),
        ({"lang": "fr", "district": "atlantis"}, SCENES, 20, "vi", None, 2),
        ({"jump": "maybe"}, SCENES, 20, "vi", None, 1),
    ],
)  # fmt: skip
def test_wall_parameters(areas, query, scenes, rotate, lang, district, notices):
    view = parse_view(query, areas, "vi")
    assert view.scenes == scenes
    assert (view.rotate_s, view.lang, view.district) == (rotate, lang, district)
    assert len(view.notices) == notices


def test_without_database_metrics_there_is_no_metrics_scene(areas):
    view = parse_view({}, areas, "vi", metrics=False)
    assert "dx" not in view.scenes and view.notices == ()
    asked = parse_view({"scenes": "overview,dx"}, areas, "vi", metrics=False)
    assert asked.scenes == ("overview",) and "'dx'" in asked.notices[0]


def test_a_bad_parameter_is_named_in_the_notice(areas):
    (notice,) = parse_view({"rotate": "soon"}, areas, "vi").notices
    assert notice == "Tham số không hợp lệ, dùng mặc định: rotate='soon' (0, 5–3600 s; 20 s used)"


def test_the_district_carousel_visits_every_district(areas):
    sequence = parse_view({"district": "rotate"}, areas, "vi").sequence(areas)
    assert [v["district"] for v in sequence] == [a.slug for a in areas.areas]
    mixed = parse_view({"scenes": "overview", "district": "rotate"}, areas, "vi").sequence(areas)
    assert mixed[0] == {"scene": "overview"} and len(mixed) == 1 + len(areas.areas)


# --- the KPI file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[traffic_sped]\ndirection = 'higher'\n", "unknown KPI [traffic_sped]"),
        ("[traffic_speed]\ndirection = 'up'\n", "direction must be 'higher' or 'lower'"),
        ("[traffic_speed]\nwarn = 10\nalarm = 20\n", "alarm must be below or at warn"),
        ("[traffic_speed]\nwarn = 'ten'\n", "warn must be a number"),
        ("[traffic_speed]\ncolour = 'red'\n", "unknown keys ['colour']"),
        ("[traffic_speed\n", "cannot read KPI thresholds"),
    ],
)
def test_a_broken_kpi_file_is_one_clear_message(tmp_path, content, message):
    path = tmp_path / "kpis.toml"
    path.write_text(content)
    with pytest.raises(KpiConfigError) as caught:
        load_kpis(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_another_citys_areas_draw_from_its_own_geojson(tmp_path):
    from ioc.areas import load_areas

    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    islands = [[[[2, 0], [3, 0], [3, 1], [2, 0]]], [[[4, 0], [5, 0], [5, 1], [4, 0]]]]
    path = tmp_path / "areas.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"slug": "phuong-1", "name_vi": "Phường 1"},'
        f' "geometry": {{"type": "Polygon", "coordinates": {square}}}}},'
        '{"type": "Feature", "properties": {"slug": "xa-dao", "name_vi": "Xã Đảo"},'
        f' "geometry": {{"type": "MultiPolygon", "coordinates": {islands}}}}}]}}'
    )
    catalogue = load_areas(path)
    figure = map_figure(catalogue, [state("phuong-1"), state("xa-dao", "warn")], "vi")
    assert len(figure["data"]) == 3
    # Both islands of the second area are drawn, as one trace split by a gap.
    assert figure["data"][1]["x"].count(None) == 2
    assert figure["data"][-1]["text"] == ["<b>phuong-1</b>", "<b>xa-dao</b>"]


def test_no_served_file_names_a_cdn():
    import re

    from ioc.config import ROOT

    cdn = re.compile(rb"https?://(cdn|unpkg|cdnjs|fonts\.googleapis|fonts\.gstatic|cdn\.jsdelivr)")
    served = [p for p in (ROOT / "assets").rglob("*") if p.suffix in (".js", ".css", ".html")]
    assert served and [p.name for p in served if cdn.search(p.read_bytes())] == []


def test_a_metric_short_of_its_target_reads_against_it_in_a_neutral_tile():
    rank = Thresholds("lower", target=5)
    metric = Metric("dti_rank", "Xếp hạng DTI", "DTI rank", "w", "SELECT 6", rank, 3600, "/ 63")
    view = MetricView(metric, 6, status_of(6, rank, stale=False), NOW, None)
    assert metric_class(view) == "tile tile--neutral tile--metric"
    body = texts(metric_body(view, "vi", NOW))
    assert "6 / mục tiêu 5" in body and "theo mục tiêu" in body and "bình thường" not in body
    assert "6 / target 5" in texts(metric_body(view, "en", NOW))


def test_bar_numbers_sit_beside_the_bars_at_28_px_never_shrunk_inside():
    names = ["Ninh Kiều", "Cái Răng"]
    stacked = charts.stacked_bars(
        names, [("a", [2934.0, 10], "#fff"), ("b", [5, None], "#000")], "vi"
    )
    overlaid = charts.overlaid_bars(
        names, ("received", [4, 0], "#fff"), ("resolved", [8, 1], "#000"), "en"
    )
    for figure in (stacked, overlaid):
        column = figure["data"][-1]
        assert column["mode"] == "text" and column["textfont"]["size"] == 28
        assert figure["layout"]["uniformtext"] == {"minsize": 28, "mode": "show"}
        assert all("text" not in trace for trace in figure["data"][:-1])  # no text in a bar
    assert stacked["data"][-1]["text"] == ["2.934 · 5", "10 · —"]  # no decimals; none: a dash
    assert overlaid["data"][-1]["text"] == ["4 · 8", "0 · 1"]
