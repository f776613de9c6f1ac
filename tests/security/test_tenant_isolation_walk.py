"""Tenant isolation across every URL: a generated walk of the whole URL conf with a user of another account.

Every URL pattern (``get_resolver()``, recursively through includes, the admin and the JSON API) is
filled with ids that belong to account A (Acme MSP: alice's Assist session, its action, a ticket of
alice's queue, alice's member mapping, A's admin objects) and requested by charlie (Other MSP, admin
of his own account, with his own connection) — GET and POST for HTML and admin URLs, every method for
the API with charlie's Bearer token. He never gets a 500, never sees any of A's data (A's session
title, messages, action labels, linked summary, alice's name, A's connection client id, A's account
name), gets 403/404/redirect or his own data, and nothing of A changes.

A new URL pattern whose parameters the walker cannot fill fails ``test_the_walker_can_fill_every_url``:
add its parameter to ``FILL`` (with an id of account A) so the new URL is covered.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

pytestmark = pytest.mark.django_db

MARK = "AcmeOnly"  # every piece of A's own data carries it
A_STRINGS = [MARK, "Acme MSP", "alice@example.com", "Alicia"]
ALLOWED = {200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 409, 422}
API_PREFIX = "integrations/psa/"
# Every path parameter the URL conf uses -> which of A's ids fills it (see ``a_ids``).
FILL = {
    "ticket_id": "ticket",
    "member_id": "member",
    "session_id": "session",
    "board_id": "board",
    "object_id": "admin_object",  # resolved per admin model (ADMIN_MODELS)
    "content_type_id": "content_type",
    "id": "user",  # admin/auth/user/<id>/password/
    "app_label": "app_label",
    "url": "admin_url",
    "membership_id": "membership",
    "invitation_id": "invitation",
    "token": "link_token",  # invite/<token>, reset/<uidb64>/<token>/: a link nobody issued
    "uidb64": "uid",
    "view_id": "saved_view",
    "action": "view_action",  # tickets/views/<view_id>/<action>: rename, delete, ...
    "job_id": "bulk_job",  # tickets/bulk/<job_id>: a bulk action's next chunk
}
# Admin model URLs -> which of A's objects fills their object_id.
ADMIN_MODELS = {
    "auth/user": "user",
    "auth/group": "group",
    "psa/account": "account",
    "psa/psaconnection": "connection",
    "psa/membership": "membership",
    "psa/membermapping": "mapping",
    "tickets/apitoken": "token",
    "tickets/idempotencyrecord": "idempotency",
    "assist/assistsession": "session",
    "assist/sessionaction": "action",
    "r/<path:content_type_id>": "session",  # view on site: content_type_id is AssistSession's
}
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def walk(patterns=None, prefix=""):
    """Every URL pattern as its full route text (include prefixes joined), recursively."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


ROUTES = sorted({route for route, _ in walk()})


def parameters(route: str) -> list[str]:
    return [m.group("name") or m.group("group") for m in PARAM.finditer(route)]


def fill(route: str, ids: dict) -> str:
    """The concrete path for ``route`` with A's ids; raises KeyError for a parameter nobody fills."""
    def value(name: str) -> str:
        key = FILL[name]
        if key == "admin_object":
            model = re.match(r"admin/(\w+/[\w<>:]+)/", route)
            return str(ids[ADMIN_MODELS[model.group(1)]])
        return str(ids[key])

    path = PARAM.sub(lambda m: value(m.group("name") or m.group("group")), route)
    path = path.replace("^", "").replace("$", "").replace(".*", "anything")
    return "/" + path


# --- account A's data ------------------------------------------------------------------------


