"""The API fault-injection matrix: every ConnectWise failure x every JSON endpoint.

For each pair: never a 500 or a traceback, a JSON ``{"detail", "errors"}`` body whose detail names the
operation and ConnectWise, the documented status (``OUTCOMES``; the table in
the README (Reliability and security)), retries only for GETs, a create never makes more than the one ticket
ConnectWise processed, and the log records the failure without a secret.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.reliability.conftest import API, GET_RETRIES

pytestmark = pytest.mark.django_db

RETRY_AFTER = 7  # beyond the client's 5 s ceiling: it gives up at once and passes the wait on

# ConnectWise failure -> our status. The README table is this dict.
OUTCOMES = {
    "400": 422,  # validation, with field errors when ConnectWise names fields
    "401": 502,  # our stored PSA credentials failed: not the caller's 401
    "403": 403,  # the PSA's API member lacks a security role: retrying cannot help
    "404": 404,
    "409": 409,
    "429": 429,  # with Retry-After
    "500": 502,
    "503": 503,
    "refused": 503,
    "timeout": 504,
    "malformed": 503,  # no usable answer: like unavailable
    "truncated": 503,
}
FAULTS = list(OUTCOMES)
# Faults the client retries on a GET (a 429 is retried only when its Retry-After is <= 5 s).
RETRIED_ON_GET = {"500", "503", "refused", "timeout"}
# Faults after which ConnectWise has done the work (the answer broke on the way back).
PROCESSED = {"malformed", "truncated"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: str  # may contain {ticket} and {member}
    body: dict | None
    psa_method: str | None  # the ConnectWise call the fault hits (None: every call)
    psa_path: str | None
    ok: int
    action: str  # how the error detail names the operation
    needs_ticket: bool = False
    calls_psa: bool = True
    fixtures: tuple[str, ...] = ()  # what the endpoint needs besides a ticket (e.g. the caller's member mapping)


ENDPOINTS = [
    Endpoint("ticket list", "GET", "/tickets", None, "GET", r"^/service/tickets$", 200, "Loading tickets"),
    Endpoint("ticket detail", "GET", "/tickets/{ticket}", None, "GET", r"^/service/tickets/\d+$", 200,
             "Loading the ticket", needs_ticket=True),
    Endpoint("create ticket", "POST", "/tickets", "create", "POST", r"^/service/tickets$", 201, "Creating the ticket"),
    Endpoint("status change", "PATCH", "/tickets/{ticket}/status", {"status_id": 12}, "PATCH",
             r"^/service/tickets/\d+$", 200, "Changing the ticket's status", needs_ticket=True),
    Endpoint("list resources", "GET", "/tickets/{ticket}/resources", None, "GET", r"^/schedule/entries$", 200,
             "Loading the ticket's assignees", needs_ticket=True),
    Endpoint("add resource", "POST", "/tickets/{ticket}/resources", {"member_id": "last"}, "POST",
             r"^/schedule/entries$", 201, "Assigning the member", needs_ticket=True),
    Endpoint("remove resource", "DELETE", "/tickets/{ticket}/resources/{member}", None, "DELETE",
             r"^/schedule/entries/\d+$", 204, "Removing the assignee", needs_ticket=True),
    Endpoint("boards", "GET", "/boards", None, "GET", r"^/service/boards$", 200, "Loading boards"),
    Endpoint("statuses", "GET", "/boards/1/statuses", None, "GET", r"^/service/boards/\d+/statuses$", 200,
             "Loading the board's statuses"),
    Endpoint("priorities", "GET", "/priorities", None, "GET", r"^/service/priorities$", 200, "Loading priorities"),
    Endpoint("members", "GET", "/members", None, "GET", r"^/system/members$", 200, "Loading members"),
    Endpoint("companies", "GET", "/companies?search=Acme", None, "GET", r"^/company/companies$", 200,
             "Loading companies"),
    Endpoint("ai-parse", "POST", "/tickets/ai-parse", {"prompt": "Outlook not syncing for Acme Corp, high priority"},
             "GET", r"^/company/companies$", 200, "AI parse"),
    Endpoint("member-mappings", "GET", "/member-mappings", None, None, None, 200, "", calls_psa=False),
    # issue 19: time entries, the timer and inline edits (tickets/api_work.py)
    Endpoint("time entries", "GET", "/tickets/{ticket}/time-entries", None, "GET", r"^/time/entries$", 200,
             "Loading the ticket's time entries", needs_ticket=True),
    Endpoint("log time", "POST", "/tickets/{ticket}/time-entries", {"duration": "1h 15m"}, "POST",
             r"^/time/entries$", 201, "Logging time", needs_ticket=True, fixtures=("alice_mapping",)),
    Endpoint("work types", "GET", "/time/work-types", None, "GET", r"^/time/workTypes$", 200, "Loading work types"),
    Endpoint("work roles", "GET", "/time/work-roles", None, "GET", r"^/time/workRoles$", 200, "Loading work roles"),
    Endpoint("timer", "GET", "/timer", None, None, None, 200, "", calls_psa=False),
    Endpoint("start timer", "POST", "/timer", {"ticket_id": 1234}, None, None, 200, "", calls_psa=False),
    Endpoint("stop timer", "POST", "/timer/stop", {}, None, None, 200, "", calls_psa=False),
    Endpoint("edit ticket", "PATCH", "/tickets/{ticket}/fields", {"changes": {"summary": "Edited"}}, "PATCH",
             r"^/service/tickets/\d+$", 200, "Saving the ticket", needs_ticket=True),
    Endpoint("board types", "GET", "/boards/1/types", None, "GET", r"^/service/boards/\d+/types$", 200,
             "Loading the board's types"),
    Endpoint("board subtypes", "GET", "/boards/1/subtypes", None, "GET", r"^/service/boards/\d+/subtypes$", 200,
             "Loading the board's subtypes"),
    Endpoint("board items", "GET", "/boards/1/items", None, "GET", r"^/service/boards/\d+/items$", 200,
             "Loading the board's items"),
    # issue 20: saved views (tickets/api_views.py). Their open counts are decoration: a failing PSA leaves a
    # view's count empty with the reason, the view itself still answers (so no PSA outcome applies).
    Endpoint("views", "GET", "/views", None, None, None, 200, "", calls_psa=False, fixtures=("saved_view",)),
    Endpoint("create view", "POST", "/views", {"name": "Mine", "query": "board=1"}, None, None, 201, "",
             calls_psa=False),
    Endpoint("default view", "GET", "/views/default", None, None, None, 200, "", calls_psa=False),
    Endpoint("set default view", "PUT", "/views/default", {"view_id": "{view}"}, None, None, 200, "",
             calls_psa=False, fixtures=("saved_view",)),
    Endpoint("order views", "PUT", "/views/order", {"ids": ["{view}"]}, None, None, 200, "", calls_psa=False,
             fixtures=("saved_view",)),
    Endpoint("view", "GET", "/views/{view}", None, None, None, 200, "", calls_psa=False, fixtures=("saved_view",)),
    Endpoint("rename view", "PATCH", "/views/{view}", {"name": "Renamed"}, None, None, 200, "", calls_psa=False,
             fixtures=("saved_view",)),
    Endpoint("delete view", "DELETE", "/views/{view}", None, None, None, 204, "", calls_psa=False,
             fixtures=("saved_view",)),
    # the spin-off's back-link notes: a retry first reads the ticket's notes (an earlier attempt may have written one)
    Endpoint("retry spin-off links", "POST", "/tickets/{ticket}/spin-off-links/retry", {}, "GET",
             r"^/service/tickets/\d+/notes$", 200, "could not be added", needs_ticket=True,
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


def expected_status(endpoint: Endpoint, kind: str) -> int:
    if not endpoint.calls_psa:
        return endpoint.ok
    if endpoint.method == "DELETE" and kind in PROCESSED:
        return endpoint.ok  # a 204 has no body to break: the delete happened and is reported as done
    return OUTCOMES[kind]


def expected_attempts(endpoint: Endpoint, kind: str) -> int:
    """ConnectWise requests the failing call makes: 1 + PSA_GET_RETRIES for a retried GET, else exactly 1."""
    return 1 + GET_RETRIES if endpoint.psa_method == "GET" and kind in RETRIED_ON_GET else 1


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


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_psa_failure_on_every_endpoint_has_its_documented_outcome(
    request, api, psa_sleeps, sandbox, create_payload, secrets_in_play, caplog, endpoint, kind
):
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
    sandbox.inject(kind, method=endpoint.psa_method, path=endpoint.psa_path, retry_after=RETRY_AFTER)

    response = send(api, endpoint, ticket, member, create_payload, sandbox, view)

    status = expected_status(endpoint, kind)
    if status >= 400:
        body = assert_clean_error(response, status, secrets_in_play)
        # The message names what failed: the operation and ConnectWise.
        assert endpoint.action in body["detail"] and "ConnectWise" in body["detail"], body["detail"]
        if status == 422:
            assert body["errors"] and all("message" in e for e in body["errors"])
        if status == 429:
            assert response["Retry-After"] == str(RETRY_AFTER)
    else:
        assert response.status_code == status, response.content

    # Retries only where safe: a failing GET is retried PSA_GET_RETRIES times, a write is sent once.
    # (Counted per ConnectWise path: the board statuses load every board's statuses, one call each.)
    if endpoint.calls_psa:
        hits = [r for r in sandbox.request_log
                if r.method == endpoint.psa_method and re.search(endpoint.psa_path, r.path)]
        attempts = Counter(r.path for r in hits)
        assert attempts and set(attempts.values()) == {expected_attempts(endpoint, kind)}, \
            [(r.method, r.path, r.status) for r in hits]

    # The create path never makes more than the one ticket ConnectWise actually processed.
    made = 1 if endpoint.name == "create ticket" and kind in PROCESSED else 0
    assert sandbox.ticket_count() == tickets_before + made

    # The failure is logged, and nothing logged carries a secret.
    if status >= 400:
        assert any(rec.levelno >= logging.WARNING and "ConnectWise" in rec.getMessage() for rec in caplog.records)
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
