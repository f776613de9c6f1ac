"""tickets.service against the in-process ConnectWise sandbox."""

from __future__ import annotations

import pytest

from psa.models import MemberMapping
from psa.providers.base import PSANotFoundError, PSAUnavailableError
from psa.schemas import TicketCreatePayload
from tickets import service
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
    assert service.has_connection(other_account) is False
    with pytest.raises(service.NoPSAConnection):
        service.search_tickets(other_account, charlie, TicketFilters())


def test_has_connection_is_true_for_a_connected_account(account, connection):
    assert service.has_connection(account) is True


def test_mapping_for_returns_the_users_mapping_only(account, alice, bob, alice_mapping):
    assert service.mapping_for(account, alice) == alice_mapping
    assert service.mapping_for(account, bob) is None


# --- search ----------------------------------------------------------------------------------------


def test_search_returns_a_page_with_total(account, alice, connection):
    result = service.search_tickets(account, alice, TicketFilters(), page=1, page_size=25)
    assert result.page == 1 and result.page_size == 25
    assert len(result.items) == 25
    assert result.total > 25
    assert all(not t.closed for t in result.items)


def test_search_orders_most_urgent_first(account, alice, connection):
    items = service.search_tickets(account, alice, TicketFilters(), page_size=100).items
    sorts = [t.priority_sort for t in items]
    assert sorts == sorted(sorts)


def test_assigned_me_uses_the_users_member_mapping(account, alice, alice_mapping, first_member):
    result = service.search_tickets(account, alice, TicketFilters(assigned="me"))
    assert result.total >= 10
    assert all(first_member["identifier"] in t.resources for t in result.items)


def test_assigned_me_without_mapping_raises_a_clear_error(account, bob, connection):
    with pytest.raises(service.MemberMappingRequired, match="not mapped"):
        service.search_tickets(account, bob, TicketFilters(assigned="me"))


def test_assigned_member_id_filters_by_that_members_identifier(account, bob, connection, sandbox):
    member = sandbox.members()[1]
    result = service.search_tickets(account, bob, TicketFilters(assigned=str(member["id"])))
    assert result.items
    assert all(member["identifier"] in t.resources for t in result.items)


def test_unknown_member_id_is_invalid_input(account, bob, connection):
    with pytest.raises(ValueError, match="Unknown member"):
        service.search_tickets(account, bob, TicketFilters(assigned="99999"))


def test_unassigned_returns_tickets_without_resources(account, bob, connection):
    result = service.search_tickets(account, bob, TicketFilters(assigned="unassigned"))
    assert all(t.resources == [] for t in result.items)


def test_status_without_board_matches_the_status_name_on_every_board(account, bob, connection):
    # 12 is "In Progress" on Service Desk; without a board, "In Progress" of every board matches.
    result = service.search_tickets(account, bob, TicketFilters(status=12), page_size=100)
    assert result.items
    assert {t.status_name for t in result.items} == {"In Progress"}
    assert len({t.board_id for t in result.items}) > 1


def test_status_with_its_board_filters_by_id(account, bob, connection):
    result = service.search_tickets(account, bob, TicketFilters(board=1, status=12), page_size=100)
    assert result.items
    assert {(t.board_id, t.status_id) for t in result.items} == {(1, 12)}


def test_unknown_board_is_invalid_input(account, bob, connection):
    with pytest.raises(service.InvalidInput) as exc:
        service.search_tickets(account, bob, TicketFilters(board=99))
    assert exc.value.field_errors[0].field == "board"


def test_bad_page_size_is_invalid_input(account, bob, connection):
    with pytest.raises(ValueError):
        service.search_tickets(account, bob, TicketFilters(), page_size=101)


# --- reference data and caching ----------------------------------------------------------------


def test_second_search_does_not_refetch_reference_data(account, bob, connection, sandbox):
    service.search_tickets(account, bob, TicketFilters(board=1, status=12))
    assert len(_calls(sandbox, "/service/boards")) >= 1
    sandbox.clear_log()
    service.search_tickets(account, bob, TicketFilters(board=1, status=12))
    assert _calls(sandbox, "/service/boards") == []
    assert _calls(sandbox, "/service/tickets")


def test_saving_the_connection_invalidates_cached_reference_data(account, connection, sandbox):
    service.list_boards(account)
    connection.save()
    sandbox.clear_log()
    service.list_boards(account)
    assert len(_calls(sandbox, "/service/boards")) == 1


