"""Every write to the ConnectWise sandbox is read the way ConnectWise reads it: the fields real integrations
send are accepted (numbers and booleans sent as strings, ISO-8601 dates with Z or an offset, "" clearing a
date, references by id or by name, a status named together with a new board in either order), and what
ConnectWise would refuse is refused with its error body (400 InvalidObject, one error per field naming
the code, the resource and the field) and changes nothing.
"""

from __future__ import annotations

import httpx
import pytest

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
AUTH = ("sandbox+sandbox-public", "sandbox-private")
TICKET = 1042  # Service Desk (board 1), status 13 "Waiting on Client"
ENTRY = 7000  # a service schedule entry
TIME_ENTRY = 40000  # a seeded time entry
NEW_TICKET = {"summary": "Printer down", "company": {"id": 250}}
NEW_ENTRY = {"objectId": TICKET, "type": {"identifier": "S"}, "member": {"id": 101}}
NEW_TIME = {"chargeToType": "ServiceTicket", "chargeToId": TICKET, "member": {"id": 101},
            "timeStart": "2025-05-16T08:00:00Z", "timeEnd": "2025-05-16T10:00:00Z"}


@pytest.fixture
def cw(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=AUTH,
                      headers={"clientId": "rf-tests"}) as client:
        yield client


def replace(path: str, value) -> dict:
    return {"op": "replace", "path": path, "value": value}


def named(ref: dict) -> dict:
    return {k: v for k, v in ref.items() if k != "_info"}


# --- accepted: what real integrations send ----------------------------------------------------------------

# (method, path, body, field, stored value): the answer and a later GET hold ``field`` = ``stored value``
# (None: the field is gone).
ACCEPTED = [
    ("PATCH", f"/service/tickets/{TICKET}", [replace("estimatedStartDate", "2025-06-01T08:00:00Z")],
     "estimatedStartDate", "2025-06-01T08:00:00Z"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("estimatedStartDate", "2025-06-01T10:00:00+02:00")],
     "estimatedStartDate", "2025-06-01T08:00:00Z"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("requiredDate", "2025-06-01T08:00:00Z"), replace("requiredDate", "")],
     "requiredDate", None),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("budgetHours", "2.50")], "budgetHours", 2.5),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("customerUpdatedFlag", "true")], "customerUpdatedFlag", True),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("serviceLocation", {"id": 2})], "serviceLocation",
     {"id": 2, "name": "Remote"}),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("serviceLocation", {"name": "in-house"})], "serviceLocation",
     {"id": 3, "name": "In-house"}),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("source/id", 3)], "source", {"id": 3, "name": "Portal"}),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("status/id", 12)], "status",
     {"id": 12, "name": "In Progress", "sort": 2}),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("workType", {"name": "After Hours"})], "workType",
     {"id": 2, "name": "After Hours"}),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("externalXRef", "rf-123"), replace("poNumber", 4711)],
     "poNumber", "4711"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("type/id", 51), replace("subType", {"name": "Printing"}),
                                             replace("item/id", 204)], "subType", {"id": 105, "name": "Printing"}),
    ("POST", "/service/tickets", {**NEW_TICKET, "budgetHours": "2.50"}, "budgetHours", 2.5),
    ("POST", "/service/tickets", {**NEW_TICKET, "estimatedStartDate": "2025-06-01T08:00:00Z"}, "estimatedStartDate",
     "2025-06-01T08:00:00Z"),
    ("POST", "/service/tickets", {**NEW_TICKET, "source": {"name": "Email"}}, "source", {"id": 1, "name": "Email"}),
    ("POST", "/service/tickets", {**NEW_TICKET, "contact": {"name": "ava  MORGAN"}, "colour": "red"}, "colour", None),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("allowScheduleConflictsFlag", False)],
     "allowScheduleConflictsFlag", False),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("where/id", 2)], "where", {"id": 2, "name": "Remote"}),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("member/identifier", "agarcia")], "member",
     {"id": 102, "identifier": "agarcia", "name": "Ana Garcia"}),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("dateStart", "2025-06-02T09:00:00Z"),
                                             replace("dateEnd", "2025-06-02T11:30:00Z")], "hours", 2.5),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("doneFlag", "True")], "doneFlag", True),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "dateStart": "2025-06-02T09:00:00.000Z"}, "dateEnd",
     "2025-06-02T10:00:00Z"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "where": {"name": "Remote"}, "allowScheduleConflictsFlag": "false"},
     "allowScheduleConflictsFlag", False),
    ("POST", f"/service/tickets/{TICKET}/notes", {"text": "Called back", "detailDescriptionFlag": "true"},
     "detailDescriptionFlag", True),
    ("POST", "/time/entries", {**NEW_TIME, "timeEnd": None, "actualHours": "2.50"}, "timeEnd", "2025-05-16T10:30:00Z"),
    ("POST", "/time/entries", {**NEW_TIME, "billableOption": "nocharge"}, "billableOption", "NoCharge"),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("actualHours", "1.50")], "actualHours", 1.5),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("workType/id", 3)], "workType", {"id": 3, "name": "Travel"}),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("internalNotes", "Parts on order")], "internalNotes",
     "Parts on order"),
    ("POST", "/company/companies", {"identifier": "NewCo", "name": "New Co", "numberOfEmployees": "12"},
     "numberOfEmployees", 12),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "stored"), ACCEPTED,
                         ids=[f"{m} {p} {f}" for m, p, _, f, _ in ACCEPTED])
