"""The ConnectWise sandbox behaves like ConnectWise: auth, listing, writes, schedule entries, faults."""

from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from psa.sandbox import CWSandbox, default_sandbox

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
AUTH = ("sandbox+sandbox-public", "sandbox-private")


@pytest.fixture
def cw(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=AUTH,
                      headers={"clientId": "rf-tests"}) as client:
        yield client


@pytest.fixture
def anonymous(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="https://sandbox.local") as client:
        yield client


def links(response) -> dict[str, dict]:
    """rel -> parsed query of each URL in the Link header."""
    out = {}
    for part in response.headers.get("link", "").split(","):
        if part.strip():
            url, rel = part.split(";")
            out[rel.strip()[5:-1]] = {k: v[0] for k, v in parse_qs(urlsplit(url.strip()[1:-1]).query).items()}
    return out


def without_info(ref: dict) -> dict:
    """A reference without its ``_info`` (its href): what it names."""
    return {k: v for k, v in ref.items() if k != "_info"}


def open_ticket_id(cw, board_id=1) -> int:
    return cw.get("/service/tickets", params={"conditions": f"closedFlag=false and board/id={board_id}"}).json()[0]["id"]


# --- seed data (a contract other tests rely on) -----------------------------------------------


def test_it_is_a_process_wide_singleton():
    assert default_sandbox() is default_sandbox()


def test_seed_members_are_fixed_and_the_first_has_open_tickets(sandbox, cw):
    members = sandbox.members()
    assert [m["identifier"] for m in members] == ["jsmith", "agarcia", "mchen", "pwilliams", "dnguyen", "kjohnson",
                                                  "rpatel", "lbrown", "tokafor", "emartin", "swilson"]
    assert members[0] == {"id": 101, "identifier": "jsmith", "name": "John Smith"}
    open_for = {m["identifier"]: cw.get("/service/tickets/count", params={
        "conditions": f'resources contains "{m["identifier"]}" and closedFlag=false'}).json()["count"]
        for m in members}
    assert open_for["jsmith"] >= 10 and open_for["jsmith"] == max(open_for.values())
    assert cw.get("/service/tickets/count", params={"conditions": 'resources contains "swilson"'}).json() == {"count": 0}


def test_seed_reference_data_matches_the_contract(sandbox, cw):
    companies = cw.get("/company/companies", params={"pageSize": 100}).json()
    assert len(companies) == 23
    assert (companies[0]["id"], companies[0]["name"], companies[0]["identifier"]) == (250, "Acme Corp", "AcmeCorp")
    assert companies[-1]["name"] == "Summit Legal LLP"
    assert [b["name"] for b in cw.get("/service/boards").json()] == [
        "Service Desk", "Network Operations", "Projects", "Security"]
    statuses = cw.get("/service/boards/1/statuses").json()
    assert [(s["id"], s["name"]) for s in statuses][:2] == [(11, "New"), (12, "In Progress")]
    assert [s["id"] for s in statuses if s["closedStatus"]] == [16, 17]
    assert [s["id"] for s in statuses if s["defaultFlag"]] == [11]
    assert [s["id"] for s in cw.get("/service/boards/4/statuses").json()] == list(range(41, 48))
    priorities = cw.get("/service/priorities").json()
    assert [(p["id"], p["sortOrder"], p["level"]) for p in priorities] == [
        (1, 1, "Critical"), (2, 2, "High"), (3, 6, "Medium"), (4, 8, "Low")]
    assert [p["id"] for p in priorities if p["defaultFlag"]] == [3]
    assert [(t["id"], t["identifier"]) for t in cw.get("/schedule/types").json()] == [(4, "S"), (5, "C"), (6, "O")]
    assert sandbox.ticket_count() >= 600


def test_two_sandboxes_with_the_same_seed_hold_the_same_data():
    a, b = CWSandbox(seed=3), CWSandbox(seed=3)
    assert a.state["tickets"][1042]["summary"] == b.state["tickets"][1042]["summary"]
    assert a.state["tickets"][1042]["resources"] == b.state["tickets"][1042]["resources"] if "resources" in \
        a.state["tickets"][1042] else "resources" not in b.state["tickets"][1042]


