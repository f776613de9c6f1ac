"""The drawer's resources section: /tickets/<id>/resources (GET list, POST add) and .../remove."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.reliability.psa_faults import where

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _assigned(html: str) -> list[str]:
    return re.findall(r'aria-label="Remove ([^"]+)"', html)


def _acme():
    """Acme MSP's tenant, without a user (what the tests read straight from the PSA)."""
    from psa.models import Account
    from psa.tenancy import tenant_for_account

    return tenant_for_account(Account.objects.get(name="Acme MSP"))


def _open_ticket_of_first_member(sandbox) -> int:
    from tickets import service

    filters = service.TicketFilters(assigned=str(sandbox.members()[0]["id"]))
    return service.search_tickets(_acme(), filters).items[0].id


def test_it_lists_assignees_and_all_members_with_mapped_users_first(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.get(f"/tickets/{ticket_id}/resources", **HX).content.decode()
    assert html.lstrip().startswith(f'<section id="resources-{ticket_id}"')
    assert "John Smith" in _assigned(html)
    assert 'class="tag tag-rf"' in html  # John Smith is alice's mapped member
    # Add member is a typeahead (no list of every member in the page); it offers everyone not yet assigned.
    assert "<select" not in html and "Sam Wilson" not in html
    source = unescape(re.search(r'id="add-member-\d+"[^>]*role="combobox".*?hx-get="([^"]+)"', html, re.S).group(1))
    offered = alice_client.get(source).content.decode()
    assert 'data-label="Sam Wilson"' in offered  # every member can be added, not only mapped ones
    assert 'data-label="John Smith"' not in offered  # already assigned


def test_mapped_members_are_listed_first_and_highlighted(alice_client, alice_mapping, sandbox, bob, account):
    from psa.models import MemberMapping

    MemberMapping.objects.create(account=account, user=bob, psa_member_id=111, identifier="swilson", name="Sam Wilson")
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.get(f"/tickets/{ticket_id}/resources", **HX).content.decode()
    source = unescape(re.search(r'id="add-member-\d+"[^>]*role="combobox".*?hx-get="([^"]+)"', html, re.S).group(1))
    offered = alice_client.get(source).content.decode()
    labels = re.findall(r'data-label="([^"]+)"', offered)
    assert labels[0] == "Sam Wilson"  # the only mapped member not yet assigned, first
    assert "swilson · ResolutionFlow" in offered


def test_it_adds_a_member(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    response = alice_client.post(f"/tickets/{ticket_id}/resources", {"member": 111}, **HX)
    assert response.status_code == 200
    assert "Sam Wilson" in _assigned(response.content.decode())
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == f"Sam Wilson assigned to #{ticket_id}"


@pytest.mark.connectwise_only("removes jsmith with ConnectWise's semantics; on Autotask jsmith is the ticket's primary "
                              "resource, and removing a primary that has secondaries asks who becomes primary (422)")
def test_it_removes_a_member(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    response = alice_client.post(f"/tickets/{ticket_id}/resources/101/remove", **HX)
    assert response.status_code == 200
    assert "John Smith" not in _assigned(response.content.decode())


def test_removal_asks_for_confirmation(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.get(f"/tickets/{ticket_id}/resources", **HX).content.decode()
    assert f'hx-confirm="Remove John Smith from ticket #{ticket_id}?"' in html


def test_adding_without_a_member_explains(alice_client, alice_mapping):
    response = alice_client.post("/tickets/1000/resources", {"member": ""}, **HX)
    assert response.status_code == 422
    assert "Choose a member to add" in response.content.decode()


def test_adding_an_unknown_member_explains(alice_client, alice_mapping):
    response = alice_client.post("/tickets/1000/resources", {"member": 9999}, **HX)
    assert response.status_code == 422
    assert "Unknown member id 9999" in response.content.decode()
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "error"


def test_a_psa_failure_shows_retry(alice_client, alice_mapping, sandbox, psa_kind):
    sandbox.inject("503", path=where(psa_kind, "resources")[1])
    html = alice_client.get("/tickets/1000/resources", **HX).content.decode()
    assert "Could not load resources" in html
    assert 'hx-get="/tickets/1000/resources" hx-target="#resources-1000"' in html


def test_it_needs_a_connection(alice_client):
    assert "No PSA connection" in alice_client.get("/tickets/1000/resources", **HX).content.decode()


ON_QUEUE = {**HX, "HTTP_HX_CURRENT_URL": "http://testserver/tickets?assigned=all"}


def _assignees_cell(html: str, ticket_id: int) -> str | None:
    match = re.search(rf'<span id="ticket-assignees-{ticket_id}" class="c-assignees" hx-swap-oob="true">([^<]*)</span>', html)
    return match.group(1) if match else None


def _row_assignees(ticket_id: int) -> str:
    from tickets import service

    ticket = service.get_ticket(_acme(), ticket_id)
    return ", ".join(ticket.resources) or "—"


def test_the_queue_row_ids_its_assignees_cell(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.get("/tickets?assigned=all", **HX).content.decode()
    assert f'<span id="ticket-assignees-{ticket_id}" class="c-assignees">' in html


def test_adding_a_member_on_the_queue_updates_the_rows_assignees_out_of_band(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.post(f"/tickets/{ticket_id}/resources", {"member": 111}, **ON_QUEUE).content.decode()
    assert html.lstrip().startswith(f'<section id="resources-{ticket_id}"')
    cell = _assignees_cell(html, ticket_id)
    assert cell is not None and "swilson" in cell.split(", ")
    assert cell == _row_assignees(ticket_id)  # exactly what the list shows after a reload


@pytest.mark.connectwise_only("removes jsmith with ConnectWise's semantics; on Autotask jsmith is the ticket's primary "
                              "resource, and removing a primary that has secondaries asks who becomes primary (422)")
def test_removing_a_member_on_the_queue_updates_the_rows_assignees_out_of_band(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    html = alice_client.post(f"/tickets/{ticket_id}/resources/101/remove", **ON_QUEUE).content.decode()
    cell = _assignees_cell(html, ticket_id)
    assert cell is not None and "jsmith" not in cell.split(", ")
    assert cell == _row_assignees(ticket_id)


def test_off_the_queue_there_is_no_row_to_update(alice_client, alice_mapping, sandbox):
    ticket_id = _open_ticket_of_first_member(sandbox)
    from_dashboard = {**HX, "HTTP_HX_CURRENT_URL": "http://testserver/dashboard"}
    html = alice_client.post(f"/tickets/{ticket_id}/resources", {"member": 111}, **from_dashboard).content.decode()
    assert "Sam Wilson" in _assigned(html)
    assert "hx-swap-oob" not in html


def test_a_failed_change_leaves_the_row_alone(alice_client, alice_mapping, sandbox):
    response = alice_client.post("/tickets/1000/resources", {"member": 9999}, **ON_QUEUE)
    assert response.status_code == 422
    assert "hx-swap-oob" not in response.content.decode()
