"""paho-mqtt 2 clients built from a broker URL: credentials, TLS, protocol, session."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

# How long the broker keeps an MQTT 5 session (and its queued QoS 1 messages)
# while the ingestor is away: a week covers a long weekend outage.
SESSION_EXPIRY_S = 7 * 24 * 3600
# MQTT 5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may
# have in flight to us. The default window of 20 caps throughput at
# 20 messages per acknowledgement round trip; our acks come per batch.
RECEIVE_MAXIMUM = 65535


@dataclass(frozen=True)
class BrokerAddress:
    """Where a broker is and how to log in."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """Parse mqtt://user:password@host:port or mqtts://..."""
        parts = urlsplit(url)
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def make_client(
    url: str,
    *,
    client_id: str,
    persistent: bool = False,
    protocol: str = "3.1.1",
    ca_file: Path | None = None,
    manual_ack: bool = False,
    default_username: str | None = None,
) -> tuple[mqtt.Client, BrokerAddress]:
    """Create a configured (not yet connected) client for a broker URL."""
    address = BrokerAddress.from_url(url)
    version = mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        # MQTT 5 has no clean session (paho refuses one); it uses clean_start at connect.
        clean_session=None if version == mqtt.MQTTv5 else not persistent,
        protocol=version,
        manual_ack=manual_ack,
    )
    username = address.username or default_username
    if username:
        client.username_pw_set(username, address.password)
    if address.tls:
        client.tls_set(ca_certs=str(ca_file) if ca_file else None, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client, address


def connect_properties(protocol: str, *, persistent: bool) -> Properties | None:
    """MQTT 5 CONNECT properties: a session that outlives the connection, a wide window."""
    if protocol != "5":
        return None
    # paho leaves Properties.__init__ unannotated.
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if persistent:
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


class ConnectOptions(TypedDict, total=False):
    """The protocol-dependent keyword arguments of Client.connect/connect_async."""

    clean_start: bool
    properties: Properties | None


def connect_kwargs(protocol: str, *, persistent: bool) -> ConnectOptions:
    """Keyword arguments for Client.connect/connect_async for this protocol."""
    if protocol != "5":
        return {}
    return {
        "clean_start": not persistent,
        "properties": connect_properties(protocol, persistent=persistent),
    }


def free_port() -> int:
    """Ask the kernel for a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether a loopback port can be bound now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
