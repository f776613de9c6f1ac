"""The one place where HTTP to Autotask happens.

* **Zone.** Every Autotask database lives in one zone (``https://webservicesN.autotask.net``). The client
  asks ``GET {root}V1.0/zoneInformation?user=<username>`` once (without credentials, as most clients do:
  the lookup needs none) and then sends every call to ``{zone url}V1.0/...``. A discovered zone URL must
  be ``https://webservicesN.autotask.net/...`` when the lookup went to Autotask, and on the lookup's own
  host otherwise (a sandbox): the API secret only ever goes where the site policy sent the lookup. A 401
  re-runs the lookup once (a database can move zones) and retries on the new zone if it changed.
* **Auth.** The three headers ``ApiIntegrationCode``, ``UserName``, ``Secret`` on every call but the zone
  lookup; ``Content-Type``/``Accept: application/json``. No ``Authorization`` header.
* **Timeouts and retries** as the ConnectWise client: connect/read timeouts, reads retried on 429, thread
  limit, 502/503/504, a 500 that is not a validation answer, connection errors and timeouts, with backoff and
  ``Retry-After`` (up to :data:`MAX_RETRY_AFTER_SECONDS`). Reads are GETs and the POSTs of ``query``,
  ``query/count`` and ``query/next`` (a long filter goes in a body). Writes (POST/PATCH/PUT/DELETE) are
  never retried: a write that timed out may have happened.
* **Thread limit.** Autotask runs at most 3 requests at a time per integration code per object endpoint
  (API-NOTES 6.2). The client holds a semaphore per (API user, integration code, endpoint) for the whole
  process, so this process never sends a 4th; see :func:`endpoint_of`. Autotask's own answer to a 4th (from
  another process) is :class:`AutotaskThreadLimitError`, retried like a 429.
* **Errors.** Autotask answers most validation problems with HTTP 500 and ``{"errors": ["..."]}``.
  :func:`error_for` tells them apart from an outage: a 500 carrying error texts is the server refusing the
  request (validation, permission, not found, limits), a 500 without them (empty, HTML), 502, 503 and 504 are
  :class:`PSAUnavailableError`. A 200 that carries only ``errors`` is an error too. Messages are safe to
  show: Autotask's own texts (cut to 300 characters, with the secret and integration code masked should
  they ever be echoed), never headers or URLs.
* Every HTTP attempt, zone lookups included, is counted in :mod:`psa.metrics`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from psa import capacity
from psa.autotask.mapping import dto_field
from psa.autotask.query import Filter, query_body
from psa.capacity import CircuitBreaker
from psa.metrics import record_psa_call
from psa.providers.base import (
    FieldError,
    PSAAuthError,
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

logger = logging.getLogger("psa.autotask")

API_VERSION = "V1.0"
VENDOR_ROOT = "https://webservices.autotask.net/ATServicesRest/"  # zone lookup for any database
SANDBOX_SITE = "sandbox"
SANDBOX_ROOT = "https://at-sandbox.local/ATServicesRest/"  # the in-process Autotask sandbox
VENDOR_ZONE_HOST = re.compile(r"^webservices[a-z0-9-]*\.autotask\.net$")
PAGE_MAX = 500  # records per page; Autotask refuses (does not clamp) more
GET_URL_MAX = 1800  # Autotask's GET URLs are limited to ~2,048 characters: longer queries are POSTed
THREAD_LIMIT = 3  # concurrent requests per integration code per endpoint
HOURLY_LIMIT = 10_000  # requests per rolling hour per database

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 2.0
JITTER_SECONDS = 0.1
MAX_RETRY_AFTER_SECONDS = 5.0
TEXT_MAX = 300

AUTH_MESSAGE = "Autotask rejected the API credentials (check the API user's username, secret and integration code)"
UNKNOWN_USER_MESSAGE = "Autotask does not know this API user (its zone could not be determined from the username)"
PERMISSION_MESSAGE = "The Autotask API user is not allowed to do this (security level)"
NOT_FOUND_MESSAGE = "Not found in Autotask"
UNAVAILABLE_MESSAGE = "Autotask is unavailable right now"
TIMEOUT_MESSAGE = "Autotask did not answer in time"
MALFORMED_MESSAGE = "Autotask sent a malformed response"
RATE_LIMITED_MESSAGE = "Autotask is rate limiting requests"
THREAD_LIMIT_MESSAGE = (
    "Autotask allows 3 requests at a time per integration and endpoint, and that many are already running: "
    "try again in a moment"
)
HOURLY_LIMIT_MESSAGE = (
    "Autotask's limit of 10,000 API requests per hour for this database has been reached: "
    "requests work again as the hour rolls on"
)


class AutotaskUnknownUserError(PSAAuthError):
    """The zone lookup does not know the API username (Autotask: ``Zone information could not be
    determined``): the username is wrong, as opposed to the secret or integration code."""

    default_message = UNKNOWN_USER_MESSAGE


class AutotaskThreadLimitError(PSARateLimitedError):
    """Autotask's thread limit (3 concurrent requests per integration code and endpoint) was hit, or this
    process could not get one of its 3 slots before the request's deadline. Retryable in a moment."""

    default_message = THREAD_LIMIT_MESSAGE


