"""The "AI engine" card of the Integrations page: admins see which engine parses and, when the model API
fails, whether the key was refused (an operator must fix it) or the service is down (it passes)."""

from __future__ import annotations

import httpx2
import pytest

from tests.tickets.test_ai_parse_anthropic import engine_with, parse, tool_use

pytestmark = pytest.mark.django_db

STATUS_URL = "/tickets/ai/status"
KEY = "sk-ant-test-0123456789"
REFUSED = "The Anthropic API key was refused (401): an operator must set a valid ANTHROPIC_API_KEY"
UNAVAILABLE = "The AI service is unavailable right now; Quick Create uses the offline parser"


@pytest.fixture
def with_key(settings):
    settings.ANTHROPIC_API_KEY = KEY
    settings.ANTHROPIC_MODEL = "claude-test"


def _error(status, kind):
    return lambda request: httpx2.Response(status, json={"type": "error", "error": {"type": kind, "message": "x"}})


def _card(client) -> str:
    response = client.get(STATUS_URL, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_integrations_page_loads_the_card_for_admins(alice_client):
    page = alice_client.get("/account/integrations").content.decode()

    assert 'id="ai-engine"' in page and f'hx-get="{STATUS_URL}"' in page


def test_a_member_who_is_not_an_admin_gets_neither_the_card_nor_its_url(bob_client):
    assert 'id="ai-engine"' not in bob_client.get("/account/integrations").content.decode()
    assert bob_client.get(STATUS_URL).status_code == 403


def test_without_a_key_the_card_says_the_offline_parser_is_used(alice_client):
    card = _card(alice_client)

    assert "AI engine" in card and "Offline" in card
    assert "no <code>ANTHROPIC_API_KEY</code>" in card
    assert "<html" not in card  # htmx gets the card alone


def test_a_plain_get_shows_the_card_as_a_page(alice_client):
    page = alice_client.get(STATUS_URL).content.decode()

    assert "<html" in page and 'id="ai-engine"' in page


def test_a_refused_key_is_reported_as_such_without_the_key(alice_client, with_key):
    engine, _ = engine_with(_error(401, "authentication_error"), api_key=KEY)
    parse(engine)

    card = _card(alice_client)

    assert REFUSED in card
    assert UNAVAILABLE not in card
    assert KEY not in card and KEY[:12] not in card


def test_an_outage_is_reported_as_an_outage(alice_client, with_key):
    engine, _ = engine_with(_error(529, "overloaded_error"), api_key=KEY)
    parse(engine)

    card = _card(alice_client)

    assert UNAVAILABLE in card
    assert "refused" not in card


def test_an_unknown_model_is_reported_with_the_setting_to_check(alice_client, with_key):
    engine, _ = engine_with(_error(404, "not_found_error"), api_key=KEY)
    parse(engine)

    assert "ANTHROPIC_MODEL" in _card(alice_client)


def test_a_good_answer_clears_the_problem(alice_client, with_key):
    engine, fake = engine_with(_error(401, "authentication_error"), api_key=KEY)
    parse(engine)
    fake.respond = lambda request: httpx2.Response(200, json=tool_use({"summary": "Printer jammed"}))
    parse(engine)

    card = _card(alice_client)

    assert REFUSED not in card
    assert "Anthropic" in card and "claude-test" in card


def test_a_problem_of_another_key_is_not_shown(alice_client, with_key):
    engine, _ = engine_with(_error(401, "authentication_error"), api_key="an-old-key")
    parse(engine)

    assert REFUSED not in _card(alice_client)

