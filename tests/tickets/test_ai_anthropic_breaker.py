"""The AI service's circuit breaker: an outage costs a few failed calls, then parses go straight to the
offline parser (with the usual warning) without sending anything, until the cool-down's probe."""

from __future__ import annotations

import httpx2
import pytest

from tests.tickets.test_ai_parse_anthropic import engine_with, falls_back, parse, tool_use

OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


@pytest.fixture(autouse=True)
def _three_failures_open_it(settings):
    settings.PSA_BREAKER_FAILURES = 3


class Outage:
    """A fake API that fails the way ``failure`` says until ``healthy`` is set, then answers."""

    def __init__(self, failure):
        self.failure = failure
        self.healthy = False

    def __call__(self, request):
        if self.healthy:
            return httpx2.Response(200, json=tool_use({"company_name": "Hooli", "summary": "Printer jammed"}))
        return self.failure(request)


def _timeout(request):
    raise httpx2.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize("failure", [
    lambda request: httpx2.Response(529, json=OVERLOADED),
    lambda request: httpx2.Response(500, json=OVERLOADED),
    _timeout,
    lambda request: httpx2.Response(401, json={"type": "error", "error": {"type": "authentication_error",
                                                                           "message": "invalid x-api-key"}}),
    lambda request: httpx2.Response(200, content=b"", headers={"content-type": "application/json"}),
], ids=["529", "500", "timeout", "401", "empty-200"])
def test_after_three_failures_the_next_parse_sends_nothing_and_falls_back(failure):
    engine, fake = engine_with(Outage(failure))

    for _ in range(3):
        falls_back(parse(engine))
    assert len(fake.requests) == 3

    result = parse(engine)

    falls_back(result)
    assert len(fake.requests) == 3


def test_the_breaker_is_shared_by_every_engine_of_the_key_and_no_other():
    outage = Outage(lambda request: httpx2.Response(529, json=OVERLOADED))
    for _ in range(3):
        parse(engine_with(outage)[0])

    same_key, same_key_calls = engine_with(outage)
    other_key, other_key_calls = engine_with(outage, api_key="another-key")
    parse(same_key)
    parse(other_key)

    assert len(same_key_calls.requests) == 0
    assert len(other_key_calls.requests) == 1


def test_a_request_the_api_refuses_as_invalid_does_not_open_it():
    engine, fake = engine_with(lambda request: httpx2.Response(
        400, json={"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}))

    for _ in range(4):
        falls_back(parse(engine))

    assert len(fake.requests) == 4


def test_a_good_answer_between_failures_starts_the_count_again():
    outage = Outage(lambda request: httpx2.Response(529, json=OVERLOADED))
    engine, fake = engine_with(outage)

    parse(engine)
    parse(engine)
    outage.healthy = True
    assert parse(engine).company_id == 259
    outage.healthy = False
    parse(engine)
    parse(engine)
    parse(engine)

    assert len(fake.requests) == 6