def test_writes_real_integrations_send_are_accepted_and_stored_as_connectwise_types_them(
        cw, method, path, body, field, stored):
    response = cw.request(method, path, json=body)
    assert response.status_code == (201 if method == "POST" else 200), response.text
    record = response.json()
    again = cw.get(path if method != "POST" else f"{path}/{record['id']}") if "/notes" not in path else None
    for answer in (record, again.json() if again is not None and again.status_code == 200 else record):
        value = answer.get(field)
        assert (named(value) if isinstance(value, dict) else value) == stored


@pytest.mark.parametrize("order", ["status first", "board first"])
def test_a_status_named_with_a_new_board_is_the_new_boards_status_in_either_order(cw, order):
    operations = [replace("status", {"name": "Waiting on Client"}), replace("board", {"name": "Network Operations"})]
    if order == "board first":
        operations.reverse()
    ticket = cw.patch(f"/service/tickets/{TICKET}", json=operations)
    assert ticket.status_code == 200
    assert (named(ticket.json()["board"]), named(ticket.json()["status"])) == (
        {"id": 2, "name": "Network Operations"}, {"id": 23, "name": "Waiting on Client", "sort": 3})


def test_a_new_board_alone_gets_its_default_status_and_sheds_the_old_boards_type(cw):
    ticket = cw.patch(f"/service/tickets/{TICKET}", json=[replace("board/name", "Security")]).json()
    assert ticket["status"]["id"] == 41 and "type" not in ticket


def test_a_ticket_read_back_can_be_put_back_with_unknown_and_read_only_fields(cw):
    ticket = cw.get(f"/service/tickets/{TICKET}").json()
    response = cw.put(f"/service/tickets/{TICKET}", json={**ticket, "summary": "Round trip", "somethingNew": 1})
    assert response.status_code == 200
    assert {**response.json(), "summary": ticket["summary"]} == {**ticket, "_info": response.json()["_info"]}


def test_moving_an_assignment_to_another_ticket_moves_the_assignee(cw):
    first, second = (cw.post("/service/tickets", json=NEW_TICKET).json()["id"] for _ in range(2))
    entry = cw.post("/schedule/entries", json={**NEW_ENTRY, "objectId": first, "member": {"id": 103}}).json()
    assert cw.patch(f"/schedule/entries/{entry['id']}", json=[replace("objectId", second)]).status_code == 200
    assert "resources" not in cw.get(f"/service/tickets/{first}").json()
    assert cw.get(f"/service/tickets/{second}").json()["resources"] == "mchen"


def test_clearing_a_childs_parent_unbundles_it(cw):
    parent, child = (cw.post("/service/tickets", json=NEW_TICKET).json()["id"] for _ in range(2))
    cw.post(f"/service/tickets/{parent}/attachChildren", json={"childTicketIds": [child]})
    unbundled = cw.patch(f"/service/tickets/{child}", json=[replace("parentTicketId", None)])
    assert unbundled.status_code == 200 and "parentTicketId" not in unbundled.json()
    assert cw.get(f"/service/tickets/{parent}").json()["hasChildTicket"] is False


# --- refused: ConnectWise's error body, nothing changed -----------------------------------------------------

