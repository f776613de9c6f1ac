"""An Autotask connection on the integrations page, and the provider the registry builds for it.

(This package's conftest names its AutotaskClient fixture ``client``: the pages here use their own Django
test client.)
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from psa import registry
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME
from psa.models import MemberMapping, PSAConnection
from psa.providers.autotask import AutotaskProvider
from psa.site_policy import PSASitePolicyError

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
URL = "/account/integrations"


@pytest.fixture
def web(alice):
    browser = Client()
    browser.force_login(alice)
    return browser


@pytest.fixture
def at_connection(account, at_sandbox):
    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    yield connection
    registry.forget(connection)


def _autotask_form(**overrides):
    return {"provider": "autotask", "site": "sandbox", "username": API_USERNAME,
            "integration_code": API_INTEGRATION_CODE, "private_key": API_SECRET, **overrides}


def test_choosing_autotask_shows_its_fields_and_not_connectwise_ones(web, account):
    html = web.get(URL + "?provider=autotask").content.decode()
    assert 'name="username"' in html and 'name="integration_code"' in html and "Secret" in html
    assert 'name="company_id"' not in html and 'name="public_key"' not in html
    assert "Not discovered yet: Test connection looks it up from the username." in html
    assert 'value="webservices.autotask.net"' in html  # the lookup host, prefilled


def test_an_admin_connects_autotask_and_the_secret_is_stored_encrypted(web, account, at_sandbox):
    response = web.post(URL, _autotask_form(), **HX)
    assert response.status_code == 200 and "Connection created" in response.headers["HX-Trigger"]
    connection = PSAConnection.objects.get(account=account)
    assert connection.is_autotask and connection.username == API_USERNAME
    assert connection.get_private_key() == API_SECRET and API_SECRET not in connection.private_key_encrypted
    assert API_SECRET not in response.content.decode()


def test_every_autotask_field_is_required_on_a_new_connection(web, account):
    response = web.post(URL, {"provider": "autotask", "site": "sandbox"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the API user&#x27;s username." in html and "Enter the secret." in html
    assert "Enter the integration code" in html
    assert not PSAConnection.objects.filter(account=account).exists()


@pytest.mark.parametrize("change", [{"username": "other-api@sandbox.example"}, {"site": "http://127.0.0.1:8766"}])
def test_a_new_username_or_lookup_site_needs_the_secret_again(web, account, at_connection, change):
    response = web.post(URL, _autotask_form(private_key="", **change), **HX)
    assert response.status_code == 422
    assert "Re-enter the secret: it is needed again when the username or zone lookup site changes." in (
        response.content.decode())
    at_connection.refresh_from_db()
    assert at_connection.username == API_USERNAME and at_connection.site == "sandbox"


def test_a_new_integration_code_keeps_the_stored_secret(web, account, at_connection):
    response = web.post(URL, _autotask_form(private_key="", integration_code="NEWCODE"), **HX)
    assert response.status_code == 200
    at_connection.refresh_from_db()
    assert at_connection.integration_code == "NEWCODE" and at_connection.get_private_key() == API_SECRET


def test_switching_a_connectwise_connection_to_autotask_needs_the_secret(web, account):
    from tests.conftest import _connect

    connection = _connect(account, "connectwise")  # whichever PSA this run's shared fixtures use
    response = web.post(URL, _autotask_form(private_key=""), **HX)
    assert response.status_code == 422 and "Re-enter the secret" in response.content.decode()
    connection.refresh_from_db()
    assert connection.provider == "connectwise"


def test_the_site_policy_applies_to_the_autotask_lookup_site(web, account, settings):
    settings.PSA_ALLOW_PRIVATE_HOSTS = False
    response = web.post(URL, _autotask_form(site="http://127.0.0.1:8766"), **HX)
    assert response.status_code == 422 and "Use https://" in response.content.decode()
    assert not PSAConnection.objects.filter(account=account).exists()


def test_the_site_policy_applies_to_the_zone_host_too(account, settings, monkeypatch):
    """A zone host whose name resolves to a private address gets nothing, the secret least of all."""
    import ipaddress

    from psa import site_policy

    settings.PSA_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr(site_policy, "resolve", lambda host, port: [ipaddress.ip_address("10.0.0.5")])
    connection = PSAConnection(account=account, provider="autotask", site="webservices.autotask.net",
                               username=API_USERNAME, integration_code=API_INTEGRATION_CODE,
                               zone_url="https://webservices99.autotask.net/ATServicesRest/")
    connection.set_private_key(API_SECRET)
    connection.save()
    with pytest.raises(PSASitePolicyError):
        registry.provider_for(connection).system_info()
    registry.forget(connection)


def test_a_stored_zone_off_autotask_is_never_used(account):
    connection = PSAConnection(account=account, provider="autotask", site="webservices.autotask.net",
                               username=API_USERNAME, integration_code=API_INTEGRATION_CODE,
                               zone_url="https://127.0.0.1/ATServicesRest/")
    connection.set_private_key(API_SECRET)
    connection.save()
    assert registry._stored_zone("https://webservices.autotask.net/ATServicesRest/", connection.zone_url) is None
    assert registry._stored_zone("https://webservices.autotask.net/ATServicesRest/",
                                 "https://webservices5.autotask.net/ATServicesRest/") is not None


def test_the_registry_builds_an_autotask_provider_on_the_autotask_sandbox(at_connection, at_sandbox):
    provider = registry.provider_for(at_connection)
    assert isinstance(provider, AutotaskProvider)
    assert provider.system_info().version == "2025.2.512"
    assert any(r.path.endswith("V1.0/Version") for r in at_sandbox.request_log)


def test_a_refused_autotask_site_sends_nothing(account, at_sandbox, settings):
    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    settings.PSA_ALLOW_PRIVATE_HOSTS = False
    registry.forget(connection)
    with pytest.raises(PSASitePolicyError):
        registry.provider_for(connection).system_info()
    assert at_sandbox.request_log == []
    registry.forget(connection)


def test_test_connection_reports_the_autotask_version_and_stores_the_zone(web, at_connection, at_sandbox):
    html = web.post(URL + "/test", **HX).content.decode()
    assert "is-ok" in html and "Connected to Autotask 2025.2.512" in html
    at_connection.refresh_from_db()
    assert at_connection.zone_url.endswith("/ATServicesRest/") and at_connection.zone_url in html
    assert API_SECRET not in html and API_INTEGRATION_CODE not in html
    # The page shows the discovered zone from now on.
    assert at_connection.zone_url in web.get(URL).content.decode()


def test_test_connection_reports_the_databases_api_requests_this_hour(web, at_connection, at_sandbox):
    html = unescape(web.post(URL + "/test", **HX).content.decode())
    used = int(re.search(r"API requests: ([\d,]+) of 10,000 in the last 60 minutes", html).group(1).replace(",", ""))
    assert 1 <= used <= len(at_sandbox.request_log)  # the test's own requests (the zone lookup is exempt)
    assert "every integration on this Autotask database counts" in html
    assert "slows every answer down" not in html


def test_above_half_of_the_hourly_limit_test_connection_warns_of_autotasks_slow_down(web, at_connection, at_sandbox):
    # The version and the usage run side by side: the usage counts itself and, if it was served second, the
    # version too (1 or 2 requests). With a limit of 2 either is at least half of it.
    at_sandbox.hourly_limit = 2
    html = unescape(web.post(URL + "/test", **HX).content.decode())
    assert "is-ok" in html and re.search(r"API requests: [12] of 2 in the last 60 minutes", html)
    assert "Above half of it Autotask slows every answer down (0.5 s; 1 s above three quarters)" in html


def test_when_the_usage_cannot_be_read_test_connection_still_says_connected(web, at_connection, at_sandbox):
    at_sandbox.inject("503", path=r"ThresholdInformation$")
    html = web.post(URL + "/test", **HX).content.decode()
    assert "is-ok" in html and "Connected to Autotask 2025.2.512" in html and "API requests" not in html


def test_a_wrong_secret_is_reported_as_bad_credentials_without_the_secret(web, at_connection):
    at_connection.set_private_key("wrong-secret")
    at_connection.save()
    html = web.post(URL + "/test", **HX).content.decode()
    assert "is-fail" in html and "Bad credentials: Autotask found the API user&#x27;s zone" in html
    assert "wrong-secret" not in html


def test_an_unknown_username_is_reported_as_such(web, at_connection):
    at_connection.username = "nobody@nowhere.example"
    at_connection.save()
    html = web.post(URL + "/test", **HX).content.decode()
    assert "Unknown username: Autotask&#x27;s zone lookup at sandbox does not know" in html


def test_member_mappings_speak_of_autotask_resources(web, account, alice, at_connection, at_sandbox):
    html = web.get(URL + "/mappings", **HX).content.decode()
    assert "Autotask resource</th>" in html and "Choose your Autotask resource…" in html
    assert "ConnectWise" not in html
    resource = registry.provider_for(at_connection).list_members()[0]
    response = web.post(URL + "/mappings/me", {"member": resource.id}, **HX)
    assert response.status_code == 200
    mapping = MemberMapping.objects.get(account=account, user=alice)
    assert (mapping.psa_member_id, mapping.identifier) == (resource.id, resource.identifier)


def test_a_member_of_the_account_sees_the_autotask_facts_without_the_secret(bob, at_connection):
    browser = Client()
    browser.force_login(bob)
    html = browser.get(URL).content.decode()
    assert "Autotask PSA" in html and API_USERNAME in html and "not discovered yet" in html
    assert API_SECRET not in html and 'name="username"' not in html
