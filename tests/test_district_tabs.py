"""Which tab a district page opens on, and each tab's worst status on the tab itself.

A district is red on the wall because of one feed; its page must open on that
feed's tab when the link names none, and every tab must show its own status,
so nobody lands on an all-green tab wondering why the district is red.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from plotly.utils import PlotlyJSONEncoder

from ioc.district_view import parse_view
from ioc.i18n import t
from ioc.model.district import HeaderKpi
from ioc.services.district import HEADER_KPIS, DistrictService, worst_tab
from ioc.services.kpis import load_kpis
from ioc.services.metrics import MetricsService
from ioc.services.wall import WallService
from tests.conftest import make_settings
from tests.test_wall_service import NOW, backlog, traffic, wifi, write
from widgets.district_controls import tabs
from widgets.district_header import kpi_card


@pytest.fixture
def district(engine, areas):
    settings = make_settings()
    kpis = load_kpis(settings.kpis_file)
    metrics = MetricsService(engine, None, settings.stale_factor)
    wall = WallService(settings, engine, areas, kpis, metrics)
    return DistrictService(settings, engine, areas, kpis, wall, metrics)


def _red_for_wifi(engine):
    """Fast cameras and a quiet desk (all fine), but two access points of three down."""
    for minute in range(30, -1, -1):
        ts = NOW - timedelta(minutes=minute)
        write(engine, [
            traffic("ninh-kieu", "cam-a", 40, 45.0, ts=ts),
            wifi("ninh-kieu", "ap-1", True, ts=ts),
            wifi("ninh-kieu", "ap-2", False, ts=ts),
            wifi("ninh-kieu", "ap-3", False, ts=ts),
            backlog("ninh-kieu", "desk", 3, 0, 5, 5, 5, ts=ts),
        ], now=ts)  # fmt: skip


@pytest.mark.parametrize(
    ("statuses", "opens"),
    [
        ({"traffic": "ok", "wifi": "alarm", "services": "ok"}, "wifi"),
        ({"traffic": "warn", "wifi": "ok", "services": "alarm"}, "services"),
        ({"traffic": "warn", "wifi": "warn", "services": "ok"}, "traffic"),  # page order
        ({"traffic": "ok", "wifi": "no_data", "services": "no_data"}, "traffic"),
        ({"traffic": "no_data", "wifi": "ok", "services": "stale"}, "services"),
        ({"traffic": "no_data", "wifi": "no_data", "services": "no_data"}, "traffic"),
        ({"traffic": "neutral", "wifi": "ok", "services": "no_data"}, "wifi"),  # a target only
    ],
)
def test_the_tab_to_open_is_the_one_that_needs_a_look(statuses, opens):
    assert worst_tab(statuses) == opens


def test_a_district_red_for_wifi_opens_on_its_wifi_tab_unless_a_tab_is_asked(engine, district):
    _red_for_wifi(engine)
    report = district.report(parse_view("ninh-kieu", {}, now=NOW), NOW)
    assert report.status == "alarm"
    assert report.tab_status["wifi"] == "alarm"
    assert report.tab_status["traffic"] == "ok"
    assert report.view.tab == "wifi"
    assert "wifi_aps" in report.tables  # the wifi tab's tables were built, not traffic's
    assert "tab=wifi" in report.view.href()  # its links keep the tab it opened on
    asked = district.report(parse_view("ninh-kieu", {"tab": "traffic"}, now=NOW), NOW)
    assert asked.view.tab == "traffic" and "traffic_sources" in asked.tables
    # A bad tab is named in a notice and treated as none asked.
    bad = district.report(parse_view("ninh-kieu", {"tab": "weather"}, now=NOW), NOW)
    assert bad.view.tab == "wifi" and bad.view.notices
    # A source named alone opens the tab it belongs to.
    cam = district.report(parse_view("ninh-kieu", {"source": "cam-a"}, now=NOW), NOW)
    assert cam.view.tab == "traffic" and cam.source is not None
    assert district.report(parse_view("ninh-kieu", {}, now=NOW), NOW).as_json()["tab"] == "wifi"


def test_each_tab_carries_its_worst_status_as_a_mark_and_in_its_name(engine, district):
    _red_for_wifi(engine)
    report = district.report(parse_view("ninh-kieu", {"lang": "en"}, now=NOW), NOW)
    nav = tabs(report.view, "en", report.tab_status)
    by_tab = {}
    for link in nav.children:
        shape = link.children[0]
        by_tab[link.id] = (shape.className, link.title)
    assert by_tab["district-tab-wifi"] == ("mark mark--alarm mark--bare", "Public wifi: alarm")
    assert by_tab["district-tab-traffic"][0] == "mark mark--ok mark--bare"
    assert by_tab["district-tab-services"][0] == "mark mark--ok mark--bare"


def test_every_header_figure_says_what_it_counts_over_which_period_and_from_where():
    cards = []
    for key in HEADER_KPIS:
        kpi = HeaderKpi(key, 10.0, 50.0, "ok", NOW, 12.0, 20.0)
        cards.append(json.dumps(kpi_card(kpi, "en", NOW).to_plotly_json(), cls=PlotlyJSONEncoder))
    for key, card in zip(HEADER_KPIS, cards, strict=True):
        assert "kpi-basis" in card, key
        assert "live reports" in card, key  # the source
        assert any(word in card for word in ("now", "24 h", "today")), key  # the period
    # The metrics table names its own source, and the figure both measure.
    vi = t("metrics_basis", "vi")
    assert "kho dữ liệu" in vi and "Hồ sơ đang xử lý" in vi
    assert "Applications pending" in t("metrics_basis", "en")
