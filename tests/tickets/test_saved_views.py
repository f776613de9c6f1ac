"""Saved views (the service): who sees and changes which view, the default, counts, and stale filters.

alice is an admin of Acme MSP, bob her colleague, charlie of another account (tests/conftest.py).
"""

from __future__ import annotations

from collections import Counter

import pytest

from psa.models import MemberMapping, Membership
from psa.providers.base import PSAProvider
from psa.tenancy import tenant_for
from tickets.service import InvalidInput, saved_views
from tickets.service.saved_views import SavedViewForbidden, SavedViewNotFound

# Each PSA's count call (ConnectWise's /service/tickets/count, Autotask's /Tickets/query/count), and how to make it
# fail once (Autotask's validation failure is a 500 with its text).
COUNT_CALL = {"connectwise": ("GET", "/service/tickets/count"), "autotask": ("GET", "/V1.0/Tickets/query/count")}
COUNT_FAILS = {"connectwise": "400", "autotask": "validation"}


def _counts(sandbox) -> int:
    return sum(1 for entry in sandbox.request_log if (entry.method, entry.path) in COUNT_CALL.values())


@pytest.fixture
def alice_t(alice, connection):
    return tenant_for(alice)


@pytest.fixture
def bob_t(bob, connection):
    return tenant_for(bob)


@pytest.fixture
def charlie_t(charlie, other_connection):
    return tenant_for(charlie)


def _names(tenant) -> list[str]:
    return [view.name for view in saved_views.list_views(tenant)]


# --- the filter ---------------------------------------------------------------------------------------


def test_a_view_keeps_only_the_filters_of_the_queue_url_in_a_fixed_order():
    query = "?page=3&ticket=1042&status=11&board=1&assigned=all&closed=false&search=  printer   jam &foo=bar"
    assert saved_views.normalise_query(query) == "search=printer+jam&board=1&status=11"


def test_include_closed_and_assigned_to_me_are_kept():
    assert saved_views.normalise_query("closed=on&assigned=ME") == "assigned=me&closed=true"


@pytest.mark.parametrize("query, field", [
    ("board=abc", "board"), ("company=-1", "company"), ("assigned=everybody", "assigned"), ("closed=maybe", "closed"),
    ("search=" + "x" * 201, "search"), ("priority=99999999999", "priority"),
])
def test_a_malformed_filter_is_refused_naming_the_parameter(query, field):
    with pytest.raises(InvalidInput) as refused:
        saved_views.normalise_query(query)
    assert refused.value.field_errors[0].field == field


# --- who sees what ----------------------------------------------------------------------------------------


def test_a_personal_view_is_seen_only_by_its_owner(alice_t, bob_t):
    saved_views.create_view(alice_t, "My board", "board=1")

    assert _names(alice_t) == ["My board"]
    assert _names(bob_t) == []


def test_a_shared_view_is_seen_by_colleagues_and_not_by_another_account(alice_t, bob_t, charlie_t):
    view = saved_views.create_view(bob_t, "Service Desk / New", "board=1&status=11", shared=True)

    assert _names(alice_t) == ["Service Desk / New"]
    assert _names(charlie_t) == []
    with pytest.raises(SavedViewNotFound):
        saved_views.get_view(charlie_t, view.pk)


def test_another_users_personal_view_is_not_found_rather_than_forbidden(alice_t, bob_t):
    view = saved_views.create_view(alice_t, "Mine", "assigned=me")

    with pytest.raises(SavedViewNotFound):
        saved_views.update_view(bob_t, view.pk, name="Taken")
    with pytest.raises(SavedViewNotFound):
        saved_views.delete_view(bob_t, view.pk)


def test_personal_views_come_first_then_the_shared_ones(alice_t, bob_t):
    saved_views.create_view(bob_t, "Team: Network", "board=2", shared=True)
    saved_views.create_view(alice_t, "Mine", "assigned=me")
    saved_views.create_view(alice_t, "Team: Service Desk", "board=1", shared=True)

    assert _names(alice_t) == ["Mine", "Team: Network", "Team: Service Desk"]


# --- who changes what --------------------------------------------------------------------------------------


def test_a_member_cannot_change_a_colleagues_shared_view(alice_t, bob_t):
    view = saved_views.create_view(alice_t, "Team", "board=1", shared=True)

    with pytest.raises(SavedViewForbidden):
        saved_views.update_view(bob_t, view.pk, name="Bob's now")
    with pytest.raises(SavedViewForbidden):
        saved_views.delete_view(bob_t, view.pk)
    assert _names(bob_t) == ["Team"]


def test_the_creator_and_an_admin_can_change_a_shared_view(alice_t, bob_t):
    view = saved_views.create_view(bob_t, "Team", "board=1", shared=True)

    saved_views.update_view(bob_t, view.pk, name="Team desk")  # its creator
    saved_views.update_view(alice_t, view.pk, query="board=1&priority=1")  # an admin
    assert (saved_views.get_view(bob_t, view.pk).name, saved_views.get_view(bob_t, view.pk).query) == \
        ("Team desk", "board=1&priority=1")
    saved_views.delete_view(alice_t, view.pk)
    assert _names(bob_t) == []


