"""One deadline for the whole model call: a server that never answers, or drip-feeds its answer, gets the
user the offline parser's draft instead of holding the parse (the SDK's own timeout is per socket read).

No test here reads a clock: the fake servers block on an Event the test only sets when it is over."""

from __future__ import annotations

import threading

import httpx2
import pytest

from tests.tickets.test_ai_parse_anthropic import PROMPT, engine_with, falls_back, parse, tool_use
from tickets.ai.client import anthropic_client, call_within


@pytest.fixture
def release():
    """Set when the test ends, so a fake server still holding a worker thread lets it go."""
    gate = threading.Event()
    yield gate
    gate.set()


class DripStream(httpx2.SyncByteStream):
    """A 200 answer that starts, then sends one space at a time until the test ends."""

    def __init__(self, release: threading.Event):
        self.release = release
        self.closed = threading.Event()

    def __iter__(self):
        yield b'{"id": "msg_1", "type": "message", "content": ['
        while not self.release.is_set():
            yield b" "
            self.release.wait(0.01)

    def close(self):
        self.closed.set()


def test_a_server_that_never_answers_gets_the_offline_draft(release):
    def hang(request):
        release.wait()
        return httpx2.Response(200, json=tool_use({"summary": "too late"}))

    engine, fake = engine_with(hang, timeout=0.2)

    result = parse(engine)

    falls_back(result)
    assert len(fake.requests) == 1


def test_a_drip_fed_answer_is_abandoned_and_its_connection_closed(release):
    drip = DripStream(release)
    engine, _ = engine_with(lambda request: httpx2.Response(200, headers={"content-type": "application/json"},
                                                            stream=drip), timeout=0.2)

    result = parse(engine)

    falls_back(result)
    # The worker stopped reading at the deadline and closed the body: the drip did not hold it.
    assert drip.closed.wait(timeout=60), "the drip-fed body was still being read after the deadline"
    assert not release.is_set()


def test_each_request_waits_at_most_what_is_left_of_the_deadline():
    seen = []

    def record(request):
        seen.append(request.extensions["timeout"])
        return httpx2.Response(200, json=tool_use({"summary": "ok"}))

    client = anthropic_client(api_key="test-key", timeout=600, max_retries=0,
                              http_client=httpx2.Client(transport=httpx2.MockTransport(record)))

    call_within(30, lambda: client.messages.create(model="m", max_tokens=10,
                                                   messages=[{"role": "user", "content": PROMPT}]))

    assert set(seen[0]) == {"connect", "read", "write", "pool"}
    assert all(0 < seconds <= 30 for seconds in seen[0].values())  # not the client's 600 s per read
