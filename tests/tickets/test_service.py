"""tickets.service against the in-process ConnectWise sandbox."""

from __future__ import annotations

import pytest

from psa.models import MemberMapping
from psa.providers.base import PSANotFoundError, PSAUnavailableError, PSAValidationError
from psa.reference import ALL_PARTS
from psa.schemas import TicketCreatePayload
from psa.tenancy import tenant_for, tenant_for_account
from tickets import service, validation
from tickets.models import IdempotencyRecord
from tickets.service import TicketFilters


def _payload(**overrides):
    data = {"summary": "VPN drops every hour", "company_id": 250, "board_id": 1, "status_id": 11, "priority_id": 3}
    data.update(overrides)
    return TicketCreatePayload(**data)


def _calls(sandbox, fragment, method="GET"):
    return [r for r in sandbox.request_log if r.method == method and fragment in r.path]


# --- connection and mappings ---------------------------------------------------------------------


def test_an_account_without_connection_raises_no_psa_connection(other_account, charlie):
    tenant = tenant_for(charlie)
    assert tenant.has_connection is False
    with pytest.raises(service.NoPSAConnection):
        service.search_tickets(tenant, TicketFilters())


def test_has_connection_is_true_for_a_connected_account(account, connection):
    assert tenant_for_account(account).has_connection is True


def test_mapping_for_returns_the_users_mapping_only(account, alice, bob, alice_mapping):
    assert tenant_for_account(account, alice).mapping == alice_mapping
    assert tenant_for_account(account, bob).mapping is None


# --- search ----------------------------------------------------------------------------------------


def test_search_returns_a_page_with_total(alice_tenant):
    result = service.search_tickets(alice_tenant, TicketFilters(), page=1, page_size=25)
    assert result.page == 1 and result.page_size == 25
    assert len(result.items) == 25
    assert result.total > 25
    assert all(not t.closed for t in result.items)


def test_search_orders_most_urgent_first(alice_tenant):
    items = service.search_tickets(alice_tenant, TicketFilters(), page_size=100).items
    sorts = [t.priority_sort for t in items]
    assert sorts == sorted(sorts)


def test_assigned_me_uses_the_users_member_mapping(alice_tenant, alice_mapping, first_member):
    result = service.search_tickets(alice_tenant, TicketFilters(assigned="me"))
    assert result.total >= 10
    assert all(first_member["identifier"] in t.resources for t in result.items)


def test_assigned_me_without_mapping_raises_a_clear_error(bob_tenant):
    with pytest.raises(service.MemberMappingRequired, match="not mapped"):
        service.search_tickets(bob_tenant, TicketFilters(assigned="me"))


def test_assigned_member_id_filters_by_that_members_identifier(bob_tenant, sandbox):
    member = sandbox.members()[1]
    result = service.search_tickets(bob_tenant, TicketFilters(assigned=str(member["id"])))
    assert result.items
    assert all(member["identifier"] in t.resources for t in result.items)


def test_unknown_member_id_is_invalid_input(bob_tenant):
    with pytest.raises(ValueError, match="Unknown member"):
        service.search_tickets(bob_tenant, TicketFilters(assigned="99999"))


def test_unassigned_returns_tickets_without_resources(bob_tenant):
    result = service.search_tickets(bob_tenant, TicketFilters(assigned="unassigned"))
    assert all(t.resources == [] for t in result.items)


def test_status_without_board_matches_the_status_name_on_every_board(bob_tenant):
    # 12 is "In Progress" on Service Desk; without a board, "In Progress" of every board matches.
    result = service.search_tickets(bob_tenant, TicketFilters(status=12), page_size=100)
    assert result.items
    assert {t.status_name for t in result.items} == {"In Progress"}
    assert len({t.board_id for t in result.items}) > 1


def test_status_with_its_board_filters_by_id(bob_tenant):
    result = service.search_tickets(bob_tenant, TicketFilters(board=1, status=12), page_size=100)
    assert result.items
    assert {(t.board_id, t.status_id) for t in result.items} == {(1, 12)}


def test_unknown_board_is_invalid_input(bob_tenant):
    with pytest.raises(service.InvalidInput) as exc:
        service.search_tickets(bob_tenant, TicketFilters(board=99))
    assert exc.value.field_errors[0].field == "board"


# The page-size limit (at most 100) is the API schema's and the filter bar's: see
# tests/tickets/test_api_tickets.py::test_page_size_is_capped_at_100 and test_api_errors.py.


# --- reference data and caching ----------------------------------------------------------------


def test_second_search_does_not_refetch_reference_data(bob, connection, sandbox):
    service.search_tickets(tenant_for(bob), TicketFilters(board=1, status=12))
    assert len(_calls(sandbox, "/service/boards")) >= 1
    sandbox.clear_log()
    service.search_tickets(tenant_for(bob), TicketFilters(board=1, status=12))  # a later request
    assert _calls(sandbox, "/service/boards") == []
    assert _calls(sandbox, "/service/tickets")


