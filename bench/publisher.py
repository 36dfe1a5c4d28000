"""Child processes of the ingest benchmark: a fast MQTT publisher and a commit watcher.

Both run in their own process (``python -m bench.publisher publish|watch ...``)
so that they never share a GIL with the subscriber under test.

``publish`` is a raw-socket MQTT 3.1.1 client: it builds every PUBLISH packet
before the clock starts, then writes them in chunks, keeping up to ``--window``
QoS 1 messages unacknowledged (a reader thread counts PUBACKs). It reaches
100,000+ messages/s on loopback, several times what a paho subscriber can
take, so it is never the bottleneck of the flood runs. With ``--rate`` it paces
itself instead, and each payload's ``ts`` is the wall time it is sent, so that
the benchmark can measure publish -> committed-row latency.

Protocol with the parent: after connecting (and building the packets) the child
prints ``ready`` on stdout and waits for one line on stdin; it then publishes
and prints one JSON line with what it did.

``watch`` polls ``SELECT max(id) FROM readings`` every few milliseconds and
prints, on exit, when each new maximum was first seen: ids are assigned in
commit order by one writer, so the first time an id is visible is (to within
the polling period) the time its row was committed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import struct
import sys
import threading
import time
from datetime import UTC, datetime

# --- MQTT 3.1.1 packet encoding ---------------------------------------------------


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def connect_packet(
    client_id: str, username: str | None, password: str | None = None, keepalive: int = 60
) -> bytes:
    """CONNECT, clean session, optional user name and password (the embedded broker wants both)."""
    flags = 0x02 | (0x80 if username else 0) | (0x40 if username and password else 0)
    body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + _utf8(client_id)
    if username:
        body += _utf8(username)
        if password:
            body += _utf8(password)
    return bytes([0x10]) + _remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes, qos: int, mid: int) -> bytes:
    """PUBLISH at QoS 0 or 1 (mid ignored at QoS 0)."""
    body = _utf8(topic) + (struct.pack("!H", mid) if qos else b"") + payload
    return bytes([0x30 | (qos << 1)]) + _remaining_length(len(body)) + body


# --- Contract messages ------------------------------------------------------------------


def districts() -> list[str]:
    """The 9 district slugs of the shipped catalogue, in file order."""
    from ioc.areas import load_areas
    from ioc.config import DEFAULT_AREAS_FILE

    return [area.slug for area in load_areas(DEFAULT_AREAS_FILE).areas]


def source_topics(sources: int) -> list[str]:
    """One traffic topic per source, spread round-robin over the districts."""
    from ioc.contract import topic_for

    slugs = districts()
    return [topic_for(slugs[n % len(slugs)], "traffic", f"cam-{n:04d}") for n in range(sources)]


def traffic_payload(i: int, ts: datetime) -> bytes:
    """A valid contract traffic reading (message i of the run)."""
    from ioc.contract import TrafficPayload

    return (
        TrafficPayload(
            ts=ts,
            seq=i,
            vehicles=i % 97,
            interval_s=60,
            speed_kmh=round(20 + (i % 400) / 10, 1),
            occupancy=round((i % 100) / 100, 2),
        )
        .to_json()
        .encode()
    )


def flood_packets(messages: int, sources: int, qos: int, base_ts: float) -> list[bytes]:
    """Every message of a flood run; message i goes to source i % sources.

    A source's k-th message has ts = base_ts + k seconds, so no two are the
    same reading and none is a duplicate for the store.
    """
    topics = source_topics(sources)
    packets = []
    for i in range(messages):
        ts = datetime.fromtimestamp(base_ts + i // sources, UTC)
        packets.append(publish_packet(topics[i % sources], traffic_payload(i, ts), qos, mid_of(i)))
    return packets


def mid_of(i: int) -> int:
    """Packet ids 1..65535, reused cyclically (the window is far smaller)."""
    return i % 65535 + 1


# --- The publisher ------------------------------------------------------------------------


class AckCounter(threading.Thread):
    """Reads the broker's packets and counts PUBACKs."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__(name="puback-reader", daemon=True)
        self.sock = sock
        self.deadline = deadline
        self.acked = 0
        self.cond = threading.Condition()
        self.closed = False

    def run(self) -> None:
        buf = b""
        try:
            while time.monotonic() < self.deadline:
                ready, _, _ = select.select([self.sock], [], [], 0.5)
                if not ready:
                    continue
                data = self.sock.recv(262144)
                if not data:
                    break
                buf += data
                count, pos = 0, 0
                while True:  # parse whole packets: fixed header, remaining length, body
                    if len(buf) - pos < 2:
                        break
                    length, shift, k = 0, 0, pos + 1
                    while k < len(buf):
                        byte = buf[k]
                        length |= (byte & 0x7F) << shift
                        shift += 7
                        k += 1
                        if not byte & 0x80:
                            break
                    else:
                        break
                    if len(buf) - k < length:
                        break
                    if buf[pos] >> 4 == 4:  # PUBACK
                        count += 1
                    pos = k + length
                buf = buf[pos:]
                if count:
                    with self.cond:
                        self.acked += count
                        self.cond.notify_all()
        except OSError:
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()


def _connect(
    host: str, port: int, client_id: str, username: str | None, password: str | None
) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet(client_id, username or "bench-pub", password))
    connack = b""
    while len(connack) < 4:
        chunk = sock.recv(4 - len(connack))
        if not chunk:
            raise ConnectionError("broker closed the connection before CONNACK")
        connack += chunk
    if connack[0] != 0x20 or connack[3] != 0:
        raise ConnectionError(f"broker refused the connection: {connack!r}")
    sock.settimeout(None)
    return sock


