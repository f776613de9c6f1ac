"""Sessions are personal: only their owner can list or open them."""

import pytest
from django.http import Http404

from assist import services


def test_alice_lists_only_her_sessions(session, account, alice, bob):
    services.create_session(account, bob, "Bob's own")
    assert list(services.list_sessions(account, alice)) == [session]


def test_alice_can_open_her_session(session, account, alice):
    assert services.get_session(account, alice, session.id) == session


def test_charlie_cannot_get_alices_session(session, other_account, charlie):
    with pytest.raises(Http404):
        services.get_session(other_account, charlie, session.id)


def test_charlie_cannot_get_it_even_naming_alices_account(session, account, charlie):
    with pytest.raises(Http404):
        services.get_session(account, charlie, session.id)


def test_bob_cannot_get_alices_session_in_the_same_account(session, account, bob):
    with pytest.raises(Http404):
        services.get_session(account, bob, session.id)


def test_charlie_sees_no_sessions(session, other_account, charlie):
    assert list(services.list_sessions(other_account, charlie)) == []


@pytest.mark.parametrize("bad_id", ["abc", None, "999999"])
def test_a_bad_or_unknown_id_is_a_404(session, account, alice, bad_id):
    with pytest.raises(Http404):
        services.get_session(account, alice, bad_id)