def test_saving_the_connection_invalidates_cached_reference_data(account, connection, sandbox):
    assert tenant_for_account(account).reference("boards").boards
    connection.save()
    sandbox.clear_log()
    assert tenant_for_account(account).reference("boards").boards
    assert [r.path for r in _calls(sandbox, "/service/boards") if r.path == "/service/boards"] == ["/service/boards"]


def test_list_all_statuses_covers_every_board(account, connection):
    statuses = tenant_for_account(account).reference("boards").all_statuses
    assert {s.board_id for s in statuses} == {1, 2, 3, 4}
    assert {s.id for s in statuses if s.board_id == 1} == set(range(11, 18))


def test_list_members_puts_mapped_members_first(account, alice, connection, sandbox):
    last = sandbox.members()[-1]
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=last["id"], identifier=last["identifier"])
    members = tenant_for(alice).reference("members").members
    assert members[0].id == last["id"] and members[0].is_rf_user
    assert not any(m.is_rf_user for m in members[1:])


def test_list_priorities_and_companies(alice_tenant):
    reference = alice_tenant.reference(*ALL_PARTS)
    assert [p.id for p in reference.priorities][:1] == [1]
    assert "Acme Corp" in {c.name for c in reference.companies}
    assert [c.name for c in service.search_companies(alice_tenant, "dental")] == ["Acme Dental", "Lakeshore Dental Group"]


# --- one ticket ------------------------------------------------------------------------------------


def _a_ticket_of(tenant):
    return service.search_tickets(tenant, TicketFilters(assigned="me")).items[0]


def test_get_ticket_returns_detail(alice_tenant, alice_mapping):
    row = _a_ticket_of(alice_tenant)
    detail = service.get_ticket(alice_tenant, row.id)
    assert detail.id == row.id and detail.summary == row.summary


def test_unknown_ticket_raises_not_found(alice_tenant):
    with pytest.raises(PSANotFoundError):
        service.get_ticket(alice_tenant, 999999)


def test_ticket_panel_fetches_all_sections(alice_tenant, alice_mapping):
    row = _a_ticket_of(alice_tenant)
    panel = service.get_ticket_panel(alice_tenant, row.id, row.company_id)
    assert panel.detail.value.id == row.id
    assert isinstance(panel.notes.value, list)
    assert isinstance(panel.configurations.value, list)
    assert all(t.id != row.id for t in panel.related.value)
    assert not any(s.error for s in (panel.detail, panel.notes, panel.configurations, panel.related))


def test_a_failing_panel_section_does_not_fail_the_others(alice_tenant, alice_mapping, sandbox):
    row = _a_ticket_of(alice_tenant)
    sandbox.inject("500", path=r"/notes")
    panel = service.get_ticket_panel(alice_tenant, row.id, row.company_id)
    assert isinstance(panel.notes.error, PSAUnavailableError)
    assert panel.detail.value.id == row.id and panel.detail.error is None


def test_resources_are_enriched_with_is_rf_user(alice_tenant, alice_mapping, first_member):
    row = _a_ticket_of(alice_tenant)
    resources = service.list_resources(alice_tenant, row.id)
    mine = [r for r in resources if r.member_id == first_member["id"]]
    assert mine and mine[0].is_rf_user
    assert all(not r.is_rf_user for r in resources if r.member_id != first_member["id"])


def test_add_and_remove_resource(alice_tenant, alice_mapping, sandbox):
    row = _a_ticket_of(alice_tenant)
    member = sandbox.members()[-1]
    added = service.add_resource(alice_tenant, row.id, member["id"])
    assert added.member_identifier == member["identifier"] and added.is_rf_user is False
    assert member["id"] in {r.member_id for r in service.list_resources(alice_tenant, row.id)}
    service.remove_resource(alice_tenant, row.id, member["id"])
    assert member["id"] not in {r.member_id for r in service.list_resources(alice_tenant, row.id)}


def test_adding_an_unknown_member_is_invalid_input(alice_tenant, alice_mapping):
    # Checked at the boundary (the drawer view and the API call this before service.add_resource).
    with pytest.raises(service.InvalidInput) as exc:
        validation.check_member(alice_tenant.reference("members"), 99999)
    assert [e.field for e in exc.value.field_errors] == ["member_id"]


def test_update_status_reports_previous_and_new(alice_tenant, alice_mapping):
    row = service.search_tickets(alice_tenant, TicketFilters(board=1, status=11)).items[0]
    update = service.update_status(alice_tenant, row.id, 12)
    assert (update.ticket_id, update.previous_status, update.new_status) == (row.id, "New", "In Progress")


def test_notes_can_be_added_and_listed(alice_tenant, alice_mapping):
    row = _a_ticket_of(alice_tenant)
    note = service.add_note(alice_tenant, row.id, "Called the user back", kind="internal")
    assert note.text == "Called the user back"
    assert alice_tenant.provider.list_notes(row.id)[-1].id == note.id


