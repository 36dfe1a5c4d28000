"""A queue bounded in bytes as well as in items, for messages waiting for the store.

A count alone does not bound memory: 200,000 messages of 16 KiB are 3 GiB.
When either bound is reached, ``put`` blocks, and so paho's network thread
stops reading the socket: QoS 1 messages then wait at the broker, not here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Empty(Exception):
    """Nothing arrived in time."""


class ByteBoundedQueue(Generic[T]):
    """A FIFO of at most ``max_items`` items and ``max_bytes`` bytes (one item always fits)."""

    def __init__(self, *, max_items: int, max_bytes: int) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: deque[tuple[T, int]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)

    def _fits(self, size: int) -> bool:
        if not self._items:
            return True  # an item larger than the bound still gets through, alone
        return len(self._items) < self.max_items and self._bytes + size <= self.max_bytes

    def put(self, item: T, size: int) -> None:
        """Add an item of ``size`` bytes, waiting for room."""
        with self._not_full:
            while not self._fits(size):
                self._not_full.wait()
            self._items.append((item, size))
            self._bytes += size
            self._not_empty.notify()

    def get(self, timeout: float | None = None) -> T:
        """Take the oldest item, waiting up to ``timeout`` seconds (None: forever)."""
        with self._not_empty:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._items:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise Empty
                self._not_empty.wait(remaining)
            item, size = self._items.popleft()
            self._bytes -= size
            self._not_full.notify_all()
            return item

    def get_nowait(self) -> T:
        """Take the oldest item, or raise Empty."""
        return self.get(timeout=0)

    def empty(self) -> bool:
        """Tell whether nothing is waiting."""
        with self._lock:
            return not self._items

    def qsize(self) -> int:
        """How many items wait."""
        with self._lock:
            return len(self._items)

    @property
    def bytes(self) -> int:
        """How many bytes wait."""
        with self._lock:
            return self._bytes
