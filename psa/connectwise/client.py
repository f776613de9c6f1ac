"""The one place where HTTP to ConnectWise happens.

* Base URL from the connection's site (:func:`base_url_for_site`).
* Basic auth ``companyId+publicKey:privateKey``, the ``clientId`` header and the versioned
  ``Accept`` header on every call.
* One pooled ``httpx.Client`` per connection with explicit connect/read timeouts.
* GETs are retried on 429/500/502/503/504, connect errors and timeouts, with exponential backoff
  plus a little jitter, honouring ``Retry-After`` (up to :data:`MAX_RETRY_AFTER_SECONDS`; a longer
  ``Retry-After`` gives up at once with :class:`PSARateLimitedError`). POST, PATCH and DELETE are
  never retried: a write that timed out may have happened.
* Every failure becomes a :mod:`psa.providers.base` error with a user-safe message, and is logged at
  WARNING with method, path (no query string) and status only.
* Every HTTP attempt is counted (:func:`get_call_count` / :func:`reset_call_count`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

# The call counter lives in psa.metrics so requests, services and benchmarks share one.
from psa import capacity
from psa.capacity import CircuitBreaker
from psa.connectwise.mapping import dto_field
from psa.metrics import get_call_count, record_psa_call, reset_call_count  # noqa: F401 - re-exported
from psa.providers.base import (
    FieldError,
    PSAAuthError,
    PSAConflictError,
    PSAError,
    PSAMalformedResponseError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSATimeoutError,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.wire import decode_json

logger = logging.getLogger("psa.connectwise")

API_VERSION = "2025.8"
ACCEPT = f"application/vnd.connectwise.com+json; version={API_VERSION}"
API_PATH = "/v4_6_release/apis/3.0"
SANDBOX_SITE = "sandbox"
SANDBOX_BASE_URL = "https://sandbox.local" + API_PATH
# ConnectWise cloud site hosts -> API hosts (API-NOTES §1).
CLOUD_API_HOSTS = {
    "na.myconnectwise.net": "api-na.myconnectwise.net",
    "eu.myconnectwise.net": "api-eu.myconnectwise.net",
    "au.myconnectwise.net": "api-au.myconnectwise.net",
    "aus.myconnectwise.net": "api-aus.myconnectwise.net",
    "za.myconnectwise.net": "api-za.myconnectwise.net",
    "staging.connectwisedev.com": "api-staging.connectwisedev.com",
}

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 2.0
JITTER_SECONDS = 0.1
MAX_RETRY_AFTER_SECONDS = 5.0
PARSED_URLS_MAX = 512  # URLs a client keeps parsed (ConnectWiseClient._url)
PAGE_SIZE_MAX = 1000


def base_url_for_site(site: str) -> str:
    """The API base URL for a connection's ``site``.

    ``sandbox`` -> the in-process sandbox; ``http(s)://host:port`` -> that server (a local sandbox);
    a cloud site host (``na.myconnectwise.net``) -> its ``api-`` host; any other host -> itself.
    """
    site = (site or "").strip()
    if not site:
        raise ValueError("the ConnectWise site is empty")
    if site == SANDBOX_SITE:
        return SANDBOX_BASE_URL
    if site.startswith(("http://", "https://")):
        return site.rstrip("/") + API_PATH
    host = site.split("/")[0].lower()
    host = CLOUD_API_HOSTS.get(host, host)
    return f"https://{host}{API_PATH}"


# --- the client --------------------------------------------------------------------------------------


@dataclass
class _Failure:
    error: PSAError
    retryable: bool
    retry_after: float | None = None
    detail: str = field(default="")


class ConnectWiseClient:
    def __init__(
        self,
        *,
        base_url: str,
        company_id: str,
        public_key: str,
        private_key: str,
        client_id: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        get_retries: int = 2,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker
        self._timeout, self._connect_timeout = timeout, connect_timeout
        self.get_retries = max(0, int(get_retries))
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._parsed_urls: dict[tuple, httpx.URL] = {}  # see _url
        self._transport = transport  # send_early: the transport's own early sending, when it has one
        self._basic_auth = httpx.BasicAuth(f"{company_id}+{public_key}", private_key)
        headers = {
            "Accept": ACCEPT,
            "Content-Type": "application/json",
            "clientId": client_id or "",
        }
        self._http = _HTTPClient(
            base_url=self.base_url + "/",
            auth=self._basic_auth,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            # Per connection (account): each worker thread may run ~6 calls side by side (drawer detail),
            # so 20 connections queued requests under 16 threads; idle ones are closed after 30 s.
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=32, keepalive_expiry=30),
            follow_redirects=False,
        )
        # What every request carries (_request): httpx's default headers, ours, and the Basic auth header.
        self._default_timeout = self._http.timeout
        self._headers = httpx.Headers(self._http.headers)
        self._headers["Authorization"] = _basic_auth_header(f"{company_id}+{public_key}", private_key)

    def __repr__(self) -> str:
        return f"<ConnectWiseClient {self.base_url}>"

    def close(self) -> None:
        self._http.close()

    # --- verbs

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json_body=body)

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        return self.request("PATCH", path, json_body=operations)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def get_all(
        self, path: str, params: dict[str, Any] | None = None, *, page_size: int = PAGE_SIZE_MAX, max_pages: int = 50
    ) -> list[Any]:
        """Every page of a list endpoint (``page``/``pageSize``; stops at the first short page)."""
        page_size = min(max(1, page_size), PAGE_SIZE_MAX)
        rows: list[Any] = []
        for page in range(1, max_pages + 1):
            batch = self.get(path, {**(params or {}), "page": page, "pageSize": page_size})
            if not isinstance(batch, list):
                raise PSAMalformedResponseError()
            rows.extend(batch)
            if len(batch) < page_size:
                break
        return rows

    def company_info(self, company_id: str) -> Any:
        """ConnectWise's unauthenticated codebase discovery (``/login/companyinfo/<company>``).

        Returns its JSON: an object for a known company, ``None`` for an unknown one. Sent without
        credentials, once, never retried: it only explains a 401 for "Test connection".
        """
        root = self.base_url[: -len(API_PATH)] if self.base_url.endswith(API_PATH) else self.base_url
        record_psa_call()
        try:
            response = self._http.get(f"{root}/login/companyinfo/{quote(company_id, safe='')}", auth=None)
        except httpx.TimeoutException:
            raise PSATimeoutError() from None
        except httpx.HTTPError:
            raise PSAUnavailableError() from None
        if response.status_code != 200:
            raise PSAUnavailableError(status=response.status_code)
        try:
            return response.json()
        except ValueError:
            raise PSAMalformedResponseError() from None

    # --- a GET sent early (psa.wire.StdlibTransport.send_early)

    def send_early(self, path: str, params: dict[str, Any] | None = None) -> bool:
        """Send ``GET path?params`` now; this thread's next ``get`` of the same path and params reads its answer
        (retries, the breaker and errors as for any ``get``). Nothing is sent, and False returned, when the
        transport cannot (the in-process sandboxes, test transports) or the connection's breaker is open: the
        ``get`` then sends it. Pair with ``discard_early`` in a ``finally``."""
        send = getattr(self._transport, "send_early", None)
        if send is None or (self.breaker is not None and self.breaker.is_open()):
            return False
        return send(self._request("GET", self._url("/" + path.lstrip("/"), _sent_params(params)), None, None))

    def discard_early(self) -> None:
        """Close what ``send_early`` sent in this thread and no ``get`` read (a failed page leaves its count)."""
        discard = getattr(self._transport, "discard_early", None)
        if discard is not None:
            discard()

    # --- the one request loop

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None) -> Any:
        method = method.upper()
        path = "/" + path.lstrip("/")
        attempts = 1 + (self.get_retries if method == "GET" else 0)
        params = _sent_params(params)
        probe = self.breaker.check() if self.breaker is not None else False  # raises while open
        try:
            result = self._attempts(method, path, params, json_body, attempts)
        except PSAError as error:
            if self.breaker is not None:
                if _counts_against_breaker(error):
                    self.breaker.failed(probe)
                else:
                    self.breaker.succeeded(probe)
            raise
        if self.breaker is not None:
            self.breaker.succeeded(probe)
        return result

    def _attempts(self, method: str, path: str, params: dict[str, Any], json_body: Any, attempts: int) -> Any:
        for attempt in range(attempts):
            timeout = self._attempt_timeout()  # raises once the request's deadline has passed
            result, failure = self._attempt(method, path, params, json_body, timeout)
            if failure is None:
                return result
            logger.warning("ConnectWise %s %s failed: %s", method, path, failure.detail)
            last = attempt + 1 >= attempts
            if last or not failure.retryable:
                raise failure.error
            wait = self._backoff(attempt)
            if failure.retry_after is not None:
                if failure.retry_after > self.max_retry_after:
                    raise failure.error
                wait = max(wait, failure.retry_after)
            left = capacity.remaining()
            if left is not None and wait >= left:
                raise failure.error  # no time left for another attempt within the request's deadline
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt_timeout(self) -> httpx.Timeout | None:
        """This attempt's timeout: the client's, cut to what is left of the request's deadline."""
        left = capacity.remaining()
        if left is None or left >= self._timeout:
            return None  # the client's own timeout
        if left <= 0:
            raise capacity.PSADeadlineExceeded()
        return httpx.Timeout(left, connect=min(self._connect_timeout, left))

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2**attempt)) + random.uniform(0, JITTER_SECONDS)

    def _attempt(self, method: str, path: str, params: dict[str, Any], json_body: Any,
                 timeout: httpx.Timeout | None = None) -> tuple[Any, _Failure | None]:
        record_psa_call()
        content = json.dumps(json_body).encode() if json_body is not None else None
        try:
            response = self._send(method, self._url(path, params), content, timeout)
        except httpx.TimeoutException as exc:
            return None, _Failure(PSATimeoutError(), retryable=True, detail=f"timeout ({type(exc).__name__})")
        except httpx.RemoteProtocolError as exc:
            if "complete message body" in str(exc):
                # The response started but its body was cut short.
                return None, _Failure(PSAMalformedResponseError(), retryable=False, detail="truncated response")
            # The server hung up before answering: like a refused connection.
            return None, _Failure(PSAUnavailableError(), retryable=True, detail="server disconnected")
        except httpx.DecodingError:
            return None, _Failure(PSAMalformedResponseError(), retryable=False, detail="undecodable response")
        except httpx.TransportError as exc:
            return None, _Failure(
                PSAUnavailableError(), retryable=True, detail=f"transport error ({type(exc).__name__})"
            )
        status = response.status_code
        if status < 300:
            if status == 204 or not response.content:
                return None, None
            try:
                return decode_json(response.content), None
            except (ValueError, UnicodeDecodeError):
                return None, _Failure(
                    PSAMalformedResponseError(), retryable=False, detail=f"{status} malformed body"
                )
        error, retry_after = _error_for(response)
        return None, _Failure(error, retryable=status in RETRY_STATUSES, retry_after=retry_after, detail=str(status))


    def _send(self, method: str, url: str | httpx.URL, content: bytes | None,
              timeout: httpx.Timeout | None) -> httpx.Response:
        """One request, its body read. Straight to the transport when the client has one: what
        ``httpx.Client.send`` adds around ``transport.handle_request`` (the auth flow, the redirect loop, event
        hooks, the elapsed-time stream) this client uses none of (its auth is one fixed header; it never
        follows a redirect), and it cost ~2% of a list render per call (README, "List render cost"). The
        request is the one ``httpx.Client`` would send (:meth:`_request`); cookies are kept and sent as before."""
        if self._transport is None:
            return self._http.request(method, url, content=content, **({"timeout": timeout} if timeout else {}))
        request = self._request(method, url, content, timeout)
        response = self._transport.handle_request(request)
        response.request = request
        try:
            response.read()
        finally:
            response.close()
        self._http.cookies.extract_cookies(response)
        return response

    def _request(self, method: str, url: str | httpx.URL, content: bytes | None,
                 timeout: httpx.Timeout | None) -> httpx.Request:
        """The request ``httpx.Client`` would build and send: its headers (defaults, ``Accept``, ``clientId``), the
        Basic auth header, any kept cookies, the timeout (the client's, or this attempt's)."""
        request = httpx.Request(method, url, headers=self._headers, content=content,
                                extensions={"timeout": (timeout or self._default_timeout).as_dict()})
        if self._http.cookies:
            self._http.cookies.set_cookie_header(request)
        return request

    def _url(self, path: str, params: dict[str, Any]) -> str | httpx.URL:
        """The absolute URL, query included, parsed once and remembered: a screen asks for the same URLs again and
        again (a queue's list and count on every visit and every live-update poll), and building one with a long
        ``conditions`` query (httpx's encoding of ``params``, then its parsing of the URL) costs ~50 us, most of
        building the request. The same URL as httpx's own: the query is ``str(httpx.QueryParams(params))``, the
        join is the base URL's. Remembered by path and parameters (with their types: ``True`` and ``1`` are
        written differently), per client (one PSA connection), at most ``PARSED_URLS_MAX``; when full it starts
        again empty (a burst of one-off URLs, like a search as one types, cannot grow it)."""
        path = path.lstrip("/")
        if "?" in path or "#" in path:
            return self._http.build_request("GET", path, params=params or None).url
        key = (path, *[(name, value.__class__, value) for name, value in params.items()])
        try:
            parsed = self._parsed_urls.get(key)
        except TypeError:  # a list value (repeated parameter): not remembered
            key, parsed = None, None
        if parsed is None:
            parsed = httpx.URL(f"{self.base_url}/{path}?{httpx.QueryParams(params)}" if params
                               else f"{self.base_url}/{path}")
            if key is not None:
                if len(self._parsed_urls) >= PARSED_URLS_MAX:
                    self._parsed_urls = {}  # threads may still read the old dict: replaced, never cleared in place
                self._parsed_urls[key] = parsed
        return parsed