def _flood(sock, packets, qos, window, acks, deadline) -> int:
    sent, n, chunk = 0, len(packets), 200
    while sent < n and time.monotonic() < deadline:
        k = min(chunk, n - sent)
        if qos:
            with acks.cond:
                floor = sent - window  # wait until fewer than `window` are unacknowledged
                acks.cond.wait_for(lambda f=floor: acks.acked > f or acks.closed, timeout=1.0)
                if acks.closed:
                    break
                k = min(k, window - (sent - acks.acked))
            if k <= 0:
                continue
        sock.sendall(b"".join(packets[sent : sent + k]))
        sent += k
    return sent


def _paced(sock, topics, messages, rate, qos, window, acks, deadline) -> int:
    """Publish `messages` at `rate`/s, each payload's ts = its send time."""
    sent, sources, start = 0, len(topics), time.monotonic()
    while sent < messages and time.monotonic() < deadline:
        due = min(messages, int((time.monotonic() - start) * rate) + 1)
        if qos and sent - acks.acked >= window:
            due = sent  # window full: wait for acks (should not happen when paced)
        chunk = []
        while sent < due:
            now = time.time()
            payload = traffic_payload(sent, datetime.fromtimestamp(now, UTC))
            chunk.append(publish_packet(topics[sent % sources], payload, qos, mid_of(sent)))
            sent += 1
        if chunk:
            sock.sendall(b"".join(chunk))
        time.sleep(0.001)
    return sent


def run_publisher(args: argparse.Namespace) -> dict:
    """Connect, build, signal ready, wait for go, publish, wait for acks; return stats."""
    built_at = time.monotonic()
    if args.rate:
        topics, packets = source_topics(args.sources), None
    else:
        packets = flood_packets(args.messages, args.sources, args.qos, args.base_ts)
    build_s = time.monotonic() - built_at
    sock = _connect(args.host, args.port, args.client_id, args.username, args.password)
    deadline = time.monotonic() + args.max_seconds
    acks = AckCounter(sock, deadline + 5)
    acks.start()
    print("ready", flush=True)
    if not sys.stdin.readline():  # the parent went away
        sock.close()
        return {"error": "no go signal"}
    wall_start, t0 = time.time(), time.monotonic()
    if packets is not None:
        sent = _flood(sock, packets, args.qos, args.window, acks, deadline)
    else:
        sent = _paced(sock, topics, args.messages, args.rate, args.qos, args.window, acks, deadline)
    t_sent = time.monotonic()
    if args.qos:
        with acks.cond:
            acks.cond.wait_for(lambda: acks.acked >= sent or acks.closed, timeout=args.max_seconds)
    t_acked = time.monotonic()
    with contextlib.suppress(OSError):
        sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    return {
        "sent": sent,
        "acked": acks.acked if args.qos else None,
        "build_s": round(build_s, 3),
        "wall_start": wall_start,
        "send_s": round(t_sent - t0, 4),
        "send_rate": round(sent / (t_sent - t0)) if t_sent > t0 else None,
        "acked_s": round(t_acked - t0, 4),
    }


# --- The commit watcher ------------------------------------------------------------------


def run_watcher(args: argparse.Namespace) -> dict:
    """Poll max(readings.id) until stdin closes or the deadline; return first-seen times."""
    from sqlalchemy import func, select

    from ioc.store.engine import make_engine
    from ioc.store.schema import readings

    engine = make_engine(args.database_url)
    query = select(func.max(readings.c.id))
    seen: list[tuple[int, float]] = []
    last = 0
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print("ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    costs = []
    with engine.connect() as conn:
        while not stop.is_set() and time.monotonic() < deadline:
            t_query = time.time()
            top = conn.execute(query).scalar() or 0
            conn.rollback()  # end the read transaction so the next poll sees new commits
            t_done = time.time()
            costs.append(t_done - t_query)
            if top > last:
                # Visible by t_done; committed after the previous poll started.
                seen.append((top, t_done))
                last = top
            time.sleep(args.every_ms / 1000)
    engine.dispose()
    costs.sort()
    return {
        "seen": seen,
        "polls": len(costs),
        "poll_cost_ms_p50": round(costs[len(costs) // 2] * 1000, 3) if costs else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child processes."""
    parser = argparse.ArgumentParser(prog="python -m bench.publisher", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="publish traffic readings as fast as possible or paced")
    pub.add_argument("--host", default="127.0.0.1")
    pub.add_argument("--port", type=int, required=True)
    pub.add_argument("--client-id", default=f"bench-pub-{time.time_ns()}")
    pub.add_argument("--username", default=None)
    pub.add_argument("--password", default=None, help="a loopback bench broker's, never a real one")
    pub.add_argument("--messages", type=int, default=100_000)
    pub.add_argument("--sources", type=int, default=3000)
    pub.add_argument("--qos", type=int, choices=(0, 1), default=1)
    pub.add_argument("--window", type=int, default=2000, help="max unacknowledged QoS 1")
    pub.add_argument("--rate", type=float, default=0, help="messages/s (0: flood)")
    pub.add_argument("--base-ts", type=float, default=time.time() - 7 * 86400)
    pub.add_argument("--max-seconds", type=float, default=300)
    watch = sub.add_parser("watch", help="record when readings rows become visible")
    watch.add_argument("--database-url", required=True)
    watch.add_argument("--every-ms", type=float, default=5)
    watch.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args(argv)
    result = run_publisher(args) if args.command == "publish" else run_watcher(args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
