"""Where API keys may be sent: the PSA site an admin types passes the site policy (psa.site_policy).

In production (``PSA_ALLOW_PRIVATE_HOSTS`` off): https only, hosts that resolve to public addresses only
(every numeric spelling and IPv6 form included), no built-in sandbox. Outside production the same form
accepts local hosts for demos, and looks nothing up. Non-ASCII hosts are IDNA-encoded or refused with a
message. Test connection reports a refused host as such, the same way whatever listens there, and never
repeats an upstream message. DNS is replaced at one point (``socket.getaddrinfo``); servers are on loopback.
"""
# ruff: noqa: F811 - the fixtures imported from tests.security.loopback are parameters here

from __future__ import annotations

import pytest

from psa import registry
from psa.models import PSAConnection
from psa.site_policy import PSASitePolicyError
from tests.security.loopback import (  # noqa: F401 - fixtures
    PUBLIC_V4,
    PUBLIC_V6,
    connect_attempts,
    dns,
    loopback_server,
)
from tests.test_settings_production import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
FORM = {"company_id": "acme", "public_key": "acme-public", "private_key": "acme-private", "client_id": "rf-tests"}

NOT_PUBLIC = "is not a public internet host"
HTTPS_ONLY = "Use https://"
SANDBOX = "The built-in sandbox is only for local development"
SYNTAX = "Enter a host such as na.myconnectwise.net"
IDNA = "cannot be written as an internationalised domain name"


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.PSA_ALLOW_PRIVATE_HOSTS = False
    registry.forget()
    yield
    registry.forget()


def _save(client, site):
    return client.post("/account/integrations", {**FORM, "site": site}, **HX)


def _site_error(response) -> str:
    html = response.content.decode()
    assert response.status_code == 422 and 'id="id_site_error" role="alert">' in html
    return html


def _store_site(connection, site):
    """Store ``site`` as it is, without the form (a connection saved before the policy existed)."""
    connection.site = site
    connection.save()  # a new ``updated``: the next PSA call builds a new provider


def _saved_site(account):
    return PSAConnection.objects.get(account=account).site


# --- the setting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "allowed"), [
    ({"RF_ENV": "development"}, True),
    ({"RF_ENV": "development", "PSA_ALLOW_PRIVATE_HOSTS": "0"}, False),
    (PRODUCTION_ENV, False),
    ({**PRODUCTION_ENV, "PSA_ALLOW_PRIVATE_HOSTS": "1"}, True),  # an explicit choice, e.g. on-premises PSA
])
def test_local_hosts_are_allowed_by_default_only_outside_production(env, allowed):
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.PSA_ALLOW_PRIVATE_HOSTS)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(allowed)


