"""Spin-off back-links: a ticket created from an Assist session linked to #1042 is tied to it by two notes,
each drawer lists the other under Related, and a back-link that cannot be written never fails the creation."""

from __future__ import annotations

import json

import pytest

from psa.providers.base import psa_name
from psa.tenancy import tenant_for
from tickets.service import backlinks, get_ticket_panel

CW_NOTES = ("reads the ConnectWise sandbox's notes by ticket (text, internalAnalysisFlag) and injects faults at its "
            "/service/tickets/{id}/notes; Autotask's notes: tests/psa/autotask")
HTMX = {"HX-Request": "true"}
ORIGINAL = 1042  # the linked_session fixture's ticket ("Outlook crashes on launch")


@pytest.fixture
def ui(alice_client, alice_mapping):
    return alice_client


def _create_spin_off(ui, session, summary="Fax machine is dead"):
    data = {"token": "s" * 32, "tab": "full", "summary": summary, "company": "Acme Corp", "board_id": "1",
            "status_id": "11", "priority_id": "3", "session_id": str(session.id), "action": "create"}
    return ui.post("/tickets/new", data, headers=HTMX)


def _created_id(response) -> int:
    assert response.status_code == 204, response.content
    return json.loads(response["HX-Trigger"])["ticketCreated"]["id"]


def _toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["toast"]


def _notes(sandbox, ticket_id: int) -> list[dict]:
    return sandbox.state["notes"].get(ticket_id, [])


def _back_links(sandbox, ticket_id: int, start: str) -> list[dict]:
    return [note for note in _notes(sandbox, ticket_id) if note["text"].startswith(start)]


def _note_posts(sandbox) -> int:
    return sum(1 for e in sandbox.request_log if e.method == "POST" and e.path.endswith("/notes"))


@pytest.mark.connectwise_only(CW_NOTES)
def test_a_spin_off_and_its_original_each_get_a_link_note(ui, linked_session, sandbox, psa_kind):
    response = _create_spin_off(ui, linked_session)
    spin_off = _created_id(response)

    on_spin_off = _back_links(sandbox, spin_off, "Spun off from")
    on_original = _back_links(sandbox, ORIGINAL, "Spin-off")
    assert [n["text"] for n in on_spin_off] == [
        f"Spun off from #{ORIGINAL} — Outlook crashes on launch\n"
        f"ResolutionAssist session: http://testserver/assist/{linked_session.id}/"
    ]
    assert [n["text"] for n in on_original] == [f"Spin-off #{spin_off} created: Fax machine is dead"]
    assert all(n["internalAnalysisFlag"] and not n["detailDescriptionFlag"] for n in on_spin_off + on_original)
    assert _toast(response)["message"] == f"Ticket #{spin_off} created in {psa_name(psa_kind)}"


def test_a_ticket_from_a_session_without_a_linked_ticket_gets_no_link_note(ui, session, sandbox):
    spin_off = _created_id(_create_spin_off(ui, session))

    assert _back_links(sandbox, spin_off, "Spun off from") == []


def test_each_drawer_lists_the_other_under_related(ui, alice, linked_session, sandbox):
    spin_off = _created_id(_create_spin_off(ui, linked_session))
    tenant = tenant_for(alice)

    spin_off_related = get_ticket_panel(tenant, spin_off, 250).related.value
    original_related = get_ticket_panel(tenant, ORIGINAL, 258).related.value

    assert (spin_off_related[0].id, spin_off_related[0].relation) == (ORIGINAL, "Spun off from")
    assert (original_related[0].id, original_related[0].relation) == (spin_off, "Spin-off")
    assert original_related[0].summary == "Fax machine is dead"
    assert [row.id for row in original_related].count(spin_off) == 1  # listed once, even when also related by company


def test_the_drawer_page_shows_the_linked_ticket(ui, linked_session, sandbox):
    spin_off = _created_id(_create_spin_off(ui, linked_session))

    html = ui.get(f"/tickets/{spin_off}/detail?company=250", headers=HTMX).content.decode()

    related = html[html.index("Related tickets"):]
    assert f"#{ORIGINAL}" in related
    assert '<span class="tag tag-relation">Spun off from</span>' in related  # the link says what the other ticket is
    assert ">None<" not in related  # a linked ticket whose status the drawer has not read shows no status badge