class AutotaskHourlyLimitError(PSARateLimitedError):
    """The database used its 10,000 requests of the rolling hour: Autotask suspends API access for a while.
    Not retried (it cannot succeed within a request); ``retryable`` stays True for "try again later"."""

    default_message = HOURLY_LIMIT_MESSAGE


# --- where the API is -------------------------------------------------------------------------------


def root_for_site(site: str | None) -> str:
    """The zone lookup's root (``.../ATServicesRest/``) for a connection's site.

    empty or ``autotask`` -> Autotask's global lookup host; ``sandbox`` -> the in-process sandbox;
    ``http(s)://host:port[/...]`` -> that server (a local ``at_sandbox``); a host -> ``https://host``.
    """
    site = (site or "").strip()
    if not site or site.lower() == "autotask":
        return VENDOR_ROOT
    if site == SANDBOX_SITE:
        return SANDBOX_ROOT
    if site.startswith(("http://", "https://")):
        parts = urlsplit(site)
        return f"{parts.scheme}://{parts.netloc}/ATServicesRest/"
    return f"https://{site.split('/')[0].lower()}/ATServicesRest/"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def endpoint_of(path: str) -> str:
    """The object endpoint a request counts against for the thread limit, from its path after ``V1.0/``:
    ``Tickets/query`` and ``Tickets/7`` -> ``tickets``; ``Tickets/7/Notes`` -> ``ticketnotes``;
    ``Tickets/7/SecondaryResources`` -> ``ticketsecondaryresources``; ``Companies/3/Contacts`` -> ``contacts``."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if not parts:
        return ""
    if len(parts) >= 3 and parts[1].isdigit():
        parent, child = parts[0].lower(), parts[2].lower()
        if child == "contacts":
            return "contacts"
        return (parent[:-1] if parent.endswith("s") else parent) + child
    return parts[0].lower()


_VERSION_SEGMENT = re.compile(r"/v1\.0/", re.I)
_slots: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(username: str, integration_code: str, endpoint: str, limit: int) -> threading.BoundedSemaphore:
    key = (username.lower(), integration_code, endpoint)
    with _slots_lock:
        slot = _slots.get(key)
        if slot is None:
            slot = _slots[key] = threading.BoundedSemaphore(limit)
        return slot


@dataclass(frozen=True)
class Zone:
    name: str
    url: str  # ends with "/ATServicesRest/"
    web_url: str | None = None


@dataclass
class Page:
    """One page of a query: its items and how to ask for the next one."""

    items: list[dict]
    next_url: str | None
    method: str
    body: dict | None = None


@dataclass
class _Failure:
    error: PSAError
    retryable: bool
    retry_after: float | None = None
    detail: str = field(default="")


class AutotaskClient:
    def __init__(
        self,
        *,
        username: str,
        integration_code: str,
        secret: str,
        root: str = VENDOR_ROOT,
        zone_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        get_retries: int = 2,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
        thread_limit: int = THREAD_LIMIT,
    ):
        self.username = username or ""
        self.integration_code = integration_code or ""
        self._secret = secret or ""
        self.root = root if root.endswith("/") else root + "/"
        self.breaker = breaker
        self.thread_limit = max(1, int(thread_limit))
        self._timeout, self._connect_timeout = timeout, connect_timeout
        self.get_retries = max(0, int(get_retries))
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._zone: Zone | None = Zone(name="", url=self._checked_zone_url(zone_url)) if zone_url else None
        self._zone_given = zone_url is not None
        self._zone_lock = threading.Lock()
        self._http = httpx.Client(
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=32, keepalive_expiry=30),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<AutotaskClient {self.root} user={self.username}>"

    def close(self) -> None:
        self._http.close()

    # --- the zone -------------------------------------------------------------------------------------

    def zone(self) -> Zone:
        """The database's zone, looked up once (thread-safe)."""
        with self._zone_lock:
            if self._zone is None:
                self._zone = self._discover()
            return self._zone

    def _checked_zone_url(self, url: Any) -> str:
        """A zone URL we may send the secret to (see the module docstring), ending with ``/``."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise PSAMalformedResponseError("Autotask's zone lookup answered without a usable zone URL")
        scheme, netloc = _origin(url)
        host = urlsplit(url).hostname or ""
        if _origin(self.root) == _origin(VENDOR_ROOT) or VENDOR_ZONE_HOST.match(urlsplit(self.root).hostname or ""):
            allowed = scheme == "https" and bool(VENDOR_ZONE_HOST.match(host))
        else:
            allowed = (scheme, netloc) == _origin(self.root)
        if not allowed:
            raise PSAMalformedResponseError("Autotask's zone lookup answered a zone URL on an unexpected host")
        return url if url.endswith("/") else url + "/"

    def _discover(self) -> Zone:
        url = f"{self.root}{API_VERSION}/zoneInformation"
        attempts = 1 + self.get_retries
        for attempt in range(attempts):
            timeout = self._attempt_timeout()
            result, failure = self._attempt("GET", url, params={"user": self.username}, body=None,
                                            timeout=timeout, credentials=False, zone_lookup=True)
            if failure is None:
                if not isinstance(result, dict):
                    raise PSAMalformedResponseError(MALFORMED_MESSAGE)
                return Zone(name=str(result.get("zoneName") or ""), url=self._checked_zone_url(result.get("url")),
                            web_url=result.get("webUrl") if isinstance(result.get("webUrl"), str) else None)
            logger.warning("Autotask zone lookup failed: %s", failure.detail)
            if attempt + 1 >= attempts or not failure.retryable:
                raise failure.error
            self._sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def api_url(self, path: str) -> str:
        return f"{self.zone().url}{API_VERSION}/{path.lstrip('/')}"

    # --- verbs -----------------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def get_item(self, entity: str, item_id: int) -> dict | None:
        """``GET {entity}/{id}`` -> the item, or None for ``{"item": null}`` and for a 404 (clients
        disagree which one a missing id gives; API-NOTES 3.6)."""
        try:
            answer = self.get(f"{entity}/{int(item_id)}")
        except PSANotFoundError:
            return None
        if not isinstance(answer, dict) or "item" not in answer:
            raise PSAMalformedResponseError(MALFORMED_MESSAGE)
        item = answer["item"]
        if item is not None and not isinstance(item, dict):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE)
        return item

    def query(self, entity: str, filters: list[Filter], *, max_records: int = PAGE_MAX,
              include_fields: list[str] | None = None) -> Page:
        """The first page of ``{entity}/query`` (ascending id): a GET with ``search=`` or, for a long
        filter, a POST with the same JSON as body."""
        max_records = min(max(1, int(max_records)), PAGE_MAX)
        body = query_body(filters, max_records=max_records, include_fields=include_fields)
        search = json.dumps(body, separators=(",", ":"))
        if len(search) <= GET_URL_MAX:
            return self._page(self.request("GET", f"{entity}/query", params={"search": search}), "GET", None)
        return self._page(self.request("POST", f"{entity}/query", body=body, read=True), "POST", body)

    def next_page(self, page: Page) -> Page | None:
        """The page after ``page``: its ``nextPageUrl`` verbatim, with the first request's method (and,
        for a POST, the same body again). None after the last page."""
        if not page.next_url:
            return None
        zone = self.zone()
        if _origin(page.next_url) != _origin(zone.url) or not urlsplit(page.next_url).path.lower().startswith(
            urlsplit(zone.url).path.lower()
        ):
            raise PSAMalformedResponseError("Autotask answered a next page on an unexpected host")
        answer = self.request(page.method, page.next_url, body=page.body, read=True)
        return self._page(answer, page.method, page.body)

    def query_all(self, entity: str, filters: list[Filter], *, include_fields: list[str] | None = None,
                  limit: int | None = None, max_pages: int = 40) -> list[dict]:
        """Every matching record (ascending id), following ``nextPageUrl``; at most ``limit`` records
        and ``max_pages`` pages (a guard: 40 pages are 20,000 records)."""
        first = min(PAGE_MAX, limit) if limit else PAGE_MAX
        page: Page | None = self.query(entity, filters, max_records=first, include_fields=include_fields)
        rows: list[dict] = []
        pages = 0
        while page is not None:
            rows.extend(page.items)
            pages += 1
            if (limit is not None and len(rows) >= limit) or pages >= max_pages:
                break
            page = self.next_page(page)
        return rows[:limit] if limit is not None else rows

    def count(self, entity: str, filters: list[Filter]) -> int:
        body = query_body(filters)
        search = json.dumps(body, separators=(",", ":"))
        if len(search) <= GET_URL_MAX:
            answer = self.request("GET", f"{entity}/query/count", params={"search": search})
        else:
            answer = self.request("POST", f"{entity}/query/count", body=body, read=True)
        if not isinstance(answer, dict) or isinstance(answer.get("queryCount"), bool):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE)
        try:
            return int(answer["queryCount"])
        except (KeyError, TypeError, ValueError):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE) from None

    def create(self, path: str, body: dict[str, Any]) -> int:
        """``POST`` -> the new record's id (``{"itemId": N}``, HTTP 200). Unset (None) fields are left out:
        explicit nulls on create made Autotask answer 500 (API-NOTES 5.1)."""
        body = {k: v for k, v in body.items() if v is not None}
        return self._item_id(self.request("POST", path, body=body))

    def update(self, path: str, body: dict[str, Any]) -> int:
        """``PATCH {entity}`` with ``id`` in the body (there is no ``PATCH {entity}/{id}``) -> ``itemId``.
        A None value is sent as JSON null: that is how a field is cleared (unverified against a live
        Autotask, which some clients clear with ``""``; the sandbox takes both)."""
        if "id" not in body:
            raise ValueError("an Autotask update carries the record's id in its body")
        return self._item_id(self.request("PATCH", path, body=body))

    def delete(self, path: str) -> int | None:
        answer = self.request("DELETE", path)
        return self._item_id(answer) if isinstance(answer, dict) and "itemId" in answer else None

    @staticmethod
    def _item_id(answer: Any) -> int:
        value = answer.get("itemId") if isinstance(answer, dict) else None
        if isinstance(value, bool):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE) from None

    @staticmethod
    def _page(answer: Any, method: str, body: dict | None) -> Page:
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise PSAMalformedResponseError(MALFORMED_MESSAGE)
        details = answer.get("pageDetails") if isinstance(answer.get("pageDetails"), dict) else {}
        next_url = details.get("nextPageUrl")
        items = [item for item in answer["items"] if isinstance(item, dict)]
        return Page(items=items, next_url=next_url if isinstance(next_url, str) and next_url else None,
                    method=method, body=body)

    # --- the one request loop ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                read: bool = False) -> Any:
        """One API call (``path`` after ``V1.0/``, or an absolute next-page URL). ``read``: a POST that
        only reads (a query), so it is retried like a GET."""
        method = method.upper()
        attempts = 1 + (self.get_retries if method == "GET" or read else 0)
        probe = self.breaker.check() if self.breaker is not None else False  # raises while open
        try:
            result = self._attempts(method, path, params, body, attempts)
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

    def _attempts(self, method: str, path: str, params: dict[str, Any] | None, body: Any, attempts: int) -> Any:
        absolute = path.startswith(("http://", "https://"))
        relative = _VERSION_SEGMENT.split(urlsplit(path).path, 1)[-1] if absolute else path.lstrip("/")
        endpoint, log_path = endpoint_of(relative), "/" + relative
        rediscovered = False
        attempt = 0
        while True:
            url = path if absolute else self.api_url(path)
            timeout = self._attempt_timeout()  # raises once the request's deadline has passed
            slot = _slot(self.username, self.integration_code, endpoint, self.thread_limit)
            if not slot.acquire(timeout=self._slot_wait()):
                raise AutotaskThreadLimitError()
            try:
                result, failure = self._attempt(method, url, params=params, body=body, timeout=timeout)
            finally:
                slot.release()
            if failure is None:
                return result
            logger.warning("Autotask %s %s failed: %s", method, log_path, failure.detail)
            if isinstance(failure.error, PSAAuthError) and not rediscovered and not self._zone_given and not absolute:
                # A database can move zones; the old zone then answers 401 (API-NOTES 1).
                rediscovered = True
                if self._rediscovered_zone_moved():
                    continue
            attempt += 1
            if attempt >= attempts or not failure.retryable:
                raise failure.error
            wait = self._backoff(attempt - 1)
            if failure.retry_after is not None:
                if failure.retry_after > self.max_retry_after:
                    raise failure.error
                wait = max(wait, failure.retry_after)
            left = capacity.remaining()
            if left is not None and wait >= left:
                raise failure.error  # no time left for another attempt within the request's deadline
            self._sleep(wait)

    def _rediscovered_zone_moved(self) -> bool:
        with self._zone_lock:
            old = self._zone
            try:
                self._zone = self._discover()
            except PSAError:
                return False  # keep the 401 as the answer
            return old is None or self._zone.url != old.url

    def _slot_wait(self) -> float:
        """How long to wait for one of this endpoint's thread slots: at most the read timeout, and never
        past the request's deadline."""
        left = capacity.remaining()
        return max(0.0, min(self._timeout, left)) if left is not None else self._timeout

    def _attempt_timeout(self) -> httpx.Timeout | None:
        left = capacity.remaining()
        if left is None or left >= self._timeout:
            return None
        if left <= 0:
            raise capacity.PSADeadlineExceeded(TIMEOUT_MESSAGE)
        return httpx.Timeout(left, connect=min(self._connect_timeout, left))

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2**attempt)) + random.uniform(0, JITTER_SECONDS)

    def _attempt(self, method: str, url: str, *, params: dict[str, Any] | None, body: Any,
                 timeout: httpx.Timeout | None, credentials: bool = True,
                 zone_lookup: bool = False) -> tuple[Any, _Failure | None]:
        record_psa_call()
        headers = {"ApiIntegrationCode": self.integration_code, "UserName": self.username, "Secret": self._secret}
        kwargs: dict[str, Any] = {"params": params or None, "headers": headers if credentials else None}
        if timeout is not None:
            kwargs["timeout"] = timeout
        if body is not None:
            kwargs["content"] = json.dumps(body).encode()
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            return None, _Failure(PSATimeoutError(TIMEOUT_MESSAGE), True, detail=f"timeout ({type(exc).__name__})")
        except httpx.RemoteProtocolError as exc:
            if "complete message body" in str(exc):
                return None, _Failure(PSAMalformedResponseError(MALFORMED_MESSAGE), False, detail="truncated response")
            return None, _Failure(PSAUnavailableError(UNAVAILABLE_MESSAGE), True, detail="server disconnected")
        except httpx.DecodingError:
            return None, _Failure(PSAMalformedResponseError(MALFORMED_MESSAGE), False, detail="undecodable response")
        except httpx.TransportError as exc:
            return None, _Failure(PSAUnavailableError(UNAVAILABLE_MESSAGE), True,
                                  detail=f"transport error ({type(exc).__name__})")
        status = response.status_code
        if status < 300:
            if not response.content:
                return None, None
            try:
                payload = decode_json(response.content)
            except (ValueError, UnicodeDecodeError):
                return None, _Failure(PSAMalformedResponseError(MALFORMED_MESSAGE), False, detail=f"{status} malformed body")
            if _only_errors(payload):  # "a 200 can still carry errors" (API-NOTES 6.1)
                error = self._classified(200, payload, response, zone_lookup)
                return None, _Failure(error, _retryable(error, 200), _retry_after(error), detail="200 with errors")
            return payload, None
        error = self._classified(status, _json_or_none(response), response, zone_lookup)
        return None, _Failure(error, _retryable(error, status), _retry_after(error), detail=str(status))

    def _classified(self, status: int, payload: Any, response: httpx.Response, zone_lookup: bool) -> PSAError:
        error = error_for(status, payload, retry_after=parse_retry_after(response.headers.get("Retry-After")),
                          masked=(self._secret, self.integration_code))
        if zone_lookup and status in (400, 404, 500) and isinstance(error, PSAValidationError | PSAAuthError):
            return AutotaskUnknownUserError(status=status)
        return error


