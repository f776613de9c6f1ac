"""The shared change poll: what changed since a page was drawn, for one PSA query per interval however many watch.

Times are data, never the clock: every sandbox ticket's ``lastUpdated`` is set to a fixed old date, the
tickets a test "changes" get a fixed later one, and the poll is told which moment it is (``now``). Calls are
counted from the sandbox's request log (one entry per HTTP request the provider made).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from psa.models import MemberMapping
from psa.tenancy import tenant_for
from tickets.service import TicketFilters, live, search_query

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)  # the start of a poll interval (45 s divides it)
DRAWN = NOW - timedelta(minutes=5)  # when the viewers' page was drawn (their ``since``)
OLD = "2020-01-01T00:00:00Z"
SERVICE_DESK = TicketFilters(board=1)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def quiet(sandbox):
    """Nothing in the sandbox changed recently: every ticket was last updated long ago."""
    for ticket in sandbox.state["tickets"].values():
        ticket["_info"]["lastUpdated"] = OLD
    return sandbox


def _touch(sandbox, ticket_id: int, when: datetime) -> None:
    sandbox.state["tickets"][ticket_id]["_info"]["lastUpdated"] = _iso(when)


def _open_tickets(sandbox, board_id: int) -> list[int]:
    return sorted(t["id"] for t in sandbox.state["tickets"].values()
                  if t["board"]["id"] == board_id and not t["closedFlag"])


def _polls(sandbox) -> Counter:
    return Counter(f"{e.method} {e.path}" for e in sandbox.request_log)


@pytest.fixture
def watching(alice_tenant, quiet):
    """alice's queue with its reference data loaded; the request log starts empty."""
    assert alice_tenant.reference("boards").boards
    quiet.clear_log()
    return alice_tenant


# --- what a viewer is told ------------------------------------------------------------------------------


def test_a_ticket_updated_after_the_page_was_drawn_is_reported(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    _touch(quiet, ticket_id, NOW - timedelta(minutes=1))

    changes = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)

    assert (changes.ticket_ids, changes.count, changes.at_least, changes.checked) == ([ticket_id], 1, False, True)


def test_a_ticket_updated_before_the_page_was_drawn_is_not_reported(watching, quiet):
    _touch(quiet, _open_tickets(quiet, 1)[0], DRAWN - timedelta(minutes=1))

    changes = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)

    assert (changes.ticket_ids, changes.count) == ([], 0)


def test_a_ticket_of_another_board_is_not_reported(watching, quiet):
    _touch(quiet, _open_tickets(quiet, 2)[0], NOW - timedelta(minutes=1))

    assert live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW).count == 0


def test_a_ticket_on_the_page_that_left_the_filter_is_reported(watching, quiet):
    """Someone moved a Service Desk ticket to another board: it no longer matches the filter, but the
    engineer still sees its row."""
    on_page = _open_tickets(quiet, 1)[:3]
    moved = quiet.state["tickets"][on_page[0]]
    moved["board"] = {"id": 2, "name": "Network Operations"}
    _touch(quiet, moved["id"], NOW - timedelta(minutes=1))

    changes = live.changes_since(watching, SERVICE_DESK, DRAWN, visible_ids=on_page, now=NOW)

    assert changes.ticket_ids == [moved["id"]]


def test_the_filter_alone_would_miss_a_ticket_that_left_it(watching, quiet):
    moved = quiet.state["tickets"][_open_tickets(quiet, 1)[0]]
    moved["board"] = {"id": 2, "name": "Network Operations"}
    _touch(quiet, moved["id"], NOW - timedelta(minutes=1))

    assert live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW).count == 0