def test_unsharing_a_view_takes_it_from_colleagues(alice_t, bob_t):
    view = saved_views.create_view(alice_t, "Team", "board=1", shared=True)
    saved_views.update_view(alice_t, view.pk, shared=False)

    assert _names(bob_t) == [] and _names(alice_t) == ["Team"]


def test_names_are_unique_among_the_views_a_user_sees(alice_t, bob_t):
    saved_views.create_view(alice_t, "Urgent", "priority=1", shared=True)

    with pytest.raises(InvalidInput) as refused:
        saved_views.create_view(bob_t, "urgent", "priority=1")
    assert refused.value.field_errors[0].field == "name"
    saved_views.create_view(bob_t, "Urgent mine", "priority=1&assigned=me")


def test_a_blank_name_is_refused(alice_t):
    with pytest.raises(InvalidInput):
        saved_views.create_view(alice_t, "   ", "board=1")


# --- order and default ----------------------------------------------------------------------------------


def test_a_user_reorders_their_personal_views(alice_t):
    first, second, third = (saved_views.create_view(alice_t, name, "board=1") for name in ("A", "B", "C"))

    saved_views.reorder_views(alice_t, [third.pk, first.pk, second.pk])

    assert _names(alice_t) == ["C", "A", "B"]


def test_only_admins_reorder_the_shared_views(alice_t, bob_t):
    first = saved_views.create_view(alice_t, "A", "board=1", shared=True)
    second = saved_views.create_view(bob_t, "B", "board=2", shared=True)

    with pytest.raises(SavedViewForbidden):
        saved_views.reorder_views(bob_t, [second.pk, first.pk])
    saved_views.reorder_views(alice_t, [second.pk, first.pk])
    assert _names(bob_t) == ["B", "A"]


def test_a_reorder_that_leaves_a_view_out_changes_nothing(alice_t):
    first, second, third = (saved_views.create_view(alice_t, name, "board=1") for name in ("A", "B", "C"))

    with pytest.raises(InvalidInput):
        saved_views.reorder_views(alice_t, [third.pk, first.pk])
    assert _names(alice_t) == ["A", "B", "C"]


def test_each_user_has_their_own_default_view(alice_t, bob_t):
    team = saved_views.create_view(alice_t, "Team", "board=1&status=11", shared=True)
    mine = saved_views.create_view(bob_t, "Mine", "assigned=me")

    saved_views.set_default(alice_t, team.pk)
    saved_views.set_default(bob_t, mine.pk)

    assert saved_views.default_query(alice_t) == "board=1&status=11"
    assert saved_views.default_query(bob_t) == "assigned=me"


def test_a_deleted_or_unshared_default_falls_back_to_the_plain_queue(alice_t, bob_t):
    team = saved_views.create_view(alice_t, "Team", "board=1", shared=True)
    saved_views.set_default(bob_t, team.pk)

    saved_views.update_view(alice_t, team.pk, shared=False)
    assert saved_views.default_query(bob_t) is None
    saved_views.update_view(alice_t, team.pk, shared=True)
    assert saved_views.default_query(bob_t) == "board=1"
    saved_views.delete_view(alice_t, team.pk)
    assert saved_views.default_query(bob_t) is None


def test_a_colleagues_personal_view_cannot_be_a_default(alice_t, bob_t):
    mine = saved_views.create_view(alice_t, "Mine", "board=1")
    with pytest.raises(SavedViewNotFound):
        saved_views.set_default(bob_t, mine.pk)


# --- counts -------------------------------------------------------------------------------------------


def _open(sandbox, **match) -> int:
    """Open tickets with these ids (board=, priority=) in either PSA's sandbox (Autotask: queueID and priority,
    and open is a status other than Complete)."""
    def fits(ticket):
        if "_info" in ticket:
            return not ticket["closedFlag"] and all((ticket.get(k) or {}).get("id") == v for k, v in match.items())
        fields = {"board": "queueID", "priority": "priority"}
        return ticket["status"] != 5 and all(ticket.get(fields[k]) == v for k, v in match.items())

    return sum(1 for t in sandbox.state["tickets"].values() if fits(t))


def test_each_view_shows_its_open_ticket_count_from_one_count_call(alice_t, sandbox, psa_kind):
    desk = saved_views.create_view(alice_t, "Desk", "board=1")
    network = saved_views.create_view(alice_t, "Network incl. closed", "board=2&closed=true")
    assert alice_t.reference("boards").boards  # loaded before the log starts
    sandbox.clear_log()

    counts = saved_views.open_counts(alice_t, saved_views.list_views(alice_t))

    assert counts[desk.pk].count == _open(sandbox, board=1)
    assert counts[network.pk].count == _open(sandbox, board=2)  # open work only, whatever the view says
    assert Counter((e.method, e.path) for e in sandbox.request_log) == Counter({COUNT_CALL[psa_kind]: 2})


