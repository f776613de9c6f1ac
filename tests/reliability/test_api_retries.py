"""Retries: GETs retry transient ConnectWise failures (honouring Retry-After); writes are sent once."""

from __future__ import annotations

import re

import pytest

from tests.reliability.conftest import API, GET_RETRIES

pytestmark = pytest.mark.django_db


def _hits(sandbox, method, path):
    return [r for r in sandbox.request_log if r.method == method and re.search(path, r.path)]


@pytest.mark.parametrize("kind", ["500", "503", "refused", "timeout"])
def test_a_get_that_fails_once_is_retried_and_succeeds(api, psa_sleeps, sandbox, kind):
    sandbox.inject(kind, method="GET", path=r"^/service/priorities$", times=1)
    response = api.get(f"{API}/priorities")
    assert response.status_code == 200
    assert len(_hits(sandbox, "GET", r"^/service/priorities$")) == 2
    assert len(psa_sleeps) == 1  # one backoff between the attempts


def test_a_get_rate_limited_briefly_waits_for_retry_after_then_succeeds(api, psa_sleeps, sandbox):
    sandbox.inject("429", method="GET", path=r"^/service/boards$", times=1, retry_after=1)
    assert api.get(f"{API}/boards").status_code == 200
    assert psa_sleeps and psa_sleeps[0] >= 1


def test_a_get_that_keeps_failing_is_tried_one_plus_psa_get_retries_times(api, psa_sleeps, sandbox):
    sandbox.inject("503", method="GET", path=r"^/system/members$")
    assert api.get(f"{API}/members").status_code == 503
    assert len(_hits(sandbox, "GET", r"^/system/members$")) == 1 + GET_RETRIES


def test_a_rate_limit_longer_than_the_client_waits_is_passed_on_at_once(api, psa_sleeps, sandbox):
    sandbox.inject("429", method="GET", path=r"^/service/boards$", retry_after=30)
    response = api.get(f"{API}/boards")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert len(_hits(sandbox, "GET", r"^/service/boards$")) == 1
    assert psa_sleeps == []


@pytest.mark.parametrize("kind", ["500", "503", "refused", "timeout", "429"])
def test_a_create_that_fails_transiently_is_sent_exactly_once(api, psa_sleeps, sandbox, create_payload, kind):
    sandbox.inject(kind, method="POST", path=r"^/service/tickets$", times=1, retry_after=1)
    before = sandbox.ticket_count()
    response = api.post(f"{API}/tickets", create_payload, content_type="application/json")
    assert response.status_code >= 400
    assert len(_hits(sandbox, "POST", r"^/service/tickets$")) == 1
    assert sandbox.ticket_count() == before


def test_a_status_change_that_fails_transiently_is_sent_exactly_once(api, ticket_and_member, sandbox):
    ticket, _ = ticket_and_member
    sandbox.inject("503", method="PATCH", times=1)
    response = api.patch(f"{API}/tickets/{ticket}/status", {"status_id": 12}, content_type="application/json")
    assert response.status_code == 503
    assert len(_hits(sandbox, "PATCH", r"^/service/tickets/\d+$")) == 1
