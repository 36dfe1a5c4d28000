"""The alarm rule file (IOC_ALARMS_FILE): each kind's severity and delays, flood, e-mail.

Checked at start like the other catalogues: anything wrong is one line naming the
file, the table and the key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from ioc.model.alarm import KINDS, SEVERITIES, AlarmRules, KindRule, Recipient, Severity

TOP = frozenset({"ingest", "kinds", "email"})
KIND_KEYS = frozenset({"severity", "on_delay_s", "off_delay_s", "warn_severity"})
WARN_KINDS = frozenset({"kpi_alarm", "metric_alarm"})
MAX_DELAY_S = 24 * 3600
ADDRESS = re.compile(r"^[^@\s<>,;]{1,64}@[A-Za-z0-9.-]{1,190}$")


class AlarmRulesError(Exception):
    """The rule file cannot be used; the message names the file, the table and the key."""


def _number(path: Path, where: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise AlarmRulesError(f"{path}: {where} must be a number from {low:g} to {high:g}, "
                              f"not {value!r}")  # fmt: skip
    return float(value)


def _severity(path: Path, where: str, value: object) -> Severity:
    if value not in SEVERITIES:  # narrows value to the literal
        raise AlarmRulesError(f"{path}: {where} must be one of {', '.join(SEVERITIES)}, "
                              f"not {value!r}")  # fmt: skip
    return value


def _table(path: Path, document: dict[str, Any], name: str) -> dict[str, Any]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise AlarmRulesError(f"{path}: [{name}] must be a table")
    return table


def _kind(path: Path, name: str, table: object) -> KindRule:
    where = f"[kinds.{name}]"
    if name not in KINDS:
        raise AlarmRulesError(f"{path}: unknown kind {where} (known: {', '.join(KINDS)})")
    if not isinstance(table, dict):
        raise AlarmRulesError(f"{path}: {where} must be a table")
    unknown = set(table) - KIND_KEYS
    if unknown:
        raise AlarmRulesError(f"{path}: {where} has unknown keys {sorted(unknown)}")
    if "severity" not in table:
        raise AlarmRulesError(f"{path}: {where} needs a severity")
    warn = table.get("warn_severity")
    if warn is not None and name not in WARN_KINDS:
        raise AlarmRulesError(f"{path}: {where} warn_severity is only for kpi_alarm and "
                              "metric_alarm")  # fmt: skip
    return KindRule(
        name,
        _severity(path, f"{where} severity", table["severity"]),
        _number(path, f"{where} on_delay_s", table.get("on_delay_s", 0), 0, MAX_DELAY_S),
        _number(path, f"{where} off_delay_s", table.get("off_delay_s", 0), 0, MAX_DELAY_S),
        None if warn is None else _severity(path, f"{where} warn_severity", warn),
    )


def _recipient(path: Path, index: int, table: object, districts: frozenset[str]) -> Recipient:
    where = f"[[email]] #{index + 1}"
    if not isinstance(table, dict):
        raise AlarmRulesError(f"{path}: {where} must be a table")
    unknown = set(table) - {"to", "districts", "severities", "lang"}
    if unknown:
        raise AlarmRulesError(f"{path}: {where} has unknown keys {sorted(unknown)}")
    to = table.get("to")
    if (
        not isinstance(to, list)
        or not to
        or not all(isinstance(a, str) and ADDRESS.match(a) for a in to)
    ):
        raise AlarmRulesError(f"{path}: {where} to must be a list of e-mail addresses")
    places = table.get("districts", ["*"])
    known = districts | {"*", "city"}
    if not isinstance(places, list) or not all(isinstance(p, str) and p in known for p in places):
        raise AlarmRulesError(f"{path}: {where} districts must list known district slugs, "
                              f'"city" or "*", not {places!r}')  # fmt: skip
    severities = table.get("severities", list(SEVERITIES))
    if not isinstance(severities, list) or not all(s in SEVERITIES for s in severities):
        raise AlarmRulesError(f"{path}: {where} severities must be among {', '.join(SEVERITIES)}")
    lang = table.get("lang", "vi")
    if lang not in ("vi", "en"):
        raise AlarmRulesError(f"{path}: {where} lang must be vi or en, not {lang!r}")
    return Recipient(tuple(to), frozenset(places), frozenset(severities), lang)


def load_rules(path: Path, districts: frozenset[str]) -> AlarmRules:
    """Read and check an alarm rule file; every kind must have its rule."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise AlarmRulesError(f"{path}: cannot read the alarm rules: {err}") from None
    unknown = set(document) - TOP
    if unknown:
        raise AlarmRulesError(f"{path}: unknown tables {sorted(unknown)} (known: {sorted(TOP)})")
    declared = _table(path, document, "kinds")
    kinds = {name: _kind(path, name, table) for name, table in declared.items()}
    missing = [k for k in KINDS if k not in kinds]
    if missing:
        raise AlarmRulesError(f"{path}: no rule for the kinds {', '.join(missing)}")
    ingest = _table(path, document, "ingest")
    if set(ingest) - {"dead_letters_per_minute"}:
        raise AlarmRulesError(f"{path}: [ingest] has unknown keys {sorted(ingest)}")
    emails = document.get("email", [])
    if not isinstance(emails, list):
        raise AlarmRulesError(f"{path}: email must be a list of [[email]] tables")
    return AlarmRules(
        kinds,
        dead_letters_per_minute=_number(path, "[ingest] dead_letters_per_minute",
                                        ingest.get("dead_letters_per_minute", 60), 0.01, 1e7),
        recipients=tuple(_recipient(path, i, t, districts) for i, t in enumerate(emails)),
    )  # fmt: skip