def test_colleagues_on_the_same_shared_view_share_one_count_for_a_minute(alice_t, bob_t, sandbox):
    saved_views.create_view(alice_t, "Desk", "board=1", shared=True)
    saved_views.open_counts(alice_t, saved_views.list_views(alice_t))
    sandbox.clear_log()

    counts = saved_views.open_counts(bob_t, saved_views.list_views(bob_t))

    assert _counts(sandbox) == 0
    assert list(counts.values())[0].count == _open(sandbox, board=1)


def test_assigned_to_me_is_counted_for_each_user(alice_t, bob, bob_t, account, alice_mapping, sandbox):
    member = sandbox.members()[1]
    MemberMapping.objects.create(account=account, user=bob, psa_member_id=member["id"],
                                 identifier=member["identifier"], name=member["name"])
    view = saved_views.create_view(alice_t, "Mine", "assigned=me", shared=True)
    sandbox.clear_log()

    alices = saved_views.open_counts(tenant_for(alice_t.user), [view])[view.pk]
    bobs = saved_views.open_counts(tenant_for(bob), [view])[view.pk]

    assert _counts(sandbox) == 2
    assert alices.count is not None and bobs.count is not None


def test_a_user_without_a_member_mapping_gets_a_reason_instead_of_a_count(alice_t, bob_t):
    view = saved_views.create_view(alice_t, "Mine", "assigned=me", shared=True)

    result = saved_views.open_counts(bob_t, [view])[view.pk]

    assert result.count is None and "not mapped" in result.error


def test_two_accounts_never_share_a_count(alice_t, charlie_t, sandbox):
    mine = saved_views.create_view(alice_t, "Desk", "board=1")
    theirs = saved_views.create_view(charlie_t, "Desk", "board=1")
    sandbox.clear_log()

    saved_views.open_counts(alice_t, [mine])
    saved_views.open_counts(charlie_t, [theirs])

    assert _counts(sandbox) == 2


def test_a_failed_count_is_reported_per_view_and_not_cached(alice_t, sandbox, psa_kind):
    view = saved_views.create_view(alice_t, "Desk", "board=1")
    method, path = COUNT_CALL[psa_kind]
    sandbox.inject(COUNT_FAILS[psa_kind], method=method, path=path.replace(".", r"\.") + "$", times=1)

    failed = saved_views.open_counts(alice_t, [view])[view.pk]
    again = saved_views.open_counts(alice_t, [view])[view.pk]

    assert failed.count is None and failed.error
    assert again.count == _open(sandbox, board=1)


def test_a_provider_that_cannot_count_gives_a_reason(alice_t, monkeypatch):
    view = saved_views.create_view(alice_t, "Desk", "board=1")
    provider = alice_t.provider
    monkeypatch.setattr(provider, "count_tickets", lambda query: PSAProvider.count_tickets(provider, query))

    result = saved_views.open_counts(alice_t, [view])[view.pk]

    assert result.count is None and result.error == "Counting tickets is not supported by this PSA"


# --- a filter that names what no longer exists ------------------------------------------------------------


def test_a_view_whose_board_was_deleted_still_opens_and_names_the_board(alice_t, sandbox):
    view = saved_views.create_view(alice_t, "Projects / mine", "board=3&priority=2")
    sandbox.state["boards"][3]["inactiveFlag"] = True  # the board is gone from ConnectWise's lists

    filters, problems = saved_views.open_view(alice_t, view)

    assert (filters.board, filters.priority) == (None, 2)
    assert problems and "Ignored board “3”" in problems[0]
    count = saved_views.open_counts(alice_t, [view])[view.pk]
    assert count.count == _open(sandbox, priority=2) and count.problems == problems


def test_a_view_whose_member_left_names_the_member(alice_t):
    view = saved_views.create_view(alice_t, "Gone", "assigned=424242")

    filters, problems = saved_views.open_view(alice_t, view)

    assert filters.assigned == "all"
    assert "Ignored assigned “424242”" in problems[0]


def test_the_queue_opened_from_a_stale_view_shows_the_warning(alice_client, alice_t, alice_mapping, sandbox):
    view = saved_views.create_view(alice_t, "Projects", "board=3")
    sandbox.state["boards"][3]["inactiveFlag"] = True

    html = alice_client.get(f"/tickets?{view.query}").content.decode()

    assert "Ignored board “3”" in html
    assert "Showing 1–25 of" in html


def test_only_members_of_an_account_can_save_views(db, connection):
    from django.contrib.auth.models import User

    loner = User.objects.create_user("loner")
    assert not Membership.objects.filter(user=loner).exists()
    with pytest.raises(SavedViewForbidden):
        saved_views.create_view(tenant_for(loner), "Mine", "board=1")
