"""Shared fixtures: alice (admin of Acme MSP), bob (her colleague), charlie (outsider of Other MSP).

Acme MSP is connected to the in-process ConnectWise sandbox; alice is mapped to the sandbox's first
member (who has open tickets). Outbound network is refused for every test except loopback.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

# --- no real outbound connections, ever ------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            ip = ipaddress.ip_address(host)
            allowed = ip.is_loopback
        except ValueError:
            allowed = host in ("localhost",)
        if not allowed:
            raise ConnectionRefusedError(f"tests may not connect to {host!r} (only loopback)")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_outbound_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ANTHROPIC_API_KEY = ""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- the ConnectWise sandbox --------------------------------------------------------------------


@pytest.fixture
def sandbox():
    """The process-wide in-process sandbox, reset to its seed data with no faults and an empty log."""
    from psa.sandbox import default_sandbox

    sb = default_sandbox()
    sb.reset()
    yield sb
    sb.reset()


# --- tenancy ------------------------------------------------------------------------------------


@pytest.fixture
def account(db):
    from psa.models import Account

    return Account.objects.create(name="Acme MSP")


@pytest.fixture
def other_account(db):
    from psa.models import Account

    return Account.objects.create(name="Other MSP")


def _user(username, account, role):
    from django.contrib.auth.models import User

    from psa.models import Membership

    user = User.objects.create_user(username=username, password="pw-" + username, email=f"{username}@example.com")
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def alice(account):
    return _user("alice", account, "admin")


@pytest.fixture
def bob(account):
    return _user("bob", account, "member")


@pytest.fixture
def charlie(other_account):
    return _user("charlie", other_account, "admin")


def _connect(account):
    from psa.models import PSAConnection

    conn = PSAConnection(account=account, site=PSAConnection.SANDBOX_SITE, company_id="sandbox",
                         public_key="sandbox-public", client_id="rf-tests")
    conn.set_private_key("sandbox-private")
    conn.save()
    return conn


@pytest.fixture
def connection(account, sandbox):
    return _connect(account)


@pytest.fixture
def other_connection(other_account, sandbox):
    return _connect(other_account)


@pytest.fixture
def first_member(sandbox):
    """The sandbox's first member (lowest id): guaranteed to have open tickets assigned."""
    return sandbox.members()[0]


@pytest.fixture
def alice_mapping(alice, account, connection, first_member):
    from psa.models import MemberMapping

    return MemberMapping.objects.create(account=account, user=alice, psa_member_id=first_member["id"],
                                        identifier=first_member["identifier"], name=first_member["name"])


@pytest.fixture
def alice_tenant(alice, connection):
    """alice's tenant (Acme MSP, connected to the sandbox), as one request sees it.

    Reference data and mappings are request-scoped on a tenant: build a fresh ``tenant_for(alice)``
    to stand for a later request."""
    from psa.tenancy import tenant_for

    return tenant_for(alice)


@pytest.fixture
def bob_tenant(bob, connection):
    """bob's tenant (Acme MSP, connected to the sandbox; bob has no member mapping)."""
    from psa.tenancy import tenant_for

    return tenant_for(bob)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client
