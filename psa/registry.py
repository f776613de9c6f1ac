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

The provider is chosen by ``connection.provider``: ``ConnectWiseProvider`` or ``AutotaskProvider``, with the
same transports, site policy, capacity lane and circuit breaker. For Autotask the site is the zone lookup's
host, the built-in ``sandbox`` is the in-process Autotask sandbox (``psa.autotask_sandbox``), and a stored
``zone_url`` saves the lookup. The zone host itself goes through the same ``PinnedTransport`` (public
addresses only), and the client sends the secret only to an Autotask zone host (or the lookup's own host).
"""

from __future__ import annotations

import threading

import httpx
from django.conf import settings

from psa import crypto, site_policy
from psa.autotask.client import VENDOR_ZONE_HOST, root_for_site
from psa.autotask_sandbox import default_at_sandbox
from psa.capacity import CircuitBreaker, capacity_key
from psa.connectwise.client import SANDBOX_SITE, base_url_for_site
from psa.providers.autotask import AutotaskProvider
from psa.providers.base import PSAProvider
from psa.providers.connectwise import ConnectWiseProvider
from psa.sandbox import default_sandbox

# The base URL of a provider whose site the policy refuses (its transport never sends anything).
REFUSED_SITE = "refused.invalid"

_providers: dict[int, tuple[object, PSAProvider]] = {}
_lock = threading.Lock()


def _build(connection) -> PSAProvider:
    if connection.provider not in ("connectwise", "autotask"):
        raise ValueError(f"unsupported PSA provider: {connection.provider!r}")
    autotask = connection.provider == "autotask"
    transport: httpx.BaseTransport
    try:
        site = site_policy.check_site(connection.site, resolve_host=False)  # addresses: at connect time
    except site_policy.PSASitePolicyError as refusal:
        site, transport = REFUSED_SITE, site_policy.RefusingTransport(refusal)
    else:
        if site == SANDBOX_SITE:
            transport = httpx.WSGITransport(app=default_at_sandbox() if autotask else default_sandbox())
        else:
            transport = site_policy.PinnedTransport()
    try:
        private_key = connection.get_private_key()
    except crypto.PSACredentialsUnreadable:
        # The encryption key changed: every call answers "re-enter the keys" (a PSAError), nothing is sent.
        private_key, site, transport = "", REFUSED_SITE, crypto.UnreadableCredentialsTransport()
    if autotask:
        return AutotaskProvider(
            username=connection.username,
            integration_code=connection.integration_code,
            secret=private_key,
            root=root_for_site(site),
            # A stored zone saves the lookup, unless the site was refused (then nothing may be sent anywhere).
            zone_url=_stored_zone(root_for_site(site), connection.zone_url) if site != REFUSED_SITE else None,
            transport=transport,
            capacity_key=capacity_key(connection),
            breaker=CircuitBreaker(f"{connection.pk}:{connection.updated.timestamp():.6f}", psa="Autotask"),
        )
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


def _stored_zone(root: str, zone_url: str) -> str | None:
    """A stored Autotask zone URL the secret may go to, by the client's rule for discovered zones: an
    ``https://webservices….autotask.net`` zone when the lookup goes to Autotask, the lookup's own origin
    otherwise (a sandbox). Anything else is dropped, and the zone is looked up again."""
    if not zone_url:
        return None
    zone, lookup = httpx.URL(zone_url), httpx.URL(root)
    if VENDOR_ZONE_HOST.match(lookup.host or ""):
        return zone_url if zone.scheme == "https" and VENDOR_ZONE_HOST.match(zone.host or "") else None
    return zone_url if (zone.scheme, zone.netloc) == (lookup.scheme, lookup.netloc) else None


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
