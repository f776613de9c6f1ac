"""The ticket drawer: /tickets/<id>/panel (shell), /detail, /status and /notes."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ROW = ("summary=Printer+offline&company=Acme+Corp&company_id=250&board=Service+Desk&board_id=1"
       "&status=New&status_id=11&priority=Priority+3+-+Normal+Response&priority_id=3")


def _toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["toast"]


def _ticket(client, **filters) -> tuple[int, int, int]:
    """(ticket id, company id, board id) of the first open ticket matching the filters."""
    from psa.models import Account
    from tickets import service

    account = Account.objects.get(name="Acme MSP")
    item = service.search_tickets(account, None, service.TicketFilters(**filters)).items[0]
    return item.id, item.company_id, item.board_id


def test_the_shell_opens_from_row_data_without_a_psa_call(alice_client, alice_mapping, sandbox):
    sandbox.clear_log()
    response = alice_client.get(f"/tickets/1042/panel?{ROW}", **HX)
    html = response.content.decode()
    assert sandbox.request_log == []
    assert 'role="dialog"' in html and 'aria-labelledby="drawer-title-1042"' in html
    assert re.search(r'id="drawer-title-1042"[^>]*><span class="tid">#1042</span>', html)
    assert "Printer offline" in html and "Acme Corp" in html and "Service Desk" in html
    assert 'hx-get="/tickets/1042/detail?company=250" hx-trigger="load"' in html
    assert 'hx-get="/tickets/1042/resources" hx-trigger="load"' in html
    assert 'class="sk' in html  # skeletons until the sections land


def test_the_shell_survives_missing_or_bad_row_data(alice_client, alice_mapping):
    response = alice_client.get("/tickets/1042/panel?company_id=abc", **HX)
    assert response.status_code == 200
    assert 'hx-get="/tickets/1042/detail?company=" hx-trigger="load"' in response.content.decode()


def test_the_detail_section_renders_notes_configurations_related_and_facts(alice_client, alice_mapping):
    ticket_id, company_id, _ = _ticket(alice_client, company=250)
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert f'id="detail-{ticket_id}"' in html
    assert f'id="notes-{ticket_id}"' in html and 'class="note note-' in html
    assert "Configurations" in html and "Related tickets" in html
    assert f'id="facts-{ticket_id}" class="facts" hx-swap-oob="true"' in html
    assert "Contact" in html and "SLA" in html
    assert f'id="drawer-status-{ticket_id}" class="status-control" hx-swap-oob="true"' in html
    assert f'id="note-form-{ticket_id}"' in html


def test_a_failing_section_shows_its_own_retry(alice_client, alice_mapping, sandbox):
    ticket_id, company_id, _ = _ticket(alice_client, company=250)
    sandbox.inject("500", path=r"/notes")
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert "Could not load notes" in html
    assert f'hx-get="/tickets/{ticket_id}/detail?company={company_id}" hx-target="#detail-{ticket_id}"' in html
    assert ">Retry</button>" in html
    assert "Could not load configurations" not in html and "Related tickets" in html
    sandbox.clear_faults()
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert "Could not load notes" not in html


def test_a_missing_ticket_shows_an_error_in_the_details(alice_client, alice_mapping):
    html = alice_client.get("/tickets/99999/detail?company=250", **HX).content.decode()
    assert "Could not load ticket details" in html


def test_the_detail_needs_a_connection(alice_client):
    assert "No PSA connection" in alice_client.get("/tickets/1000/detail", **HX).content.decode()


def test_it_changes_the_status_updates_the_row_and_toasts(alice_client, alice_mapping):
    ticket_id, _, board_id = _ticket(alice_client, board=1, status=11)
    response = alice_client.post(f"/tickets/{ticket_id}/status", {"status": 12, "board": board_id, "current": 11}, **HX,
                                 HTTP_HX_CURRENT_URL="http://testserver/tickets?board=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<option value="12" selected>In Progress</option>', html)
    assert f'id="ticket-row-{ticket_id}" data-row' in html and 'hx-swap-oob="true"' in html
    assert f"ticket={ticket_id}&amp;board=1" in html
    assert _toast(response) == {"message": f"Ticket #{ticket_id}: New → In Progress", "level": "success"}
    assert alice_client.get(f"/tickets?ticket={ticket_id}").content.decode().count(">In Progress<") >= 1


def test_a_status_change_from_the_dashboard_sends_no_queue_row_and_fetches_no_ticket(alice_client, alice_mapping, sandbox):
    ticket_id, _, board_id = _ticket(alice_client, board=1, status=11)
    sandbox.clear_log()
    response = alice_client.post(f"/tickets/{ticket_id}/status", {"status": 12, "board": board_id, "current": 11}, **HX,
                                 HTTP_HX_CURRENT_URL="http://testserver/")
    assert response.status_code == 200
    assert f'id="ticket-row-{ticket_id}"' not in response.content.decode()
    assert [(r.method, r.path) for r in sandbox.request_log if r.path == f"/service/tickets/{ticket_id}"] == [
        ("GET", f"/service/tickets/{ticket_id}"), ("PATCH", f"/service/tickets/{ticket_id}")]


def test_a_refused_status_change_keeps_the_old_status_and_explains(alice_client, alice_mapping, sandbox):
    ticket_id, _, board_id = _ticket(alice_client, board=1, status=11)
    sandbox.inject("500", method="PATCH")
    response = alice_client.post(f"/tickets/{ticket_id}/status", {"status": 12, "board": board_id, "current": 11, "current_name": "New"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'<option value="11" selected>New</option>', html)
    assert 'class="field-error"' in html
    assert _toast(response)["level"] == "error"


def test_a_status_change_without_a_status_is_refused(alice_client, alice_mapping):
    response = alice_client.post("/tickets/1000/status", {"board": 1}, **HX)
    assert response.status_code == 422
    assert "Choose a status" in response.content.decode()


def test_it_adds_a_note_and_clears_the_composer(alice_client, alice_mapping, sandbox):
    ticket_id, _, _ = _ticket(alice_client)
    response = alice_client.post(f"/tickets/{ticket_id}/notes", {"text": "Called the user back", "kind": "discussion"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-swap-oob="beforeend:#notes-{ticket_id}"' in html
    assert "Called the user back" in html and 'class="badge kind-discussion"' in html
    assert re.search(r'<textarea[^>]*name="text"[^>]*></textarea>', html)  # cleared
    assert _toast(response)["level"] == "success"


def test_a_failed_note_keeps_the_text_and_shows_the_error(alice_client, alice_mapping, sandbox):
    ticket_id, _, _ = _ticket(alice_client)
    sandbox.inject("503", method="POST", path=r"/notes")
    response = alice_client.post(f"/tickets/{ticket_id}/notes", {"text": "Do not lose me", "kind": "internal"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert ">Do not lose me</textarea>" in html
    assert 'class="field-error"' in html and "hx-swap-oob" not in html


@pytest.mark.parametrize("data, message", [
    ({"text": "   ", "kind": "internal"}, "Write a note first"),
    ({"text": "hello", "kind": "resolution"}, "Choose Internal or Discussion"),
    ({"text": "x" * 10_001, "kind": "internal"}, "limited to 10,000 characters"),
])
def test_it_refuses_bad_notes(alice_client, alice_mapping, data, message):
    response = alice_client.post("/tickets/1000/notes", data, **HX)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_drawer_actions_need_post(alice_client, alice_mapping):
    assert alice_client.get("/tickets/1000/status").status_code == 405
    assert alice_client.get("/tickets/1000/notes").status_code == 405
