"""Assist's messages and retries count against the one AI limit (per user and per account) that Quick Create
and the API share (tickets.ai_parse.count_ai_request). Over it the assistant is not asked; the reply fails
inline like any other, saying how long to wait, with Retry — and the engineer's message is kept."""

from __future__ import annotations

import pytest
from django.test import Client

from assist import chat, services
from assist.models import Message
from tests.clock import frozen_clock
from tests.security.shared_cache import redis_cache, run_second_app_process  # noqa: F401

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def engine_calls(monkeypatch):
    """Every reply that reached the chat engine (the offline engine still answers)."""
    calls = []
    real = chat.reply

    def counting(session, user_text=None, *, engine=None):
        calls.append(session.id)
        return real(session, user_text, engine=engine)

    monkeypatch.setattr(chat, "reply", counting)
    return calls


def _say(client, session, text, *, htmx=True):
    return client.post(f"/assist/{session.id}/messages", {"text": text}, headers=HTMX if htmx else {})


def _roles(session):
    return list(session.messages.order_by("created", "id").values_list("role", "failed"))


def test_a_message_over_the_limit_fails_inline_with_the_wait_and_is_kept(alice_client, session, engine_calls,
                                                                          settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 1
    _say(alice_client, session, "Outlook crashes on launch")
    response = _say(alice_client, session, "It also crashes in safe mode")
    html = response.content.decode()
    assert response.status_code == 200  # what htmx swaps into #chat
    assert "It also crashes in safe mode" in html
    assert "The assistant did not reply.</strong> Too many AI requests: you can make 1 a minute" in html
    assert "/retry" in html
    assert len(engine_calls) == 1  # the refused message never reached the assistant
    assert _roles(session) == [("user", False), ("assistant", False), ("user", True)]


def test_retry_is_limited_too_and_answers_once_the_minute_is_over(alice_client, session, engine_calls, settings,
                                                                  monkeypatch):
    clock = frozen_clock(monkeypatch)
    settings.AI_USER_REQUESTS_PER_MINUTE = 1
    _say(alice_client, session, "Outlook crashes on launch")
    _say(alice_client, session, "It also crashes in safe mode")
    retried = alice_client.post(f"/assist/{session.id}/retry", headers=HTMX)
    assert b"Too many AI requests" in retried.content
    assert b"It also crashes in safe mode" in retried.content
    assert len(engine_calls) == 1

    clock.advance(61)
    retried = alice_client.post(f"/assist/{session.id}/retry", headers=HTMX)
    assert b"Too many AI requests" not in retried.content
    assert _roles(session) == [("user", False), ("assistant", False), ("user", False), ("assistant", False)]


def test_a_plain_form_post_over_the_limit_gets_the_page_with_429_and_retry_after(alice_client, session, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 1
    assert _say(alice_client, session, "Outlook crashes on launch", htmx=False).status_code == 302
    response = _say(alice_client, session, "It also crashes in safe mode", htmx=False)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many AI requests" in response.content
    assert b"It also crashes in safe mode" in response.content


def test_quick_create_and_assist_share_one_budget(alice_client, session, connection, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    parse = {"token": "t" * 32, "tab": "quick", "prompt": "Printer down at Acme Corp", "action": "parse"}
    assert alice_client.post("/tickets/new", parse, headers=HTMX).status_code == 200
    _say(alice_client, session, "Outlook crashes on launch")
    assert b"Too many AI requests" in _say(alice_client, session, "Still crashing").content


def test_colleagues_share_the_accounts_budget(alice, bob, account, session, settings):
    settings.AI_ACCOUNT_REQUESTS_PER_MINUTE = 2
    bob_ui = Client()
    bob_ui.force_login(bob)
    bobs = services.create_session(account, bob, "Printer jam")
    for text in ("Printer jams on every page", "Still jamming"):
        _say(bob_ui, bobs, text)
    alice_ui = Client()
    alice_ui.force_login(alice)
    response = _say(alice_ui, session, "Outlook crashes on launch")
    assert b"Too many AI requests from your account: its users can make 2 a minute" in response.content
    assert _roles(session) == [("user", True)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_cache")
def test_parses_in_another_app_process_use_up_the_users_budget_for_assist_here(alice_client, session, connection,
                                                                               engine_calls, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    statuses = run_second_app_process("""
from django.contrib.auth.models import User
from django.test import Client

client = Client()
client.force_login(User.objects.get(username="alice"))
data = {"token": "t" * 32, "tab": "quick", "prompt": "Printer down at Acme Corp", "action": "parse"}
report([client.post("/tickets/new", data, headers={"HX-Request": "true"}).status_code for _ in range(2)])
""", AI_USER_REQUESTS_PER_MINUTE=2)
    assert statuses == [200, 200]
    response = _say(alice_client, session, "Outlook crashes on launch")
    assert b"Too many AI requests: you can make 2 a minute" in response.content
    assert engine_calls == []
    assert Message.objects.filter(session=session, text="Outlook crashes on launch", failed=True).exists()
