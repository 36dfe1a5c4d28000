"""The ingest benchmark's ceiling: the receive rate of a bare paho subscriber that only counts."""

from __future__ import annotations

import argparse
import threading
import time
import uuid

import paho.mqtt.client as mqtt

from bench.child import start_publisher
from bench.machine import BenchError
from feeds.mqtt import BrokerAddress


def run_ceiling(url: str, args: argparse.Namespace, qos: int) -> dict:
    """Receive rate of a paho subscriber that only counts (QoS 1 subscription)."""
    n = args.messages
    address = BrokerAddress.from_url(url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
    )
    # The embedded broker wants its user and password; Mosquitto on loopback ignores them.
    client.username_pw_set(address.username or "bench", address.password)
    state = {"n": 0, "first": 0.0, "last": 0.0}
    subscribed = threading.Event()

    def on_message(_client, _userdata, _message) -> None:
        now = time.perf_counter()
        if not state["n"]:
            state["first"] = now
        state["last"] = now
        state["n"] += 1
        if state["n"] == n:
            state["ended_at"] = time.time()  # for bench.ingest_cpu's window

    client.on_message = on_message
    client.on_connect = lambda c, *_: c.subscribe("ioc/v1/#", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    max_s = args.timeout
    publisher = start_publisher(url, messages=n, sources=args.sources, qos=qos, max_s=max_s)
    try:
        client.connect(address.host, address.port, keepalive=60)
        client.loop_start()
        if not subscribed.wait(15):
            raise BenchError("the bare subscriber was not subscribed within 15 s")
        publisher.wait_ready()
        publisher.go()
        deadline = time.monotonic() + max_s
        idle_since, seen = time.monotonic(), 0
        while state["n"] < n and time.monotonic() < deadline:
            time.sleep(0.05)
            if state["n"] != seen:
                seen, idle_since = state["n"], time.monotonic()
            elif state["n"] and time.monotonic() - idle_since > 10:
                break  # nothing new for 10 s: messages were lost
        pub = publisher.finish(30)
    finally:
        client.disconnect()
        client.loop_stop()
        publisher.kill()
    got = state["n"]
    elapsed = state["last"] - state["first"]
    return {
        "received": got,
        "complete": got == n,
        "seconds": round(elapsed, 3),
        "rate": round((got - 1) / elapsed) if got > 1 and elapsed > 0 else 0,
        "publisher_rate": pub.get("send_rate"),
        "ended_at": state.get("ended_at"),
    }
