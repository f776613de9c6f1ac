"""Fixtures for the API fault-injection matrix: a Bearer-token client, fast retries, a known ticket."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

API = "/integrations/psa"
GET_RETRIES = 1  # settings.PSA_GET_RETRIES for these tests: one retry proves the policy and stays fast


@pytest.fixture
def api_token(alice):
    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="reliability")
    return raw


@pytest.fixture
def api(api_token):
    """alice through her Bearer token only (no session; CSRF checks on, as for any API client)."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {api_token}")


@pytest.fixture
def psa_sleeps(settings, connection, monkeypatch):
    """PSA_GET_RETRIES=1 and no real backoff: the client's waits are recorded instead of slept."""
    from psa.registry import provider_for

    settings.PSA_GET_RETRIES = GET_RETRIES
    provider = provider_for(connection)
    assert provider.client.get_retries == GET_RETRIES
    sleeps: list[float] = []
    monkeypatch.setattr(provider.client, "_sleep", sleeps.append)
    return sleeps


@pytest.fixture
def secrets_in_play(api_token):
    """Values that must never appear in a response body or a log line."""
    basic = base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
    return ["sandbox-private", basic, api_token]


@pytest.fixture
def ticket_and_member(api, psa_sleeps, sandbox):
    """An open Service Desk ticket assigned to the sandbox's first member (found through the API, before
    any fault is injected), as ``(ticket_id, member_id)``; the sandbox log is cleared afterwards."""
    member_id = sandbox.members()[0]["id"]
    response = api.get(f"{API}/tickets", {"board": 1, "assigned": str(member_id), "page_size": 1})
    assert response.status_code == 200, response.content
    ticket_id = response.json()["items"][0]["id"]
    sandbox.clear_log()
    return ticket_id, member_id


@pytest.fixture
def create_payload():
    """A ticket for Acme Corp on Service Desk (New, Priority 3)."""
    return {"summary": "Printer on 2nd floor offline", "company_id": 250, "board_id": 1, "status_id": 11,
            "priority_id": 3, "description": "Users cannot print since this morning."}
