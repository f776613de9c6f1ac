"""Active sessions (/dashboard/sessions): the user's most recently active Assist sessions."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _session(account, user, title, **fields):
    from assist.models import AssistSession

    return AssistSession.objects.create(account=account, user=user, title=title, **fields)


def test_it_invites_a_user_without_sessions_to_start_one(alice_client):
    html = alice_client.get("/dashboard/sessions", **HX).content.decode()
    assert 'data-state="empty"' in html and "No Assist sessions yet" in html
    assert '<a href="/assist/">Start one</a>' in html


def test_it_lists_the_five_most_recent_sessions_newest_first(alice_client, alice, account):
    sessions = [_session(account, alice, f"Session {n}") for n in range(7)]
    html = alice_client.get("/dashboard/sessions", **HX).content.decode()
    links = re.findall(r'href="/assist/(\d+)/"', html)
    assert [int(i) for i in links] == [s.id for s in reversed(sessions)][:5]
    assert "Session 6" in html and "Session 1" not in html
    assert '<a href="/assist/">All sessions →</a>' in html


def test_it_shows_the_linked_ticket_and_escapes_titles(alice_client, alice, account):
    _session(account, alice, "<b>VPN</b> drops", linked_ticket_id=1042)
    html = alice_client.get("/dashboard/sessions", **HX).content.decode()
    assert "&lt;b&gt;VPN&lt;/b&gt; drops" in html and "#1042" in html


def test_it_shows_only_the_users_own_sessions(bob_client, alice, bob, account, charlie, other_account):
    _session(account, alice, "Alice's session")
    _session(other_account, charlie, "Charlie's session")
    _session(account, bob, "Bob's session")
    html = bob_client.get("/dashboard/sessions", **HX).content.decode()
    assert "Bob&#x27;s session" in html
    assert "Alice" not in html and "Charlie" not in html
