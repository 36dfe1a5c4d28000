"""A metric cannot write: every trick is refused at start or ends in the metric's error state.

Each trick runs twice: through the catalogue (refused at start, naming the metric, or
an error when it runs) and again with the catalogue's text check bypassed, so the
driver and the read-only transaction are shown to refuse it on their own. After
each one the target table is unchanged and the next metric on the same pool still
runs read-only. PostgreSQL cases run when IOC_TEST_DATABASE_URL is set, as a
non-superuser role that may write the table outside the evaluator.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ioc.config import ROOT
from ioc.metrics.catalogue import MetricCatalogueError, load_catalogue
from ioc.metrics.evaluate import MetricRunner
from ioc.model.metric import Catalogue
from ioc.store.engine import private_schema
from tests.conftest import TEST_DATABASE_URL

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
DISTRICTS = frozenset({"ninh-kieu", "cai-rang"})
POSTGRES = pytest.mark.skipif(not TEST_DATABASE_URL, reason="IOC_TEST_DATABASE_URL is not set")
# The good metric that follows each trick: the target's one row, and on PostgreSQL
# -1 unless its transaction is read-only.
PROBE = {
    "sqlite": "SELECT COUNT(*) AS value FROM target",
    "postgresql": "SELECT CASE WHEN current_setting('transaction_read_only') = 'on' "
    "THEN COUNT(*) ELSE -1 END AS value FROM target",
}
SQLITE_TRICKS = {
    "commit_then_write": "SELECT 1 AS value; COMMIT; INSERT INTO target VALUES (2)",
    "write": "INSERT INTO target VALUES (2)",
    "writable_cte": "WITH x AS (SELECT 2) INSERT INTO target SELECT * FROM x",
    "query_only_off": "PRAGMA query_only = OFF",
    "pragma_write": "PRAGMA user_version = 7",
    "attach": "ATTACH DATABASE '{folder}/other.db' AS other",
    "vacuum_into": "VACUUM INTO '{folder}/copy.db'",
    "load_extension": "SELECT load_extension('{folder}/evil') AS value",
}
POSTGRES_TRICKS = {
    "commit_then_write": "SELECT 1 AS value; COMMIT; SET TRANSACTION READ WRITE; "
    "INSERT INTO target VALUES (2)",
    "commit_a_read_write_default": "SELECT set_config('default_transaction_read_only', "
    "'off', false) AS value; COMMIT",
    "set_transaction_read_write": "SET TRANSACTION READ WRITE",
    "read_write_from_a_select": "SELECT set_config('transaction_read_only', 'off', true) AS value",
    "writable_cte": "WITH x AS (INSERT INTO target VALUES (2) RETURNING 1) "
    "SELECT COUNT(*) AS value FROM x",
    "select_into": "SELECT 2 AS value INTO copied",
    "for_update": "SELECT COUNT(*) AS value FROM (SELECT x FROM target FOR UPDATE) AS locked",
    "function_with_side_effect": "SELECT side_effect() AS value",
    "definer_function": "SELECT side_effect_as_owner() AS value",
    "sequence": "SELECT nextval('counter') AS value",
    "copy_from_program": "COPY target FROM PROGRAM 'echo 2'",
    "delete": "DELETE FROM target",
}
# The warehouse's owner makes these; the evaluator's role may write the table (outside
# the evaluator), so only the evaluator's own walls stand between a trick and the data.
POSTGRES_SETUP = (
    'CREATE ROLE "{role}" LOGIN',
    "CREATE TABLE target (x INT)",
    "INSERT INTO target VALUES (1)",
    "CREATE SEQUENCE counter",
    "CREATE FUNCTION side_effect() RETURNS INT LANGUAGE plpgsql "
    "AS $$ BEGIN INSERT INTO target VALUES (2); RETURN 1; END $$",
    "CREATE FUNCTION side_effect_as_owner() RETURNS INT LANGUAGE plpgsql SECURITY DEFINER "
    "AS $$ BEGIN PERFORM set_config('transaction_read_only', 'off', true); "
    "INSERT INTO target VALUES (2); RETURN 1; END $$",
    'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON target TO "{role}"',
    'GRANT USAGE, UPDATE ON SEQUENCE counter TO "{role}"',
)


@dataclass
class Warehouse:
    """A warehouse with a one-row table `target`, and how its owner counts the rows."""

    kind: str
    url: str
    folder: Path
    rows: Callable[[], int]

    def files(self) -> list[str]:
        """The files in the warehouse's folder (a trick must add none)."""
        return sorted(path.name for path in self.folder.iterdir())