# (method, path, body, resource, field, code)
REFUSED = [
    ("POST", "/service/tickets", {"company": {"id": 250}}, "ticket", "summary", "NullValue"),
    ("POST", "/service/tickets", {**NEW_TICKET, "summary": "x" * 101}, "ticket", "summary", "MaxLengthExceeded"),
    ("POST", "/service/tickets", {"summary": "Printer down"}, "ticket", "company", "NullValue"),
    ("POST", "/service/tickets", {**NEW_TICKET, "company": "Acme"}, "ticket", "company", "InvalidType"),
    ("POST", "/service/tickets", {**NEW_TICKET, "budgetHours": "lots"}, "ticket", "budgetHours", "InvalidType"),
    ("POST", "/service/tickets", {**NEW_TICKET, "requiredDate": "tomorrow"}, "ticket", "requiredDate", "InvalidFormat"),
    ("POST", "/service/tickets", {**NEW_TICKET, "severity": "Urgent"}, "ticket", "severity", "InvalidValue"),
    ("POST", "/service/tickets", {**NEW_TICKET, "resources": "jsmith"}, "ticket", "resources", "ReadOnlyField"),
    ("POST", "/service/tickets", {**NEW_TICKET, "closedFlag": True}, "ticket", "closedFlag", "ReadOnlyField"),
    ("POST", "/service/tickets", {**NEW_TICKET, "board": {"id": 9}}, "ticket", "board", "InvalidReference"),
    ("POST", "/service/tickets", {**NEW_TICKET, "serviceLocation": {"id": 9}}, "ticket", "serviceLocation",
     "InvalidReference"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("requiredDate", "not-a-date")], "ticket", "requiredDate",
     "InvalidFormat"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("budgetHours", "lots")], "ticket", "budgetHours", "InvalidType"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("resources", "jsmith")], "ticket", "resources", "ReadOnlyField"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("actualHours", 3)], "ticket", "actualHours", "ReadOnlyField"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("id", 5)], "ticket", "id", "ReadOnlyField"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("initialDescription", "x")], "ticket", "initialDescription",
     "InvalidField"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("colour", "red")], "ticket", "colour", "UnknownField"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("status", {"id": 22})], "ticket", "status", "InvalidReference"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("summary", "  ")], "ticket", "summary", "NullValue"),
    ("PATCH", f"/service/tickets/{TICKET}", [{"op": "remove", "path": "company"}], "ticket", "company", "NullValue"),
    ("PATCH", f"/service/tickets/{TICKET}", [{"op": "move", "path": "status", "value": {"id": 12}}], "ticket",
     "status", "InvalidOperation"),
    ("PATCH", f"/service/tickets/{TICKET}", [replace("type/id", 54), replace("subType/id", 102)], "ticket",
     "subType", "InvalidReference"),
    ("PUT", f"/service/tickets/{TICKET}", {"company": {"id": 251}}, "ticket", "summary", "NullValue"),
    ("PUT", f"/service/tickets/{TICKET}", {**NEW_TICKET, "budgetHours": "lots"}, "ticket", "budgetHours",
     "InvalidType"),
    ("POST", "/schedule/entries", {"objectId": TICKET, "member": {"id": 101}}, "scheduleEntry", "type", "NullValue"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "dateStart": "soon"}, "scheduleEntry", "dateStart", "InvalidFormat"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "member": None}, "scheduleEntry", "member", "NullValue"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "objectId": "the printer ticket"}, "scheduleEntry", "objectId",
     "InvalidType"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "objectId": 999999}, "scheduleEntry", "objectId", "InvalidReference"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "where": {"id": 9}}, "scheduleEntry", "where", "InvalidReference"),
    ("POST", "/schedule/entries", {**NEW_ENTRY, "dateStart": "2025-06-02T10:00:00Z", "dateEnd": "2025-06-02T09:00:00Z"},
     "scheduleEntry", "dateEnd", "InvalidDate"),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("dateStart", "not-a-date")], "scheduleEntry", "dateStart",
     "InvalidFormat"),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("doneFlag", "maybe")], "scheduleEntry", "doneFlag",
     "InvalidType"),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("id", 1)], "scheduleEntry", "id", "ReadOnlyField"),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("colour", "red")], "scheduleEntry", "colour", "UnknownField"),
    ("PATCH", f"/schedule/entries/{ENTRY}", [replace("member/identifier", "nobody")], "scheduleEntry", "member",
     "InvalidReference"),
    ("POST", f"/service/tickets/{TICKET}/notes", {"text": "", "detailDescriptionFlag": True}, "serviceNote", "text",
     "NullValue"),
    ("POST", f"/service/tickets/{TICKET}/notes", {"text": "x", "detailDescriptionFlag": "maybe"}, "serviceNote",
     "detailDescriptionFlag", "InvalidType"),
    ("POST", f"/service/tickets/{TICKET}/notes", {"text": "x", "internalAnalysisFlag": True, "member": {"id": 1}},
     "serviceNote", "member", "InvalidReference"),
    ("POST", f"/service/tickets/{TICKET}/notes", {"text": "no kind"}, "serviceNote", "detailDescriptionFlag",
     "InvalidObject"),
    ("POST", "/time/entries", {**NEW_TIME, "timeStart": None}, "timeEntry", "timeStart", "NullValue"),
    ("POST", "/time/entries", {**NEW_TIME, "timeStart": "8am"}, "timeEntry", "timeStart", "InvalidFormat"),
    ("POST", "/time/entries", {**NEW_TIME, "chargeToType": "Ticket"}, "timeEntry", "chargeToType", "InvalidValue"),
    ("POST", "/time/entries", {**NEW_TIME, "chargeToId": 999999}, "timeEntry", "chargeToId", "InvalidReference"),
    ("POST", "/time/entries", {**NEW_TIME, "actualHours": "two"}, "timeEntry", "actualHours", "InvalidType"),
    ("POST", "/time/entries", {**NEW_TIME, "timeEnd": "2025-05-16T07:00:00Z"}, "timeEntry", "timeEnd", "InvalidDate"),
    ("POST", "/time/entries", {**NEW_TIME, "workType": {"name": "Overtime"}}, "timeEntry", "workType",
     "InvalidReference"),
    ("POST", "/time/entries", {**NEW_TIME, "member": {"identifier": "nobody"}}, "timeEntry", "member",
     "InvalidReference"),
    ("POST", "/time/entries", {"timeStart": "2025-05-16T08:00:00Z", "actualHours": 1}, "timeEntry", "company",
     "NullValue"),
    ("POST", "/time/entries", {**NEW_TIME, "hoursBilled": 2}, "timeEntry", "hoursBilled", "ReadOnlyField"),
    ("POST", "/time/entries", {**NEW_TIME, "billableOption": "Maybe"}, "timeEntry", "billableOption", "InvalidValue"),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("timeStart", "")], "timeEntry", "timeStart", "NullValue"),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("status", "Billed")], "timeEntry", "status", "ReadOnlyField"),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("member/identifier", "nobody")], "timeEntry", "member",
     "InvalidReference"),
    ("PATCH", f"/time/entries/{TIME_ENTRY}", [replace("colour", "red")], "timeEntry", "colour", "UnknownField"),
    ("PUT", f"/time/entries/{TIME_ENTRY}", {"chargeToType": "ServiceTicket", "chargeToId": TICKET}, "timeEntry",
     "timeStart", "NullValue"),
    ("POST", "/company/companies", {"name": "No Id"}, "company", "identifier", "NullValue"),
    ("POST", "/company/companies", {"identifier": "x" * 31, "name": "Long"}, "company", "identifier",
     "MaxLengthExceeded"),
    ("POST", "/company/companies", {"identifier": "acmecorp", "name": "Again"}, "company", "identifier",
     "ObjectExists"),
    ("POST", "/company/companies", {"identifier": "Staff", "name": "Staff", "numberOfEmployees": "many"}, "company",
     "numberOfEmployees", "InvalidType"),
]


def snapshot(cw, method: str, path: str):
    """What a refused write must leave alone: the record (PATCH/PUT) or the collection's size (POST)."""
    if method == "POST":
        return cw.get(f"{path}/count").json() if "/notes" in path or "entries" in path or "companies" in path \
            else cw.get("/service/tickets/count").json()
    return cw.get(path).json()


@pytest.mark.parametrize(("method", "path", "body", "resource", "field", "code"), REFUSED,
                         ids=[f"{m} {p} {f} {c}" for m, p, _, _, f, c in REFUSED])
def test_invalid_writes_get_connectwise_s_error_body_and_change_nothing(cw, method, path, body, resource, field, code):
    before = snapshot(cw, method, path)
    response = cw.request(method, path, json=body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert set(payload) == {"code", "message", "errors"}
    assert (payload["code"], payload["message"]) == ("InvalidObject", f"{resource} object is invalid")
    error = payload["errors"][0]
    assert set(error) == {"code", "message", "resource", "field"} and error["message"]
    assert (error["code"], error["resource"], error["field"]) == (code, resource, field)
    assert snapshot(cw, method, path) == before
