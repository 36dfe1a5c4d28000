"""The wall benchmark's goals and printed table."""

from __future__ import annotations

from bench.figures import row, stats
from bench.wall_browser import VIEW

GOAL_SERVER_MS, GOAL_LATENCY_S, GOAL_RENDER_S, GOAL_TRANSFER_MB = 30, 1.5, 1.5, 2.0


def report(r: dict) -> str:
    """The figures as a table, with the machine, the store and the goals."""
    m, ip, st, filled = r["machine"], r["in_process"], r["store"], r["store"]["filled"]
    goal_ms = f"p95 <= {GOAL_SERVER_MS} ms"
    out = [f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), load "
           f"{m['load_avg_1min_before']} before, {r['load_after']} after; Python {m['python']}, "
           f"SQLite {m['sqlite']}; broker: {r.get('broker', '-')}",
           f"store:   {r['db']}: {st['params']['sources']:,} sources, {st['params']['days']:g} "
           f"days up to {filled['now'][:19]}Z, "
           + ("reused" if st["reused"] else f"filled in {filled['seconds']} s") + "; "
           + ", ".join(f"{k} {v:,}" for k, v in filled["rows"].items()),
           "", f"{'':46}{'p50':>8}{'p95':>8}{'max':>8} unit   n  goal",
           f"server time per refresh, in-process ({ip['intervals']} intervals of "
           f"{ip['sources']:,} sources; {ip['computed']} cache computes):",
           row("  1st screen: build + updates (uncached)", ip["uncached"], "ms", goal_ms,
               ip["uncached"]["p95"] <= GOAL_SERVER_MS),
           row("    of which the snapshot build", ip["build"], "ms"),
           row("    of which updates()", ip["updates"], "ms"),
           row("    intervals within a minute", ip["steady"], "ms"),
           row("    minute boundary (aggregates rebuilt)", ip["minute"], "ms"),
           row("    first of a day (usual profile too)", ip["day"], "ms"),
           row("  2nd screen, same interval (cached)", ip["cached"], "ms")]  # fmt: skip
    if r.get("http"):
        out.append("refresh callback over HTTP (app.py, live simulator; size of one answer):")
    for label, h in r.get("http", {}).items():
        failed = f", {h['failed']} FAILED: {h['failures']}" if h["failed"] else ""
        out.append(row(f"  {label}", h, "ms", goal_ms, h.get("p95", 1e9) <= GOAL_SERVER_MS)
                   + f"  {h['bytes'] or 0:,} B{failed}")  # fmt: skip
    if b := r.get("browser"):
        lat, cold = stats(b["latency"]), stats(b["cold"])
        ready, ttfb, layout = b["server_cold"]
        out += [f"browser (headless Chromium, 1920x1080, {VIEW}):",
                row("  publish -> presence tile text changed", lat, "s",
                    f"p95 <= {GOAL_LATENCY_S} s", lat.get("p95", 1e9) <= GOAL_LATENCY_S),
                row("  first render, cold cache (ready, drawn)", cold, "s",
                    f"<= {GOAL_RENDER_S} s (max)", cold.get("max", 1e9) <= GOAL_RENDER_S),
                row("    of which the HTML's first byte", stats(b["ttfb"]), "s"),
                row("    of which the layout callback", stats(b["layout"]), "s"),
                row("  first render, warm cache (reload)", stats(b["warm"]), "s"),
                f"  first page after the app started (server caches cold): {ready:.2f} s, "
                f"of which the layout callback {layout:.2f} s"]  # fmt: skip
        for label, t in (("as Chromium asks", b["transfer"]), ("gzip only", b["gzip"])):
            mb, met = t["total"] / 1e6, t["total"] / 1e6 <= GOAL_TRANSFER_MB
            out.append(f"  transfer, cold, {label}: {mb:.2f} MB ({t['raw'] / 1e6:.2f} MB decoded, "
                       f"{t['count']} entries, live calls {t['live'] / 1e3:.0f} kB) "
                       f"{'met' if met else 'MISSED'} (<= {GOAL_TRANSFER_MB:g} MB); "
                       f"encodings {t['codings']}")  # fmt: skip
        out.append("  biggest resources (transferred, decoded bytes):")
        out += [f"    {s:>10,} {raw:>10,}  {name}" for s, raw, name in b["transfer"]["biggest"]]
        out.append(f"browser problems (console errors, page errors, HTTP >= 400): "
                   f"{len(b['problems'])}")  # fmt: skip
        out += [f"  {p[:300]}" for p in dict.fromkeys(b["problems"])]
    if r.get("app_log"):
        out += ["app.py log, warnings and errors (last 15):", r["app_log"]]
    out.append(f"bench took {r['seconds']:.0f} s")
    return "\n".join(out)
