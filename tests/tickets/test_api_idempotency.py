"""JSON API: POST /tickets with Idempotency-Key never makes two tickets."""

from __future__ import annotations

import pytest

from tests.reliability.psa_faults import where
from tickets.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

URL = "/integrations/psa/tickets"


def _post(client, payload, key):
    return client.post(URL, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_first_ticket(token_client, connection, valid_payload, sandbox):
    before = sandbox.ticket_count()
    first = _post(token_client, valid_payload, "abc-123")
    second = _post(token_client, valid_payload, "abc-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert sandbox.ticket_count() == before + 1


def test_a_retry_while_in_flight_is_409(token_client, account, alice, connection, valid_payload, sandbox):
    import hashlib

    from psa.schemas import TicketCreatePayload

    request_hash = hashlib.sha256(TicketCreatePayload(**valid_payload).model_dump_json().encode()).hexdigest()
    IdempotencyRecord.objects.create(account=account, user=alice, key="slow", request_hash=request_hash)
    before = sandbox.ticket_count()
    response = _post(token_client, valid_payload, "slow")
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    assert sandbox.ticket_count() == before


def test_a_retry_after_the_client_gave_up_returns_the_same_ticket(token_client, connection, valid_payload, sandbox,
                                                                   psa_kind):
    before = sandbox.ticket_count()
    method, path = where(psa_kind, "create")
    sandbox.inject("timeout", method=method, path=path, times=1)
    assert _post(token_client, valid_payload, "gave-up").status_code == 504
    retry = _post(token_client, valid_payload, "gave-up")
    replay = _post(token_client, valid_payload, "gave-up")
    assert retry.status_code == replay.status_code == 201
    assert retry.json()["id"] == replay.json()["id"]
    assert sandbox.ticket_count() == before + 1


def test_a_key_reused_with_another_payload_is_422(token_client, connection, valid_payload):
    _post(token_client, valid_payload, "reuse")
    response = _post(token_client, {**valid_payload, "summary": "Different"}, "reuse")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_without_a_key_every_post_creates(token_client, connection, valid_payload, sandbox):
    before = sandbox.ticket_count()
    token_client.post(URL, valid_payload, content_type="application/json")
    token_client.post(URL, valid_payload, content_type="application/json")
    assert sandbox.ticket_count() == before + 2


@pytest.mark.parametrize("key", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_an_empty_key_is_refused_with_400_and_creates_nothing(token_client, connection, valid_payload, sandbox, key):
    before = sandbox.ticket_count()
    sandbox.clear_log()
    response = _post(token_client, valid_payload, key)
    assert response.status_code == 400
    body = response.json()
    assert "Idempotency-Key header is empty" in body["detail"]
    assert body["errors"] == [{"field": "Idempotency-Key", "message": body["detail"]}]
    assert sandbox.ticket_count() == before
    assert sandbox.request_log == []  # refused before anything reached the PSA
    assert not IdempotencyRecord.objects.exists()