def test_rows_a_page_shows_are_watched_from_the_next_interval_at_the_latest(watching, bob, quiet):
    """bob's page shows a row after alice's poll already asked the PSA this interval: the shared answer is
    kept, and the next interval's query watches bob's row too (still one query per interval)."""
    on_page = _open_tickets(quiet, 1)[:3]
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)  # alice: no rows registered yet
    moved = quiet.state["tickets"][on_page[0]]
    moved["board"] = {"id": 2, "name": "Network Operations"}
    _touch(quiet, moved["id"], NOW + timedelta(seconds=10))
    bobs = tenant_for(bob)

    same_interval = live.changes_since(bobs, SERVICE_DESK, DRAWN, visible_ids=on_page, now=NOW + timedelta(seconds=20))
    next_interval = live.changes_since(bobs, SERVICE_DESK, DRAWN, visible_ids=on_page, now=NOW + timedelta(seconds=50))

    assert (same_interval.count, next_interval.ticket_ids) == (0, [moved["id"]])
    assert _polls(quiet)["GET /service/tickets"] == 2


def test_a_row_no_page_has_shown_for_two_intervals_is_no_longer_watched(watching, quiet):
    on_page = _open_tickets(quiet, 1)[:3]
    live.changes_since(watching, SERVICE_DESK, DRAWN, visible_ids=on_page, now=NOW)
    moved = quiet.state["tickets"][on_page[0]]
    moved["board"] = {"id": 2, "name": "Network Operations"}
    later = NOW + timedelta(seconds=3 * live.POLL_INTERVAL_SECONDS)
    _touch(quiet, moved["id"], later - timedelta(seconds=10))

    assert live.changes_since(watching, SERVICE_DESK, DRAWN, now=later).count == 0


def test_viewers_showing_different_rows_still_share_one_query(watching, bob, quiet):
    rows = _open_tickets(quiet, 1)
    live.changes_since(watching, SERVICE_DESK, DRAWN, visible_ids=rows[:25], now=NOW)
    live.changes_since(tenant_for(bob), SERVICE_DESK, DRAWN, visible_ids=rows[5:30], now=NOW + timedelta(seconds=5))

    assert _polls(quiet)["GET /service/tickets"] == 1


def test_a_page_older_than_the_shared_window_gets_an_at_least_count(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    _touch(quiet, ticket_id, NOW - timedelta(minutes=1))

    changes = live.changes_since(watching, SERVICE_DESK, NOW - timedelta(hours=3), now=NOW)

    assert changes.ticket_ids == [ticket_id] and changes.at_least


def test_more_changes_than_one_list_holds_are_counted_and_marked_at_least(watching, quiet, monkeypatch):
    monkeypatch.setattr(live, "CHANGES_LIMIT", 2)
    for ticket_id in _open_tickets(quiet, 1)[:3]:
        _touch(quiet, ticket_id, NOW - timedelta(minutes=1))

    changes = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)

    assert len(changes.ticket_ids) == 2 and changes.at_least
    assert _polls(quiet) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})


def test_a_note_added_in_the_psa_is_a_change(watching, quiet):
    """End to end: the sandbox stamps the ticket when a note is added; the poll runs at that moment."""
    ticket_id = _open_tickets(quiet, 1)[0]
    watching.provider.add_note(ticket_id, "Called the client back", "internal")
    stamped = datetime.fromisoformat(quiet.state["tickets"][ticket_id]["_info"]["lastUpdated"].replace("Z", "+00:00"))

    changes = live.changes_since(watching, SERVICE_DESK, stamped - timedelta(seconds=1), now=stamped)

    assert changes.ticket_ids == [ticket_id]


# --- what it costs -------------------------------------------------------------------------------------


def test_the_poll_is_one_get_asking_only_for_ids_and_last_update(watching, quiet):
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)

    assert _polls(quiet) == Counter({"GET /service/tickets": 1})  # no /count: the list was not full
    query = parse_qs(quiet.request_log[0].query)
    assert query["fields"] == ["id,_info/lastUpdated"]
    assert query["conditions"][0].startswith("lastUpdated > [2030-01-01T11:40:00Z]")  # the window: 20 min back
    assert "board/id = 1" in query["conditions"][0]


