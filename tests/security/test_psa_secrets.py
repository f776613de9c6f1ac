"""The PSA private key (and the Basic auth header built from it, and API tokens) never appear in an API
response, a log line or an exception message."""

from __future__ import annotations

import logging

import pytest

from psa.providers.base import PSAError
from tests.reliability.conftest import API
from tests.reliability.test_api_fault_matrix import ENDPOINTS, FAULTS, send

pytestmark = pytest.mark.django_db


def test_the_private_key_is_encrypted_at_rest(connection):
    from psa.models import PSAConnection

    stored = PSAConnection.objects.filter(pk=connection.pk).values().first()
    assert not any("sandbox-private" in str(value) for value in stored.values())
    assert "sandbox-private" not in repr(connection) and "sandbox-private" not in str(connection)


def test_no_successful_response_carries_a_secret(api, psa_sleeps, sandbox, create_payload, secrets_in_play, caplog):
    caplog.set_level(logging.DEBUG)
    ticket = next(iter(sandbox.state["tickets"]))
    member = sandbox.members()[0]["id"]
    for endpoint in ENDPOINTS:
        response = send(api, endpoint, ticket, member, create_payload, sandbox)
        assert response.status_code < 500
        for secret in secrets_in_play:
            assert secret not in response.content.decode()
    for secret in secrets_in_play:
        assert secret not in caplog.text


@pytest.mark.parametrize("kind", FAULTS)
def test_no_psa_exception_carries_a_secret(account, connection, psa_sleeps, sandbox, secrets_in_play, kind):
    from psa.tenancy import tenant_for_account
    from tickets import service

    sandbox.inject(kind, retry_after=30)
    tenant = tenant_for_account(account)
    for call in (lambda: tenant.reference("boards").boards, lambda: service.get_ticket(tenant, 1000),
                 lambda: service.update_status(tenant, 1000, 12)):
        try:
            call()
        except PSAError as exc:
            chain = []
            while exc is not None:
                chain.append(f"{exc!s} {exc!r} {exc.args!r} {vars(exc)!r}")
                exc = exc.__cause__ or exc.__context__
            for secret in secrets_in_play:
                assert secret not in " ".join(chain)
        else:
            pytest.fail(f"{kind} did not fail")


def test_unexpected_errors_are_logged_without_secrets_and_answered_without_a_trace(
    api, connection, secrets_in_play, caplog, monkeypatch
):
    """Even a bug (here: an exception carrying the key) stays out of the response body."""
    from psa.reference import Reference

    def broken(reference):
        raise RuntimeError("boom")

    monkeypatch.setattr(Reference, "boards", property(broken))
    caplog.set_level(logging.DEBUG)
    response = api.get(f"{API}/boards")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error", "errors": []}
    for secret in secrets_in_play:
        assert secret not in caplog.text
