"""The UI fault-injection matrix: every PSA failure x every HTML operation (htmx requests), on the PSA this run
connects to (``tests/reliability/psa_faults.py``: where each PSA serves each call, and its failures).

For each pair: never a 500 or a traceback; a clear message naming what failed (inline, with a Retry
control where the UI promises one); what the user typed is still in the re-rendered form (note text,
the New Ticket draft, the Quick Create prompt); writes go to the PSA once (no retry) and a create
never makes a second ticket; the log records the failure and never a secret. The drawer shell makes
no PSA call at all, and My Queue fails silently (logged only). The table in the README (Failure outcomes (UI))
("Failure outcomes (UI)") is ``OPERATIONS``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

import pytest

from tests.conftest import test_psa
from tests.reliability.psa_faults import NAMES, OUTCOMES, secrets, where
from tickets import service

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tickets"}
FAULTS = list(OUTCOMES["connectwise"])
# Faults after which the PSA has done the work (only the answer broke on the way back).
PROCESSED = {"malformed", "truncated"}
# What the user reads for each failure (the PSAError message, or the sandbox's validation message).
REASONS = {
    "400": "The request is invalid",
    "validation": "Value does not reference an existing entity for priority",
    "401": "rejected the API credentials",
    "403": "not allowed to do this",
    "permission": "not allowed to do this",
    "404": "Not found in",
    "thread": "3 requests at a time",
    "hourly": "10,000 API requests per hour",
    "409": "conflict",
    "429": "rate limiting",
    "500": "unavailable",
    "503": "unavailable",
    "refused": "unavailable",
    "timeout": "did not answer in time",
    "malformed": "malformed response",
    "truncated": "malformed response",
}
# What a failed Test connection says, per PSA.
TEST_FAILURE_WORDS = {
    "connectwise": r"sandbox|credentials|security role|Test failed",
    "autotask": r"credentials|security level|unavailable right now \(HTTP 5\d\d\)|Timeout|Unreachable|malformed"
                r"|Test failed|rate limit|3 requests at a time|10,000",
}
NOTE_TEXT = "Rebooted the switch <b>twice</b>; users back online at 10:42 — keep this text"
PROMPT = "Acme Corp: Outlook not syncing for the CFO, high priority"
DRAFT = {"summary": "Printer on 2nd floor offline", "company": "Acme Corp", "board_id": "1", "status_id": "11",
         "priority_id": "3", "description": "Users cannot print since this morning.", "tab": "full"}


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    url: str  # may contain {ticket}, {company}, {member} (assigned) and {free} (not assigned)
    data: dict | None
    psa_op: str | None  # the PSA call the fault hits (a row of ``psa_faults.PATHS``; None: every call)
    names: str  # how the message names what failed (a regex)
    retry: bool = False  # an explicit Retry control is rendered
    keeps: tuple[str, ...] = ()  # user input that must be back in the response
    silent: bool = False  # no message at all (My Queue)
    calls_psa: bool = True
    write: bool = False
    body_less: bool = False  # ConnectWise answers 204: a malformed/truncated answer is still a success (Autotask
    # answers every write with its id)
    outcome: str = ""  # for the README table
    statuses: tuple[int, ...] = (200,)
    extra: dict = field(default_factory=dict)


OPERATIONS = [
    Operation("ticket list", "GET", "/tickets?assigned=all", None, "tickets and counts",
              "Could not load tickets.", retry=True,
              outcome="200, `#results` shows “Could not load tickets. <reason>” with Retry; filters stay in the URL"),
    Operation("drawer open", "GET", "/tickets/{ticket}/panel?summary=Printer&company_id={company}", None, None,
              "", calls_psa=False, outcome="unaffected: the shell is built from the row's data, no PSA call"),
    Operation("drawer detail", "GET", "/tickets/{ticket}/detail?company={company}", None, "any read",
              "Could not load", retry=True,
              outcome="200, each section (details, notes, configurations, related) shows “Could not load … : "
                      "<reason>” with Retry; the note composer stays usable"),
    Operation("resources", "GET", "/tickets/{ticket}/resources", None, "resources",
              "Could not load resources", retry=True, outcome="200, “Could not load resources: <reason>” with Retry"),
    Operation("status change", "POST", "/tickets/{ticket}/status", {"status": "{status}", "board": "1",
              "current": "{current}", "current_name": "Current"}, "update",
              "Status (not changed|change not confirmed)", write=True, statuses=(422,),
              outcome="422, inline error under the status select (previous status kept) + error toast "
                      "“Status not changed: <reason>”; choosing again retries"),
    Operation("add resource", "POST", "/tickets/{ticket}/resources", {"member": "{free}"}, "add resource",
              "Could not add the member", write=True, statuses=(422,),
              outcome="422, inline error in Resources + toast “Could not add the member: <reason>”"),
    Operation("remove resource", "POST", "/tickets/{ticket}/resources/{member}/remove", {}, "remove resource",
              "Could not remove the member", write=True, statuses=(422,), body_less=True,
              outcome="422, inline error in Resources + toast “Could not remove the member: <reason>” (a "
                      "malformed/truncated answer to the body-less DELETE is a success: the member is removed)"),
    Operation("add note", "POST", "/tickets/{ticket}/notes", {"text": NOTE_TEXT, "kind": "discussion"}, "add note",
              "Note not (saved|confirmed)", keeps=(NOTE_TEXT,), write=True, statuses=(422,),
              outcome="422, the composer re-renders with the note text and type kept, inline error + toast "
                      "“Note not saved: <reason>”; Add note retries"),
    Operation("create ticket", "POST", "/tickets/new", {**DRAFT, "action": "create", "token": "{token}"}, "create",
              "The ticket was not created.", keeps=tuple(DRAFT[k] for k in
              ("summary", "company", "description")), write=True, statuses=(422,),
              outcome="422, the modal form re-renders with every draft value, “The ticket was not created. "
                      "<reason>”; Create again never makes a second ticket (idempotency token kept when the "
                      "outcome is unknown)"),
    Operation("ai-parse", "POST", "/tickets/new", {"prompt": PROMPT, "tab": "quick", "action": "parse",
              "token": "{token}"}, "any read", "Could not load (ConnectWise|Autotask) data.", retry=True, keeps=(PROMPT,),
              outcome="200, the modal shows “Could not load ConnectWise data. <reason>” with Retry; the "
                      "prompt is kept; nothing is created"),
    Operation("My Queue", "GET", "/dashboard/my-queue", None, "tickets and counts", "",
              silent=True, outcome="200, silent by design: an empty widget (`data-state=\"error\"`), no "
                                   "message or toast; the failure is logged"),
    Operation("test connection", "POST", "/account/integrations/test", {}, "version", "",
              outcome="200, `#test-result` names the failure class (bad credentials, timeout, unreachable "
                      "host, unavailable with HTTP status, role, malformed) and the site; never a secret"),
]
OPS = {op.name: op for op in OPERATIONS}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def no_get_retries(settings, connection, monkeypatch):
    """PSA_GET_RETRIES = 0 (fast); backoff waits recorded, never slept."""
    from psa.registry import forget, provider_for

    settings.PSA_GET_RETRIES = 0
    forget(connection)
    provider = provider_for(connection)
    assert provider.client.get_retries == 0
    sleeps: list[float] = []
    monkeypatch.setattr(provider.client, "_sleep", sleeps.append)
    yield sleeps
    forget(connection)


@pytest.fixture
def ui(alice_client, alice_mapping, no_get_retries):
    return alice_client


@pytest.fixture
def known(ui, alice_tenant, sandbox):
    """Ids for the URLs: an open Service Desk ticket of the first member, its company, an assignee,
    a member not assigned, a status to change to; reference data warmed into the cache."""
    member = sandbox.members()[0]["id"]
    ticket = service.search_tickets(alice_tenant, service.TicketFilters(board=1, assigned=str(member))).items[0]
    assigned = {r.member_id for r in service.list_resources(alice_tenant, ticket.id)}
    free = next(m["id"] for m in reversed(sandbox.members()) if m["id"] not in assigned)
    reference = alice_tenant.reference("boards", "members")  # statuses of every board come with the boards
    status = next(s.id for s in reference.statuses(1) if s.id != ticket.status_id)
    assert reference.all_statuses and reference.members
    sandbox.clear_log()
    return {"ticket": ticket.id, "company": ticket.company_id, "member": member, "free": free, "status": status,
            "current": ticket.status_id}


def _fill(value, ids: dict):
    return value.format(**ids) if isinstance(value, str) else value


def _request(ui, op: Operation, ids: dict):
    url = _fill(op.url, ids)
    if op.method == "GET":
        return ui.get(url, **HX)
    data = {k: _fill(v, ids) for k, v in (op.data or {}).items()}
    return ui.post(url, data, **HX)


def _prepare(ui, op: Operation, ids: dict):
    """Per-operation setup before the fault: the modal's token (and, for create, warm reference data)."""
    if op.name in ("create ticket", "ai-parse"):
        if op.name == "ai-parse":
            from django.core.cache import cache

            html = ui.get("/tickets/new?tab=quick", **HX).content.decode()
            cache.clear()  # parse must load its reference data: that is what fails
        else:
            html = ui.get("/tickets/new?tab=full", **HX).content.decode()
        ids["token"] = re.search(r'name="token" value="([^"]+)"', html).group(1)