class _SetCookiesOnly(httpx.Cookies):
    """A cookie jar that looks at an answer only when it sets a cookie. httpx's jar works through every
    answer (a urllib request built from the URL) to find none: ConnectWise's API sets none we use."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def _basic_auth_header(username: str, password: str) -> str:
    """``Basic base64(username:password)``, as ``httpx.BasicAuth`` writes it (UTF-8)."""
    return "Basic " + b64encode(f"{username}:{password}".encode()).decode("ascii")


def _sent_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """The query parameters a request sends: those left empty (None or "") are left out."""
    return {k: v for k, v in (params or {}).items() if v is not None and v != ""}


class _HTTPClient(httpx.Client):
    """``httpx.Client`` with :class:`_SetCookiesOnly` as its jar (same cookies kept and sent)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._rf_cookies

    @cookies.setter
    def cookies(self, cookies) -> None:
        self._rf_cookies = _SetCookiesOnly(cookies)


# Shared with the other PSA's client (psa.capacity): which failures open the breaker, Retry-After in seconds.
_counts_against_breaker = capacity.counts_against_breaker
parse_retry_after = capacity.parse_retry_after


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = decode_json(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _safe_text(value: Any, limit: int = 300) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text[:limit]


def _error_for(response: httpx.Response) -> tuple[PSAError, float | None]:
    status = response.status_code
    if status == 400:
        body = _error_body(response)
        field_errors = [
            FieldError(
                field=dto_field(_safe_text(item.get("field"), 100)),
                message=_safe_text(item.get("message")) or "is invalid",
            )
            for item in body.get("errors") or []
            if isinstance(item, dict)
        ]
        return PSAValidationError(_safe_text(body.get("message")), field_errors=field_errors), None
    if status == 401:
        return PSAAuthError(status=401), None
    if status == 403:
        return PSAPermissionError(status=403), None
    if status == 404:
        return PSANotFoundError(status=404), None
    if status == 409:
        return PSAConflictError(status=409), None
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return PSARateLimitedError(retry_after=retry_after), retry_after
    if status >= 500:
        return PSAUnavailableError(status=status), parse_retry_after(
            response.headers.get("Retry-After")
        ) if status == 503 else None
    return PSAError(f"ConnectWise answered with HTTP {status}", status=status), None