@pytest.mark.connectwise_only(CW_NOTES)
def test_a_failed_link_note_leaves_the_ticket_created_and_says_so_with_retry(ui, linked_session, sandbox):
    before = sandbox.ticket_count()
    sandbox.inject("503", method="POST", path=rf"^/service/tickets/{ORIGINAL}/notes$")

    response = _create_spin_off(ui, linked_session)

    spin_off = _created_id(response)
    assert sandbox.ticket_count() == before + 1
    toast = _toast(response)
    assert toast["message"] == f"Ticket #{spin_off} created; the link note on #{ORIGINAL} could not be added"
    assert toast["level"] == "error"
    assert toast["action"] == {"label": "Retry", "method": "post",
                               "url": f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry"}
    assert len(_back_links(sandbox, spin_off, "Spun off from")) == 1  # the other note is there
    assert _back_links(sandbox, ORIGINAL, "Spin-off") == []


@pytest.mark.connectwise_only(CW_NOTES)
def test_retry_adds_the_missing_note_exactly_once(ui, linked_session, sandbox):
    sandbox.inject("503", method="POST", path=rf"^/service/tickets/{ORIGINAL}/notes$", times=1)
    spin_off = _created_id(_create_spin_off(ui, linked_session))
    sandbox.clear_log()

    first = ui.post(f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry")
    second = ui.post(f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry")

    assert first.status_code == 200 and first.json()["complete"]
    assert second.status_code == 200
    assert len(_back_links(sandbox, ORIGINAL, "Spin-off")) == 1
    assert len(_back_links(sandbox, spin_off, "Spun off from")) == 1
    assert _note_posts(sandbox) == 1  # the second retry wrote nothing


@pytest.mark.connectwise_only(CW_NOTES)
def test_retry_after_an_unanswered_write_finds_the_note_instead_of_adding_another(ui, linked_session, sandbox):
    """The PSA wrote the note but its answer was lost: the creation reports it missing, and Retry finds it."""
    sandbox.inject("malformed", method="POST", path=rf"^/service/tickets/{ORIGINAL}/notes$", times=1)
    response = _create_spin_off(ui, linked_session)
    spin_off = _created_id(response)
    assert "could not be added" in _toast(response)["message"]

    retried = ui.post(f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry")

    assert retried.status_code == 200
    assert len(_back_links(sandbox, ORIGINAL, "Spin-off")) == 1


@pytest.mark.connectwise_only(CW_NOTES)
def test_a_retry_that_fails_again_answers_with_the_psa_error_naming_the_ticket(ui, linked_session, sandbox):
    sandbox.inject("503", method="POST", path=rf"^/service/tickets/{ORIGINAL}/notes$")
    spin_off = _created_id(_create_spin_off(ui, linked_session))

    response = ui.post(f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry")

    assert response.status_code == 503
    assert f"The link note on #{ORIGINAL} could not be added" in response.json()["detail"]


@pytest.mark.connectwise_only(CW_NOTES)
def test_a_replayed_spin_off_writes_no_second_note(alice, connection, linked_session, sandbox):
    tenant = tenant_for(alice)
    record = dict(original_ticket_id=ORIGINAL, spin_off_ticket_id=1043, original_summary="Outlook crashes on launch",
                  spin_off_summary="Fax", origin_url="http://testserver/assist/1/")

    assert backlinks.record_spin_off(tenant, **record).ok
    assert backlinks.record_spin_off(tenant, **record).ok

    assert len(_back_links(sandbox, ORIGINAL, "Spin-off #1043")) == 1
    assert len(_back_links(sandbox, 1043, "Spun off from")) == 1


def test_another_account_cannot_retry_alices_back_links(ui, linked_session, charlie_token_client, other_connection,
                                                       sandbox):
    spin_off = _created_id(_create_spin_off(ui, linked_session))

    response = charlie_token_client.post(f"/integrations/psa/tickets/{spin_off}/spin-off-links/retry")

    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.fixture
def charlie_token_client(charlie):
    from django.test import Client

    from tickets.models import APIToken

    _, raw = APIToken.issue(charlie, name="tests")
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
