"""The metric catalogue (IOC_METRICS_FILE): named databases and declared SQL metrics, checked once.

A bad file fails the start with one message naming the file, the metric id and
what is wrong. Credentials never live in the file: a URL with a password is
refused; ``url_env`` names the environment variable that holds the URL.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ioc.model.metric import Catalogue, Database, Metric
from ioc.status import Thresholds

METRIC_ID = re.compile(r"^[a-z0-9_]{1,64}$")
PARAMETERS = frozenset({"today", "since", "until", "district"})
# Reading statements only. A first wall that names the metric at start; the driver and a
# read-only transaction refuse the same things again when it runs (readonly.py).
READING = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
# Quotes and comments hold no SQL: they are blanked before the checks below.
QUOTED = re.compile(
    r"--[^\n]*|/\*.*?\*/|\b[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\""
    r"|`[^`]*`|\$(\w*)\$.*?\$\1\$",
    re.DOTALL,
)
# Words that only a write or a side effect needs inside one SELECT: a writable CTE, SELECT
# INTO, FOR UPDATE, and functions that change settings, sequences, large objects, locks,
# server files or other sessions.
WRITING = re.compile(
    r"\b(insert|update|delete|merge|into|copy|attach|pragma|set_config|nextval|setval|lo_\w+"
    r"|dblink\w*|pg_advisory\w*|pg_notify|pg_terminate_backend|pg_cancel_backend|pg_reload_conf"
    r"|pg_read_\w*file|pg_ls_\w+|pg_file_\w+|load_extension)\b",
    re.IGNORECASE,
)
SUPPORTED_DRIVERS = frozenset({("sqlite", "pysqlite"), ("postgresql", "psycopg")})
METRIC_KEYS = frozenset(
    {
        "id", "title_vi", "title_en", "database", "sql", "unit", "unit_vi", "unit_en", "digits",
        "direction", "target", "warn", "alarm", "refresh_s", "window_days", "by_district", "demo",
    }
)  # fmt: skip
DATABASE_KEYS = frozenset({"url", "url_env", "timeout_s"})


class MetricCatalogueError(Exception):
    """The catalogue cannot be used; the message names the file, the metric and the fault."""


def _resolve_url(url: str, root: Path) -> str:
    # A relative SQLite path is relative to the project root, not the working folder.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            return parsed.set(database=str(root / path)).render_as_string(hide_password=False)
    return url


def _database(path: Path, name: str, table: object, root: Path) -> Database:
    where = f"{path}: [databases.{name}]"
    if not isinstance(table, dict):
        raise MetricCatalogueError(f"{where} must be a table")
    unknown = set(table) - DATABASE_KEYS
    if unknown:
        raise MetricCatalogueError(f"{where} has unknown keys {sorted(unknown)}")
    if ("url" in table) == ("url_env" in table):
        raise MetricCatalogueError(f"{where} needs exactly one of url, url_env")
    if "url_env" in table:
        url = os.environ.get(str(table["url_env"]))
        if not url:
            raise MetricCatalogueError(f"{where} url_env: {table['url_env']} is not set")
    else:
        url = str(table["url"])
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise MetricCatalogueError(f"{where} url is not an SQLAlchemy database URL") from None
    if (parsed.get_backend_name(), parsed.get_driver_name()) not in SUPPORTED_DRIVERS:
        raise MetricCatalogueError(
            f"{where} url: metrics read SQLite (sqlite:///…) or PostgreSQL through psycopg "
            "(postgresql+psycopg://…), the drivers that keep them read-only"
        )
    if "url" in table and parsed.password:
        raise MetricCatalogueError(
            f"{where} url holds a password; put the URL in the environment and name it in url_env"
        )
    timeout = table.get("timeout_s", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise MetricCatalogueError(f"{where} timeout_s must be a positive number")
    return Database(name, _resolve_url(url, root), float(timeout))


def _number(where: str, table: dict[str, Any], key: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MetricCatalogueError(f"{where} {key} must be a number, not {value!r}")
    return value


def _metric(path: Path, index: int, table: object, databases: dict[str, Database]) -> Metric:
    if not isinstance(table, dict):
        raise MetricCatalogueError(f"{path}: metrics[{index}] must be a table")
    metric_id = table.get("id")
    if not isinstance(metric_id, str) or not METRIC_ID.match(metric_id):
        raise MetricCatalogueError(
            f"{path}: metrics[{index}] id {metric_id!r} must match [a-z0-9_]+"
        )
    where = f"{path}: metric {metric_id}:"
    unknown = set(table) - METRIC_KEYS
    if unknown:
        raise MetricCatalogueError(f"{where} unknown keys {sorted(unknown)}")
    for key in ("title_vi", "title_en", "database", "sql"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise MetricCatalogueError(f"{where} {key} is missing")
    if table["database"] not in databases:
        raise MetricCatalogueError(f"{where} database {table['database']!r} is not declared")
    sql = table["sql"]
    fault = reading_fault(sql)
    if fault:
        raise MetricCatalogueError(f"{where} sql {fault}")
    used = set(text(sql).compile().params)
    if used - PARAMETERS:
        bad = ", ".join(f":{name}" for name in sorted(used - PARAMETERS))
        raise MetricCatalogueError(
            f"{where} sql uses {bad}; allowed: :today :since :until :district"
        )
    try:
        thresholds = Thresholds(
            table.get("direction", "higher"),
            _number(where, table, "warn"),
            _number(where, table, "alarm"),
            _number(where, table, "target"),
        )
    except ValueError as err:
        raise MetricCatalogueError(f"{where} {err}") from None
    refresh = table.get("refresh_s", 300)
    if isinstance(refresh, bool) or not isinstance(refresh, int) or refresh < 10:
        raise MetricCatalogueError(f"{where} refresh_s must be a whole number of seconds, >= 10")
    window = table.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise MetricCatalogueError(f"{where} window_days must be a whole number >= 1")
    digits = table.get("digits", 0)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 4:
        raise MetricCatalogueError(f"{where} digits must be 0 to 4")
    for flag in ("by_district", "demo"):
        if not isinstance(table.get(flag, False), bool):
            raise MetricCatalogueError(f"{where} {flag} must be true or false")
    unit_vi, unit_en = _units(where, table)
    return Metric(
        metric_id, table["title_vi"], table["title_en"], table["database"], sql, thresholds,
        refresh, unit_vi, digits, window, table.get("by_district", False),
        table.get("demo", False), unit_en,
    )  # fmt: skip


def _units(where: str, table: dict[str, Any]) -> tuple[str, str]:
    """The unit in Vietnamese and English: ``unit_vi``/``unit_en``, or the older ``unit``.

    A catalogue written before units were translated keeps loading: its ``unit``
    is the Vietnamese unit, and English pages show it too until ``unit_en`` is set.
    """
    if "unit" in table and "unit_vi" in table:
        raise MetricCatalogueError(f"{where} has both unit and unit_vi; keep unit_vi")
    units = []
    for key in ("unit_vi" if "unit_vi" in table else "unit", "unit_en"):
        value = table.get(key, "")
        if not isinstance(value, str) or len(value) > 40:
            raise MetricCatalogueError(f"{where} {key} must be text of at most 40 characters")
        units.append(value)
    return units[0], units[1]


def reading_fault(sql: str) -> str | None:
    """Say why SQL is not one reading statement, or None when it looks like one."""
    bare = QUOTED.sub(" ", sql)
    if not READING.match(bare):
        return "must be one SELECT (or WITH … SELECT)"
    if re.search(r";\s*\S", bare):
        return "must be exactly one statement: nothing may follow ';'"
    written = WRITING.search(bare)
    if written:
        return f"must only read: {written.group(1).upper()} is refused"
    return None


def load_catalogue(path: Path, *, root: Path) -> Catalogue:
    """Read and check a metric catalogue."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise MetricCatalogueError(f"{path}: cannot read the metric catalogue: {err}") from None
    unknown = set(document) - {"databases", "metrics"}
    if unknown:
        raise MetricCatalogueError(f"{path}: unknown top-level keys {sorted(unknown)}")
    raw_databases = document.get("databases", {})
    if not isinstance(raw_databases, dict):
        raise MetricCatalogueError(f"{path}: [databases] must be a table")
    databases = {name: _database(path, name, t, root) for name, t in raw_databases.items()}
    raw_metrics = document.get("metrics", [])
    if not isinstance(raw_metrics, list):
        raise MetricCatalogueError(f"{path}: metrics must be an array of tables ([[metrics]])")
    metrics: list[Metric] = []
    for index, table in enumerate(raw_metrics):
        metric = _metric(path, index, table, databases)
        if any(m.id == metric.id for m in metrics):
            raise MetricCatalogueError(f"{path}: metric {metric.id}: the id appears twice")
        metrics.append(metric)
    return Catalogue(databases, tuple(metrics))
