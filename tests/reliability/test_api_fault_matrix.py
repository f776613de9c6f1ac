"""The API fault-injection matrix: every PSA failure x every JSON endpoint, on the PSA this run connects to.

For each pair: never a 500 or a traceback, a JSON ``{"detail", "errors"}`` body whose detail names the
operation and the PSA (never the other one), the documented status (``OUTCOMES`` in ``psa_faults``; the
table in the README (Reliability and security)), retries only for reads, a create never makes more than the
one ticket the PSA processed, and the log records the failure without a secret. Where each PSA serves an
operation, and which failures it has, is ``tests/reliability/psa_faults.py``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.conftest import test_psa
from tests.reliability.conftest import API, GET_RETRIES
from tests.reliability.psa_faults import NAMES, OUTCOMES, PROCESSED, RETRIED_ON_READ, secrets, where

pytestmark = pytest.mark.django_db

RETRY_AFTER = 7  # beyond the client's 5 s ceiling: it gives up at once and passes the wait on
FAULTS = list(OUTCOMES["connectwise"])  # ConnectWise's (tests/security injects them)


def pytest_generate_tests(metafunc):
    """``kind``: the failures of the PSA this run connects to."""
    if metafunc.function.__name__ == "test_every_psa_failure_on_every_endpoint_has_its_documented_outcome":
        metafunc.parametrize("kind", list(OUTCOMES[test_psa(metafunc.config)]))


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: str  # may contain {ticket} and {member}
    body: dict | None
    psa_op: str | None  # the PSA call the fault hits (a row of ``psa_faults.PATHS``; None: no PSA call)
    ok: int
    action: str  # how the error detail names the operation
    needs_ticket: bool = False
    calls_psa: bool = True
    fixtures: tuple[str, ...] = ()  # what the endpoint needs besides a ticket (e.g. the caller's member mapping)


ENDPOINTS = [
    Endpoint("ticket list", "GET", "/tickets", None, "tickets", 200, "Loading tickets"),
    Endpoint("ticket detail", "GET", "/tickets/{ticket}", None, "ticket", 200,
             "Loading the ticket", needs_ticket=True),
    Endpoint("create ticket", "POST", "/tickets", "create", "create", 201, "Creating the ticket"),
    Endpoint("status change", "PATCH", "/tickets/{ticket}/status", {"status_id": 12}, "update", 200, "Changing the ticket's status", needs_ticket=True),
    Endpoint("list resources", "GET", "/tickets/{ticket}/resources", None, "resources", 200,
             "Loading the ticket's assignees", needs_ticket=True),
    Endpoint("add resource", "POST", "/tickets/{ticket}/resources", {"member_id": "last"}, "add resource", 201, "Assigning the member", needs_ticket=True),
    Endpoint("remove resource", "DELETE", "/tickets/{ticket}/resources/{member}", None, "remove resource", 204, "Removing the assignee", needs_ticket=True),
    Endpoint("boards", "GET", "/boards", None, "boards", 200, "Loading boards"),
    Endpoint("statuses", "GET", "/boards/1/statuses", None, "statuses", 200,
             "Loading the board's statuses"),
    Endpoint("priorities", "GET", "/priorities", None, "priorities", 200, "Loading priorities"),
    Endpoint("members", "GET", "/members", None, "members", 200, "Loading members"),
    Endpoint("companies", "GET", "/companies?search=Acme", None, "companies", 200,
             "Loading companies"),
    Endpoint("ai-parse", "POST", "/tickets/ai-parse", {"prompt": "Outlook not syncing for Acme Corp, high priority"},
             "companies", 200, "AI parse"),
    Endpoint("member-mappings", "GET", "/member-mappings", None, None, 200, "", calls_psa=False),
    # issue 19: time entries, the timer and inline edits (tickets/api_work.py)
    Endpoint("time entries", "GET", "/tickets/{ticket}/time-entries", None, "time entries", 200,
             "Loading the ticket's time entries", needs_ticket=True),
    Endpoint("log time", "POST", "/tickets/{ticket}/time-entries", {"duration": "1h 15m"}, "log time", 201, "Logging time", needs_ticket=True, fixtures=("alice_mapping",)),
    Endpoint("work types", "GET", "/time/work-types", None, "work types", 200, "Loading work types"),
    Endpoint("work roles", "GET", "/time/work-roles", None, "work roles", 200, "Loading work roles"),
    Endpoint("timer", "GET", "/timer", None, None, 200, "", calls_psa=False),
    Endpoint("start timer", "POST", "/timer", {"ticket_id": 1234}, None, 200, "", calls_psa=False),
    Endpoint("stop timer", "POST", "/timer/stop", {}, None, 200, "", calls_psa=False),
    Endpoint("edit ticket", "PATCH", "/tickets/{ticket}/fields", {"changes": {"summary": "Edited"}}, "edit", 200, "Saving the ticket", needs_ticket=True),
    Endpoint("board types", "GET", "/boards/1/types", None, "board types", 200,
             "Loading the board's types"),
    Endpoint("board subtypes", "GET", "/boards/1/subtypes", None, "board subtypes", 200,
             "Loading the board's subtypes"),
    Endpoint("board items", "GET", "/boards/1/items", None, "board items", 200,
             "Loading the board's items"),
    # issue 20: saved views (tickets/api_views.py). Their open counts are decoration: a failing PSA leaves a
    # view's count empty with the reason, the view itself still answers (so no PSA outcome applies).
    Endpoint("views", "GET", "/views", None, None, 200, "", calls_psa=False, fixtures=("saved_view",)),
    Endpoint("create view", "POST", "/views", {"name": "Mine", "query": "board=1"}, None, 201, "",
             calls_psa=False),
    Endpoint("default view", "GET", "/views/default", None, None, 200, "", calls_psa=False),
    Endpoint("set default view", "PUT", "/views/default", {"view_id": "{view}"}, None, 200, "",
             calls_psa=False, fixtures=("saved_view",)),
    Endpoint("order views", "PUT", "/views/order", {"ids": ["{view}"]}, None, 200, "", calls_psa=False,
             fixtures=("saved_view",)),
    Endpoint("view", "GET", "/views/{view}", None, None, 200, "", calls_psa=False, fixtures=("saved_view",)),
    Endpoint("rename view", "PATCH", "/views/{view}", {"name": "Renamed"}, None, 200, "", calls_psa=False,
             fixtures=("saved_view",)),
    Endpoint("delete view", "DELETE", "/views/{view}", None, None, 204, "", calls_psa=False,
             fixtures=("saved_view",)),
    # the spin-off's back-link notes: a retry first reads the ticket's notes (an earlier attempt may have written one)
    Endpoint("retry spin-off links", "POST", "/tickets/{ticket}/spin-off-links/retry", {}, "notes", 200, "could not be added", needs_ticket=True,
             fixtures=("spin_off_link",)),
]


@pytest.fixture
def saved_view(account, alice):
    from tickets.models import SavedView

    return SavedView.objects.create(account=account, owner=alice, name="Service desk", query="board=1")


@pytest.fixture
def spin_off_link(account, alice, ticket_and_member):
    """``ticket_and_member``'s ticket as a spin-off of another ticket, both back-link notes still missing."""
    from tickets.models import SpinOffLink

    ticket_id, _ = ticket_and_member
    return SpinOffLink.objects.create(account=account, created_by=alice, original_ticket_id=ticket_id - 1,
                                      spin_off_ticket_id=ticket_id, original_summary="Outlook crashes",
                                      spin_off_summary="Printer offline")


