"""Every ticket action answers clearly, never with a 500, for an account with no PSA connection and
for a signed-in user who belongs to no account (issue 13, finding 7)."""

import pytest
from django.contrib.auth.models import User

HX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tickets"}


@pytest.fixture
def loner(client, db):
    """A user made with createsuperuser: signed in, in no account."""
    client.force_login(User.objects.create_superuser("loner", "loner@example.com", "pw"))
    return client


ACTIONS = [
    ("get", "/tickets", {}),
    ("get", "/tickets/new", {}),
    ("get", "/tickets/1042/detail", {}),
    ("get", "/tickets/1042/resources", {}),
    ("get", "/tickets/1042/configurations?ids=1,2", {}),
    ("post", "/tickets/1042/status", {"status": "12", "board": "1", "current": "11", "current_name": "New"}),
    ("post", "/tickets/1042/notes", {"text": "Rebooted the switch", "kind": "internal"}),
    ("post", "/tickets/1042/resources", {"member": "101"}),
    ("post", "/tickets/1042/resources/101/remove", {}),
    ("post", "/tickets/new", {"action": "create", "summary": "Printer down", "company": "Acme"}),
]


@pytest.mark.parametrize(("method", "url", "data"), ACTIONS)
def test_an_account_without_a_connection_gets_a_clear_answer(alice_client, method, url, data):
    response = getattr(alice_client, method)(url, data, headers=HX)

    assert response.status_code < 500
    body = response.content.decode()
    assert "PSA connection" in body or "Set up the integration" in body or "Connect" in body
    if "summary" in data:
        assert 'value="Printer down"' in body  # what was typed is kept


@pytest.mark.parametrize(("method", "url", "data"), ACTIONS)
def test_a_user_in_no_account_gets_a_clear_answer(loner, method, url, data):
    response = getattr(loner, method)(url, data, headers=HX)

    assert response.status_code < 500
