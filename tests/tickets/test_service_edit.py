"""tickets.service.edit: inline edits of a ticket, guarded against overwriting a change made in ConnectWise."""

from __future__ import annotations

from collections import Counter

import pytest

from psa.providers.base import PSAEditConflict, PSANotFoundError
from psa.schemas import TicketChanges, TicketEditFields
from tickets.service import InvalidInput
from tickets.service import edit as edit_service


def open_ticket(sandbox, board_id=1) -> dict:
    return next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == board_id and not t["closedFlag"])


def shapes(sandbox) -> Counter:
    return Counter(f"{r.method} {'/'.join('{id}' if p.isdigit() else p for p in r.path.split('/'))}"
                   for r in sandbox.request_log)


def loaded_as_the_drawer_did(tenant, ticket_id):
    """The ticket as the drawer loaded it, and its header's fields."""
    detail = tenant.provider.get_ticket(ticket_id)
    return detail, TicketEditFields.of(detail)


@pytest.fixture(autouse=True)
def warm(alice_tenant, sandbox):
    """The account's reference data is cached, as after the first page of the day."""
    reference = alice_tenant.reference("boards", "priorities", "members")
    assert reference.statuses_by_board and reference.priorities and reference.members  # every part loaded
    sandbox.clear_log()


def someone_edits_in_connectwise(sandbox, ticket_id, **fields):
    stored = sandbox.state["tickets"][ticket_id]
    stored.update(fields)
    stored["_info"].update(lastUpdated="2031-01-02T03:04:05Z", updatedBy="agarcia")


def test_an_edit_changes_only_the_sent_fields_and_returns_the_ticket_before_and_after(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    before = (ticket["summary"], ticket["status"]["id"])

    update = edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(priority_id=1))

    assert (update.previous.summary, update.previous.status_id) == before
    assert update.ticket.priority_name == "Priority 1 - Emergency Response"
    assert (update.ticket.summary, update.ticket.status_id) == before


def test_an_edit_of_a_ticket_changed_in_connectwise_says_what_changed_and_by_whom(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    detail, loaded = loaded_as_the_drawer_did(alice_tenant, ticket["id"])
    someone_edits_in_connectwise(sandbox, ticket["id"], summary="Changed by Ana",
                                 priority={"id": 1, "name": "Priority 1 - Emergency Response", "sort": 1})
    sandbox.clear_log()

    with pytest.raises(PSAEditConflict) as conflict:
        edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(summary="Mine"),
                                   expected_last_updated=detail.last_updated, loaded=loaded)

    found = conflict.value
    assert (found.updated_by, found.updated_by_name) == ("agarcia", "Ana Garcia")
    assert [(c.label, c.current) for c in found.changes] == [
        ("Summary", "Changed by Ana"), ("Priority", "Priority 1 - Emergency Response")]
    assert found.current.summary == "Changed by Ana"
    assert shapes(sandbox) == Counter({"GET /service/tickets/{id}": 1})  # read, nothing written
    assert sandbox.state["tickets"][ticket["id"]]["summary"] == "Changed by Ana"


def test_re_applying_after_a_conflict_expects_the_time_the_conflict_reported(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    detail, loaded = loaded_as_the_drawer_did(alice_tenant, ticket["id"])
    someone_edits_in_connectwise(sandbox, ticket["id"], summary="Changed by Ana")
    with pytest.raises(PSAEditConflict) as conflict:
        edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(summary="Mine"),
                                   expected_last_updated=detail.last_updated, loaded=loaded)

    update = edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(summary="Mine"),
                                        expected_last_updated=conflict.value.last_updated)

    assert update.ticket.summary == "Mine"


