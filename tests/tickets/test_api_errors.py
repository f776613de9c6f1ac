"""JSON API: the error contract — every status, JSON {detail, errors}, never a 500 or a trace."""

from __future__ import annotations

import pytest

from tests.reliability.psa_faults import where

pytestmark = pytest.mark.django_db

URL = "/integrations/psa/tickets"


def _assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.content.decode()
    assert "sandbox-private" not in response.content.decode()
    return body


def test_unauthenticated_is_401_json_not_a_redirect(client, connection):
    body = _assert_error(client.get(URL), 401)
    assert "Bearer" in body["detail"]


def test_account_without_psa_connection_is_409(charlie_client):
    body = _assert_error(charlie_client.get(URL), 409)
    assert "PSA connection" in body["detail"]


def test_user_without_account_is_403(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("loner", password="x"))
    _assert_error(client.get("/integrations/psa/boards"), 403)


def test_unknown_ticket_is_404(alice_client, connection):
    _assert_error(alice_client.get(f"{URL}/999999"), 404)


@pytest.mark.parametrize("params, field", [
    ({"page": "abc"}, "page"),
    ({"page": 0}, "page"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": 101}, "page_size"),
    ({"board": "x"}, "board"),
    ({"board": 99}, "board"),
    ({"status": 999}, "status"),
    ({"priority": 42}, "priority"),
    ({"assigned": "someone"}, "assigned"),
    ({"assigned": "99999"}, "assigned"),
    ({"closed": "maybe"}, "closed"),
])
def test_bad_search_parameters_are_422_with_the_field(alice_client, connection, params, field):
    body = _assert_error(alice_client.get(URL, params), 422)
    assert field in [e["field"] for e in body["errors"]]


def test_assigned_me_without_mapping_is_422_with_a_clear_message(bob_client, connection):
    body = _assert_error(bob_client.get(URL, {"assigned": "me"}), 422)
    assert "not mapped" in body["detail"]


@pytest.mark.parametrize("change, field", [
    ({"summary": ""}, "summary"),
    ({"summary": "   "}, "summary"),
    ({"summary": "x" * 101}, "summary"),
    ({"company_id": "abc"}, "company_id"),
    ({"company_id": 0}, "company_id"),
    ({"board_id": 99}, "board_id"),
    ({"status_id": 21}, "status_id"),
    ({"priority_id": 99}, "priority_id"),
    ({"assigned_member_id": 99999}, "assigned_member_id"),
])
def test_bad_create_payloads_are_422_with_the_dto_field(alice_client, connection, valid_payload, sandbox, change, field):
    before = sandbox.ticket_count()
    body = _assert_error(alice_client.post(URL, {**valid_payload, **change}, content_type="application/json"), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert sandbox.ticket_count() == before


def test_missing_fields_are_422(alice_client, connection):
    body = _assert_error(alice_client.post(URL, {"summary": "x"}, content_type="application/json"), 422)
    assert {"company_id", "board_id", "status_id", "priority_id"} <= {e["field"] for e in body["errors"]}


def test_malformed_json_is_a_client_error(alice_client, connection):
    response = alice_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"detail", "errors"}


def test_psa_validation_errors_map_to_dto_field_names(alice_client, connection, valid_payload, sandbox):
    """An unknown company gets past our checks; the PSA's own 400 comes back as 422 on company_id."""
    body = _assert_error(alice_client.post(URL, {**valid_payload, "company_id": 99999}, content_type="application/json"), 422)
    assert body["errors"] and body["errors"][0]["field"] == "company_id"


def test_unknown_member_on_add_resource_is_422(alice_client, alice_mapping):
    ticket = alice_client.get(URL, {"assigned": "me"}).json()["items"][0]
    body = _assert_error(alice_client.post(f"{URL}/{ticket['id']}/resources", {"member_id": 99999},
                                           content_type="application/json"), 422)
    assert body["errors"][0]["field"] == "member_id"


def test_unknown_status_on_update_is_422(alice_client, alice_mapping):
    ticket = alice_client.get(URL, {"assigned": "me"}).json()["items"][0]
    _assert_error(alice_client.patch(f"{URL}/{ticket['id']}/status", {"status_id": 999}, content_type="application/json"), 422)


def test_non_numeric_ticket_id_is_a_client_error(alice_client, connection):
    assert alice_client.get(f"{URL}/abc").status_code in (404, 422)


# --- PSA failures (fault injection) ------------------------------------------------------------


@pytest.mark.parametrize("kind, status", [
    ("500", 502),
    ("401", 502),
    ("503", 503),
    ("malformed", 503),
    ("truncated", 503),
    ("refused", 503),
    ("timeout", 504),
    ("403", 403),
    ("404", 404),
    pytest.param("409", 409, marks=pytest.mark.connectwise_only("Autotask's API does not answer 409")),
    pytest.param("thread", 429, marks=pytest.mark.autotask_only("Autotask's thread limit")),
    pytest.param("validation", 422, marks=pytest.mark.autotask_only("Autotask's HTTP 500 validation answer")),
])
def test_psa_failures_map_to_clear_statuses(alice_client, connection, sandbox, psa_kind, kind, status):
    sandbox.inject(kind, path=where(psa_kind, "tickets")[1])
    _assert_error(alice_client.get(URL), status)


def test_psa_rate_limit_is_429_with_retry_after(alice_client, connection, sandbox, psa_kind):
    sandbox.inject("429", path=where(psa_kind, "tickets")[1], retry_after=7)
    _assert_error(alice_client.get(URL), 429)
    response = alice_client.get(URL)
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


def test_psa_failure_on_create_is_reported_not_500(alice_client, connection, valid_payload, sandbox, psa_kind):
    method, path = where(psa_kind, "create")
    sandbox.inject("503", method=method, path=path)
    _assert_error(alice_client.post(URL, valid_payload, content_type="application/json"), 503)
