"""Ingest benchmark: how fast MQTT readings reach the store, against this machine's ceiling.

``python -m bench.ingest`` (``make bench``) publishes N contract traffic readings
across 3,000 sources in the 9 districts and reports, in one run:

* the ceiling: the receive rate of a bare paho subscriber that does nothing
  but count (QoS 1 subscription, paho defaults, ``loop_start()``), for
  messages published at QoS 0 and at QoS 1;
* the product: the real ``feeds.ingest.Ingestor`` writing into a fresh store,
  from the first message published to the moment the store's ``accepted``
  counter reaches N, at QoS 0 and QoS 1 (subscription QoS 1 in both cases; the
  effective QoS is the lower of the two), with a check that nothing was lost;
* product / ceiling for each QoS;
* latency from publish to committed row (p50/p95/p99) in a separate, paced run
  that does not saturate the ingestor.

The publisher (a raw-socket MQTT 3.1.1 client, see ``bench/publisher.py``) and
the commit watcher run in their own processes; the subscriber under test runs
in this process, which otherwise only sleeps and polls the store every 20 ms.

By default a private Mosquitto is spawned on a free loopback port with
``max_queued_messages 0`` (Mosquitto's default of 1000 queued messages per
session silently drops QoS 1 messages under a flood); without mosquitto on
PATH the embedded amqtt broker is used (and the figures then measure amqtt).
A broker given with ``--broker-url`` must carry no other ``ioc/v1`` traffic.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.broker import start_broker
from bench.ingest_ceiling import run_ceiling
from bench.ingest_product import run_latency, run_product
from bench.ingest_report import GOAL_RATE, GOAL_RATIO, report, summarise
from bench.machine import BenchError, machine_info
from ioc.areas import load_areas
from ioc.config import DEFAULT_AREAS_FILE, Settings

PHASES = ("ceiling0", "ceiling1", "product0", "product1", "latency")
log = logging.getLogger("bench.ingest")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__.split("\n\n")[0],
        epilog="Loopback only. See docs/performance.md for the figures and what limits them.",
    )
    parser.add_argument("--messages", type=int, default=100_000, help="per run (100000)")
    parser.add_argument("--sources", type=int, default=3000, help="distinct sources (3000)")
    parser.add_argument(
        "--database-url",
        help="store to benchmark: default a fresh SQLite file per run in a temporary folder; "
        "a sqlite:///path.db gets fresh files next to it; a PostgreSQL URL gets a private "
        "schema per run (dropped afterwards)",
    )
    parser.add_argument(
        "--broker-url",
        help="a running broker (mqtt://host:port) with no other ioc/v1 traffic; default: "
        "spawn a private mosquitto on a free loopback port (or the embedded broker)",
    )
    parser.add_argument(
        "--broker-inflight",
        type=int,
        default=None,
        help="max_inflight_messages of the spawned mosquitto (default: Mosquitto's, 20)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (3)")
    parser.add_argument("--batch-max", type=int, help="ingestor batch_max (default: Settings)")
    parser.add_argument(
        "--batch-interval-ms", type=int, help="ingestor batch_interval_ms (default: Settings)"
    )
    parser.add_argument(
        "--latency-rate", type=float, default=3000, help="paced latency run, msg/s (3000)"
    )
    parser.add_argument(
        "--latency-seconds", type=float, default=5, help="paced latency run length (5)"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (all)",
    )
    parser.add_argument(
        "--timeout", type=float, help="give up on a run after this many seconds (60 + N/1000)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="ingestor logs at INFO")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    args.phases = phases
    if args.messages < 2 or args.sources < 1 or args.repeat < 1:
        parser.error("--messages must be >= 2, --sources and --repeat >= 1")
    if args.timeout is None:
        args.timeout = 60 + args.messages / 1000
    return args


def run(args: argparse.Namespace) -> dict:
    areas = load_areas(DEFAULT_AREAS_FILE)
    defaults = Settings(_env_file=None)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
        workdir = Path(tmp)
        broker = start_broker(args, workdir)
        try:
            result = {
                "machine": machine_info(broker.name),
                "config": {
                    "messages": args.messages,
                    "sources": args.sources,
                    "districts": len(areas.areas),
                    "repeat": args.repeat,
                    "store": "fresh SQLite file per run"
                    if not args.database_url
                    else make_url(args.database_url).render_as_string(hide_password=True),
                    "batch_max": args.batch_max or defaults.batch_max,
                    "batch_interval_ms": args.batch_interval_ms or defaults.batch_interval_ms,
                    "phases": args.phases,
                },
            }
            runs: dict[str, list[dict]] = {p: [] for p in PHASES[:4] if p in args.phases}
            for i in range(args.repeat):
                for phase in runs:
                    qos = int(phase[-1])
                    log.info("run %d/%d: %s", i + 1, args.repeat, phase)
                    if phase.startswith("ceiling"):
                        outcome = run_ceiling(broker.url, args, qos)
                    else:
                        outcome = run_product(broker.url, args, areas, qos, workdir)
                    runs[phase].append(outcome)
                    if not args.json:
                        print(f"  {phase} run {i + 1}: {json.dumps(outcome)}", file=sys.stderr)
            summary = {phase: summarise(outcomes) for phase, outcomes in runs.items()}
            result["summary"] = summary
            ratios = {}
            for qos in (0, 1):
                ceiling, product = summary.get(f"ceiling{qos}"), summary.get(f"product{qos}")
                if ceiling and product and ceiling["median"]:
                    ratios[f"product{qos}"] = round(product["median"] / ceiling["median"], 3)
            result["ratios"] = ratios
            if "latency" in args.phases:
                result["latency"] = run_latency(broker.url, args, areas, workdir)
            if "product1" in summary:
                rate = summary["product1"]["median"]
                ratio = ratios.get("product1")
                result["goal"] = {
                    "rate": rate,
                    "rate_met": rate >= GOAL_RATE and summary["product1"]["complete"],
                    "ratio": ratio if ratio is not None else 0.0,
                    "ratio_met": ratio is not None and ratio >= GOAL_RATIO,
                }
        finally:
            broker.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        result = run(args)
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else report(result))
    complete = all(s["complete"] for s in result["summary"].values())
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