@pytest.fixture
def a_ids(alice, account, alice_mapping, connection, sandbox):
    """Account A's objects, all marked, and their ids."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from assist.models import AssistSession, Message, SessionAction
    from psa.models import Membership
    from psa.tenancy import tenant_for
    from tickets import service
    from tickets.models import APIToken, IdempotencyRecord

    alice.first_name, alice.last_name = "Alicia", f"{MARK}person"
    alice.save()
    connection.client_id = f"{MARK}-client"
    connection.save()
    alice_mapping.name = f"John Smith {MARK}"
    alice_mapping.save()
    ticket = service.search_tickets(tenant_for(alice), service.TicketFilters(assigned="me")).items[0]
    session = AssistSession.objects.create(account=account, user=alice, title=f"{MARK} session: CFO laptop",
                                           linked_ticket_id=ticket.id, linked_company_id=ticket.company_id,
                                           linked_board_id=ticket.board_id, linked_ticket_summary=f"{MARK} linked")
    message = Message.objects.create(session=session, role="assistant", text=f"{MARK} assistant reply")
    action = SessionAction.objects.create(session=session, message=message, type="create_spin_off_ticket",
                                          label=f"{MARK} spin-off", summary_hint=f"{MARK} hint")
    token, _ = APIToken.issue(alice, name=f"{MARK} token")
    record = IdempotencyRecord.objects.create(account=account, user=alice, key=f"{MARK}-key", request_hash="0" * 64,
                                              state=IdempotencyRecord.State.DONE, created=timezone.now(),
                                              attempt_started=timezone.now())
    group = Group.objects.create(name=f"{MARK} group")
    from teams.models import Invitation

    invitation, _ = Invitation.issue(account, by=alice, email=f"{MARK}@acme.example")
    from tickets.models import SavedView

    saved_view = SavedView.objects.create(account=account, owner=alice, name=f"{MARK} view", query="board=1", shared=True)
    from tickets.models import BulkJob

    bulk_job = BulkJob.objects.create(id=uuid.uuid4(), account=account, user=alice, action="note", text=f"{MARK} note",
                                      ticket_ids=[ticket.id])
    return {
        "saved_view": saved_view.pk, "view_action": "rename", "bulk_job": bulk_job.pk,
        "ticket": ticket.id, "member": alice_mapping.psa_member_id, "session": session.pk, "action": action.pk,
        "board": 1, "user": alice.pk, "group": group.pk, "account": account.pk, "connection": connection.pk,
        "membership": Membership.objects.get(user=alice).pk, "mapping": alice_mapping.pk, "token": token.pk,
        "idempotency": record.pk, "content_type": ContentType.objects.get_for_model(AssistSession).pk,
        "app_label": "psa", "admin_url": "psa/no-such-model",
        "invitation": invitation.pk, "link_token": "not-an-issued-token", "uid": "MQ",
    }


def snapshot_of_a(ids: dict) -> dict:
    """Everything of A that charlie might try to change."""
    from assist.models import AssistSession, Message, SessionAction
    from psa.models import MemberMapping, Membership, PSAConnection
    from teams.models import Invitation
    from tickets.models import BulkJob

    session = AssistSession.objects.get(pk=ids["session"])
    connection = PSAConnection.objects.get(pk=ids["connection"])
    return {
        "session": (session.title, session.linked_ticket_id, session.linked_ticket_summary, session.account_id),
        "messages": list(Message.objects.filter(session=session).values_list("role", "text")),
        "actions": list(SessionAction.objects.filter(session=session).values_list("status", "created_ticket_id")),
        "mappings": list(MemberMapping.objects.filter(account_id=ids["account"])
                         .values_list("user_id", "psa_member_id")),
        "connection": (connection.site, connection.company_id, connection.public_key, connection.client_id,
                       connection.updated),
        "memberships": list(Membership.objects.filter(account_id=ids["account"]).values_list("user_id", "role")),
        "invitations": list(Invitation.objects.filter(account_id=ids["account"])
                            .values_list("pk", "revoked_at", "accepted_at")),
        "bulk_jobs": list(BulkJob.objects.filter(account_id=ids["account"]).values_list("pk", "outcomes", "claimed")),
    }


@pytest.fixture
def charlie_setup(charlie, other_account, other_connection):
    from tickets.models import APIToken

    _, raw = APIToken.issue(charlie, name="charlie")
    return {"user": charlie, "token": raw}


def _charlie_session(charlie) -> Client:
    client = Client()
    client.force_login(charlie)
    return client


def _assert_nothing_of_a(response, route: str, method: str):
    body = response.content.decode(errors="replace")
    where = f"{method} {route} -> {response.status_code}"
    assert response.status_code in ALLOWED, f"{where}: {body[:300]}"
    assert "Traceback" not in body, where
    for text in A_STRINGS:
        assert text not in body, f"{where} shows A's {text!r}"
        assert text not in json.dumps(dict(response.headers)), f"{where} sends A's {text!r} in a header"


# --- the walk ---------------------------------------------------------------------------------


def test_the_walker_finds_every_part_of_the_url_conf():
    """The walk goes through includes: the HTML apps, the admin and the JSON API are all there."""
    assert "tickets/<int:ticket_id>/detail" in ROUTES
    assert "assist/<int:session_id>/tickets/search" in ROUTES
    assert "account/integrations/mappings/<int:member_id>" in ROUTES
    assert "admin/psa/psaconnection/<path:object_id>/change/" in ROUTES
    assert f"{API_PREFIX}tickets/<ticket_id>/resources/<member_id>" in ROUTES
    assert len(ROUTES) > 90


def test_the_walker_can_fill_every_url():
    """A new URL with a parameter the walker does not know must be added to FILL (or ADMIN_MODELS)."""
    unknown = {}
    fake = {key: 1 for key in set(FILL.values()) | set(ADMIN_MODELS.values())}
    for route in ROUTES:
        try:
            fill(route, fake)
        except (KeyError, AttributeError) as error:
            unknown[route] = repr(error)
    assert unknown == {}, f"add these URL parameters to FILL / ADMIN_MODELS: {unknown}"


def test_regex_patterns_are_filled_too():
    regexes = [route for route, entry in walk() if isinstance(entry.pattern, RegexPattern)]
    assert regexes, "the admin catch-all and the API's unknown-path pattern are regex patterns"
    fake = {key: 1 for key in set(FILL.values()) | set(ADMIN_MODELS.values())} | {"app_label": "psa",
                                                                                 "admin_url": "psa/x"}
    for route in regexes:
        assert not re.search(r"[()^$?]", fill(route, fake)), route


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.startswith(("admin/", API_PREFIX))])
def test_charlie_never_sees_or_changes_account_a_through_an_html_url(route, a_ids, charlie_setup, sandbox):
    path = fill(route, a_ids)
    before = snapshot_of_a(a_ids)
    charlie = charlie_setup["user"]
    body = {"text": "charlie was here", "title": "charlie session", "ticket_id": str(a_ids["ticket"]),
            "user": str(a_ids["user"]), "member": str(a_ids["member"]), "status": "12", "board": "1",
            "current": "11", "current_name": "New", "kind": "internal",
            "session_id": str(a_ids["session"]), "action_id": str(a_ids["action"])}
    for method in ("GET", "POST"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            client = _charlie_session(charlie)
            response = client.get(path, **headers) if method == "GET" else client.post(path, body, **headers)
            _assert_nothing_of_a(response, route, method)
            if "<int:session_id>" in route:
                assert response.status_code in (404, 405), f"{method} {route}: A's session is not charlie's"
    assert snapshot_of_a(a_ids) == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r.startswith("admin/")])
def test_charlie_is_not_staff_so_every_admin_url_sends_him_to_the_admin_login(route, a_ids, charlie_setup):
    path = fill(route, a_ids)
    before = snapshot_of_a(a_ids)
    for method in ("GET", "POST"):
        client = _charlie_session(charlie_setup["user"])
        response = client.get(path) if method == "GET" else client.post(path, {"title": "x", "name": "x"})
        _assert_nothing_of_a(response, route, method)
        if route in ("admin/login/", "admin/logout/", "admin/jsi18n/"):
            continue  # public admin pages (the login form; logout; the i18n catalogue)
        assert response.status_code in (302, 404), f"{method} {route} -> {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/"), response["Location"]
    assert snapshot_of_a(a_ids) == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r.startswith(API_PREFIX)])
def test_charlie_never_sees_or_changes_account_a_through_the_api(route, a_ids, charlie_setup, sandbox):
    path = fill(route, a_ids)
    before = snapshot_of_a(a_ids)
    api = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {charlie_setup['token']}")
    payload = json.dumps({"status_id": 12, "member_id": a_ids["member"], "prompt": "charlie"})
    for method in ("get", "post", "patch", "delete"):
        response = getattr(api, method)(path, payload, content_type="application/json") if method != "get" \
            else api.get(path)
        _assert_nothing_of_a(response, route, method.upper())
        assert response.status_code != 401, "charlie's token is valid: he is answered for his own account"
    assert snapshot_of_a(a_ids) == before


def test_charlies_member_mappings_are_his_own(a_ids, charlie_setup):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {charlie_setup['token']}")
    body = api.get("/integrations/psa/member-mappings").json()
    assert body["mappings"] == [] and body["current_user_mapped"] is False
    page = _charlie_session(charlie_setup["user"]).get("/account/integrations/mappings", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200 and 'class="is-mapped"' not in html and "tag-rf" not in html


def test_the_modal_refuses_a_session_or_action_of_account_a(a_ids, charlie_setup):
    client = _charlie_session(charlie_setup["user"])
    opened = client.get(f"/tickets/new?tab=quick&session={a_ids['session']}&action={a_ids['action']}",
                        HTTP_HX_REQUEST="true")
    assert opened.status_code == 404
    posted = client.post("/tickets/new", {"session_id": a_ids["session"], "action_id": a_ids["action"],
                                          "action": "tab:full"}, HTTP_HX_REQUEST="true")
    assert posted.status_code == 404
    _assert_nothing_of_a(opened, "/tickets/new", "GET")
    _assert_nothing_of_a(posted, "/tickets/new", "POST")


def test_charlie_cannot_map_alice_or_be_mapped_into_account_a(a_ids, charlie_setup):
    from psa.models import MemberMapping

    client = _charlie_session(charlie_setup["user"])
    response = client.post(f"/account/integrations/mappings/{a_ids['member']}", {"user": a_ids["user"]},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Choose a user of this account." in response.content.decode()
    assert not MemberMapping.objects.filter(account=charlie_setup["user"].membership.account,
                                            user_id=a_ids["user"]).exists()
