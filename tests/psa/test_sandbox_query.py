"""Sandbox queries typed by ConnectWise's schema: any field the schema has can be filtered, ordered and
asked for, values compare by the field's type, and childConditions / customFieldConditions filter
array elements instead of being ignored."""

from __future__ import annotations

import httpx
import pytest

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"


@pytest.fixture
def cw(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL,
                      auth=("sandbox+sandbox-public", "sandbox-private"), headers={"clientId": "rf-tests"}) as client:
        yield client


def count(cw, path: str = "/service/tickets", **params) -> int:
    response = cw.get(f"{path}/count", params=params)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def ids(cw, path: str = "/service/tickets", **params) -> list[int]:
    response = cw.get(path, params={"pageSize": 1000, "fields": "id", **params})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def refused(cw, path: str = "/service/tickets", **params) -> str:
    response = cw.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidObject"
    return response.json()["message"]


@pytest.mark.parametrize(("path", "conditions"), [
    ("/service/tickets", "estimatedStartDate > [2025-01-01T00:00:00Z]"),
    ("/service/tickets", "department/id = 3"),
    ("/service/tickets", "location/id = 2"),
    ("/service/tickets", "workType/id = 1"),
    ("/service/tickets", "predecessorId = 7"),
    ("/service/tickets", 'externalXRef = "rf-create:1"'),
    ("/service/tickets", 'poNumber = "PO-1"'),
    ("/system/members", "adminFlag = true"),
    ("/system/members", "serviceDefaultBoard/id = 1"),
    ("/company/companies", "parentCompany/id = 250"),
    ("/company/companies", "territory/id = 1"),
    ("/schedule/entries", "closeDate < [2030-01-01T00:00:00Z]"),
])
def test_fields_the_seed_never_fills_can_be_filtered_and_ordered(cw, path, conditions):
    field = conditions.split()[0]
    every = ids(cw, path)
    matching, rest = ids(cw, path, conditions=conditions), ids(cw, path, conditions=f"not ({conditions})")
    assert sorted(matching + rest) == every
    assert sorted(ids(cw, path, orderBy=f"{field} desc")) == every


def test_a_field_the_sandbox_does_not_store_is_null(cw):
    total = count(cw)
    assert count(cw, conditions="estimatedStartDate = null") == total
    assert count(cw, conditions="estimatedStartDate != null") == 0
    assert count(cw, conditions="estimatedStartDate > [2000-01-01T00:00:00Z]") == 0
    assert count(cw, conditions="not estimatedStartDate > [2000-01-01T00:00:00Z]") == total


def test_a_value_the_sandbox_stored_on_post_can_be_found_again(cw):
    created = cw.post("/service/tickets", json={"summary": "Scanner jams", "company": {"id": 250},
                                                "board": {"id": 1}, "poNumber": "PO-4711",
                                                "externalXRef": "rf-create:abc"}).json()
    assert ids(cw, conditions='poNumber = "po-4711"') == [created["id"]]
    assert ids(cw, conditions='externalXRef = "rf-create:abc" and poNumber like "PO-47%"') == [created["id"]]


def test_dates_compare_as_instants_not_as_text(cw, sandbox):
    ticket = sandbox.state["tickets"][1042]
    ticket["requiredDate"] = "2025-05-16T08:00:00Z"
    assert ids(cw, conditions="requiredDate = [2025-05-16T10:00:00+02:00]") == [1042]
    assert ids(cw, conditions='requiredDate = "2025-05-16T08:00:00Z"') == [1042]
    assert 1042 in ids(cw, conditions="requiredDate > [2025-05-16T07:59:59Z]")
    assert 1042 not in ids(cw, conditions="requiredDate > [2025-05-16T08:00:00Z]")


def test_numbers_compare_as_numbers_and_booleans_as_booleans(cw, sandbox):
    sandbox.state["tickets"][1042]["budgetHours"] = 10
    sandbox.state["tickets"][1043]["budgetHours"] = 9.5
    assert set(ids(cw, conditions="budgetHours >= 9.5")) >= {1042, 1043}
    assert 1042 in ids(cw, conditions='budgetHours = "10"')  # quoted numbers convert, as SQL Server does
    assert 1043 not in ids(cw, conditions="budgetHours > 9.5")
    total = count(cw)
    assert count(cw, conditions="closedFlag = true") + count(cw, conditions="closedFlag = 'False'") == total


@pytest.mark.parametrize(("conditions", "named"), [
    ("closedFlag = 'maybe'", "closedFlag"),
    ("board/id = 'one'", "board/id"),
    ("requiredDate > 5", "requiredDate"),
    ("budgetHours = true", "budgetHours"),
    ("board = 1", "board/id"),
    ("requiredDate < null", "null"),
])
def test_a_value_of_the_wrong_type_is_a_400_naming_the_field(cw, conditions, named):
    assert named in refused(cw, conditions=conditions)


def test_an_array_field_belongs_in_child_conditions_not_conditions(cw):
    assert "childConditions" in refused(cw, "/company/companies", conditions='types/name = "Client"')
    assert "customFieldConditions" in refused(cw, conditions='customFields/caption = "Contract"')
    assert "conditions" in refused(cw, "/company/companies", childConditions='name = "Acme Corp"')


