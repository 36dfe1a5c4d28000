"""How often one client may take snapshots: a token bucket per client address.

``IOC_SNAPSHOT_RATE`` ("10/minute" by default) is the steady rate and the burst
alike: a client may take 10 at once, then one every 6 seconds. The table is in
the web process's memory, bounded (the least recently seen clients are dropped
past ``MAX_CLIENTS``); with several web workers, each keeps its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_CLIENTS = 10_000


class RateLimiter:
    """A token bucket per client key, in a bounded least-recently-used table."""

    def __init__(
        self,
        count: int,
        period_s: float,
        *,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.count = count
        self.period_s = period_s
        self.max_clients = max_clients
        self._per_s = count / period_s
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @classmethod
    def from_text(cls, text: str, **kwargs) -> RateLimiter:
        """From "N/second|minute|hour|day" (the setting's form, checked at start)."""
        count, unit = text.split("/")
        return cls(int(count), UNITS[unit], **kwargs)

    def take(self, client: str) -> int:
        """Spend one for ``client``: 0 when allowed, else the whole seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, seen = self._buckets.pop(client, (float(self.count), now))
            tokens = min(float(self.count), tokens + (now - seen) * self._per_s)
            if tokens >= 1:
                tokens -= 1
                wait = 0
            else:
                wait = max(1, math.ceil((1 - tokens) / self._per_s))
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)