# --- the form in production ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("site", "answers", "message"), [
    ("sandbox", {}, SANDBOX),
    ("http://cw.example.com", {"cw.example.com": PUBLIC_V4}, HTTPS_ONLY),
    ("http://127.0.0.1:8765", {}, HTTPS_ONLY),
    ("127.0.0.1", {}, NOT_PUBLIC),
    ("https://localhost", {"localhost": ["127.0.0.1", "::1"]}, NOT_PUBLIC),
    ("10.0.0.5", {}, NOT_PUBLIC),
    ("172.16.0.1", {}, NOT_PUBLIC),
    ("192.168.1.10", {}, NOT_PUBLIC),
    ("169.254.169.254", {}, NOT_PUBLIC),
    ("100.64.0.1", {}, NOT_PUBLIC),
    ("224.0.0.251", {}, NOT_PUBLIC),
    ("255.255.255.255", {}, NOT_PUBLIC),
    # Numeric spellings a resolver reads as 127.0.0.1 or 0.0.0.0.
    ("0", {}, NOT_PUBLIC),
    ("2130706433", {}, NOT_PUBLIC),
    ("0x7f.1", {}, NOT_PUBLIC),
    ("127.1", {}, NOT_PUBLIC),
    ("0177.0.0.1", {}, NOT_PUBLIC),
    ("017700000001", {}, NOT_PUBLIC),
    ("0x7f000001", {}, NOT_PUBLIC),
    ("https://0:8443", {}, NOT_PUBLIC),
    ("https://0x7f.0.0.1", {}, NOT_PUBLIC),
    # IPv6, and IPv4 inside IPv6.
    ("https://[::1]", {}, NOT_PUBLIC),
    ("https://[::]", {}, NOT_PUBLIC),
    ("https://[::ffff:127.0.0.1]", {}, NOT_PUBLIC),
    ("https://[::ffff:7f00:1]:443", {}, NOT_PUBLIC),
    ("https://[::ffff:a9fe:a9fe]", {}, NOT_PUBLIC),
    ("https://[64:ff9b::a00:5]", {}, NOT_PUBLIC),
    ("https://[2002:c0a8:101::1]", {}, NOT_PUBLIC),
    ("https://[fe80::1]", {}, NOT_PUBLIC),
    ("https://[fd12:3456::1]", {}, NOT_PUBLIC),
    ("https://[fec0::1]", {}, NOT_PUBLIC),
    ("https://[ff02::1]", {}, NOT_PUBLIC),
    # Names that resolve inside (one bad address is enough), or nowhere.
    ("internal.example.com", {"internal.example.com": "10.1.2.3"}, NOT_PUBLIC),
    ("metadata.example.com", {"metadata.example.com": "169.254.169.254"}, NOT_PUBLIC),
    ("v6.example.com", {"v6.example.com": "fd00::5"}, NOT_PUBLIC),
    ("mixed.example.com", {"mixed.example.com": [PUBLIC_V4, "192.168.0.1"]}, NOT_PUBLIC),
    ("https://cw.example.com:8443", {"cw.example.com": "::ffff:10.0.0.1"}, NOT_PUBLIC),
    ("nowhere.example.com", {}, NOT_PUBLIC),
])
def test_in_production_a_site_that_is_not_public_https_is_refused_next_to_the_field(
    production, alice_client, account, connection, dns, site, answers, message
):
    for name, answer in answers.items():
        dns.answer(name, answer)

    html = _site_error(_save(alice_client, site))

    assert message in html
    assert _saved_site(account) == "sandbox" and PSAConnection.objects.get(account=account).company_id == "sandbox"


@pytest.mark.parametrize(("site", "answers", "saved"), [
    ("na.myconnectwise.net", {"api-na.myconnectwise.net": PUBLIC_V4}, "na.myconnectwise.net"),
    ("CW.Example.com/", {"cw.example.com": PUBLIC_V4}, "cw.example.com"),
    ("https://cw.example.com:8443", {"cw.example.com": PUBLIC_V4}, "https://cw.example.com:8443"),
    ("v6.example.com", {"v6.example.com": PUBLIC_V6}, "v6.example.com"),
    ("https://[2606:4700:4700::1111]", {}, "https://[2606:4700:4700::1111]"),
    ("bücher.example", {"xn--bcher-kva.example": PUBLIC_V4}, "xn--bcher-kva.example"),
])
def test_in_production_a_public_https_site_is_saved_in_its_canonical_spelling(
    production, alice_client, account, connection, dns, site, answers, saved
):
    for name, answer in answers.items():
        dns.answer(name, answer)

    assert _save(alice_client, site).status_code == 200
    assert _saved_site(account) == saved


def test_in_production_the_form_does_not_offer_the_sandbox(production, alice_client, connection):
    html = alice_client.get("/account/integrations").content.decode()
    assert "e.g. na.myconnectwise.net." in html and "(or sandbox)" not in html


# --- the form outside production -------------------------------------------------------------------------------


