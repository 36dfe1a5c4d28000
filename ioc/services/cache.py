"""Compute a value once per time bucket, however many screens ask for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

log = logging.getLogger(__name__)
T = TypeVar("T")


class BucketCache:
    """One value per name and time bucket; concurrent callers of a bucket wait for one compute.

    N wall screens refreshing every 2 s cost the store one query per interval,
    not N. Under gunicorn each worker has its own cache (one query per worker
    per interval) unless IOC_REDIS_URL shares the wall's snapshot among them
    (``ioc.services.shared_cache``, docs/wall.md). Each compute is logged at DEBUG.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._entries: dict[str, tuple[Hashable, Any]] = {}
        self._refreshing: set[str] = set()
        self.computed = 0  # how many computes ran (for tests and the benchmark)

    def get(
        self, name: str, bucket: Hashable, compute: Callable[[], T], *, background: bool = False
    ) -> T:
        """Return the value of ``name`` for ``bucket``, computing it at most once.

        ``background``: when a value of an earlier bucket exists, return it at
        once and compute the new one in a thread (slow aggregates that change
        by the minute or the day must not hold up a refresh).
        """
        # A name is always computed by the same kind of function: its entry holds a T.
        entry = self._entries.get(name)
        if entry is not None and entry[0] == bucket:
            return cast(T, entry[1])
        if background and entry is not None:
            self._refresh(name, bucket, compute)
            return cast(T, entry[1])
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            entry = self._entries.get(name)
            if entry is not None and entry[0] == bucket:
                return cast(T, entry[1])
            began = time.perf_counter()
            value = compute()
            self.computed += 1
            took = (time.perf_counter() - began) * 1000
            log.debug("computed %s for %s in %.1f ms", name, bucket, took)
            self._entries[name] = (bucket, value)
            return value

    def _refresh(self, name: str, bucket: Hashable, compute: Callable[[], object]) -> None:
        with self._guard:
            if name in self._refreshing:
                return
            self._refreshing.add(name)

        def run() -> None:
            try:
                self.get(name, bucket, compute)
            except Exception as err:  # noqa: BLE001 - kept serving the older value; say why
                log.warning("cannot refresh %s: %s", name, str(err).splitlines()[0][:200])
            finally:
                with self._guard:
                    self._refreshing.discard(name)

        threading.Thread(target=run, name=f"cache-{name}", daemon=True).start()
