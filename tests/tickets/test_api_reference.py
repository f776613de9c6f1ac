"""JSON API: reference data and member mappings."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_boards(alice_client, connection):
    response = alice_client.get("/integrations/psa/boards")
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda b: b["id"]) == [
        {"id": 1, "name": "Service Desk"}, {"id": 2, "name": "Network Operations"},
        {"id": 3, "name": "Projects"}, {"id": 4, "name": "Security"},
    ]


def test_board_statuses(alice_client, connection):
    response = alice_client.get("/integrations/psa/boards/1/statuses")
    assert response.status_code == 200
    statuses = response.json()
    assert [s["id"] for s in statuses] == list(range(11, 18))
    assert {s["name"]: s["closed"] for s in statuses}["Resolved"] is True


def test_statuses_of_an_unknown_board_are_404(alice_client, connection):
    assert alice_client.get("/integrations/psa/boards/99/statuses").status_code == 404


def test_priorities(alice_client, connection):
    priorities = alice_client.get("/integrations/psa/priorities").json()
    assert [p["id"] for p in priorities] == [1, 2, 3, 4]
    assert {k: priorities[0][k] for k in ("id", "name", "sort", "level")} == {
        "id": 1, "name": "Priority 1 - Emergency Response", "sort": 1, "level": "Critical"}
    assert priorities[0]["color"]


def test_members_list_mapped_members_first(alice_client, account, alice, connection, sandbox):
    from psa.models import MemberMapping

    last = sandbox.members()[-1]
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=last["id"], identifier=last["identifier"])
    members = alice_client.get("/integrations/psa/members").json()
    assert members[0] == {"id": last["id"], "identifier": last["identifier"], "name": last["name"], "is_rf_user": True,
                          "time_zone": (last.get("timeZone") or {}).get("name")}
    assert len(members) == len(sandbox.members())


def test_companies_search(alice_client, connection):
    response = alice_client.get("/integrations/psa/companies", {"search": "acme"})
    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == ["Acme Corp", "Acme Dental"]


def test_companies_without_search_lists_the_first_page(alice_client, connection):
    assert len(alice_client.get("/integrations/psa/companies", {"limit": 5}).json()) == 5


def test_member_mappings_show_whether_the_user_is_mapped(alice_client, alice_mapping, first_member):
    body = alice_client.get("/integrations/psa/member-mappings").json()
    assert body["current_user_mapped"] is True
    assert body["current_user_mapping"]["identifier"] == first_member["identifier"]
    assert [m["username"] for m in body["mappings"]] == ["alice"]


def test_member_mappings_for_an_unmapped_user(bob_client, alice_mapping):
    body = bob_client.get("/integrations/psa/member-mappings").json()
    assert body["current_user_mapped"] is False and body["current_user_mapping"] is None
    assert [m["username"] for m in body["mappings"]] == ["alice"]
