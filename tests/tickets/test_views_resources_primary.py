"""Removing an Autotask ticket's primary resource asks who takes over (drawer and JSON API), always on Autotask.

Autotask keeps one primary resource per ticket and any number of secondary ones; removing the primary of a
ticket with secondaries promotes nobody by itself (psa.providers.autotask.remove_resource): the engineer
chooses, and until then nothing changes in Autotask.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from psa.tenancy import tenant_for_account
from tickets import service

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def psa_kind():
    return "autotask"


@pytest.fixture
def team_ticket(account, connection, sandbox, first_member):
    """A ticket whose primary resource is the first member, with secondary resources (two added to any it
    had): (ticket id, primary id, secondary ids in the drawer's order)."""
    tenant = tenant_for_account(account)
    ticket_id = service.search_tickets(tenant, service.TicketFilters(assigned=str(first_member["id"]))).items[0].id
    assigned = [r.member_id for r in service.list_resources(tenant, ticket_id)]
    assert assigned[0] == first_member["id"]
    for member_id in [m["id"] for m in sandbox.members() if m["id"] not in assigned][:2]:
        service.add_resource(tenant, ticket_id, member_id)
    resources = service.list_resources(tenant, ticket_id)
    assert len(resources) >= 3
    return ticket_id, first_member["id"], [r.member_id for r in resources[1:]]


def _resources(account, ticket_id):
    return [(r.member_id, r.is_primary) for r in service.list_resources(tenant_for_account(account), ticket_id)]


def test_the_drawer_marks_the_primary_resource(alice_client, alice_mapping, team_ticket):
    ticket_id, primary, _ = team_ticket
    html = alice_client.get(f"/tickets/{ticket_id}/resources", **HX).content.decode()
    assert html.count(">Primary</span>") == 1
    first_entry = html.split('<li class="assignee', 2)[1]
    assert ">Primary</span>" in first_entry


def test_removing_the_primary_asks_who_takes_over_and_changes_nothing(alice_client, alice_mapping, team_ticket,
                                                                      account, sandbox):
    ticket_id, primary, secondaries = team_ticket
    before = _resources(account, ticket_id)
    names = {m["id"]: m["name"] for m in sandbox.members()}

    response = alice_client.post(f"/tickets/{ticket_id}/resources/{primary}/remove", **HX)

    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert f"{names[primary]} is this ticket's primary resource. Choose who becomes primary" in html
    assert re.findall(r'name="new_primary" value="(\d+)" required', html) == [str(m) for m in secondaries]
    assert f'action="/tickets/{ticket_id}/resources/{primary}/remove"' in html
    assert f"Make primary and remove {names[primary]}" in html and f"Keep {names[primary]}" in html
    assert _resources(account, ticket_id) == before


def test_the_chosen_resource_becomes_primary_and_the_old_one_is_removed(alice_client, alice_mapping, team_ticket,
                                                                        account):
    ticket_id, primary, secondaries = team_ticket
    chosen = secondaries[-1]

    response = alice_client.post(f"/tickets/{ticket_id}/resources/{primary}/remove", {"new_primary": str(chosen)},
                                 **HX)

    assert response.status_code == 200
    assert _resources(account, ticket_id) == [(chosen, True)] + [(m, False) for m in secondaries[:-1]]
    assert "Member removed from" in response.headers["HX-Trigger"]


def test_a_choice_that_is_not_a_secondary_resource_is_refused_and_changes_nothing(alice_client, alice_mapping,
                                                                                  team_ticket, account):
    ticket_id, primary, _ = team_ticket
    before = _resources(account, ticket_id)

    response = alice_client.post(f"/tickets/{ticket_id}/resources/{primary}/remove", {"new_primary": str(primary)},
                                 **HX)

    assert response.status_code == 422
    assert "must be one of the ticket" in unescape(response.content.decode())
    assert _resources(account, ticket_id) == before


def test_removing_a_secondary_resource_does_not_ask(alice_client, alice_mapping, team_ticket, account):
    ticket_id, primary, secondaries = team_ticket

    response = alice_client.post(f"/tickets/{ticket_id}/resources/{secondaries[0]}/remove", **HX)

    assert response.status_code == 200
    assert _resources(account, ticket_id) == [(primary, True)] + [(m, False) for m in secondaries[1:]]


def test_the_api_answers_409_with_the_candidates_then_removes_with_the_choice(token_client, alice_mapping, team_ticket,
                                                                              account, sandbox):
    ticket_id, primary, secondaries = team_ticket
    names = {m["id"]: m["name"] for m in sandbox.members()}
    client = token_client
    before = _resources(account, ticket_id)

    asked = client.delete(f"/integrations/psa/tickets/{ticket_id}/resources/{primary}")

    assert asked.status_code == 409
    body = asked.json()
    assert "Choose who becomes primary" in body["detail"]
    assert body["errors"] == [{"field": "new_primary_id", "message": f"{m}: {names[m]}"} for m in secondaries]
    assert _resources(account, ticket_id) == before

    done = client.delete(f"/integrations/psa/tickets/{ticket_id}/resources/{primary}?new_primary_id={secondaries[0]}")

    assert done.status_code == 204
    assert _resources(account, ticket_id) == [(secondaries[0], True)] + [(m, False) for m in secondaries[1:]]
