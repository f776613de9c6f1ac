"""One AI limit for every AI entry point: per user and per account, in the shared cache.

``AI_USER_REQUESTS_PER_MINUTE`` (20) per user and ``AI_ACCOUNT_REQUESTS_PER_MINUTE`` (60) per account guard
the API's ai-parse, Quick Create's Parse in the New Ticket modal and Assist's messages and retries
(tests/assist/test_ai_rate_limit.py). Over it the engine is not asked; the user reads why and for how long,
and keeps what they typed. The Redis tests run when RF_TEST_REDIS_URL is set.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from psa.models import Membership
from tests.security.shared_cache import each_cache, redis_cache, run_second_app_process  # noqa: F401
from tickets import ai_parse
from tickets.ai_parse import AiRateLimited, count_ai_request

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
API = "/integrations/psa/tickets/ai-parse"
PROMPT = "Printer down at Acme Corp, urgent"


@pytest.fixture
def engine_calls(monkeypatch):
    """Every parse that reached the engine (the offline engine still answers)."""
    calls = []
    real = ai_parse.engine_from_settings

    class Counting:
        name = "counting"

        def extract(self, prompt, companies=(), boards=()):
            calls.append(prompt)
            return real().extract(prompt, companies, boards)

    monkeypatch.setattr(ai_parse, "engine_from_settings", Counting)
    return calls


def _colleague(username, account):
    user = User.objects.create_user(username)
    Membership.objects.create(user=user, account=account, role="member")
    return user


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _parse(client, prompt=PROMPT, *, htmx=True):
    data = {"token": "t" * 32, "tab": "quick", "prompt": prompt, "action": "parse", "summary": "", "company": "",
            "board_id": "", "status_id": "", "priority_id": "", "description": "", "assigned_member_id": ""}
    return client.post("/tickets/new", data, headers=HTMX if htmx else {})


# --- the limit itself ---------------------------------------------------------------------------


def test_a_user_over_the_limit_waits_and_the_others_do_not(alice, bob, account, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    count_ai_request(alice, account)
    count_ai_request(alice, account)
    with pytest.raises(AiRateLimited) as limited:
        count_ai_request(alice, account)
    assert 1 <= limited.value.retry_after <= 60
    assert limited.value.message.startswith("Too many AI requests: you can make 2 a minute")
    assert f"Try again in {limited.value.retry_after} second" in limited.value.message
    count_ai_request(bob, account)


def test_an_account_over_its_limit_stops_all_its_users_and_no_other_account(alice, bob, charlie, account,
                                                                            other_account, settings):
    settings.AI_ACCOUNT_REQUESTS_PER_MINUTE = 3
    for user in (alice, bob, alice):
        count_ai_request(user, account)
    for user in (alice, bob):
        with pytest.raises(AiRateLimited, match="Too many AI requests from your account: its users can make 3"):
            count_ai_request(user, account)
    count_ai_request(charlie, other_account)


def test_by_default_a_user_makes_twenty_requests_a_minute_and_an_account_sixty(alice, bob, account):
    dave, erin = _colleague("dave", account), _colleague("erin", account)
    for _ in range(20):
        count_ai_request(alice, account)
    with pytest.raises(AiRateLimited, match="you can make 20 a minute"):
        count_ai_request(alice, account)
    for user in (bob, dave):
        for _ in range(20):
            count_ai_request(user, account)
    with pytest.raises(AiRateLimited, match="its users can make 60 a minute"):
        count_ai_request(erin, account)


# --- Quick Create in the New Ticket modal ---------------------------------------------------------


def test_the_modal_refuses_a_parse_over_the_limit_on_the_prompt_line_keeping_the_text(
        alice_client, connection, engine_calls, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    assert [_parse(alice_client).status_code for _ in range(2)] == [200, 200]
    typed = "VPN down for the whole sales team since 9am, urgent"
    response = _parse(alice_client, typed)
    html = response.content.decode()
    assert response.status_code == 422  # what htmx swaps into the modal
    assert 1 <= int(response["Retry-After"]) <= 60
    assert '<p class="field-error" id="nt-prompt-error" role="alert">Too many AI requests: you can make 2 a minute' in html
    assert f">{typed}</textarea>" in html
    assert len(engine_calls) == 2  # the refused parse never reached the engine


def test_a_plain_form_post_over_the_limit_gets_429_with_retry_after(alice_client, connection, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 1
    _parse(alice_client, htmx=False)
    response = _parse(alice_client, "Outlook not syncing for Acme Corp", htmx=False)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many AI requests" in response.content
    assert b"Outlook not syncing for Acme Corp</textarea>" in response.content


def test_colleagues_share_the_accounts_limit_in_the_modal(alice, bob, connection, settings):
    settings.AI_ACCOUNT_REQUESTS_PER_MINUTE = 3
    alice_ui, bob_ui = _signed_in(alice), _signed_in(bob)
    assert [_parse(c).status_code for c in (alice_ui, bob_ui, alice_ui)] == [200, 200, 200]
    response = _parse(bob_ui)
    assert response.status_code == 422
    assert b"Too many AI requests from your account" in response.content


# --- the JSON API -----------------------------------------------------------------------------------


def test_the_api_answers_429_with_retry_after_and_says_why(token_client, connection, engine_calls, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 1
    assert token_client.post(API, {"prompt": PROMPT}, content_type="application/json").status_code == 200
    response = token_client.post(API, {"prompt": PROMPT}, content_type="application/json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Too many AI requests: you can make 1 a minute")
    assert len(engine_calls) == 1


def test_the_api_and_the_modal_share_one_budget(token_client, alice_client, connection, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 2
    assert token_client.post(API, {"prompt": PROMPT}, content_type="application/json").status_code == 200
    assert _parse(alice_client).status_code == 200
    assert token_client.post(API, {"prompt": PROMPT}, content_type="application/json").status_code == 429
    assert _parse(alice_client).status_code == 422


# --- shared across app processes (Redis) ------------------------------------------------------------


@pytest.mark.usefixtures("each_cache")
def test_the_limit_holds_with_the_deployments_cache(alice, account, settings):
    settings.AI_USER_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        count_ai_request(alice, account)
    with pytest.raises(AiRateLimited):
        count_ai_request(alice, account)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_cache")
def test_parses_in_another_app_process_use_up_the_accounts_budget_here(alice, bob, connection, settings):
    settings.AI_ACCOUNT_REQUESTS_PER_MINUTE = 3
    statuses = run_second_app_process("""
from django.contrib.auth.models import User
from django.test import Client

client = Client()
client.force_login(User.objects.get(username="bob"))
data = {"token": "t" * 32, "tab": "quick", "prompt": "Printer down at Acme Corp", "action": "parse"}
report([client.post("/tickets/new", data, headers={"HX-Request": "true"}).status_code for _ in range(3)])
""", AI_ACCOUNT_REQUESTS_PER_MINUTE=3)
    assert statuses == [200, 200, 200]
    response = _parse(_signed_in(alice))
    assert response.status_code == 422
    assert b"Too many AI requests from your account" in response.content
