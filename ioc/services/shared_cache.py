"""One value per name and time bucket across every web worker, through Redis (IOC_REDIS_URL).

The first worker to ask for a bucket takes a short lock (``SET NX PX``), builds the
value and stores it as text for a few intervals; the others wait briefly (polling)
and read it. A worker that waited too long builds the value itself (a dead or slow
builder never holds up the wall). Every build is counted in Redis, per bucket and per
builder, so tests and operators can see that an interval was built once
(``build_counts``).

Redis is a help, never a need: when it does not answer, the worker logs one warning,
builds locally, and tries Redis again a few seconds later (one line again when it
answers). Values are read back with a data-only reader (``ioc.services.wall_json``),
never unpickled.

Keys: ``ioc:<store>:<build>:<name>:<bucket>`` (the value), ``…:lock`` and ``…:builds``
(a hash: builder ``host:pid`` -> builds). ``<store>`` is a digest of IOC_DATABASE_URL,
so apps on different stores may share one Redis; ``<build>`` is the served code's
digest (ioc.build), so two releases never read each other's snapshots.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ioc.build import build_id
from ioc.config import Settings, redact_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# Redis on the same network answers in well under a millisecond: a quarter of a second
# means it is down or overloaded, and the wall builds locally instead of waiting on it.
TIMEOUT_S = 0.25
RETRY_AFTER_S = 5.0  # after a failure, Redis is left alone this long (no per-request cost)
POLL_S = 0.005  # a waiter asks for the value at most this often (GET: ~0.1 ms)
BUILD_COUNTS_TTL_S = 600  # the per-bucket build counters outlive the values, for reading
# Compare-and-delete: release the lock only if it is still ours (a failed build).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def key_prefix(database_url: str) -> str:
    """The keys' prefix for an app on this store running this build."""
    store = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return f"ioc:{store}:{build_id()}"


def shared_cache(settings: Settings) -> SharedCache | None:
    """The shared cache IOC_REDIS_URL names, or None (each worker keeps its own)."""
    if not settings.redis_url:
        return None
    return SharedCache(
        settings.redis_url, key_prefix(settings.database_url), settings.wall_refresh_ms
    )


class SharedCache:
    """Values built once per bucket across processes; local builds whenever Redis fails."""

    def __init__(
        self, url: str, prefix: str, interval_ms: int, *, retry_after_s: float = RETRY_AFTER_S
    ) -> None:
        self.url = url
        self.prefix = prefix
        # A connection pool per process: redis-py opens new connections after a fork.
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        self.ttl_ms = 4 * interval_ms  # a few intervals: late screens still find theirs
        # A builder holds the lock this long at most; waiters give up after half of it
        # (one interval, between 0.5 and 2 s) and build themselves.
        self.wait_s = min(max(interval_ms / 1000, 0.5), 2.0)
        self.lock_ms = int(2000 * self.wait_s)
        self.retry_after_s = retry_after_s
        self._guard = threading.Lock()
        self._down = False  # Redis failed and has not answered since (logged once)
        self._retry_at = 0.0  # monotonic time before which Redis is not tried again
        self._unreadable_logged = False
        self.local_builds = 0  # built here without Redis (down, or unreadable); not counted there

    # --- the one call -------------------------------------------------------------

    def get(
        self,
        name: str,
        bucket: Hashable,
        compute: Callable[[], T],
        encode: Callable[[T], str],
        decode: Callable[[bytes], T],
    ) -> T:
        """The value of ``name`` for ``bucket``: read, waited for, or built here and shared."""
        if not self._usable():
            return self._local(compute)
        key = f"{self.prefix}:{name}:{bucket}"
        token = uuid.uuid4().hex
        try:
            found, owner = self._claim(key, token)
        except RedisError as err:
            self._failed(err)
            return self._local(compute)
        self._answered()
        if found is not None:
            try:
                return decode(found)
            except ValueError as err:  # what a data-only reader raises on bad data
                self._unreadable(key, err)
                return self._local(compute)
        try:
            value = compute()
        except BaseException:
            if owner:
                self._release(key, token)
            raise
        try:
            text = encode(value)
        except (TypeError, ValueError) as err:  # a model field the writer does not know
            self._unreadable(key, err)
            return value
        self._store(key, text, replace=owner)
        return value

    def _claim(self, key: str, token: str) -> tuple[bytes | None, bool]:
        """Return (the stored value or None, whether this caller is the builder)."""
        found = cast(bytes | None, self.client.get(key))
        if found is not None:
            return found, False
        if self.client.set(f"{key}:lock", token, nx=True, px=self.lock_ms):
            return None, True
        deadline = time.monotonic() + self.wait_s
        pause = 0.001  # a build takes 10-30 ms: a waiter sees it within POLL_S of its end
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, POLL_S)
            found = cast(bytes | None, self.client.get(key))
            if found is not None:
                return found, False
        log.debug("waited %.2f s for %s; building it here", self.wait_s, key)
        return None, False

    def _store(self, key: str, text: str, *, replace: bool) -> None:
        """Store a built value and count the build; the builder replaces, a late one adds."""
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(key, text, px=self.ttl_ms, nx=not replace)
            pipe.hincrby(f"{key}:builds", self.builder(), 1)
            pipe.expire(f"{key}:builds", BUILD_COUNTS_TTL_S)
            pipe.execute()
        except RedisError as err:
            self._failed(err)

    def _release(self, key: str, token: str) -> None:
        try:
            self.client.eval(RELEASE, 1, f"{key}:lock", token)
        except RedisError as err:
            self._failed(err)

    def _local(self, compute: Callable[[], T]) -> T:
        value = compute()
        self.local_builds += 1
        return value

    # --- health ---------------------------------------------------------------------

    def _usable(self) -> bool:
        return not self._down or time.monotonic() >= self._retry_at

    def _failed(self, err: RedisError) -> None:
        with self._guard:
            self._retry_at = time.monotonic() + self.retry_after_s
            if self._down:
                return
            self._down = True
        why = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        log.warning(
            "Redis at %s does not answer (%s): this worker builds the wall's snapshots "
            "itself until it does",
            redact_url(self.url),
            why,
        )

    def _answered(self) -> None:
        if not self._down:
            return
        with self._guard:
            if not self._down:
                return
            self._down = False
        log.info("Redis at %s answers again: wall snapshots are shared", redact_url(self.url))

    def _unreadable(self, key: str, err: Exception) -> None:
        if not self._unreadable_logged:
            self._unreadable_logged = True
            log.warning("cannot read or write %s in Redis (%s): built here instead", key, err)

    # --- reading the counts ---------------------------------------------------------

    @staticmethod
    def builder() -> str:
        """Who builds: this host and process (read at each build: workers are forked)."""
        return f"{socket.gethostname()}:{os.getpid()}"

    def build_counts(self, name: str) -> dict[str, dict[str, int]]:
        """Builds per bucket of ``name`` in the last 10 minutes: bucket -> builder -> count."""
        counts: dict[str, dict[str, int]] = {}
        pattern = f"{self.prefix}:{name}:*:builds"
        for raw in self.client.scan_iter(match=pattern, count=1000):
            key = raw.decode() if isinstance(raw, bytes) else str(raw)
            bucket = key[len(self.prefix) + len(name) + 2 : -len(":builds")]
            found = cast(dict[bytes, bytes], self.client.hgetall(key))
            counts[bucket] = {k.decode(): int(v) for k, v in found.items()}
        return counts