def test_child_conditions_filter_companies_by_their_types(cw, sandbox):
    total = count(cw, "/company/companies")
    assert count(cw, "/company/companies", childConditions='types/name = "Client"') == total
    assert count(cw, "/company/companies", childConditions='types/name = "Vendor"') == 0
    sandbox.state["companies"][250]["types"] = [{"id": 1, "name": "Client"}, {"id": 5, "name": "Vendor"}]
    assert ids(cw, "/company/companies", childConditions='types/name = "vendor"') == [250]
    assert ids(cw, "/company/companies", childConditions="types/id = 5 and types/name = 'Vendor'") == [250]
    assert ids(cw, "/company/companies", childConditions="types/id = 1 and types/name = 'Vendor'") == []
    assert ids(cw, "/company/companies", conditions="id < 300", childConditions="types/id in (5, 6)") == [250]


def test_custom_field_conditions_match_one_custom_field_by_caption_and_value(cw, sandbox):
    sandbox.state["tickets"][1042]["customFields"] = [
        {"id": 1, "caption": "Contract", "type": "Text", "value": "Gold"},
        {"id": 2, "caption": "Seats", "type": "Number", "value": 25},
    ]
    sandbox.state["tickets"][1043]["customFields"] = [{"id": 1, "caption": "Contract", "type": "Text", "value": "Silver"}]
    assert ids(cw, customFieldConditions='caption = "Contract" and value = "gold"') == [1042]
    assert ids(cw, customFieldConditions='caption = "Contract" and value like "S%"') == [1043]
    assert ids(cw, customFieldConditions='caption = "Seats" and value > 20') == [1042]
    assert ids(cw, customFieldConditions='caption = "Contract" and value = 25') == []  # one field, not any two
    assert ids(cw, conditions="id != 1042", customFieldConditions='caption = "Contract"') == [1043]


def test_a_filter_that_should_match_nothing_matches_nothing(cw):
    assert count(cw, customFieldConditions='caption = "No such field"') == 0
    assert count(cw, "/company/companies", childConditions='types/name = "No such type"') == 0


def test_custom_field_conditions_name_only_custom_field_properties(cw):
    assert "caption" in refused(cw, customFieldConditions='colour = "red"')
    assert "custom fields" in refused(cw, "/schedule/entries", customFieldConditions='caption = "x"')


def test_field_names_are_case_insensitive_everywhere(cw):
    assert count(cw, conditions="BOARD/ID = 1") == count(cw, conditions="board/id = 1")
    rows = cw.get("/service/tickets", params={"fields": "ID,Board/Name", "orderBy": "Priority/Sort asc",
                                              "pageSize": 2}).json()
    assert set(rows[0]) == {"id", "board"} and set(rows[0]["board"]) >= {"name"}


def test_order_by_is_typed_and_puts_nulls_first(cw, sandbox):
    sandbox.state["tickets"][1042]["budgetHours"] = 10
    sandbox.state["tickets"][1043]["budgetHours"] = 9.5
    sandbox.state["tickets"][1044]["budgetHours"] = 100
    rows = cw.get("/service/tickets", params={"orderBy": "budgetHours asc, id asc", "pageSize": 1000,
                                              "fields": "id,budgetHours"}).json()
    hours = [row.get("budgetHours") for row in rows]
    nulls = hours.count(None)
    assert hours[:nulls] == [None] * nulls
    assert hours[nulls:] == sorted(hours[nulls:])  # 9.5 < 10 < 100, not "10" < "100" < "9.5"
    assert [row["id"] for row in rows if row.get("budgetHours") in (9.5, 10, 100)] == [1043, 1042, 1044]


def test_order_by_an_object_or_an_array_is_a_400(cw):
    assert "board/id" in refused(cw, orderBy="board asc")
    assert "array" in refused(cw, "/company/companies", orderBy="types/name asc")
    assert "colour" in refused(cw, orderBy="colour asc")


def test_an_unknown_name_in_fields_is_a_400(cw):
    assert "colour" in refused(cw, fields="id,colour")
    assert "colour" in refused(cw, "/service/tickets/1042", fields="id,colour")
    assert cw.get("/service/tickets", params={"fields": "id,_info/lastUpdated,board/_info"}).status_code == 200


def test_an_info_entry_asked_for_in_fields_is_served_inside_info(cw):
    row = cw.get("/service/tickets/1042", params={"fields": "id,lastUpdated"}).json()
    assert set(row) == {"id", "_info"} and set(row["_info"]) == {"lastUpdated"}


def test_remembered_answers_equal_fresh_ones(cw, sandbox):
    params = {"conditions": "closedFlag = false", "customFieldConditions": 'caption = "Contract"',
              "orderBy": "priority/sort asc, id asc", "pageSize": 1000, "fields": "id"}
    sandbox.state["tickets"][1042]["customFields"] = [{"caption": "Contract", "value": "Gold"}]
    fresh = cw.get("/service/tickets", params=params).json()
    sandbox.memoize = True
    try:
        assert cw.get("/service/tickets", params=params).json() == fresh
        assert cw.get("/service/tickets", params={**params, "customFieldConditions": ""}).json() != fresh
    finally:
        sandbox.memoize = False
