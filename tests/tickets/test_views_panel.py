"""The ticket drawer: /tickets/<id>/panel (shell), /detail, /status and /notes."""

from __future__ import annotations

import json
import re

import pytest

from tests.reliability.psa_faults import where

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ROW = ("summary=Printer+offline&company=Acme+Corp&company_id=250&board=Service+Desk&board_id=1"
       "&status=New&status_id=11&priority=Priority+3+-+Normal+Response&priority_id=3")


def _toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["toast"]


def _ticket(client, **filters) -> tuple[int, int, int]:
    """(ticket id, company id, board id) of the first open ticket matching the filters."""
    from psa.models import Account
    from psa.tenancy import tenant_for_account
    from tickets import service

    tenant = tenant_for_account(Account.objects.get(name="Acme MSP"))
    item = service.search_tickets(tenant, service.TicketFilters(**filters)).items[0]
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


def test_a_failing_section_shows_its_own_retry(alice_client, alice_mapping, sandbox, psa_kind):
    ticket_id, company_id, _ = _ticket(alice_client, company=250)
    method, path = where(psa_kind, "notes")  # the notes read, where each PSA serves it
    sandbox.inject("500", method=method, path=path)
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert "Could not load notes" in html
    assert f'hx-get="/tickets/{ticket_id}/detail?company={company_id}" hx-target="#detail-{ticket_id}"' in html
    assert ">Retry</button>" in html
    assert "Could not load configurations" not in html and "Related tickets" in html
    sandbox.clear_faults()
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert "Could not load notes" not in html


def _ticket_with_configurations(sandbox) -> tuple[int, int]:
    """(ticket id, company id) of an open sandbox ticket with at least two configurations attached."""
    links = sandbox.state["ticket_configurations"]
    ticket = next(t for t in sandbox.state["tickets"].values()
                  if len(set(links.get(t["id"], []))) >= 2 and not t.get("closedFlag") and t.get("company"))
    return ticket["id"], ticket["company"]["id"]


def _facts_url(html: str, ticket_id: int) -> str:
    return re.search(rf'hx-get="(/tickets/{ticket_id}/configurations\?ids=[0-9,]+)" hx-trigger="load"', html).group(1)


def test_the_detail_lists_configuration_names_at_once_and_loads_their_facts_lazily(alice_client, alice_mapping, sandbox):
    ticket_id, company_id = _ticket_with_configurations(sandbox)
    config = sandbox.state["configurations"][sandbox.state["ticket_configurations"][ticket_id][0]]
    html = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    assert f'<ul id="configs-{ticket_id}" class="configs">' in html
    assert f"<strong>{config['name']}</strong>" in html
    assert 'class="config-facts"' not in html  # serial, IP, OS: not yet
    assert f'id="config-facts-{ticket_id}" class="config-facts-slot" aria-busy="true"' in html
    assert "hx-on" not in html and "<script" not in html and " style=" not in html


def test_the_configuration_facts_replace_the_list_out_of_band(alice_client, alice_mapping, sandbox):
    ticket_id, company_id = _ticket_with_configurations(sandbox)
    detail = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    html = alice_client.get(_facts_url(detail, ticket_id), **HX).content.decode()
    assert f'<div id="config-facts-{ticket_id}" class="config-facts-slot">' in html
    assert f'<ul id="configs-{ticket_id}" class="configs" hx-swap-oob="true">' in html
    assert 'class="config-facts"' in html and "S/N " in html


