"""``python -m ioc.alarms``: the alarm evaluator alone (one acts; others wait to take over)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ioc.alarms.start import evaluator_for, load_rules_checked
from ioc.bootstrap import boot, exit_on_startup_error, run_until_stopped


def main(argv: list[str] | None = None) -> int:
    """Run the evaluator until interrupted (or one cycle, with --once)."""
    parser = argparse.ArgumentParser(
        prog="python -m ioc.alarms",
        description="Raise, clear and notify alarms from the state in IOC_DATABASE_URL, by "
        "the rules of IOC_ALARMS_FILE. Several may run: one evaluates at a time.",
    )
    parser.add_argument(
        "--once", action="store_true",
        help="evaluate once (no notifications), print the conditions, then exit",
    )  # fmt: skip
    args = parser.parse_args(argv)
    with exit_on_startup_error():
        started = boot(kpis=True, catalogue=True)
        rules = load_rules_checked(started.settings, started.areas)
    assert started.kpis is not None  # asked for above
    evaluator = evaluator_for(started.settings, started.engine, started.areas, started.kpis,
                              started.catalogue, rules)  # fmt: skip
    if args.once:
        evaluator.outbox = None  # one cycle sends nothing: a running evaluator notifies
        done = evaluator.cycle()
        if not done.leading:
            print("another evaluator holds the lease; nothing done")
            return 1
        for condition in done.conditions:
            print(f"{condition.severity:8} {condition.key}: {condition.message_en}")
        print(f"{len(done.conditions)} conditions, {len(done.steps)} changes")
        evaluator.lease.release(datetime.now(UTC))
        return 0
    run_until_stopped(evaluator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