def _writes(sandbox, psa_kind, op: Operation) -> list:
    method, path = where(psa_kind, op.psa_op)
    return [r for r in sandbox.request_log if r.method == method and re.search(path, r.path)]


def _inject(sandbox, psa_kind, op_name: str | None, fault: str, **options) -> None:
    method, path = where(psa_kind, op_name) if op_name else (None, None)
    sandbox.inject(fault, method=method, path=path, **options)


def _summary(sandbox, psa_kind, ticket_id: int) -> str:
    return sandbox.state["tickets"][ticket_id]["title" if psa_kind == "autotask" else "summary"]


def _note_texts(sandbox, psa_kind, ticket_id: int) -> list[str]:
    if psa_kind == "autotask":
        return [n["description"] for n in sandbox.state["notes"].values() if n["ticketID"] == ticket_id]
    return [n["text"] for n in sandbox.state["notes"][ticket_id]]


def pytest_generate_tests(metafunc):
    """``fault``: the failures of the PSA this run connects to."""
    if metafunc.function.__name__ == "test_every_failure_of_every_ui_operation_is_handled":
        metafunc.parametrize("fault", list(OUTCOMES[test_psa(metafunc.config)]))


# --- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_every_failure_of_every_ui_operation_is_handled(ui, known, sandbox, psa_kind, caplog, op, fault):
    ids = dict(known)
    _prepare(ui, op, ids)
    tickets_before = sandbox.ticket_count()
    sandbox.clear_log()
    _inject(sandbox, psa_kind, op.psa_op, fault, retry_after=7)

    with caplog.at_level(logging.INFO):
        response = _request(ui, op, ids)
    html = response.content.decode()
    logs = caplog.text

    if op.body_less and fault in PROCESSED and psa_kind == "connectwise":
        assert response.status_code == 200 and "removed" in json.loads(response["HX-Trigger"])["toast"]["message"]
        assert len(_writes(sandbox, psa_kind, op)) == 1
        return

    assert response.status_code in op.statuses, (response.status_code, html[:500])
    assert "Traceback" not in html and "Server Error" not in html
    for secret in secrets(psa_kind):
        assert secret not in html and secret not in logs and secret not in json.dumps(dict(response.headers))

    if not op.calls_psa:
        assert sandbox.request_log == []
        assert "error-panel" not in html and 'role="alert"' not in html
        return

    assert any(r.status != 200 for r in sandbox.request_log) or fault in ("refused", "timeout", "malformed",
                                                                          "truncated"), "the fault fired"
    assert re.search(rf"{NAMES[psa_kind]} \w+ /\S+ failed", logs), logs  # the client's warning
    trigger = response.get("HX-Trigger")
    toast = json.loads(trigger).get("toast") if trigger else None

    if op.silent:
        assert 'data-state="error"' in html and 'role="alert"' not in html and trigger is None
        assert "My Queue: PSA fetch failed" in logs
        return
    if op.name == "test connection":
        assert 'class="test-result is-fail"' in html
        message = re.search(r'id="test-result"[^>]*>([^<]+)</p>', html).group(1)
        # ConnectWise's name the site (the sandbox); Autotask's say what happened (its zone is found first).
        assert re.search(TEST_FAILURE_WORDS[psa_kind], message), message
        return

    # The reason is inline; what failed is named inline or (for the drawer's writes) in the error toast.
    assert REASONS[fault].lower() in html.lower(), (fault, html[:3000])
    named = re.search(op.names, html) or (toast is not None and re.search(op.names, toast["message"]))
    if op.name == "create ticket" and not named:
        # A refusal naming a field (Autotask's "...existing entity for priority") is shown at that field.
        named = re.search(r'aria-invalid="true"[^>]*>(.|\n)*?<p class="field-error"[^>]*>[^<]*'
                          + re.escape(REASONS[fault]), html)
    assert named, html[:2000]
    if op.retry:
        assert re.search(r"<button[^>]*>Retry</button>", html), "a Retry control"
    for kept in op.keeps:
        assert _escaped(kept) in html, f"kept input {kept!r}"
    if toast is not None:
        assert toast["level"] == "error" and REASONS[fault].lower() in toast["message"].lower()

    if op.write:
        writes = _writes(sandbox, psa_kind, op)
        assert len(writes) == 1, f"writes are never retried: {writes}"
        expected = tickets_before + (1 if op.name == "create ticket" and fault in PROCESSED else 0)
        assert sandbox.ticket_count() == expected


