"""``python -m ioc.metrics``: evaluate the metric catalogue on its schedule, alone."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime

from ioc.areas import AreaCatalogueError, load_areas
from ioc.config import ROOT, ConfigError, configure_logging, load_settings, redact_url
from ioc.metrics.catalogue import MetricCatalogueError, load_catalogue
from ioc.metrics.evaluate import MetricEvaluator
from ioc.store.engine import STORE_ERRORS, make_engine, migrate


def main(argv: list[str] | None = None) -> int:
    """Run the evaluator until interrupted (or once, with --once)."""
    parser = argparse.ArgumentParser(
        prog="python -m ioc.metrics",
        description="Evaluate the metrics of IOC_METRICS_FILE against their databases "
        "(read-only) and store the values in IOC_DATABASE_URL, each on its refresh_s.",
    )
    parser.add_argument("--once", action="store_true", help="evaluate every metric once, then exit")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    if settings.metrics_file is None:
        print(
            "configuration error: IOC_METRICS_FILE is empty: no metrics to evaluate",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level)
    try:
        catalogue = load_catalogue(settings.metrics_file, root=ROOT)
        areas = load_areas(settings.areas_file)
        store = make_engine(settings.database_url)
        migrate(store)
    except MetricCatalogueError as err:
        print(f"configuration error: IOC_METRICS_FILE: {err}", file=sys.stderr)
        return 2
    except AreaCatalogueError as err:
        print(f"configuration error: IOC_AREAS_FILE: {err}", file=sys.stderr)
        return 2
    except STORE_ERRORS as err:
        reason = str(err.__cause__ or err).splitlines()[0]
        url = redact_url(settings.database_url)
        print(f"cannot open the store IOC_DATABASE_URL={url}: {reason}", file=sys.stderr)
        return 2
    evaluator = MetricEvaluator(catalogue, store, areas.slugs)
    if args.once:
        outcomes = evaluator.run_due()
        failed = [o for o in outcomes if o.error]
        for outcome in outcomes:
            shown = outcome.error or ", ".join(
                f"{d or 'city'}={v}" for d, v in list(outcome.values.items())[:3]
            )
            print(f"{outcome.metric_id}: {shown} ({outcome.duration_ms:.0f} ms)")
        print(f"{len(outcomes)} metrics at {datetime.now(UTC).isoformat(timespec='seconds')}, "
              f"{len(failed)} failed")  # fmt: skip
        evaluator.runner.dispose()
        return 1 if failed else 0
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    evaluator.start()
    done.wait()
    evaluator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