def test_a_change_to_nothing_the_header_shows_is_no_conflict_the_edit_is_applied(alice_tenant, sandbox):
    """A note, time or an assignee added since the drawer loaded (ours or a colleague's) moves lastUpdated."""
    ticket = open_ticket(sandbox)
    detail, loaded = loaded_as_the_drawer_did(alice_tenant, ticket["id"])
    someone_edits_in_connectwise(sandbox, ticket["id"])  # lastUpdated only
    sandbox.clear_log()

    update = edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(summary="Mine"),
                                        expected_last_updated=detail.last_updated, loaded=loaded)

    assert update.ticket.summary == "Mine"
    assert shapes(sandbox) == Counter({"GET /service/tickets/{id}": 2, "PATCH /service/tickets/{id}": 1})


def test_without_what_was_loaded_any_change_is_a_conflict(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    detail = alice_tenant.provider.get_ticket(ticket["id"])
    someone_edits_in_connectwise(sandbox, ticket["id"])
    with pytest.raises(PSAEditConflict) as conflict:
        edit_service.update_ticket(alice_tenant, ticket["id"], TicketChanges(summary="Mine"),
                                   expected_last_updated=detail.last_updated)
    assert conflict.value.changes == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"board_id": 2, "status_id": 12}, "status_id"),  # a status of the old board
    ({"board_id": 99, "status_id": 22}, "board_id"),
    ({"status_id": 999}, "status_id"),
    ({"priority_id": 42}, "priority_id"),
])
def test_ids_the_account_does_not_have_are_refused_before_anything_is_sent(alice_tenant, sandbox, changes, field):
    with pytest.raises(InvalidInput) as refused:
        edit_service.update_ticket(alice_tenant, open_ticket(sandbox)["id"], TicketChanges(**changes))
    assert [e.field for e in refused.value.field_errors] == [field]
    assert sandbox.request_log == []


def test_a_board_move_lands_on_the_new_boards_status(alice_tenant, sandbox):
    update = edit_service.update_ticket(alice_tenant, open_ticket(sandbox)["id"], TicketChanges(board_id=3, status_id=32))
    assert (update.ticket.board_name, update.ticket.status_name) == ("Projects", "In Progress")


def test_a_guarded_status_change_is_refused_when_the_ticket_changed(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    detail, loaded = loaded_as_the_drawer_did(alice_tenant, ticket["id"])
    someone_edits_in_connectwise(sandbox, ticket["id"], status={"id": 15, "name": "Escalated", "sort": 5})

    with pytest.raises(PSAEditConflict) as conflict:
        edit_service.change_status(alice_tenant, ticket["id"], 12, expected_last_updated=detail.last_updated,
                                   loaded=loaded)

    assert [c.label for c in conflict.value.changes] == ["Status"]


def test_a_guarded_status_change_of_an_unchanged_ticket_is_two_calls_like_the_plain_one(alice_tenant, sandbox):
    ticket = open_ticket(sandbox)
    detail = alice_tenant.provider.get_ticket(ticket["id"])
    previous = detail.status_name
    sandbox.clear_log()

    update = edit_service.change_status(alice_tenant, ticket["id"], 14, expected_last_updated=detail.last_updated)

    assert (update.previous_status, update.new_status) == (previous, "Scheduled")
    assert update.ticket.status_id == 14
    assert shapes(sandbox) == Counter({"GET /service/tickets/{id}": 1, "PATCH /service/tickets/{id}": 1})


def test_a_boards_type_choices_are_read_once_then_cached(alice_tenant, sandbox):
    first = edit_service.board_choices(alice_tenant, 1)
    again = edit_service.board_choices(alice_tenant, 1)

    assert first == again and {t.name for t in first.types} >= {"Incident", "Problem"}
    assert shapes(sandbox) == Counter({"GET /service/boards/{id}/types": 1, "GET /service/boards/{id}/subtypes": 1,
                                       "GET /service/boards/{id}/items": 1})


def test_an_unknown_board_has_no_type_choices(alice_tenant, sandbox):
    with pytest.raises(PSANotFoundError):
        edit_service.board_choices(alice_tenant, 99)
