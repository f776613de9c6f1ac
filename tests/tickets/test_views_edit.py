"""Inline edit in the drawer header: /tickets/<id>/edit (summary, priority, required date) and its
concurrent-edit guard."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tickets?assigned=all"}

_CW = "uses the ConnectWise sandbox's seed and state (board, status and type names and ids, its members' time zones)"


def _tenant():
    from psa.models import Account
    from psa.tenancy import tenant_for_account

    return tenant_for_account(Account.objects.get(name="Acme MSP"))


def _ticket_id() -> int:
    from tickets import service

    return service.search_tickets(_tenant(), service.TicketFilters(assigned="all")).items[0].id


def _form_fields(html: str) -> dict:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields["summary"] = re.search(r'name="summary" value="([^"]*)"', html).group(1)
    fields["priority_id"] = re.search(r'<option value="(\d+)" selected>', html).group(1)
    fields["required_date"] = re.search(r'name="required_date" value="([^"]*)"', html).group(1)
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_the_form_opens_with_the_tickets_values_and_labels(alice_client, alice_mapping):
    html = alice_client.get(f"/tickets/{_ticket_id()}/edit", **HX).content.decode()
    for label in ("Summary", "Priority", "Required date"):
        assert f">{label}</label>" in html
    assert ">Save</button>" in html and ">Cancel</button>" in html


def test_saving_a_new_summary_updates_the_title_and_the_queue_row(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "Printer offline on 3rd floor"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert re.search(rf'id="drawer-summary-{ticket_id}"[^>]*hx-swap-oob="true">Printer offline on 3rd floor<', html)
    assert re.search(rf'id="ticket-row-{ticket_id}"[^>]*hx-swap-oob="true"', html)
    assert "ticketUpdated" in response["HX-Trigger"]  # the dashboard's My Queue reloads on it
    assert "Printer offline on 3rd floor" in [t.summary for t in [__import__("tickets").service.get_ticket(_tenant(), ticket_id)]]


@pytest.mark.connectwise_only(_CW)
def test_a_ticket_changed_in_connectwise_meanwhile_is_not_overwritten_blindly(alice_client, alice_mapping, sandbox):
    from psa.schemas import TicketChanges
    from tickets.service.edit import update_ticket

    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    update_ticket(_tenant(), ticket_id, TicketChanges(summary="Changed by a colleague"))  # someone else, meanwhile
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "My summary"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "was changed in ConnectWise by" in html and "Summary is now “Changed by a colleague”" in html
    assert 'value="My summary"' in html  # what was typed is kept
    assert "Re-apply my changes" in html and "Discard mine" in html

    again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    again.pop("csrfmiddlewaretoken", None)
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, **again, "summary": "My summary"}, **HX)
    assert response.status_code == 200, response.content.decode()
    from tickets import service

    assert service.get_ticket(_tenant(), ticket_id).summary == "My summary"


def test_an_empty_summary_is_refused_beside_the_field(alice_client, alice_mapping):
    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "   "}, **HX)
    assert response.status_code == 422
    assert re.search(r'name="summary"[^>]*aria-invalid="true"', response.content.decode())


# --- type/subtype/item and the board move (issue 19, part 2) -------------------------------------------------


def _select(html: str, name: str) -> tuple[str | None, dict[str, str]]:
    """A select's chosen value and its options by name."""
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = dict((label, value) for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block))
    chosen = re.search(r'<option value="([^"]*)" selected>', block)
    return (chosen.group(1) if chosen else None), options


def _ticket_on_board(board_id: int) -> int:
    from tickets import service

    return next(t.id for t in service.search_tickets(_tenant(), service.TicketFilters(assigned="all")).items
                if t.board_id == board_id)


@pytest.mark.connectwise_only(_CW)
def test_moving_a_ticket_to_another_board_asks_for_its_status_with_the_same_name_preselected(
        alice_client, alice_mapping, sandbox):
    from tickets import service

    ticket_id = _ticket_on_board(1)
    before = service.get_ticket(_tenant(), ticket_id)
    html = alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode()
    for label in ("Type", "Subtype", "Item", "Board"):
        assert f">{label}</label>" in html
    assert "Status on the new board" not in html
    fields = _form_fields(html)
    fields.update(board_id="1", type_id=_select(html, "type_id")[0] or "", subtype_id=_select(html, "subtype_id")[0] or "",
                  item_id=_select(html, "item_id")[0] or "", status_id=str(before.status_id))

    html = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "board_id": "2", "rebuild": "1"}, **HX).content.decode()
    chosen, statuses = _select(html, "status_id")
    assert ">Status on the new board</label>" in html
    assert chosen == statuses[before.status_name]  # the same-named status of Network Operations
    assert set(_select(html, "type_id")[1]) == {"—", "Outage", "Monitoring Alert", "Change", "Maintenance"}

    form = {**fields, "board_id": "2", "status_id": chosen, "type_id": _select(html, "type_id")[1]["Change"],
            "subtype_id": "", "item_id": ""}
    response = alice_client.post(f"/tickets/{ticket_id}/edit", form, **HX)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert re.search(rf'id="drawer-board-{ticket_id}" hx-swap-oob="true">Network Operations<', html)
    assert re.search(rf'id="drawer-status-{ticket_id}"[^>]*hx-swap-oob="true"', html)  # the new board's statuses
    assert re.search(rf'id="ticket-row-{ticket_id}"[^>]*hx-swap-oob="true"', html)
    after = service.get_ticket(_tenant(), ticket_id)
    assert (after.board_name, after.status_name, after.type_name) == ("Network Operations", before.status_name, "Change")


