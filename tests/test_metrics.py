"""Database metrics: the catalogue's checks, read-only evaluation, errors, storage and status."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ioc.config import ROOT
from ioc.metrics.catalogue import MetricCatalogueError, load_catalogue
from ioc.metrics.evaluate import MetricEvaluator, MetricRunner, parameters
from ioc.services.district_backlog import _metric_rows
from ioc.services.metrics import MetricsService

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 on 23 November in Can Tho
DISTRICTS = frozenset({"ninh-kieu", "cai-rang"})


def warehouse(tmp_path: Path) -> Path:
    """A small SQLite warehouse: applications per district per day."""
    path = tmp_path / "warehouse.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE daily (district TEXT, day TEXT, received INT, on_time INT)")
        rows = []
        for offset in range(60):
            day = (NOW.date() - timedelta(days=offset)).isoformat()
            rows += [("ninh-kieu", day, 10, 9), ("cai-rang", day, 4, 4)]
        conn.executemany("INSERT INTO daily VALUES (?, ?, ?, ?)", rows)
        conn.commit()
    return path


def catalogue_file(tmp_path: Path, metrics: str, database: str | None = None) -> Path:
    url = database or f"sqlite:///{warehouse(tmp_path)}"
    path = tmp_path / "metrics.toml"
    path.write_text(f'[databases.wh]\nurl = "{url}"\ntimeout_s = 1\n\n{metrics}')
    return path


def metric(metric_id: str, sql: str, **extra) -> str:
    fields = {"title_vi": "Chỉ số", "title_en": "Metric", "database": "wh", "refresh_s": 60,
              **extra}  # fmt: skip
    lines = [f'id = "{metric_id}"', f'sql = """{sql}"""']
    for key, value in fields.items():
        shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {shown}")
    return "[[metrics]]\n" + "\n".join(lines) + "\n\n"


ON_TIME = "SELECT 100.0 * SUM(on_time) / SUM(received) AS value FROM daily WHERE day >= :since"


# --- the catalogue --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (metric("Bad-Id", ON_TIME), "id 'Bad-Id' must match"),
        (metric("a", ON_TIME) + metric("a", ON_TIME), "metric a: the id appears twice"),
        (metric("a", ON_TIME, database="other"), "metric a: database 'other' is not declared"),
        (metric("a", "DELETE FROM daily"), "metric a: sql must be one SELECT"),
        (metric("a", ON_TIME + " AND district = :who"), "metric a: sql uses :who"),
        (metric("a", ON_TIME, warn=90, alarm=95), "metric a: alarm must be below or at warn"),
        (metric("a", ON_TIME, refresh_s=1), "metric a: refresh_s must be"),
        (metric("a", ON_TIME, colour="red"), "metric a: unknown keys ['colour']"),
        (metric("a", ON_TIME, warn="high"), "metric a: warn must be a number"),
        ('[[metrics]]\nid = "a"\ndatabase = "wh"\nsql = "SELECT 1 AS value"\n',
         "metric a: title_vi is missing"),
        ("[[metrics", "cannot read the metric catalogue"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_is_one_message_naming_file_and_metric(tmp_path, body, message):
    path = catalogue_file(tmp_path, body)
    with pytest.raises(MetricCatalogueError) as caught:
        load_catalogue(path, root=ROOT)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_credentials_never_live_in_the_file(tmp_path, monkeypatch):
    path = tmp_path / "metrics.toml"
    path.write_text('[databases.wh]\nurl = "postgresql+psycopg://ioc:secret@db/wh"\n')
    with pytest.raises(MetricCatalogueError, match="holds a password; put the URL"):
        load_catalogue(path, root=ROOT)
    path.write_text('[databases.wh]\nurl_env = "IOC_TEST_WAREHOUSE_URL"\n')
    monkeypatch.delenv("IOC_TEST_WAREHOUSE_URL", raising=False)
    with pytest.raises(MetricCatalogueError, match="IOC_TEST_WAREHOUSE_URL is not set"):
        load_catalogue(path, root=ROOT)
    monkeypatch.setenv("IOC_TEST_WAREHOUSE_URL", "postgresql+psycopg://ioc:secret@db/wh")
    catalogue = load_catalogue(path, root=ROOT)
    assert catalogue.databases["wh"].url.endswith("@db/wh")


def test_the_shipped_demo_catalogue_loads():
    catalogue = load_catalogue(ROOT / "ioc" / "defaults" / "metrics.toml", root=ROOT)
    assert len(catalogue.metrics) >= 12
    assert all(m.demo for m in catalogue.metrics)
    assert catalogue.get("dti_rank").thresholds.direction == "lower"


# --- evaluation -------------------------------------------------------------------------


def test_parameters_are_bound_local_dates_never_text(tmp_path):
    body = metric("on_time", ON_TIME, window_days=7)
    body += metric("days", "SELECT COUNT(DISTINCT day) AS value FROM daily WHERE day >= :since "
                   "AND day <= :today", window_days=7)  # fmt: skip
    catalogue = load_catalogue(catalogue_file(tmp_path, body), root=ROOT)
    runner = MetricRunner(catalogue, DISTRICTS)
    assert parameters(catalogue.get("days"), NOW) == {
        "today": "2026-11-23", "until": "2026-11-23", "since": "2026-11-16"
    }  # fmt: skip
    assert runner.evaluate(catalogue.get("days"), NOW).values == {"": 8.0}
    assert runner.evaluate(catalogue.get("on_time"), NOW).values[""] == pytest.approx(100 * 13 / 14)


def test_by_district_metrics_return_a_value_per_district(tmp_path):
    body = metric(
        "received", "SELECT district, SUM(received) AS value FROM daily GROUP BY district",
        by_district=True,
    )  # fmt: skip
    body += metric("stranger", "SELECT 'atlantis' AS district, 1 AS value", by_district=True)
    catalogue = load_catalogue(catalogue_file(tmp_path, body), root=ROOT)
    runner = MetricRunner(catalogue, DISTRICTS)
    assert runner.evaluate(catalogue.get("received"), NOW).values == {
        "ninh-kieu": 600.0, "cai-rang": 240.0
    }  # fmt: skip
    outcome = runner.evaluate(catalogue.get("stranger"), NOW)
    assert outcome.values == {} and "unknown district 'atlantis'" in outcome.error


def test_a_slow_query_times_out_and_the_next_metric_still_runs(tmp_path, engine):
    slow = (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
        "SELECT MAX(x) AS value FROM n"
    )
    body = metric("slow", slow) + metric("on_time", ON_TIME)
    catalogue = load_catalogue(catalogue_file(tmp_path, body), root=ROOT)
    evaluator = MetricEvaluator(catalogue, engine, DISTRICTS)
    slow_outcome, on_time = evaluator.run_due()
    assert slow_outcome.error.startswith("timed out") and slow_outcome.duration_ms < 5000
    assert on_time.error is None
    views = {v.metric.id: v for v in MetricsService(engine, catalogue, 3).current(on_time.at)}
    assert views["slow"].error.startswith("timed out") and views["slow"].value is None
    assert views["on_time"].value == pytest.approx(100 * 13 / 14)


def test_an_unreachable_database_is_an_error_state_not_a_crash(tmp_path, engine):
    body = metric("away", "SELECT 1 AS value")
    path = catalogue_file(tmp_path, body, database="postgresql+psycopg://ioc@127.0.0.1:1/none")
    catalogue = load_catalogue(path, root=ROOT)
    (outcome,) = MetricEvaluator(catalogue, engine, DISTRICTS).run_due()
    assert outcome.values == {}
    assert "127.0.0.1" in outcome.error or "refused" in outcome.error.lower()


# Refused statements, PostgreSQL warehouses and roles: tests/test_metrics_readonly.py.


# --- stored values, status and staleness --------------------------------------------------


def test_stored_values_get_status_and_go_stale(tmp_path, engine):
    body = metric("on_time", ON_TIME, warn=95, alarm=90, unit="%")
    catalogue = load_catalogue(catalogue_file(tmp_path, body), root=ROOT)
    evaluator = MetricEvaluator(catalogue, engine, DISTRICTS)
    service = MetricsService(engine, catalogue, stale_factor=3)
    assert service.current(NOW)[0].status == "no_data"
    (outcome,) = evaluator.run_due()
    (view,) = service.current(outcome.at)
    # 13 of 14 on time = 92.9 %: under warn (95), above alarm (90).
    assert (view.status, view.as_of, view.error) == ("warn", outcome.at, None)
    later = outcome.at + timedelta(seconds=3 * 60 + 1)  # past 3 x refresh_s
    (old,) = service.current(later)
    assert old.status == "stale" and old.value == view.value
    assert old.as_json()["status"] == "stale" and old.as_json()["title"]["vi"] == "Chỉ số"


def test_a_failed_run_keeps_the_last_value_with_its_time_and_the_error(tmp_path, engine):
    path = catalogue_file(tmp_path, metric("on_time", ON_TIME))
    catalogue = load_catalogue(path, root=ROOT)
    MetricEvaluator(catalogue, engine, DISTRICTS).run_due()
    with closing(sqlite3.connect(tmp_path / "warehouse.db")) as conn:
        conn.execute("DROP TABLE daily")
        conn.commit()
    (failed,) = MetricEvaluator(catalogue, engine, DISTRICTS).run_due()
    (view,) = MetricsService(engine, catalogue, 3).current(failed.at)
    assert "no such table: daily" in view.error
    assert view.value == pytest.approx(100 * 13 / 14) and view.as_of < failed.at


def test_the_district_pages_metrics_table_gives_the_unit_in_each_language(tmp_path, engine):
    body = metric(
        "received", "SELECT district, SUM(received) AS value FROM daily GROUP BY district",
        by_district=True, unit_vi="hồ sơ", unit_en="applications",
    )  # fmt: skip
    catalogue = load_catalogue(catalogue_file(tmp_path, body), root=ROOT)
    (outcome,) = MetricEvaluator(catalogue, engine, DISTRICTS).run_due()
    (row,) = _metric_rows(MetricsService(engine, catalogue, 3), "ninh-kieu", outcome.at)
    assert row["value"] == 600.0
    assert row["unit"] == {"vi": "hồ sơ", "en": "applications"}
