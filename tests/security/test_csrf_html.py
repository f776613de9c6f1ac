"""CSRF on every unsafe HTML request: without the token, 403 and nothing changes.

Every HTML URL of the URL conf (the walk of test_tenant_isolation_walk, filled with alice's own ids,
so the request would otherwise be allowed) gets POST, PUT, PATCH and DELETE from alice's browser
session with CSRF checks on and no token: always 403, no ConnectWise write, no database change. With
the token (as htmx sends it from ``<body hx-headers>``) the same requests go through.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.security.test_tenant_isolation_walk import API_PREFIX, ROUTES, fill

pytestmark = pytest.mark.django_db

HTML_ROUTES = [r for r in ROUTES if not r.startswith(("admin/", API_PREFIX))]
ADMIN_WRITES = ["admin/psa/psaconnection/<path:object_id>/change/", "admin/auth/user/add/",
                "admin/assist/assistsession/<path:object_id>/delete/", "admin/logout/"]
BODY = {"text": "no token", "kind": "internal", "status": "12", "board": "1", "member": "102", "title": "x",
        "ticket_id": "1001", "user": "", "action": "create", "summary": "x", "site": "evil.example",
        "username": "alice", "password": "pw-alice"}


@pytest.fixture
def ids(alice, bob, account, alice_tenant, alice_mapping, connection, sandbox):
    from assist.models import AssistSession, Message, SessionAction
    from teams.models import Invitation
    from tickets import service

    ticket = service.search_tickets(alice_tenant, service.TicketFilters(assigned="me")).items[0]
    session = AssistSession.objects.create(account=account, user=alice, title="Outlook crashes",
                                           linked_ticket_id=ticket.id, linked_company_id=ticket.company_id)
    message = Message.objects.create(session=session, role="user", text="Outlook crashes on start")
    action = SessionAction.objects.create(session=session, message=message, type="create_spin_off_ticket",
                                          label="Printer offline")
    invitation, raw_token = Invitation.issue(account, by=alice)
    sandbox.clear_log()
    return {"ticket": ticket.id, "member": alice_mapping.psa_member_id, "session": session.pk, "action": action.pk,
            "board": 1, "user": alice.pk, "group": 1, "account": account.pk, "connection": connection.pk,
            "app_label": "psa", "admin_url": "psa/nothing", "content_type": 1,
            "membership": bob.membership.pk, "invitation": invitation.pk, "link_token": raw_token, "uid": "MQ",
            "saved_view": _saved_view(account, alice), "view_action": "rename",
            "bulk_job": _bulk_job(account, alice, ticket.id)}


def _bulk_job(account, alice, ticket_id: int):
    """A bulk note not yet run: a chunk request without the token must not add it."""
    import uuid

    from tickets.models import BulkJob

    return BulkJob.objects.create(id=uuid.uuid4(), account=account, user=alice, action="note",
                                  text="Checked by the NOC", ticket_ids=[ticket_id]).pk


def _saved_view(account, alice) -> int:
    from tickets.models import SavedView

    return SavedView.objects.create(account=account, owner=alice, name="Service Desk", query="board=1").pk


def state(sandbox) -> dict:
    """Everything an unsafe request could change."""
    from django.contrib.auth.models import User

    from assist.models import AssistSession, Message, SessionAction
    from psa.models import MemberMapping, Membership, PSAConnection
    from teams.models import Invitation
    from tickets.models import DefaultSavedView, IdempotencyRecord, SavedView

    return {
        "saved_views": list(SavedView.objects.values_list("id", "name", "shared", "position")),
        "default_views": list(DefaultSavedView.objects.values_list("user_id", "view_id")),
        "sessions": list(AssistSession.objects.values_list("id", "title", "linked_ticket_id")),
        "messages": Message.objects.count(),
        "actions": list(SessionAction.objects.values_list("id", "status")),
        "mappings": list(MemberMapping.objects.values_list("user_id", "psa_member_id")),
        "connections": list(PSAConnection.objects.values_list("id", "site", "client_id", "updated")),
        "users": list(User.objects.values_list("id", "is_staff", "password")),
        "idempotency": IdempotencyRecord.objects.count(),
        "memberships": list(Membership.objects.values_list("user_id", "account_id", "role")),
        "invitations": list(Invitation.objects.values_list("pk", "revoked_at", "accepted_at")),
        "tickets": sandbox.ticket_count(),
        "psa_writes": [r for r in sandbox.request_log if r.method != "GET"],
    }


@pytest.fixture
def signed_in(alice):
    """alice's browser session: signed in, CSRF enforced, and no token sent unless a test adds it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def _send(client, method: str, path: str, **headers):
    if method == "POST":
        return client.post(path, BODY, **headers)
    return getattr(client, method.lower())(path, json.dumps(BODY), content_type="application/json", **headers)


@pytest.mark.parametrize("route", HTML_ROUTES)
def test_an_unsafe_html_request_without_the_token_is_refused_and_changes_nothing(route, signed_in, ids, sandbox):
    path = fill(route, ids)
    before = state(sandbox)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}, {"HTTP_X_CSRFTOKEN": "forged-token-value-0123456789"}):
            response = _send(signed_in, method, path, **headers)
            assert response.status_code == 403, f"{method} {path} {headers} -> {response.status_code}"
            assert "CSRF" in response.content.decode()
    assert state(sandbox) == before
    assert signed_in.get("/").status_code == 200, "still signed in (logout without a token is refused too)"


@pytest.mark.parametrize("route", ADMIN_WRITES)
def test_admin_writes_without_the_token_are_refused(route, admin_user, ids, sandbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = state(sandbox)
    path = fill(route, ids)
    response = client.post(path, BODY)
    assert response.status_code == 403
    assert state(sandbox) == before


def _token(client) -> str:
    """The token exactly as htmx sends it: from the page's <body hx-headers>."""
    html = client.get("/tickets").content.decode()
    headers = json.loads(re.search(r"<body hx-headers='([^']+)'", html).group(1))
    return headers["x-csrftoken"]


def test_with_the_token_from_hx_headers_the_same_requests_go_through(signed_in, ids, sandbox):
    token = _token(signed_in)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_X_CSRFTOKEN": token}
    ticket = ids["ticket"]
    note = signed_in.post(f"/tickets/{ticket}/notes", {"text": "with a token", "kind": "internal"}, **hx)
    assert note.status_code == 200
    message = signed_in.post(f"/assist/{ids['session']}/messages", {"text": "still crashing"}, **hx)
    assert message.status_code == 200
    status = signed_in.post(f"/tickets/{ticket}/status", {"status": 12, "board": 1, "current": 11}, **hx)
    assert status.status_code in (200, 422)
    assert [r.method for r in sandbox.request_log if r.method != "GET"] == ["POST", "PATCH"]


def test_every_html_form_carries_the_token(alice_client, ids):
    """Forms posted without htmx (no JavaScript) carry csrfmiddlewaretoken themselves."""
    pages = ["/tickets", f"/tickets?ticket={ids['ticket']}", "/assist/", f"/assist/{ids['session']}/",
             "/account/integrations", "/account/integrations/mappings", "/tickets/new?tab=full",
             f"/tickets/{ids['ticket']}/resources", f"/tickets/{ids['ticket']}/detail?company="]
    for page in pages:
        html = alice_client.get(page).content.decode()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S):
            if re.search(r'method="post"', form, re.I):
                assert 'name="csrfmiddlewaretoken"' in form, f"{page}: {form[:200]}"