def test_tickets_look_like_connectwise_tickets(cw):
    ticket = cw.get("/service/tickets/1042").json()
    assert "dateEntered" not in ticket and ticket["_info"]["dateEntered"].endswith("Z")
    assert set(ticket["board"]) == {"id", "name", "_info"}
    assert set(ticket["status"]) == {"id", "name", "sort", "_info"}
    assert set(ticket["priority"]) == {"id", "name", "sort", "level", "_info"}
    assert set(ticket["company"]) == {"id", "identifier", "name", "_info"}
    assert ticket["company"]["_info"] == {"company_href": f"{BASE_URL}/company/companies/{ticket['company']['id']}"}
    assert isinstance(ticket["closedFlag"], bool) and isinstance(ticket["respondMinutes"], int)
    assert {"sla", "slaStatus", "isInSla", "contactName", "contactEmailAddress", "hasChildTicket"} <= set(ticket)
    children = cw.get("/service/tickets", params={"conditions": "parentTicketId != null"}).json()
    assert children and cw.get(f"/service/tickets/{children[0]['parentTicketId']}").json()["hasChildTicket"] is True


# --- auth, headers, routing --------------------------------------------------------------------


def test_company_info_is_served_without_auth(anonymous):
    response = anonymous.get("/login/companyinfo/sandbox")
    assert response.status_code == 200
    assert response.json() == {"CompanyName": "ResolutionFlow Sandbox", "Codebase": "v4_6_release/",
                               "VersionCode": "v2025.8", "VersionNumber": "v4.6.2025.8", "CompanyID": "sandbox",
                               "IsCloud": False}
    assert anonymous.get("/login/companyinfo/SANDBOX").json()["CompanyID"] == "sandbox"


def test_company_info_for_an_unknown_company_is_json_null(anonymous):
    response = anonymous.get("/login/companyinfo/someone-else")
    assert response.status_code == 200 and response.content == b"null"


@pytest.mark.parametrize("auth", [None, ("sandbox+sandbox-public", "wrong"), ("sandbox+other", "sandbox-private"),
                                  ("other+sandbox-public", "sandbox-private"), ("sandbox-public", "sandbox-private")])
def test_bad_credentials_get_a_connectwise_401(sandbox, auth):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=auth,
                      headers={"clientId": "x"}) as client:
        response = client.get("/system/info")
    assert response.status_code == 401
    assert response.json() == {"code": "ConnectWiseApi", "message": "An exception has been thrown.",
                               "errors": [{"code": "ConnectWiseApi", "message": "UserNotAuthenticated"}]}


def test_garbage_authorization_header_is_a_401_not_a_crash(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL) as client:
        for header in ("Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe").decode(), "Bearer x", "Basic"):
            assert client.get("/system/info", headers={"Authorization": header, "clientId": "x"}).status_code == 401


def test_a_missing_client_id_is_a_401(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=AUTH) as client:
        response = client.get("/system/info")
        assert response.status_code == 401
        assert "clientId" in response.json()["message"]
        assert client.get("/system/info", headers={"clientId": "  "}).status_code == 401


def test_company_id_is_case_insensitive(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL,
                      auth=("SandBox+sandbox-public", "sandbox-private"), headers={"clientId": "x"}) as client:
        assert client.get("/system/info").status_code == 200


def test_responses_carry_the_api_version_and_accept_a_versioned_accept_header(cw):
    response = cw.get("/system/info", headers={"Accept": "application/vnd.connectwise.com+json; version=2025.8"})
    assert response.status_code == 200
    assert response.headers["api-current-version"] == "2025.8"
    assert response.json()["isCloud"] is False
    assert cw.get("/system/info", headers={"Accept": "application/json"}).status_code == 200


def test_unknown_paths_are_404_with_a_connectwise_body(cw, anonymous):
    for path in ("/service/nothing", "/service/tickets/abc", "/service/tickets/999999"):
        response = cw.get(path)
        assert response.status_code == 404
        assert set(response.json()) >= {"code", "message"}
    assert anonymous.get("/v2019_1/apis/3.0/system/info").status_code == 404


def test_wrong_method_is_405(cw):
    response = cw.delete("/service/boards/1")
    assert response.status_code == 405
    assert response.json()["code"] == "MethodNotAllowed"
    assert response.headers["allow"] == "GET"
    assert "PATCH" in cw.post("/service/tickets/1042").headers["allow"]


def test_paths_are_case_insensitive(cw):
    assert cw.get("/Service/Tickets/1042").status_code == 200


# --- listing: orderBy, fields, paging, count ----------------------------------------------------