# --- error mapping ---------------------------------------------------------------------------------------

# Autotask's texts (API-NOTES 2, 3.2, 5.1, 5.3, 6.2). The hourly-limit text is not documented [L]: any
# mention of a request threshold or "per hour" counts.
_THREAD = re.compile(r"itgenatr005|thread threshold|threads? (limit|threshold)", re.I)
_HOURLY = re.compile(r"request threshold|requests? per hour|hourly|threshold (has been )?exceeded|api access .*suspended", re.I)
_PERMISSION = re.compile(r"does not have the adequate permissions|not have the required permissions to (view|update|create)", re.I)
_NOT_FOUND = re.compile(r"no matching records found", re.I)
_AUTH = re.compile(r"zone information could not be determined|integrationcode is invalid|invalid credentials", re.I)
_OUTAGE = re.compile(r"temporarily unavailable|service unavailable|timeout expired|try again later|an unexpected error", re.I)
_FIELD_PATTERNS = (
    re.compile(r"unable to find (\w+) in the \w+ entity", re.I),
    re.compile(r"value does not reference an existing entity for (\w+)", re.I),
    re.compile(r"^(\w+) must be (less|greater) than", re.I),
    re.compile(r"^(\w+) is required", re.I),
    re.compile(r"you must assign both a (assignedResourceID) and", re.I),
    re.compile(r"field (\w+) is (required|not valid|invalid)", re.I),
)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return decode_json(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _only_errors(payload: Any) -> bool:
    return isinstance(payload, dict) and bool(error_texts(payload)) and not (
        {"item", "items", "itemId", "queryCount", "fields", "info", "url"} & set(payload)
    )


def error_texts(payload: Any) -> list[str]:
    """The ``errors`` strings of an Autotask answer (objects with a ``message`` count too)."""
    if not isinstance(payload, dict):
        return []
    raw = payload.get("errors")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    texts = []
    for item in raw:
        text = item.get("message") if isinstance(item, dict) else item
        if isinstance(text, str) and text.strip():
            texts.append(" ".join(text.split()))
    return texts


def _safe(text: str, masked: tuple[str, ...]) -> str:
    for secret in masked:
        if secret and len(secret) >= 4:
            text = re.sub(re.escape(secret), "***", text, flags=re.I)
    return text[:TEXT_MAX]


def _field_errors(texts: list[str]) -> list[FieldError]:
    out = []
    for text in texts:
        name = next((m.group(1) for p in _FIELD_PATTERNS if (m := p.search(text))), None)
        out.append(FieldError(field=dto_field(name), message=text[:TEXT_MAX]))
    return out


def error_for(status: int, payload: Any, *, retry_after: float | None = None,
              masked: tuple[str, ...] = ()) -> PSAError:
    """The typed error for an Autotask answer that is not a success (see the module docstring)."""
    texts = [_safe(t, masked) for t in error_texts(payload)]
    joined = "; ".join(texts)
    if texts and _THREAD.search(joined):
        return AutotaskThreadLimitError(status=status, retry_after=retry_after)
    if texts and _HOURLY.search(joined):
        return AutotaskHourlyLimitError(status=status, retry_after=retry_after)
    if status == 401:
        return PSAAuthError(AUTH_MESSAGE, status=401)
    if status == 403:
        return PSAPermissionError(PERMISSION_MESSAGE, status=403)
    if status == 404:
        return PSANotFoundError(NOT_FOUND_MESSAGE, status=404)
    if status == 405:
        return PSAError("Autotask does not accept this request (HTTP 405)", status=405)
    if status == 429:
        return PSARateLimitedError(RATE_LIMITED_MESSAGE, retry_after=retry_after)
    if status in (400, 500, 200) and texts:
        if _PERMISSION.search(joined):
            return PSAPermissionError(PERMISSION_MESSAGE, status=status)
        if _NOT_FOUND.search(joined):
            return PSANotFoundError(NOT_FOUND_MESSAGE, status=status)
        if _AUTH.search(joined):
            return PSAAuthError(AUTH_MESSAGE, status=status)
        if _OUTAGE.search(joined):
            return PSAUnavailableError(UNAVAILABLE_MESSAGE, status=status)
        return PSAValidationError(f"Autotask refused the request: {joined}"[:TEXT_MAX], status=status,
                                  field_errors=_field_errors(texts))
    if status >= 500 or status == 200:
        return PSAUnavailableError(UNAVAILABLE_MESSAGE, status=status)
    return PSAError(f"Autotask answered with HTTP {status}", status=status)


def _retryable(error: PSAError, status: int) -> bool:
    if isinstance(error, AutotaskHourlyLimitError):
        return False  # suspended for a while: another attempt now only spends the hour's budget
    if isinstance(error, PSARateLimitedError):
        return True
    return isinstance(error, PSAUnavailableError) and status in RETRY_STATUSES


def _retry_after(error: PSAError) -> float | None:
    return getattr(error, "retry_after", None)


# Shared with the other PSA's client (psa.capacity): which failures open the breaker, Retry-After in seconds.
_counts_against_breaker = capacity.counts_against_breaker
parse_retry_after = capacity.parse_retry_after
