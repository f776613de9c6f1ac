"""One rate limiter for sign-in attempts and AI requests: a fixed window per key, counted in the cache (shared
across threads and app processes: the concurrent and Redis tests run against RF_TEST_REDIS_URL when it is set)."""

from __future__ import annotations

import threading

import pytest
import redis

from psa.ratelimit import RateLimit
from tests.clock import frozen_clock
from tests.security.shared_cache import REDIS_URL, each_cache, redis_cache, run_second_app_process  # noqa: F401


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def test_the_event_after_the_limit_must_wait_for_the_window_to_end(clock):
    limit = RateLimit("test", limit=3, window_seconds=60)
    assert [limit.hit("alice") for _ in range(3)] == [0, 0, 0]
    assert limit.hit("alice") == 60
    clock.advance(45)
    assert limit.hit("alice") == 15


def test_each_key_has_its_own_count(clock):
    limit = RateLimit("test", limit=1, window_seconds=60)
    limit.hit("alice")
    assert limit.hit("alice") > 0
    assert limit.hit("bob") == 0
    assert RateLimit("other", limit=1, window_seconds=60).hit("alice") == 0


def test_asking_does_not_count(clock):
    limit = RateLimit("test", limit=2, window_seconds=60)
    assert [limit.retry_after("alice") for _ in range(5)] == [0] * 5
    limit.hit("alice")
    assert limit.retry_after("alice") == 0
    limit.hit("alice")
    assert limit.retry_after("alice") == 60


def test_the_window_starts_at_the_first_event_and_does_not_slide(clock):
    limit = RateLimit("test", limit=2, window_seconds=60)
    limit.hit("alice")
    clock.advance(50)
    limit.hit("alice")
    assert limit.retry_after("alice") == 10  # not 60: the later event did not move the window
    clock.advance(11)
    assert limit.retry_after("alice") == 0
    assert limit.hit("alice") == 0


def test_clearing_a_key_starts_it_afresh(clock):
    limit = RateLimit("test", limit=1, window_seconds=60)
    limit.hit("alice")
    limit.clear("alice")
    assert limit.retry_after("alice") == 0
    assert limit.hit("alice") == 0


def test_any_key_text_is_usable(clock):
    limit = RateLimit("test", limit=1, window_seconds=60)
    odd = "203.0.113.5|ünïcode user with spaces and a very long name " * 10
    limit.hit(odd)
    assert limit.retry_after(odd) == 60


# --- shared and concurrent: the in-process cache and a real Redis (RF_TEST_REDIS_URL) --------------


@pytest.mark.usefixtures("each_cache")
def test_forty_simultaneous_events_let_exactly_the_limit_through():
    limit = RateLimit("test", limit=10, window_seconds=60)
    everyone_ready = threading.Barrier(40)
    waits = []

    def event():
        everyone_ready.wait()
        waits.append(limit.hit("alice"))

    threads = [threading.Thread(target=event) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waits.count(0) == 10
    assert all(1 <= wait <= 60 for wait in waits if wait)


@pytest.mark.usefixtures("redis_cache")
def test_every_counter_in_redis_expires_with_its_window():
    limit = RateLimit("test", limit=2, window_seconds=60)
    for key in ("alice", "bob", "alice", "alice"):
        limit.hit(key)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter("*rf:test:*"))
    assert len(keys) == 4  # a counter and its window start, for each of alice and bob
    assert all(0 < client.ttl(key) <= 60 for key in keys)


@pytest.mark.usefixtures("redis_cache")
def test_a_limit_reached_in_another_app_process_holds_in_this_one():
    waits = run_second_app_process("""
from psa.ratelimit import RateLimit
report([RateLimit("test", limit=3, window_seconds=60).hit("alice") for _ in range(3)])
""")
    assert waits == [0, 0, 0]
    limit = RateLimit("test", limit=3, window_seconds=60)
    assert 1 <= limit.retry_after("alice") <= 60
    assert limit.hit("alice") > 0
    assert limit.hit("bob") == 0
