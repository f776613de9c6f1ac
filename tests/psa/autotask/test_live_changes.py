"""AutotaskProvider.changed_tickets: the queue's live-update poll on Autotask (issue 20's calm live updates).

Times are data: every sandbox ticket is moved to long ago, and a "changed" ticket gets a date in the far future
(or is changed through the API, which stamps it now), so no clock is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from psa.schemas import TicketSearchQuery

from .conftest import calls

LONG_AGO = "2020-01-01T00:00:00Z"
SINCE = datetime(2021, 1, 1, tzinfo=UTC)


@pytest.fixture
def quiet(at_sandbox):
    """The sandbox with every ticket last active long ago."""
    for ticket in at_sandbox.state["tickets"].values():
        ticket["lastActivityDate"] = LONG_AGO
    at_sandbox.clear_log()
    return at_sandbox


def _open(sandbox, queue_id: int) -> list[dict]:
    return sorted((t for t in sandbox.state["tickets"].values() if t["queueID"] == queue_id and t["status"] != 5),
                  key=lambda t: t["id"])


def _touch(sandbox, ticket_id: int, when: str) -> None:
    sandbox.state["tickets"][ticket_id]["lastActivityDate"] = when


def test_nothing_changed_is_no_change_in_one_query(provider, quiet):
    found = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE)

    assert (found.changes, found.total) == ((), 0)
    assert len(calls(quiet, "GET", "/Tickets/query")) == 1
    assert calls(quiet, path_end="/Tickets/query/count") == []  # a page that was not full is all of them


def test_changed_tickets_of_the_queue_come_most_recently_updated_first(provider, quiet):
    first, second, *_ = _open(quiet, 1)
    _touch(quiet, first["id"], "2099-01-01T00:00:00Z")
    _touch(quiet, second["id"], "2099-06-01T00:00:00Z")
    elsewhere = _open(quiet, 2)[0]
    _touch(quiet, elsewhere["id"], "2099-03-01T00:00:00Z")  # another queue: not this queue's change

    found = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE)

    assert [ticket_id for ticket_id, _ in found.changes] == [second["id"], first["id"]]
    assert found.changes[0][1] == datetime(2099, 6, 1, tzinfo=UTC)
    assert found.total == 2


def test_a_shown_row_that_left_the_filter_is_still_watched(provider, quiet):
    row = _open(quiet, 1)[0]
    quiet.state["tickets"][row["id"]].update(queueID=2, lastActivityDate="2099-01-01T00:00:00Z")  # moved away

    left = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE)
    watched = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE, also_ids=(row["id"],))

    assert left.changes == ()
    assert [ticket_id for ticket_id, _ in watched.changes] == [row["id"]]


def test_a_note_added_through_the_api_counts_as_a_change(provider, quiet):
    ticket = _open(quiet, 1)[0]
    provider.add_note(ticket["id"], "Client replied: it is on fire again")

    found = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE)

    assert [ticket_id for ticket_id, _ in found.changes] == [ticket["id"]]


def test_the_poll_asks_for_the_ids_and_dates_only_and_the_date_is_a_filter_value(provider, quiet):
    provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE, also_ids=(7, 7, 8))

    [request] = calls(quiet, "GET", "/Tickets/query")
    body = json.loads(parse_qs(request.query)["search"][0])
    assert body["includeFields"] == ["id", "lastActivityDate"]
    assert body["filter"][0] == {"op": "gt", "field": "lastActivityDate", "value": "2021-01-01T00:00:00Z"}
    assert {"op": "in", "field": "id", "value": [7, 8]} in body["filter"][1]["items"]  # the queue's, or a shown row


def test_a_full_page_is_counted_so_the_caller_knows_more_changed(provider, quiet):
    for ticket in _open(quiet, 1)[:3]:
        _touch(quiet, ticket["id"], "2099-01-01T00:00:00Z")

    found = provider.changed_tickets(TicketSearchQuery(board_id=1), SINCE, limit=2)

    assert len(found.changes) == 2
    assert found.total == 3
    assert len(calls(quiet, path_end="/Tickets/query/count")) == 1


def test_an_unknown_assignee_matches_nothing_without_a_ticket_query(provider, quiet):
    found = provider.changed_tickets(TicketSearchQuery(assigned_identifier="nobody@example.com"), SINCE)

    assert (found.changes, found.total) == ((), 0)
    assert calls(quiet, path_end="/Tickets/query") == []


# --- the open drawer's check: ticket_stamp ---------------------------------------------------------------------


def test_the_drawers_stamp_is_what_the_whole_ticket_says_in_two_calls(provider, at_sandbox):
    ticket_id = next(s["ticketID"] for s in at_sandbox.state["secondaries"].values())  # primary and secondaries
    whole = provider.get_ticket(ticket_id)
    at_sandbox.clear_log()

    stamp = provider.ticket_stamp(ticket_id)

    assert (stamp.ticket_id, stamp.last_updated, stamp.status_id) == (ticket_id, whole.last_updated, whole.status_id)
    assert list(stamp.resources) == whole.resources and len(stamp.resources) >= 2
    assert len(calls(at_sandbox)) == 2  # the ticket's fields and its secondary resources (resources are cached)


def test_a_resource_added_in_autotask_shows_in_the_stamp(provider, at_sandbox):
    ticket = next(t for t in _open(at_sandbox, 1) if t.get("assignedResourceID"))
    before = provider.ticket_stamp(ticket["id"])
    newcomer = next(r for r in provider.list_members() if r.identifier not in before.resources)

    provider.add_resource(ticket["id"], newcomer.id)

    assert provider.ticket_stamp(ticket["id"]).resources == (*before.resources, newcomer.identifier)


def test_the_stamp_of_a_missing_ticket_is_not_found(provider, at_sandbox):
    from psa.providers.base import PSANotFoundError

    with pytest.raises(PSANotFoundError):
        provider.ticket_stamp(999_999)
