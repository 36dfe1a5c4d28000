"""``python -m ioc.metrics``: evaluate the metric catalogue on its schedule, alone."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ioc.bootstrap import StartupError, boot, exit_on_startup_error, run_until_stopped
from ioc.config import Settings
from ioc.metrics.evaluate import MetricEvaluator


def need_metrics_file(settings: Settings) -> None:
    """Refuse to run without a metric catalogue to evaluate."""
    if settings.metrics_file is None:
        raise StartupError("configuration error: IOC_METRICS_FILE is empty: no metrics to evaluate")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluator until interrupted (or once, with --once)."""
    parser = argparse.ArgumentParser(
        prog="python -m ioc.metrics",
        description="Evaluate the metrics of IOC_METRICS_FILE against their databases "
        "(read-only) and store the values in IOC_DATABASE_URL, each on its refresh_s.",
    )
    parser.add_argument("--once", action="store_true", help="evaluate every metric once, then exit")
    args = parser.parse_args(argv)
    with exit_on_startup_error():
        started = boot(check=need_metrics_file, catalogue=True)
    catalogue = started.catalogue
    assert catalogue is not None  # need_metrics_file refused an empty IOC_METRICS_FILE
    evaluator = MetricEvaluator(catalogue, started.engine, started.areas.slugs)
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
    run_until_stopped(evaluator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
