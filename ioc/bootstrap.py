"""One start for every entry point: settings, logging, the files they name, the store.

``python app.py``, ``gunicorn app:server``, ``python -m feeds.ingest``,
``python -m ioc.briefing`` and ``python -m ioc.metrics`` all start here. A
broken set-up ends in one line on stderr (``configuration error: …`` or
``cannot open the store …``) and an exit status, never a traceback.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from ioc.areas import AreaCatalogue, AreaCatalogueError, load_areas
from ioc.config import (
    ROOT,
    ConfigError,
    Settings,
    configure_logging,
    load_settings,
    redact_url,
    refuse_open,
)
from ioc.metrics.catalogue import MetricCatalogueError, load_catalogue
from ioc.model.metric import Catalogue
from ioc.services.kpis import KpiCatalogue, KpiConfigError, load_kpis
from ioc.store.engine import STORE_ERRORS, make_engine, migrate

# A check an entry point adds on the settings before anything is loaded (raises StartupError).
Check = Callable[[Settings], None]


class StartupError(Exception):
    """The program cannot start; the message is the one line that says what to fix."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """The settings and the files they name, checked; nothing opened or started yet."""

    settings: Settings
    areas: AreaCatalogue
    kpis: KpiCatalogue | None  # None unless asked for
    catalogue: Catalogue | None  # None unless asked for, or IOC_METRICS_FILE is empty


@dataclass(frozen=True, slots=True)
class Booted(Prepared):
    """Prepared, and the store opened and migrated."""

    engine: Engine


def prepare(
    *, check: Check | None = None, logs: bool = True, kpis: bool = False, catalogue: bool = False
) -> Prepared:
    """Read the settings, run the entry point's check, set up logging, load the files.

    The files are loaded in one order (areas, KPI thresholds, metric catalogue),
    so the first broken one is the one named.
    """
    try:
        settings = load_settings()
    except ConfigError as err:
        raise StartupError(str(err)) from None
    if check is not None:
        check(settings)
    if logs:
        configure_logging(settings.log_level)
    areas = load_areas_checked(settings)
    thresholds = load_kpis_checked(settings) if kpis else None
    metrics = load_catalogue_checked(settings) if catalogue else None
    return Prepared(settings, areas, thresholds, metrics)


def open_check(settings: Settings) -> None:
    """The web app's own check: no access control on a network address is refused."""
    try:
        refuse_open(settings)
    except ConfigError as err:
        raise StartupError(str(err)) from None


def boot(*, check: Check | None = None, kpis: bool = False, catalogue: bool = False) -> Booted:
    """Prepare, then open and migrate the store the settings name."""
    ready = prepare(check=check, kpis=kpis, catalogue=catalogue)
    engine = open_store(ready.settings)
    return Booted(ready.settings, ready.areas, ready.kpis, ready.catalogue, engine)


def load_areas_checked(settings: Settings) -> AreaCatalogue:
    """Load the area catalogue, or say in one line what is wrong with the file."""
    try:
        return load_areas(settings.areas_file)
    except AreaCatalogueError as err:
        raise StartupError(f"configuration error: IOC_AREAS_FILE: {err}") from None


def load_kpis_checked(settings: Settings) -> KpiCatalogue:
    """Load the KPI thresholds, or say in one line what is wrong with the file."""
    try:
        return load_kpis(settings.kpis_file)
    except KpiConfigError as err:
        raise StartupError(f"configuration error: IOC_KPIS_FILE: {err}") from None


def load_catalogue_checked(settings: Settings) -> Catalogue | None:
    """Load the metric catalogue (None when off), or say in one line what is wrong."""
    if settings.metrics_file is None:
        return None
    try:
        return load_catalogue(settings.metrics_file, root=ROOT)
    except MetricCatalogueError as err:
        raise StartupError(f"configuration error: IOC_METRICS_FILE: {err}") from None


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Turn a failure to open or migrate the store into its one line (password hidden)."""
    try:
        yield
    except STORE_ERRORS as err:
        url = redact_url(settings.database_url)
        reason = str(err.__cause__ or err).splitlines()[0]
        raise StartupError(f"cannot open the store IOC_DATABASE_URL={url}: {reason}") from None


def open_store(settings: Settings) -> Engine:
    """Open the store and bring its schema to the newest revision."""
    with store_errors(settings):
        engine = make_engine(settings.database_url)
        migrate(engine)
    return engine


@contextmanager
def exit_on_startup_error(status: int = 2) -> Iterator[None]:
    """Print a StartupError as its one line on stderr and exit with ``status``."""
    try:
        yield
    except StartupError as err:
        print(err, file=sys.stderr, flush=True)
        raise SystemExit(status) from None


class Part(Protocol):
    """A part that runs in the background between start and stop."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_until_stopped(part: Part) -> None:
    """Start a part, wait for SIGTERM or SIGINT (Ctrl-C), then stop it cleanly."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    part.start()
    done.wait()
    part.stop()