def test_fifty_viewers_of_one_filter_cost_one_psa_query_per_interval(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    _touch(quiet, ticket_id, NOW - timedelta(minutes=2))
    drawn = [NOW - timedelta(seconds=10 * i) for i in range(50)]  # pages drawn at different moments

    answers = [live.changes_since(watching, SERVICE_DESK, since, now=NOW + timedelta(seconds=i % 40))
               for i, since in enumerate(drawn)]

    assert _polls(quiet) == Counter({"GET /service/tickets": 1})
    # each viewer still gets the answer for their own page: drawn before the change -> told; after -> not
    assert [a.count for a in answers] == [1 if since < NOW - timedelta(minutes=2) else 0 for since in drawn]


def test_the_next_interval_asks_the_psa_again(watching, quiet):
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW + timedelta(seconds=live.POLL_INTERVAL_SECONDS))

    assert _polls(quiet)["GET /service/tickets"] == 2


def test_different_filters_are_different_queries(watching, quiet):
    for filters in (SERVICE_DESK, TicketFilters(board=2), TicketFilters(board=1, priority=3), SERVICE_DESK):
        live.changes_since(watching, filters, DRAWN, now=NOW)

    assert _polls(quiet)["GET /service/tickets"] == 3


def test_colleagues_on_the_same_filters_share_the_query(watching, bob, quiet):
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)
    live.changes_since(tenant_for(bob), SERVICE_DESK, DRAWN, now=NOW)

    assert _polls(quiet)["GET /service/tickets"] == 1


def test_assigned_to_me_is_a_different_query_for_each_colleague(alice_mapping, watching, bob, account, quiet):
    member = quiet.members()[1]
    MemberMapping.objects.create(account=account, user=bob, psa_member_id=member["id"],
                                 identifier=member["identifier"], name=member["name"])
    mine = TicketFilters(assigned="me")

    live.changes_since(watching, mine, DRAWN, now=NOW)
    live.changes_since(tenant_for(bob), mine, DRAWN, now=NOW)

    assert _polls(quiet)["GET /service/tickets"] == 2


def test_two_accounts_with_the_same_filters_never_share_results(watching, charlie, other_connection, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    _touch(quiet, ticket_id, NOW - timedelta(minutes=1))
    charlie_tenant = tenant_for(charlie)

    alices = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)
    charlies = live.changes_since(charlie_tenant, SERVICE_DESK, DRAWN, now=NOW)

    assert _polls(quiet)["GET /service/tickets"] == 2  # each account asked its own connection
    query = search_query(watching, SERVICE_DESK)
    assert live.poll_cache_key(watching, query, live.interval_of(NOW)) != \
        live.poll_cache_key(charlie_tenant, query, live.interval_of(NOW))
    assert alices.ticket_ids == charlies.ticket_ids == [ticket_id]  # the same sandbox behind both


def test_a_saved_connection_starts_a_fresh_poll(watching, connection, quiet):
    live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)
    connection.save()  # new keys or site: another version of the connection

    live.changes_since(tenant_for(watching.user), SERVICE_DESK, DRAWN, now=NOW)

    assert _polls(quiet)["GET /service/tickets"] == 2


def test_a_poller_that_finds_the_query_running_waits_instead_of_asking_too(watching, quiet, monkeypatch):
    monkeypatch.setattr(live, "LOCK_WAIT_SECONDS", 0)
    key = live.poll_cache_key(watching, search_query(watching, SERVICE_DESK), live.interval_of(NOW))
    assert cache.add(key + ":lock", 1, 30)  # another poller is asking the PSA right now

    changes = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)

    assert not changes.checked and changes.count == 0
    assert _polls(quiet) == Counter()


