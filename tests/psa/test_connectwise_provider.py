"""ConnectWiseProvider against the in-process ConnectWise sandbox: every PSAProvider method."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from psa.connectwise.client import base_url_for_site, get_call_count, reset_call_count
from psa.providers.base import PSANotFoundError, PSAUnavailableError, PSAValidationError
from psa.providers.connectwise import ConnectWiseProvider
from psa.schemas import TicketCreatePayload, TicketSearchQuery


@pytest.fixture
def provider(sandbox):
    p = ConnectWiseProvider(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key="sandbox-private",
        client_id="rf-tests",
        transport=httpx.WSGITransport(app=sandbox),
        sleep=lambda seconds: None,
    )
    yield p
    p.close()


def calls(sandbox, method=None, path_end=None):
    return [
        r
        for r in sandbox.request_log
        if (method is None or r.method == method) and (path_end is None or r.path.rstrip("/").endswith(path_end))
    ]


def query_of(entry) -> dict[str, str]:
    query = entry.query if isinstance(entry.query, str) else ""
    return {k: v[0] for k, v in parse_qs(query).items()} if query else dict(entry.query or {})


def open_ticket(provider, **filters):
    return provider.search_tickets(TicketSearchQuery(**filters), page_size=1).items[0]


def ticket_without_resources(provider):
    return open_ticket(provider, unassigned=True)


def payload(**overrides):
    data = {
        "summary": "Printer on floor 2 is jammed",
        "company_id": 250,
        "board_id": 1,
        "status_id": 11,
        "priority_id": 3,
    }
    return TicketCreatePayload(**{**data, **overrides})


# --- search ------------------------------------------------------------------------------------------


def test_search_returns_open_tickets_most_urgent_first_then_newest(provider):
    page = provider.search_tickets(TicketSearchQuery(), page_size=100)
    assert len(page.items) == 100
    assert page.total > 100
    assert not any(t.closed for t in page.items)
    keys = [(t.priority_sort, -t.id) for t in page.items]
    assert keys == sorted(keys)
    assert page.items[0].priority_name == "Priority 1 - Emergency Response"


def test_search_total_counts_every_match_and_pages_do_not_overlap(provider):
    first = provider.search_tickets(TicketSearchQuery(), page=1, page_size=25)
    second = provider.search_tickets(TicketSearchQuery(), page=2, page_size=25)
    everything = provider.search_tickets(TicketSearchQuery(), page=1, page_size=1000)
    assert first.total == second.total == everything.total == len(everything.items)
    assert [t.id for t in first.items + second.items] == [t.id for t in everything.items[:50]]


def test_search_runs_list_and_count_asking_only_for_row_fields(provider, sandbox):
    sandbox.clear_log()
    provider.search_tickets(TicketSearchQuery(board_id=1), page=2, page_size=10)
    [listing] = calls(sandbox, "GET", "/service/tickets")
    [count] = calls(sandbox, "GET", "/service/tickets/count")
    params = query_of(listing)
    assert params["orderBy"] == "priority/sort asc, id desc"
    assert params["page"] == "2" and params["pageSize"] == "10"
    assert "summary" in params["fields"] and "initialDescription" not in params["fields"]
    assert query_of(count)["conditions"] == params["conditions"] == "closedFlag = false and board/id = 1"


def test_search_rows_carry_what_a_row_shows(provider):
    row = provider.search_tickets(TicketSearchQuery(), page_size=1).items[0]
    assert row.id and row.summary and row.board_name and row.status_name and row.priority_name and row.company_name
    assert row.date_entered is not None and row.date_entered.tzinfo is not None
    assert row.priority_sort is not None


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"board_id": 2}, lambda t: t.board_id == 2),
        ({"status_id": 12}, lambda t: t.status_id == 12),
        ({"status_name": "Waiting on Client"}, lambda t: t.status_name == "Waiting on Client"),
        ({"priority_id": 1}, lambda t: t.priority_id == 1),
        ({"company_id": 250}, lambda t: t.company_id == 250),
        ({"unassigned": True}, lambda t: t.resources == []),
        ({"include_closed": True, "status_name": "Closed"}, lambda t: t.closed),
    ],
)
def test_search_filters(provider, filters, check):
    page = provider.search_tickets(TicketSearchQuery(**filters), page_size=200)
    assert page.items, f"no tickets for {filters}"
    assert all(check(t) for t in page.items)


def test_search_by_status_name_spans_boards(provider):
    page = provider.search_tickets(TicketSearchQuery(status_name="In Progress"), page_size=500)
    assert len({t.board_id for t in page.items}) > 1


def test_search_for_an_assignee_finds_exactly_their_tickets(provider, sandbox):
    me = sandbox.members()[0]["identifier"]
    page = provider.search_tickets(TicketSearchQuery(assigned_identifier=me), page_size=500)
    assert page.total >= 10
    assert all(me in t.resources for t in page.items)
    everyone = provider.search_tickets(TicketSearchQuery(), page_size=1000).items
    assert {t.id for t in page.items} == {t.id for t in everyone if me in t.resources}


def test_an_identifier_that_is_a_prefix_of_another_does_not_match_it(provider, sandbox):
    me = sandbox.members()[0]["identifier"]
    assert provider.search_tickets(TicketSearchQuery(assigned_identifier=me[:-1])).total == 0


def test_a_hostile_assignee_identifier_is_a_validation_error(provider):
    with pytest.raises(PSAValidationError) as caught:
        provider.search_tickets(TicketSearchQuery(assigned_identifier='x" or 1=1 or "'))
    assert caught.value.field_errors[0].field == "assigned"


def test_including_closed_tickets_adds_them(provider):
    open_total = provider.search_tickets(TicketSearchQuery()).total
    all_total = provider.search_tickets(TicketSearchQuery(include_closed=True)).total
    assert all_total > open_total


def test_search_text_matches_summary_or_company_name(provider):
    by_company = provider.search_tickets(TicketSearchQuery(search="umbrella health"), page_size=100)
    assert by_company.items and all(
        t.company_name == "Umbrella Health" or "umbrella health" in t.summary.lower() for t in by_company.items
    )
    word = provider.search_tickets(TicketSearchQuery(), page_size=1).items[0].summary.split()[0]
    by_summary = provider.search_tickets(TicketSearchQuery(search=word), page_size=100)
    assert all(word.lower() in (t.summary + " " + (t.company_name or "")).lower() for t in by_summary.items)


def test_search_digits_also_match_the_ticket_id(provider):
    ticket = open_ticket(provider)
    page = provider.search_tickets(TicketSearchQuery(search=str(ticket.id)))
    assert ticket.id in [t.id for t in page.items]


@pytest.mark.parametrize(
    "hostile", ['foo" OR 1=1', 'x" or closedFlag = true or summary contains "', '\\" or id > 0 or "']
)
def test_hostile_search_text_is_searched_literally(provider, hostile):
    page = provider.search_tickets(TicketSearchQuery(search=hostile))
    assert page.total == 0 and page.items == []


# --- tickets -------------------------------------------------------------------------------------------


def test_get_ticket_returns_the_detail(provider):
    row = open_ticket(provider)
    detail = provider.get_ticket(row.id)
    assert detail.id == row.id and detail.summary == row.summary
    assert detail.contact_email and detail.sla_name and detail.last_updated is not None


def test_get_ticket_of_an_unknown_id_is_not_found(provider):
    with pytest.raises(PSANotFoundError):
        provider.get_ticket(999999)


def test_create_ticket_posts_it_and_returns_names(provider, sandbox):
    before = sandbox.ticket_count()
    created = provider.create_ticket(payload(description="Paper jam again"))
    assert sandbox.ticket_count() == before + 1
    assert created.summary == "Printer on floor 2 is jammed"
    assert (created.board_name, created.status_name, created.priority_name, created.company_name) == (
        "Service Desk",
        "New",
        "Priority 3 - Normal Response",
        "Acme Corp",
    )
    assert created.resources == []
    detail = provider.get_ticket(created.id)
    assert detail.company_id == 250
    assert any(n.text == "Paper jam again" for n in provider.list_notes(created.id))


def test_create_ticket_with_an_assignee_assigns_them(provider, sandbox):
    member = sandbox.members()[1]
    created = provider.create_ticket(payload(assigned_member_id=member["id"]))
    assert [r.member_id for r in created.resources] == [member["id"]]
    assert created.resources[0].member_identifier == member["identifier"]
    assert provider.get_ticket(created.id).resources == [member["identifier"]]


def test_create_ticket_keeps_the_ticket_when_the_assignment_fails(provider, sandbox, caplog):
    before = sandbox.ticket_count()
    sandbox.inject("500", method="POST", path=r"^/?schedule/entries")
    created = provider.create_ticket(payload(assigned_member_id=sandbox.members()[1]["id"]))
    assert sandbox.ticket_count() == before + 1
    assert created.id and created.resources == []
    assert "was created but assigning member" in caplog.text


def test_create_ticket_validation_errors_are_mapped_to_fields(provider, sandbox):
    before = sandbox.ticket_count()
    with pytest.raises(PSAValidationError) as caught:
        provider.create_ticket(payload(company_id=99999))
    assert sandbox.ticket_count() == before
    assert caught.value.status == 400
    assert any(f.field and "company" in f.field for f in caught.value.field_errors)


def test_create_ticket_with_a_status_of_another_board_is_refused(provider, sandbox):
    with pytest.raises(PSAValidationError) as caught:
        provider.create_ticket(payload(board_id=1, status_id=21))
    assert caught.value.field_errors


def test_an_external_ref_is_recorded_on_the_created_ticket(provider, sandbox):
    created = provider.create_ticket(payload(), external_ref="rf-create:abc123")
    assert sandbox.state["tickets"][created.id]["externalXRef"] == "rf-create:abc123"
    assert len(calls(sandbox, "POST", "/service/tickets")) == 1


def test_a_create_without_an_external_ref_leaves_the_field_empty(provider, sandbox):
    created = provider.create_ticket(payload())
    assert "externalXRef" not in sandbox.state["tickets"][created.id]


def test_a_ticket_is_found_again_by_its_external_ref_with_one_call(provider, sandbox):
    summary = 'Tab\there,  two spaces, "double" and \'single\' quotes, Ünïcødé ✓'
    created = provider.create_ticket(payload(summary=summary), external_ref="rf-create:found-me")
    provider.create_ticket(payload(summary=summary), external_ref="rf-create:someone-else")
    sandbox.clear_log()
    found = provider.find_ticket_by_external_ref("rf-create:found-me")
    assert found is not None and found.id == created.id and found.summary == summary
    [lookup] = calls(sandbox)
    assert lookup.method == "GET" and query_of(lookup)["conditions"] == 'externalXRef = "rf-create:found-me"'


def test_an_unknown_external_ref_finds_nothing(provider, sandbox):
    provider.create_ticket(payload(), external_ref="rf-create:one")
    assert provider.find_ticket_by_external_ref("rf-create:other") is None


def test_only_an_exactly_equal_external_ref_counts(provider, sandbox):
    # ConnectWise compares strings like its database does (case-insensitively), and so does the sandbox.
    provider.create_ticket(payload(), external_ref="rf-create:ABC")
    assert provider.find_ticket_by_external_ref("rf-create:abc") is None


def test_the_earliest_ticket_with_an_external_ref_is_the_one_found(provider, sandbox):
    first = provider.create_ticket(payload(), external_ref="rf-create:twice")
    provider.create_ticket(payload(), external_ref="rf-create:twice")
    assert provider.find_ticket_by_external_ref("rf-create:twice").id == first.id


def test_a_closed_ticket_is_still_found_by_its_external_ref(provider, sandbox):
    created = provider.create_ticket(payload(), external_ref="rf-create:closed")
    sandbox.state["tickets"][created.id]["closedFlag"] = True
    assert provider.find_ticket_by_external_ref("rf-create:closed").id == created.id


@pytest.mark.parametrize("ref", ["", "x" * 101, "line\nbreak", "tab\tinside"])
def test_an_external_ref_that_could_not_be_found_again_is_refused_before_any_call(provider, sandbox, ref):
    before = sandbox.ticket_count()
    with pytest.raises(PSAValidationError):
        provider.create_ticket(payload(), external_ref=ref)
    with pytest.raises(PSAValidationError):
        provider.find_ticket_by_external_ref(ref)
    assert sandbox.ticket_count() == before
    assert calls(sandbox) == []


def test_update_status_reports_previous_and_new_status(provider):
    ticket = open_ticket(provider, board_id=1, status_id=11)
    change = provider.update_status(ticket.id, 12)
    assert (change.ticket_id, change.previous_status, change.new_status) == (ticket.id, "New", "In Progress")
    assert provider.get_ticket(ticket.id).status_id == 12


def test_update_status_returns_the_updated_ticket_from_the_patch_answer(provider, sandbox):
    ticket = open_ticket(provider, board_id=1, status_id=11)
    sandbox.clear_log()
    change = provider.update_status(ticket.id, 12)
    assert [r.method for r in sandbox.request_log] == ["GET", "PATCH"]
    assert change.ticket is not None
    assert (change.ticket.id, change.ticket.status_id, change.ticket.status_name) == (ticket.id, 12, "In Progress")
    assert change.ticket.summary == ticket.summary and change.ticket.company_id == ticket.company_id
    assert "ticket" not in change.model_dump()  # not part of the spec's DTO (nor of the JSON API)


def test_update_status_still_succeeds_when_the_patch_answer_is_not_a_ticket(provider, sandbox, monkeypatch):
    ticket = open_ticket(provider, board_id=1, status_id=11)
    real_patch = provider.client.patch
    monkeypatch.setattr(provider.client, "patch", lambda *a, **k: {"status": real_patch(*a, **k)["status"]})
    change = provider.update_status(ticket.id, 12)
    assert (change.new_status, change.ticket) == ("In Progress", None)


def test_update_status_sends_a_patch_operation(provider, sandbox):
    ticket = open_ticket(provider, board_id=1)
    sandbox.clear_log()
    provider.update_status(ticket.id, 13)
    assert [r.method for r in sandbox.request_log] == ["GET", "PATCH"]
    assert query_of(sandbox.request_log[0])["fields"] == "id,status,board"


@pytest.mark.parametrize("status_id", [999, 21])
def test_update_status_to_an_unknown_status_is_a_validation_error(provider, status_id):
    ticket = open_ticket(provider, board_id=1)
    with pytest.raises(PSAValidationError):
        provider.update_status(ticket.id, status_id)
    assert provider.get_ticket(ticket.id).status_id == ticket.status_id


def test_update_status_of_an_unknown_ticket_is_not_found(provider):
    with pytest.raises(PSANotFoundError):
        provider.update_status(999999, 12)


# --- related ------------------------------------------------------------------------------------------


def _child(provider):
    everything = provider.search_tickets(TicketSearchQuery(include_closed=True), page_size=1000).items
    for row in everything:
        detail = provider.get_ticket(row.id)
        if detail.parent_ticket_id:
            return detail
    pytest.fail("the sandbox has no child tickets")


def test_related_tickets_are_open_tickets_of_the_company_excluding_this_one(provider):
    ticket = open_ticket(provider, company_id=250)
    related = provider.list_related_tickets(ticket.id, 250, limit=50)
    assert related and ticket.id not in [t.id for t in related]
    assert all(t.company_id == 250 and not t.closed for t in related)
    assert len({t.id for t in related}) == len(related)


def test_related_tickets_include_parent_and_children_first(provider):
    child = _child(provider)
    related = provider.list_related_tickets(child.id, child.company_id, child.parent_ticket_id, limit=5)
    assert related[0].id == child.parent_ticket_id
    parent_view = provider.list_related_tickets(child.parent_ticket_id, None, limit=50)
    assert child.id in [t.id for t in parent_view]


def test_related_tickets_respect_the_limit(provider):
    ticket = open_ticket(provider, company_id=250)
    assert len(provider.list_related_tickets(ticket.id, 250, limit=2)) <= 2


# --- resources -------------------------------------------------------------------------------------------


def test_list_resources_reads_open_service_schedule_entries(provider, sandbox):
    me = sandbox.members()[0]
    ticket = open_ticket(provider, assigned_identifier=me["identifier"])
    resources = provider.list_resources(ticket.id)
    assert me["id"] in [r.member_id for r in resources]
    assert [r.member_identifier for r in resources] == ticket.resources
    assert len({r.member_id for r in resources}) == len(resources)
    entry_query = query_of(calls(sandbox, "GET", "/schedule/entries")[-1])
    assert entry_query["conditions"] == f'type/identifier = "S" and objectId = {ticket.id} and doneFlag = false'


def test_add_resource_creates_a_schedule_entry_and_updates_resources(provider, sandbox):
    ticket = ticket_without_resources(provider)
    member = sandbox.members()[2]
    resource = provider.add_resource(ticket.id, member["id"])
    assert (resource.member_id, resource.member_identifier, resource.member_name) == (
        member["id"],
        member["identifier"],
        member["name"],
    )
    assert provider.get_ticket(ticket.id).resources == [member["identifier"]]
    assert [r.member_id for r in provider.list_resources(ticket.id)] == [member["id"]]


def test_adding_an_assigned_member_again_returns_the_existing_resource(provider, sandbox):
    ticket = ticket_without_resources(provider)
    member = sandbox.members()[3]
    provider.add_resource(ticket.id, member["id"])
    sandbox.clear_log()
    again = provider.add_resource(ticket.id, member["id"])
    assert again.member_id == member["id"]
    assert calls(sandbox, "POST") == []
    assert len(provider.list_resources(ticket.id)) == 1


def test_the_service_schedule_type_is_looked_up_once_per_client(provider, sandbox):
    first, second = provider.search_tickets(TicketSearchQuery(unassigned=True), page_size=2).items
    provider.add_resource(first.id, sandbox.members()[4]["id"])
    provider.add_resource(second.id, sandbox.members()[4]["id"])
    assert len(calls(sandbox, "GET", "/schedule/types")) == 1


def test_remove_resource_deletes_the_members_entries(provider, sandbox):
    ticket = ticket_without_resources(provider)
    keep, drop = sandbox.members()[5], sandbox.members()[6]
    provider.add_resource(ticket.id, keep["id"])
    provider.add_resource(ticket.id, drop["id"])
    provider.remove_resource(ticket.id, drop["id"])
    assert [r.member_id for r in provider.list_resources(ticket.id)] == [keep["id"]]
    assert provider.get_ticket(ticket.id).resources == [keep["identifier"]]
    assert len(calls(sandbox, "DELETE")) == 1


def test_removing_the_last_resource_makes_the_ticket_unassigned(provider, sandbox):
    ticket = ticket_without_resources(provider)
    member = sandbox.members()[7]
    provider.add_resource(ticket.id, member["id"])
    provider.remove_resource(ticket.id, member["id"])
    assert ticket.id in [
        t.id for t in provider.search_tickets(TicketSearchQuery(unassigned=True), page_size=1000).items
    ]


def test_removing_a_member_who_is_not_assigned_is_not_found(provider, sandbox):
    ticket = ticket_without_resources(provider)
    with pytest.raises(PSANotFoundError):
        provider.remove_resource(ticket.id, sandbox.members()[0]["id"])


def test_adding_an_unknown_member_is_a_validation_error(provider):
    ticket = ticket_without_resources(provider)
    with pytest.raises((PSAValidationError, PSANotFoundError)):
        provider.add_resource(ticket.id, 99999)


# --- notes and configurations ---------------------------------------------------------------------------


def test_notes_are_chronological_with_kind_and_author(provider):
    ticket = open_ticket(provider, include_closed=True, status_name="Closed")
    notes = provider.list_notes(ticket.id)
    assert notes and [n.created_at for n in notes] == sorted(n.created_at for n in notes)
    assert "resolution" in {n.kind for n in notes}
    assert all(n.author for n in notes) and all(n.ticket_id == ticket.id for n in notes)


@pytest.mark.parametrize(
    ("kind", "flag"),
    [("internal", "internalAnalysisFlag"), ("discussion", "detailDescriptionFlag"), ("resolution", "resolutionFlag")],
)
def test_add_note_sets_the_flag_of_its_kind(provider, kind, flag):
    ticket = open_ticket(provider)
    note = provider.add_note(ticket.id, f"Checked the {kind} side", kind=kind)
    assert note.kind == kind and note.text == f"Checked the {kind} side" and note.ticket_id == ticket.id
    assert provider.list_notes(ticket.id)[-1].id == note.id


@pytest.mark.parametrize(("text", "kind"), [("   ", "internal"), ("x" * 10_001, "internal"), ("ok", "secret")])
def test_add_note_refuses_empty_long_or_unknown_kind(provider, text, kind):
    with pytest.raises(PSAValidationError):
        provider.add_note(open_ticket(provider).id, text, kind=kind)


def test_configurations_are_read_in_full(provider, sandbox):
    for row in provider.search_tickets(TicketSearchQuery(), page_size=50).items:
        configs = provider.list_configurations(row.id)
        if configs:
            break
    else:
        pytest.fail("no ticket with configurations among the first 50")
    assert all(c.name and c.type_name and c.status_name for c in configs)
    assert any(c.serial_number for c in configs)


def test_a_ticket_without_configurations_has_none(provider, sandbox):
    created = provider.create_ticket(payload())
    assert provider.list_configurations(created.id) == []
    assert provider.list_configuration_refs(created.id) == []
    assert provider.get_configurations([]) == []


def a_ticket_with_configurations(provider) -> int:
    for row in provider.search_tickets(TicketSearchQuery(), page_size=50).items:
        if provider.list_configuration_refs(row.id):
            return row.id
    pytest.fail("no ticket with configurations among the first 50")


def test_configuration_references_are_one_call_with_names_and_types(provider, sandbox):
    ticket_id = a_ticket_with_configurations(provider)
    sandbox.clear_log()
    refs = provider.list_configuration_refs(ticket_id)
    assert [r.path for r in sandbox.request_log] == [f"/service/tickets/{ticket_id}/configurations"]
    assert refs and all(r.id and r.name and r.type_name for r in refs)
    assert all(r.serial_number is None and r.status_name is None for r in refs)  # facts come separately


def test_configurations_by_id_are_read_in_parallel_and_match_the_full_list(provider, sandbox):
    ticket_id = a_ticket_with_configurations(provider)
    refs = provider.list_configuration_refs(ticket_id)
    sandbox.clear_log()
    configs = provider.get_configurations([r.id for r in refs])
    assert [c.id for c in configs] == [r.id for r in refs]
    assert [c.name for c in configs] == [r.name for r in refs]
    assert len(calls(sandbox, "GET")) == len(refs)
    assert configs == provider.list_configurations(ticket_id)


def test_a_configuration_deleted_since_it_was_attached_is_skipped(provider, sandbox):
    ticket_id = a_ticket_with_configurations(provider)
    refs = provider.list_configuration_refs(ticket_id)
    sandbox.inject("404", path=rf"/company/configurations/{refs[0].id}$")
    assert [c.id for c in provider.get_configurations([r.id for r in refs])] == [r.id for r in refs[1:]]


# --- reference data -----------------------------------------------------------------------------------


def test_list_boards(provider):
    assert [(b.id, b.name) for b in provider.list_boards()] == sorted(
        [(2, "Network Operations"), (3, "Projects"), (4, "Security"), (1, "Service Desk")], key=lambda b: b[1]
    )


def test_board_statuses_are_sorted_and_active(provider):
    statuses = provider.get_ticket_statuses(1)
    assert [s.id for s in statuses] == [11, 12, 13, 14, 15, 16, 17]
    assert [s.name for s in statuses if s.closed] == ["Resolved", "Closed"]
    assert all(s.board_id == 1 and not s.inactive for s in statuses)


def test_priorities_are_sorted_by_urgency(provider):
    priorities = provider.list_priorities()
    assert [p.id for p in priorities] == [1, 2, 3, 4]
    assert [p.sort for p in priorities] == [1, 2, 6, 8]
    assert priorities[0].level == "Critical" and priorities[0].color  # contracts say "#d32f2f"; the sandbox sends "Red"


def test_list_members(provider, sandbox):
    members = provider.list_members()
    assert [(m.id, m.identifier, m.name) for m in members] == [
        (m["id"], m["identifier"], m["name"]) for m in sandbox.members()
    ]
    assert members[0].identifier == "jsmith" and members[0].name == "John Smith"


def test_search_companies_by_name_or_identifier_in_name_order(provider):
    assert [c.name for c in provider.search_companies("acme")] == ["Acme Corp", "Acme Dental"]
    assert [c.identifier for c in provider.search_companies("WayneEnt")] == ["WayneEnt"]
    everyone = provider.search_companies("", limit=100)
    assert len(everyone) == 23 and [c.name for c in everyone] == sorted(c.name for c in everyone)
    assert len(provider.search_companies(limit=5)) == 5


def test_company_search_text_is_literal(provider):
    assert provider.search_companies('x" or name contains "') == []


def test_get_company(provider):
    company = provider.get_company(250)
    assert (company.id, company.identifier, company.name) == (250, "AcmeCorp", "Acme Corp")
    with pytest.raises(PSANotFoundError):
        provider.get_company(99999)


def test_system_info(provider):
    info = provider.system_info()
    assert info.version


# --- counting, registry ----------------------------------------------------------------------------------


def test_calls_are_counted_including_those_made_in_parallel(provider):
    reset_call_count()
    provider.search_tickets(TicketSearchQuery())
    assert get_call_count() == 2


def test_provider_for_caches_one_provider_per_connection_version(connection):
    from psa.registry import provider_for

    first = provider_for(connection)
    assert provider_for(connection) is first
    assert first.system_info().version
    connection.client_id = "rf-tests-2"
    connection.save()
    second = provider_for(connection)
    assert second is not first
    assert first.client._http.is_closed


def test_provider_for_the_sandbox_site_talks_to_the_sandbox(connection, sandbox):
    from psa.registry import provider_for

    sandbox.clear_log()
    assert provider_for(connection).list_boards()
    assert calls(sandbox, "GET", "/service/boards")


def test_a_provider_error_never_leaks_a_mapping_crash(provider, sandbox):
    sandbox.inject("malformed", method="GET", path=r"^/?system/info")
    with pytest.raises(PSAUnavailableError):
        provider.system_info()


def test_private_key_is_not_in_the_provider_repr(provider):
    assert "sandbox-private" not in repr(provider) + repr(provider.client)
