"""PSA requests go only to addresses the site policy checked, and to exactly those (psa.site_policy.PinnedTransport).

DNS is replaced at one point (``socket.getaddrinfo``); every server is real and on a loopback address.
A public address stands for "the checked one": the network guard refuses to connect to it, and the
recorded connection attempt shows where the request went.
"""
# ruff: noqa: F811 - the fixtures imported from tests.security.loopback are parameters here

from __future__ import annotations

import ssl

import httpx
import pytest

from psa import registry
from psa.models import PSAConnection
from psa.providers.base import PSAError
from psa.site_policy import PinnedTransport, PSASitePolicyError
from tests.security.loopback import (  # noqa: F401 - fixtures
    PUBLIC_V4,
    connect_attempts,
    dns,
    loopback_server,
    self_signed,
)


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.PSA_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def local_mode(settings):
    settings.PSA_ALLOW_PRIVATE_HOSTS = True


def _client(**kwargs) -> httpx.Client:
    return httpx.Client(transport=PinnedTransport(**kwargs), timeout=5)


# --- production: checked addresses only -----------------------------------------------------------------


def test_it_connects_to_the_address_it_checked_even_when_dns_answers_differently_next(
    production, dns, connect_attempts, loopback_server
):
    internal = loopback_server()  # what a DNS-rebinding attacker wants reached
    dns.answer("cw.example.com", PUBLIC_V4, internal.address)

    with _client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"https://cw.example.com:{internal.port}/system/info")

    assert dns.lookups == ["cw.example.com"]  # one lookup: what was checked is what is used
    assert connect_attempts == [(PUBLIC_V4, internal.port)]  # the checked address (the test guard refuses it)
    assert internal.connections == 0


def test_a_checked_answer_is_reused_so_a_later_answer_cannot_redirect_the_next_request(
    local_mode, dns, loopback_server
):
    checked, internal = loopback_server(address="127.0.0.1"), loopback_server(address="127.0.0.2")
    dns.answer("cw.example.test", checked.address, internal.address)

    with _client() as client:
        for _ in range(2):
            assert client.get(f"http://cw.example.test:{checked.port}/").status_code == 200

    assert dns.lookups == ["cw.example.test"]
    assert len(checked.requests) == 2 and internal.connections == 0


@pytest.mark.parametrize("answer", [
    "127.0.0.1",
    "10.0.0.7",
    "172.16.5.4",
    "192.168.1.20",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "fe80::1",
    "fd00::1",
    "ff02::1",
    [PUBLIC_V4, "10.0.0.7"],  # one bad address refuses the host
])
def test_a_name_that_resolves_to_an_address_that_is_not_public_is_refused_before_connecting(
    production, dns, connect_attempts, answer
):
    dns.answer("cw.example.com", answer)

    with _client() as client, pytest.raises(PSASitePolicyError) as refused:
        client.get("https://cw.example.com/system/info")

    assert "cw.example.com is not a public internet host" in refused.value.message
    assert connect_attempts == []


@pytest.mark.parametrize("url", [
    "https://0/", "https://2130706433/", "https://0x7f.1/", "https://127.1/", "https://0x7f.0.0.1/",
    "https://017700000001/", "https://0x7f000001/", "https://10.1/", "https://[::1]/", "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/", "https://[fe80::1]/",
])
def test_a_numeric_host_is_checked_in_every_spelling(production, dns, connect_attempts, url):
    with _client() as client, pytest.raises(PSASitePolicyError):
        client.get(url)

    assert dns.lookups == [] and connect_attempts == []


def test_plain_http_is_refused_in_production_without_even_a_lookup(production, dns, connect_attempts):
    dns.answer("cw.example.com", PUBLIC_V4)

    with _client() as client, pytest.raises(PSASitePolicyError) as refused:
        client.get("http://cw.example.com/system/info")

    assert refused.value.message.startswith("Use https://")
    assert dns.lookups == [] and connect_attempts == []


def test_a_name_that_does_not_resolve_is_an_unreachable_host_not_a_policy_error(production, dns):
    with _client() as client, pytest.raises(httpx.ConnectError):
        client.get("https://nowhere.example.com/")


# --- what still holds: the name in Host and TLS, fallback between checked addresses ---------------------


def test_the_request_keeps_the_name_in_its_host_header(local_mode, dns, loopback_server):
    server = loopback_server()
    dns.answer("cw.example.test", server.address)

    with _client() as client:
        assert client.get(f"http://cw.example.test:{server.port}/system/info").status_code == 200

    assert server.requests == [{"method": "GET", "path": "/system/info", "host": f"cw.example.test:{server.port}"}]


def test_it_tries_the_next_checked_address_when_one_refuses_the_connection(
    local_mode, dns, loopback_server, connect_attempts
):
    server = loopback_server(address="127.0.0.1")
    dns.answer("cw.example.test", ["127.0.0.2", "127.0.0.1"])  # nothing listens on 127.0.0.2

    with _client() as client:
        assert client.get(f"http://cw.example.test:{server.port}/").status_code == 200

    assert connect_attempts == [("127.0.0.2", server.port), ("127.0.0.1", server.port)]
    assert len(server.requests) == 1


def test_tls_checks_the_certificate_against_the_name_and_sends_the_name_as_sni(
    local_mode, dns, loopback_server, tmp_path
):
    cert, key = self_signed("cw.example.test", tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = loopback_server(tls=tls)
    dns.answer("cw.example.test", server.address)

    with _client(verify=ssl.create_default_context(cafile=cert)) as client:
        assert client.get(f"https://cw.example.test:{server.port}/system/info").status_code == 200

    assert server.sni == ["cw.example.test"]
    assert server.requests[0]["host"] == f"cw.example.test:{server.port}"


def test_a_certificate_for_another_name_is_refused(local_mode, dns, loopback_server, tmp_path):
    cert, key = self_signed("other.example.test", tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = loopback_server(tls=tls)
    dns.answer("cw.example.test", server.address)

    with _client(verify=ssl.create_default_context(cafile=cert)) as client, pytest.raises(httpx.ConnectError):
        client.get(f"https://cw.example.test:{server.port}/")

    assert server.requests == []


# --- through the provider ---------------------------------------------------------------------------------


@pytest.fixture
def provider_for_site(account):
    def build(site: str):
        connection = PSAConnection(account=account, site=site, company_id="acme", public_key="pub", client_id="rf")
        connection.set_private_key("the-private-key")
        connection.save()
        return registry.provider_for(connection)

    yield build
    registry.forget()


def test_a_redirect_is_never_followed(local_mode, loopback_server, provider_for_site):
    elsewhere = loopback_server()
    bouncer = loopback_server(status=302, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/steal"})
    provider = provider_for_site(f"http://127.0.0.1:{bouncer.port}")

    with pytest.raises(PSAError) as failed:
        provider.system_info()

    assert failed.value.status == 302
    assert [r["path"] for r in bouncer.requests] == ["/v4_6_release/apis/3.0/system/info"]
    assert elsewhere.connections == 0  # the API keys never went to the Location


def test_the_provider_of_a_site_that_now_resolves_inside_is_refused_before_connecting(
    production, dns, connect_attempts, loopback_server, provider_for_site
):
    internal = loopback_server()
    dns.answer("cw.example.com", internal.address)  # public when it was saved; rebound since
    provider = provider_for_site(f"https://cw.example.com:{internal.port}")

    with pytest.raises(PSASitePolicyError):
        provider.system_info()

    assert connect_attempts == [] and internal.connections == 0
