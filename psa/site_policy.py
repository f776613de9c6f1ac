"""Where PSA credentials may be sent: the site policy.

An account admin types the PSA site, and the server then sends the account's API keys there as Basic
auth. So the site is a server-side request target like any other (SSRF), and is checked as one:

* :func:`normalize_site` turns what was typed into one canonical spelling, or refuses it with a message
  for the form: ``sandbox``; a host (``na.myconnectwise.net``; a non-ASCII name is IDNA-encoded); or
  ``http(s)://host[:port]``. Every numeric IPv4 spelling a resolver accepts (``0``, ``2130706433``,
  ``0x7f.1``, ``127.1``, ``0177.0.0.1``) becomes its dotted form, so what is checked is what is used.
* :func:`check_site` adds the deployment's rules. With ``PSA_ALLOW_PRIVATE_HOSTS`` off (the production
  default): ``https`` only, and the host must resolve to public internet addresses only (no loopback,
  private, link-local, multicast, reserved or unspecified address, IPv4 or IPv6, IPv4 embedded in IPv6
  included). The built-in ``sandbox`` site needs the setting on and is refused in production whatever.
* :class:`PinnedTransport` enforces the address rule again at connect time, where it matters: it
  resolves the host once, refuses if any address is not allowed, and connects to the checked address
  while the Host header and the TLS SNI / certificate check keep the name. An answer that changes
  between the check and the connection (DNS rebinding) cannot send the request anywhere else.

Redirects are never followed (``ConnectWiseClient`` sets ``follow_redirects=False``), so a public host
cannot bounce a request to an internal one either.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time

import httpx
from django.conf import settings

from psa.connectwise.client import SANDBOX_SITE, base_url_for_site
from psa.providers.base import PSAError
from psa.wire import StdlibTransport

logger = logging.getLogger("psa.site_policy")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Checked answers are reused this long: a PSA call does not pay a DNS lookup each time, and a DNS change
# is seen within it. Whatever the cache holds was checked; connections only ever go to checked addresses.
RESOLVE_TTL_SECONDS = 30.0
# The ConnectWise client's pool limits: httpx ignores a Client's ``limits`` when it is given a transport.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=32, keepalive_expiry=30)

SYNTAX_MESSAGE = "Enter a host such as na.myconnectwise.net (no path, no spaces), or https://host:port."
IDNA_MESSAGE = "Enter a valid host name: “{host}” cannot be written as an internationalised domain name (IDNA)."
HTTPS_ONLY_MESSAGE = (
    "Use https://: the API keys are sent to this site, and plain http:// is only allowed for local development."
)
NOT_PUBLIC_MESSAGE = (
    "{host} is not a public internet host (it resolves to a loopback, private, link-local or reserved "
    "address, or not at all). ResolutionFlow sends API keys only to public hosts."
)
SANDBOX_MESSAGE = (
    "The built-in sandbox is only for local development and demos: enter your ConnectWise site, "
    "e.g. na.myconnectwise.net."
)


class PSASitePolicyError(PSAError):
    """The site (or the address it resolves to) is not allowed: nothing was sent to it."""

    default_message = "ResolutionFlow does not send API keys to this site"


def allow_private_hosts() -> bool:
    """Local/demo mode: http:// and loopback/private addresses allowed (``PSA_ALLOW_PRIVATE_HOSTS``)."""
    return bool(settings.PSA_ALLOW_PRIVATE_HOSTS)


def sandbox_allowed() -> bool:
    """The in-process sandbox: local/demo mode, and never in production."""
    return allow_private_hosts() and not settings.PRODUCTION


# --- addresses ----------------------------------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_OCTAL = re.compile(r"0[0-7]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


def _ipv4_part(part: str) -> int:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    if _DECIMAL.fullmatch(part):
        return int(part)
    raise ValueError(f"not an IPv4 number: {part!r}")


