"""One rate limiter: at most ``limit`` events per key in a window of ``window_seconds``, counted in Django's cache.

The window starts at a key's first event and does not slide, so nobody is kept out longer than one
window; the counters live in the cache, so every process of a deployment shares them (Redis in
production: ``REDIS_URL``).

Counting is one atomic increment (Redis ``INCR``; LocMemCache increments under its lock), so
concurrent events each get their own number: with a limit of 10, exactly 10 of 40 simultaneous
events go ahead, whichever process or thread they arrive in. Count *before* doing the guarded work,
never after it, or every event already in flight gets through:

    attempts = RateLimit("login-attempts", limit=10, window_seconds=300)
    wait = attempts.hit(key)    # before checking a password: > 0 = refuse without checking
    attempts.clear(key)         # after a success

    per_user = RateLimit("ai-user", limit=20, window_seconds=60)
    wait = per_user.hit(user.pk)  # count this request; > 0 when it is over the limit

Keys are hashed: cache keys must be short and printable, and usernames may be neither.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

# A key can expire between the add and the increment (the window just ended); start a new window and
# try again, a bounded number of times (a cache that stores nothing, like DummyCache, would never succeed).
INCREMENT_ATTEMPTS = 3


class RateLimit:
    def __init__(self, name: str, *, limit: int, window_seconds: int):
        self.name = name
        self.limit = int(limit)
        self.window_seconds = int(window_seconds)

    def hit(self, key: object) -> int:
        """Count one event for ``key``; the seconds to wait when this event is over the limit, else 0."""
        counter, start = self._keys(key)
        count = self._increment(counter, start)
        return self._wait(start) if count > self.limit else 0

    def retry_after(self, key: object) -> int:
        """Seconds until ``key`` may have another event (0 = now), without counting one."""
        counter, start = self._keys(key)
        if cache.get(counter, 0) < self.limit:
            return 0
        return self._wait(start)

    def clear(self, key: object) -> None:
        cache.delete_many(list(self._keys(key)))

    def _increment(self, counter: str, start: str) -> int:
        for _ in range(INCREMENT_ATTEMPTS):
            cache.add(counter, 0, self.window_seconds)
            try:
                count = cache.incr(counter)
            except ValueError:  # expired between add and incr: the next add opens a new window
                continue
            if count == 1:
                # The event that opens a window records when it started. The expiry is set again because
                # Django's Redis incr is EXISTS then INCR: a key that expires in between comes back from
                # INCR without a timeout, and a counter without one would lock its key out for good.
                cache.touch(counter, self.window_seconds)
                cache.set(start, time.time(), self.window_seconds)
            return count
        return 1  # the cache keeps nothing: nothing to limit with

    def _wait(self, start_key: str) -> int:
        started = cache.get(start_key) or time.time()
        return max(1, math.ceil(started + self.window_seconds - time.time()))

    def _keys(self, key: object) -> tuple[str, str]:
        digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
        counter = f"rf:{self.name}:{digest}"
        return counter, counter + ":start"