def test_order_by_sorts_on_several_nested_keys(cw):
    rows = cw.get("/service/tickets", params={"orderBy": "priority/sort asc, id desc", "pageSize": 1000}).json()
    keys = [(r["priority"]["sort"], -r["id"]) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["priority"]["id"] == 1


def test_order_by_info_dates_works_with_and_without_the_info_prefix(cw):
    a = [r["id"] for r in cw.get("/service/tickets", params={"orderBy": "_info/dateEntered desc"}).json()]
    b = [r["id"] for r in cw.get("/service/tickets", params={"orderBy": "dateEntered desc"}).json()]
    assert a == b
    dates = [r["_info"]["dateEntered"] for r in cw.get("/service/tickets", params={"orderBy": "dateEntered desc"}).json()]
    assert dates == sorted(dates, reverse=True)


def test_default_order_is_by_id(cw):
    ids = [r["id"] for r in cw.get("/service/tickets").json()]
    assert ids == sorted(ids) and ids[0] == 1000


def test_a_bad_order_by_is_a_400(cw):
    assert cw.get("/service/tickets", params={"orderBy": "id sideways"}).status_code == 400


def test_fields_projects_nested_paths(cw):
    rows = cw.get("/service/tickets", params={"fields": "id,summary,company/name", "pageSize": 3}).json()
    assert all(set(r) == {"id", "summary", "company"} and set(r["company"]) == {"name"} for r in rows)
    one = cw.get("/service/tickets/1042", params={"fields": "id,status/name"}).json()
    assert set(one) == {"id", "status"} and set(one["status"]) == {"name"}


def test_default_page_is_25_and_the_link_header_points_onwards(cw, sandbox):
    response = cw.get("/service/tickets", params={"conditions": "closedFlag=false"})
    assert len(response.json()) == 25
    rels = links(response)
    assert set(rels) == {"next", "last"}
    assert rels["next"]["page"] == "2" and rels["next"]["conditions"] == "closedFlag=false"
    total = cw.get("/service/tickets/count", params={"conditions": "closedFlag=false"}).json()["count"]
    assert rels["last"]["page"] == str(-(-total // 25))


def test_middle_pages_link_first_prev_next_last_and_the_last_page_has_no_next(cw):
    middle = cw.get("/service/tickets", params={"page": 3, "pageSize": 100})
    assert set(links(middle)) == {"first", "prev", "next", "last"}
    assert links(middle)["prev"]["page"] == "2"
    last_page = int(links(middle)["last"]["page"])
    last = cw.get("/service/tickets", params={"page": last_page, "pageSize": 100})
    assert set(links(last)) == {"first", "prev"}
    assert 0 < len(last.json()) <= 100
    assert cw.get("/service/tickets", params={"page": last_page + 1, "pageSize": 100}).json() == []


def test_pages_do_not_overlap(cw):
    one = [r["id"] for r in cw.get("/service/tickets", params={"page": 1, "pageSize": 10, "orderBy": "id desc"}).json()]
    two = [r["id"] for r in cw.get("/service/tickets", params={"page": 2, "pageSize": 10, "orderBy": "id desc"}).json()]
    assert len(one) == len(two) == 10 and not set(one) & set(two) and min(one) > max(two)


def test_page_size_is_capped_at_1000(cw, sandbox):
    assert len(cw.get("/service/tickets", params={"pageSize": 5000}).json()) == min(1000, sandbox.ticket_count())
    assert cw.get("/service/tickets", params={"pageSize": "many"}).status_code == 400


def test_forward_only_pagination_follows_page_ids(cw):
    seen, url, params = [], "/service/tickets", {"pageSize": 250, "conditions": "board/id=1"}
    for _ in range(10):
        response = cw.get(url, params=params, headers={"pagination-type": "forward-only"})
        seen += [r["id"] for r in response.json()]
        nxt = links(response).get("next")
        if not nxt:
            break
        params = nxt
    assert seen == sorted(seen)
    assert len(seen) == cw.get("/service/tickets/count", params={"conditions": "board/id=1"}).json()["count"]


def test_count_uses_the_same_conditions(cw):
    conditions = "board/id = 2 and priority/sort <= 2"
    rows = cw.get("/service/tickets", params={"conditions": conditions, "pageSize": 1000}).json()
    assert cw.get("/service/tickets/count", params={"conditions": conditions}).json() == {"count": len(rows)}
    assert cw.get("/system/members/count").json() == {"count": 11}
    assert cw.get("/company/companies/count", params={"conditions": 'name like "Acme%"'}).json() == {"count": 2}


# --- ticket create ------------------------------------------------------------------------------


def test_creating_a_ticket_applies_board_defaults(cw, sandbox):
    before = sandbox.ticket_count()
    response = cw.post("/service/tickets", json={"summary": "Printer down", "company": {"id": 250}, "board": {"id": 1},
                                                 "initialDescription": "The printer on floor 2 is offline."})
    assert response.status_code == 201
    ticket = response.json()
    assert without_info(ticket["status"]) == {"id": 11, "name": "New", "sort": 1}
    assert ticket["priority"]["id"] == 3
    assert without_info(ticket["company"]) == {"id": 250, "identifier": "AcmeCorp", "name": "Acme Corp"}
    assert "initialDescription" not in ticket and "resources" not in ticket
    assert sandbox.ticket_count() == before + 1
    assert cw.get(f"/service/tickets/{ticket['id']}").json() == ticket
    notes = cw.get(f"/service/tickets/{ticket['id']}/notes").json()
    assert [(n["text"], n["detailDescriptionFlag"]) for n in notes] == [("The printer on floor 2 is offline.", True)]


def test_creating_a_ticket_on_another_board_uses_that_boards_default_status(cw):
    ticket = cw.post("/service/tickets", json={"summary": "Firewall down", "company": {"identifier": "Globex"},
                                               "board": {"id": 2}, "priority": {"id": 1}}).json()
    assert ticket["status"]["id"] == 21 and ticket["priority"]["sort"] == 1


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"company": {"id": 250}}, "summary", "NullValue"),
    ({"summary": "   ", "company": {"id": 250}}, "summary", "NullValue"),
    ({"summary": "x" * 101, "company": {"id": 250}}, "summary", "MaxLengthExceeded"),
    ({"summary": "Printer down"}, "company", "NullValue"),
    ({"summary": "Printer down", "company": {"id": 9999}}, "company", "InvalidReference"),
    ({"summary": "Printer down", "company": {"id": 250}, "board": {"id": 9}}, "board", "InvalidReference"),
    ({"summary": "Printer down", "company": {"id": 250}, "board": {"id": 1}, "status": {"id": 21}}, "status",
     "InvalidReference"),
    ({"summary": "Printer down", "company": {"id": 250}, "priority": {"id": 42}}, "priority", "InvalidReference"),
])
def test_ticket_create_validation_errors_look_like_connectwise(cw, sandbox, body, field, code):
    before = sandbox.ticket_count()
    response = cw.post("/service/tickets", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "InvalidObject" and payload["message"] == "ticket object is invalid"
    assert {"code": code, "resource": "ticket", "field": field}.items() <= payload["errors"][0].items()
    assert sandbox.ticket_count() == before


def test_a_body_that_is_not_json_is_a_400(cw):
    response = cw.post("/service/tickets", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "InvalidObject"
    assert cw.post("/service/tickets", json=[1, 2]).status_code == 400


# --- PATCH / PUT ----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "status", "value": {"id": 12}},
    {"op": "replace", "path": "status/id", "value": 12},
    {"op": "replace", "path": "status/name", "value": "in progress"},
])
def test_patching_the_status_changes_it_and_touches_last_updated(cw, sandbox, operation):
    ticket_id = cw.get("/service/tickets", params={"conditions": "status/id = 11"}).json()[0]["id"]
    sandbox.state["tickets"][ticket_id]["_info"]["lastUpdated"] = "2020-01-01T00:00:00Z"
    response = cw.patch(f"/service/tickets/{ticket_id}", json=[operation])
    assert response.status_code == 200
    assert without_info(response.json()["status"]) == {"id": 12, "name": "In Progress", "sort": 2}
    assert response.json()["_info"]["lastUpdated"] > "2020-01-01T00:00:00Z"
    assert cw.get(f"/service/tickets/{ticket_id}").json()["status"]["id"] == 12


