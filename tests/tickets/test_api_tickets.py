"""JSON API: ticket endpoints (success paths) against the sandbox."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

URL = "/integrations/psa/tickets"


def _first_ticket(client, **params):
    return client.get(URL, {"assigned": "me", **params}).json()["items"][0]


def test_search_returns_ticket_list_response(alice_client, alice_mapping):
    response = alice_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "page", "page_size"}
    assert (body["page"], body["page_size"], len(body["items"])) == (1, 25, 25)
    assert {"id", "summary", "board_name", "status_name", "priority_name", "company_name", "resources"} <= set(body["items"][0])


def test_search_accepts_every_filter(alice_client, alice_mapping, first_member):
    params = {"search": "", "board": 1, "status": 11, "priority": 3, "company": 250, "assigned": str(first_member["id"]),
              "closed": "true", "page": 1, "page_size": 10}
    response = alice_client.get(URL, params)
    assert response.status_code == 200
    for item in response.json()["items"]:
        assert (item["board_id"], item["status_id"], item["priority_id"], item["company_id"]) == (1, 11, 3, 250)


def test_search_pages_through_results(alice_client, alice_mapping):
    first = alice_client.get(URL, {"page_size": 5}).json()
    second = alice_client.get(URL, {"page_size": 5, "page": 2}).json()
    assert second["page"] == 2 and second["total"] == first["total"]
    assert not {t["id"] for t in first["items"]} & {t["id"] for t in second["items"]}


def test_search_assigned_to_me(alice_client, alice_mapping, first_member):
    body = alice_client.get(URL, {"assigned": "me"}).json()
    assert body["total"] >= 10
    assert all(first_member["identifier"] in t["resources"] for t in body["items"])


def test_page_size_is_capped_at_100(alice_client, alice_mapping):
    assert alice_client.get(URL, {"page_size": 100}).status_code == 200
    assert alice_client.get(URL, {"page_size": 101}).status_code == 422


def test_get_ticket_detail(alice_client, alice_mapping):
    ticket = _first_ticket(alice_client)
    response = alice_client.get(f"{URL}/{ticket['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == ticket["id"]
    assert "sla_name" in response.json()


def test_create_ticket_returns_201_with_the_created_ticket(alice_client, alice_mapping, valid_payload, first_member, sandbox,
                                                          psa_kind):
    before = sandbox.ticket_count()
    response = alice_client.post(URL, {**valid_payload, "assigned_member_id": first_member["id"]},
                                 content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "summary", "board_name", "status_name", "priority_name", "company_name", "resources"}
    assert (body["summary"], body["company_name"], body["board_name"]) == (valid_payload["summary"], "Acme Corp", "Service Desk")
    assert body["resources"] == [{"member_id": first_member["id"], "member_name": first_member["name"],
                                  "member_identifier": first_member["identifier"], "is_rf_user": True,
                                  "is_primary": psa_kind == "autotask"}]  # Autotask: the assignee is the primary resource
    assert sandbox.ticket_count() == before + 1


def test_update_status(alice_client, alice_mapping):
    ticket = _first_ticket(alice_client, board=1, status=11)
    response = alice_client.patch(f"{URL}/{ticket['id']}/status", {"status_id": 13}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"ticket_id": ticket["id"], "previous_status": "New", "new_status": "Waiting on Client"}


def test_list_resources(alice_client, alice_mapping, first_member):
    ticket = _first_ticket(alice_client)
    response = alice_client.get(f"{URL}/{ticket['id']}/resources")
    assert response.status_code == 200
    assert {"member_id": first_member["id"], "member_name": first_member["name"],
            "member_identifier": first_member["identifier"], "is_rf_user": True} in [
        {k: v for k, v in r.items() if k != "is_primary"} for r in response.json()]


def test_add_and_remove_a_resource(alice_client, alice_mapping, sandbox):
    ticket = _first_ticket(alice_client)
    member = sandbox.members()[-1]
    added = alice_client.post(f"{URL}/{ticket['id']}/resources", {"member_id": member["id"]}, content_type="application/json")
    assert added.status_code == 201, added.content
    assert added.json()["member_identifier"] == member["identifier"]
    removed = alice_client.delete(f"{URL}/{ticket['id']}/resources/{member['id']}")
    assert removed.status_code == 204
    resources = alice_client.get(f"{URL}/{ticket['id']}/resources").json()
    assert member["id"] not in {r["member_id"] for r in resources}


def test_json_bodies_never_include_secrets(alice_client, alice_mapping):
    body = json.dumps(alice_client.get(URL).json())
    assert "sandbox-private" not in body
