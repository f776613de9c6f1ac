"""Retries: reads retry transient PSA failures (honouring Retry-After); writes are sent once. On the PSA this
run connects to (``tests/reliability/psa_faults.py`` says where each PSA serves the calls broken here)."""

from __future__ import annotations

import re

import pytest

from tests.reliability.conftest import API, GET_RETRIES
from tests.reliability.psa_faults import where

pytestmark = pytest.mark.django_db


def _inject(sandbox, psa_kind, op, kind, **options):
    method, path = where(psa_kind, op)
    sandbox.inject(kind, method=method, path=path, **options)
    return method, path


def _hits(sandbox, method, path):
    return [r for r in sandbox.request_log if r.method == method and re.search(path, r.path)]


@pytest.mark.parametrize("kind", ["500", "503", "refused", "timeout"])
def test_a_get_that_fails_once_is_retried_and_succeeds(api, psa_sleeps, sandbox, psa_kind, kind):
    call = _inject(sandbox, psa_kind, "priorities", kind, times=1)
    response = api.get(f"{API}/priorities")
    assert response.status_code == 200
    assert len(_hits(sandbox, *call)) == 2
    assert len(psa_sleeps) == 1  # one backoff between the attempts


def test_a_get_rate_limited_briefly_waits_for_retry_after_then_succeeds(api, psa_sleeps, sandbox, psa_kind):
    _inject(sandbox, psa_kind, "boards", "429", times=1, retry_after=1)
    assert api.get(f"{API}/boards").status_code == 200
    assert psa_sleeps and psa_sleeps[0] >= 1


def test_a_get_that_keeps_failing_is_tried_one_plus_psa_get_retries_times(api, psa_sleeps, sandbox, psa_kind):
    call = _inject(sandbox, psa_kind, "members", "503")
    assert api.get(f"{API}/members").status_code == 503
    assert len(_hits(sandbox, *call)) == 1 + GET_RETRIES


def test_a_rate_limit_longer_than_the_client_waits_is_passed_on_at_once(api, psa_sleeps, sandbox, psa_kind):
    call = _inject(sandbox, psa_kind, "boards", "429", retry_after=30)
    response = api.get(f"{API}/boards")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert len(_hits(sandbox, *call)) == 1
    assert psa_sleeps == []


@pytest.mark.parametrize("kind", ["500", "503", "refused", "timeout", "429"])
def test_a_create_that_fails_transiently_is_sent_exactly_once(api, psa_sleeps, sandbox, psa_kind, create_payload, kind):
    call = _inject(sandbox, psa_kind, "create", kind, times=1, retry_after=1)
    before = sandbox.ticket_count()
    response = api.post(f"{API}/tickets", create_payload, content_type="application/json")
    assert response.status_code >= 400
    assert len(_hits(sandbox, *call)) == 1
    assert sandbox.ticket_count() == before


def test_a_status_change_that_fails_transiently_is_sent_exactly_once(api, ticket_and_member, sandbox, psa_kind):
    ticket, _ = ticket_and_member
    call = _inject(sandbox, psa_kind, "update", "503", times=1)
    response = api.patch(f"{API}/tickets/{ticket}/status", {"status_id": 12}, content_type="application/json")
    assert response.status_code == 503
    assert len(_hits(sandbox, *call)) == 1


@pytest.mark.autotask_only("Autotask's thread limit (3 requests at a time per integration code and endpoint)")
def test_a_read_refused_by_the_thread_limit_is_retried_and_succeeds(api, psa_sleeps, sandbox, psa_kind):
    call = _inject(sandbox, psa_kind, "members", "thread", times=1)
    assert api.get(f"{API}/members").status_code == 200
    assert len(_hits(sandbox, *call)) == 2


@pytest.mark.autotask_only("Autotask's hourly limit (10,000 requests an hour per database)")
def test_the_hourly_limit_is_passed_on_at_once_with_what_it_means(api, psa_sleeps, sandbox, psa_kind):
    call = _inject(sandbox, psa_kind, "members", "hourly")
    response = api.get(f"{API}/members")
    assert response.status_code == 429
    assert "10,000 API requests per hour" in response.json()["detail"]
    assert len(_hits(sandbox, *call)) == 1  # another attempt now would only spend the hour's budget
    assert psa_sleeps == []
