"""Alarms where people read them besides /alarms: the district page (active now and the
last 30 days) and the briefing snapshot (active at the time, raised and closed since the
previous briefing)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import dash
import pytest
from plotly.utils import PlotlyJSONEncoder

from ioc.district_view import parse_view
from ioc.model.alarm import Condition
from ioc.scope import Scope
from ioc.store import alarms as rows
from pages.web import create_app
from tests.conftest import make_settings


def raise_alarm(engine, district, subject, at, *, kind="feed_stale", severity="high"):
    """An alarm raised at ``at`` by the evaluator, as the store keeps it."""
    found = Condition(f"{kind}:{district}:{subject}", kind, district, subject, severity,
                      f"{district}: {subject} vi", f"{district}: {subject} en")  # fmt: skip
    with engine.begin() as conn:
        made = rows.insert_alarm(conn, found, at)
        rows.add_transition(conn, made, at, "raise", None, "active_unacked", "evaluator")
    return made


def close_alarm(engine, alarm_id, at):
    """Acknowledge then clear: closed, with its transitions."""
    with engine.begin() as conn:
        rows.change_alarm(conn, alarm_id, "active_unacked", state="active_acked", acked_by="an",
                          acked_at=at, ack_note="đã gọi", updated_at=at)  # fmt: skip
        rows.add_transition(conn, alarm_id, at, "ack", "active_unacked", "active_acked", "an", "")
        rows.change_alarm(conn, alarm_id, "active_acked", state="closed", cleared_at=at,
                          updated_at=at)  # fmt: skip
        rows.add_transition(conn, alarm_id, at, "clear", "active_acked", "closed", "evaluator", "")


@pytest.fixture
def app(engine, areas):
    return create_app(make_settings(metrics_file=None), engine=engine, areas=areas)


def _district_page(app, slug, lang):
    page = next(p for p in dash.page_registry.values() if p["name"] == "district")
    district_layout = sys.modules[page["module"]].district_layout
    with app.server.test_request_context():
        services = app.server.extensions["ioc_services"]
        view = parse_view(slug, {"lang": lang})
        page = district_layout(services, view, Scope.everything())
        return json.loads(json.dumps(page, cls=PlotlyJSONEncoder))


def _find(tree, component_id):
    """The component with this id in a layout's JSON."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        tree = tree.get("props", {}).get("children")
    for child in tree if isinstance(tree, list) else [tree] if isinstance(tree, dict) else []:
        found = _find(child, component_id)
        if found is not None:
            return found
    return None


def _text(tree) -> str:
    return json.dumps(tree, default=str, ensure_ascii=False)


def _alarm_rows(table) -> list[int]:
    """The alarms a table lists, in its order."""
    body = table["props"]["children"][1]["props"]["children"]
    return [int(row["props"]["data-alarm"]) for row in body]


def test_the_district_page_lists_its_active_alarms_worst_first_and_30_days_of_history(app, engine):
    now = datetime.now(UTC)
    low = raise_alarm(engine, "cai-rang", "kpi", now - timedelta(hours=2), kind="kpi_alarm",
                      severity="low")  # fmt: skip
    critical = raise_alarm(engine, "cai-rang", "ioc", now - timedelta(minutes=5),
                           kind="ioc_offline", severity="critical")  # fmt: skip
    old = raise_alarm(engine, "cai-rang", "wifi", now - timedelta(days=3))
    close_alarm(engine, old, now - timedelta(days=3) + timedelta(minutes=20))
    raise_alarm(engine, "ninh-kieu", "traffic", now - timedelta(minutes=1))  # another district
    gone = raise_alarm(engine, "cai-rang", "traffic", now - timedelta(days=40))
    close_alarm(engine, gone, now - timedelta(days=40) + timedelta(minutes=5))

    for lang, words in (
        ("vi", ("Khẩn cấp", "Thấp", "2 cảnh báo đang hoạt động, 2 chưa ai")),
        ("en", ("Critical", "Low", "2 active alarms, 2 not acknowledged")),
    ):
        layout = _district_page(app, "cai-rang", lang)
        page = _text(layout)
        for word in words:
            assert word in page, (lang, word)
        # Worst first: the critical alarm before the low one though it is younger.
        active = _find(layout, "district-alarms-table")
        assert _alarm_rows(active) == [critical, low]
        assert "mark--alarm" in _text(active) and "mark--neutral" in _text(active)
        history = _alarm_rows(_find(layout, "district-alarms-history-table"))
        assert old in history and critical in history  # 3 days ago, and today
        assert gone not in history  # 40 days ago: past the 30 days
        assert f"/alarms/{critical}?lang={lang}" in page


def test_a_district_without_alarms_says_so(app):
    page = _text(_district_page(app, "phong-dien", "en"))
    assert "No active alarms." in page and "No alarms in the last 30 days." in page