def test_list_all_statuses_covers_every_board(account, connection):
    statuses = service.list_all_statuses(account)
    assert {s.board_id for s in statuses} == {1, 2, 3, 4}
    assert {s.id for s in statuses if s.board_id == 1} == set(range(11, 18))


def test_list_members_puts_mapped_members_first(account, alice, connection, sandbox):
    last = sandbox.members()[-1]
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=last["id"], identifier=last["identifier"])
    members = service.list_members(account)
    assert members[0].id == last["id"] and members[0].is_rf_user
    assert not any(m.is_rf_user for m in members[1:])


def test_list_priorities_and_companies(account, connection):
    assert [p.id for p in service.list_priorities(account)][:1] == [1]
    companies = service.list_all_companies(account)
    assert "Acme Corp" in {c.name for c in companies}
    assert [c.name for c in service.search_companies(account, "dental")] == ["Acme Dental", "Lakeshore Dental Group"]


# --- one ticket ------------------------------------------------------------------------------------


def _a_ticket_of(account, user):
    return service.search_tickets(account, user, TicketFilters(assigned="me")).items[0]


def test_get_ticket_returns_detail(account, alice, alice_mapping):
    row = _a_ticket_of(account, alice)
    detail = service.get_ticket(account, row.id)
    assert detail.id == row.id and detail.summary == row.summary


def test_unknown_ticket_raises_not_found(account, connection):
    with pytest.raises(PSANotFoundError):
        service.get_ticket(account, 999999)


def test_ticket_panel_fetches_all_sections(account, alice, alice_mapping):
    row = _a_ticket_of(account, alice)
    panel = service.get_ticket_panel(account, row.id, row.company_id)
    assert panel.detail.value.id == row.id
    assert isinstance(panel.notes.value, list)
    assert isinstance(panel.configurations.value, list)
    assert all(t.id != row.id for t in panel.related.value)
    assert not any(s.error for s in (panel.detail, panel.notes, panel.configurations, panel.related))


def test_a_failing_panel_section_does_not_fail_the_others(account, alice, alice_mapping, sandbox):
    row = _a_ticket_of(account, alice)
    sandbox.inject("500", path=r"/notes")
    panel = service.get_ticket_panel(account, row.id, row.company_id)
    assert isinstance(panel.notes.error, PSAUnavailableError)
    assert panel.detail.value.id == row.id and panel.detail.error is None


def test_resources_are_enriched_with_is_rf_user(account, alice, alice_mapping, first_member):
    row = _a_ticket_of(account, alice)
    resources = service.list_resources(account, row.id)
    mine = [r for r in resources if r.member_id == first_member["id"]]
    assert mine and mine[0].is_rf_user
    assert all(not r.is_rf_user for r in resources if r.member_id != first_member["id"])


def test_add_and_remove_resource(account, alice, alice_mapping, sandbox):
    row = _a_ticket_of(account, alice)
    member = sandbox.members()[-1]
    added = service.add_resource(account, row.id, member["id"])
    assert added.member_identifier == member["identifier"] and added.is_rf_user is False
    assert member["id"] in {r.member_id for r in service.list_resources(account, row.id)}
    service.remove_resource(account, row.id, member["id"])
    assert member["id"] not in {r.member_id for r in service.list_resources(account, row.id)}


def test_adding_an_unknown_member_is_invalid_input(account, alice, alice_mapping):
    row = _a_ticket_of(account, alice)
    with pytest.raises(service.InvalidInput):
        service.add_resource(account, row.id, 99999)


def test_update_status_reports_previous_and_new(account, alice, alice_mapping):
    row = service.search_tickets(account, alice, TicketFilters(board=1, status=11)).items[0]
    update = service.update_status(account, row.id, 12)
    assert (update.ticket_id, update.previous_status, update.new_status) == (row.id, "New", "In Progress")


def test_notes_can_be_added_and_listed(account, alice, alice_mapping):
    row = _a_ticket_of(account, alice)
    note = service.add_note(account, row.id, "Called the user back", kind="internal")
    assert note.text == "Called the user back"
    assert service.list_notes(account, row.id)[-1].id == note.id


# --- create -----------------------------------------------------------------------------------------


def test_create_ticket_with_assignee(account, alice, alice_mapping, first_member, sandbox):
    before = sandbox.ticket_count()
    created = service.create_ticket(account, _payload(assigned_member_id=first_member["id"]), user=alice)
    assert sandbox.ticket_count() == before + 1
    assert (created.board_name, created.status_name, created.company_name) == ("Service Desk", "New", "Acme Corp")
    assert [(r.member_id, r.is_rf_user) for r in created.resources] == [(first_member["id"], True)]


