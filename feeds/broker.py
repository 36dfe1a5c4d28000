"""An embedded MQTT broker (amqtt) for the all-in-one demo and tests; not for production.

It runs in a child process (``python -m feeds.broker --port N``): inside the
web process it would share the GIL with paho's threads, which measured at
about 66 messages/s against 3,400/s in its own process on a 2-core machine.
It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from feeds.mqtt import port_is_free
from ioc.config import configure_logging

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def broker_config(port: int) -> dict:
    """amqtt configuration: loopback only, any user name, no anonymous sessions.

    amqtt queues QoS 1 messages for an absent persistent session only when the
    session is not anonymous, so clients must send a user name (ours do).
    """
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}},
    }


async def serve(port: int) -> None:
    """Run the broker until cancelled or until the process that started it is gone."""
    from amqtt.broker import Broker

    parent = os.getppid()
    broker = Broker(broker_config(port))
    await broker.start()
    try:
        # A parent killed without the chance to stop us (SIGKILL, a crash)
        # must not leave an orphan broker holding the port and its pipes.
        while os.getppid() == parent:
            await asyncio.sleep(1.0)
        log.warning("the process that started the embedded broker is gone; stopping")
    finally:
        await broker.shutdown()


def wait_for_broker(port: int, timeout: float) -> bool:
    """Wait until the broker accepts an MQTT CONNECT (a bare TCP probe makes amqtt log errors)."""
    import paho.mqtt.client as mqtt

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="ioc-probe")
        client.username_pw_set("ioc-probe")
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
    """A broker child process bound to 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The broker's URL for our clients."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start the child process and wait until it accepts connections."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feeds.broker", "--port", str(self.port)], env=env, cwd=ROOT
        )
        if not wait_for_broker(self.port, timeout):
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


def choose_port(preferred: int) -> int:
    """The preferred port when free, else a free one chosen by the kernel."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    """Run the embedded broker in the foreground."""
    parser = argparse.ArgumentParser(
        prog="python -m feeds.broker",
        description="Embedded amqtt MQTT broker on 127.0.0.1, for demos and tests only.",
    )
    parser.add_argument("--port", type=int, default=1883, help="TCP port (default 1883)")
    args = parser.parse_args(argv)
    # amqtt logs every packet at INFO; keep the demo's console readable.
    configure_logging(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
