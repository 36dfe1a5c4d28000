"""The all-in-one IOC dashboard, and the WSGI app for ``gunicorn app:server``.

``python app.py`` (what ``make run`` starts) runs the web app, one ingestor,
the metric evaluator, the alarm evaluator, the briefing schedule (IOC_BRIEFING_TIMES) and, with no
IOC_MQTT_URL, an embedded loopback broker and the simulator.
``gunicorn app:server`` only serves pages and the API: ingest runs elsewhere
(``python -m feeds.ingest``), so N web workers never subscribe N times, and so
does the schedule (``python -m ioc.briefing schedule``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from types import FrameType

import dash
from flask import Flask
from sqlalchemy import Engine

from feeds.demo.backfill import Backfill, is_empty, wifi_every_for
from feeds.demo.broker import EmbeddedBroker, choose_port
from feeds.demo.warehouse import ensure_demo_warehouse
from feeds.ingest import Ingestor
from feeds.mqtt import port_is_free
from feeds.simulate import Simulator
from ioc import telemetry
from ioc.alarms.start import evaluator_for, load_rules_checked
from ioc.api import feed_ages
from ioc.areas import AreaCatalogue
from ioc.bootstrap import (
    Prepared,
    StartupError,
    exit_on_startup_error,
    open_check,
    prepare,
    store_errors,
)
from ioc.briefing.schedule import scheduler_for
from ioc.clock import LOCAL_TZ
from ioc.config import DEFAULT_METRICS_FILE, DEMO_WAREHOUSE, Settings, redact_url
from ioc.metrics.evaluate import MetricEvaluator
from ioc.services.container import EXTENSION_KEY
from ioc.telemetry import FeedAges
from pages.web import create_app as build_app

log = logging.getLogger("ioc")
_built: dict[str, dash.Dash] = {}


def create_app(ready: Prepared) -> dash.Dash:
    """Build the Dash app on the store named by the settings (no ingestor)."""
    with store_errors(ready.settings):
        return build_app(
            ready.settings, areas=ready.areas, kpis=ready.kpis, catalogue=ready.catalogue
        )


def __getattr__(name: str) -> dash.Dash | Flask:
    # `gunicorn app:server` reads `server` from this module: build the app on
    # first use, from the environment, so importing app.py reads nothing.
    if name in ("app", "server"):
        if "app" not in _built:
            # One line, not a traceback through gunicorn's loader. Exit status 4 is
            # gunicorn's "app failed to load": it stops instead of starting workers again.
            with exit_on_startup_error(4):
                ready = prepare(check=open_check, logs=False, kpis=True, catalogue=True)
                _built["app"] = create_app(ready)
        return _built["app"] if name == "app" else _built["app"].server
    raise AttributeError(name)


def web_checks(settings: Settings) -> None:
    """Refuse to serve open on a network address (ioc/config.py) or on a taken port."""
    open_check(settings)
    if not port_is_free(settings.port, settings.host):
        raise StartupError(
            f"configuration error: IOC_PORT={settings.port}: {settings.host}:{settings.port} "
            "is in use by another program; stop it or choose another IOC_PORT"
        )


def run_all_in_one(ready: Prepared) -> None:
    """Start broker (if none configured), ingestor, simulator and the web app."""
    settings, catalogue = ready.settings, ready.catalogue
    rules = load_rules_checked(settings, ready.areas)  # before anything starts: one line
    start_demo_warehouse(settings)
    broker = None
    simulate = settings.simulator_enabled  # decided before the broker URL is filled in
    mqtt_url = settings.mqtt_url
    if mqtt_url is None:
        broker = EmbeddedBroker(choose_port(settings.embedded_broker_port))
        broker.start()
        # The password is new at each start and lives nowhere else: say it
        # once, so an operator can watch the feeds with mosquitto_sub.
        log.info(
            "embedded MQTT broker listening on mqtt://127.0.0.1:%d (loopback only), user %s, "
            "password %s (new at each start; watch with: mosquitto_sub -h 127.0.0.1 -p %d "
            "-u %s -P %s -t 'ioc/v1/#' -v)",
            broker.port, broker.username, broker.password,
            broker.port, broker.username, broker.password,
        )  # fmt: skip
        mqtt_url = broker.url
        settings = settings.model_copy(update={"mqtt_url": mqtt_url, "simulate": simulate})
    try:
        app = create_app(replace(ready, settings=settings))
    except Exception:
        if broker is not None:
            broker.stop()
        raise
    services = app.server.extensions[EXTENSION_KEY]
    ingestor = Ingestor(settings, services.engine, services.areas)
    ingestor.start()
    if settings.prometheus and settings.prometheus_port is not None:
        telemetry.serve(settings.prometheus_port, settings.host, [FeedAges(feed_ages_of(app))])
        log.info("Prometheus metrics on %s:%d/metrics", settings.host, settings.prometheus_port)
    evaluator = None
    if catalogue is not None and catalogue.metrics:
        evaluator = MetricEvaluator(catalogue, services.engine, services.areas.slugs)
        evaluator.start()
        log.info("evaluating %d database metrics", len(catalogue.metrics))
    assert ready.kpis is not None  # main() prepares them
    alarm_evaluator = evaluator_for(settings, services.engine, services.areas, ready.kpis,
                                    catalogue, rules, wall=services.wall)  # fmt: skip
    alarm_evaluator.start()
    scheduler = scheduler_for(services)
    if scheduler is not None:
        scheduler.start()
        if settings.briefing_times:
            log.info("briefing snapshots scheduled at %s (local time)",
                     ", ".join(at.strftime("%H:%M") for at in settings.briefing_times))  # fmt: skip
        else:
            log.info("no scheduled briefing snapshots; the retention of hand-taken ones runs")
    simulator = None
    if simulate:
        # On a first start the past is written first; the live readings go on from it.
        backfill = backfill_for(settings, services.engine, services.areas)
        after = backfill.ready if backfill is not None else None
        simulator = Simulator.from_settings(settings, services.areas, mqtt_url, after)
        if backfill is not None:
            backfill.then = simulator.adopt
            backfill.start()
        simulator.start()
        log.info("simulator publishing demo feeds to %s", redact_url(mqtt_url))
    url = f"http://{settings.host}:{settings.port}/"
    print(
        f"IOC dashboard: {url}wall  (wall display; status page at {url}, "
        f"JSON API at {url}api/v1/districts)",
        flush=True,
    )
    if settings.auth == "none":
        print(
            "Accounts: try them with `.venv/bin/python -m ioc.users add admin --role admin` "
            "then `IOC_AUTH=local make run` (docs/security.md)",
            flush=True,
        )
    try:
        app.run(host=settings.host, port=settings.port, debug=False, threaded=True)
    finally:
        if simulator is not None:
            simulator.stop()
        if scheduler is not None:
            scheduler.stop()
        if evaluator is not None:
            evaluator.stop()
        alarm_evaluator.stop()
        ingestor.stop()
        if broker is not None:
            broker.stop()


def feed_ages_of(app: dash.Dash) -> Callable[[], list[tuple[str, str, float | None]]]:
    """The feeds' ages, read from the app's services outside a request (another port)."""

    def read() -> list[tuple[str, str, float | None]]:
        with app.server.app_context():
            return feed_ages()

    return read


def start_demo_warehouse(settings: Settings) -> None:
    """With the shipped demo catalogue, build the demo warehouse it reads (once a day at most)."""
    if settings.metrics_file is not None and settings.metrics_file == DEFAULT_METRICS_FILE:
        ensure_demo_warehouse(DEMO_WAREHOUSE, today=datetime.now(UTC).astimezone(LOCAL_TZ).date())


def backfill_for(settings: Settings, engine: Engine, areas: AreaCatalogue) -> Backfill | None:
    """On a first start of the demo (an empty store), what writes its past (not started).

    Decided before the live simulator starts, so its first readings never make a
    new store look used. The past ends at this minute; the live readings start
    from its end (the sources' states), a few seconds later, while it is written.
    """
    days = settings.sim_backfill_days
    if not days or not is_empty(engine):
        return None
    until = datetime.now(UTC).replace(second=0, microsecond=0)
    backfill = Backfill(
        engine, areas, days=days, until=until, scale=settings.sim_sources_scale,
        wifi_every=wifi_every_for(settings.stale_factor, settings.wifi_interval_s),
    )  # fmt: skip
    return backfill


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Stop cleanly (simulator, ingestor, broker in turn) on Ctrl-C and on SIGTERM.

    Set explicitly: a program started in the background by a script inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt; SIGTERM
    (systemd, docker stop) would otherwise kill it without the clean stop.
    """
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, validate settings, run everything."""
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="All-in-one IOC dashboard: web app on IOC_HOST:IOC_PORT, one ingestor, "
        "and without IOC_MQTT_URL an embedded broker and the simulator. "
        "Settings come from IOC_* variables (see README).",
    )
    parser.parse_args(argv)
    with exit_on_startup_error():
        # Before anything starts: a taken port or a broken file stops us cleanly.
        ready = prepare(check=web_checks, kpis=True, catalogue=True)
        stop_on_signals()
        run_all_in_one(ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