def test_pollers_arriving_together_make_one_query(watching, quiet):
    viewers = 8
    barrier = threading.Barrier(viewers)
    answers = []

    def poll():
        barrier.wait(timeout=30)
        answers.append(live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW))

    threads = [threading.Thread(target=poll) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == viewers
    assert _polls(quiet) == Counter({"GET /service/tickets": 1})  # the others waited for its answer (or gave up)
    assert any(a.checked for a in answers)


def test_a_failing_psa_is_asked_once_per_interval_and_nobody_is_told_of_changes(watching, quiet):
    quiet.inject("400", method="GET", path=r"^/service/tickets$")

    first = live.changes_since(watching, SERVICE_DESK, DRAWN, now=NOW)
    second = live.changes_since(watching, SERVICE_DESK, DRAWN - timedelta(minutes=1), now=NOW)

    assert (first.checked, second.checked) == (False, False)
    assert first.error and first.error == second.error
    assert _polls(quiet)["GET /service/tickets"] == 1


# --- the drawer ------------------------------------------------------------------------------------


def _stamp_of(sandbox, ticket_id):
    ticket = sandbox.state["tickets"][ticket_id]
    resources = [r.strip() for r in (ticket.get("resources") or "").split(",") if r.strip()]
    return ticket["status"]["id"], resources


def test_an_open_drawer_hears_of_a_new_note(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    status_id, resources = _stamp_of(quiet, ticket_id)
    _touch(quiet, ticket_id, NOW - timedelta(minutes=1))

    change = live.ticket_changed_since(watching, ticket_id, DRAWN, status_id=status_id, resources=resources, now=NOW)

    assert (change.changed, change.aspects) == (True, ("notes",))


def test_an_open_drawer_is_told_which_part_changed(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    status_id, resources = _stamp_of(quiet, ticket_id)

    change = live.ticket_changed_since(watching, ticket_id, DRAWN, status_id=status_id + 1,
                                       resources=[*resources, "someone"], now=NOW)

    assert (change.changed, change.aspects) == (True, ("status", "assignees"))


def test_an_unchanged_ticket_is_not_reported(watching, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]
    status_id, resources = _stamp_of(quiet, ticket_id)

    change = live.ticket_changed_since(watching, ticket_id, DRAWN, status_id=status_id, resources=resources, now=NOW)

    assert not change.changed and change.checked


def test_the_drawer_check_is_one_small_get_shared_by_everyone_with_the_ticket_open(watching, bob, quiet):
    ticket_id = _open_tickets(quiet, 1)[0]

    live.ticket_changed_since(watching, ticket_id, DRAWN, now=NOW)
    live.ticket_changed_since(tenant_for(bob), ticket_id, DRAWN, now=NOW)

    assert _polls(quiet) == Counter({f"GET /service/tickets/{ticket_id}": 1})
    assert parse_qs(quiet.request_log[0].query)["fields"] == ["id,status/id,resources,_info/lastUpdated"]


def _assign_someone(sandbox, ticket_id):
    ticket = sandbox.state["tickets"][ticket_id]
    ticket["resources"] = ", ".join([*_stamp_of(sandbox, ticket_id)[1], "NewTech"])


def _move_status(sandbox, ticket_id):
    sandbox.state["tickets"][ticket_id]["status"]["id"] += 1


@pytest.mark.parametrize(("change", "told"), [
    (_assign_someone, ("assignees",)),
    (_move_status, ("status",)),
    (lambda sandbox, ticket_id: None, ("notes",)),  # only lastUpdated moved: a note, or a detail the drawer shows
])
def test_the_drawer_is_told_which_part_changed_since_it_was_drawn(watching, quiet, change, told):
    """The drawer's check does not say what it shows: what changed is compared with the ticket as drawn."""
    ticket_id = _open_tickets(quiet, 1)[0]
    first = live.ticket_changed_since(watching, ticket_id, DRAWN, now=NOW)  # the drawer's first check
    change(quiet, ticket_id)
    _touch(quiet, ticket_id, NOW + timedelta(seconds=10))

    later = live.ticket_changed_since(watching, ticket_id, DRAWN, now=NOW + timedelta(seconds=live.POLL_INTERVAL_SECONDS))

    assert not first.changed
    assert (later.changed, later.aspects) == (True, told)