def _parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """IPv4 in every spelling ``inet_aton`` (so ``getaddrinfo``) accepts: 1 to 4 parts, each decimal, octal
    (leading 0) or hex (0x); the last part fills the remaining bytes (``127.1``, ``2130706433``)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        raise ValueError(f"not an IPv4 address: {host!r}")
    numbers = [_ipv4_part(part) for part in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise ValueError(f"IPv4 number out of range: {host!r}")
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_ip(host: str) -> IPAddress | None:
    """The address a numeric host stands for (any IPv4 spelling; IPv6 with or without brackets), or
    ``None`` for a name. Raises ``ValueError`` for a host that looks numeric but is no address."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        if "%" in host:  # a zone id only means something on this machine's own links
            raise ValueError(f"IPv6 zone ids are not allowed: {host!r}")
        return ipaddress.IPv6Address(host)
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return _parse_ipv4(host)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public (globally routed, unicast) internet address. IPv4 carried in IPv6
    (mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) is judged by its IPv4."""
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for, in the resolver's order (a numeric host: itself, no lookup).
    Raises ``OSError`` (``socket.gaierror``) when the name does not resolve."""
    ip = parse_ip(host)
    if ip is not None:
        return [ip]
    addresses: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
    return addresses


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """``resolve(host, port)``, refused with :class:`PSASitePolicyError` unless every address is allowed."""
    addresses = resolve(host, port)
    if not allow_private_hosts() and not all(is_public_address(ip) for ip in addresses):
        raise PSASitePolicyError(NOT_PUBLIC_MESSAGE.format(host=host))
    return addresses


# --- the site -----------------------------------------------------------------------------------------------

_SITE = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[^\[\]/]*\]|[^\s/\\?#@:\[\]]+)(?::(?P<port>[0-9]{1,5}))?/?"
)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def _normalize_host(host: str, *, bare: bool) -> str:
    if host.startswith("["):
        try:
            ip = parse_ip(host)
        except ValueError:
            raise PSASitePolicyError(SYNTAX_MESSAGE) from None
        if not isinstance(ip, ipaddress.IPv6Address):
            raise PSASitePolicyError(SYNTAX_MESSAGE)
        return f"[{ip.compressed}]"
    if not host.isascii():
        try:
            host = httpx.URL(f"https://{host}/").raw_host.decode("ascii")  # IDNA, the way httpx sends it
        except (httpx.InvalidURL, UnicodeError):
            raise PSASitePolicyError(IDNA_MESSAGE.format(host=host)) from None
    host = host.lower()
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):  # a name never ends in a number: it is an IPv4 address
        try:
            return str(_parse_ipv4(host))
        except ValueError:
            raise PSASitePolicyError(SYNTAX_MESSAGE) from None
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or (bare and len(labels) < 2):
        raise PSASitePolicyError(SYNTAX_MESSAGE)
    return host


def normalize_site(raw: str) -> str:
    """The canonical spelling of a typed site, or :class:`PSASitePolicyError` with a message for the form.

    ``sandbox``; a bare host (``na.myconnectwise.net``, reached over https); or ``http(s)://host[:port]``.
    Hosts are lower-cased and IDNA-encoded, IPv4 in any numeric spelling becomes dotted, IPv6 is
    compressed in brackets. No path, query, user info or whitespace."""
    site = (raw or "").strip()
    if site.lower() == SANDBOX_SITE:
        return SANDBOX_SITE
    match = _SITE.fullmatch(site)
    if match is None:
        raise PSASitePolicyError(SYNTAX_MESSAGE)
    scheme = (match["scheme"] or "").lower()
    port = match["port"]
    if scheme not in ("", "http", "https") or (port is not None and not scheme):
        raise PSASitePolicyError(SYNTAX_MESSAGE)
    host = _normalize_host(match["host"], bare=not scheme)
    if not scheme:
        return host
    if port is None:
        return f"{scheme}://{host}"
    if not 1 <= int(port) <= 65535:
        raise PSASitePolicyError(SYNTAX_MESSAGE)
    return f"{scheme}://{host}:{int(port)}"


def check_site(raw: str, *, resolve_host: bool = True) -> str:
    """``normalize_site(raw)`` checked against the deployment's policy; raises :class:`PSASitePolicyError`.

    Outside local/demo mode the site must be https and (``resolve_host``) its API host must resolve to
    public addresses only. The connection itself is checked again by :class:`PinnedTransport`."""
    site = normalize_site(raw)
    if site == SANDBOX_SITE:
        if not sandbox_allowed():
            raise PSASitePolicyError(SANDBOX_MESSAGE)
        return site
    if allow_private_hosts():
        return site
    url = httpx.URL(base_url_for_site(site))
    if url.scheme != "https":
        raise PSASitePolicyError(HTTPS_ONLY_MESSAGE)
    if resolve_host:
        host = url.raw_host.decode("ascii")
        try:
            checked_addresses(host, url.port or 443)
        except (OSError, ValueError):
            raise PSASitePolicyError(NOT_PUBLIC_MESSAGE.format(host=host)) from None
    return site