def sqlite_warehouse(folder: Path) -> Warehouse:
    path = folder / "ware house #1.db"  # characters a file: URI would misread
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE target (x INT)")
        conn.execute("INSERT INTO target VALUES (1)")
        conn.commit()

    def rows() -> int:
        with closing(sqlite3.connect(path)) as conn:
            return conn.execute("SELECT COUNT(*) FROM target").fetchone()[0]

    return Warehouse("sqlite", f"sqlite:///{path}", folder, rows)


@contextmanager
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A private schema on the test server: its owner's URL and its name."""
    with private_schema(TEST_DATABASE_URL, "wh") as owner_url:
        yield owner_url, make_url(owner_url).query["options"].split("=", 1)[1]


@contextmanager
def postgres_warehouse(folder: Path) -> Iterator[Warehouse]:
    role = f"ioc_metrics_test_{uuid.uuid4().hex[:8]}"
    with postgres_schema() as (owner_url, schema):
        owner = create_engine(owner_url)
        try:
            with owner.begin() as conn:
                for statement in POSTGRES_SETUP:
                    conn.exec_driver_sql(statement.format(role=role, schema=schema))

            def rows() -> int:
                with owner.connect() as conn:
                    return conn.execute(text("SELECT COUNT(*) FROM target")).scalar_one()

            url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
            yield Warehouse("postgresql", url, folder, rows)
        finally:
            with owner.begin() as conn:
                conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                conn.exec_driver_sql(f'DROP ROLE "{role}"')
            owner.dispose()


