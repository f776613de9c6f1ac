"""A keyed create whose first attempt got no clear answer never becomes two tickets, whatever the summary.

ConnectWise stored the ticket, then the answer was lost: a read timeout or a 5xx on the way back (a
WSGI wrapper lets the POST reach the sandbox and then loses its answer), or a truncated or malformed
body (the sandbox's own faults, which also store the ticket first). The retry with the same
``Idempotency-Key`` must return that ticket, found by the mark recorded on it at create time, not by
searching its summary.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest

from psa import registry
from psa.providers.base import PSAUnavailableError
from psa.schemas import TicketCreatePayload
from tickets import service
from tickets.models import IdempotencyRecord

pytestmark = [pytest.mark.django_db, pytest.mark.connectwise_only(
    "loses the answer of ConnectWise's POST /service/tickets in a WSGI wrapper of its sandbox and creates with its "
    "seed ids; Autotask's lost create answers (truncated, malformed: the ticket is made) retried with the key: "
    "tests/reliability/test_api_create_never_duplicates.py")]

SUMMARIES = {
    "double space": "VPN  drops every hour",
    "tab": "VPN\tdrops every hour",
    "double quotes": 'Outlook says "cannot connect"',
    "single quotes": "Outlook says 'cannot connect' on Bob's PC",
    "unicode": "Drucker im 2. Stock — Fehler „Papierstau“ ✓ 日本語",
    "100 characters": ("Server room UPS beeps  " * 5)[:100],
}
LOST_ANSWERS = ("timeout", "503", "500", "truncated", "malformed")


class AnswerLost:
    """WSGI middleware in front of the sandbox: records every request, and can let the next ticket
    POST through (ConnectWise stores the ticket) and then lose the answer as a timeout or a 5xx."""

    def __init__(self, app):
        self.app = app
        self.lose_next: str | None = None
        self.requests: list[str] = []  # method, path, query, headers and body of every request

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        headers = " ".join(f"{k}={v}" for k, v in environ.items() if k.startswith("HTTP_"))
        self.requests.append(
            f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')} {headers} "
            + body.decode("utf-8", "replace")
        )
        is_ticket_post = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/service/tickets")
        if not (is_ticket_post and self.lose_next):
            return self.app(environ, start_response)
        how, self.lose_next = self.lose_next, None
        self.app(environ, lambda status, headers, exc_info=None: None)  # the ticket is stored
        if how == "timeout":
            raise httpx.ReadTimeout("The read operation timed out (the answer was lost)")
        status = {"503": "503 Service Unavailable", "500": "500 Internal Server Error"}[how]
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps({"code": "ServerError", "message": "Gateway lost the answer"}).encode()]


@pytest.fixture
def wire(sandbox, connection, monkeypatch):
    """The account's provider now talks to the sandbox through ``AnswerLost``."""
    wrapper = AnswerLost(sandbox)
    monkeypatch.setattr(registry, "default_sandbox", lambda: wrapper)
    registry.forget(connection)
    yield wrapper
    registry.forget(connection)


def _payload(summary: str, **overrides) -> TicketCreatePayload:
    data = {"summary": summary, "company_id": 250, "board_id": 1, "status_id": 11, "priority_id": 3}
    return TicketCreatePayload(**{**data, **overrides})


def _lose_the_answer(how: str, sandbox, wire) -> None:
    if how in ("truncated", "malformed"):
        sandbox.inject(how, method="POST", path=r"^/service/tickets$", times=1)
    else:
        wire.lose_next = how


def _tickets_with(sandbox, summary: str) -> list[int]:
    return sorted(tid for tid, t in sandbox.state["tickets"].items() if t["summary"] == summary)


@pytest.mark.parametrize("how", LOST_ANSWERS)
@pytest.mark.parametrize("summary", SUMMARIES.values(), ids=SUMMARIES.keys())
def test_a_retry_after_a_lost_answer_returns_the_first_ticket_and_makes_no_second(
    alice_tenant, sandbox, wire, summary, how
):
    payload = _payload(summary)
    _lose_the_answer(how, sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="lost-answer")
    [stored] = _tickets_with(sandbox, summary)  # ConnectWise has the ticket; we were not told
    assert IdempotencyRecord.objects.get(key="lost-answer").state == "unknown"

    retry = service.create_ticket(alice_tenant, payload, idempotency_key="lost-answer")
    replay = service.create_ticket(alice_tenant, payload, idempotency_key="lost-answer")

    assert retry.id == replay.id == stored
    assert retry.summary == summary
    assert _tickets_with(sandbox, summary) == [stored]
    assert IdempotencyRecord.objects.get(key="lost-answer").state == "done"