@pytest.mark.parametrize(("site", "saved"), [
    ("sandbox", "sandbox"),
    ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://cw.example.com", "http://cw.example.com"),
    ("10.0.0.5", "10.0.0.5"),
    ("2130706433", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("https://[::FFFF:127.0.0.1]:8443", "https://[::ffff:7f00:1]:8443"),
])
def test_outside_production_local_sites_are_accepted_without_any_lookup(
    alice_client, account, connection, dns, site, saved
):
    assert _save(alice_client, site).status_code == 200
    assert _saved_site(account) == saved
    assert dns.lookups == []


@pytest.mark.parametrize(("site", "message"), [
    ("x_ü.example", IDNA),
    ("ｅｘａｍｐｌｅ.com", IDNA),
    ("https://ex\u200bample.com", IDNA),
    ("https://user@cw.example.com", SYNTAX),
    ("ftp://cw.example.com", SYNTAX),
    ("https://cw.example.com/v4_6_release", SYNTAX),
    ("https://cw.example.com:0", SYNTAX),
    ("https://cw.example.com:70000", SYNTAX),
    ("https://[fe80::1%25eth0]", SYNTAX),
    ("1.2.3.256", SYNTAX),
    ("cw.example.123", SYNTAX),
    ("cw.example.com.", SYNTAX),
])
def test_a_host_that_is_no_valid_host_name_is_refused_everywhere_with_a_message(
    alice_client, account, connection, site, message
):
    html = _site_error(_save(alice_client, site))

    assert message in html
    assert _saved_site(account) == "sandbox"
    assert alice_client.get("/account/integrations").status_code == 200


def test_a_non_ascii_host_is_saved_idna_encoded_and_every_page_works(alice_client, account, connection):
    assert _save(alice_client, "https://bücher.example:8443").status_code == 200
    assert _saved_site(account) == "https://xn--bcher-kva.example:8443"


# --- a stored site the policy refuses: a message on every page, never a 500 ----------------------------------


PAGES = ["/", "/tickets", "/tickets/1000/detail", "/tickets/1000/resources", "/dashboard/my-queue",
         "/account/integrations", "/account/integrations/mappings", "/tickets/new"]


@pytest.mark.parametrize("site", ["https://x_ü.example", "https://exa mple.com"])
def test_a_stored_site_that_is_no_valid_host_breaks_no_page(alice_client, alice_mapping, connection, site):
    _store_site(connection, site)  # saved before the policy existed

    for path in PAGES:
        for headers in ({}, HX):
            assert alice_client.get(path, **headers).status_code < 500, path
    html = alice_client.post("/account/integrations/test", **HX).content.decode()
    assert "Not allowed: " in html


def test_in_production_a_stored_sandbox_connection_is_refused_and_breaks_no_page(
    production, alice_client, alice_mapping, connection, sandbox
):
    for path in PAGES:
        assert alice_client.get(path, **HX).status_code < 500, path
    with pytest.raises(PSASitePolicyError):
        registry.provider_for(connection).system_info()
    assert sandbox.request_log == []


# --- Test connection ---------------------------------------------------------------------------------------------


def _test_connection(client) -> str:
    response = client.post("/account/integrations/test", **HX)
    assert response.status_code == 200
    return response.content.decode()


def test_in_production_test_connection_refuses_the_sandbox(production, alice_client, connection, sandbox):
    html = _test_connection(alice_client)

    assert "is-fail" in html and f"Not allowed: {SANDBOX}" in html
    assert sandbox.request_log == []


def test_test_connection_to_a_site_that_now_resolves_inside_reaches_nothing(
    production, alice_client, account, connection, dns, connect_attempts, loopback_server
):
    internal = loopback_server()
    dns.answer("cw.example.com", PUBLIC_V4, internal.address)  # public when saved, rebound right after
    assert _save(alice_client, f"https://cw.example.com:{internal.port}").status_code == 200

    html = _test_connection(alice_client)

    assert f"Not allowed: cw.example.com {NOT_PUBLIC}" in html
    assert connect_attempts == [] and internal.connections == 0


def test_in_production_test_connection_is_no_port_scanner(production, alice_client, connection, loopback_server):
    open_port = loopback_server().port
    closed_port = loopback_server()
    closed_port.close()
    answers = []
    for port in (open_port, closed_port.port):
        _store_site(connection, f"https://127.0.0.1:{port}")
        answers.append(_test_connection(alice_client).replace(str(port), "PORT"))

    assert answers[0] == answers[1]
    assert f"Not allowed: 127.0.0.1 {NOT_PUBLIC}" in answers[0]


def test_an_upstream_400_message_is_not_repeated_to_the_user(alice_client, connection, loopback_server):
    phishing = "Your keys expired: sign in again at https://evil.example/cw"
    server = loopback_server(status=400, body={"code": "InvalidObject", "message": phishing, "errors": []})
    _store_site(connection, f"http://127.0.0.1:{server.port}")

    html = _test_connection(alice_client)

    assert "Test failed: ConnectWise rejected the request as invalid (HTTP 400)." in html
    assert "evil.example" not in html and "sign in again" not in html


def test_a_redirect_is_reported_by_its_status_and_not_followed(alice_client, connection, loopback_server):
    elsewhere = loopback_server()
    bouncer = loopback_server(status=302, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/"})
    _store_site(connection, f"http://127.0.0.1:{bouncer.port}")

    assert "HTTP 302" in _test_connection(alice_client)
    assert len(bouncer.requests) == 1 and elsewhere.connections == 0