@pytest.mark.connectwise_only(_CW)
def test_choosing_a_type_offers_only_its_subtypes_and_saving_sets_type_subtype_and_item(alice_client, alice_mapping, sandbox):
    from tickets import service

    ticket_id = _ticket_on_board(1)
    html = alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode()
    fields = {**_form_fields(html), "board_id": "1", "status_id": str(service.get_ticket(_tenant(), ticket_id).status_id)}
    types = _select(html, "type_id")[1]
    html = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "type_id": types["How-to"], "subtype_id": "",
                                                            "item_id": "", "rebuild": "1"}, **HX).content.decode()
    subtypes = _select(html, "subtype_id")[1]
    assert "Email" in subtypes and "Hardware" not in subtypes  # odd subtypes go with the first two types only
    items = _select(html, "item_id")[1]

    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "type_id": types["How-to"],
                                 "subtype_id": subtypes["Email"], "item_id": items["Outlook"]}, **HX)
    assert response.status_code == 200, response.content.decode()
    after = service.get_ticket(_tenant(), ticket_id)
    assert (after.type_name, after.subtype_name) == ("How-to", "Email")
    assert after.item_id == int(items["Outlook"])


# --- the drawer's status select under the concurrent-edit guard ----------------------------------------------


def _status_form(html: str, ticket_id: int) -> dict:
    block = re.search(rf'<div id="drawer-status-{ticket_id}".*?</form>', html, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block))
    fields.pop("csrfmiddlewaretoken", None)
    return {name: value.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&") for name, value in fields.items()}


@pytest.mark.connectwise_only(_CW)
def test_a_status_change_on_a_ticket_changed_meanwhile_says_what_changed_and_can_be_re_applied_or_discarded(
        alice_client, alice_mapping, sandbox):
    from psa.schemas import TicketChanges
    from tickets import service
    from tickets.service.edit import update_ticket

    ticket_id = _ticket_on_board(1)
    html = alice_client.get(f"/tickets/{ticket_id}/detail", **HX).content.decode()
    form = _status_form(html, ticket_id)
    assert form["last_updated"] and '"summary"' in form["loaded"]
    update_ticket(_tenant(), ticket_id, TicketChanges(summary="Changed by a colleague"))  # someone else, meanwhile

    escalated = 15  # Service Desk's "Escalated"
    response = alice_client.post(f"/tickets/{ticket_id}/status", {**form, "status": escalated}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "was changed in ConnectWise by" in html and "Summary is now “Changed by a colleague”" in html
    assert f'<option value="{escalated}" selected>' in html  # my choice is kept
    assert service.get_ticket(_tenant(), ticket_id).status_name != "Escalated"

    again = _status_form(html, ticket_id)
    discarded = alice_client.post(f"/tickets/{ticket_id}/status", {**again, "status": escalated, "discard": "1"}, **HX)
    assert discarded.status_code == 200 and "was changed" not in discarded.content.decode()
    assert service.get_ticket(_tenant(), ticket_id).status_name != "Escalated"

    response = alice_client.post(f"/tickets/{ticket_id}/status", {**again, "status": escalated}, **HX)
    assert response.status_code == 200, response.content.decode()
    assert service.get_ticket(_tenant(), ticket_id).status_name == "Escalated"
    assert re.search(rf'id="ticket-row-{ticket_id}"[^>]*hx-swap-oob="true"', response.content.decode())


@pytest.mark.connectwise_only(_CW)
def test_a_status_change_after_a_note_on_the_ticket_is_no_conflict(alice_client, alice_mapping, sandbox):
    from tickets import service

    ticket_id = _ticket_on_board(1)
    form = _status_form(alice_client.get(f"/tickets/{ticket_id}/detail", **HX).content.decode(), ticket_id)
    service.add_note(_tenant(), ticket_id, "Called the client", "internal")  # changes lastUpdated, not the header

    response = alice_client.post(f"/tickets/{ticket_id}/status", {**form, "status": 15}, **HX)
    assert response.status_code == 200, response.content.decode()
    assert service.get_ticket(_tenant(), ticket_id).status_name == "Escalated"
