"""Access-check benchmark: what knowing who asks costs a request, and what a sign-in costs.

``python -m bench.auth`` (in ``make bench``) builds the app on a SQLite file in a temporary
folder and asks ``/api/v1/ping`` (which resolves the viewer and touches nothing else)
through Flask's test client, as each kind of viewer: the open mode, a local session, a
wall token, an API token. It reports the median and p95 per request, and the time of one
argon2id password check (a sign-in). The wall's screens ask once a second each, so the
per-request figure times the number of screens is the load walls add.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import machine_info
from ioc.areas import load_areas
from ioc.config import DEFAULT_AREAS_FILE, Settings
from pages.web import create_app

PASSWORD = "mat-khau-rat-dai-1"
ORIGIN = {"Origin": "http://localhost"}


def timed(client, headers: dict[str, str], n: int) -> list[float]:
    """Milliseconds per ping, n of them."""
    found = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get("/api/v1/ping", headers=headers)
        found.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and response.get_json()["access"] == "ok"
    return found


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[-1]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.auth", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="pings per kind of viewer")
    args = parser.parse_args(argv)
    areas = load_areas(DEFAULT_AREAS_FILE)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for mode in ("none", "local"):
            url = f"sqlite:///{Path(folder) / f'{mode}.db'}"
            settings = Settings(_env_file=None, database_url=url, auth=mode, simulate=False,
                                metrics_file=None)  # fmt: skip
            app = create_app(settings, areas=areas)
            accounts = app.server.extensions["ioc_services"].accounts
            if mode == "none":
                rows.append(
                    ("open (IOC_AUTH=none)", timed(app.server.test_client(), {}, args.requests))
                )
                continue
            accounts.add_account("lan", "leader", None, PASSWORD, by="bench")
            started = time.perf_counter()
            checks = 5
            for _ in range(checks):
                accounts.hasher.verify(accounts.hasher.hash(PASSWORD), PASSWORD)
            argon = (time.perf_counter() - started) * 1000 / checks / 2
            session = app.server.test_client()
            session.post("/login", data={"name": "lan", "password": PASSWORD}, headers=ORIGIN)
            rows.append(("local session", timed(session, {}, args.requests)))
            wall = accounts.add_token("wall", "screen", by="bench")
            screen = app.server.test_client()
            screen.get(f"/wall?token={wall}")
            rows.append(("wall token (cookie)", timed(screen, {}, args.requests)))
            api = accounts.add_token("api", "platform", by="bench", role="leader")
            bearer = {"Authorization": f"Bearer {api}"}
            rows.append(("API token", timed(app.server.test_client(), bearer, args.requests)))
    machine = machine_info("none")
    print(f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
          f"SQLite {machine['sqlite']}, load {machine['load_avg_1min_before']}")  # fmt: skip
    print(f"{'viewer':<24} {'median ms':>10} {'p95 ms':>8}   ({args.requests} pings each)")
    for name, values in rows:
        print(f"{name:<24} {statistics.median(values):>10.2f} {p95(values):>8.2f}")
    print(f"argon2id hash or check of one password: {argon:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
