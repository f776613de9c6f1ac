"""The spin-off lifecycle through the views: TaskLane action -> New Ticket modal -> create -> action done."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from assist import services
from psa.providers.base import psa_name
from tests.reliability.psa_faults import where

HTMX = {"HX-Request": "true"}
SECOND_PROBLEM = "Outlook crashes. Also the fax machine is dead."

REFUSAL = {"connectwise": "400", "autotask": "validation"}  # each PSA's "the ticket is invalid"


@pytest.fixture
def ui(alice_client, alice_mapping):
    return alice_client


@pytest.fixture
def action(session):
    services.post_message(session, SECOND_PROBLEM)
    return services.pending_actions(session).get()


def _links(page: str) -> dict[str, str]:
    """data-tab -> href of the page's New Ticket links."""
    return {tab: html_lib.unescape(href) for href, tab in
            re.findall(r'href="([^"]+)" data-new-ticket data-tab="(\w+)"', page)}


def _open(ui, url: str) -> str:
    response = ui.get(url, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _input(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def _draft_from(page: str) -> dict:
    """Every named input of the rendered modal, as the browser would post it."""
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    data.update(re.findall(r'<input type="text" id="[\w-]+" name="(\w+)" value="([^"]*)"', page))
    for name, options in re.findall(r'<select[^>]*name="(\w+)"(.*?)</select>', page, re.S):
        selected = re.search(r'<option[^>]*value="(\d+)" selected', options)
        data[name] = selected.group(1) if selected else ""
    prompt = re.search(r'name="prompt"[^>]*>([^<]*)</textarea>', page)
    if prompt:
        data["prompt"] = html_lib.unescape(prompt.group(1))
    data.pop("csrfmiddlewaretoken", None)
    return data


def _session_page(ui, session) -> str:
    return ui.get(f"/assist/{session.id}/").content.decode()


def test_the_tasklane_action_opens_quick_create_with_the_hint_as_the_prompt(ui, linked_session, action):
    url = _links(_session_page(ui, linked_session))["quick"]
    assert f"action={action.id}" in url and f"session={linked_session.id}" in url
    page = _open(ui, url)
    assert 'aria-selected="true">Quick Create' in page
    assert f">{action.summary_hint}</textarea>" in page
    assert _input(page, "summary") == ""  # the hint never goes straight into the summary
    assert _input(page, "company") == "Acme Dental"  # the linked ticket's company (251) and board (1)
    assert _input(page, "board_id") == "1"
    assert (_input(page, "action_id"), _input(page, "session_id")) == (str(action.id), str(linked_session.id))


def test_the_header_button_opens_the_full_form_with_the_linked_tickets_company_and_board(ui, linked_session):
    page = _open(ui, _links(_session_page(ui, linked_session))["full"])
    assert 'aria-selected="true">Full Form' in page
    assert _input(page, "company") == "Acme Dental"
    assert re.search(r'<option value="1" selected>Service Desk</option>', page)


def test_without_a_linked_ticket_company_and_board_start_empty(ui, session, action):
    links = _links(_session_page(ui, session))
    for url in links.values():
        page = _open(ui, url)
        assert _input(page, "company") == ""
        assert "Choose a board first" in page or _input(page, "board_id") == ""
    assert "company=" not in links["quick"] and "board=" not in links["quick"]


def test_opening_and_dismissing_the_modal_leaves_the_action(ui, linked_session, action):
    page = _open(ui, _links(_session_page(ui, linked_session))["quick"])
    ui.post("/tickets/new", {**_draft_from(page), "action": "tab:full"}, headers=HTMX)  # then Cancel: nothing posted
    action.refresh_from_db()
    assert action.status == "pending"
    assert f'id="action-{action.id}"' in _session_page(ui, linked_session)


def test_parse_then_create_marks_the_action_done_with_the_ticket_number(ui, linked_session, action, sandbox, psa_kind):
    before = sandbox.ticket_count()
    page = _open(ui, _links(_session_page(ui, linked_session))["quick"])
    parsed = ui.post("/tickets/new", {**_draft_from(page), "action": "parse"}, headers=HTMX).content.decode()
    assert _input(parsed, "summary") == "The fax machine is dead"
    assert services.pending_actions(linked_session).count() == 1  # parsing changes nothing

    draft = {**_draft_from(parsed), "summary": "The fax machine is dead", "status_id": "11", "priority_id": "3"}
    response = ui.post("/tickets/new", {**draft, "action": "create"}, headers=HTMX)
    assert response.status_code == 204
    ticket_id = json.loads(response["HX-Trigger"])["ticketCreated"]["id"]
    assert f"Ticket #{ticket_id} created in {psa_name(psa_kind)}" in response["HX-Trigger"]
    assert sandbox.ticket_count() == before + 1

    action.refresh_from_db()
    assert (action.status, action.created_ticket_id) == ("done", ticket_id)
    lane = ui.get(f"/assist/{linked_session.id}/?part=tasklane", headers=HTMX).content.decode()
    assert f'id="action-{action.id}"' not in lane
    assert f'<a href="/tickets?ticket={ticket_id}">Ticket #{ticket_id}</a>' in lane


def test_a_failed_create_leaves_the_action_pending(ui, linked_session, action, sandbox, psa_kind):
    method, path = where(psa_kind, "create")
    sandbox.inject(REFUSAL[psa_kind], method=method, path=path)
    page = _open(ui, _links(_session_page(ui, linked_session))["quick"])
    draft = {**_draft_from(page), "summary": "Fax dead", "status_id": "11", "priority_id": "3"}
    assert ui.post("/tickets/new", {**draft, "action": "create"}, headers=HTMX).status_code == 422
    action.refresh_from_db()
    assert action.status == "pending"


def test_the_tasklane_refreshes_when_a_ticket_is_created(ui, session, action):
    assert 'hx-trigger="ticketCreated from:body"' in _session_page(ui, session)


def test_nobody_else_can_use_alices_session_or_action(connection, bob_client, linked_session, action, sandbox):
    assert bob_client.get(f"/tickets/new?tab=quick&action={action.id}&session={linked_session.id}",
                          headers=HTMX).status_code == 404
    before = sandbox.ticket_count()
    data = {"token": "b" * 32, "tab": "full", "summary": "x", "company": "Acme Corp", "board_id": "1", "status_id": "11",
            "priority_id": "3", "action_id": str(action.id), "session_id": str(linked_session.id), "action": "create"}
    assert bob_client.post("/tickets/new", data, headers=HTMX).status_code == 404
    assert sandbox.ticket_count() == before


def test_an_action_of_another_session_is_refused(ui, linked_session, action, alice, account):
    other = services.create_session(account, alice, "Another session")
    response = ui.get(f"/tickets/new?tab=quick&action={action.id}&session={other.id}", headers=HTMX)
    assert response.status_code == 404


def test_the_demo_seeds_a_linked_session_with_a_pending_spin_off_once(sandbox, db):
    from io import StringIO

    from django.core.management import call_command

    from assist.models import AssistSession

    call_command("demo", "--setup-only", stdout=StringIO())
    call_command("demo", "--setup-only", stdout=StringIO())
    session = AssistSession.objects.get(user__username="demo")
    assert session.linked_ticket_id is not None and session.linked_company_id is not None
    action = services.pending_actions(session).get()
    assert action.type == "create_spin_off_ticket"
    assert "printer" in action.summary_hint.lower(), action.summary_hint
    assert session.messages.count() == 2