@pytest.fixture
def warehouse(request, tmp_path) -> Iterator[Warehouse]:
    """A fresh warehouse of the kind named by the test's parameter."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    if request.param == "sqlite":
        yield sqlite_warehouse(folder)
        return
    with postgres_warehouse(folder) as handle:
        yield handle


def catalogue_of(warehouse: Warehouse, **sql: str) -> tuple[Path, Catalogue | None, str | None]:
    """Write a catalogue with these metrics; load it, or say why the start was refused."""
    path = warehouse.folder.parent / "metrics.toml"
    body = f'[databases.wh]\nurl = "{warehouse.url}"\ntimeout_s = 2\n\n'
    for metric_id, statement in sql.items():
        body += (
            f'[[metrics]]\nid = "{metric_id}"\ntitle_vi = "Chỉ số"\ntitle_en = "Metric"\n'
            f"database = \"wh\"\nsql = '''{statement}'''\nrefresh_s = 60\n\n"
        )
    path.write_text(body, encoding="utf-8")
    try:
        return path, load_catalogue(path, root=ROOT), None
    except MetricCatalogueError as err:
        return path, None, str(err)


@pytest.fixture
def runners() -> Iterator[list[MetricRunner]]:
    """Runners made by a test, their pools closed at its end."""
    made: list[MetricRunner] = []
    yield made
    for runner in made:
        runner.dispose()


def assert_still_read_only(runner: MetricRunner, catalogue: Catalogue, warehouse: Warehouse):
    probe = catalogue.get("probe")
    assert runner.evaluate(probe, NOW).values == {"": 1.0}
    write = dataclasses.replace(probe, id="write", sql="INSERT INTO target VALUES (3)")
    assert runner.evaluate(write, NOW).error is not None
    assert warehouse.rows() == 1


CASES = [pytest.param("sqlite", sql, id=f"sqlite-{name}") for name, sql in SQLITE_TRICKS.items()]
CASES += [
    pytest.param("postgresql", sql, id=f"postgresql-{name}", marks=[pytest.mark.postgres, POSTGRES])
    for name, sql in POSTGRES_TRICKS.items()
]


@pytest.mark.parametrize(("warehouse", "trick"), CASES, indirect=["warehouse"])
def test_a_trick_is_refused_and_the_next_metric_still_reads_only(warehouse, trick, runners):
    trick = trick.format(folder=warehouse.folder)
    files = warehouse.files()
    path, catalogue, refused = catalogue_of(warehouse, trick=trick, probe=PROBE[warehouse.kind])
    if refused is not None:
        # Refused at start: one message naming the file and the metric.
        assert str(path) in refused and "metric trick:" in refused
        _, catalogue, _ = catalogue_of(warehouse, probe=PROBE[warehouse.kind])
    else:
        runners.append(MetricRunner(catalogue, DISTRICTS))
        assert runners[-1].evaluate(catalogue.get("trick"), NOW).error is not None
    runner = MetricRunner(catalogue, DISTRICTS)
    runners.append(runner)
    assert runner.evaluate(catalogue.get("probe"), NOW).values == {"": 1.0}  # the pool is open
    # The same trick with the catalogue's check bypassed: the driver and the transaction
    # refuse it on their own, on a connection the pool has handed out before.
    bypassed = dataclasses.replace(catalogue.get("probe"), id="trick", sql=trick)
    outcome = runner.evaluate(bypassed, NOW)
    assert outcome.error is not None and outcome.values == {}
    assert warehouse.rows() == 1 and warehouse.files() == files
    assert_still_read_only(runner, catalogue, warehouse)


def test_the_reported_query_is_refused_at_start_naming_the_metric(tmp_path):
    folder = tmp_path / "warehouse"
    folder.mkdir()
    warehouse = sqlite_warehouse(folder)
    _, _, refused = catalogue_of(warehouse, evil=POSTGRES_TRICKS["commit_then_write"])
    assert refused.endswith(
        "metric evil: sql must be exactly one statement: nothing may follow ';'"
    )


@pytest.mark.parametrize(
    ("sql", "fault"),
    [
        ("SELECT 1 AS value; SELECT 2", "must be exactly one statement"),
        ("WITH d AS (DELETE FROM t RETURNING 1) SELECT COUNT(*) AS value FROM d",
         "must only read: DELETE is refused"),
        ("SELECT 1 AS value FROM t FOR UPDATE", "must only read: UPDATE is refused"),
        ("SELECT lo_export(1, '/tmp/x') AS value", "must only read: LO_EXPORT is refused"),
        ("COPY (SELECT 1) TO '/tmp/x'", "must be one SELECT"),
        ("/* SELECT */ DELETE FROM t", "must be one SELECT"),
        # Quotes and comments are not SQL: these read only and load.
        ("-- first a note; insert nothing\nSELECT COUNT(*) AS value FROM t "
         "WHERE note <> 'it''s; DELETE' /* ; update */", None),
        ('SELECT "insert" AS value FROM t;', None),
        ("SELECT length($q$; DROP TABLE t$q$) AS value", None),
        ("SELECT length(E'\\'; delete') AS value", None),
    ],
)  # fmt: skip
def test_the_start_check_reads_past_quotes_and_comments(tmp_path, sql, fault):
    folder = tmp_path / "warehouse"
    folder.mkdir()
    _, catalogue, refused = catalogue_of(sqlite_warehouse(folder), m=sql)
    if fault is None:
        assert refused is None and catalogue.get("m").sql == sql
    else:
        assert refused is not None and f"metric m: sql {fault}" in refused


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg2://reader@db/wh", "postgresql+pg8000://r@db/wh", "mysql://r@db/wh"]
)
def test_a_driver_that_cannot_keep_a_metric_read_only_is_refused_at_start(tmp_path, url):
    path = tmp_path / "metrics.toml"
    path.write_text(f'[databases.wh]\nurl = "{url}"\n')
    with pytest.raises(MetricCatalogueError, match=r"\[databases.wh\] url: metrics read SQLite"):
        load_catalogue(path, root=ROOT)


# --- PostgreSQL: connections, effects a read-only transaction lets through, roles --------


@pytest.mark.postgres
@POSTGRES
def test_a_connection_is_discarded_after_an_error_and_kept_after_a_success(tmp_path, runners):
    with postgres_warehouse(tmp_path) as warehouse:
        _, catalogue, _ = catalogue_of(
            warehouse, pid="SELECT pg_backend_pid() AS value", bad="SELECT 1 / 0 AS value"
        )
        runner = MetricRunner(catalogue, DISTRICTS)
        runners.append(runner)
        first = runner.evaluate(catalogue.get("pid"), NOW).values[""]
        assert runner.evaluate(catalogue.get("pid"), NOW).values[""] == first
        assert "division by zero" in runner.evaluate(catalogue.get("bad"), NOW).error
        assert runner.evaluate(catalogue.get("pid"), NOW).values[""] != first
        runner.dispose()


@pytest.mark.postgres
@POSTGRES
def test_effects_a_read_only_transaction_allows_do_not_outlive_the_metric(tmp_path, runners):
    key = 0x10C0_7E57
    with postgres_warehouse(tmp_path) as warehouse:
        _, catalogue, _ = catalogue_of(warehouse, probe=PROBE["postgresql"])
        runner = MetricRunner(catalogue, DISTRICTS)
        runners.append(runner)
        probe = catalogue.get("probe")
        lasting = {
            "default": "SELECT length(set_config('default_transaction_read_only', 'off', "
            "false)) AS value",
            "large_object": "SELECT 1 AS value FROM (SELECT lo_from_bytea(0, 'x')) AS made",
            "lock": f"SELECT 1 AS value FROM (SELECT pg_advisory_lock({key})) AS held",
        }
        for metric_id, sql in lasting.items():
            runner.evaluate(dataclasses.replace(probe, id=metric_id, sql=sql), NOW)
            assert runner.evaluate(probe, NOW).values == {"": 1.0}, metric_id
        owner = create_engine(TEST_DATABASE_URL)
        try:
            with owner.connect() as conn:
                held = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key"
                assert conn.execute(text(held), {"key": key}).scalar_one() == 0
                owned = (
                    "SELECT COUNT(*) FROM pg_largeobject_metadata "
                    "WHERE lomowner = CAST(:role AS regrole)"
                )
                role = make_url(warehouse.url).username
                assert conn.execute(text(owned), {"role": role}).scalar_one() == 0
        finally:
            owner.dispose()
        assert_still_read_only(runner, catalogue, warehouse)
        runner.dispose()


@pytest.mark.postgres
@POSTGRES
def test_a_role_that_may_write_server_files_is_refused(tmp_path, runners):
    leak = Path(f"/tmp/ioc-metric-leak-{uuid.uuid4().hex[:8]}.txt")
    with postgres_warehouse(tmp_path) as warehouse:
        superuser = dataclasses.replace(warehouse, url=TEST_DATABASE_URL)
        _, catalogue, _ = catalogue_of(superuser, probe="SELECT 1 AS value")
        runner = MetricRunner(catalogue, DISTRICTS)
        runners.append(runner)
        probe = catalogue.get("probe")
        outcome = runner.evaluate(probe, NOW)
        assert outcome.values == {} and "may write server files" in outcome.error
        copy = dataclasses.replace(probe, id="copy", sql=f"COPY (SELECT 1) TO '{leak}'")
        assert runner.evaluate(copy, NOW).error is not None
        assert not leak.exists()


@pytest.mark.postgres
@POSTGRES
def test_metrics_over_postgresql_time_out(tmp_path, runners):
    with postgres_warehouse(tmp_path) as warehouse:
        _, catalogue, _ = catalogue_of(
            warehouse, total="SELECT SUM(x) AS value FROM target",
            slow="SELECT pg_sleep(5) IS NULL AS value",
        )  # fmt: skip
        runner = MetricRunner(catalogue, DISTRICTS)
        runners.append(runner)
        assert runner.evaluate(catalogue.get("total"), NOW).values == {"": 1.0}
        slow = runner.evaluate(catalogue.get("slow"), NOW)
        assert slow.error.startswith("timed out") and slow.duration_ms < 4000
        runner.dispose()


@pytest.mark.postgres
@POSTGRES
@pytest.mark.skipif(not shutil.which("psql"), reason="psql is not installed")
def test_the_shipped_select_only_role_reads_and_cannot_write(tmp_path, runners):
    role = f"ioc_metrics_reader_{uuid.uuid4().hex[:8]}"
    with postgres_schema() as (owner_url, schema):
        owner = make_url(owner_url)
        owner_engine = create_engine(owner_url)
        with owner_engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE target (x INT)")
            conn.exec_driver_sql("INSERT INTO target VALUES (1)")
        try:
            subprocess.run(
                ["psql", "-h", owner.host, "-p", str(owner.port or 5432), "-U", owner.username,
                 "-d", owner.database, "-v", "ON_ERROR_STOP=1", "-v", f"reader={role}",
                 "-v", f"schema={schema}", "-v", "password=not-used-with-trust", "-q",
                 "-f", str(ROOT / "deploy" / "postgres" / "metrics-reader.sql")],
                check=True, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            folder = tmp_path / "warehouse"
            folder.mkdir()
            url = owner.set(username=role).render_as_string(hide_password=False)
            reader = Warehouse("postgresql", url, folder, lambda: 1)
            _, catalogue, _ = catalogue_of(reader, total="SELECT SUM(x) AS value FROM target")
            runner = MetricRunner(catalogue, DISTRICTS)
            runners.append(runner)
            assert runner.evaluate(catalogue.get("total"), NOW).values == {"": 1.0}
            runner.dispose()
            # Opened by hand, outside the evaluator, the role still only reads.
            by_hand = create_engine(url)
            try:
                with by_hand.connect() as conn:
                    shown = conn.exec_driver_sql("SHOW default_transaction_read_only").scalar()
                    assert shown == "on"
                    conn.rollback()
                    conn.exec_driver_sql("SET TRANSACTION READ WRITE")
                    with pytest.raises(DBAPIError, match="permission denied for table target"):
                        conn.exec_driver_sql("INSERT INTO target VALUES (2)")
            finally:
                by_hand.dispose()
            with owner_engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT COUNT(*) FROM target").scalar() == 1
        finally:
            with owner_engine.begin() as conn:
                conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
            owner_engine.dispose()
