"""POST /integrations/psa/tickets/ai-parse: delegates to tickets.ai_parse, rate limited per user (and account:
test_ai_rate_limit.py)."""

from __future__ import annotations

import pytest

from psa.schemas import AiParseResponse

pytestmark = pytest.mark.django_db

URL = "/integrations/psa/tickets/ai-parse"


@pytest.fixture
def fake_engine(monkeypatch):
    """Stands in for tickets.ai_parse.parse_ticket_prompt so these tests cover only the endpoint's own
    behaviour; records (account, user, prompt) of each call."""
    from tickets import api

    calls = []

    def parse_ticket_prompt(tenant, prompt):
        calls.append((tenant.account, tenant.user, prompt))
        if not prompt.strip():
            raise ValueError("Describe the ticket first")
        return AiParseResponse(summary=prompt[:50], missing_fields=["company_id"])

    monkeypatch.setattr(api, "parse_ticket_prompt", parse_ticket_prompt)
    return calls


def test_it_returns_the_parse_result(token_client, connection, fake_engine, account, alice):
    response = token_client.post(URL, {"prompt": "Printer down at Acme"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["summary"] == "Printer down at Acme"
    assert response.json()["missing_fields"] == ["company_id"]
    assert fake_engine == [(account, alice, "Printer down at Acme")]


def test_a_bad_prompt_is_422_on_the_prompt_field(token_client, connection, fake_engine):
    response = token_client.post(URL, {"prompt": "   "}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "prompt", "message": "Describe the ticket first"}]


def test_a_missing_prompt_is_422(token_client, connection, fake_engine):
    assert token_client.post(URL, {}, content_type="application/json").status_code == 422


def test_it_is_rate_limited_per_user(token_client, bob_client, connection, fake_engine, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    for _ in range(2):
        assert token_client.post(URL, {"prompt": "x"}, content_type="application/json").status_code == 200
    limited = token_client.post(URL, {"prompt": "x"}, content_type="application/json")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert bob_client.post(URL, {"prompt": "x"}, content_type="application/json").status_code == 200


def test_it_requires_authentication(client, connection):
    assert client.post(URL, {"prompt": "x"}, content_type="application/json").status_code == 401


def test_it_uses_the_real_offline_engine(token_client, connection):
    response = token_client.post(URL, {"prompt": "Printer down at Acme Corp, urgent"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["company_id"] == 250


def test_the_real_engine_rejects_an_over_long_prompt(token_client, connection):
    response = token_client.post(URL, {"prompt": "x" * 2001}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "prompt"


def test_without_a_connection_it_is_409(charlie_token_client):
    assert charlie_token_client.post(URL, {"prompt": "Printer down"}, content_type="application/json").status_code == 409
