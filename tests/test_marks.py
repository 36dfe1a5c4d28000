"""The one status mark: its markup, its words in both languages, its shapes on / and /wall;
the neutral status of a value with a target only; changes and counts as they read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ioc.config import DEFAULT_METRICS_FILE, ROOT
from ioc.i18n import t
from ioc.i18n.format import change_text, count_text
from ioc.metrics.catalogue import load_catalogue
from ioc.model.metric import MetricView
from ioc.status import Thresholds, status_of, worst
from tests.conftest import screenshot, wait_for_js
from tests.marks_check import check_marks
from tests.test_wall_page import open_wall
from widgets.mark import mark, mark_html
from widgets.tiles import metric_body

WORDS = {
    ("ok", "vi"): "bình thường", ("ok", "en"): "normal",
    ("warn", "vi"): "cần chú ý", ("alarm", "en"): "alarm",
    ("stale", "en"): "stale data", ("no_data", "vi"): "chưa có dữ liệu",
    ("neutral", "vi"): "theo mục tiêu", ("neutral", "en"): "against target",
}  # fmt: skip


@pytest.mark.parametrize(("status", "lang"), list(WORDS))
def test_a_mark_says_its_status_in_words_and_hides_its_shape_from_screen_readers(status, lang):
    word = WORDS[(status, lang)]
    html = mark_html(status, lang)
    assert html == (
        f'<span class="mark mark--{status}"><span class="mark__shape" aria-hidden="true">'
        f'</span><span class="mark__word">{word}</span></span>'
    )
    component = mark(status, lang)
    assert component.className == f"mark mark--{status}"
    shape, said = component.children
    assert shape.className == "mark__shape" and said.children == word


def test_a_mark_without_its_word_still_names_the_status_to_a_screen_reader():
    component = mark("alarm", "en", word=False, size=40)
    assert component.role == "img"
    assert component.to_plotly_json()["props"]["aria-label"] == "alarm"
    assert component.style == {"--mark-size": "40px"}
    assert 'aria-label="báo động"' in mark_html("alarm", "vi", False)


def test_the_server_written_mark_escapes_its_text_and_an_unknown_status_reads_no_data():
    assert "&lt;b&gt;" in mark_html("ok", "en", text="<b>")
    assert 'class="mark mark--no_data"' in mark_html("bogus", "en")


@pytest.mark.parametrize(
    ("value", "thresholds", "status"),
    [
        (6, Thresholds("lower", target=5), "neutral"),  # a rank against a target only
        (0, Thresholds("higher", target=106), "neutral"),  # 0 tasks done of 106
        (6, Thresholds("lower", warn=10, alarm=20, target=5), "neutral"),  # DTI rank 6, target 5
        (5, Thresholds("lower", warn=10, alarm=20, target=5), "ok"),
        (99.85, Thresholds("higher", warn=98, alarm=95, target=99.5), "ok"),
        (12, Thresholds("lower", warn=10, alarm=20, target=5), "warn"),
        (6, None, "ok"),  # informational: no target, no thresholds
        (None, Thresholds("lower", target=5), "no_data"),
    ],
)
def test_a_value_with_a_target_only_or_short_of_it_is_neutral_not_green(value, thresholds, status):
    assert status_of(value, thresholds, stale=False) == status


def test_neutral_raises_nothing_in_the_worst_of_several():
    assert worst(["neutral", "ok"]) == "ok"
    assert worst(["neutral", "warn"]) == "warn"
    assert worst(["neutral"]) == "neutral"


@pytest.mark.parametrize(
    ("delta", "lang", "digits", "text"),
    [
        (0, "vi", 1, "không đổi"),
        (0.04, "en", 1, "unchanged"),  # rounds to 0,0 as shown
        (2.5, "vi", 1, "▲ +2,5"),
        (-3, "en", 0, "▼ −3"),
        (1234, "vi", 0, "▲ +1.234"),
        (None, "vi", 0, "—"),
    ],
)
def test_a_change_reads_unchanged_when_nothing_changed(delta, lang, digits, text):
    assert change_text(delta, lang, digits) == text


@pytest.mark.parametrize(
    ("value", "lang", "text"), [(2934.0, "vi", "2.934"), (2934.4, "en", "2,934"), (None, "vi", "—")]
)
def test_counts_never_show_decimals(value, lang, text):
    assert count_text(value, lang) == text


# --- the shapes in the browser -----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_status_page_draws_each_status_in_its_own_shape(live_app, browser, lang):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(f"{live_app.base_url}/?lang={lang}")
        page.wait_for_selector(".status-table .mark")
        shapes = check_marks(page, f"status-{lang}", container=".status-page", lang=lang)
        screenshot(page, f"status-marks-{lang}")
        # A desk page's marks are the size of its text, not the wall's.
        assert 12 <= shapes["ok"]["width"] <= 24
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_wall_draws_each_status_in_its_own_shape_at_28_px_or_more(live_app, browser):
    context, page = open_wall(browser, live_app.base_url, "scenes=overview&rotate=0&jump=0")
    try:
        wait_for_js(page, "document.querySelectorAll('.scene.is-active .tile .mark').length >= 4")
        scene = "#wall-scene-overview .tile-grid"
        shapes = check_marks(page, "wall", container=scene, min_px=28)
        assert all(shape["width"] >= 28 for shape in shapes.values())
        # The same hues on the dark wall, lighter: ok is teal, alarm vermillion.
        assert shapes["ok"]["background"] == "rgb(47, 181, 160)"
        assert shapes["alarm"]["background"] == "rgb(255, 92, 57)"
    finally:
        context.close()


def test_two_sources_never_share_one_label_on_the_wall():
    """A database metric and a live KPI that measure one thing from two sources say so:
    the wall once showed "Hồ sơ đang xử lý" twice, 2.166 and 1.107."""
    catalogue = load_catalogue(DEFAULT_METRICS_FILE, root=ROOT)
    for lang in ("vi", "en"):
        keys = ("backlog_pending", "backlog_overdue", "backlog_on_time", "wifi_up",
                "wifi_uptime", "traffic_speed")  # fmt: skip
        kpi_labels = {t(f"kpi_{key}", lang) for key in keys}
        titles = {m.title(lang) for m in catalogue.metrics}
        assert not kpi_labels & titles, kpi_labels & titles


def test_english_metric_tiles_show_english_units():
    catalogue = load_catalogue(DEFAULT_METRICS_FILE, root=ROOT)
    metric = next(m for m in catalogue.metrics if m.unit_en and m.unit_en != m.unit)
    view = MetricView(metric, 12.0, "ok", None, None, {})
    text = str(metric_body(view, "en", datetime.now(UTC)))
    assert metric.unit_en in text and f"'{metric.unit}'" not in text