def _escaped(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


# --- the guarantees behind the matrix -----------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "503", "refused", "timeout", "malformed", "truncated"])
def test_creating_again_after_a_failed_create_never_makes_a_second_ticket(ui, known, sandbox, psa_kind, fault):
    ids = dict(known)
    _prepare(ui, OPS["create ticket"], ids)
    before = sandbox.ticket_count()
    _inject(sandbox, psa_kind, "create", fault, times=1)
    failed = _request(ui, OPS["create ticket"], ids).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', failed).group(1)
    assert token == ids["token"], "the outcome is unknown: the same token, so a retry finds the ticket"

    again = ui.post("/tickets/new", {**DRAFT, "action": "create", "token": token}, **HX)
    assert again.status_code == 204, again.content.decode()[:1000]
    assert sandbox.ticket_count() == before + 1
    created = json.loads(again["HX-Trigger"])["ticketCreated"]["id"]
    assert _summary(sandbox, psa_kind, created) == DRAFT["summary"]


def test_a_refused_create_gets_a_new_token_and_creates_once_when_pressed_again(ui, known, sandbox, psa_kind):
    ids = dict(known)
    _prepare(ui, OPS["create ticket"], ids)
    before = sandbox.ticket_count()
    # A definite refusal: ConnectWise's 409, Autotask's HTTP 500 with a validation text.
    _inject(sandbox, psa_kind, "create", "409" if psa_kind == "connectwise" else "validation", times=1)
    failed = _request(ui, OPS["create ticket"], ids).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', failed).group(1)
    again = ui.post("/tickets/new", {**DRAFT, "action": "create", "token": token}, **HX)
    assert again.status_code == 204
    assert sandbox.ticket_count() == before + 1


def test_a_failed_note_can_be_sent_again_from_the_kept_text(ui, known, sandbox, psa_kind):
    op = OPS["add note"]
    _inject(sandbox, psa_kind, op.psa_op, "503", times=1)
    failed = _request(ui, op, known).content.decode()
    kept = re.search(r"<textarea[^>]*>(.*?)</textarea>", failed, re.S).group(1)
    assert kept == _escaped(NOTE_TEXT)
    assert 'value="discussion" checked' in failed
    added = ui.post(f"/tickets/{known['ticket']}/notes", {"text": NOTE_TEXT, "kind": "discussion"}, **HX)
    assert added.status_code == 200
    assert _note_texts(sandbox, psa_kind, known["ticket"]).count(NOTE_TEXT) == 1


def test_ui_gets_are_retried_with_backoff_when_retries_are_on(ui, known, sandbox, psa_kind, settings, connection,
                                                              monkeypatch):
    from psa.registry import forget, provider_for

    settings.PSA_GET_RETRIES = 2
    forget(connection)
    provider = provider_for(connection)
    sleeps: list[float] = []
    monkeypatch.setattr(provider.client, "_sleep", sleeps.append)
    sandbox.clear_log()
    _inject(sandbox, psa_kind, "resources", "503", times=2)

    response = ui.get(f"/tickets/{known['ticket']}/resources", **HX)

    assert response.status_code == 200 and "Could not load" not in response.content.decode()
    method, path = where(psa_kind, "resources")
    entries = [r for r in sandbox.request_log if r.method == method and re.search(path, r.path)]
    assert [r.status for r in entries][:3] == [503, 503, 200]
    assert len(sleeps) == 2


def test_ui_writes_are_not_retried_even_when_get_retries_are_on(ui, known, sandbox, psa_kind, settings, connection,
                                                                monkeypatch):
    from psa.registry import forget, provider_for

    settings.PSA_GET_RETRIES = 2
    forget(connection)
    monkeypatch.setattr(provider_for(connection).client, "_sleep", lambda s: None)
    sandbox.clear_log()
    _inject(sandbox, psa_kind, "add note", "503")
    response = ui.post(f"/tickets/{known['ticket']}/notes", {"text": "once", "kind": "internal"}, **HX)
    assert response.status_code == 422
    assert len([r for r in sandbox.request_log if r.method == "POST"]) == 1


# --- odd requests and writes whose outcome is unknown -------------------------------------------


@pytest.mark.parametrize("data", [{"status": ""}, {"status": "12"}], ids=["no status", "no board"])
def test_a_status_change_without_a_board_is_a_clear_422_not_a_500(known, alice, data):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.post(f"/tickets/{known['ticket']}/status", data, **HX)
    assert response.status_code == (422 if not data["status"] else 200)


@pytest.mark.parametrize("op_name", ["add note", "status change"])
def test_a_write_with_an_unknown_outcome_does_not_claim_it_failed(ui, known, sandbox, psa_kind, op_name):
    op = OPS[op_name]
    _inject(sandbox, psa_kind, op.psa_op, "malformed")
    response = _request(ui, op, dict(known))
    message = json.loads(response["HX-Trigger"])["toast"]["message"]
    assert "not saved" not in message and "not changed" not in message
    assert "may have" in message
