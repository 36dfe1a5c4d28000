"""An embedded MQTT broker (amqtt) for the all-in-one demo and tests; not for production.

It runs in a child process (``python -m feeds.demo.broker --port N``): inside the
web process it would share the GIL with paho's threads, which measured at
about 66 messages/s against 3,400/s in its own process on a 2-core machine.
It listens on 127.0.0.1 only, and admits one user, ``ioc``, whose password
is drawn at random for each start: the parent hands it over on the child's
standard input (not the command line, which every local user can read), and
the all-in-one logs it once so an operator can watch with mosquitto_sub.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import paho.mqtt.client as mqtt
from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session
from paho.mqtt.enums import CallbackAPIVersion

from feeds.mqtt import free_port, port_is_free
from ioc.config import configure_logging

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the checkout: feeds/demo/ is two floors down
USERNAME = "ioc"
# amqtt loads plugins by dotted path; the child runs as __main__, so spell it out.
AUTH_PLUGIN = "feeds.demo.broker.PasswordAuthPlugin"


class PasswordAuthPlugin(BaseAuthPlugin):
    """Admit only the configured user name with its password.

    amqtt's own file plugin wants Argon2 hashes (one more native dependency)
    for what is here a single secret held in memory; a constant-time
    comparison of both is all that is needed.
    """

    @dataclass
    class Config:
        """The one account the broker admits."""

        username: str = ""
        password: str = ""

    async def authenticate(self, *, session: Session) -> bool:
        """Refuse a session unless both its user name and password match."""
        if not (self.config.username and self.config.password):
            return False  # an unset password must never mean "anyone"
        user_ok = _same(session.username, self.config.username)
        password_ok = _same(session.password, self.config.password)
        return user_ok and password_ok


def _same(given: str | None, expected: str) -> bool:
    """Compare a secret in constant time (a missing one never matches)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def broker_config(port: int, password: str) -> dict[str, dict[str, dict[str, str]]]:
    """amqtt configuration: loopback only, user ``ioc`` with this password, nobody else.

    amqtt queues QoS 1 messages for an absent persistent session only when the
    session is not anonymous; sessions admitted by our plugin are not.
    """
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {AUTH_PLUGIN: {"username": USERNAME, "password": password}},
    }


async def serve(port: int, password: str) -> None:
    """Run the broker until cancelled or until the process that started it is gone."""
    from amqtt.broker import Broker

    parent = os.getppid()
    broker = Broker(broker_config(port, password))
    await broker.start()
    try:
        # A parent killed without the chance to stop us (SIGKILL, a crash)
        # must not leave an orphan broker holding the port and its pipes.
        while os.getppid() == parent:
            await asyncio.sleep(1.0)
        log.warning("the process that started the embedded broker is gone; stopping")
    finally:
        await broker.shutdown()


def wait_for_broker(port: int, timeout: float, password: str) -> bool:
    """Wait until the broker accepts an MQTT CONNECT (a bare TCP probe makes amqtt log errors)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ioc-probe")
        client.username_pw_set(USERNAME, password)
        try:
            client.connect("127.0.0.1", port, keepalive=5)
            client.disconnect()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    """Wait until something accepts TCP connections on a port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class EmbeddedBroker:
    """A broker child process bound to 127.0.0.1, with a password new for each instance."""

    def __init__(self, port: int) -> None:
        self.port = port
        # 32 random bytes; URL-safe characters, so it goes into a URL unquoted.
        self.password = secrets.token_urlsafe(32)
        self.process: subprocess.Popen[str] | None = None

    @property
    def username(self) -> str:
        """The one user name the broker admits."""
        return USERNAME

    @property
    def url(self) -> str:
        """The broker's URL for our clients, credentials included."""
        return f"mqtt://{USERNAME}:{self.password}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start the child process, hand it the password, wait until it accepts connections."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "feeds.demo.broker",
                "--port",
                str(self.port),
                "--password-stdin",
            ],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            text=True,
        )
        _hand_over(self.process.stdin, self.password)
        if not wait_for_broker(self.port, timeout, self.password):
            self.stop()
            raise RuntimeError(f"the embedded broker did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the child process."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _hand_over(stdin: IO[str] | None, password: str) -> None:
    """Write the password to the child's standard input and close it."""
    if stdin is None:  # Popen(stdin=PIPE) always gives one
        raise RuntimeError("the embedded broker child has no standard input to take the password")
    stdin.write(password + "\n")
    stdin.close()


def choose_port(preferred: int) -> int:
    """The preferred port when free, else a free one chosen by the kernel."""
    if preferred and port_is_free(preferred):
        return preferred
    return free_port()


def main(argv: list[str] | None = None) -> int:
    """Run the embedded broker in the foreground."""
    parser = argparse.ArgumentParser(
        prog="python -m feeds.demo.broker",
        description="Embedded amqtt MQTT broker on 127.0.0.1, for demos and tests only.",
    )
    parser.add_argument("--port", type=int, default=1883, help="TCP port (default 1883)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read user {USERNAME}'s password from the first line of standard input "
        "(default: draw one and print the URL with it)",
    )
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().strip()
        if not password:
            parser.error("--password-stdin: standard input holds no password")
    else:
        password = secrets.token_urlsafe(32)
        print(f"embedded broker: mqtt://{USERNAME}:{password}@127.0.0.1:{args.port}", flush=True)
    # amqtt logs every packet at INFO; keep the demo's console readable.
    configure_logging(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
