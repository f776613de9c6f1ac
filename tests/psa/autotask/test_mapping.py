"""Autotask JSON -> DTOs, and the filter JSON the provider sends: unit tests without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from psa.autotask import mapping
from psa.autotask.mapping import Lookups
from psa.autotask.query import F, or_conditions, query_body
from psa.providers.autotask import stored_external_ref
from psa.providers.base import PSAValidationError

FIELDS = {"fields": [
    {"name": "status", "isPickList": True, "picklistValues": [
        {"value": "1", "label": "New", "sortOrder": 1, "isActive": True, "isDefaultValue": True, "isSystem": True},
        {"value": "8", "label": "In Progress", "sortOrder": 2, "isActive": True},
        {"value": "14", "label": "On Hold", "sortOrder": 9, "isActive": False},
        {"value": "5", "label": "Complete", "sortOrder": 10, "isActive": True, "isSystem": True},
        {"value": "not-a-number", "label": "Broken"},
    ]},
    {"name": "Priority", "isPickList": True, "picklistValues": [  # older databases spell names in PascalCase
        {"value": "1", "label": "High", "sortOrder": 2}, {"value": "2", "label": "Medium", "sortOrder": 3},
        {"value": "3", "label": "Low", "sortOrder": 4}, {"value": "4", "label": "Critical", "sortOrder": 1},
        {"value": "5", "label": "Information", "sortOrder": 5},
    ]},
    {"name": "queueID", "isPickList": True, "picklistValues": [{"value": "29683354", "label": "Service Desk"}]},
    {"name": "issueType", "isPickList": True, "picklistValues": [{"value": "3", "label": "Network"}]},
    {"name": "subIssueType", "isPickList": True, "picklistValues": [{"value": "303", "label": "VPN", "parentValue": "3"}]},
    {"name": "title", "isPickList": False, "picklistValues": None},
]}


def lookups(**kwargs) -> Lookups:
    return Lookups(picklists=mapping.picklists(FIELDS), **kwargs)


TICKET = {
    "id": 29296, "title": "VPN drops", "queueID": 29683354, "status": 8, "priority": 4, "companyID": 629,
    "contactID": 30684718, "assignedResourceID": 29682899, "assignedResourceRoleID": 29683355,
    "createDate": "2020-09-24T09:40:14.113Z", "firstResponseDateTime": "2020-09-24T09:40:16.073Z",
    "firstResponseDueDateTime": "2020-09-24T10:00:00Z", "resolutionPlanDateTime": None,
    "resolutionPlanDueDateTime": "2020-09-25T09:40:14", "resolvedDueDateTime": "2020-09-26T09:40:14Z",
    "serviceLevelAgreementHasBeenMet": None, "issueType": 3, "subIssueType": 303, "problemTicketId": 29001,
    "dueDateTime": "2022-12-06T13:00:00Z", "lastActivityDate": "2022-12-07T09:15:52.407Z",
    "lastActivityResourceID": 29682899,
}
RESOURCES = {29682899: {"id": 29682899, "firstName": "Ana", "lastName": "Garcia", "userName": "agarcia"},
             29682927: {"id": 29682927, "firstName": "Raj", "lastName": "Patel", "userName": "rpatel"}}


def test_statuses_are_read_from_the_picklist_and_only_complete_is_closed():
    values = mapping.picklists(FIELDS)["status"]
    statuses = [mapping.status(v, board_id=7) for v in values]
    assert [(s.id, s.name, s.closed, s.inactive) for s in statuses] == [
        (1, "New", False, False), (8, "In Progress", False, False), (14, "On Hold", False, True), (5, "Complete", True, False)]
    assert {s.board_id for s in statuses} == {7}


def test_priority_urgency_follows_sort_order_not_the_value():
    priorities = sorted((mapping.priority(v) for v in mapping.picklists(FIELDS)["priority"]), key=lambda p: p.sort)
    assert [p.name for p in priorities] == ["Critical", "High", "Medium", "Low", "Information"]
    assert priorities[0].id == 4 and priorities[0].level == "Critical" and priorities[-1].level is None


def test_dates_with_or_without_zone_and_with_seven_fraction_digits_are_utc():
    assert mapping.parse_datetime("2022-12-07T09:15:45.2Z") == datetime(2022, 12, 7, 9, 15, 45, 200000, tzinfo=UTC)
    assert mapping.parse_datetime("2016-03-30T13:10:35.563") == datetime(2016, 3, 30, 13, 10, 35, 563000, tzinfo=UTC)
    assert mapping.parse_datetime("2022-12-07T09:15:28.1470000Z") == datetime(2022, 12, 7, 9, 15, 28, 147000, tzinfo=UTC)
    assert mapping.parse_datetime("yesterday") is None and mapping.parse_datetime(None) is None


def test_a_ticket_row_names_its_queue_status_priority_company_contact_and_people():
    found = lookups(companies={629: {"id": 629, "companyName": "Acme Corp"}},
                    contacts={30684718: {"id": 30684718, "firstName": "Olivia", "lastName": "Baker"}},
                    resources=RESOURCES,
                    secondaries={29296: [{"id": 2, "ticketID": 29296, "resourceID": 29682927, "roleID": 1},
                                         {"id": 1, "ticketID": 29296, "resourceID": 29682899, "roleID": 1}]})
    row = mapping.ticket_row(TICKET, found)
    assert (row.summary, row.board_name, row.status_name, row.priority_name, row.priority_sort) == (
        "VPN drops", "Service Desk", "In Progress", "Critical", 1)
    assert (row.company_name, row.contact_name, row.closed) == ("Acme Corp", "Olivia Baker", False)
    assert row.resources == ["agarcia", "rpatel"]  # primary first, each person once
    assert row.date_entered == datetime(2020, 9, 24, 9, 40, 14, 113000, tzinfo=UTC)
    # first response done, the resolution plan is the next SLA milestone
    assert (row.sla_stage, row.sla_due) == ("Plan", datetime(2020, 9, 25, 9, 40, 14, tzinfo=UTC))


def test_a_completed_ticket_is_closed_and_shows_no_sla_target():
    row = mapping.ticket_row({**TICKET, "status": 5, "serviceLevelAgreementHasBeenMet": True}, lookups())
    assert row.closed and row.sla_stage is None and row.is_in_sla is True


def test_ticket_detail_reads_owner_parent_issue_types_and_milestones():
    detail = mapping.ticket_detail(TICKET, lookups(resources=RESOURCES))
    assert detail.owner_identifier == "agarcia" and detail.parent_ticket_id == 29001
    assert detail.type_name == "Network"
    assert detail.respond_minutes == 0 and detail.date_responded == datetime(2020, 9, 24, 9, 40, 16, 73000, tzinfo=UTC)
    assert detail.required_date == datetime(2022, 12, 6, 13, tzinfo=UTC)


def test_a_ticket_missing_names_still_maps_with_empty_names():
    row = mapping.ticket_row({"id": 7, "title": None, "priority": 99}, Lookups())
    assert (row.id, row.summary, row.priority_name, row.priority_sort, row.resources) == (7, "", None, None, [])


@pytest.mark.parametrize(("publish", "kind"), [(1, "discussion"), (2, "internal"), (3, "internal"), (None, "internal")])
def test_only_notes_published_to_all_users_are_discussion(publish, kind):
    note = mapping.note({"id": 1, "ticketID": 5, "title": "Call", "description": "Called the client", "publish": publish,
                         "createDateTime": "2024-05-01T10:00:00Z", "creatorResourceID": 29682899}, 5, RESOURCES)
    assert note.kind == kind
    assert note.text == "Call\n\nCalled the client" and note.author == "Ana Garcia"


def test_a_note_whose_text_starts_with_its_title_is_not_repeated():
    note = mapping.note({"id": 1, "title": "Called the client", "description": "Called the client\nAll good"}, 5, {})
    assert note.text == "Called the client\nAll good" and note.ticket_id == 5 and note.author is None


def test_companies_members_and_resources():
    assert mapping.company({"id": 0, "companyName": "MSP", "companyNumber": None}).model_dump() == {
        "id": 0, "identifier": "", "name": "MSP"}
    member = mapping.member(RESOURCES[29682899])
    assert (member.id, member.identifier, member.name) == (29682899, "agarcia", "Ana Garcia")
    assert mapping.resource({"id": 3, "userName": "x"}).member_name == "x"


def test_system_info_reports_the_autotask_version_and_zone():
    info = mapping.system_info({"majorVersion": "2025", "minorVersion": "2", "build": "512"}, "AE02")
    assert (info.version, info.is_cloud, info.server_time_zone, info.cloud_region) == ("2025.2.512", True, "UTC", "AE02")


@pytest.mark.parametrize(("name", "dto"), [("title", "summary"), ("CompanyID", "company_id"), ("queueID", "board_id"),
                                           ("assignedResourceRoleID", "assigned_member_id"), ("somethingElse", "somethingElse")])
def test_autotask_field_names_in_errors_become_dto_field_names(name, dto):
    assert mapping.dto_field(name) == dto


# --- filters ----------------------------------------------------------------------------------------


def test_filters_are_plain_json_and_user_text_stays_a_value():
    text = 'foo" OR 1=1 }]'
    body = query_body([F.noteq("status", 5), F.any(F.contains("title", text), F.in_("companyID", [3, 1, 3]))],
                      max_records=25, include_fields=["id", "title", "id"])
    assert json.loads(json.dumps(body)) == {
        "filter": [{"op": "noteq", "field": "status", "value": 5},
                   {"op": "or", "items": [{"op": "contains", "field": "title", "value": text},
                                          {"op": "in", "field": "companyID", "value": [3, 1]}]}],
        "maxRecords": 25, "includeFields": ["id", "title"]}


@pytest.mark.parametrize("build", [
    lambda: F.eq("company/id", 1),  # not an Autotask field name
    lambda: F.eq("status", None),  # Autotask refuses null values
    lambda: F.in_("id", []),
    lambda: F.in_("id", [1, "2"]),
    lambda: F.any(),
    lambda: query_body([]),  # a query always carries a filter
    lambda: query_body([F.any(*[F.eq("id", n) for n in range(501)])]),  # at most 500 OR conditions
])
def test_filters_autotask_would_refuse_are_not_built(build):
    with pytest.raises(ValueError):
        build()


def test_or_conditions_are_counted_in_nested_groups():
    assert or_conditions([F.all(F.any(F.eq("id", 1), F.eq("id", 2)), F.any(F.eq("id", 3)))]) == 3


def test_the_match_all_filter_selects_every_positive_id():
    assert F.match_all() == {"op": "gte", "field": "id", "value": 0}


def test_long_external_refs_are_stored_as_a_fixed_hex_digest_and_short_ones_as_they_are():
    long_ref = "rf-create:" + "ab" * 32
    stored = stored_external_ref(long_ref)
    assert stored.startswith("rf#") and len(stored) == 47 and stored == stored.lower()
    assert stored == stored_external_ref(long_ref) != stored_external_ref(long_ref[:-1] + "c")
    assert stored_external_ref("short-ref") == "short-ref"
    with pytest.raises(PSAValidationError):
        stored_external_ref("bad\x00ref")
