"""The product as a child process a test starts, stops and starts again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from feeds.mqtt import free_port
from tests.conftest import ROOT, wait_until


def stop_gently(process: subprocess.Popen, timeout: float = 20) -> None:
    """Ask a child to stop (SIGINT, its clean stop); kill it if it does not in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class AppProcess:
    """`python app.py` as a child on a free port, with these IOC_ settings (and no other
    IOC_ variable of the developer's); it can be stopped and started again."""

    def __init__(self, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        # No demo past unless a test asks (tests/test_backfill.py): it is minutes of CPU.
        self.env.update({"PYTHONPATH": str(ROOT), "IOC_PORT": str(self.port),
                         "IOC_SIM_BACKFILL_DAYS": "0", **settings})  # fmt: skip
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        """The end of the child's log."""
        path = self.workdir / "app.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def up(self) -> bool:
        """The app answers its ping."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/api/v1/ping", timeout=2):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 90) -> None:
        """Start the child and wait until it answers."""
        log = open(self.workdir / "app.log", "a")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")], env=self.env, cwd=self.workdir,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        assert wait_until(self.up, timeout=timeout), self.log()

    def stop(self, timeout: float = 30) -> None:
        """Stop the child cleanly (SIGINT), killing it if it does not stop in time."""
        if self.process:
            stop_gently(self.process, timeout)
