"""Fixtures for the ticket service and JSON API tests."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def alice_token(alice):
    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="tests")
    return raw


@pytest.fixture
def token_client(alice_token):
    """A client that authenticates only with alice's Bearer token (no session, CSRF enforced)."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {alice_token}")


@pytest.fixture
def charlie_token(charlie):
    from tickets.models import APIToken

    _, raw = APIToken.issue(charlie, name="tests")
    return raw


@pytest.fixture
def charlie_token_client(charlie_token):
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {charlie_token}")


@pytest.fixture
def csrf_client(alice):
    """alice signed in through the session, with CSRF checks enforced as in a browser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


@pytest.fixture
def valid_payload():
    """A ticket for Acme Corp on Service Desk (New, Priority 3)."""
    return {"summary": "Printer on 2nd floor offline", "company_id": 250, "board_id": 1, "status_id": 11,
            "priority_id": 3, "description": "Users cannot print since this morning."}