def test_failing_configuration_facts_keep_the_names_and_offer_a_retry(alice_client, alice_mapping, sandbox):
    ticket_id, company_id = _ticket_with_configurations(sandbox)
    detail = alice_client.get(f"/tickets/{ticket_id}/detail?company={company_id}", **HX).content.decode()
    url = _facts_url(detail, ticket_id)
    sandbox.inject("500", path=r"^/company/configurations/")
    response = alice_client.get(url, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Could not load configuration details" in html and 'role="alert"' in html
    assert f'hx-get="{url}" hx-target="#config-facts-{ticket_id}" hx-swap="outerHTML">Retry</button>' in html
    assert "hx-swap-oob" not in html  # the references already on the page stay
    sandbox.clear_faults()
    assert "hx-swap-oob" in alice_client.get(url, **HX).content.decode()


def test_a_ticket_without_configurations_loads_no_facts(alice_client, alice_mapping, sandbox):
    links = sandbox.state["ticket_configurations"]
    ticket = next(t for t in sandbox.state["tickets"].values() if not links.get(t["id"]) and t.get("company"))
    html = alice_client.get(f"/tickets/{ticket['id']}/detail?company={ticket['company']['id']}", **HX).content.decode()
    assert "No configurations attached." in html and "config-facts-slot" not in html


def test_the_configuration_facts_without_ids_read_the_references_first(alice_client, alice_mapping, sandbox):
    ticket_id, _ = _ticket_with_configurations(sandbox)
    sandbox.clear_log()
    html = alice_client.get(f"/tickets/{ticket_id}/configurations", **HX).content.decode()
    assert "hx-swap-oob" in html
    assert sandbox.request_log[0].path == f"/service/tickets/{ticket_id}/configurations"


@pytest.mark.parametrize("ids", ["abc", "1,x", ",".join(["5"] * 51), "0", "99999999999"])
def test_bad_configuration_ids_are_an_inline_error_not_a_crash(alice_client, alice_mapping, sandbox, ids):
    sandbox.clear_log()
    response = alice_client.get(f"/tickets/1000/configurations?ids={ids}", **HX)
    assert response.status_code == 200
    assert "Could not load configuration details" in response.content.decode()
    assert sandbox.request_log == []


def test_the_configuration_facts_need_a_connection(alice_client):
    html = alice_client.get("/tickets/1000/configurations?ids=1", **HX).content.decode()
    assert "no PSA connection" in html


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
    row = html[html.index(f'id="ticket-row-{ticket_id}"'):]
    row = row[: row.index("</a>")]
    assert "hx-swap-oob" not in row.split(">", 1)[1]  # the row swaps as one; its assignees cell is not a second oob swap
    assert f"ticket={ticket_id}&amp;board=1" in html
    assert _toast(response) == {"message": f"Ticket #{ticket_id}: New → In Progress", "level": "success"}
    assert alice_client.get(f"/tickets?ticket={ticket_id}").content.decode().count(">In Progress<") >= 1


def test_the_refreshed_row_comes_from_the_status_change_itself(alice_client, alice_mapping, sandbox):
    ticket_id, _, board_id = _ticket(alice_client, board=1, status=11)
    sandbox.clear_log()
    response = alice_client.post(f"/tickets/{ticket_id}/status", {"status": 12, "board": board_id, "current": 11}, **HX,
                                 HTTP_HX_CURRENT_URL="http://testserver/tickets")
    html = response.content.decode()
    assert f'id="ticket-row-{ticket_id}" data-row' in html
    row = html[html.index(f'id="ticket-row-{ticket_id}"'):]
    assert ">In Progress<" in row[:row.index("</a>")]
    assert [r.method for r in sandbox.request_log if r.path == f"/service/tickets/{ticket_id}"] == ["GET", "PATCH"]


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
    ({"text": "hello", "kind": "issue"}, "Choose Internal, Discussion or Resolution"),
    ({"text": "x" * 10_001, "kind": "internal"}, "limited to 10,000 characters"),
])
def test_it_refuses_bad_notes(alice_client, alice_mapping, data, message):
    response = alice_client.post("/tickets/1000/notes", data, **HX)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_drawer_actions_need_post(alice_client, alice_mapping):
    assert alice_client.get("/tickets/1000/status").status_code == 405
    assert alice_client.get("/tickets/1000/notes").status_code == 405
