"""Children of ``bench.publisher``: the flooding or paced publisher and the commit watcher."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid

from bench.machine import BenchError
from feeds.mqtt import BrokerAddress
from ioc.config import ROOT


class Child:
    """A child process of bench.publisher speaking the ready / go / JSON protocol."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.publisher", *argv],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def _line(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(
                f"child {self.proc.args[3]} did not answer in {timeout:.0f} s"
            ) from None
        if line is None:
            raise BenchError(f"child {self.proc.args[3]} exited ({self.proc.wait(5)})")
        return line

    def wait_ready(self, timeout: float = 120) -> None:
        line = self._line(timeout)
        if line != "ready":
            raise BenchError(f"child said {line!r} instead of ready")

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float) -> dict:
        """Close stdin (the watcher's stop signal) and read the JSON result."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        return json.loads(self._line(timeout))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def start_publisher(
    url: str, *, messages: int, sources: int, qos: int, rate: float = 0, max_s: float
) -> Child:
    address = BrokerAddress.from_url(url)
    if address.tls:
        raise BenchError("the benchmark publisher speaks plain TCP only (mqtt://)")
    return Child(
        [
            "publish",
            f"--host={address.host}",
            f"--port={address.port}",
            f"--client-id=bench-pub-{uuid.uuid4().hex[:8]}",
            *([f"--username={address.username}"] if address.username else []),
            *([f"--password={address.password}"] if address.password else []),
            f"--messages={messages}",
            f"--sources={sources}",
            f"--qos={qos}",
            f"--rate={rate}",
            f"--base-ts={time.time() - 7 * 86400:.0f}",
            f"--max-seconds={max_s}",
        ]
    )
