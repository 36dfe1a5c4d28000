"""The district drill-down's parts: its URL, its numbers from a real store, its CSV and JSON."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dash
import pytest
from sqlalchemy import select

from ioc.district_view import DEFAULT_RANGE, parse_view
from ioc.scope import Scope
from ioc.services.district import DistrictService
from ioc.services.district_backlog import intake_by_period
from ioc.services.district_wifi import down_periods
from ioc.services.kpis import load_kpis
from ioc.services.metrics import MetricsService
from ioc.services.wall import WallService
from ioc.store import letters, queries
from ioc.store.engine import make_engine, migrate
from ioc.store.schema import source_hours
from pages.web import create_app
from tests.conftest import make_settings
from tests.test_wall_service import NOW, backlog, status, traffic, wifi, write

# --- the URL --------------------------------------------------------------------------------


def test_an_empty_query_gives_the_traffic_tab_over_the_last_24_hours():
    view = parse_view("ninh-kieu", {}, now=NOW)
    assert (view.tab, view.range, view.lang, view.source) == ("traffic", "24h", "vi", None)
    assert view.until == NOW and view.since == NOW - timedelta(hours=24)
    assert view.notices == ()


def test_every_bad_parameter_falls_back_to_its_default_and_is_named():
    view = parse_view(
        "ninh-kieu",
        {"tab": "weather", "range": "forever", "lang": "fr", "source": "../etc/passwd"},
        now=NOW,
    )
    assert (view.tab, view.range, view.lang, view.source) == ("traffic", DEFAULT_RANGE, "vi", None)
    text = " ".join(view.notices)
    for shown in ("tab=weather", "range=forever", "lang=fr", "source=../etc/passwd"):
        assert shown in text


def test_a_custom_range_is_read_as_local_days_and_kept_in_the_links():
    view = parse_view(
        "cai-rang", {"range": "custom", "from": "2026-11-01", "to": "2026-11-03"}, now=NOW
    )
    # 1 November 00:00 in Can Tho is 31 October 17:00 UTC; the 3rd is included whole.
    assert view.since == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert view.until == datetime(2026, 11, 3, 17, tzinfo=UTC)
    again = parse_view("cai-rang", dict(p.split("=") for p in view.href().split("?")[1].split("&")))
    assert (again.since, again.until) == (view.since, view.until)


@pytest.mark.parametrize(
    ("first", "last", "word"),
    [
        ("2026-11-05", "2026-11-01", "before"),  # backwards
        ("2027-01-01", "2027-01-02", "future"),
        ("2026-01-01", "2026-11-01", "longer"),
        ("yesterday", "2026-11-01", "from=yesterday"),
        ("2026-11-01", "2026-13-45", "to=2026-13-45"),
    ],
)
def test_an_unusable_custom_range_gives_the_default_range_with_a_notice(first, last, word):
    view = parse_view(
        "cai-rang", {"range": "custom", "from": first, "to": last, "lang": "en"}, now=NOW
    )
    assert view.range == DEFAULT_RANGE and view.until == NOW
    assert word in " ".join(view.notices)


# --- pure helpers ---------------------------------------------------------------------------


def test_down_periods_run_from_a_down_report_to_the_next_up_report_clipped_to_the_range():
    t0 = NOW - timedelta(hours=2)
    reports = [
        (t0, True),
        (t0 + timedelta(minutes=10), False),
        (t0 + timedelta(minutes=11), False),
        (t0 + timedelta(minutes=30), True),
        (t0 + timedelta(minutes=90), False),
    ]
    found = down_periods(reports, since=t0 + timedelta(minutes=20), until=NOW)
    assert found == [
        (t0 + timedelta(minutes=20), t0 + timedelta(minutes=30)),
        (t0 + timedelta(minutes=90), NOW),
    ]


def _hour(source, hour, received, resolved, on_time):
    return SimpleNamespace(
        source=source, hour=hour, received_max=received, resolved_max=resolved,
        on_time_max=on_time,
    )  # fmt: skip


def test_intake_counts_the_rise_of_day_counters_per_hour_and_their_high_per_day():
    # Local 08:00 and 09:00 on 23 November are 01:00 and 02:00 UTC.
    h8, h9 = datetime(2026, 11, 23, 1, tzinfo=UTC), datetime(2026, 11, 23, 2, tzinfo=UTC)
    hours = [_hour("a", h8, 5, 2, 2), _hour("a", h9, 9, 6, 5), _hour("b", h9, 3, 1, 0)]
    hourly = intake_by_period(hours, daily=False)
    assert [(r["received"], r["resolved"]) for r in hourly] == [(5, 2), (4 + 3, 4 + 1)]
    daily = intake_by_period(hours, daily=True)
    assert len(daily) == 1
    assert daily[0]["period"] == datetime(2026, 11, 22, 17, tzinfo=UTC)  # local midnight
    assert (daily[0]["received"], daily[0]["resolved"]) == (12, 7)
    assert daily[0]["on_time_pct"] == pytest.approx(100 * 5 / 7)


# --- numbers from a real store --------------------------------------------------------------


@pytest.fixture
def district(engine, areas):
    settings = make_settings()
    kpis = load_kpis(settings.kpis_file)
    metrics = MetricsService(engine, None, settings.stale_factor)
    wall = WallService(settings, engine, areas, kpis, metrics)
    return DistrictService(settings, engine, areas, kpis, wall, metrics)


def _history(engine, hours: int = 30):
    """Two cameras a minute for ``hours`` hours, cam-b slow; ap-1 was down a while, ap-3 is now."""
    for minute in range(hours * 60, -1, -1):
        ts = NOW - timedelta(minutes=minute)
        batch = [
            traffic("ninh-kieu", "cam-a", 40, 40.0, ts=ts),
            traffic("ninh-kieu", "cam-b", 20, 12.0, ts=ts),
            traffic("cai-rang", "cam-c", 30, 30.0, ts=ts),
            wifi("ninh-kieu", "ap-1", not (30 <= minute < 90), ts=ts),
            wifi("ninh-kieu", "ap-2", True, ts=ts),
            wifi("ninh-kieu", "ap-3", minute > 10, ts=ts),
        ]
        if minute % 5 == 0:
            done = (hours * 60 - minute) // 5
            batch.append(backlog("ninh-kieu", "desk", 10, 1, done, done, done + 2, ts=ts))
        write(engine, batch, now=ts)
    status(engine, "ninh-kieu", True, now=NOW - timedelta(hours=hours))


def test_the_traffic_tab_lists_every_camera_with_its_figures_now_and_over_the_range(
    engine, district
):
    _history(engine, hours=2)
    view = parse_view("ninh-kieu", {"tab": "traffic", "range": "1h"}, now=NOW)
    report = district.report(view, NOW)
    cams = {row["source"]: row for row in report.tables["traffic_sources"].rows}
    assert set(cams) == {"cam-a", "cam-b"}  # another district's camera is not here
    assert cams["cam-a"]["flow"] == 40 and cams["cam-a"]["speed"] == 40.0
    assert cams["cam-b"]["status"] == "alarm"  # 12 km/h, alarm below 15
    assert cams["cam-a"]["reports"] == 60  # one a minute over the last hour
    assert cams["cam-b"]["speed_avg"] == pytest.approx(12.0)
    assert report.tables["traffic_worst"].rows[0]["source"] == "cam-b"
    series = report.tables["traffic_series"].rows
    assert len(series) == 61  # a point a minute over the hour, the partial first included
    full = [row for row in series if row["reports"] == 2]
    assert full and all(row["flow"] == pytest.approx(60) for row in full)
    assert all(row["speed"] == pytest.approx((40 * 40 + 12 * 20) / 60) for row in full)


def test_long_ranges_read_the_hourly_rollups_and_agree_with_the_raw_readings(engine):
    _history(engine, hours=30)
    assert not parse_view("ninh-kieu", {"range": "24h"}, now=NOW).raw
    with engine.connect() as conn:
        since = NOW.replace(minute=0, second=0) - timedelta(hours=20)
        until = NOW.replace(minute=0, second=0)
        hourly = queries.source_totals(
            conn, district="ninh-kieu", feed="traffic", since=since, until=until, raw=False
        )
        exact = queries.source_totals(
            conn, district="ninh-kieu", feed="traffic", since=since, until=until, raw=True
        )
    for source in ("cam-a", "cam-b"):
        assert hourly[source]["n"] == exact[source]["n"] == 20 * 60
        assert hourly[source]["vehicles"] == pytest.approx(exact[source]["vehicles"])
        assert hourly[source]["speed_x_vehicles"] == pytest.approx(
            exact[source]["speed_x_vehicles"]
        )


def test_the_wifi_tab_puts_aps_that_are_down_first_and_draws_their_outages(engine, district):
    _history(engine, hours=3)
    view = parse_view("ninh-kieu", {"tab": "wifi", "range": "24h"}, now=NOW)
    report = district.report(view, NOW)
    aps = report.tables["wifi_aps"].rows
    # Down first; then the longest in their state.
    assert [(row["source"], row["state"]) for row in aps] == [
        ("ap-3", "down"), ("ap-2", "up"), ("ap-1", "up"),
    ]  # fmt: skip
    assert [row["source"] for row in report.tables["wifi_down"].rows] == ["ap-3"]
    assert aps[0]["since"] == NOW - timedelta(minutes=10)
    # ap-1 was down for 60 of its 181 reports: the share of "up" reports, as on the wall.
    assert aps[2]["uptime"] == pytest.approx(100 * 121 / 181)
    # Over 24 h, outages come from the hourly rollups: whole hours, minutes down summed.
    outages = {row["source"]: row for row in report.tables["wifi_outages"].rows}
    assert outages["ap-1"]["down_min"] == pytest.approx(60)
    assert outages["ap-1"]["start"] <= NOW - timedelta(minutes=89)
    assert outages["ap-1"]["end"] >= NOW - timedelta(minutes=29)
    assert outages["ap-3"]["end"] == NOW  # still down
    assert "ap-2" not in outages
    # Over the last hour, from the raw reports: exact to the report, clipped to the range.
    hour = district.report(parse_view("ninh-kieu", {"tab": "wifi", "range": "1h"}, now=NOW), NOW)
    exact = {row["source"]: row for row in hour.tables["wifi_outages"].rows}
    assert exact["ap-1"]["start"] == NOW - timedelta(minutes=60)
    assert exact["ap-1"]["end"] == NOW - timedelta(minutes=29)
    assert exact["ap-3"]["start"] == NOW - timedelta(minutes=10)


def test_the_services_tab_counts_each_desk_and_its_intake(engine, district):
    _history(engine, hours=2)
    report = district.report(parse_view("ninh-kieu", {"tab": "services"}, now=NOW), NOW)
    (desk,) = report.tables["services_desks"].rows
    assert (desk["pending"], desk["overdue"]) == (10, 1)
    assert desk["overdue_pct"] == pytest.approx(10.0)
    assert desk["status"] == "warn"  # 10 % overdue: warn at 5, alarm above 10
    intake = report.tables["services_intake"].rows
    # Counters rose from 2 to 26 received over two hours (ranges under 48 h count per hour).
    assert sum(row["received"] for row in intake) == 24 + 2


def test_the_header_shows_the_district_beside_the_median_of_every_district(engine, district):
    _history(engine, hours=1)
    report = district.report(parse_view("ninh-kieu", {}, now=NOW), NOW)
    flow = report.kpi("traffic_flow")
    assert flow.value == 60  # 40 + 20 vehicles a minute
    # Two districts have cameras: the median of 60 and 30.
    assert flow.median == pytest.approx(45)
    assert report.online is True
    assert report.online_since == NOW - timedelta(hours=1)


def test_a_source_detail_holds_its_last_message_history_and_rejections(engine, district):
    _history(engine, hours=1)
    letter = letters.DeadLetter(
        NOW, "ioc/v1/ninh-kieu/traffic/cam-a", b'{"vehicles": -1}', "invalid_payload",
        "vehicles: must be at least 0", "ninh-kieu",
    )  # fmt: skip
    with engine.begin() as conn:
        letters.add_dead_letters(conn, [letter])
    view = parse_view("ninh-kieu", {"range": "1h", "source": "cam-a"}, now=NOW)
    detail = district.report(view, NOW).source
    assert detail.latest["vehicles"] == 40 and detail.latest["ts"] == NOW
    assert len(detail.history.rows) == 60
    assert detail.rejected == 1
    assert detail.rejections.rows[0]["reason"] == "invalid_payload"
    missing = district.report(parse_view("ninh-kieu", {"source": "cam-zz"}, now=NOW), NOW)
    assert missing.source is None and missing.source_missing


def test_the_migration_fills_hourly_rollups_from_readings_already_kept(tmp_path, areas):
    """A store from before the district page gets its per-source history when migrated."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    batch = [traffic("ninh-kieu", "cam-a", 10 + i, 30.0 + i, ts=NOW - timedelta(minutes=i))
             for i in range(90)]  # fmt: skip
    write(engine, batch)
    with engine.begin() as conn:
        expected = {
            tuple(row[:4]): row.n for row in conn.execute(select(source_hours))
        }  # what the ingestor wrote
        conn.execute(source_hours.delete())
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0002'")
        conn.exec_driver_sql("DROP TABLE source_hours")
        conn.exec_driver_sql("DROP INDEX ix_dead_letters_topic")
        conn.exec_driver_sql("DROP TABLE rollups_hour")  # 0004 to 0006 are applied again too
        conn.exec_driver_sql("DROP TABLE snapshots")
        conn.exec_driver_sql("DROP INDEX ix_dead_letters_reason_id")
        for table in ("accounts", "tokens", "audit", "sessions", "app_secrets"):  # and 0007
            conn.exec_driver_sql(f"DROP TABLE {table}")
        for column in ("reconnects", "session_losses"):  # and 0008
            conn.exec_driver_sql(f"ALTER TABLE ingestors DROP COLUMN {column}")
        for table in ("alarms", "alarm_transitions", "alarm_deliveries", "alarm_lease"):  # 0011
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("DROP TABLE source_positions")  # and 0012
    migrate(engine)
    with engine.connect() as conn:
        found = {tuple(row[:4]): row.n for row in conn.execute(select(source_hours))}
    assert found == expected and sum(found.values()) == 90


