"""The demo warehouse matches Can Tho's figures, and every catalogue metric runs on it."""

from __future__ import annotations

import re
import sqlite3
import tomllib
from contextlib import closing
from datetime import date, timedelta
from numbers import Real
from pathlib import Path

import pytest

from feeds.demo.warehouse import SOURCE, build_demo_warehouse
from ioc.areas import load_areas
from ioc.config import DEFAULT_AREAS_FILE, ROOT
from ioc.metrics.catalogue import MetricCatalogueError, load_catalogue

TODAY = date(2026, 11, 23)
CATALOGUE = tomllib.loads((ROOT / "ioc" / "defaults" / "metrics.toml").read_text("utf-8"))
METRICS = CATALOGUE["metrics"]
SLUGS = load_areas(DEFAULT_AREAS_FILE).slugs


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "demo-warehouse.db"
    build_demo_warehouse(path, today=TODAY)
    return path


def query(path: Path, sql: str, params: dict | tuple = ()) -> list[sqlite3.Row]:
    """Run one query on a warehouse file and return its rows."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def counts_by_status(path: Path, table: str) -> dict[str, int]:
    """Count a table's rows by status."""
    rows = query(path, f"SELECT status, COUNT(*) FROM {table} GROUP BY status")
    return {status: count for status, count in rows}


SUMS = (
    "SELECT SUM(received), SUM(resolved_on_time), SUM(resolved_late), SUM(pending),"
    " SUM(submitted_online) FROM service_daily",
    "SELECT SUM(received), SUM(resolved), SUM(overdue) FROM hotline_daily",
    "SELECT group_concat(owner || status) FROM dx_tasks",
    "SELECT group_concat(owner || status) FROM key_tasks",
)


def column_sums(path: Path) -> list[tuple]:
    """Sum the daily tables and list the task statuses, to compare two builds."""
    return [tuple(query(path, sql)[0]) for sql in SUMS]


def test_build_returns_the_row_count_of_each_table(warehouse: Path) -> None:
    counts = build_demo_warehouse(warehouse, today=TODAY)
    assert counts == {
        "about": 1, "areas": 9, "dx_indicators": 26, "dx_tasks": 106, "key_tasks": 33,
        "dti": 18, "service_daily": 9 * 365, "hotline_daily": 9 * 365,
    }  # fmt: skip


def test_the_warehouse_is_labelled_demo(warehouse: Path) -> None:
    (about,) = query(warehouse, "SELECT * FROM about")
    assert about["source"] == SOURCE
    assert about["source"].startswith("DEMO")
    assert about["data_until"] == TODAY.isoformat()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("dx_indicators", {"done": 12, "half": 11, "below_half": 1, "undetermined": 2}),
        ("dx_tasks", {"done": 31, "in_progress": 68, "not_started": 6, "postponed": 1}),
        ("key_tasks", {"done": 9, "in_progress": 24}),
    ],
)
def test_plan_figures_match_the_facts(warehouse: Path, table: str, expected: dict) -> None:
    assert counts_by_status(warehouse, table) == expected


def test_undetermined_indicators_have_no_actual_value(warehouse: Path) -> None:
    rows = query(warehouse, "SELECT status, actual, target FROM dx_indicators")
    for status, actual, target in rows:
        assert (actual is None) == (status == "undetermined")
        if status == "done":
            assert actual >= target


def test_dti_2022_matches_the_facts(warehouse: Path) -> None:
    rows = query(warehouse, "SELECT pillar, rank, score, provinces FROM dti WHERE year = 2022")
    by_pillar = {pillar: (rank, score, provinces) for pillar, rank, score, provinces in rows}
    assert by_pillar["overall"] == (5, 0.6924, 63)
    assert by_pillar["human_resources"][0] == 5
    assert by_pillar["cyber_security"][0] == 2
    assert by_pillar["digital_economy"][0] == 6
    (rank_2021,) = query(warehouse, "SELECT rank FROM dti WHERE year = 2021 AND pillar = 'overall'")
    assert rank_2021[0] == 15


def test_a_year_of_applications_looks_like_the_public_service_centre(warehouse: Path) -> None:
    (on_time, online) = query(
        warehouse,
        """SELECT 100.0 * SUM(resolved_on_time) / SUM(resolved_on_time + resolved_late),
                  100.0 * SUM(submitted_online) / SUM(received) FROM service_daily""",
    )[0]
    assert 99.5 <= on_time <= 99.95
    assert 60 <= online <= 67


def test_urban_districts_and_working_days_are_busier(warehouse: Path) -> None:
    areas = load_areas(DEFAULT_AREAS_FILE)
    totals = dict(query(warehouse, "SELECT district, SUM(received) FROM service_daily GROUP BY 1"))
    urban = [totals[a.slug] for a in areas.areas if a.kind == "quan"]
    rural = [totals[a.slug] for a in areas.areas if a.kind == "huyen"]
    assert min(urban) > max(rural)
    weekday, weekend = query(
        warehouse,
        """SELECT AVG(CASE WHEN strftime('%w', day) NOT IN ('0', '6') THEN received END),
                  AVG(CASE WHEN strftime('%w', day) IN ('0', '6') THEN received END)
           FROM service_daily""",
    )[0]
    assert weekday > 4 * weekend


