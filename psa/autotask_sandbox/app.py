"""The Autotask-compatible sandbox: a plain WSGI app (no Django) with Autotask's semantics and fault injection.

The README's "Autotask (provider and sandbox)" lists what it serves, the seed and the fault kinds; this
docstring says where it is knowingly lenient. In memory only, unless told to keep its state in a JSON file
(``remember_in``; ``at_sandbox --state-file``), as the ConnectWise sandbox does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from psa.autotask import schema
from psa.sandbox.app import (  # the ConnectWise sandbox's state file: read and check it, write it whole
    STATE_VERSION,
    _read_doc,
    _UnusableState,
    _write_atomically,
)
from psa.sandbox.faults import DropConnection, Fault, FaultPlumbing

from . import filters as q
from .seed import (
    API_INTEGRATION_CODE,
    API_RESOURCE_ID,
    API_SECRET,
    API_USERNAME,
    COMPLETE,
    RESPOND_MINUTES,
    blank,
    build_seed,
    iso,
)

API_ROOT = "/ATServicesRest"
VERSION = "V1.0"
ZONE_NAME = "SANDBOX"
PRODUCT_VERSION = {"majorVersion": "2025", "minorVersion": "2", "build": "512", "customerType": "Sandbox"}
FAULT_KINDS = ("401", "403", "404", "405", "429", "500", "502", "503", "504", "validation", "permission", "thread",
               "hourly", "refused", "timeout", "malformed", "truncated")
THREAD_LIMIT_TEXT = ("Itgenatr005 Thread Threshold Exceeded: The Autotask API thread threshold of {n} threads has "
                     "been exceeded.")
# The hourly-limit answer is not documented [L]: its status and this wording are the sandbox's choice.
HOURLY_LIMIT_TEXT = ("The API request threshold of {n} requests per hour has been exceeded for this database. "
                     "API access is temporarily suspended.")
PERMISSION_TEXT = "The logged in Resource does not have the adequate permissions to update this entity type."
NO_RECORD_TEXT = "No matching records found. The logged in Resource may not have the required permissions to {verb} the data."
OUTAGE_BODY = b"<html><head><title>Service error</title></head><body><h1>{status} - Server error.</h1></body></html>"
ENTITIES = {name.lower(): name for name in schema.ENTITY_MODELS}
STATE_KEYS = {"Tickets": "tickets", "TicketNotes": "notes", "TicketSecondaryResources": "secondaries",
              "Resources": "resources", "Companies": "companies", "Contacts": "contacts",
              "ConfigurationItems": "configuration_items"}
CHILDREN = {("tickets", "notes"): "TicketNotes", ("tickets", "secondaryresources"): "TicketSecondaryResources",
            ("companies", "contacts"): "Contacts"}
PARENT_FIELD = {"TicketNotes": "ticketID", "TicketSecondaryResources": "ticketID", "Contacts": "companyID"}
CREATABLE = {"Tickets", "Companies", "ConfigurationItems"}  # root POST exists in the Swagger
UPDATABLE = {"Tickets", "Companies", "ConfigurationItems", "Resources"}  # root PATCH/PUT exist in the Swagger

# Field metadata the Swagger lacks (entityInformation/fields): required, read-only, references, lengths [M].
REQUIRED = {"Tickets": {"title", "companyID", "status", "priority"},
            "TicketNotes": {"description", "noteType", "publish", "ticketID"},
            "TicketSecondaryResources": {"ticketID", "resourceID", "roleID"}}
READ_ONLY = {
    "Tickets": {"id", "ticketNumber", "createDate", "lastActivityDate", "completedDate", "completedByResourceID",
                "creatorResourceID", "creatorType", "createdByContactID", "firstResponseDateTime",
                "firstResponseAssignedResourceID", "firstResponseInitiatingResourceID", "firstResponseDueDateTime",
                "resolutionPlanDateTime", "resolutionPlanDueDateTime", "resolvedDateTime", "resolvedDueDateTime",
                "serviceLevelAgreementHasBeenMet", "serviceLevelAgreementPausedNextEventHours", "hoursToBeScheduled",
                "lastActivityResourceID", "lastActivityPersonType", "lastCustomerNotificationDateTime",
                "lastCustomerVisibleActivityDateTime", "lastTrackedModificationDateTime", "impersonatorCreatorResourceID",
                "apiVendorID", "currentServiceThermometerRating", "previousServiceThermometerRating",
                "serviceThermometerTemperature"},
    "TicketNotes": {"id", "createDateTime", "lastActivityDate", "creatorResourceID", "createdByContactID",
                    "impersonatorCreatorResourceID", "impersonatorUpdaterResourceID"},
    "TicketSecondaryResources": {"id"},
}
NOT_QUERYABLE = q.NOT_QUERYABLE
REFERENCES = {"companyID": "Company", "contactID": "Contact", "assignedResourceID": "Resource",
              "assignedResourceRoleID": "Role", "configurationItemID": "ConfigurationItem", "problemTicketId": "Ticket",
              "creatorResourceID": "Resource", "completedByResourceID": "Resource", "resourceID": "Resource",
              "roleID": "Role", "ticketID": "Ticket", "ownerResourceID": "Resource", "parentCompanyID": "Company"}
LENGTHS = {("Tickets", "title"): 255, ("Tickets", "description"): 8000, ("Tickets", "externalID"): 50,
           ("Tickets", "purchaseOrderNumber"): 50, ("Tickets", "ticketNumber"): 50, ("Tickets", "resolution"): 32000,
           ("TicketNotes", "title"): 250, ("TicketNotes", "description"): 32000}
MAX_SECONDARY = 50
# State collections keyed by record id (JSON object keys are strings: ints again on loading).
_ID_KEYED = ("roles", "resources", "companies", "contacts", "configuration_items", "tickets", "notes", "secondaries")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # after /ATServicesRest (e.g. /V1.0/Tickets/query)
    query: str
    status: int  # 0 when the request ended in a refused connection or a timeout
    bytes: int
    body: str = ""  # the request's body as sent
    integration_code: str = ""


class ApiError(Exception):
    """An answer other than success: ``errors`` (Autotask's ``{"errors": [...]}``), or a raw body."""

    def __init__(self, status: int, errors: list[str] | None = None, *, body: bytes | None = None,
                 headers: list[tuple[str, str]] | None = None, content_type: str = "application/json; charset=utf-8"):
        super().__init__("; ".join(errors or []))
        self.status, self.errors, self.raw, self.headers, self.content_type = status, errors, body, headers or [], content_type

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps({"errors": self.errors or []}, separators=(",", ":")).encode()


def _invalid(*messages: str) -> ApiError:
    """Autotask's validation answer: HTTP 500 with the messages."""
    return ApiError(500, list(messages))


def _no_record(verb: str) -> ApiError:
    return _invalid(NO_RECORD_TEXT.format(verb=verb))


def _not_allowed(method: str) -> ApiError:
    return ApiError(405, body=json.dumps({"Message": f"The requested resource does not support http method '{method}'."}).encode())


def _route_not_found() -> ApiError:
    return ApiError(404, ["Resource not found: Not Found"])


def _env_number(name: str, cast=float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return 0
    try:
        value = cast(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {raw!r}")
    return value


def endpoint_key(parts: list[str]) -> str:
    """The object endpoint a request counts against for the thread limit (entity; a child is its own)."""
    if len(parts) >= 3 and parts[1].isdigit() and (parts[0].lower(), parts[2].lower()) in CHILDREN:
        return CHILDREN[(parts[0].lower(), parts[2].lower())].lower()
    return parts[0].lower() if parts else ""


class ATSandbox(FaultPlumbing):
    """An Autotask PSA look-alike over deterministic seed data. Call it as a WSGI app."""

    def __init__(self, seed: int = 7, username: str = API_USERNAME, secret: str = API_SECRET,
                 integration_code: str = API_INTEGRATION_CODE, *, latency_ms: float = 0, jitter_ms: float = 0,
                 error_rate: float = 0, rate_429: float = 0, timeout_rate: float = 0, from_env: bool = False,
                 now: datetime | None = None, ticket_total: int = 640, open_target: int | None = None,
                 thread_limit: int = 3, hourly_limit: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seed = seed
        self.username, self.secret, self.integration_code = username, secret, integration_code
        self.from_env = from_env
        self._fault_defaults = dict(latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate,
                                    rate_429=rate_429, timeout_rate=timeout_rate)
        # thread_limit_status: "may arrive with a non-429 HTTP status" [M] (tests also use 500); the hourly
        # limit's status is not documented at all [L].
        self._limit_defaults = dict(thread_limit=thread_limit, thread_limit_status=429, hourly_limit=hourly_limit,
                                    hourly_limit_status=500)
        self.serving = False  # True under at_sandbox: timeouts sleep, refusals drop the socket
        self.timeout_sleep_s = 35.0
        self.retry_after_s = 1
        # Called with (method, path) while a request holds its thread slot, before it is answered: tests use it
        # to hold requests in flight without reading a clock.
        self.before_request: Callable[[str, str], None] | None = None
        self._lock = threading.RLock()
        self._slots_lock = threading.Lock()
        self._in_flight: dict[tuple[str, str], int] = {}
        self.max_in_flight: dict[str, int] = {}
        self._hour: deque[float] = deque()
        self._clock = clock
        self._rng = random.Random(seed)
        # The seed's dates are relative to this hour (kept: a sandbox built from the same seed and anchor is the same).
        self.anchor = anchor = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        self._snapshot = pickle.dumps(build_seed(seed, anchor, ticket_total=ticket_total, open_target=open_target),
                                      protocol=pickle.HIGHEST_PROTOCOL)
        self.state: dict = {}
        self.state_file: Path | None = None  # where the state is kept across restarts (None: memory only)
        self.request_log: list[LoggedRequest] = []
        self._faults: list[Fault] = []
        self.reset()

    # --- public helpers ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Seed data back, faults cleared, limits and their counters back to the start, request log cleared,
        random faults re-read."""
        state = pickle.loads(self._snapshot)
        settings = {**self._fault_defaults, **self._limit_defaults}
        if self.from_env:
            settings.update(latency_ms=_env_number("AT_SANDBOX_LATENCY_MS"),
                            jitter_ms=_env_number("AT_SANDBOX_JITTER_MS"),
                            error_rate=_env_number("AT_SANDBOX_ERROR_RATE"),
                            rate_429=_env_number("AT_SANDBOX_429_RATE"),
                            timeout_rate=_env_number("AT_SANDBOX_TIMEOUT_RATE"))
        with self._lock:
            self.state = state
            self._faults = []
            self.request_log = []
            self._hour.clear()
            self.max_in_flight = {}
            self.before_request = None
            self._rng = random.Random(self.seed)
            for name, value in settings.items():
                setattr(self, name, value)
            if self.state_file is not None:
                self.save()  # the seed again, also after a restart

    # --- state across restarts ------------------------------------------------------------------------

    def remember_in(self, path: str | os.PathLike | None) -> str:
        """Keep the state in the JSON file ``path`` from now on, saved after every write the sandbox answers.

        The state comes from the file when there is one ("loaded"), else from the seed, saved there at once
        ("new"). A file that cannot be used (unreadable, not JSON, another format version or seed) is set aside
        as ``<path>.corrupt`` with a warning and the sandbox starts from the seed ("unusable"). ``None``: in
        memory only again ("memory"). Raises OSError when the file cannot be written."""
        with self._lock:
            if path is None:
                self.state_file = None
                return "memory"
            path = Path(path)
            try:
                state = self._read_state(path)
                outcome = "loaded" if state is not None else "new"
            except _UnusableState as reason:
                state, outcome = None, "unusable"
                with contextlib.suppress(OSError):
                    os.replace(path, path.with_name(path.name + ".corrupt"))
                log.warning("Autotask sandbox: the saved state %s cannot be used (%s); starting from the seed "
                            "data.", path, reason)
            if state is not None:
                self.state = state
            self.state_file = path
            if outcome != "loaded":
                try:
                    self.save()
                except OSError:
                    self.state_file = None
                    raise
            return outcome

    def _read_state(self, path: Path) -> dict | None:
        """The state saved in ``path`` (None when there is no file; the file read as the ConnectWise sandbox reads
        its own). Raises _UnusableState with the reason when it cannot be used."""
        doc = _read_doc(path)
        if doc is None:
            return None
        if doc.get("seed") != self.seed:
            raise _UnusableState("it holds a sandbox of another seed")
        try:
            state = doc["state"]
            for name in _ID_KEYED:
                state[name] = {int(key): value for key, value in state[name].items()}
        except (TypeError, KeyError, AttributeError, ValueError) as err:
            raise _UnusableState(f"its collections are not the sandbox's ({type(err).__name__})") from None
        if set(state) != set(self.state):
            raise _UnusableState("it does not hold the sandbox's collections")
        return state

    def save(self) -> None:
        """Write the state to ``state_file`` now (nothing without one), whole or not at all."""
        with self._lock:
            if self.state_file is not None:
                doc = {"version": STATE_VERSION, "seed": self.seed, "state": self.state}
                _write_atomically(self.state_file, json.dumps(doc, separators=(",", ":")).encode())

    def ticket_count(self) -> int:
        with self._lock:
            return len(self.state["tickets"])

    def open_ticket_count(self) -> int:
        with self._lock:
            return sum(1 for t in self.state["tickets"].values() if t["status"] != COMPLETE)

    def clear_log(self) -> None:
        with self._lock:
            self.request_log = []

    def inject(self, kind: str, *, method: str | None = None, path: str | None = None, times: int | None = None,
               retry_after: int = 2) -> None:
        """Make matching requests fail with ``kind`` (see FAULT_KINDS); ``path`` is a regex searched in the
        path after ``/ATServicesRest`` (e.g. ``/V1.0/Tickets/query``); ``times`` limits how often it fires."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, method.upper() if method else None,
                                      re.compile(path, re.I) if path else None, times, retry_after))

    def requests_this_hour(self) -> int:
        with self._lock:
            self._expire_hour()
            return len(self._hour)

    # --- WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        full_path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING", "")
        body = b""
        if method in ("POST", "PUT", "PATCH"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(length) if length > 0 else b""
        path = full_path[len(API_ROOT):] if full_path.lower().startswith(API_ROOT.lower() + "/") else full_path
        code = environ.get("HTTP_APIINTEGRATIONCODE", "")
        try:
            status, headers, payload = self._handle(environ, method, full_path, path, query, body)
        except Exception:
            self._log(method, path, query, 0, 0, body, code)
            raise
        self._log(method, path, query, status, len(payload), body, code)
        if not any(h[0] == "Content-Length" for h in headers):
            headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]

    def _log(self, method, path, query, status, size, body, code):
        with self._lock:
            self.request_log.append(LoggedRequest(method, path, query, status, size,
                                                  body.decode("utf-8", "replace"), code))

    def _handle(self, environ, method, full_path, path, query, body):
        if not full_path.lower().startswith(API_ROOT.lower() + "/"):
            return self._error(_route_not_found())
        parts = [p for p in path.split("/") if p]
        lowered = [p.lower() for p in parts]
        origin = _origin(environ)
        if lowered == ["v1.0", "zoneinformation"]:  # no credentials, no thread limit, no random faults
            return self._zone(query, origin)
        if lowered == ["versioninformation"]:
            return self._json(200, {"apiVersions": ["1.0"]})
        if not lowered or lowered[0] != "v1.0" or len(parts) < 2:
            return self._error(_route_not_found())
        self._random_latency()
        fault = self._take_fault(method, path)
        truncate = malformed = False
        if fault is not None:
            if fault.kind in ("refused", "timeout"):
                self._raise_transport_fault(fault.kind)
            if fault.kind == "truncated":
                truncate = True
            elif fault.kind == "malformed":
                malformed = True
            else:
                return self._fault(fault.kind, fault.retry_after)
        random_fault = self._random_fault()
        if random_fault == "timeout":
            self._raise_transport_fault("timeout")
        if random_fault:
            return self._fault(random_fault, self.retry_after_s)
        try:
            self._authenticate(environ)
            self._count_hour()
        except ApiError as err:
            return self._error(err)
        key = (environ.get("HTTP_APIINTEGRATIONCODE", ""), endpoint_key(parts[1:]))
        if not self._enter(key):
            return self._error(self._thread_limit_error())
        try:
            if self.before_request is not None:
                self.before_request(method, path)
            status, headers, payload = self._api(method, parts[1:], query, body, origin)
        finally:
            self._leave(key)
        if malformed:
            payload = b'<html><head><title>502 Bad Gateway</title></head><body>{"items": [</body></html>'
        if truncate:
            headers = headers + [("Content-Length", str(len(payload)))]
            payload = payload[: max(1, len(payload) // 2)]
        return status, headers, payload

    # --- auth, limits, faults ---------------------------------------------------------------------------

    def _authenticate(self, environ) -> None:
        ok = (environ.get("HTTP_USERNAME", "").casefold() == self.username.casefold()
              and environ.get("HTTP_SECRET", "") == self.secret
              and environ.get("HTTP_APIINTEGRATIONCODE", "") == self.integration_code)
        if not ok:  # identical for every cause, empty body (API-NOTES 2)
            raise ApiError(401, body=b"", headers=[("WWW-Authenticate", 'Basic Realm="at-sandbox"')])

    def _expire_hour(self) -> None:
        edge = self._clock() - 3600
        while self._hour and self._hour[0] <= edge:
            self._hour.popleft()

    def _count_hour(self) -> None:
        with self._lock:
            self._expire_hour()
            if len(self._hour) >= self.hourly_limit:
                raise ApiError(self.hourly_limit_status, [HOURLY_LIMIT_TEXT.format(n=self.hourly_limit)])
            self._hour.append(self._clock())

    def _enter(self, key: tuple[str, str]) -> bool:
        with self._slots_lock:
            running = self._in_flight.get(key, 0)
            if running >= self.thread_limit:
                return False
            self._in_flight[key] = running + 1
            self.max_in_flight[key[1]] = max(self.max_in_flight.get(key[1], 0), running + 1)
            return True

    def _leave(self, key: tuple[str, str]) -> None:
        with self._slots_lock:
            self._in_flight[key] -= 1

    def in_flight(self, endpoint: str) -> int:
        with self._slots_lock:
            return sum(n for (_, ep), n in self._in_flight.items() if ep == endpoint)

    def _thread_limit_error(self) -> ApiError:
        return ApiError(self.thread_limit_status, [THREAD_LIMIT_TEXT.format(n=self.thread_limit)])

    def _raise_transport_fault(self, kind: str):
        if self.serving:
            if kind == "timeout":
                time.sleep(self.timeout_sleep_s)
            raise DropConnection()
        import httpx  # only in-process; keeps the package importable without httpx

        if kind == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused (injected by the Autotask sandbox)")
        raise httpx.ReadTimeout("The read operation timed out (injected by the Autotask sandbox)")

    def _fault(self, kind: str, retry_after: int):
        if kind == "401":
            return self._error(ApiError(401, body=b"", headers=[("WWW-Authenticate", 'Basic Realm="at-sandbox"')]))
        if kind == "403":
            return self._error(ApiError(403, body=b""))
        if kind == "404":
            return self._error(_route_not_found())
        if kind == "405":
            return self._error(_not_allowed("GET"))
        if kind == "429":
            return self._error(ApiError(429, body=b"", headers=[("Retry-After", str(retry_after))]))
        if kind in ("500", "502", "503", "504"):
            headers = [("Retry-After", str(retry_after))] if kind == "503" else []
            return self._error(ApiError(int(kind), body=OUTAGE_BODY.replace(b"{status}", kind.encode()),
                                        headers=headers, content_type="text/html"))
        if kind == "validation":
            return self._error(_invalid("Value does not reference an existing entity for priority . "))
        if kind == "permission":
            return self._error(_invalid(PERMISSION_TEXT))
        if kind == "thread":
            return self._error(self._thread_limit_error())
        return self._error(ApiError(self.hourly_limit_status, [HOURLY_LIMIT_TEXT.format(n=self.hourly_limit)]))

    # --- responses --------------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, payload: Any, headers: list | None = None):
        return status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], json.dumps(
            payload, separators=(",", ":")).encode()

    @staticmethod
    def _error(err: ApiError):
        body = err.body()
        headers = list(err.headers)
        if body:
            headers.insert(0, ("Content-Type", err.content_type))
        return err.status, headers, body

    def _zone(self, query: str, origin: str):
        params = dict(parse_qsl(query, keep_blank_values=True))
        user = next((v for k, v in params.items() if k.lower() == "user"), "")
        if not user or user.casefold() != self.username.casefold():
            return self._error(_invalid("Zone information could not be determined"))
        return self._json(200, {"zoneName": ZONE_NAME, "url": f"{origin}{API_ROOT}/", "webUrl": f"{origin}/", "ci": 0})

    # --- the API -------------------------------------------------------------------------------------------

    def _api(self, method: str, parts: list[str], query: str, body: bytes, origin: str):
        try:
            with self._lock:
                answer = self._route(method, parts, query, body, origin)
                writes = method in ("PATCH", "PUT", "DELETE") or (
                    method == "POST" and "query" not in (p.lower() for p in parts))
                if writes and self.state_file is not None and answer[0] < 400:
                    self._save_write()
                return answer
        except ApiError as err:
            return self._error(err)
        except q.QueryError as err:
            return self._error(_invalid(str(err)))

    def _route(self, method, parts, query, body, origin):
        low = [p.lower() for p in parts]
        if low == ["version"]:
            return self._json(200, PRODUCT_VERSION) if method == "GET" else self._error(_not_allowed(method))
        if low == ["thresholdinformation"]:
            self._expire_hour()
            return self._json(200, {"externalRequestThreshold": self.hourly_limit, "requestThresholdTimeframe": 60,
                                    "currentTimeframeRequestCount": len(self._hour)})
        entity = ENTITIES.get(low[0])
        if entity is None:
            raise _route_not_found()
        rest = low[1:]
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        if not rest:
            return self._root_write(method, entity, body)
        if rest[0] == "query":
            return self._query_route(method, entity, rest[1:], params, body, origin, scope=None)
        if rest[0] == "entityinformation":
            if method != "GET":
                raise _not_allowed(method)
            return self._entity_information(entity, rest[1:])
        if not parts[1].isdigit():
            raise _route_not_found()
        parent_id = int(parts[1])
        if len(rest) == 1:
            if method != "GET":
                raise _not_allowed(method)
            return self._json(200, {"item": self._item(entity, parent_id)})
        child = CHILDREN.get((low[0], rest[1]))
        if child is None:
            raise _route_not_found()
        return self._child_route(method, entity, parent_id, child, parts[3:], low[3:], params, body, origin)

    def _save_write(self) -> None:
        """After a write: save, or answer 500 (the change is not acknowledged when it is not on disk)."""
        try:
            self.save()
        except OSError as err:
            log.error("Autotask sandbox: could not save the state to %s: %s", self.state_file, err)
            raise ApiError(500, ["The sandbox could not save its state; the change may be lost at the next "
                                 "restart."]) from None

    def _root_write(self, method, entity, body):
        if method == "POST" and entity in CREATABLE:
            if entity != "Tickets":
                raise ApiError(501, [f"The sandbox does not create {entity}."])
            return self._json(200, {"itemId": self._create_ticket(_json_body(body))})
        if method in ("PATCH", "PUT") and entity in UPDATABLE:
            if entity != "Tickets":
                raise ApiError(501, [f"The sandbox does not update {entity}."])
            return self._json(200, {"itemId": self._update_ticket(_json_body(body))})
        if method == "POST":
            raise _route_not_found()  # POST /TicketNotes: notes are created under their ticket
        raise _not_allowed(method)

    def _child_route(self, method, parent, parent_id, child, raw, low, params, body, origin):
        scope = (PARENT_FIELD[child], parent_id)
        if not low:
            if method == "GET":
                self._require_parent(parent, parent_id, "view")
                return self._query_route("GET", child, [], {"search": json.dumps({"filter": []})}, b"", origin,
                                         scope=scope)
            if method == "POST" and child == "TicketNotes":
                return self._json(200, {"itemId": self._create_note(parent_id, _json_body(body))})
            if method == "POST" and child == "TicketSecondaryResources":
                return self._json(200, {"itemId": self._create_secondary(parent_id, _json_body(body))})
            if method in ("PATCH", "PUT") and child == "TicketNotes":
                return self._json(200, {"itemId": self._update_note(parent_id, _json_body(body))})
            if child == "Contacts" and method in ("POST", "PATCH", "PUT"):
                raise ApiError(501, ["The sandbox does not write Contacts."])
            raise _not_allowed(method)
        if low[0] == "entityinformation":
            return self._entity_information(child, low[1:])
        if low[0] == "query":
            return self._query_route(method, child, low[1:], params, body, origin, scope=scope)
        if not raw[0].isdigit() or len(low) > 1:
            raise _route_not_found()
        item_id = int(raw[0])
        if method == "GET":
            item = self._item(child, item_id)
            return self._json(200, {"item": item if item and item.get(scope[0]) == parent_id else None})
        if method == "DELETE" and child in ("TicketSecondaryResources", "Contacts"):
            if child == "Contacts":
                raise ApiError(501, ["The sandbox does not delete Contacts."])
            return self._json(200, {"itemId": self._delete_secondary(parent_id, item_id)})
        raise _not_allowed(method)

    # --- queries -------------------------------------------------------------------------------------------

    def _query_route(self, method, entity, rest, params, body, origin, scope):
        if method not in ("GET", "POST"):
            raise _not_allowed(method)
        if rest == ["count"]:
            model = self._query_model(method, params, body)
            return self._json(200, {"queryCount": self._count(entity, model, scope)})
        if rest == ["next"]:
            model = _json_body(body) if method == "POST" and body.strip() else _search(params.get("search"))
            paging = _search(params.get("paging"))
            after = (paging.get("nextIds") or [None])[0] if isinstance(paging, dict) else None
            if not isinstance(after, int):
                raise _invalid("The paging parameter is not valid.")
            size = paging.get("pageSize") if isinstance(paging.get("pageSize"), int) else q.PAGE_MAX
            return self._page(entity, model, scope, origin, after=after, size=size)
        if rest:
            raise _route_not_found()
        return self._page(entity, self._query_model(method, params, body), scope, origin)

    @staticmethod
    def _query_model(method, params, body) -> dict:
        if method == "POST":
            return _json_body(body)
        if "search" not in params:
            raise _invalid("The search parameter is required.")
        return _search(params["search"])

    def _matching(self, entity: str, model: dict, scope) -> list[dict]:
        predicate = q.compile_filter(entity, q.body_value(model, "filter"))
        rows = self.state[STATE_KEYS[entity]].values()
        if scope is not None:
            rows = (r for r in rows if r.get(scope[0]) == scope[1])
        return sorted((r for r in rows if predicate(r)), key=lambda r: r["id"])

    def _count(self, entity: str, model: dict, scope) -> int:
        predicate = q.compile_filter(entity, q.body_value(model, "filter"))
        rows = self.state[STATE_KEYS[entity]].values()
        return sum(1 for r in rows if (scope is None or r.get(scope[0]) == scope[1]) and predicate(r))

    def _page(self, entity, model, scope, origin, *, after: int | None = None, size: int | None = None):
        limit = size if size is not None else q.max_records(model)
        fields = q.include_fields(entity, model)
        rows = self._matching(entity, model, scope)
        if fields is not None and "id" not in fields and len(rows) > q.PAGE_MAX:
            raise _invalid("For queries with more than 500 results, includeFields must include id.")
        if after is not None:
            rows = [r for r in rows if r["id"] > after]
        page, more = rows[:limit], len(rows) > limit
        items = [self._project(entity, r, fields) for r in page]
        next_url = None
        if more and scope is None:
            paging = {"pageSize": limit, "previousIds": [after if after is not None else -1], "nextIds": [page[-1]["id"]]}
            search = json.dumps({k: v for k, v in model.items()}, separators=(",", ":"))
            next_url = (f"{origin}{API_ROOT}/{VERSION}/{entity}/query/next?paging="
                        f"{quote(json.dumps(paging, separators=(',', ':')), safe='')}&search={quote(search, safe='')}")
        return self._json(200, {"items": items, "pageDetails": {"count": len(items), "requestCount": limit,
                                                                "prevPageUrl": None, "nextPageUrl": next_url}})

    @staticmethod
    def _project(entity: str, row: dict, fields: list[str] | None) -> dict:
        if fields is None:
            return json.loads(json.dumps(row))
        out = {name: row.get(name) for name in fields}
        if "userDefinedFields" in schema.properties(entity):
            out["userDefinedFields"] = list(row.get("userDefinedFields") or [])
        return json.loads(json.dumps(out))

    def _item(self, entity: str, item_id: int) -> dict | None:
        row = self.state[STATE_KEYS[entity]].get(item_id)
        return json.loads(json.dumps(row)) if row is not None else None

    # --- entity information ----------------------------------------------------------------------------------

    def _entity_information(self, entity: str, rest: list[str]):
        if not rest:
            return self._json(200, {"info": {
                "name": schema.ENTITY_SINGULAR[entity], "canCreate": entity in CREATABLE or entity in PARENT_FIELD,
                "canDelete": entity in ("TicketSecondaryResources", "Contacts"), "canQuery": True,
                "canUpdate": entity in UPDATABLE or entity in ("TicketNotes", "Contacts"),
                "hasUserDefinedFields": "userDefinedFields" in schema.properties(entity),
                "supportsWebhookCallouts": entity in ("Tickets", "Companies", "Contacts", "ConfigurationItems")}})
        if rest == ["fields"]:
            return self._json(200, {"fields": self._fields(entity)})
        if rest == ["userdefinedfields"]:
            return self._json(200, {"fields": []})
        raise _route_not_found()

    def _fields(self, entity: str) -> list[dict]:
        picklists = self.state["picklists"].get(entity, {})
        out = []
        for name, prop in schema.properties(entity).items():
            if name == "userDefinedFields":
                continue
            kind = schema.data_type(prop)
            values = picklists.get(name)
            out.append({
                "name": name, "dataType": kind, "length": LENGTHS.get((entity, name), 0),
                "isRequired": name in REQUIRED.get(entity, set()), "isReadOnly": name in READ_ONLY.get(entity, {"id"}),
                "isQueryable": name.lower() not in NOT_QUERYABLE.get(entity, set()),
                "isReference": name in REFERENCES and values is None, "referenceEntityType": REFERENCES.get(name, "") if values is None else "",
                "isPickList": values is not None, "picklistValues": values,
                "picklistParentValueField": "issueType" if name == "subIssueType" else "",
                "isSupportedWebhookField": False,
            })
        return out

    # --- writes: tickets --------------------------------------------------------------------------------------

    def _picklist(self, entity: str, field: str) -> dict[int, dict]:
        return {int(v["value"]): v for v in self.state["picklists"][entity][field]}

    def _normalized(self, entity: str, body: Any) -> dict[str, Any]:
        """A write body with Autotask's field names (any case in, canonical out), values typed by the Swagger.
        Unknown keys are ignored (ASP.NET's binder does); ``""`` and ``null`` clear a field [L]."""
        if not isinstance(body, dict):
            raise _invalid("The request body must be a JSON object.")
        props = {name.lower(): (name, schema.data_type(p)) for name, p in schema.properties(entity).items()}
        out: dict[str, Any] = {}
        for key, value in body.items():
            if not isinstance(key, str) or key.lower() not in props:
                continue
            name, kind = props[key.lower()]
            out[name] = _typed(name, kind, value)
        return out

    def _check_lengths(self, entity: str, record: dict) -> list[str]:
        problems = []
        for (ent, name), limit in LENGTHS.items():
            value = record.get(name)
            if ent == entity and isinstance(value, str) and len(value) > limit:
                problems.append(f"{name} must be less than or equal to {limit} characters")
        return problems

    def _validate_ticket(self, ticket: dict, changed: set[str], ticket_id: int | None) -> None:
        problems = [f"{name} is required." for name in ("title", "companyID", "status", "priority")
                    if ticket.get(name) in (None, "")]
        problems += self._check_lengths("Tickets", ticket)
        lists = self.state["picklists"]["Tickets"]
        for name in lists:
            value = ticket.get(name)
            if name in changed and value is not None:
                option = self._picklist("Tickets", name).get(value)
                if option is None or not option["isActive"]:
                    problems.append(f"Value does not reference an existing entity for {name} . ")
                elif name == "subIssueType" and option["parentValue"] != str(ticket.get("issueType")):
                    problems.append("subIssueType does not belong to the ticket's issueType.")
        company = self.state["companies"].get(ticket.get("companyID"))
        if "companyID" in changed and ticket.get("companyID") is not None and company is None:
            problems.append("Value does not reference an existing entity for companyID . ")
        contact = ticket.get("contactID")
        if contact is not None and {"contactID", "companyID"} & changed:
            row = self.state["contacts"].get(contact)
            if row is None or row["companyID"] != ticket.get("companyID"):
                problems.append("The contact must belong to the ticket's company (contactID).")
        ci = ticket.get("configurationItemID")
        if ci is not None and {"configurationItemID", "companyID"} & changed:
            row = self.state["configuration_items"].get(ci)
            if row is None or row["companyID"] != ticket.get("companyID"):
                problems.append("Value does not reference an existing entity for configurationItemID . ")
        problem = ticket.get("problemTicketId")
        if "problemTicketId" in changed and problem is not None and (problem == ticket_id or problem not in self.state["tickets"]):
            problems.append("Value does not reference an existing entity for problemTicketId . ")
        resource, role = ticket.get("assignedResourceID"), ticket.get("assignedResourceRoleID")
        if {"assignedResourceID", "assignedResourceRoleID"} & changed:
            if (resource is None) != (role is None):
                problems.append("When assigning a Resource, you must assign both a assignedResourceID and "
                                "assignedResourceRoleID.")
            elif resource is not None:
                problems += self._resource_role_problems(resource, role, "assignedResourceID")
                if ticket_id is not None and any(s["ticketID"] == ticket_id and s["resourceID"] == resource
                                                 for s in self.state["secondaries"].values()):
                    problems.append("The API will not allow you to add a primary resource that is already assigned "
                                    "as a secondary resource.")
        if problems:
            raise _invalid(*problems)

    def _resource_role_problems(self, resource: int, role: int | None, field: str) -> list[str]:
        row = self.state["resources"].get(resource)
        if row is None or not row["isActive"]:
            return [f"Value does not reference an existing entity for {field} . "]
        if role not in self.state["resource_roles"].get(str(resource), []):
            return ["A Resource + Role combination assigned to a ticket must be associated with at least one "
                    "Service Desk Queue."]
        return []

    def _writable(self, entity: str, values: dict) -> dict:
        return {k: v for k, v in values.items() if k not in READ_ONLY.get(entity, {"id"})}

    def _create_ticket(self, body: Any) -> int:
        values = self._writable("Tickets", self._normalized("Tickets", body))
        now = datetime.now(UTC)
        ticket = blank("Tickets")
        ticket.update(externalID="", purchaseOrderNumber="", resolution="", changeInfoField1="", changeInfoField2="",
                      changeInfoField3="", changeInfoField4="", changeInfoField5="", isAssignedToComanaged=False,
                      isVisibleToComanaged=False, hoursToBeScheduled=0.0, ticketCategory=1, ticketType=1)
        ticket.update(values)
        self._validate_ticket(ticket, set(values) | {"title", "companyID", "status", "priority"}, None)
        tid = self.state["next_ids"]["tickets"]
        self.state["next_ids"]["tickets"] = tid + 1
        day = now.strftime("%Y%m%d")
        seq = self.state["ticket_numbers"][day] = self.state["ticket_numbers"].get(day, 0) + 1
        minutes = RESPOND_MINUTES.get(ticket["priority"], 240)
        ticket.update(id=tid, ticketNumber=f"T{day}.{seq:04d}", createDate=iso(now), lastActivityDate=iso(now),
                      lastTrackedModificationDateTime=iso(now), creatorResourceID=API_RESOURCE_ID, creatorType=1,
                      lastActivityResourceID=API_RESOURCE_ID, lastActivityPersonType=1,
                      firstResponseDueDateTime=iso(now + timedelta(minutes=minutes)),
                      resolutionPlanDueDateTime=iso(now + timedelta(minutes=minutes * 4)),
                      resolvedDueDateTime=iso(now + timedelta(minutes=minutes * 12)))
        if ticket.get("dueDateTime") is None:  # [L] required in SOAP metadata, defaulted by REST
            ticket["dueDateTime"] = iso(now + timedelta(days=2))
        if ticket.get("serviceLevelAgreementID") is None:
            ticket["serviceLevelAgreementID"] = 1
        if ticket["status"] == COMPLETE:
            ticket.update(completedDate=iso(now), completedByResourceID=API_RESOURCE_ID, resolvedDateTime=iso(now))
        self.state["tickets"][tid] = ticket
        return tid

    def _update_ticket(self, body: Any) -> int:
        values = self._normalized("Tickets", body)
        ticket_id = values.get("id")
        if ticket_id is None:
            raise _invalid("id is required.")
        ticket = self.state["tickets"].get(ticket_id)
        if ticket is None:
            raise _no_record("update")
        changes = self._writable("Tickets", values)
        merged = {**ticket, **changes}
        self._validate_ticket(merged, set(changes), ticket_id)
        now = datetime.now(UTC)
        if changes.get("status") == COMPLETE and ticket["status"] != COMPLETE:
            merged.update(completedDate=iso(now), completedByResourceID=API_RESOURCE_ID)
            merged["resolvedDateTime"] = merged.get("resolvedDateTime") or iso(now)
        elif "status" in changes and changes["status"] != COMPLETE and ticket["status"] == COMPLETE:
            merged.update(completedDate=None, completedByResourceID=None)  # [L] cleared on re-opening
        merged.update(lastActivityDate=iso(now), lastTrackedModificationDateTime=iso(now),
                      lastActivityResourceID=API_RESOURCE_ID)
        self.state["tickets"][ticket_id] = merged
        return ticket_id

    # --- writes: notes, secondary resources ------------------------------------------------------------------------

    def _require_parent(self, parent: str, parent_id: int, verb: str) -> dict:
        row = self.state[STATE_KEYS[parent]].get(parent_id)
        if row is None:
            raise _no_record(verb)
        return row

    def _check_note(self, note: dict, changed: set[str]) -> None:
        problems = [f"{name} is required." for name in ("description", "noteType", "publish") if note.get(name) in (None, "")]
        problems += self._check_lengths("TicketNotes", note)
        for name in ("noteType", "publish"):
            value = note.get(name)
            if name in changed and value not in (None, ""):
                option = self._picklist("TicketNotes", name).get(value)
                if option is None or not option["isActive"]:
                    problems.append(f"Value does not reference an existing entity for {name} . ")
        if problems:
            raise _invalid(*problems)

    def _create_note(self, ticket_id: int, body: Any) -> int:
        self._require_parent("Tickets", ticket_id, "create")
        values = self._writable("TicketNotes", self._normalized("TicketNotes", body))
        values["ticketID"] = ticket_id  # the parent in the URL wins over a ticketID in the body
        note = blank("TicketNotes")
        note.update(values)
        self._check_note(note, set(values))
        now = datetime.now(UTC)
        nid = self.state["next_ids"]["notes"]
        self.state["next_ids"]["notes"] = nid + 1
        note.update(id=nid, createDateTime=iso(now), lastActivityDate=iso(now), creatorResourceID=API_RESOURCE_ID)
        self.state["notes"][nid] = note
        self.state["tickets"][ticket_id]["lastActivityDate"] = iso(now)
        return nid

    def _update_note(self, ticket_id: int, body: Any) -> int:
        self._require_parent("Tickets", ticket_id, "update")
        values = self._normalized("TicketNotes", body)
        note = self.state["notes"].get(values.get("id"))
        if note is None or note["ticketID"] != ticket_id:
            raise _no_record("update")
        changes = {k: v for k, v in self._writable("TicketNotes", values).items() if k != "ticketID"}
        merged = {**note, **changes, "lastActivityDate": iso(datetime.now(UTC))}
        self._check_note(merged, set(changes))
        self.state["notes"][note["id"]] = merged
        return note["id"]

    def _create_secondary(self, ticket_id: int, body: Any) -> int:
        ticket = self._require_parent("Tickets", ticket_id, "create")
        values = self._normalized("TicketSecondaryResources", body)
        resource, role = values.get("resourceID"), values.get("roleID")
        problems = [f"{name} is required." for name in ("resourceID", "roleID") if values.get(name) is None]
        if not problems:
            problems = self._resource_role_problems(resource, role, "resourceID")
        mine = [s for s in self.state["secondaries"].values() if s["ticketID"] == ticket_id]
        if not problems and resource == ticket.get("assignedResourceID"):
            problems.append("The secondary resource cannot be the ticket's primary resource.")
        if not problems and any(s["resourceID"] == resource for s in mine):
            problems.append("You will not be able to add a secondary resource that is already assigned as a "
                            "secondary resource.")
        if not problems and len(mine) >= MAX_SECONDARY:
            problems.append(f"A ticket can have at most {MAX_SECONDARY} secondary resources.")
        if problems:
            raise _invalid(*problems)
        sid = self.state["next_ids"]["secondaries"]
        self.state["next_ids"]["secondaries"] = sid + 1
        self.state["secondaries"][sid] = {"id": sid, "ticketID": ticket_id, "resourceID": resource, "roleID": role}
        return sid

    def _delete_secondary(self, ticket_id: int, secondary_id: int) -> int:
        row = self.state["secondaries"].get(secondary_id)
        if row is None or row["ticketID"] != ticket_id:
            raise _no_record("delete")
        del self.state["secondaries"][secondary_id]
        return secondary_id


# --- helpers ------------------------------------------------------------------------------------------------


def _origin(environ) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"


def _json_body(body: bytes) -> Any:
    if not body.strip():
        raise _invalid("The request body is empty; a JSON body is required.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("The request body is not valid JSON.") from None


def _search(text: str | None) -> dict:
    """A ``search``/``paging`` parameter: JSON (Autotask's own next-page URLs use single quotes)."""
    if not text:
        raise _invalid("The search parameter is required.")
    for candidate in (text, text.replace("'", '"')):
        with contextlib.suppress(ValueError):
            value = json.loads(candidate)
            if isinstance(value, dict):
                return value
    raise _invalid("The search parameter is not valid JSON.")


def _typed(name: str, kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        if kind in ("integer", "long"):
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, str) else value
            if not isinstance(number, int | float) or float(number) != int(number):
                raise ValueError
            return int(number)
        if kind == "double":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError
        if kind == "datetime":
            return iso(q.parse_date(value))
        if kind == "string":
            if isinstance(value, dict | list):
                raise ValueError
            return str(value)
        return value
    except (TypeError, ValueError):
        raise _invalid(f"Unable to convert the value of {name} to {kind}.") from None


_default: ATSandbox | None = None
_default_lock = threading.Lock()


def default_at_sandbox() -> ATSandbox:
    """The process-wide Autotask sandbox (random faults from the AT_SANDBOX_* environment variables)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = ATSandbox(from_env=True)
    return _default
