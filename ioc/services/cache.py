"""Compute a value once per time bucket, however many screens ask for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class BucketCache:
    """One value per name and time bucket; concurrent callers of a bucket wait for one compute.

    N wall screens refreshing every 2 s cost the store one query per interval,
    not N. Under gunicorn each worker has its own cache (one query per worker
    per interval); a shared cache is the scale path (docs/wall.md).
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._entries: dict[str, tuple[Hashable, Any]] = {}
        self.computed = 0  # how many computes ran (for tests and the benchmark)

    def get(self, name: str, bucket: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value of ``name`` for ``bucket``, computing it at most once."""
        entry = self._entries.get(name)
        if entry is not None and entry[0] == bucket:
            return entry[1]
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            entry = self._entries.get(name)
            if entry is not None and entry[0] == bucket:
                return entry[1]
            value = compute()
            self.computed += 1
            self._entries[name] = (bucket, value)
            return value
