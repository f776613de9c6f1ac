"""One rate limiter: at most ``limit`` events per key in a window of ``window_seconds``, counted in Django's cache.

The window starts at a key's first event and does not slide, so nobody is kept out longer than one window;
the counters live in the cache, so every process of a deployment shares them (Redis in production).

    failures = RateLimit("login-failures", limit=10, window_seconds=300)
    failures.retry_after(key)   # before checking a password: seconds to wait, 0 = go ahead
    failures.hit(key)           # after a failure
    failures.clear(key)         # after a success

    parses = RateLimit("ai-parse", limit=20, window_seconds=60)
    wait = parses.hit(user.pk)  # count this request; > 0 when it is over the limit

Keys are hashed: cache keys must be short and printable, and usernames may be neither.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache


class RateLimit:
    def __init__(self, name: str, *, limit: int, window_seconds: int):
        self.name = name
        self.limit = int(limit)
        self.window_seconds = int(window_seconds)

    def hit(self, key: object) -> int:
        """Count one event for ``key``; the seconds to wait when this event is over the limit, else 0."""
        counter, start = self._keys(key)
        cache.add(start, time.time(), self.window_seconds)
        cache.add(counter, 0, self.window_seconds)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add and incr: a new window
            cache.set(counter, 1, self.window_seconds)
            count = 1
        return self._wait(start) if count > self.limit else 0

    def retry_after(self, key: object) -> int:
        """Seconds until ``key`` may have another event (0 = now), without counting one."""
        counter, start = self._keys(key)
        if cache.get(counter, 0) < self.limit:
            return 0
        return self._wait(start)

    def clear(self, key: object) -> None:
        cache.delete_many(list(self._keys(key)))

    def _wait(self, start_key: str) -> int:
        started = cache.get(start_key) or time.time()
        return max(1, math.ceil(started + self.window_seconds - time.time()))

    def _keys(self, key: object) -> tuple[str, str]:
        digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
        counter = f"rf:{self.name}:{digest}"
        return counter, counter + ":start"