def expected_status(endpoint: Endpoint, kind: str, psa_kind: str) -> int:
    if not endpoint.calls_psa:
        return endpoint.ok
    if psa_kind == "connectwise" and endpoint.method == "DELETE" and kind in PROCESSED:
        return endpoint.ok  # a 204 has no body to break: the delete happened and is reported as done
    return OUTCOMES[psa_kind][kind]


def expected_attempts(method: str, kind: str) -> int:
    """PSA requests the failing call makes: 1 + PSA_GET_RETRIES for a retried read, else exactly 1."""
    return 1 + GET_RETRIES if method == "GET" and kind in RETRIED_ON_READ else 1


def send(api, endpoint: Endpoint, ticket=None, member=None, payload=None, sandbox=None, view=None):
    url = API + endpoint.url.format(ticket=ticket, member=member, view=view)
    body = endpoint.body
    if isinstance(body, dict) and view is not None:  # "{view}" in a body: the saved view's id
        body = {k: ([view for _ in v] if isinstance(v, list) else view) if "{view}" in str(v) else v
                for k, v in body.items()}
    if body == "create":
        body = payload
    elif body == {"member_id": "last"}:
        body = {"member_id": sandbox.members()[-1]["id"]}  # the member with no tickets: a new assignment
    if body is None:
        return getattr(api, endpoint.method.lower())(url)
    return getattr(api, endpoint.method.lower())(url, body, content_type="application/json")


