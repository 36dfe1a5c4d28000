"""``python -m ioc.briefing``: take a briefing snapshot now, or run the schedule alone."""

from __future__ import annotations

import argparse
import json
import sys

from ioc.bootstrap import boot, exit_on_startup_error, run_until_stopped
from ioc.briefing.schedule import scheduler_for
from ioc.services.briefing import SnapshotError
from ioc.services.container import Services


def main(argv: list[str] | None = None) -> int:
    """Take one snapshot (``take``) or run the schedule until interrupted (``schedule``)."""
    parser = argparse.ArgumentParser(
        prog="python -m ioc.briefing",
        description="Briefing snapshots of IOC_DATABASE_URL. `take` stores one now and "
        "prints its summary as JSON; `schedule` takes city snapshots at IOC_BRIEFING_TIMES "
        "(local time) on IOC_BRIEFING_DAYS and deletes scheduled ones older than "
        "IOC_BRIEFING_RETENTION_DAYS, until stopped.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("take", help="take one snapshot now")
    take.add_argument("--district", default="city", help="a district slug, or city (default)")
    take.add_argument("--title", default="", help="title (up to 200 characters)")
    take.add_argument("--note", default="", help="note (up to 2000 characters)")
    take.add_argument("--taken-by", default="", help="who takes it")
    commands.add_parser("schedule", help="run the schedule until stopped")
    args = parser.parse_args(argv)
    with exit_on_startup_error():
        started = boot(kpis=True)
    services = Services.build(started.settings, started.engine, started.areas, started.kpis)
    if args.command == "take":
        try:
            made = services.briefing.take(scope=args.district, title=args.title, note=args.note,
                                          taken_by=args.taken_by, trigger="manual")  # fmt: skip
        except SnapshotError as err:
            print(f"cannot take the snapshot: {err}", file=sys.stderr)
            return 2
        assert made is not None  # only a scheduled slot can be found taken already
        print(json.dumps(made.summary(), ensure_ascii=False))
        return 0
    scheduler = scheduler_for(services)
    if scheduler is None:
        print("configuration error: IOC_BRIEFING_TIMES is empty: nothing to schedule",
              file=sys.stderr)  # fmt: skip
        return 2
    run_until_stopped(scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