def test_the_recovery_asks_connectwise_once_and_posts_nothing(alice_tenant, sandbox, wire):
    payload = _payload(SUMMARIES["tab"])
    _lose_the_answer("timeout", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="one-look")
    sandbox.clear_log()
    service.create_ticket(alice_tenant, payload, idempotency_key="one-look")
    ticket_calls = [(r.method, r.path) for r in sandbox.request_log if r.path.startswith("/service/tickets")]
    assert ticket_calls == [("GET", "/service/tickets")]


def test_a_different_key_for_the_same_summary_creates_its_own_ticket(alice_tenant, sandbox, wire):
    summary = SUMMARIES["double space"]
    payload = _payload(summary)
    _lose_the_answer("timeout", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="key-a")
    _lose_the_answer("503", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="key-b")
    first, second = _tickets_with(sandbox, summary)

    assert service.create_ticket(alice_tenant, payload, idempotency_key="key-b").id == second
    assert service.create_ticket(alice_tenant, payload, idempotency_key="key-a").id == first
    third = service.create_ticket(alice_tenant, payload, idempotency_key="key-c")
    assert _tickets_with(sandbox, summary) == [first, second, third.id]


def test_another_users_retry_with_the_same_key_never_returns_alices_ticket(alice_tenant, bob_tenant, sandbox, wire):
    summary = SUMMARIES["tab"]
    payload = _payload(summary)
    for tenant in (alice_tenant, bob_tenant):
        _lose_the_answer("timeout", sandbox, wire)
        with pytest.raises(PSAUnavailableError):
            service.create_ticket(tenant, payload, idempotency_key="same-key")
    alices, bobs = _tickets_with(sandbox, summary)
    assert service.create_ticket(bob_tenant, payload, idempotency_key="same-key").id == bobs
    assert service.create_ticket(alice_tenant, payload, idempotency_key="same-key").id == alices
    assert _tickets_with(sandbox, summary) == [alices, bobs]


def test_a_lost_answer_with_an_assignee_is_recovered_with_the_assignee(
    alice_tenant, alice_mapping, first_member, sandbox, wire
):
    summary = SUMMARIES["double quotes"]
    payload = _payload(summary, assigned_member_id=first_member["id"])
    _lose_the_answer("timeout", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="with-assignee")
    retry = service.create_ticket(alice_tenant, payload, idempotency_key="with-assignee")
    assert _tickets_with(sandbox, summary) == [retry.id]
    assert [r.member_id for r in service.list_resources(alice_tenant, retry.id)] == [first_member["id"]]


def test_the_raw_idempotency_key_never_reaches_connectwise(alice_tenant, sandbox, wire):
    key = "client-key-7f3a9c1e-do-not-leak"
    payload = _payload(SUMMARIES["unicode"])
    _lose_the_answer("timeout", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key=key)
    created = service.create_ticket(alice_tenant, payload, idempotency_key=key)

    mark = sandbox.state["tickets"][created.id]["externalXRef"]
    assert mark.startswith("rf-create:") and len(mark) <= 100
    assert wire.requests and not any(key in request for request in wire.requests)
    assert key not in json.dumps(sandbox.state["tickets"][created.id])


def test_a_mark_made_before_a_secret_key_rotation_is_still_found(alice_tenant, sandbox, wire, settings):
    summary = SUMMARIES["100 characters"]
    payload = _payload(summary)
    _lose_the_answer("timeout", sandbox, wire)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="rotated")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789abcdef"
    [stored] = _tickets_with(sandbox, summary)
    assert service.create_ticket(alice_tenant, payload, idempotency_key="rotated").id == stored
    assert _tickets_with(sandbox, summary) == [stored]


def test_a_create_without_a_key_carries_no_mark(alice_tenant, sandbox, wire):
    created = service.create_ticket(alice_tenant, _payload("Keyless create"))
    assert "externalXRef" not in sandbox.state["tickets"][created.id]