def test_patching_to_a_closed_status_closes_the_ticket(cw):
    ticket_id = open_ticket_id(cw)
    ticket = cw.patch(f"/service/tickets/{ticket_id}", json=[{"op": "replace", "path": "status", "value": {"id": 17}}]).json()
    assert ticket["closedFlag"] is True and ticket["closedDate"]
    reopened = cw.patch(f"/service/tickets/{ticket_id}", json=[{"op": "replace", "path": "status/id", "value": 12}]).json()
    assert reopened["closedFlag"] is False and "closedDate" not in reopened


def test_patching_a_status_of_another_board_is_a_400_and_changes_nothing(cw):
    ticket_id = open_ticket_id(cw, board_id=1)
    before = cw.get(f"/service/tickets/{ticket_id}").json()
    response = cw.patch(f"/service/tickets/{ticket_id}", json=[{"op": "replace", "path": "status", "value": {"id": 22}}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"
    assert cw.get(f"/service/tickets/{ticket_id}").json() == before


@pytest.mark.parametrize("body", [
    {"op": "replace", "path": "status", "value": {"id": 12}},  # not an array
    [],
    [{"op": "move", "path": "status", "value": {"id": 12}}],
    [{"op": "replace", "path": "id", "value": 5}],
    [{"op": "replace", "path": "resources", "value": "jsmith"}],
    [{"op": "remove", "path": "company"}],
    [{"op": "replace", "path": "summary", "value": ""}],
    [{"op": "replace", "path": "status", "value": {"id": 999}}],
    ["garbage"],
    [{"op": "replace", "path": "colour", "value": "red"}],
    [{"op": "replace", "path": "budgetHours", "value": "lots"}],
])
def test_invalid_patch_bodies_are_400(cw, body):
    assert cw.patch("/service/tickets/1042", json=body).status_code == 400


def test_patch_can_set_owner_summary_and_priority(cw):
    ticket = cw.patch("/service/tickets/1042", json=[
        {"op": "replace", "path": "owner", "value": {"identifier": "agarcia"}},
        {"op": "replace", "path": "summary", "value": "Renamed"},
        {"op": "replace", "path": "priority/id", "value": 1},
    ]).json()
    assert without_info(ticket["owner"]) == {"id": 102, "identifier": "agarcia", "name": "Ana Garcia"}
    assert ticket["summary"] == "Renamed" and ticket["priority"]["level"] == "Critical"


def test_put_replaces_the_editable_fields(cw):
    response = cw.put("/service/tickets/1042", json={"summary": "Replaced", "company": {"id": 251}, "board": {"id": 1},
                                                     "status": {"id": 13}})
    assert response.status_code == 200
    assert (response.json()["summary"], response.json()["company"]["id"], response.json()["status"]["id"]) == (
        "Replaced", 251, 13)
    assert cw.put("/service/tickets/1042", json={"company": {"id": 251}}).status_code == 400


def test_put_accepts_a_ticket_as_read_back(cw):
    ticket = cw.get("/service/tickets/1043").json()
    response = cw.put("/service/tickets/1043", json={**ticket, "summary": "Round trip"})
    assert response.status_code == 200 and response.json()["summary"] == "Round trip"
    assert response.json()["id"] == 1043 and response.json()["_info"]["dateEntered"] == ticket["_info"]["dateEntered"]


# --- schedule entries drive resources -------------------------------------------------------------


def assignees(cw, ticket_id) -> list[str]:
    entries = cw.get("/schedule/entries", params={
        "conditions": f'type/identifier="S" and objectId={ticket_id} and doneFlag=false'}).json()
    return [e["member"]["identifier"] for e in entries]


def test_schedule_entries_drive_ticket_resources(cw):
    ticket = cw.post("/service/tickets", json={"summary": "Assign me", "company": {"id": 252}}).json()
    for member in ({"id": 103}, {"identifier": "jsmith"}):
        response = cw.post("/schedule/entries", json={
            "objectId": ticket["id"], "type": {"identifier": "S"}, "member": member,
            "dateStart": "2025-06-02T09:00:00Z", "dateEnd": "2025-06-02T10:00:00Z", "allowScheduleConflictsFlag": True})
        assert response.status_code == 201
        assert response.json()["type"]["identifier"] == "S" and response.json()["objectId"] == ticket["id"]
    assert cw.get(f"/service/tickets/{ticket['id']}").json()["resources"] == "mchen, jsmith"
    assert assignees(cw, ticket["id"]) == ["mchen", "jsmith"]

    first = cw.get("/schedule/entries", params={"conditions": f"objectId={ticket['id']} and member/id=103"}).json()[0]
    assert cw.get(f"/schedule/entries/{first['id']}").json() == first
    deleted = cw.delete(f"/schedule/entries/{first['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert cw.get(f"/service/tickets/{ticket['id']}").json()["resources"] == "jsmith"
    assert cw.get(f"/schedule/entries/{first['id']}").status_code == 404
    assert cw.delete(f"/schedule/entries/{first['id']}").status_code == 404

    last = cw.get("/schedule/entries", params={"conditions": f"objectId={ticket['id']}"}).json()[0]
    cw.delete(f"/schedule/entries/{last['id']}")
    assert "resources" not in cw.get(f"/service/tickets/{ticket['id']}").json()


def test_done_entries_do_not_count_as_resources(cw):
    ticket = cw.post("/service/tickets", json={"summary": "Done work", "company": {"id": 252}}).json()
    entry = cw.post("/schedule/entries", json={"objectId": ticket["id"], "type": {"id": 4}, "member": {"id": 104}}).json()
    assert cw.get(f"/service/tickets/{ticket['id']}").json()["resources"] == "pwilliams"
    patched = cw.patch(f"/schedule/entries/{entry['id']}", json=[{"op": "replace", "path": "doneFlag", "value": True}])
    assert patched.status_code == 200
    assert "resources" not in cw.get(f"/service/tickets/{ticket['id']}").json()
    assert assignees(cw, ticket["id"]) == []


def test_seed_resources_match_the_open_service_entries(cw):
    for ticket in cw.get("/service/tickets", params={"pageSize": 60}).json():
        expected = assignees(cw, ticket["id"])
        assert ticket.get("resources", "") == ", ".join(dict.fromkeys(expected))


@pytest.mark.parametrize(("body", "field"), [
    ({"objectId": 1042, "member": {"id": 101}}, "type"),
    ({"objectId": 1042, "type": {"identifier": "Z"}, "member": {"id": 101}}, "type"),
    ({"objectId": 1042, "type": {"identifier": "S"}}, "member"),
    ({"objectId": 1042, "type": {"identifier": "S"}, "member": {"identifier": "nobody"}}, "member"),
    ({"objectId": 999999, "type": {"identifier": "S"}, "member": {"id": 101}}, "objectId"),
    ({"objectId": 1042, "type": {"identifier": "S"}, "member": {"id": 101}, "dateStart": "soon"}, "dateStart"),
])
def test_invalid_schedule_entries_are_400(cw, body, field):
    response = cw.post("/schedule/entries", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


# --- notes and configurations ---------------------------------------------------------------------


def test_notes_have_the_service_note_shape(cw):
    notes = cw.get("/service/tickets/1042/notes").json()
    assert notes and notes[0]["detailDescriptionFlag"] is True
    assert {"id", "ticketId", "text", "detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "dateCreated",
            "createdBy", "internalFlag", "externalFlag", "_info"} <= set(notes[0])
    assert isinstance(notes[0]["dateCreated"], str)
    assert cw.get("/service/tickets/999999/notes").status_code == 404
    all_notes = cw.get("/service/tickets/1042/allNotes").json()
    assert [n["id"] for n in all_notes] == [n["id"] for n in notes] and all_notes[0]["noteType"] == "TicketNote"


def test_posting_a_note_adds_it(cw):
    response = cw.post("/service/tickets/1042/notes", json={
        "text": "Rebooted the switch.", "detailDescriptionFlag": False, "internalAnalysisFlag": True,
        "resolutionFlag": False, "member": {"id": 101}})
    assert response.status_code == 201
    note = response.json()
    assert without_info(note["member"]) == {"id": 101, "identifier": "jsmith", "name": "John Smith"}
    assert note["internalFlag"] is True and note["externalFlag"] is False and note["ticketId"] == 1042
    assert cw.get("/service/tickets/1042/notes").json()[-1] == note


@pytest.mark.parametrize("body", [
    {"text": "", "detailDescriptionFlag": True},
    {"text": "   ", "internalAnalysisFlag": True},
    {"text": "no flags"},
    {"text": "all false", "detailDescriptionFlag": False, "internalAnalysisFlag": False, "resolutionFlag": False},
    {"text": "bad member", "detailDescriptionFlag": True, "member": {"id": 1}},
])
def test_invalid_notes_are_400(cw, body):
    response = cw.post("/service/tickets/1042/notes", json=body)
    assert response.status_code == 400 and response.json()["code"] == "InvalidObject"


def test_ticket_configurations_are_references(cw):
    ticket_id = next(t for t, cfgs in default_sandbox().state["ticket_configurations"].items() if cfgs)
    refs = cw.get(f"/service/tickets/{ticket_id}/configurations").json()
    assert refs and set(refs[0]) == {"id", "deviceIdentifier", "_info"}
    config = cw.get(f"/company/configurations/{refs[0]['id']}").json()
    assert config["deviceIdentifier"] == refs[0]["deviceIdentifier"]
    added = cw.post("/service/tickets/1042/configurations", json={"id": refs[0]["id"]})
    assert added.status_code == 201
    assert refs[0]["id"] in [r["id"] for r in cw.get("/service/tickets/1042/configurations").json()]
    assert cw.post("/service/tickets/1042/configurations", json={"id": 1}).status_code == 400


def test_contacts_and_companies_can_be_read_and_created(cw):
    contact = cw.get("/company/contacts/500").json()
    assert contact["company"]["id"] == 250
    assert cw.get("/company/contacts/1").status_code == 404
    created = cw.post("/company/companies", json={"identifier": "NewCo", "name": "New Co"})
    assert created.status_code == 201 and created.json()["id"] == 273
    duplicate = cw.post("/company/companies", json={"identifier": "newco", "name": "Again"})
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["field"] == "identifier"


# --- fault injection ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["400", "401", "403", "404", "409", "429", "500", "503"])
def test_injected_status_faults_answer_with_a_connectwise_body(cw, sandbox, kind):
    sandbox.inject(kind, path=r"^/service/tickets$", retry_after=7)
    response = cw.get("/service/tickets")
    assert response.status_code == int(kind)
    assert set(response.json()) >= {"code", "message"}
    if kind == "429":
        assert response.headers["Retry-After"] == "7"
    assert cw.get("/service/tickets/1042").status_code == 200  # other paths untouched


def test_injected_faults_can_fire_a_limited_number_of_times_and_only_for_a_method(cw, sandbox):
    sandbox.inject("503", method="POST", times=2)
    assert cw.get("/system/info").status_code == 200
    body = {"summary": "x", "company": {"id": 250}}
    assert [cw.post("/service/tickets", json=body).status_code for _ in range(3)] == [503, 503, 201]


def test_refused_and_timeout_raise_transport_errors_in_process(cw, sandbox):
    sandbox.inject("refused", times=1)
    with pytest.raises(httpx.ConnectError):
        cw.get("/system/info")
    sandbox.inject("timeout", times=1)
    with pytest.raises(httpx.ReadTimeout):
        cw.get("/system/info")
    assert cw.get("/system/info").status_code == 200


def test_malformed_and_truncated_bodies_do_not_parse(cw, sandbox):
    sandbox.inject("malformed", times=1)
    response = cw.get("/service/tickets/1042")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    sandbox.inject("truncated", times=1)
    response = cw.get("/service/tickets/1042")
    assert int(response.headers["Content-Length"]) > len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_unknown_fault_kinds_are_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.inject("418")


def test_clear_faults_removes_injected_faults(cw, sandbox):
    sandbox.inject("500")
    sandbox.clear_faults()
    assert cw.get("/system/info").status_code == 200


def test_random_error_rate_answers_500_or_503(cw, sandbox):
    sandbox.error_rate = 1.0
    assert {cw.get("/system/info").status_code for _ in range(20)} <= {500, 503}
    body = cw.get("/system/info").json()
    assert body["code"] in ("ConnectWiseApi", "ServiceUnavailable")


def test_random_429_rate_sends_retry_after(cw, sandbox):
    sandbox.rate_429 = 1.0
    response = cw.get("/system/info")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_random_timeouts_raise_read_timeout(cw, sandbox):
    sandbox.timeout_rate = 1.0
    with pytest.raises(httpx.ReadTimeout):
        cw.get("/system/info")


class RecordedSleeps:
    """Stands in for the sandbox module's ``time``: ``sleep`` records the delay asked for (and, given a
    barrier, waits there for the other requests) instead of sleeping; everything else is the real module."""

    def __init__(self, barrier: threading.Barrier | None = None):
        self.barrier = barrier
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.barrier is not None:
            self.barrier.wait()

    def __getattr__(self, name):
        return getattr(time, name)


def test_latency_and_jitter_slow_requests_down(cw, sandbox, monkeypatch):
    sleeps = RecordedSleeps()
    monkeypatch.setattr("psa.sandbox.faults.time", sleeps)
    sandbox.latency_ms, sandbox.jitter_ms = 60, 20
    assert cw.get("/system/info").status_code == 200
    assert len(sleeps.delays) == 1 and 0.06 <= sleeps.delays[0] <= 0.08  # latency plus up to the jitter


def test_random_faults_never_touch_company_info(anonymous, sandbox):
    sandbox.error_rate, sandbox.timeout_rate = 0.5, 0.5
    assert all(anonymous.get("/login/companyinfo/sandbox").status_code == 200 for _ in range(10))


def test_latency_sleeps_outside_the_lock_so_parallel_requests_overlap(cw, sandbox, monkeypatch):
    # Each request's latency waits at a barrier until all 8 are in their latency at once. Were the
    # sleep taken under the sandbox's lock, only one could be there: the barrier would break after its
    # (generous) timeout and the requests fail.
    sleeps = RecordedSleeps(threading.Barrier(8, timeout=30))
    monkeypatch.setattr("psa.sandbox.faults.time", sleeps)
    sandbox.latency_ms, sandbox.jitter_ms = 200, 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: cw.get("/service/tickets/count").status_code, range(8)))
    assert statuses == [200] * 8
    assert sleeps.delays == [0.2] * 8


def test_parallel_writes_get_unique_ids(cw, sandbox):
    ticket = cw.post("/service/tickets", json={"summary": "Busy", "company": {"id": 250}}).json()
    members = [m["id"] for m in sandbox.members()[:10]]
    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(lambda mid: cw.post("/schedule/entries", json={
            "objectId": ticket["id"], "type": {"identifier": "S"}, "member": {"id": mid}}).json(), members))
    assert len({e["id"] for e in created}) == 10
    assert len(cw.get(f"/service/tickets/{ticket['id']}").json()["resources"].split(", ")) == 10


def test_env_vars_set_the_default_sandboxes_random_faults(sandbox, monkeypatch):
    monkeypatch.setenv("CW_SANDBOX_LATENCY_MS", "15")
    monkeypatch.setenv("CW_SANDBOX_JITTER_MS", "5")
    monkeypatch.setenv("CW_SANDBOX_ERROR_RATE", "0.1")
    monkeypatch.setenv("CW_SANDBOX_429_RATE", "0.05")
    sandbox.reset()
    assert (sandbox.latency_ms, sandbox.jitter_ms, sandbox.error_rate, sandbox.rate_429) == (15, 5, 0.1, 0.05)
    monkeypatch.setenv("CW_SANDBOX_ERROR_RATE", "lots")
    with pytest.raises(ValueError, match="CW_SANDBOX_ERROR_RATE"):
        sandbox.reset()
    monkeypatch.delenv("CW_SANDBOX_LATENCY_MS")
    monkeypatch.delenv("CW_SANDBOX_JITTER_MS")
    monkeypatch.delenv("CW_SANDBOX_ERROR_RATE")
    monkeypatch.delenv("CW_SANDBOX_429_RATE")
    sandbox.reset()
    assert (sandbox.latency_ms, sandbox.error_rate, sandbox.rate_429) == (0, 0, 0)


# --- log and reset --------------------------------------------------------------------------------


def test_every_request_is_logged(cw, sandbox, anonymous):
    cw.get("/service/tickets", params={"pageSize": 2})
    cw.get("/nowhere")
    sandbox.inject("refused", times=1)
    with pytest.raises(httpx.ConnectError):
        cw.get("/system/info")
    anonymous.get("/login/companyinfo/sandbox")
    log = sandbox.request_log
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/service/tickets", 200), ("GET", "/nowhere", 404), ("GET", "/system/info", 0),
        ("GET", "/login/companyinfo/sandbox", 200)]
    assert log[0].query == "pageSize=2" and log[0].bytes > 0
    sandbox.clear_log()
    assert sandbox.request_log == []


def test_reset_restores_seed_data_faults_and_log(cw, sandbox):
    original = cw.get("/service/tickets/1042").json()
    cw.patch("/service/tickets/1042", json=[{"op": "replace", "path": "summary", "value": "Changed"}])
    cw.post("/service/tickets", json={"summary": "New", "company": {"id": 250}})
    sandbox.inject("500")
    sandbox.latency_ms = 50
    sandbox.reset()
    assert sandbox.request_log == [] and sandbox.latency_ms == 0
    assert cw.get("/service/tickets/1042").json() == original
    assert cw.post("/service/tickets", json={"summary": "New", "company": {"id": 250}}).json()["id"] == 1640


def test_reset_restores_the_seed_snapshot_without_building_the_seed_again(sandbox, monkeypatch):
    # What keeps a reset (once per test) cheap: the seed is built once, at start-up, and a reset only
    # unpickles it. How long a reset takes is a figure: python -m bench.sandbox_figures.
    def build_seed(*args, **kwargs):
        raise AssertionError("reset() built the seed again")

    monkeypatch.setattr("psa.sandbox.app.build_seed", build_seed)
    sandbox.state["tickets"].clear()
    sandbox.reset()
    assert sandbox.ticket_count() > 0