def assert_clean_error(response, status: int, secrets: list[str]):
    text = response.content.decode()
    assert response.status_code == status, text
    assert response.status_code != 500
    assert "Traceback" not in text and 'File "' not in text
    for secret in secrets:
        assert secret not in text
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_psa_failure_on_every_endpoint_has_its_documented_outcome(
    request, api, psa_sleeps, sandbox, psa_kind, create_payload, caplog, endpoint, kind
):
    psa_call = where(psa_kind, endpoint.psa_op) if endpoint.calls_psa else None
    if endpoint.calls_psa and psa_call is None:
        pytest.skip(f"{NAMES[psa_kind]}'s provider makes no call for {endpoint.name} (see psa_faults.PATHS)")
    psa, other = NAMES[psa_kind], NAMES["autotask" if psa_kind == "connectwise" else "connectwise"]
    secrets_in_play = [*secrets(psa_kind), request.getfixturevalue("api_token")]
    caplog.set_level(logging.DEBUG)
    ticket = member = None
    if endpoint.needs_ticket:
        ticket, member = request.getfixturevalue("ticket_and_member")
    view = None
    for fixture in endpoint.fixtures:
        value = request.getfixturevalue(fixture)
        if fixture == "saved_view":
            view = value.pk
    tickets_before = sandbox.ticket_count()
    psa_method, psa_path = psa_call or (None, None)
    sandbox.inject(kind, method=psa_method, path=psa_path, retry_after=RETRY_AFTER)

    response = send(api, endpoint, ticket, member, create_payload, sandbox, view)

    status = expected_status(endpoint, kind, psa_kind)
    if status >= 400:
        body = assert_clean_error(response, status, secrets_in_play)
        # The message names what failed: the operation and this PSA (never the other one).
        assert endpoint.action in body["detail"] and psa in body["detail"], body["detail"]
        assert other not in body["detail"], body["detail"]
        if status == 422:
            assert body["errors"] and all("message" in e for e in body["errors"])
        if kind == "429":
            assert response["Retry-After"] == str(RETRY_AFTER)
        elif status == 429:
            assert int(response["Retry-After"]) >= 1  # the PSA's own limits say when to come back too
    else:
        assert response.status_code == status, response.content

    # Retries only where safe: a failing read is retried PSA_GET_RETRIES times, a write is sent once.
    # (Counted per request: ConnectWise's board statuses load every board's statuses, one call each.)
    if endpoint.calls_psa:
        hits = [r for r in sandbox.request_log if r.method == psa_method and re.search(psa_path, r.path)]
        attempts = Counter((r.path, r.query) for r in hits)
        assert attempts and set(attempts.values()) == {expected_attempts(psa_method, kind)}, \
            [(r.method, r.path, r.status) for r in hits]

    # The create path never makes more than the one ticket the PSA actually processed.
    made = 1 if endpoint.name == "create ticket" and kind in PROCESSED else 0
    assert sandbox.ticket_count() == tickets_before + made

    # The failure is logged, and nothing logged carries a secret.
    if status >= 400:
        assert any(rec.levelno >= logging.WARNING and psa in rec.getMessage() for rec in caplog.records)
    for secret in secrets_in_play:
        assert secret not in caplog.text


def test_the_matrix_covers_every_json_endpoint(client, db):
    """Every operation in the OpenAPI document has a row in the matrix."""
    document = client.get(f"{API}/openapi.json").json()
    listed = {(method.upper(), path.removeprefix(API)) for path, ops in document["paths"].items() for method in ops}
    covered = {(e.method, re.sub(r"\{ticket\}", "{ticket_id}", e.url.split("?")[0])
                .replace("{member}", "{member_id}").replace("{view}", "{view_id}")
                .replace("/boards/1/", "/boards/{board_id}/")) for e in ENDPOINTS}
    assert listed == covered
