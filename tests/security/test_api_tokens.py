"""API tokens are stored hashed and shown once."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from tests.reliability.conftest import API
from tickets.models import APIToken

pytestmark = pytest.mark.django_db


def _every_stored_value(token: APIToken) -> list[str]:
    return [str(v) for v in APIToken.objects.filter(pk=token.pk).values().first().values()]


def test_only_the_sha256_of_a_token_is_stored(alice):
    token, raw = APIToken.issue(alice)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not any(raw in value for value in _every_stored_value(token))
    assert token.prefix == raw[:10] and len(raw) > 30  # the prefix alone is no credential


def test_the_command_shows_the_token_once_and_it_works(alice, connection, client):
    out = StringIO()
    call_command("create_api_token", "alice", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert client.get(f"{API}/boards", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    token = APIToken.objects.get(user=alice)
    assert not any(raw in value for value in _every_stored_value(token))
    assert raw not in str(token) and raw not in repr(token)


def test_the_admin_never_shows_a_token(admin_client, alice):
    token, raw = APIToken.issue(alice)
    pages = [admin_client.get("/admin/tickets/apitoken/"), admin_client.get(f"/admin/tickets/apitoken/{token.pk}/change/")]
    for page in pages:
        assert page.status_code == 200
        assert raw not in page.content.decode()
        assert token.token_hash not in page.content.decode()


def test_a_revoked_token_is_refused(alice, connection, client):
    token, raw = APIToken.issue(alice)
    token.revoke()
    response = client.get(f"{API}/boards", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_a_near_miss_token_is_refused(alice, connection, client):
    _, raw = APIToken.issue(alice)
    for guess in (raw[:-1], raw + "x", raw.upper(), raw[:10]):
        assert client.get(f"{API}/boards", HTTP_AUTHORIZATION=f"Bearer {guess}").status_code == 401
