"""Test connection (POST /account/integrations/test): success with the version, or the exact failure."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _test(client, htmx=True) -> str:
    response = client.post("/account/integrations/test", **(HX if htmx else {}))
    assert response.status_code == 200
    return response.content.decode()


def _change(connection, **fields):
    private_key = fields.pop("private_key", None)
    for name, value in fields.items():
        setattr(connection, name, value)
    if private_key is not None:
        connection.set_private_key(private_key)
    connection.save()


def test_it_reports_success_with_the_connectwise_version(alice_client, connection, sandbox):
    html = _test(alice_client)
    assert html.lstrip().startswith('<p id="test-result" class="test-result is-ok"')
    assert "Connected to ConnectWise v2025.8.12345." in html
    assert [r.path for r in sandbox.request_log] == ["/system/info"]


def test_wrong_keys_are_reported_as_bad_credentials(alice_client, connection):
    _change(connection, private_key="wrong-private")
    html = _test(alice_client)
    assert "is-fail" in html and "Bad credentials: ConnectWise knows the company" in html
    assert "wrong-private" not in html and "sandbox-public" not in html


def test_an_unknown_company_is_reported_as_an_unknown_company(alice_client, connection, sandbox):
    _change(connection, company_id="nosuchco")
    html = _test(alice_client)
    assert 'Unknown company: sandbox has no company with id &quot;nosuchco&quot;' in html
    assert "Bad credentials" not in html
    # One authenticated call, then ConnectWise's unauthenticated company lookup explains the 401.
    assert [r.path for r in sandbox.request_log][-1] == "/login/companyinfo/nosuchco"


def test_a_timeout_is_reported_as_a_timeout(alice_client, connection, sandbox, settings):
    sandbox.inject("timeout", path="^/system/info")
    html = _test(alice_client)
    assert "Timeout: sandbox did not answer within" in html


def test_a_refused_connection_is_reported_as_an_unreachable_host(alice_client, connection, sandbox):
    sandbox.inject("refused", path="^/system/info")
    assert "Unreachable host: could not connect to sandbox." in _test(alice_client)


def test_a_server_error_is_reported_with_its_status(alice_client, connection, sandbox):
    sandbox.inject("503", path="^/system/info", retry_after=0)
    assert "is unavailable right now (HTTP 503)" in _test(alice_client)


def test_it_asks_for_a_connection_first(alice_client, account):
    assert "Save a connection first." in _test(alice_client)


def test_a_member_may_test_the_saved_connection(bob_client, connection):
    assert "Connected to ConnectWise" in _test(bob_client)


def test_without_javascript_it_renders_the_page_with_the_result(alice_client, connection):
    html = _test(alice_client, htmx=False)
    assert "<html" in html and "Connected to ConnectWise v2025.8.12345." in html


def test_another_account_never_tests_acmes_connection(charlie_client, connection, sandbox):
    assert "Save a connection first." in _test(charlie_client)
    assert sandbox.request_log == []


def test_it_only_accepts_post(alice_client, connection):
    assert alice_client.get("/account/integrations/test").status_code == 405
