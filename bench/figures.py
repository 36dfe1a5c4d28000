"""Figures the benchmarks share: a sample's percentiles and one line of their tables."""

from __future__ import annotations

import math


def stats(values: list[float]) -> dict:
    """Return n, p50, p95 (nearest rank) and max."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {"n": len(ordered), "p50": rank(0.5), "p95": rank(0.95), "max": ordered[-1]}


def row(label: str, s: dict, unit: str, goal: str = "", met: bool | None = None) -> str:
    """One table line: p50, p95, max, n, the goal and whether it was met."""
    if not s.get("n"):
        return f"{label:46}{'-':>8}"
    f = ".1f" if unit == "ms" else ".2f"
    verdict = "" if met is None else ("met" if met else "MISSED")
    return (f"{label:46}{s['p50']:>8{f}}{s['p95']:>8{f}}{s['max']:>8{f}} {unit:>3}{s['n']:>5}"
            f"  {goal:15}{verdict}")  # fmt: skip
