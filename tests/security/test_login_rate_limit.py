"""Sign-in is limited to 10 failed attempts per IP and username in 5 minutes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.clock import frozen_clock

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
