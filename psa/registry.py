"""``provider_for(connection)``: one provider (so one pooled ``httpx.Client``) per connection.

Providers are cached per ``(connection.pk, connection.updated)``: saving the connection (new keys,
new site) yields a new provider on the next call and the replaced one is closed.

ConnectWise's ``clientId`` identifies the integrating application, not the customer: a connection that
leaves its client id blank sends the deployment's registered one (``settings.CW_CLIENT_ID``).
"""

from __future__ import annotations

import threading

import httpx
from django.conf import settings

from psa.connectwise.client import SANDBOX_SITE, base_url_for_site
from psa.providers.base import PSAProvider
from psa.providers.connectwise import ConnectWiseProvider
from psa.sandbox import default_sandbox

_providers: dict[int, tuple[object, PSAProvider]] = {}
_lock = threading.Lock()


def _build(connection) -> PSAProvider:
    if connection.provider != "connectwise":
        raise ValueError(f"unsupported PSA provider: {connection.provider!r}")
    transport = None
    if connection.site == SANDBOX_SITE:
        transport = httpx.WSGITransport(app=default_sandbox())
    return ConnectWiseProvider(
        base_url=base_url_for_site(connection.site),
        company_id=connection.company_id,
        public_key=connection.public_key,
        private_key=connection.get_private_key(),
        client_id=connection.client_id or settings.CW_CLIENT_ID,
        transport=transport,
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