def test_create_with_a_status_of_another_board_is_rejected_before_the_psa(account, alice, connection, sandbox):
    before = sandbox.ticket_count()
    with pytest.raises(service.InvalidInput) as exc:
        service.create_ticket(account, _payload(status_id=21, priority_id=99), user=alice)
    assert {e.field for e in exc.value.field_errors} == {"status_id", "priority_id"}
    assert sandbox.ticket_count() == before


def test_same_idempotency_key_returns_the_first_ticket(account, alice, connection, sandbox):
    before = sandbox.ticket_count()
    first = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-1")
    again = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-1")
    assert again.id == first.id
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="k-1").state == "done"


def test_same_key_from_another_user_creates_its_own_ticket(account, alice, bob, connection, sandbox):
    first = service.create_ticket(account, _payload(), user=alice, idempotency_key="shared")
    second = service.create_ticket(account, _payload(), user=bob, idempotency_key="shared")
    assert first.id != second.id


def test_a_key_in_flight_is_refused(account, alice, connection, sandbox):
    IdempotencyRecord.objects.create(account=account, user=alice, key="busy",
                                     request_hash=_hash(_payload()), state="in_flight")
    before = sandbox.ticket_count()
    with pytest.raises(service.IdempotencyInFlight):
        service.create_ticket(account, _payload(), user=alice, idempotency_key="busy")
    assert sandbox.ticket_count() == before


def test_a_key_reused_for_a_different_request_is_rejected(account, alice, connection):
    service.create_ticket(account, _payload(), user=alice, idempotency_key="k-2")
    with pytest.raises(service.InvalidInput, match="different request"):
        service.create_ticket(account, _payload(summary="Something else"), user=alice, idempotency_key="k-2")


def test_a_refused_create_can_be_retried_with_the_same_key(account, alice, connection, sandbox):
    sandbox.inject("400", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(service.PSAValidationError):
        service.create_ticket(account, _payload(), user=alice, idempotency_key="k-3")
    assert IdempotencyRecord.objects.get(key="k-3").state == "failed"
    created = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-3")
    assert IdempotencyRecord.objects.get(key="k-3").ticket_id == created.id


def test_a_lost_response_is_recovered_without_a_second_ticket(account, alice, connection, sandbox):
    """The PSA created the ticket but the answer was lost: the retry finds it instead of creating again."""
    before = sandbox.ticket_count()
    sandbox.inject("truncated", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(account, _payload(), user=alice, idempotency_key="k-4")
    assert IdempotencyRecord.objects.get(key="k-4").state == "unknown"
    assert sandbox.ticket_count() == before + 1  # the sandbox created it, then broke the answer
    newest = max(t.id for t in service.search_tickets(
        account, alice, TicketFilters(search="VPN drops every hour"), page_size=100).items)
    retry = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-4")
    assert retry.id == newest
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="k-4").state == "done"


def test_a_lost_response_with_an_assignee_gets_the_assignee_on_retry(account, alice, alice_mapping, first_member, sandbox):
    payload = _payload(assigned_member_id=first_member["id"])
    sandbox.inject("truncated", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(account, payload, user=alice, idempotency_key="k-6")
    retry = service.create_ticket(account, payload, user=alice, idempotency_key="k-6")
    assert [r.member_id for r in retry.resources] == [first_member["id"]]
    assert [r.member_id for r in service.list_resources(account, retry.id)] == [first_member["id"]]


def test_a_stale_in_flight_attempt_is_recovered(account, alice, connection, sandbox):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(minutes=10)
    IdempotencyRecord.objects.create(account=account, user=alice, key="crashed", request_hash=_hash(_payload()),
                                     state="in_flight", created=long_ago, attempt_started=long_ago)
    before = sandbox.ticket_count()
    created = service.create_ticket(account, _payload(), user=alice, idempotency_key="crashed")
    assert sandbox.ticket_count() == before + 1
    assert IdempotencyRecord.objects.get(key="crashed").ticket_id == created.id


def test_a_timed_out_create_is_retried_exactly_once(account, alice, connection, sandbox):
    before = sandbox.ticket_count()
    sandbox.inject("timeout", method="POST", path=r"/service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        service.create_ticket(account, _payload(), user=alice, idempotency_key="k-5")
    first = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-5")
    again = service.create_ticket(account, _payload(), user=alice, idempotency_key="k-5")
    assert first.id == again.id
    assert sandbox.ticket_count() == before + 1


def _hash(payload):
    import hashlib

    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()