# --- the transports -----------------------------------------------------------------------------------------


class RefusingTransport(httpx.BaseTransport):
    """The transport of a site the policy refuses: every request fails with the refusal, nothing is sent.

    A provider for such a site can still be built, so the refusal surfaces where PSA errors are already
    handled (an inline message, the API's error body), never as a 500 while building it."""

    def __init__(self, refusal: PSASitePolicyError):
        self.message = refusal.message

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise PSASitePolicyError(self.message)


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that connects only to addresses the policy allows, and to exactly those.

    For each request: https only outside local/demo mode; the host is resolved once (answers reused for
    :data:`RESOLVE_TTL_SECONDS`), every address is checked, and the request goes to a checked address
    (the next one if connecting fails). The URL keeps the name for the ``Host`` header, and
    ``sni_hostname`` keeps it for TLS, so the certificate is still verified against the name.

    A refusal raises :class:`PSASitePolicyError` (a ``PSAError``, so every caller already handles it and
    nothing retries it); a name that does not resolve is an ``httpx.ConnectError`` (unreachable host).
    """

    def __init__(self, *, verify=True, limits: httpx.Limits = POOL_LIMITS, resolve_ttl: float = RESOLVE_TTL_SECONDS):
        self._inner = StdlibTransport(verify=verify, limits=limits)  # psa/wire.py: why not httpx's own
        self._resolve_ttl = resolve_ttl
        self._resolved: dict[tuple[str, int, bool], tuple[float, list[IPAddress]]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        failure: httpx.ConnectError | None = None
        for pinned in self._pinned(request):
            try:
                return self._inner.handle_request(pinned)
            except httpx.ConnectError as error:  # nothing was sent: try the next checked address
                failure = error
        assert failure is not None
        raise failure

    def send_early(self, request: httpx.Request) -> bool:
        """``StdlibTransport.send_early`` to the first checked address (the one ``handle_request`` tries first,
        so the later request finds it); False, with nothing sent, if the policy refuses the site or that
        address does not answer: the later request then goes the usual way and reports it."""
        try:
            pinned = next(iter(self._pinned(request)))
        except (PSASitePolicyError, httpx.HTTPError):
            return False
        return self._inner.send_early(pinned)

    def discard_early(self) -> None:
        self._inner.discard_early()

    def _pinned(self, request: httpx.Request):
        """The request as it goes to each checked address in turn (the policy checked first)."""
        url = request.url
        if url.scheme != "https" and not allow_private_hosts():
            logger.warning("PSA request to %s refused: not https", url.host)
            raise PSASitePolicyError(HTTPS_ONLY_MESSAGE)
        host = url.raw_host.decode("ascii")
        addresses = self._addresses(request, host, url.port or (443 if url.scheme == "https" else 80))
        if len(addresses) == 1 and str(addresses[0]) == host:
            # An address literal, already checked: the request goes where it says (no copy to build).
            return (request,)
        extensions = dict(request.extensions)
        if parse_ip(host) is None:
            extensions["sni_hostname"] = host
        return (
            httpx.Request(
                request.method,
                url.copy_with(host=str(address)),
                headers=request.headers,  # Host: the name
                stream=request.stream,
                extensions=extensions,
            )
            for address in addresses
        )

    def _addresses(self, request: httpx.Request, host: str, port: int) -> list[IPAddress]:
        key = (host, port, allow_private_hosts())
        now = time.monotonic()
        with self._lock:
            cached = self._resolved.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            addresses = checked_addresses(host, port)
        except PSASitePolicyError:
            logger.warning("PSA request to %s refused: not a public address", host)
            raise
        except (OSError, ValueError) as error:
            raise httpx.ConnectError(f"could not resolve {host}", request=request) from error
        with self._lock:
            self._resolved[key] = (now + self._resolve_ttl, addresses)
        return addresses

    def close(self) -> None:
        self._inner.close()
