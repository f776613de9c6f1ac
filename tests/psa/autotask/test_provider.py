"""AutotaskProvider against the in-process Autotask sandbox: every PSAProvider method."""

from __future__ import annotations

import json

import pytest

from psa.autotask.client import AutotaskHourlyLimitError, AutotaskThreadLimitError, AutotaskUnknownUserError
from psa.metrics import psa_call_counter
from psa.providers.autotask import AutotaskChoosePrimaryError, stored_external_ref
from psa.providers.base import (
    PSAAuthError,
    PSANotFoundError,
    PSAPermissionError,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.schemas import TicketCreatePayload, TicketSearchQuery

from .conftest import calls, make_provider

JSMITH, AGARCIA, MCHEN = 101, 102, 103
ACME = 250


def payload(**overrides):
    data = {"summary": "Printer on floor 2 is jammed", "company_id": ACME, "board_id": 1, "status_id": 1, "priority_id": 2}
    return TicketCreatePayload(**{**data, **overrides})


def expected(sandbox, keep=lambda t: t["status"] != 5):
    sort = {int(v["value"]): v["sortOrder"] for v in sandbox.state["picklists"]["Tickets"]["priority"]}
    rows = [t for t in sandbox.state["tickets"].values() if keep(t)]
    return [t["id"] for t in sorted(rows, key=lambda t: (sort[t["priority"]], -t["id"]))]


def filters_sent(sandbox):
    """The filter of every ticket query and count the provider sent."""
    out = []
    for entry in calls(sandbox, path_end="/Tickets/query") + calls(sandbox, path_end="/Tickets/query/count"):
        if entry.method == "POST":
            out.append(json.loads(entry.body)["filter"])
        else:
            from urllib.parse import parse_qs

            out.append(json.loads(parse_qs(entry.query)["search"][0])["filter"])
    return out


# --- search -------------------------------------------------------------------------------------------


def test_search_returns_open_tickets_most_urgent_first_then_newest(provider, at_sandbox):
    page = provider.search_tickets(TicketSearchQuery(), page_size=100)
    assert [t.id for t in page.items] == expected(at_sandbox)[:100]
    assert page.total == len(expected(at_sandbox)) and not any(t.closed for t in page.items)
    assert page.items[0].priority_name == "Critical" and page.items[0].priority_id == 4  # value 4, sorts first


def test_every_page_is_the_next_slice_of_one_order_and_the_total_counts_every_match(provider, at_sandbox):
    want = expected(at_sandbox)
    seen = []
    for page in range(1, len(want) // 60 + 2):
        result = provider.search_tickets(TicketSearchQuery(), page=page, page_size=60)
        assert result.total == len(want)
        seen += [t.id for t in result.items]
    assert seen == want


def test_a_page_of_1000_reads_past_autotasks_500_records_a_page(provider, at_sandbox):
    everything = provider.search_tickets(TicketSearchQuery(include_closed=True), page_size=1000)
    assert [t.id for t in everything.items] == expected(at_sandbox, keep=lambda t: True)
    assert everything.total == at_sandbox.ticket_count() > 500


def test_a_page_costs_a_count_per_priority_a_fetch_and_three_look_ups(provider, at_sandbox):
    provider.list_priorities(), provider.list_members()  # reference data is cached per provider
    with psa_call_counter() as first_time:
        provider.search_tickets(TicketSearchQuery(), page_size=25)
    with psa_call_counter() as counter:
        provider.search_tickets(TicketSearchQuery(), page_size=25)
    assert counter.count == 5 + 1 + 3  # 4 priorities + "other", one fetch, companies/contacts/secondaries
    assert first_time.count == counter.count + 1  # the first time, one read of 101 found out that it matches many


def test_a_search_matching_few_is_one_read_sorted_in_the_app(provider, at_sandbox):
    provider.list_priorities(), provider.list_members()
    want = expected(at_sandbox, lambda t: t["companyID"] == ACME and t["status"] != 5)
    assert 0 < len(want) <= 100
    with psa_call_counter() as counter:
        second_page = provider.search_tickets(TicketSearchQuery(company_id=ACME), page=2, page_size=2)
    assert [t.id for t in second_page.items] == want[2:4] and second_page.total == len(want)
    assert counter.count == 1 + 3  # all of them at once, then companies/contacts/secondaries


@pytest.mark.parametrize(("query", "keep"), [
    (TicketSearchQuery(board_id=2), lambda t: t["queueID"] == 2 and t["status"] != 5),
    (TicketSearchQuery(status_id=7), lambda t: t["status"] == 7),
    (TicketSearchQuery(status_name="waiting customer"), lambda t: t["status"] == 7),
    (TicketSearchQuery(priority_id=4), lambda t: t["priority"] == 4 and t["status"] != 5),
    (TicketSearchQuery(company_id=ACME), lambda t: t["companyID"] == ACME and t["status"] != 5),
    (TicketSearchQuery(unassigned=True), lambda t: t["assignedResourceID"] is None and t["status"] != 5),
    (TicketSearchQuery(include_closed=True, board_id=4), lambda t: t["queueID"] == 4),
    (TicketSearchQuery(exclude_ticket_id=1001, include_closed=True), lambda t: t["id"] != 1001),
])
def test_each_filter_selects_what_it_says(provider, at_sandbox, query, keep):
    result = provider.search_tickets(query, page_size=1000)
    assert [t.id for t in result.items] == expected(at_sandbox, keep) and result.total == len(expected(at_sandbox, keep))
    assert all(f for f in filters_sent(at_sandbox))  # never a query without a filter


def test_assigned_to_someone_matches_primary_or_secondary(provider, at_sandbox):
    secondary = {s["ticketID"] for s in at_sandbox.state["secondaries"].values() if s["resourceID"] == AGARCIA}
    keep = lambda t: t["status"] != 5 and (t["assignedResourceID"] == AGARCIA or t["id"] in secondary)  # noqa: E731
    result = provider.search_tickets(TicketSearchQuery(assigned_identifier="agarcia"), page_size=1000)
    assert [t.id for t in result.items] == expected(at_sandbox, keep)
    assert any(t.resources[0] != "agarcia" for t in result.items)  # some only as a secondary resource
    assert all("agarcia" in t.resources for t in result.items)


def test_an_unknown_assignee_or_status_name_matches_nothing_without_a_ticket_query(provider, at_sandbox):
    assert provider.search_tickets(TicketSearchQuery(assigned_identifier="nobody")).total == 0
    assert provider.search_tickets(TicketSearchQuery(status_name="No such status")).total == 0
    assert calls(at_sandbox, path_end="/Tickets/query") == calls(at_sandbox, path_end="/Tickets/query/count") == []


def test_free_text_matches_title_company_name_and_ticket_number(provider, at_sandbox):
    titles = provider.search_tickets(TicketSearchQuery(search="vpn"), page_size=1000)
    assert titles.total and all("vpn" in t.summary.lower() or "vpn" in (t.company_name or "").lower() for t in titles.items)
    by_company = provider.search_tickets(TicketSearchQuery(search="Wonka"), page_size=1000)
    assert by_company.total and {t.company_name for t in by_company.items} == {"Wonka Foods"}
    number = at_sandbox.state["tickets"][1003]["ticketNumber"]
    assert [t.id for t in provider.search_tickets(TicketSearchQuery(search=number, include_closed=True)).items] == [1003]
    assert [t.id for t in provider.search_tickets(TicketSearchQuery(search="1003", include_closed=True)).items][:1] == [1003]


def test_hostile_search_text_is_just_text(provider):
    assert provider.search_tickets(TicketSearchQuery(search='x"}]},{"op":"exist","field":"id')).total == 0


def test_the_children_of_a_problem_ticket_are_found_by_parent(provider, at_sandbox):
    child = next(t for t in at_sandbox.state["tickets"].values() if t["problemTicketId"])
    result = provider.search_tickets(TicketSearchQuery(parent_ticket_id=child["problemTicketId"], include_closed=True))
    assert child["id"] in [t.id for t in result.items]


def test_count_tickets_is_one_count(provider, at_sandbox):
    provider.list_priorities()
    with psa_call_counter() as counter:
        assert provider.count_tickets(TicketSearchQuery(board_id=1)) == len(expected(at_sandbox, lambda t: t["queueID"] == 1 and t["status"] != 5))
    assert counter.count == 1


# --- one ticket ------------------------------------------------------------------------------------------


def test_get_ticket_reads_names_people_sla_and_children(provider, at_sandbox):
    problem = next(t for t in at_sandbox.state["tickets"].values() if t["ticketType"] == 3
                   and any(c["problemTicketId"] == t["id"] for c in at_sandbox.state["tickets"].values()))
    detail = provider.get_ticket(problem["id"])
    assert detail.summary == problem["title"] and detail.has_child_ticket
    assert detail.board_name and detail.status_name and detail.priority_name and detail.company_name
    assert detail.sla_name in ("Standard SLA", "Premium SLA")
    with pytest.raises(PSANotFoundError):
        provider.get_ticket(999_999)


def test_create_ticket_posts_once_with_the_assignee_as_primary_and_answers_with_names(provider, at_sandbox):
    provider.list_members()
    with psa_call_counter() as counter:
        created = provider.create_ticket(payload(assigned_member_id=JSMITH, description="Paper everywhere"))
    assert counter.count <= 3  # the POST, the company's name beside it, the picklists (cached here or not)
    assert (created.summary, created.board_name, created.status_name, created.priority_name, created.company_name) == (
        "Printer on floor 2 is jammed", "Service Desk", "New", "Medium", "Acme Corp")
    assert [r.member_identifier for r in created.resources] == ["jsmith"]
    stored = at_sandbox.state["tickets"][created.id]
    assert (stored["assignedResourceID"], stored["assignedResourceRoleID"]) == (JSMITH, 2)
    assert stored["description"] == "Paper everywhere" and stored["ticketNumber"].startswith("T")
    post = calls(at_sandbox, "POST", "/Tickets")[0]
    assert "null" not in post.body  # Autotask answers 500 to explicit nulls on create


def test_a_refused_create_is_a_validation_error_naming_the_field(provider):
    with pytest.raises(PSAValidationError) as error:
        provider.create_ticket(payload(priority_id=99))
    assert [f.field for f in error.value.field_errors] == ["priority_id"]
    with pytest.raises(PSAValidationError) as error:
        provider.create_ticket(payload(company_id=99_999))
    assert [f.field for f in error.value.field_errors] == ["company_id"]


def test_an_assignee_without_a_service_desk_role_is_refused_before_posting(provider, at_sandbox):
    at_sandbox.state["resources"][MCHEN]["defaultServiceDeskRoleID"] = None
    with pytest.raises(PSAValidationError) as error:
        provider.create_ticket(payload(assigned_member_id=MCHEN))
    assert error.value.field_errors[0].field == "assigned_member_id" and calls(at_sandbox, "POST") == []


def test_a_keyed_create_is_found_again_by_its_reference_even_beyond_50_characters(provider, at_sandbox):
    ref = "rf-create:" + "0123456789abcdef" * 4
    created = provider.create_ticket(payload(), external_ref=ref)
    assert at_sandbox.state["tickets"][created.id]["externalID"] == stored_external_ref(ref)
    found = provider.find_ticket_by_external_ref(ref)
    assert found is not None and found.id == created.id
    assert provider.find_ticket_by_external_ref("rf-create:" + "f" * 64) is None
    # Autotask probably compares case-insensitively: only the exact reference counts
    provider.create_ticket(payload(), external_ref="Short-Ref")
    assert provider.find_ticket_by_external_ref("short-ref") is None


def test_update_status_patches_with_the_id_in_the_body_and_returns_the_new_row(provider, at_sandbox):
    ticket = provider.search_tickets(TicketSearchQuery(status_id=1), page_size=1).items[0]
    update = provider.update_status(ticket.id, 5)
    assert (update.previous_status, update.new_status) == ("New", "Complete")
    assert update.ticket is not None and update.ticket.closed and update.ticket.status_name == "Complete"
    patch = calls(at_sandbox, "PATCH")[0]
    assert patch.path == "/V1.0/Tickets" and json.loads(patch.body) == {"id": ticket.id, "status": 5}
    assert at_sandbox.state["tickets"][ticket.id]["completedDate"] is not None


def test_an_unknown_status_is_refused_as_invalid(provider):
    with pytest.raises(PSAValidationError):
        provider.update_status(1001, 77)
    with pytest.raises(PSANotFoundError):
        provider.update_status(999_999, 5)


def test_related_tickets_are_the_parent_children_and_the_companys_open_tickets(provider, at_sandbox):
    child = next(t for t in at_sandbox.state["tickets"].values() if t["problemTicketId"])
    related = provider.list_related_tickets(child["id"], child["companyID"], parent_ticket_id=child["problemTicketId"], limit=10)
    assert related[0].id == child["problemTicketId"]
    assert child["id"] not in [t.id for t in related] and len(related) <= 10
    rest = [t for t in related[1:] if t.company_id == child["companyID"]]
    keys = [(t.priority_sort, -t.id) for t in rest]
    assert keys == sorted(keys) and not any(t.closed for t in rest)


@pytest.mark.parametrize("few", [100, 2], ids=["read-at-once", "too-many-so-by-buckets"])
def test_the_companys_open_tickets_come_in_the_queues_order_either_way(provider, at_sandbox, monkeypatch, few):
    from psa.autotask.query import F
    from psa.providers import autotask

    monkeypatch.setattr(autotask, "FEW_TICKETS", few)
    ticket = next(t for t in at_sandbox.state["tickets"].values() if not t["problemTicketId"])
    company = ticket["companyID"]
    picklists = provider._picklists("Tickets")
    filters = [F.eq("companyID", company), F.noteq("status", 5), F.noteq("id", ticket["id"])]
    by_buckets = [int(r["id"]) for r in provider._ordered(filters, picklists, None, 0, 10)[0]]
    assert len(by_buckets) > 2  # enough open tickets that the "too many" case goes through the buckets

    at_sandbox.clear_log()
    related = provider.list_related_tickets(ticket["id"], company, limit=10)

    assert [t.id for t in related if t.company_id == company] == by_buckets
    counts = calls(at_sandbox, "GET", "Tickets/query/count") + calls(at_sandbox, "POST", "Tickets/query/count")
    assert (counts == []) == (few == 100)  # read at once: no count per priority bucket


# --- resources --------------------------------------------------------------------------------------------


def new_ticket(provider, **kwargs):
    return provider.create_ticket(payload(**kwargs)).id


def test_the_first_resource_becomes_primary_the_next_ones_secondary(provider, at_sandbox):
    ticket = new_ticket(provider)
    assert provider.add_resource(ticket, JSMITH).member_identifier == "jsmith"
    assert at_sandbox.state["tickets"][ticket]["assignedResourceID"] == JSMITH
    provider.add_resource(ticket, AGARCIA)
    provider.add_resource(ticket, AGARCIA)  # already assigned: nothing changes
    assert [r.member_identifier for r in provider.list_resources(ticket)] == ["jsmith", "agarcia"]
    rows = [s for s in at_sandbox.state["secondaries"].values() if s["ticketID"] == ticket]
    assert [(s["resourceID"], s["roleID"]) for s in rows] == [(AGARCIA, 1)]


def test_removing_a_secondary_resource_deletes_its_row_under_the_ticket(provider, at_sandbox):
    ticket = new_ticket(provider, assigned_member_id=JSMITH)
    provider.add_resource(ticket, AGARCIA)
    provider.remove_resource(ticket, AGARCIA)
    assert [r.member_id for r in provider.list_resources(ticket)] == [JSMITH]
    assert calls(at_sandbox, "DELETE")[0].path.startswith(f"/V1.0/Tickets/{ticket}/SecondaryResources/")
    with pytest.raises(PSANotFoundError):
        provider.remove_resource(ticket, MCHEN)


def test_removing_the_primary_asks_who_takes_over_and_changes_nothing(provider, at_sandbox):
    ticket = new_ticket(provider, assigned_member_id=JSMITH)
    provider.add_resource(ticket, AGARCIA)
    provider.add_resource(ticket, MCHEN)
    at_sandbox.clear_log()
    with pytest.raises(AutotaskChoosePrimaryError) as error:
        provider.remove_resource(ticket, JSMITH)
    assert [c.member_identifier for c in error.value.candidates] == ["agarcia", "mchen"]
    assert (error.value.ticket_id, error.value.member_id) == (ticket, JSMITH) and "John Smith" in error.value.message
    assert calls(at_sandbox, "PATCH") == calls(at_sandbox, "DELETE") == []
    assert [r.member_id for r in provider.list_resources(ticket)] == [JSMITH, AGARCIA, MCHEN]


def test_the_chosen_secondary_becomes_primary_with_its_role(provider, at_sandbox):
    ticket = new_ticket(provider, assigned_member_id=JSMITH)
    provider.add_resource(ticket, AGARCIA)
    provider.add_resource(ticket, MCHEN)
    [role] = [s["roleID"] for s in at_sandbox.state["secondaries"].values() if s["ticketID"] == ticket and s["resourceID"] == MCHEN]
    provider.remove_resource(ticket, JSMITH, new_primary_id=MCHEN)
    assert [r.member_id for r in provider.list_resources(ticket)] == [MCHEN, AGARCIA]
    assert at_sandbox.state["tickets"][ticket]["assignedResourceRoleID"] == role == 3  # Network Engineer
    with pytest.raises(PSAValidationError):
        provider.remove_resource(ticket, MCHEN, new_primary_id=JSMITH)  # not one of the secondaries


def test_a_failed_promotion_puts_the_chosen_resource_back(provider, at_sandbox):
    ticket = new_ticket(provider, assigned_member_id=JSMITH)
    provider.add_resource(ticket, AGARCIA)
    at_sandbox.inject("validation", method="PATCH", times=1)
    with pytest.raises(PSAValidationError):
        provider.remove_resource(ticket, JSMITH, new_primary_id=AGARCIA)
    assert [r.member_id for r in provider.list_resources(ticket)] == [JSMITH, AGARCIA]


def test_removing_the_only_resource_leaves_the_ticket_unassigned(provider, at_sandbox):
    ticket = new_ticket(provider, assigned_member_id=JSMITH)
    provider.remove_resource(ticket, JSMITH)
    assert provider.list_resources(ticket) == []
    assert at_sandbox.state["tickets"][ticket]["assignedResourceRoleID"] is None


# --- notes and configurations ----------------------------------------------------------------------------------


def test_notes_are_the_description_first_then_the_notes_oldest_first(provider, at_sandbox):
    ticket = next(tid for tid in sorted(at_sandbox.state["tickets"])
                  if len([n for n in at_sandbox.state["notes"].values() if n["ticketID"] == tid]) >= 2)
    notes = provider.list_notes(ticket)
    assert notes[0].id == 0 and notes[0].text == at_sandbox.state["tickets"][ticket]["description"]
    times = [n.created_at for n in notes[1:]]
    assert times == sorted(times) and len(notes) >= 3
    publish = {n["id"]: n["publish"] for n in at_sandbox.state["notes"].values()}
    assert all(n.kind == ("discussion" if publish[n.id] == 1 else "internal") for n in notes[1:])
    with pytest.raises(PSANotFoundError):
        provider.list_notes(999_999)


@pytest.mark.parametrize(("kind", "publish"), [("internal", 2), ("discussion", 1)])
def test_a_note_is_posted_under_its_ticket_with_the_publish_type_of_its_kind(provider, at_sandbox, kind, publish):
    note = provider.add_note(1001, "Rebooted the switch\nAll ports up", kind)
    stored = at_sandbox.state["notes"][note.id]
    assert (stored["publish"], stored["ticketID"], stored["title"], stored["noteType"]) == (
        publish, 1001, "Rebooted the switch", 1)
    assert note.kind == kind and note.author == "ResolutionFlow API"
    assert calls(at_sandbox, "POST")[0].path == "/V1.0/Tickets/1001/Notes"
    assert provider.list_notes(1001)[-1].text == "Rebooted the switch\nAll ports up"


def test_a_resolution_note_or_an_empty_note_is_refused(provider):
    with pytest.raises(PSAValidationError) as error:
        provider.add_note(1001, "Fixed", "resolution")
    assert error.value.field_errors[0].field == "kind"
    with pytest.raises(PSAValidationError):
        provider.add_note(1001, "   ")


def test_configurations_are_the_tickets_configuration_item(provider, at_sandbox):
    ticket = next(t for t in at_sandbox.state["tickets"].values() if t["configurationItemID"])
    [config] = provider.list_configurations(ticket["id"])
    item = at_sandbox.state["configuration_items"][ticket["configurationItemID"]]
    assert (config.id, config.name, config.serial_number, config.ip_address) == (
        item["id"], item["referenceTitle"], item["serialNumber"], item["rmmDeviceAuditIPAddress"])
    assert config.type_name in {"Workstation", "Laptop", "Server", "Firewall", "Switch", "Printer"}
    bare = next(t for t in at_sandbox.state["tickets"].values() if not t["configurationItemID"])
    assert provider.list_configuration_refs(bare["id"]) == []
    assert [c.id for c in provider.get_configurations([item["id"], 1])] == [item["id"]]


# --- reference data and connection -------------------------------------------------------------------------------


def test_queues_are_boards_and_every_board_has_the_account_wide_statuses(provider):
    assert [b.name for b in provider.list_boards()] == ["Client Portal", "Network Operations", "Projects", "Security",
                                                        "Service Desk"]
    statuses = provider.get_ticket_statuses(3)
    assert [s.name for s in statuses][:2] == ["New", "In Progress"] and statuses[-1].name == "Complete"
    assert [s.id for s in statuses if s.closed] == [5] and "On Hold" not in [s.name for s in statuses]
    assert [s.id for s in provider.get_ticket_statuses(1)] == [s.id for s in statuses]


def test_picklists_and_resources_are_read_once_and_then_cached(provider, at_sandbox):
    provider.list_boards(), provider.list_priorities(), provider.get_ticket_statuses(1), provider.list_members()
    provider.list_boards(), provider.list_members()
    assert len(calls(at_sandbox, path_end="/Tickets/entityInformation/fields")) == 1
    assert len(calls(at_sandbox, path_end="/Resources/query")) == 1


def test_members_are_active_resources_without_the_api_user(provider):
    members = provider.list_members()
    assert [m.identifier for m in members][:2] == ["jsmith", "agarcia"] and len(members) == 11
    assert members[0].name == "John Smith" and members[0].id == JSMITH


def test_companies_are_searched_by_name_or_number_and_sorted_by_name(provider):
    assert [c.name for c in provider.search_companies("acme")] == ["Acme Corp", "Acme Dental"]
    assert [c.identifier for c in provider.search_companies("globex")] == ["Globex"]
    everyone = provider.search_companies(None, limit=1000)
    assert [c.name for c in everyone] == sorted((c.name for c in everyone), key=str.casefold)
    assert "Old Client Co" not in [c.name for c in everyone]  # inactive
    assert provider.get_company(ACME).name == "Acme Corp"
    with pytest.raises(PSANotFoundError):
        provider.get_company(99_999)


def test_system_info_reports_the_autotask_version_and_zone(provider):
    info = provider.system_info()
    assert (info.version, info.cloud_region, info.is_cloud) == ("2025.2.512", "SANDBOX", True)


def test_bad_credentials_and_an_unknown_user_are_told_apart(at_sandbox):
    with pytest.raises(AutotaskUnknownUserError):
        make_provider(at_sandbox, username="someone@else.example").system_info()
    with pytest.raises(PSAAuthError) as error:
        make_provider(at_sandbox, integration_code="WRONG").system_info()
    assert "integration code" in error.value.message and "WRONG" not in error.value.message


# --- failures the product must survive -----------------------------------------------------------------------------


def test_an_outage_is_retried_on_reads_and_then_reported_as_unavailable(provider, at_sandbox):
    provider.list_priorities()
    at_sandbox.inject("503", path=r"/Tickets/query/count$", times=2)
    assert provider.search_tickets(TicketSearchQuery()).total > 0  # retried through
    at_sandbox.inject("500", path=r"/Tickets/query/count$")
    with pytest.raises(PSAUnavailableError) as error:
        provider.search_tickets(TicketSearchQuery())
    assert error.value.message == "Autotask is unavailable right now"


def test_a_permission_500_is_a_permission_error(provider, at_sandbox):
    at_sandbox.inject("permission", method="POST")
    with pytest.raises(PSAPermissionError):
        provider.add_note(1001, "hello")


def test_the_thread_limit_answer_is_retried_with_either_status(provider, at_sandbox):
    provider.list_priorities()
    at_sandbox.thread_limit_status = 500  # "may arrive with a non-429 HTTP status"
    at_sandbox.inject("thread", path=r"/Tickets/query/count$", times=2)
    assert provider.search_tickets(TicketSearchQuery()).total > 0
    at_sandbox.inject("thread", path=r"/Version$")
    with pytest.raises(AutotaskThreadLimitError) as error:
        provider.system_info()
    assert "3 requests at a time" in error.value.message and error.value.retryable


def test_the_hourly_limit_stops_at_once_and_says_so(provider, at_sandbox):
    provider.system_info()
    at_sandbox.hourly_limit = at_sandbox.requests_this_hour()
    at_sandbox.clear_log()
    with pytest.raises(AutotaskHourlyLimitError) as error:
        provider.get_company(ACME)
    assert "10,000 API requests per hour" in error.value.message
    assert len(calls(at_sandbox)) == 1  # not retried: it cannot succeed within the request


def test_an_unreadable_answer_is_a_malformed_response_not_a_crash(provider, at_sandbox):
    at_sandbox.inject("malformed", path=r"/Companies/\d+$")
    with pytest.raises(PSAUnavailableError):
        provider.get_company(ACME)
