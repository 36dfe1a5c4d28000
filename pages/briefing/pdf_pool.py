"""Bounded PDF printing: at most N Chromium prints at once, a short queue, and a cache.

A snapshot never changes, so its PDF in one language, with one comparison, is
printed once and then served from memory. The cache is an in-memory LRU bounded
in bytes (``IOC_PDF_CACHE_MB``), per web process; nothing is written to disk.

At most ``IOC_PDF_CONCURRENCY`` prints run at once; as many more requests may wait
for a turn; any request past those is refused at once (:class:`PdfBusy`, a 503
with ``Retry-After``), so a burst of exports never starts a crowd of browsers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

WAIT_S = 90.0  # longest a queued request waits for its turn before a 503
DEFAULT_RETRY_S = 10  # told to clients before any print has been timed


class PdfBusy(RuntimeError):
    """Too many PDFs printing and waiting; ``retry_after`` is the advice in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many PDF exports at once; retry in {retry_after} s")
        self.retry_after = retry_after


class PdfPool:
    """Prints through ``make()`` with a cap, a queue and a byte-bounded cache.

    ``renders`` counts the prints actually run and ``hits`` the answers served
    from the cache; ``running`` and ``waiting`` are the current load.
    """

    def __init__(self, concurrency: int, cache_bytes: int, queue: int | None = None) -> None:
        self.concurrency = concurrency
        self.queue = concurrency if queue is None else queue
        self.cache_bytes = cache_bytes
        self._slots = threading.Semaphore(concurrency)
        self._lock = threading.Lock()
        self._cache: OrderedDict[Hashable, bytes] = OrderedDict()
        self._cached = 0
        self._took: deque[float] = deque(maxlen=8)
        self.running = 0
        self.waiting = 0
        self.renders = 0
        self.hits = 0

    def retry_after(self) -> int:
        """Seconds a refused client should wait: the queue ahead at the recent print time."""
        with self._lock:
            each = sum(self._took) / len(self._took) if self._took else DEFAULT_RETRY_S
            ahead = (self.running + self.waiting) / self.concurrency
        return max(1, min(300, math.ceil(each * max(ahead, 1))))

    def cached(self, key: Hashable) -> bytes | None:
        """The cached PDF of ``key`` (marked as recently used), or None."""
        with self._lock:
            data = self._cache.get(key)
            if data is not None:
                self._cache.move_to_end(key)
                self.hits += 1
            return data

    def _keep(self, key: Hashable, data: bytes) -> None:
        if len(data) > self.cache_bytes:
            return
        with self._lock:
            old = self._cache.pop(key, None)
            self._cached -= len(old) if old is not None else 0
            self._cache[key] = data
            self._cached += len(data)
            while self._cached > self.cache_bytes:
                _, dropped = self._cache.popitem(last=False)
                self._cached -= len(dropped)

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The PDF of ``key``: from the cache, else printed by ``make()`` when a turn is free.

        Raises :class:`PdfBusy` when the prints and the queue are full, or when a
        queued request waited ``WAIT_S`` in vain; ``make``'s own errors pass through.
        """
        found = self.cached(key)
        if found is not None:
            return found
        with self._lock:
            if self.running + self.waiting >= self.concurrency + self.queue:
                busy = True
            else:
                busy = False
                self.waiting += 1
        if busy:
            raise PdfBusy(self.retry_after())
        turn = False
        try:
            turn = self._slots.acquire(timeout=WAIT_S)
        finally:
            with self._lock:  # from waiting to running in one step: never counted out
                self.waiting -= 1
                self.running += 1 if turn else 0
        if not turn:
            raise PdfBusy(self.retry_after())
        try:
            found = self.cached(key)  # printed by the request this one waited behind
            if found is not None:
                return found
            started = time.monotonic()
            data = make()
            with self._lock:
                self.renders += 1
                self._took.append(time.monotonic() - started)
            self._keep(key, data)
            return data
        finally:
            with self._lock:
                self.running -= 1
            self._slots.release()
