"""The benchmarks' broker: a private Mosquitto, the embedded one, or one given; sessions, probes."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.machine import BenchError
from feeds.demo.broker import EmbeddedBroker, wait_for_port
from feeds.mqtt import free_port, make_client
from ioc.contract import StatusPayload, status_topic


@dataclass
class Broker:
    url: str
    name: str
    stop: Callable[[], None] = field(default=lambda: None)


def spawn_mosquitto(workdir: Path, inflight: int | None) -> Broker:
    """A private Mosquitto on a free loopback port that never drops queued QoS 1 messages."""
    port = free_port()
    config = workdir / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence false",
        # Default 1000: a flood faster than the subscriber loses messages.
        "max_queued_messages 0",
    ]
    if inflight is not None:
        lines.append(f"max_inflight_messages {inflight}")
    if os.geteuid() == 0:
        lines.append("user root")  # do not depend on a "mosquitto" user existing
    config.write_text("\n".join(lines) + "\n")
    errors = open(workdir / "mosquitto.log", "wb")  # noqa: SIM115 - closed in stop()
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=errors
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        errors.close()

    if not wait_for_port(port, 10):
        stop()
        raise BenchError(f"mosquitto did not start; see {workdir / 'mosquitto.log'}")
    version = subprocess.run(
        ["mosquitto", "-h"], capture_output=True, text=True, timeout=10
    ).stdout.splitlines()
    name = version[0].strip() if version else "mosquitto"
    settings = "max_queued_messages 0" + (
        f", max_inflight_messages {inflight}" if inflight is not None else ""
    )
    return Broker(f"mqtt://127.0.0.1:{port}", f"{name} (spawned, {settings})", stop)


def start_broker(args: argparse.Namespace, workdir: Path) -> Broker:
    if args.broker_url:
        return Broker(args.broker_url, f"external broker at {args.broker_url}")
    if shutil.which("mosquitto"):
        return spawn_mosquitto(workdir, args.broker_inflight)
    print(
        "mosquitto is not on PATH: using the embedded amqtt broker instead. It is far "
        "slower than Mosquitto, so the figures below measure amqtt, not the ingestor.",
        file=sys.stderr,
    )
    broker = EmbeddedBroker(free_port())
    broker.start()
    return Broker(broker.url, "embedded amqtt (feeds.demo.broker)", broker.stop)


def discard_session(url: str, client_id: str) -> None:
    """Connect once with a clean session so the broker forgets a persistent one."""
    client, address = make_client(url, client_id=client_id, default_username="bench")
    with contextlib.suppress(OSError):
        client.connect(address.host, address.port)
        client.loop_start()
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()


def publish_probe(url: str, district: str) -> None:
    """One status report, to prove the ingestor's subscription is in place."""
    client, address = make_client(
        url, client_id=f"bench-probe-{uuid.uuid4().hex[:8]}", default_username="bench"
    )
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        payload = StatusPayload(online=True, ts=datetime.now(UTC)).to_json()
        client.publish(status_topic(district), payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