def test_pending_is_the_backlog_carried_over(warehouse: Path) -> None:
    rows = query(
        warehouse,
        """SELECT pending, pending - LAG(pending) OVER (PARTITION BY district ORDER BY day),
                  received - resolved_on_time - resolved_late
           FROM service_daily""",
    )
    assert all(pending >= 0 for pending, _, _ in rows)
    assert all(change == net for _, change, net in rows if change is not None)


def test_a_year_of_hotline_reports_looks_like_2023(warehouse: Path) -> None:
    received, resolved, overdue = query(
        warehouse, "SELECT SUM(received), SUM(resolved), SUM(overdue) FROM hotline_daily"
    )[0]
    assert 2500 <= received <= 3300
    assert 93 <= 100 * resolved / received <= 98
    assert 0 < overdue < received - resolved


@pytest.mark.parametrize("table", ["service_daily", "hotline_daily"])
def test_every_district_has_every_day(warehouse: Path, table: str) -> None:
    rows = query(
        warehouse, f"SELECT district, COUNT(*), MIN(day), MAX(day) FROM {table} GROUP BY 1"
    )
    first = (TODAY - timedelta(days=364)).isoformat()
    assert {tuple(row) for row in rows} == {(s, 365, first, TODAY.isoformat()) for s in SLUGS}


def test_areas_and_task_owners_come_from_the_areas_file(warehouse: Path) -> None:
    assert {row[0] for row in query(warehouse, "SELECT slug FROM areas")} == SLUGS
    owners = query(
        warehouse, "SELECT DISTINCT owner_district FROM dx_tasks WHERE owner_district IS NOT NULL"
    )
    assert owners
    assert {row[0] for row in owners} <= SLUGS


def test_same_seed_and_day_build_the_same_warehouse(tmp_path: Path) -> None:
    build_demo_warehouse(tmp_path / "a.db", today=TODAY)
    build_demo_warehouse(tmp_path / "b.db", today=TODAY)
    build_demo_warehouse(tmp_path / "c.db", today=TODAY, seed=7)
    assert column_sums(tmp_path / "a.db") == column_sums(tmp_path / "b.db")
    assert column_sums(tmp_path / "a.db") != column_sums(tmp_path / "c.db")


def test_an_existing_warehouse_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "var" / "demo-warehouse.db"
    first = build_demo_warehouse(path, today=TODAY)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    again = build_demo_warehouse(path, today=TODAY + timedelta(days=3), seed=7)
    assert again == first
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert [p.name for p in path.parent.iterdir()] == ["demo-warehouse.db"]


def test_the_catalogue_is_well_formed() -> None:
    ids = [metric["id"] for metric in METRICS]
    assert len(ids) >= 12
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9_]+", metric_id) for metric_id in ids)
    for metric in METRICS:
        assert metric["database"] in CATALOGUE["databases"]
        assert metric["direction"] in {"higher", "lower"}
        assert metric["demo"] is True
    assert any(metric["by_district"] for metric in METRICS)


@pytest.mark.parametrize("metric", METRICS, ids=[metric["id"] for metric in METRICS])
def test_every_metric_runs_on_the_demo_warehouse(warehouse: Path, metric: dict) -> None:
    since = TODAY - timedelta(days=metric.get("window_days", 30))
    params = {
        "today": TODAY.isoformat(),
        "since": since.isoformat(),
        "until": TODAY.isoformat(),
        "district": None,
    }
    rows = query(warehouse, metric["sql"], params)
    if metric["by_district"]:
        assert {row["district"] for row in rows} == SLUGS
        assert len(rows) == len(SLUGS)
    else:
        assert len(rows) == 1
    assert all(isinstance(row["value"], Real) for row in rows)


VIETNAMESE_UNITS = ("hồ sơ", "nhiệm vụ", "phản ánh", "chỉ tiêu", "điểm")


def test_every_shipped_unit_is_translated() -> None:
    catalogue = load_catalogue(ROOT / "ioc" / "defaults" / "metrics.toml", root=ROOT)
    for metric in catalogue.metrics:
        english = metric.unit_in("en")
        assert english and not any(word in english for word in VIETNAMESE_UNITS), metric.id
        assert metric.unit_in("vi") == metric.unit
    pending = catalogue.get("pending_now_by_district")
    assert pending is not None
    assert (pending.unit_in("vi"), pending.unit_in("en")) == ("hồ sơ", "applications")


OLD_FILE = """
[databases.w]
url = "sqlite:///var/w.db"
[[metrics]]
id = "tasks_done"
title_vi = "Nhiệm vụ hoàn thành"
title_en = "Tasks done"
database = "w"
sql = "SELECT 1 AS value"
direction = "higher"
{units}
"""


def test_an_operators_file_with_the_old_unit_key_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "metrics.toml"
    path.write_text(OLD_FILE.format(units='unit = "nhiệm vụ"'), "utf-8")
    metric = load_catalogue(path, root=tmp_path).metrics[0]
    assert (metric.unit_in("vi"), metric.unit_in("en")) == ("nhiệm vụ", "nhiệm vụ")
    path.write_text(OLD_FILE.format(units='unit = "nhiệm vụ"\nunit_en = "tasks"'), "utf-8")
    metric = load_catalogue(path, root=tmp_path).metrics[0]
    assert (metric.unit_in("vi"), metric.unit_in("en")) == ("nhiệm vụ", "tasks")
    path.write_text(OLD_FILE.format(units='unit = "a"\nunit_vi = "b"'), "utf-8")
    with pytest.raises(MetricCatalogueError, match="both unit and unit_vi"):
        load_catalogue(path, root=tmp_path)
