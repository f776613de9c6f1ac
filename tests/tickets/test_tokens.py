"""API tokens: stored hashed, shown once, revocable; create_api_token prints the token last."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tickets.models import APIToken, hash_token

pytestmark = pytest.mark.django_db


def test_only_the_hash_is_stored(alice):
    token, raw = APIToken.issue(alice)
    stored = APIToken.objects.values_list("token_hash", "prefix").get(pk=token.pk)
    assert stored == (hash_token(raw), raw[:10])
    assert raw not in str(APIToken.objects.filter(pk=token.pk).values().first())


def test_authenticate_finds_active_tokens_only(alice):
    token, raw = APIToken.issue(alice)
    assert APIToken.authenticate(raw) == token
    token.revoke()
    assert APIToken.authenticate(raw) is None
    assert APIToken.authenticate("rf_unknown") is None
    assert APIToken.authenticate("") is None


def test_inactive_users_tokens_do_not_authenticate(alice):
    _, raw = APIToken.issue(alice)
    alice.is_active = False
    alice.save()
    assert APIToken.authenticate(raw) is None


def test_create_api_token_prints_the_token_as_its_last_line(alice, connection):
    out = StringIO()
    call_command("create_api_token", "alice", "--name", "laptop", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("rf_")
    assert APIToken.objects.get(user=alice).name == "laptop"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/integrations/psa/boards")
    assert response.status_code == 200


def test_create_api_token_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", stdout=StringIO())


def test_admin_can_revoke_tokens(alice, client):
    from django.contrib.auth.models import User

    token, raw = APIToken.issue(alice)
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    response = client.post("/admin/tickets/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert APIToken.authenticate(raw) is None


def test_admin_never_shows_the_hash(alice, client):
    from django.contrib.auth.models import User

    token, _ = APIToken.issue(alice)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    page = client.get(f"/admin/tickets/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in page and token.token_hash not in page
