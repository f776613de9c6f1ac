"""The Anthropic engine through the real SDK, with a fake HTTP transport (httpx2.MockTransport).

The installed anthropic SDK (2.x) is built on httpx2, so the fake transport is an httpx2 one.
Nothing leaves the process.
"""

from __future__ import annotations

import json

import httpx2
import pytest

from tests.tickets.test_ai_parse_offline import BOARDS, COMPANIES, ME, seed_reference
from tickets.ai.anthropic_engine import FALLBACK_WARNING, TOOL_NAME, AnthropicEngine
from tickets.ai.resolve import resolve

PROMPT = "New ticket for Acme Dental, the VPN drops every hour, high priority, assign to me"


def _message(content):
    return {"id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test",
            "content": content, "stop_reason": "tool_use", "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10}}


def _tool_use(fields):
    return _message([{"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": fields}])


class FakeAnthropic:
    """Answers /v1/messages with a canned response and records the requests."""

    def __init__(self, respond):
        self.respond = respond
        self.requests = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.respond(request)

    @property
    def body(self):
        return json.loads(self.requests[-1].content)


def engine_with(respond) -> tuple[AnthropicEngine, FakeAnthropic]:
    fake = FakeAnthropic(respond)
    engine = AnthropicEngine(api_key="test-key", model="claude-test", timeout=5.0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(fake)))
    return engine, fake


def parse_with(respond):
    engine, fake = engine_with(respond)
    return resolve(engine.extract(PROMPT, COMPANIES, BOARDS), seed_reference(), ME), fake


def test_a_structured_tool_call_is_resolved_to_ids():
    fields = {"company_name": "Acme Dental", "board_hint": "vpn", "priority_word": "high priority",
              "assignee_ref": "me", "summary": "VPN drops every hour",
              "description": "The site-to-site VPN at the main office drops every hour since Monday."}
    result, _ = parse_with(lambda request: httpx2.Response(200, json=_tool_use(fields)))

    assert result.company_id == 251
    assert result.board_id == 2
    assert result.priority_id == 2
    assert result.assigned_member_id == 101
    assert result.summary == "VPN drops every hour"
    assert result.description.startswith("The site-to-site VPN")
    assert result.status_id is None and result.missing_fields == ["status_id"]
    assert FALLBACK_WARNING not in result.warnings


def test_the_request_forces_the_tool_and_treats_the_text_as_untrusted():
    _, fake = parse_with(lambda request: httpx2.Response(200, json=_tool_use({"summary": "VPN drops"})))
    body = fake.body

    assert fake.requests[-1].url.path == "/v1/messages"
    assert body["model"] == "claude-test"
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert [tool["name"] for tool in body["tools"]] == [TOOL_NAME]
    properties = body["tools"][0]["input_schema"]["properties"]
    assert not [name for name in properties if name.endswith("_id")]  # words only, never IDs
    assert "untrusted" in body["system"]
    assert PROMPT in body["messages"][0]["content"]
    assert fake.requests[-1].headers["x-stainless-retry-count"] == "0"


def test_ids_injected_into_the_tool_input_are_ignored():
    fields = {"company_name": "Hooli", "summary": "Printer jammed", "company_id": 999, "board_id": 999,
              "priority_id": 999, "status_id": 999, "assigned_member_id": 999}
    result, _ = parse_with(lambda request: httpx2.Response(200, json=_tool_use(fields)))

    assert result.company_id == 259  # Hooli, resolved by name
    assert result.board_id is None and result.priority_id is None and result.status_id is None
    assert result.assigned_member_id is None
    assert 999 not in result.model_dump().values()


def test_a_numeric_company_name_does_not_become_an_id():
    result, _ = parse_with(lambda request: httpx2.Response(
        200, json=_tool_use({"company_name": "250", "summary": "Printer jammed"})))

    assert result.company_id is None
    assert 'No company matches "250"' in result.warnings


def _falls_back(result):
    assert FALLBACK_WARNING in result.warnings
    # the offline parser read the same prompt
    assert result.company_id == 251
    assert result.board_id == 2
    assert result.priority_id == 2
    assert result.assigned_member_id == 101
    assert result.summary == "The VPN drops every hour"


@pytest.mark.parametrize("respond", [
    lambda request: httpx2.Response(200, content=b"<html>definitely not json</html>",
                                    headers={"content-type": "text/html"}),
    lambda request: httpx2.Response(200, json={"unexpected": True}),
    lambda request: httpx2.Response(200, json=_message([{"type": "text", "text": "Sure! Here is the ticket."}])),
    lambda request: httpx2.Response(200, json=_tool_use({"company_name": 42, "summary": ["not", "a", "string"]})),
    lambda request: httpx2.Response(200, json=_tool_use({"company_name": "Hooli"})),  # no summary
], ids=["html", "not-a-message", "no-tool-call", "schema-mismatch", "no-summary"])
def test_a_garbage_response_falls_back_to_the_offline_parser(respond):
    result, _ = parse_with(respond)

    _falls_back(result)


def test_a_timeout_falls_back_to_the_offline_parser():
    def slow(request):
        raise httpx2.ReadTimeout("timed out", request=request)

    result, fake = parse_with(slow)

    _falls_back(result)
    assert len(fake.requests) == 1  # no retries inside a user's request


@pytest.mark.parametrize("status", [401, 429, 500, 529])
def test_an_api_error_falls_back_to_the_offline_parser(status):
    result, fake = parse_with(lambda request: httpx2.Response(
        status, json={"type": "error", "error": {"type": "api_error", "message": "nope"}}))

    _falls_back(result)
    assert len(fake.requests) == 1


def test_a_refused_connection_falls_back_to_the_offline_parser():
    def refused(request):
        raise httpx2.ConnectError("connection refused", request=request)

    result, _ = parse_with(refused)

    _falls_back(result)


def test_the_engine_is_chosen_by_the_api_key(settings):
    from tickets.ai_parse import engine_from_settings

    settings.ANTHROPIC_API_KEY = ""
    assert engine_from_settings().name == "offline"

    settings.ANTHROPIC_API_KEY = "sk-test"
    settings.ANTHROPIC_MODEL = "claude-test"
    settings.ANTHROPIC_TIMEOUT_SECONDS = 7.5
    engine = engine_from_settings()
    assert engine.name == "anthropic"
    assert engine.model == "claude-test"
    assert (engine._client.timeout.read, engine._client.timeout.connect) == (7.5, 5.0)
    assert engine._client.max_retries == 0
    assert engine_from_settings()._client is engine._client  # one pooled client per key/timeout/retries
