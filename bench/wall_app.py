"""The wall benchmark's ``app.py`` on a copy of the store, and its refresh callback over HTTP."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from bench.figures import stats
from bench.machine import BenchError
from feeds.demo.broker import wait_for_port
from feeds.mqtt import free_port
from ioc.config import ROOT


def children_of(pid: int) -> list[int]:
    """Return the ids of a process's children (Linux), e.g. the ingestor's writer."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text().split()]
    return found


@contextlib.contextmanager
def running_app(store: Path, broker_url: str, scale: float, workdir: Path):
    """Run app.py (web, ingestor, simulator) on a store and a broker; yield its base URL."""
    port = free_port()
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{store}", "IOC_MQTT_URL": broker_url,
           "IOC_SIMULATE": "1", "IOC_SIM_SOURCES_SCALE": f"{scale:.4f}", "IOC_PORT": str(port),
           "IOC_HOST": "127.0.0.1", "IOC_LOG_LEVEL": "WARNING",
           "IOC_MQTT_CLIENT_ID": f"bench-wall-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    log = open(workdir / "app.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    children: list[int] = []
    try:
        if not wait_for_port(port, 90):
            raise BenchError(f"app.py did not listen within 90 s: {tail(workdir / 'app.log')}")
        children = children_of(proc.pid)
        yield f"http://127.0.0.1:{port}"
    finally:
        children = children or children_of(proc.pid)
        proc.send_signal(signal.SIGINT)  # app.py then stops simulator and ingestor cleanly
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        for pid in children:  # a writer left behind by a hard stop
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def tail(path: Path, lines: int = 15) -> str:
    """Return the last lines of a log."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def accepted(store: Path) -> int:
    """Return the store's count of accepted readings."""
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return dict(conn.execute("SELECT name, value FROM ingest_counters")).get("accepted", 0)


def replay(url: str, body: bytes, headers: dict, screens: int, seconds: float, refresh_s: float,
           in_step: bool) -> dict:  # fmt: skip
    """POST the page's refresh callback from N screens, each once per refresh interval."""
    took, sizes, failures, lock = [], [], [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def screen() -> None:
        next_at = time.monotonic() + (0 if in_step else random.uniform(0, refresh_s))
        while next_at < stop_at:
            time.sleep(max(0.0, next_at - time.monotonic()))
            t0 = time.perf_counter()
            try:
                request = urllib.request.Request(url, data=body, headers=headers)
                with urllib.request.urlopen(request, timeout=30) as response:
                    size = len(response.read())
            except OSError as err:
                with lock:
                    failures.append(str(err))
            else:
                with lock:
                    took.append((time.perf_counter() - t0) * 1000)
                    sizes.append(size)
            next_at += refresh_s

    threads = [threading.Thread(target=screen) for _ in range(screens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**stats(took), "bytes": stats(sizes).get("p50"), "failed": len(failures),
            "failures": failures[:3]}  # fmt: skip
