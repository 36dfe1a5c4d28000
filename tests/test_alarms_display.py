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
from ioc.model.alarm import (
    SEVERITIES,
    Alarm,
    AlarmBoard,
    AlarmCounts,
    Condition,
    FloodState,
)
from ioc.model.snapshot import canonical, digest
from ioc.scope import Scope
from ioc.store import alarms as rows
from ioc.store import snapshots as snapshot_rows
from pages.web import create_app
from tests.conftest import make_settings
from widgets.wall_alarms import jump_districts, ticker_chips


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


# --- the briefing snapshot ---------------------------------------------------------------


def _take(app, scope="city", now=None):
    services = app.server.extensions["ioc_services"]
    return services.briefing.take(scope=scope, title="Giao ban", taken_by="an", now=now)


def test_a_briefing_keeps_the_open_alarms_and_counts_since_the_previous_briefing(app, engine):
    now = datetime.now(UTC).replace(microsecond=0)
    before = raise_alarm(engine, "cai-rang", "wifi", now - timedelta(hours=30))
    first = _take(app, now=now - timedelta(hours=3))
    assert [a["id"] for a in first.record["alarm_log"]["active"]] == [before]
    closed = raise_alarm(engine, "cai-rang", "traffic", now - timedelta(hours=2))
    close_alarm(engine, closed, now - timedelta(hours=1))
    close_alarm(engine, before, now - timedelta(minutes=30))
    still = raise_alarm(engine, "ninh-kieu", "ioc", now - timedelta(minutes=10),
                        kind="ioc_offline", severity="critical")  # fmt: skip
    second = _take(app, now=now)
    log = second.record["alarm_log"]
    assert [a["id"] for a in log["active"]] == [still]
    assert log["previous_id"] == first.id and log["since"] == first.record["taken_at"]
    # Since the previous briefing: two raised (the traffic one, the IOC), two closed.
    assert log["raised"]["feed_stale"] == 1 and log["raised"]["ioc_offline"] == 1
    assert log["closed"]["feed_stale"] == 2 and sum(log["closed"].values()) == 2
    assert second.intact  # the digest covers the new fields as it does the others

    client = app.server.test_client()
    vi = client.get(f"/briefing/{second.id}").get_data(as_text=True)
    en = client.get(f"/briefing/{second.id}?lang=en").get_data(as_text=True)
    assert "Cảnh báo đang mở lúc chụp" in vi and "1 cảnh báo đang mở, 1 chưa ai xác nhận" in vi
    assert "Khẩn cấp" in vi and f"số {first.id}" in vi
    assert "Alarms open at the time" in en and "ninh-kieu: ioc en" in en
    assert "Alarms since the previous briefing" in en and "Critical" in en
    period = en[en.index("alarm-period") :]
    assert "<td>Stale feed</td><td>1</td><td>2</td>" in period


def test_a_district_briefing_counts_only_its_own_alarms(app, engine):
    now = datetime.now(UTC)
    raise_alarm(engine, "cai-rang", "wifi", now - timedelta(hours=1))
    raise_alarm(engine, "ninh-kieu", "wifi", now - timedelta(hours=1))
    log = _take(app, scope="cai-rang", now=now).record["alarm_log"]
    assert [a["district"] for a in log["active"]] == ["cai-rang"]
    assert log["previous_id"] is None and sum(log["raised"].values()) == 1


def test_a_snapshot_taken_before_the_alarm_log_still_renders_and_verifies(app, engine):
    services = app.server.extensions["ioc_services"]
    taken = _take(app)
    old = {k: v for k, v in taken.record.items() if k != "alarm_log"}
    text = canonical(old)
    row = {"taken_at": taken.taken_at, "scope": "city", "trigger": "manual",
           "scheduled_for": None, "title": "cũ", "taken_by": "an", "status": old["status"],
           "record": text, "sha256": digest(text)}  # fmt: skip
    with engine.begin() as conn:
        old_id = snapshot_rows.insert_snapshot(conn, row)
    stored = services.briefing.get(old_id)
    assert stored.intact and "alarm_log" not in stored.record
    page = app.server.test_client().get(f"/briefing/{old_id}?lang=en")
    assert page.status_code == 200
    html_text = page.get_data(as_text=True)
    assert "Alarms at the time" in html_text and "Alarms open at the time" not in html_text


# --- the wall's ticker and alarm jump ----------------------------------------------------


def _board(active, flooding=False):
    counts = AlarmCounts({s: sum(1 for a in active if a.severity == s) for s in SEVERITIES},
                         sum(1 for a in active if a.unacked))  # fmt: skip
    return AlarmBoard(tuple(active), counts, FloodState(flooding, 12 if flooding else 1, 10, 10))


def _stored(alarm_id, district, severity, state, minutes_ago):
    at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return Alarm(alarm_id, f"k{alarm_id}", "feed_stale", district, "wifi", severity, state,
                 f"{district} vi {alarm_id}", f"{district} en {alarm_id}", at)  # fmt: skip


def test_the_wall_ticker_lists_active_alarms_worst_first_with_a_counter_and_unacked_marked():
    active = [
        _stored(3, "o-mon", "critical", "active_acked", 5),
        _stored(1, "cai-rang", "high", "active_unacked", 50),
        _stored(2, "o-mon", "low", "cleared_unacked", 90),
    ]  # the service's order
    chips = _text(json.loads(json.dumps(ticker_chips(_board(active), None, "vi"),
                                        cls=PlotlyJSONEncoder)))  # fmt: skip
    assert chips.index("Đang mở:") < chips.index("o-mon vi 3") < chips.index("cai-rang vi 1")
    assert "1 khẩn cấp · 1 cao · 1 thấp" in chips
    assert chips.count("chưa xác nhận") == 2 and "chip--unacked" in chips
    assert jump_districts(_board(active)) == "o-mon,cai-rang"
    district = _text(json.loads(json.dumps(ticker_chips(_board(active), "cai-rang", "en"),
                                           cls=PlotlyJSONEncoder)))  # fmt: skip
    assert "cai-rang en 1" in district and "o-mon" not in district
    assert "0 critical · 1 high · 0 low" in district and "not acknowledged" in district


def test_past_the_flood_limit_the_ticker_is_one_flood_banner_with_the_count():
    active = [_stored(i, "cai-rang", "high", "active_unacked", i) for i in range(1, 13)]
    for lang, said in (("vi", "Lũ cảnh báo: 12 cảnh báo mới trong 10 phút"),
                       ("en", "Alarm flood: 12 new alarms in 10 min")):  # fmt: skip
        chips = ticker_chips(_board(active, flooding=True), None, lang)
        text = _text(json.loads(json.dumps(chips, cls=PlotlyJSONEncoder)))
        assert len(chips) == 2 and said in text and "vi 1" not in text and "en 1" not in text