# --- create -----------------------------------------------------------------------------------------


def test_create_ticket_with_assignee(alice_tenant, alice_mapping, first_member, sandbox):
    before = sandbox.ticket_count()
    created = service.create_ticket(alice_tenant, _payload(assigned_member_id=first_member["id"]))
    assert sandbox.ticket_count() == before + 1
    assert (created.board_name, created.status_name, created.company_name) == ("Service Desk", "New", "Acme Corp")
    assert [(r.member_id, r.is_rf_user) for r in created.resources] == [(first_member["id"], True)]


def test_create_with_a_status_of_another_board_is_rejected_before_the_psa(alice_tenant, sandbox):
    # The boundary check the New Ticket form and the API run before service.create_ticket.
    before = sandbox.ticket_count()
    with pytest.raises(service.InvalidInput) as exc:
        validation.check_create(alice_tenant.reference(*ALL_PARTS), _payload(status_id=21, priority_id=99))
    assert {e.field for e in exc.value.field_errors} == {"status_id", "priority_id"}
    assert sandbox.ticket_count() == before


def test_same_idempotency_key_returns_the_first_ticket(alice_tenant, sandbox):
    before = sandbox.ticket_count()
    first = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-1")
    again = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-1")
    assert again.id == first.id
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="k-1").state == "done"


def test_same_key_from_another_user_creates_its_own_ticket(alice_tenant, bob_tenant, sandbox):
    first = service.create_ticket(alice_tenant, _payload(), idempotency_key="shared")
    second = service.create_ticket(bob_tenant, _payload(), idempotency_key="shared")
    assert first.id != second.id


def test_a_key_in_flight_is_refused(account, alice, alice_tenant, sandbox):
    IdempotencyRecord.objects.create(account=account, user=alice, key="busy",
                                     request_hash=_hash(_payload()), state="in_flight")
    before = sandbox.ticket_count()
    with pytest.raises(service.IdempotencyInFlight):
        service.create_ticket(alice_tenant, _payload(), idempotency_key="busy")
    assert sandbox.ticket_count() == before


def test_a_key_reused_for_a_different_request_is_rejected(alice_tenant):
    service.create_ticket(alice_tenant, _payload(), idempotency_key="k-2")
    with pytest.raises(service.InvalidInput, match="different request"):
        service.create_ticket(alice_tenant, _payload(summary="Something else"), idempotency_key="k-2")


def test_a_refused_create_can_be_retried_with_the_same_key(alice_tenant, sandbox):
    sandbox.inject("400", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAValidationError):
        service.create_ticket(alice_tenant, _payload(), idempotency_key="k-3")
    assert IdempotencyRecord.objects.get(key="k-3").state == "failed"
    created = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-3")
    assert IdempotencyRecord.objects.get(key="k-3").ticket_id == created.id


def test_a_lost_response_is_recovered_without_a_second_ticket(alice_tenant, sandbox):
    """The PSA created the ticket but the answer was lost: the retry finds it instead of creating again."""
    before = sandbox.ticket_count()
    sandbox.inject("truncated", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, _payload(), idempotency_key="k-4")
    assert IdempotencyRecord.objects.get(key="k-4").state == "unknown"
    assert sandbox.ticket_count() == before + 1  # the sandbox created it, then broke the answer
    newest = max(t.id for t in service.search_tickets(
        alice_tenant, TicketFilters(search="VPN drops every hour"), page_size=100).items)
    retry = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-4")
    assert retry.id == newest
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="k-4").state == "done"


def test_a_lost_response_with_an_assignee_gets_the_assignee_on_retry(alice_tenant, alice_mapping, first_member, sandbox):
    payload = _payload(assigned_member_id=first_member["id"])
    sandbox.inject("truncated", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, payload, idempotency_key="k-6")
    retry = service.create_ticket(alice_tenant, payload, idempotency_key="k-6")
    assert [r.member_id for r in retry.resources] == [first_member["id"]]
    assert [r.member_id for r in service.list_resources(alice_tenant, retry.id)] == [first_member["id"]]


def test_a_stale_in_flight_attempt_is_recovered(account, alice, alice_tenant, sandbox):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(minutes=10)
    IdempotencyRecord.objects.create(account=account, user=alice, key="crashed", request_hash=_hash(_payload()),
                                     state="in_flight", created=long_ago, attempt_started=long_ago)
    before = sandbox.ticket_count()
    created = service.create_ticket(alice_tenant, _payload(), idempotency_key="crashed")
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="crashed").ticket_id == created.id


def test_a_timed_out_create_is_retried_exactly_once(alice_tenant, sandbox):
    before = sandbox.ticket_count()
    sandbox.inject("timeout", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(alice_tenant, _payload(), idempotency_key="k-5")
    first = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-5")
    again = service.create_ticket(alice_tenant, _payload(), idempotency_key="k-5")
    assert first.id == again.id
    assert sandbox.ticket_count() == before + 1


def _hash(payload):
    import hashlib

    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()
