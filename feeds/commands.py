"""The store writer's typed interface: what the ingestor sends it and what it answers.

The ingestor and the writer (feeds/writer.py, by default a child process) talk
in these frozen dataclasses: one class per command, dispatched by type, each
naming the type of its answer. They cross a process pipe, so they hold plain
data only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

R = TypeVar("R")
Counts = dict[str, int]  # counter name -> how much a batch added (received, accepted, ...)


class RawMessage(NamedTuple):
    """A message as received: validated beside the writes, not on the network thread."""

    topic: str | None  # None when the topic is not UTF-8
    printable_topic: str
    payload: bytes  # only the head of a message too large to accept
    received: float  # Unix time of arrival
    size: int | None = None  # the payload's length as received, when cut
    sha256: str | None = None  # the whole payload's digest, when cut


class Command(Generic[R]):
    """A command for the store writer, answered with an ``R``."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Write(Command[Counts]):
    """Validate and commit a batch; answered with the counters it added."""

    items: Sequence[RawMessage]


@dataclass(frozen=True, slots=True)
class Heartbeat(Command[None]):
    """Record that an ingestor is alive and whether it holds a broker connection."""

    ingestor_id: str
    broker: str  # the broker's URL, password hidden
    connected: bool
    started_at: datetime
    last_message_at: datetime | None
    reconnects: int = 0
    session_losses: int = 0


@dataclass(frozen=True, slots=True)
class Prune(Command[int]):
    """Delete raw rows older than ``days`` days; answered with how many."""

    days: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Tell the writer process to finish."""


@dataclass(frozen=True, slots=True)
class Done:
    """The writer process's answer to a command it carried out."""

    result: object


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The writer process's answer when the store could not take a command."""

    reason: str
