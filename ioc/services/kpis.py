"""The live KPIs and their thresholds, read from a TOML file (IOC_KPIS_FILE)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ioc.status import Status, Thresholds, status_of

# Every KPI the wall knows: its feed and unit. Thresholds come from the file.
KPI_FEEDS: dict[str, str] = {
    "traffic_flow": "traffic",
    "traffic_speed": "traffic",
    "wifi_up": "wifi",
    "wifi_uptime": "wifi",
    "backlog_pending": "backlog",
    "backlog_overdue": "backlog",
    "backlog_on_time": "backlog",
}
KEYS = frozenset({"direction", "warn", "alarm", "target"})


class KpiConfigError(Exception):
    """The KPI file cannot be used; the message names the file, the KPI and the key."""


@dataclass(frozen=True)
class KpiCatalogue:
    """Thresholds per KPI; a KPI missing from the file is informational."""

    thresholds: dict[str, Thresholds]

    def status(self, kpi: str, value: float | None, *, stale: bool) -> Status:
        """Compute the status of one KPI value."""
        return status_of(value, self.thresholds.get(kpi), stale=stale)


def load_kpis(path: Path) -> KpiCatalogue:
    """Read and check a KPI thresholds file."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise KpiConfigError(f"{path}: cannot read KPI thresholds: {err}") from None
    thresholds: dict[str, Thresholds] = {}
    for name, table in document.items():
        if name not in KPI_FEEDS:
            known = ", ".join(sorted(KPI_FEEDS))
            raise KpiConfigError(f"{path}: unknown KPI [{name}] (known: {known})")
        if not isinstance(table, dict):
            raise KpiConfigError(f"{path}: [{name}] must be a table")
        unknown = set(table) - KEYS
        if unknown:
            raise KpiConfigError(f"{path}: [{name}] has unknown keys {sorted(unknown)}")
        numbers = {k: table.get(k) for k in ("warn", "alarm", "target")}
        for key, value in numbers.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise KpiConfigError(f"{path}: [{name}] {key} must be a number, not {value!r}")
        try:
            thresholds[name] = Thresholds(table.get("direction", "higher"), **numbers)
        except ValueError as err:
            raise KpiConfigError(f"{path}: [{name}] {err}") from None
    return KpiCatalogue(thresholds)
