"""The AI parse is limited per user to AI_PARSE_PER_MINUTE parses a minute."""

from __future__ import annotations

import pytest

from tickets.ai_parse import parse_retry_after

pytestmark = pytest.mark.django_db


def test_a_user_over_the_limit_waits_and_others_do_not(alice, bob, settings):
    settings.AI_PARSE_PER_MINUTE = 2
    assert [parse_retry_after(alice) for _ in range(2)] == [0, 0]
    assert 1 <= parse_retry_after(alice) <= 60
    assert parse_retry_after(bob) == 0


def test_twenty_parses_a_minute_by_default(alice):
    assert all(parse_retry_after(alice) == 0 for _ in range(20))
    assert parse_retry_after(alice) > 0