# --- CSV and JSON through the app -----------------------------------------------------------


@pytest.fixture
def client(engine, areas):
    app = create_app(make_settings(metrics_file=None), engine=engine, areas=areas)
    return app.server.test_client()


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheet programs read the Vietnamese letters
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_csv_export_has_the_grid_columns_local_times_and_the_api_numbers(engine, client):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    write(engine, [traffic("ninh-kieu", "cam-a", 42, 35.5, ts=now),
                   traffic("ninh-kieu", "cam-b", 18, 14.0, ts=now)])  # fmt: skip
    response = client.get("/district/ninh-kieu/export/traffic_sources.csv?range=1h&lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    assert header[:4] == ["Camera / counter", "Source id", "Flow now (veh/min)", "Speed now (km/h)"]
    by_source = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_source["cam-b"]["Status"] == "alarm"
    assert by_source["cam-a"]["As of (GMT+7)"] == (now + timedelta(hours=7)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    report = client.get("/api/v1/districts/ninh-kieu/report?range=1h").get_json()
    api_rows = {r["source"]: r for r in report["tables"]["traffic_sources"]["rows"]}
    for source, row in by_source.items():
        assert float(row["Flow now (veh/min)"]) == pytest.approx(api_rows[source]["flow"])
        assert float(row["Speed now (km/h)"]) == pytest.approx(api_rows[source]["speed"])


def test_csv_headings_follow_the_language_and_unknown_tables_are_404(client):
    vi = _csv(client.get("/district/ninh-kieu/export/wifi_aps.csv"))
    assert vi[0][0] == "Điểm phát wifi"
    assert client.get("/district/ninh-kieu/export/secrets.csv").status_code == 404
    assert client.get("/district/atlantis/export/wifi_aps.csv").status_code == 404
    assert client.get("/district/ninh-kieu/export/source_history.csv").status_code == 404


def test_an_unknown_district_page_answers_404_and_the_api_says_why_in_json(client):
    assert client.get("/district/atlantis").status_code == 404
    assert client.get("/district/ninh-kieu").status_code == 200
    response = client.get("/api/v1/districts/atlantis/report")
    assert response.status_code == 404 and response.get_json()["error"] == "unknown district"


def test_the_viewer_scope_restricts_pages_csv_and_json(engine, areas):
    settings = make_settings(metrics_file=None, scope_header="X-IOC-Districts")
    client = create_app(settings, engine=engine, areas=areas).server.test_client()
    mine = {"X-IOC-Districts": "ninh-kieu"}
    assert client.get("/district/ninh-kieu", headers=mine).status_code == 200
    assert client.get("/district/cai-rang", headers=mine).status_code == 403
    assert client.get("/district/cai-rang").status_code == 403  # no header: nothing
    assert client.get("/api/v1/districts/cai-rang/report", headers=mine).status_code == 403
    assert client.get("/api/v1/districts/cai-rang/live", headers=mine).status_code == 403
    assert client.get("/district/cai-rang/export/wifi_aps.csv", headers=mine).status_code == 403
    assert client.get("/api/v1/districts/ninh-kieu/report", headers=mine).status_code == 200


def test_page_builders_take_the_scope_as_an_input(engine, areas):
    app = create_app(make_settings(metrics_file=None), engine=engine, areas=areas)
    # The page module as Dash loaded it (a page module cannot be imported before the app).
    page = next(p for p in dash.page_registry.values() if p["name"] == "district")
    district_layout = sys.modules[page["module"]].district_layout
    with app.server.test_request_context():
        services = app.server.extensions["ioc_services"]
        view = parse_view("cai-rang", {"lang": "en"})
        page = district_layout(services, view, Scope.only("ninh-kieu"))
        assert page.to_plotly_json()["props"]["data-code"] == "403"
        assert "Ninh Kieu" in str(page.to_plotly_json())
        shown = district_layout(services, view, Scope.everything())
        assert shown.to_plotly_json()["props"]["data-district"] == "cai-rang"
