"""``provider_for(connection)``: one provider (so one pooled ``httpx.Client``) per connection.

Providers are cached per ``(connection.pk, connection.updated)``: saving the connection (new keys,
new site) yields a new provider on the next call and the replaced one is closed.

ConnectWise's ``clientId`` identifies the integrating application, not the customer: a connection that
leaves its client id blank sends the deployment's registered one (``settings.CW_CLIENT_ID``).

Every provider talks through a transport that enforces the site policy (``psa.site_policy``): a real site
through ``PinnedTransport`` (checked addresses only, no DNS-rebinding window), the built-in ``sandbox``
in-process, outside production only. A stored site the policy refuses (a deployment that turned local
mode off, an old non-ASCII host) gets a provider whose every call raises ``PSASitePolicyError``, a
``PSAError`` every caller already renders: an error message on the page, never a 500. Likewise a private
key no configured encryption key can decrypt: every call raises ``crypto.PSACredentialsUnreadable``.
"""

from __future__ import annotations

import threading

import httpx
from django.conf import settings

from psa import crypto, site_policy
from psa.capacity import CircuitBreaker, capacity_key
from psa.connectwise.client import SANDBOX_SITE, base_url_for_site
from psa.providers.base import PSAProvider
from psa.providers.connectwise import ConnectWiseProvider
from psa.sandbox import default_sandbox

# The base URL of a provider whose site the policy refuses (its transport never sends anything).
REFUSED_SITE = "refused.invalid"

_providers: dict[int, tuple[object, PSAProvider]] = {}
_lock = threading.Lock()


def _build(connection) -> PSAProvider:
    if connection.provider != "connectwise":
        raise ValueError(f"unsupported PSA provider: {connection.provider!r}")
    transport: httpx.BaseTransport
    try:
        site = site_policy.check_site(connection.site, resolve_host=False)  # addresses: at connect time
    except site_policy.PSASitePolicyError as refusal:
        site, transport = REFUSED_SITE, site_policy.RefusingTransport(refusal)
    else:
        if site == SANDBOX_SITE:
            transport = httpx.WSGITransport(app=default_sandbox())
        else:
            transport = site_policy.PinnedTransport()
    try:
        private_key = connection.get_private_key()
    except crypto.PSACredentialsUnreadable:
        # The encryption key changed: every call answers "re-enter the keys" (a PSAError), nothing is sent.
        private_key, site, transport = "", REFUSED_SITE, crypto.UnreadableCredentialsTransport()
    return ConnectWiseProvider(
        base_url=base_url_for_site(site),
        company_id=connection.company_id,
        public_key=connection.public_key,
        private_key=private_key,
        client_id=connection.client_id or settings.CW_CLIENT_ID,
        transport=transport,
        capacity_key=capacity_key(connection),
        breaker=CircuitBreaker(f"{connection.pk}:{connection.updated.timestamp():.6f}"),
    )


def provider_for(connection) -> PSAProvider:
    """The cached provider for ``connection`` (a ``psa.models.PSAConnection``)."""
    key = (connection.pk, connection.updated)
    with _lock:
        cached = _providers.get(connection.pk)
        if cached is not None and cached[0] == key:
            return cached[1]
        provider = _build(connection)
        _providers[connection.pk] = (key, provider)
    if cached is not None:
        cached[1].close()
    return provider


def forget(connection=None) -> None:
    """Close and drop the cached provider of ``connection`` (all providers when ``None``)."""
    with _lock:
        if connection is None:
            dropped = list(_providers.values())
            _providers.clear()
        else:
            entry = _providers.pop(connection.pk, None)
            dropped = [entry] if entry else []
    for _, provider in dropped:
        provider.close()
