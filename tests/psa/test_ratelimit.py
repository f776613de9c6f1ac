"""One rate limiter for sign-in failures and AI parses: a fixed window per key, counted in the cache."""

from __future__ import annotations

import pytest

from psa.ratelimit import RateLimit
from tests.clock import frozen_clock


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
