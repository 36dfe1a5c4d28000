"""The ingest benchmark's goals, summaries and printed table."""

from __future__ import annotations

import statistics

GOAL_RATE = 15_000
GOAL_RATIO = 0.7


def summarise(runs: list[dict]) -> dict:
    rates = [r["rate"] for r in runs]
    return {
        "median": round(statistics.median(rates)) if rates else 0,
        "min": min(rates, default=0),
        "max": max(rates, default=0),
        "complete": all(r["complete"] for r in runs),
        "runs": runs,
    }


def report(result: dict) -> str:
    m, cfg, s = result["machine"], result["config"], result["summary"]
    out = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"load {m['load_avg_1min_before']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"paho-mqtt {m['paho_mqtt']}",
        f"broker:  {m['broker']}",
        f"store:   {cfg['store']}; batch_max {cfg['batch_max']}, "
        f"batch_interval_ms {cfg['batch_interval_ms']}",
        f"load:    {cfg['messages']:,} traffic readings across {cfg['sources']:,} sources "
        f"in {cfg['districts']} districts; {cfg['repeat']} run(s) each, median (min-max)",
        "",
        f"{'':36}{'msg/s':>9}  {'min-max':>15}  {'vs ceiling':>10}  complete",
    ]
    labels = {
        "ceiling0": "ceiling: bare paho sub, QoS 0 pubs",
        "ceiling1": "ceiling: bare paho sub, QoS 1 pubs",
        "product0": "product: ingestor->store, QoS 0",
        "product1": "product: ingestor->store, QoS 1",
    }
    for key, label in labels.items():
        if key not in s:
            continue
        row = s[key]
        ratio = result["ratios"].get(key)
        shown = f"{ratio:.2f}" if ratio is not None else ""
        spread = f"{row['min']:,}-{row['max']:,}"
        out.append(
            f"{label:36}{row['median']:>9,}  {spread:>15}  {shown:>10}  "
            f"{'yes' if row['complete'] else 'NO (lost or timed out)'}"
        )
    lat = result.get("latency")
    if lat:
        c, r = lat["commit_ms"], lat["received_at_ms"]
        out += [
            "",
            f"latency, paced QoS 1 run of {lat['messages']:,} at {lat['rate_asked']:,.0f} msg/s "
            f"(publisher {lat['publisher_rate']:,}/s):",
            f"  publish -> committed row visible: p50 {c.get('p50')} ms, p95 {c.get('p95')} ms, "
            f"p99 {c.get('p99')} ms, max {c.get('max')} ms "
            f"(watcher polls max(id) every {lat['watch_every_ms']} ms)",
            f"  publish -> batch write start (received_at): p50 {r.get('p50')} ms, "
            f"p95 {r.get('p95')} ms",
        ]
    goal = result.get("goal")
    if goal:
        out += [
            "",
            f"goal >= {GOAL_RATE:,} msg/s at QoS 1: {'met' if goal['rate_met'] else 'MISSED'} "
            f"({goal['rate']:,}); >= {GOAL_RATIO} of ceiling: "
            f"{'met' if goal['ratio_met'] else 'MISSED'} ({goal['ratio']:.2f})",
        ]
    return "\n".join(out)
