"""JSON API: session and token auth, CSRF, and tenant isolation."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/integrations/psa/tickets"


def _csrf_token(client):
    """Fetch a CSRF cookie the way a browser gets one (any rendered page with a form sets it)."""
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    return token


# --- session -------------------------------------------------------------------------------------


def test_session_auth_reads_tickets(csrf_client, alice_mapping):
    assert csrf_client.get(URL).status_code == 200


def test_session_unsafe_request_without_csrf_token_is_403(csrf_client, connection, valid_payload, sandbox):
    before = sandbox.ticket_count()
    response = csrf_client.post(URL, valid_payload, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert sandbox.ticket_count() == before


def test_session_unsafe_request_with_csrf_token_succeeds(csrf_client, connection, valid_payload):
    token = _csrf_token(csrf_client)
    response = csrf_client.post(URL, valid_payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_csrf_is_enforced_on_patch_and_delete_too(csrf_client, alice_mapping):
    ticket = csrf_client.get(URL, {"assigned": "me"}).json()["items"][0]
    assert csrf_client.patch(f"{URL}/{ticket['id']}/status", {"status_id": 12}, content_type="application/json").status_code == 403
    assert csrf_client.delete(f"{URL}/{ticket['id']}/resources/101").status_code == 403


# --- tokens -----------------------------------------------------------------------------------------


def test_token_auth_reads_and_writes_without_csrf(token_client, alice_mapping, valid_payload):
    assert token_client.get(URL, {"assigned": "me"}).json()["total"] >= 10
    response = token_client.post(URL, valid_payload, content_type="application/json")
    assert response.status_code == 201, response.content


def test_token_acts_as_its_user(token_client, alice_mapping):
    body = token_client.get("/integrations/psa/member-mappings").json()
    assert body["current_user_mapped"] is True


def test_unknown_token_is_401(connection):
    client = Client(HTTP_AUTHORIZATION="Bearer rf_not-a-real-token")
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked API token"


def test_revoked_token_is_401(token_client, connection, alice):
    from tickets.models import APIToken

    APIToken.objects.get(user=alice).revoke()
    assert token_client.get(URL).status_code == 401


def test_invalid_token_on_post_is_401_not_a_csrf_error(connection, valid_payload):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer rf_nope")
    assert client.post(URL, valid_payload, content_type="application/json").status_code == 401


def test_token_use_is_recorded(token_client, connection, alice):
    from tickets.models import APIToken

    token_client.get("/integrations/psa/boards")
    assert APIToken.objects.get(user=alice).last_used is not None


# --- tenant isolation ----------------------------------------------------------------------------------


def test_charlies_token_without_connection_gets_409_for_tickets(charlie_token_client, connection, alice_mapping):
    assert charlie_token_client.get(URL).status_code == 409
    assert charlie_token_client.get(f"{URL}/1000").status_code == 409
    assert charlie_token_client.get("/integrations/psa/boards").status_code == 409


def test_charlie_never_sees_account_a_mappings(charlie_token_client, alice_mapping):
    body = charlie_token_client.get("/integrations/psa/member-mappings").json()
    assert body == {"mappings": [], "current_user_mapped": False, "current_user_mapping": None}


def test_charlie_with_own_connection_does_not_get_account_a_enrichment(charlie_token_client, alice_mapping, other_connection):
    members = charlie_token_client.get("/integrations/psa/members").json()
    assert not any(m["is_rf_user"] for m in members)
    ticket = charlie_token_client.get(URL).json()["items"][0]
    resources = charlie_token_client.get(f"{URL}/{ticket['id']}/resources").json()
    assert not any(r["is_rf_user"] for r in resources)


def test_charlie_cannot_assign_to_me_through_alices_mapping(charlie_token_client, alice_mapping, other_connection):
    assert charlie_token_client.get(URL, {"assigned": "me"}).status_code == 422


def test_idempotency_keys_are_per_account_and_user(token_client, charlie_token_client, alice_mapping, other_connection,
                                                    valid_payload):
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    alices = token_client.post(URL, valid_payload, content_type="application/json", **headers).json()
    charlies = charlie_token_client.post(URL, valid_payload, content_type="application/json", **headers).json()
    assert alices["id"] != charlies["id"]


def test_charlies_reference_cache_is_separate(charlie_token_client, alice_client, connection, other_connection, sandbox,
                                              psa_kind):
    import re

    from tests.reliability.psa_faults import where

    alice_client.get("/integrations/psa/boards")
    sandbox.clear_log()
    charlie_token_client.get("/integrations/psa/boards")
    method, path = where(psa_kind, "boards")  # ConnectWise's /service/boards, Autotask's queue picklist
    assert [r for r in sandbox.request_log if r.method == method and re.search(path, r.path)]
