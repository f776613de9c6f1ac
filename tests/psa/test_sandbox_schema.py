"""The sandbox's view of ConnectWise's OpenAPI schemas: field paths, field types, and writes read the
way ConnectWise's JSON binder reads them."""

from __future__ import annotations

import pytest

from psa.sandbox import schema


def test_the_field_set_is_the_whole_schema_not_just_what_the_seed_fills():
    ticket = schema.fields("Ticket")
    top_level = [path for path in ticket if "/" not in path]
    assert len(top_level) == 115  # every Ticket property but _info
    for path in ("estimatedStartDate", "department/id", "location/id", "workType/id", "predecessorId",
                 "externalXRef", "poNumber"):
        assert path in ticket
    assert {"adminFlag", "serviceDefaultBoard/id"} <= set(schema.fields("Member"))
    assert {"parentCompany/id", "territory/id"} <= set(schema.fields("Company"))
    assert "closeDate" in schema.fields("ScheduleEntry")


def test_references_are_followed_into_their_fields_and_info_is_left_out():
    ticket = schema.fields("Ticket")
    assert ticket["board"].kind == "reference" and ticket["board"].ref == "BoardReference"
    assert ticket["board/id"].kind == "integer"
    assert ticket["board/name"].kind == "string"
    assert not any(path == "_info" or path.endswith("/_info") for path in ticket)


def test_each_field_has_the_type_the_schema_gives_it():
    ticket = schema.fields("Ticket")
    assert ticket["requiredDate"].kind == "date-time"
    assert ticket["budgetHours"].kind == "number"
    assert ticket["closedFlag"].kind == "boolean"
    assert ticket["parentTicketId"].kind == "integer" and ticket["parentTicketId"].nullable
    assert ticket["severity"].enum == ("Low", "Medium", "High") and ticket["severity"].required_on_update
    assert ticket["summary"].max_length == 100 and ticket["summary"].required
    assert ticket["initialDescription"].create_only
    assert schema.fields("TimeEntry")["hourlyRate"].update_only


def test_paths_through_arrays_are_marked_for_child_conditions():
    company = schema.fields("Company")
    assert company["types"].kind == "array" and company["types"].items == "reference"
    assert company["types/name"].in_array
    assert schema.fields("Ticket")["customFields/caption"].in_array
    assert not schema.fields("Ticket")["board/name"].in_array


def test_info_dates_are_queryable_although_they_are_not_properties():
    assert "dateEntered" not in schema.fields("Ticket")
    assert schema.queryable("Ticket")["dateEntered"].kind == "date-time"
    assert schema.field("Ticket", "LASTUPDATED").path == "lastUpdated"
    assert schema.field("Ticket", "board/ID").path == "board/id"
    assert schema.field("Ticket", "nonsense") is None


@pytest.mark.parametrize(("api_path", "resource"), [
    ("/service/tickets", "Ticket"),
    ("/service/tickets/count", "Ticket"),
    ("/service/tickets/1042", "Ticket"),
    ("/service/tickets/1042/notes", "ServiceNote"),
    ("/service/tickets/1042/notes/count", "ServiceNote"),
    ("/service/boards/1/statuses", "BoardStatus"),
    ("/schedule/entries/count", "ScheduleEntry"),
    ("/time/entries", "TimeEntry"),
    ("/system/members", "Member"),
    ("/nowhere", None),
])
def test_an_api_path_names_the_schema_it_answers_with(api_path, resource):
    assert schema.resource_for_path(api_path) == resource


def test_a_write_is_read_the_way_connectwise_reads_json():
    value, problems = schema.bind("Ticket", {
        "summary": "Printer down", "company": {"id": "250"}, "budgetHours": "2.50", "requiredDate": "",
        "estimatedStartDate": "2025-05-16T10:00:00+02:00", "severity": "low", "approved": "TRUE",
        "id": 99, "notAField": 1,
    })
    assert problems == []
    assert value == {"summary": "Printer down", "company": {"id": 250}, "budgetHours": 2.5, "requiredDate": None,
                     "estimatedStartDate": "2025-05-16T08:00:00Z", "severity": "Low", "approved": True}


def test_a_bad_write_names_every_field_that_is_wrong():
    problems = schema.validate_write("Ticket", {
        "summary": "x" * 101, "budgetHours": "lots", "requiredDate": "not-a-date", "severity": "Huge",
        "board": 1, "closedDate": "2025-05-16T08:00:00Z",
    })
    assert sorted(problems) == sorted([
        ("MaxLengthExceeded", "summary", "summary may not exceed 100 characters."),
        ("InvalidType", "budgetHours", "budgetHours must be a number; 'lots' is not."),
        ("InvalidFormat", "requiredDate",
         "requiredDate must be an ISO-8601 date-time such as 2025-05-16T08:00:00Z; 'not-a-date' is not."),
        ("InvalidValue", "severity", "severity must be one of Low, Medium, High; 'Huge' is not."),
        ("InvalidType", "board", 'board must be an object (a reference: {"id": …}).'),
        ("ReadOnlyField", "closedDate", "closedDate is read-only."),
        ("NullValue", "company", "company is required."),
    ])


def test_a_partial_write_needs_no_required_fields_and_read_only_ones_can_be_tolerated():
    assert schema.validate_write("Ticket", {"budgetHours": 3}, partial=True) == []
    value, problems = schema.bind("Ticket", {"closedDate": "2025-05-16T08:00:00Z", "poNumber": "PO-1"},
                                  partial=True, allow_read_only=True)
    assert (value, problems) == ({"poNumber": "PO-1"}, [])


def test_a_body_that_is_not_an_object_is_refused():
    assert schema.validate_write("ScheduleEntry", [1, 2]) == [
        ("InvalidObject", "body", "A ScheduleEntry object is required.")]


def test_one_patched_field_is_checked_by_its_path():
    assert schema.bind_field("ScheduleEntry", "dateStart", "not-a-date")[1][0].code == "InvalidFormat"
    assert schema.bind_field("ScheduleEntry", "status/id", "3") == (3, [])
    assert schema.bind_field("ScheduleEntry", "allowScheduleConflictsFlag", True) == (True, [])
    assert schema.bind_field("Ticket", "status", {"name": "Closed"}) == ({"name": "Closed"}, [])
    assert schema.bind_field("Ticket", "noSuchField", 1)[1][0].code == "UnknownField"
    assert schema.bind_field("Ticket", "id", 5)[1][0].code == "ReadOnlyField"


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("integer", 7, 7), ("integer", 7.0, 7), ("integer", "7", 7),
    ("number", "2.50", 2.5), ("number", 3, 3),
    ("boolean", "false", False), ("boolean", 1, True),
    ("date-time", "2025-05-16", "2025-05-16T00:00:00Z"), ("date-time", "2025-05-16T08:00:00", "2025-05-16T08:00:00Z"),
    ("string", 42, "42"),
])
def test_values_json_net_converts_are_accepted(kind, raw, expected):
    assert schema.coerce(kind, raw) == (expected, None)


@pytest.mark.parametrize(("kind", "raw"), [
    ("integer", 2.5), ("integer", True), ("integer", "seven"), ("number", "1,5"), ("boolean", "yes"),
    ("boolean", 2), ("date-time", "16/05/2025"), ("date-time", 20250516), ("string", {"a": 1}), ("uuid", "nope"),
])
def test_values_json_net_refuses_are_refused(kind, raw):
    assert schema.coerce(kind, raw)[1] is not None
