"""Sign-in is limited to 10 failed attempts per IP and username in 5 minutes.

The username is counted as Django checks it (NFKC, then case-folded), and every attempt is counted before
its password is checked, so neither another spelling nor a burst of simultaneous attempts gets past the
limit — in one process or in several sharing Redis (the Redis tests run when RF_TEST_REDIS_URL is set).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client, override_settings

from tests.clock import frozen_clock
from tests.security.shared_cache import each_cache, redis_cache, run_second_app_process  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.login_urls")]

LOGIN = "/login/"


def _fail(client, username="alice", ip="203.0.113.5"):
    return client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


def test_a_wrong_password_is_an_ordinary_form_error_at_first(client, alice):
    response = _fail(client)
    assert response.status_code == 200
    assert b"Too many" not in response.content


def test_the_eleventh_attempt_is_refused_with_429_a_clear_message_and_retry_after(client, alice):
    for _ in range(10):
        assert _fail(client).status_code == 200
    response = _fail(client)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert 1 <= int(response["Retry-After"]) <= 300
    assert b'value="alice"' in response.content  # what the user typed is still there


def test_a_locked_out_user_cannot_sign_in_even_with_the_right_password(client, alice):
    for _ in range(10):
        _fail(client)
    response = client.post(LOGIN, {"username": "alice", "password": "pw-alice"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_limit_is_per_ip_and_username(client, alice, bob):
    for _ in range(10):
        _fail(client)
    assert _fail(client, username="bob").status_code == 200  # another account from the same address
    assert _fail(client, ip="198.51.100.7").status_code == 200  # the same account from elsewhere
    assert _fail(client, username="ALICE ").status_code == 429  # same username, other spelling


def test_a_successful_sign_in_clears_the_counter(client, alice):
    for _ in range(9):
        _fail(client)
    response = client.post(LOGIN, {"username": "alice", "password": "pw-alice"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    client.logout()
    for _ in range(9):
        assert _fail(client).status_code == 200


def test_the_window_ends(client, alice, monkeypatch):
    clock = frozen_clock(monkeypatch)  # the view's window and the cache's expiry both read it
    for _ in range(10):
        _fail(client)
    locked = _fail(client)
    assert locked.status_code == 429 and locked["Retry-After"] == "300"
    clock.advance(299)
    locked = _fail(client)
    assert locked.status_code == 429 and locked["Retry-After"] == "1"
    clock.advance(2)
    assert _fail(client).status_code == 200


@override_settings(LOGIN_MAX_FAILURES=2, LOGIN_FAILURE_WINDOW_SECONDS=60)
def test_the_limit_and_window_are_settings(client, alice):
    _fail(client)
    _fail(client)
    response = _fail(client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 60
    assert b"1 minute." in response.content


# --- the username as Django checks it -------------------------------------------------------------


def test_django_signs_a_full_width_spelling_in_as_the_plain_user(client, bob):
    """Why the counter normalises: Django's form applies NFKC, so "ｂob" (full-width b) is bob."""
    response = client.post(LOGIN, {"username": "ｂob", "password": "pw-bob"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_a_locked_out_user_cannot_sign_in_under_a_full_width_spelling(client, bob):
    for _ in range(10):
        _fail(client, username="bob")
    response = client.post(LOGIN, {"username": "ｂob", "password": "pw-bob"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_under_every_spelling_of_a_username_count_together(client, bob):
    for username in ["ｂob", "ＢＯＢ", "Bob", " bob ", "bob"] * 2:
        assert _fail(client, username=username).status_code == 200
    response = client.post(LOGIN, {"username": "bob", "password": "pw-bob"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


# --- simultaneous attempts, and attempts in several app processes (Redis) ----------------------------

HANG_GUARD_SECONDS = 60  # only so a broken run fails instead of hanging; nothing here measures time


@pytest.mark.usefixtures("each_cache")
def test_forty_simultaneous_wrong_passwords_get_only_ten_password_checks(monkeypatch):
    """Each password check is held until all 40 attempts are either in a check or answered, so an attempt
    can only be refused by what was counted before its check — exactly the race of counting after it."""
    state = threading.Condition()
    checked, answered = [], []
    release = threading.Event()

    def held_password_check(request=None, **credentials):
        with state:
            checked.append(credentials.get("username"))
            state.notify_all()
        release.wait(HANG_GUARD_SECONDS)
        return None  # a wrong password

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", held_password_check)

    def attempt():
        try:
            response = Client().post(LOGIN, {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.5")
            with state:
                answered.append(response.status_code)
                state.notify_all()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    with state:
        state.wait_for(lambda: len(checked) + len(answered) >= 40, timeout=HANG_GUARD_SECONDS)
    release.set()
    for thread in threads:
        thread.join()
    assert len(checked) == 10
    assert sorted(answered) == [200] * 10 + [429] * 30


@pytest.mark.usefixtures("redis_cache")
def test_the_lockout_holds_with_redis_as_the_cache(client, alice):
    for _ in range(10):
        assert _fail(client).status_code == 200
    response = client.post(LOGIN, {"username": "ａlice", "password": "pw-alice"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_cache")
def test_a_lockout_reached_in_another_app_process_holds_in_this_one(bob):
    statuses = run_second_app_process("""
from django.test import Client
client = Client()
report([client.post("/login/", {"username": "ｂob", "password": "wrong"}, REMOTE_ADDR="203.0.113.5").status_code
        for _ in range(11)])
""")
    assert statuses == [200] * 10 + [429]
    response = Client().post(LOGIN, {"username": "bob", "password": "pw-bob"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
