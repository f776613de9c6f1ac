"""Creating a ticket under every failure of the PSA this run connects to, then retrying with the same
Idempotency-Key, leaves exactly one ticket — also when the PSA made the ticket but its answer broke on the way."""

from __future__ import annotations

import pytest

from tests.conftest import test_psa
from tests.reliability.conftest import API
from tests.reliability.psa_faults import OUTCOMES, where

pytestmark = pytest.mark.django_db


def pytest_generate_tests(metafunc):
    """``kind``: the failures of the PSA this run connects to."""
    if "kind" in metafunc.fixturenames:
        metafunc.parametrize("kind", list(OUTCOMES[test_psa(metafunc.config)]))


def _post(api, payload, key):
    return api.post(f"{API}/tickets", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_failed_create_retried_with_its_key_makes_exactly_one_ticket(api, psa_sleeps, sandbox, psa_kind,
                                                                        create_payload, kind):
    before = sandbox.ticket_count()
    method, path = where(psa_kind, "create")
    sandbox.inject(kind, method=method, path=path, times=1, retry_after=7)

    first = _post(api, create_payload, f"key-{kind}")
    assert first.status_code == OUTCOMES[psa_kind][kind], first.content

    retry = _post(api, create_payload, f"key-{kind}")
    replay = _post(api, create_payload, f"key-{kind}")
    assert retry.status_code == replay.status_code == 201, retry.content
    assert retry.json()["id"] == replay.json()["id"]
    assert sandbox.ticket_count() == before + 1


def test_a_double_submit_without_faults_makes_one_ticket(api, psa_sleeps, sandbox, create_payload):
    before = sandbox.ticket_count()
    ids = {_post(api, create_payload, "double").json()["id"] for _ in range(2)}
    assert len(ids) == 1
    assert sandbox.ticket_count() == before + 1
