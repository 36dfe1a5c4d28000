"""The machine a benchmark ran on, and the error that stops a run."""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


class BenchError(Exception):
    """A run could not be completed (broker, publisher or store trouble)."""


def machine_info(broker: str) -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_avg_1min_before": load,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "paho_mqtt": _version("paho-mqtt"),
        "sqlalchemy": _version("sqlalchemy"),
        "broker": broker,
        "os": f"{platform.system()} {platform.release()}",
    }


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None
