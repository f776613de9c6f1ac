"""The ConnectWise-compatible sandbox: a plain WSGI app (no Django) with fault injection.

The README's section "The ConnectWise sandbox" lists the served endpoints, the seed data and the fault kinds.
In memory only, unless told to keep its state in a file (``state_file`` / ``remember_in``: the demo does).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import logging
import os
import pickle
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from . import conditions as q
from . import schema as cw_schema
from .seed import API_MEMBER, build_seed, iso, make_entry, make_note, member_ref, recompute_resources

API_PREFIX = "/v4_6_release/apis/3.0"
COMPANY_INFO_PREFIX = "/login/companyinfo/"
API_VERSION = "2025.8"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
# The format of a saved state file (``remember_in``). A change to the state's shape bumps it; files of
# another version are refused (set aside, start from the seed) unless a migration is added in _read_state.
STATE_VERSION = 1
FAULT_KINDS = ("400", "401", "403", "404", "409", "429", "500", "503", "refused", "timeout", "malformed", "truncated")

_STATUS_BODIES = {
    400: ("InvalidObject", "The request is invalid (injected fault)."),
    401: ("ConnectWiseApi", "An exception has been thrown."),
    403: ("Forbidden", "You do not have permission to access this resource (injected fault)."),
    404: ("NotFound", "The requested resource was not found (injected fault)."),
    409: ("Conflict", "The record is in use by another process (injected fault)."),
    429: ("TooManyRequests", "Request volume exceeds capacity; retry later."),
    500: ("ConnectWiseApi", "A timeout has occured. Please try again."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please try again."),
}


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # after the API prefix (full path for /login/companyinfo)
    query: str
    status: int  # 0 when the request ended in a refused connection or timeout
    bytes: int
    client_id: str = ""  # the clientId header: which integrating application called


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: re.Pattern | None = None
    times: int | None = None
    retry_after: int = 2


log = logging.getLogger(__name__)


class DropConnection(Exception):
    """Raised in server mode for a ``refused`` fault: the server closes the socket without answering."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors, self.headers = status, code, message, errors, headers or []

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def _invalid(resource: str, errors: list[tuple[str, str, str]]) -> ApiError:
    """ConnectWise's validation failure: 400 InvalidObject with one ValidationError per field."""
    return ApiError(400, "InvalidObject", f"{resource} object is invalid",
                    [{"code": code, "message": message, "resource": resource, "field": fld}
                     for code, fld, message in errors])


def _not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, "NotFound", f"{what} ID {ident} not found")


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


@dataclass
class _Request:
    method: str
    path: str
    query: str
    params: dict[str, str]
    headers: dict[str, str]
    environ: dict
    body: bytes = b""
    route_args: dict = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, "InvalidObject", "The request body is empty; a JSON body is required.")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "InvalidObject", "The request body is not valid JSON.") from None


class CWSandbox:
    """A ConnectWise PSA look-alike over deterministic seed data. Call it as a WSGI app."""

    def __init__(self, seed: int = 7, company_id: str = "sandbox", public_key: str = "sandbox-public",
                 private_key: str = "sandbox-private", *, latency_ms: float = 0, jitter_ms: float = 0,
                 error_rate: float = 0, rate_429: float = 0, timeout_rate: float = 0, from_env: bool = False,
                 now: datetime | None = None, state_file: str | os.PathLike | None = None):
        self.seed = seed
        self.company_id = company_id
        self.public_key = public_key
        self.private_key = private_key
        self.company_name = "ResolutionFlow Sandbox"
        self.from_env = from_env
        self._fault_defaults = dict(latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate,
                                    rate_429=rate_429, timeout_rate=timeout_rate)
        self.serving = False  # True under the cw_sandbox server: timeouts sleep, refusals drop the socket
        self.timeout_sleep_s = 35.0  # server mode: longer than any sane client read timeout
        self.retry_after_s = 1  # Retry-After of random 429s
        # Servers only (in-process callers may change ``state`` directly): remember which tickets a
        # ticket list/count query matches, in order, and its whole answer, until the next write (see
        # ``_matching`` and ``_response_memo_key``).
        self.memoize = False
        self._memo: dict[tuple, list[dict]] = {}
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        anchor = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        self._snapshot = pickle.dumps(build_seed(seed, anchor), protocol=pickle.HIGHEST_PROTOCOL)
        self.state: dict = {}
        self.request_log: list[LoggedRequest] = []
        self._faults: list[Fault] = []
        self._known_fields: dict[str, set[str]] = {}
        self._spellings: dict[str, str] = {}
        self.state_file: Path | None = None  # where the state is kept across restarts (None: memory only)
        self.reset()
        self._known_fields = self._collect_known_fields()
        if state_file is not None:
            self.remember_in(state_file)

    # --- public helpers ----------------------------------------------------------------------

    def reset(self) -> None:
        """Seed data back, injected faults cleared, request log cleared, random faults re-read (and the
        seed saved, when the state is kept in a file)."""
        state = self._seed_state()
        settings = dict(self._fault_defaults)
        if self.from_env:
            settings.update(latency_ms=_env_number("CW_SANDBOX_LATENCY_MS"),
                            jitter_ms=_env_number("CW_SANDBOX_JITTER_MS"),
                            error_rate=_env_number("CW_SANDBOX_ERROR_RATE"),
                            rate_429=_env_number("CW_SANDBOX_429_RATE"),
                            timeout_rate=_env_number("CW_SANDBOX_TIMEOUT_RATE"))
        with self._lock:
            self.state = state
            self._memo = {}
            self._faults = []
            self.request_log = []
            self._rng = random.Random(self.seed)
            for name, value in settings.items():
                setattr(self, name, value)
            self.save()

    def _seed_state(self) -> dict:
        gc_was_enabled = gc.isenabled()
        gc.disable()  # unpickling ~10k small dicts is twice as fast without the cyclic GC
        try:
            return pickle.loads(self._snapshot)
        finally:
            if gc_was_enabled:
                gc.enable()

    # --- state across restarts -----------------------------------------------------------------

    def remember_in(self, path: str | os.PathLike | None) -> str:
        """Keep the state in the JSON file ``path`` from now on, saved after every write the sandbox answers.

        The state comes from the file when there is one ("loaded"), else from the seed, saved there at once
        ("new"). A file that cannot be used (unreadable, not JSON, another format version, not the sandbox's
        collections) is set aside as ``<path>.corrupt``, with a warning, and the sandbox starts from the seed
        ("unusable": ids handed out before may be handed out again). ``None``: in memory only again, the file
        left as it is ("memory"). Raises OSError when the file cannot be written."""
        with self._lock:
            if path is None:
                self.state_file = None
                return "memory"
            path = Path(path)
            outcome = "new"
            try:
                state = _read_state(path, self.state)
            except _UnusableState as reason:
                state, outcome = None, "unusable"
                aside = path.with_name(path.name + ".corrupt")
                try:
                    os.replace(path, aside)
                except OSError as err:
                    log.warning("ConnectWise sandbox: the saved state %s cannot be used (%s) nor set aside (%s); "
                                "starting from the seed data, which replaces it.", path, reason, err)
                else:
                    log.warning("ConnectWise sandbox: the saved state %s cannot be used (%s); kept it as %s and "
                                "started from the seed data.", path, reason, aside)
            self.state = state if state is not None else self._seed_state()
            self._memo = {}
            self.state_file = path
            if state is not None:
                return "loaded"
            try:
                self.save()
            except OSError:
                self.state_file = None
                raise
            return outcome

    def save(self) -> None:
        """Write the state to ``state_file`` now (nothing without one): to a temporary file beside it, flushed
        to disk, then renamed over it, so the file always holds one whole state. Called under the lock after
        every write request, before the answer goes out; in-process callers that change ``state`` directly
        call it themselves. Raises OSError when the file cannot be written."""
        with self._lock:
            if self.state_file is None:
                return
            data = json.dumps({"version": STATE_VERSION, "seed": self.seed, "state": self.state},
                              separators=(",", ":")).encode()
            _write_atomically(self.state_file, data)

    def _save_write(self) -> None:
        """After a write request: save, or answer 500 (the change is not acknowledged when it is not on disk)."""
        try:
            self.save()
        except OSError as err:
            log.error("ConnectWise sandbox: could not save the state to %s: %s", self.state_file, err)
            raise ApiError(500, "ConnectWiseApi", "The sandbox could not save its state; the change may be lost "
                                                  "at the next restart.") from None

    def members(self) -> list[dict]:
        with self._lock:
            return [member_ref(m) for m in sorted(self.state["members"].values(), key=lambda m: m["id"])]

    def ticket_count(self) -> int:
        with self._lock:
            return len(self.state["tickets"])

    def clear_log(self) -> None:
        with self._lock:
            self.request_log = []

    def inject(self, kind: str, *, method: str | None = None, path: str | None = None, times: int | None = None,
               retry_after: int = 2) -> None:
        """Make matching requests fail with ``kind`` (see FAULT_KINDS); ``path`` is a regex searched in the
        path after the API prefix; ``times`` limits how often it fires (None = until cleared)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, method.upper() if method else None,
                                      re.compile(path) if path else None, times, retry_after))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []

    @property
    def base_path(self) -> str:
        return API_PREFIX

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        full_path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING", "")
        is_api = full_path.lower().startswith(API_PREFIX.lower() + "/") or full_path.lower() == API_PREFIX.lower()
        path = full_path[len(API_PREFIX):] or "/" if is_api else full_path
        is_company_info = full_path.lower().startswith(COMPANY_INFO_PREFIX)
        log_path = path
        client_id = environ.get("HTTP_CLIENTID", "")
        try:
            status, headers, body = self._handle(environ, method, full_path, path, query, is_api, is_company_info)
        except Exception:
            self._log(method, log_path, query, 0, 0, client_id)
            raise
        self._log(method, log_path, query, status, len(body), client_id)
        if not any(h[0] == "Content-Length" for h in headers):  # "truncated" sets the untruncated length
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_reason(status)}", headers)
        return [body]

    def _log(self, method, path, query, status, size, client_id=""):
        with self._lock:
            self.request_log.append(LoggedRequest(method, path, query, status, size, client_id))

    def _handle(self, environ, method, full_path, path, query, is_api, is_company_info):
        if not is_api and not is_company_info:
            return self._error_response(ApiError(404, "NotFound", f"The resource {full_path} was not found."))

        if is_api:  # random faults never touch codebase discovery
            self._random_latency()
        fault = self._take_fault(method, path)
        truncate = malformed = False
        if fault is not None:
            if fault.kind in ("refused", "timeout"):
                self._raise_transport_fault(fault.kind, environ)
            if fault.kind == "truncated":
                truncate = True
            elif fault.kind == "malformed":
                malformed = True
            else:
                return self._fault_response(int(fault.kind), fault.retry_after)
        if is_api:
            random_fault = self._random_fault()
            if random_fault == "timeout":
                self._raise_transport_fault("timeout", environ)
            if random_fault:
                return self._fault_response(int(random_fault), self.retry_after_s)

        if is_company_info:
            status, headers, body = self._company_info(full_path[len(COMPANY_INFO_PREFIX):].strip("/"))
        else:
            status, headers, body = self._api(environ, method, path, query)
        if malformed:
            body = b'<html><head><title>502 Bad Gateway</title></head><body>{"id": 1,</body></html>'
        if truncate:
            headers = headers + [("Content-Length", str(len(body)))]
            body = body[: max(1, len(body) // 2)]
        return status, headers, body

    # --- faults ------------------------------------------------------------------------------

    def _random_latency(self):
        with self._lock:
            delay = float(self.latency_ms or 0)
            if self.jitter_ms:
                delay += self._rng.uniform(0, float(self.jitter_ms))
        if delay > 0:
            time.sleep(delay / 1000.0)  # outside the lock: parallel requests overlap

    def _random_fault(self) -> str | None:
        with self._lock:
            roll = self._rng.random()
            edge = float(self.timeout_rate or 0)
            if roll < edge:
                return "timeout"
            edge += float(self.rate_429 or 0)
            if roll < edge:
                return "429"
            edge += float(self.error_rate or 0)
            if roll < edge:
                return self._rng.choice(["500", "503"])
        return None

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method and fault.method != method:
                    continue
                if fault.path and not fault.path.search(path):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _raise_transport_fault(self, kind: str, environ):
        if self.serving:
            if kind == "refused":
                raise DropConnection()
            time.sleep(self.timeout_sleep_s)
            raise DropConnection()
        import httpx  # only needed in-process; keeps the module importable without httpx

        if kind == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused (injected by the ConnectWise sandbox)")
        raise httpx.ReadTimeout("The read operation timed out (injected by the ConnectWise sandbox)")

    def _fault_response(self, status: int, retry_after: int):
        code, message = _STATUS_BODIES[status]
        headers = [("Retry-After", str(retry_after))] if status == 429 else []
        errors = None
        if status == 401:
            errors = [{"code": "ConnectWiseApi", "message": "UserNotAuthenticated"}]
        return self._error_response(ApiError(status, code, message, errors, headers))

    # --- responses ---------------------------------------------------------------------------

    def _json_response(self, status: int, payload: Any, extra_headers=None):
        body = b"" if status == 204 else json.dumps(payload, separators=(",", ":")).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("api-current-version", API_VERSION)]
        return status, headers + list(extra_headers or []), body

    def _error_response(self, err: ApiError):
        return self._json_response(err.status, err.body(), err.headers)

    def _company_info(self, company: str):
        if company.lower() != self.company_id.lower():
            return 200, [("Content-Type", "application/json; charset=utf-8")], b"null"
        info = {"CompanyName": self.company_name, "Codebase": "v4_6_release/", "VersionCode": "v2025.8",
                "VersionNumber": "v4.6.2025.8", "CompanyID": self.company_id, "IsCloud": False}
        return 200, [("Content-Type", "application/json; charset=utf-8")], json.dumps(info).encode()

    def _api(self, environ, method, path, query):
        try:
            self._authenticate(environ)
            handler, args = self._route(method, path)
            headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
            body = b""
            if method in ("POST", "PUT", "PATCH"):
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                body = environ["wsgi.input"].read(length) if length > 0 else b""
            params = {k: v for k, v in parse_qsl(query, keep_blank_values=True)}
            params_ci = {k.lower(): v for k, v in params.items()}
            req = _Request(method, path, query, params_ci, headers, environ, body, args)
            memo_key = self._response_memo_key(method, handler, req)
            with self._lock:
                if method != "GET":
                    self._memo.clear()  # a write may change what any query matches
                elif memo_key is not None and memo_key in self._memo:
                    status, response_headers, response_body = self._memo[memo_key]
                    return status, list(response_headers), response_body
                status, payload, extra = handler(req)
                if method != "GET" and self.state_file is not None:
                    self._save_write()
                if memo_key is not None:  # encoded under the lock: no write can come in between
                    response = self._json_response(status, payload, extra)
                    self._remember(memo_key, (response[0], list(response[1]), response[2]))
                    return response
            return self._json_response(status, payload, extra)
        except ApiError as err:
            return self._error_response(err)
        except q.QueryError as err:
            return self._error_response(ApiError(400, "InvalidObject", str(err)))

    def _authenticate(self, environ):
        header = environ.get("HTTP_AUTHORIZATION", "")
        unauthorized = ApiError(401, "ConnectWiseApi", "An exception has been thrown.",
                                [{"code": "ConnectWiseApi", "message": "UserNotAuthenticated"}])
        if not header.lower().startswith("basic "):
            raise unauthorized
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise unauthorized from None
        company, _, public = user.partition("+")
        if not (company.lower() == self.company_id.lower() and public == self.public_key
                and password == self.private_key):
            raise unauthorized
        client_id = environ.get("HTTP_CLIENTID", "").strip()
        if not client_id:
            raise ApiError(401, "ConnectWiseApi", "A clientId header is required. See https://developer.connectwise.com/ClientID",
                           [{"code": "ClientIdRequired", "message": "clientId header missing or empty"}])

    # --- routing -----------------------------------------------------------------------------

    def _route(self, method: str, path: str):
        clean = "/" + path.strip("/")
        for pattern, handlers in _ROUTES:
            m = pattern.fullmatch(clean)
            if m:
                name = handlers.get(method)
                if name is None:
                    allowed = ", ".join(sorted(handlers))
                    raise ApiError(405, "MethodNotAllowed",
                                   f"The requested resource does not support http method '{method}'.",
                                   headers=[("Allow", allowed)])
                return getattr(self, name), {k: int(v) for k, v in m.groupdict().items()}
        raise ApiError(404, "NotFound", f"The resource {path} was not found.")

    # --- generic list/get machinery ----------------------------------------------------------

    def _collect_known_fields(self) -> dict[str, set[str]]:
        """Nothing: the fields a query may name, and their types, come from ConnectWise's schema for the
        path asked (``schema.resource_for_path``), not from what the seed happens to fill."""
        return {}

    def _conditions(self, req: _Request, kind: str):
        """``conditions``, ``childConditions`` and ``customFieldConditions`` as one filter (None: none),
        typed by the schema of ``req.path``: an unknown field, a value of the wrong type or a field in
        the wrong parameter is a 400, never ignored."""
        params = req.params
        resource = cw_schema.resource_for_path(req.path)
        if resource is None:  # a path the schema subset does not describe: untyped, as the seed has it
            for name in ("childconditions", "customfieldconditions"):
                if (params.get(name) or "").strip():
                    raise q.QueryError(f"{name} is not supported on {req.path}")
            return q.parse_conditions(params.get("conditions"))
        return q.compile_filter(resource, params.get("conditions"), params.get("childconditions"),
                                params.get("customfieldconditions"))

    def _order(self, req: _Request):
        """``orderBy`` (default ``id asc``) compiled against the schema of ``req.path``."""
        resource = cw_schema.resource_for_path(req.path)
        text = req.params.get("orderby")
        return q.compile_order(resource, text) if resource is not None else q.untyped_order(text)

    def _fields(self, req: _Request) -> list[list[str]]:
        fields = q.parse_fields(req.params.get("fields"))
        resource = cw_schema.resource_for_path(req.path)
        return q.check_fields(resource, fields) if resource is not None and fields else fields

    def _response_memo_key(self, method: str, handler, req: _Request) -> tuple | None:
        """With ``memoize`` on, a ticket list or count answer is remembered whole until the next write,
        keyed by everything it is made of: the path, the query, the host its links name, the paging mode."""
        if not self.memoize or method != "GET" or getattr(handler, "__name__", "") not in _MEMO_HANDLERS:
            return None
        env = req.environ
        return ("response", req.path, req.query, env.get("HTTP_HOST"), env.get("SERVER_NAME"), env.get("SERVER_PORT"),
                env.get("wsgi.url_scheme"), req.headers.get("pagination-type"))

    def _remember(self, key: tuple, value) -> None:
        if len(self._memo) >= 256:
            self._memo.clear()
        self._memo[key] = value

    def _matching(self, req: _Request, items: list[dict], node, memo: str | None, keys=None) -> list[dict]:
        """The items ``node`` matches, sorted by the compiled ``keys`` (``_order``) when given. With
        ``memoize`` on, remembered per ``memo`` (the collection), filters and orderBy text until the next
        write: a queue's list and count ask the same conditions, and every user's refresh asks them again.
        ConnectWise answers these from SQL Server's indexes; filtering every ticket in Python for each was
        most of the sandbox's CPU, which shares the cores with the app under benchmark."""
        if not self.memoize or memo is None:
            rows = items if node is None else [obj for obj in items if node.evaluate(obj)]
            return rows if keys is None else q.sort(rows, keys)
        params = req.params
        key = (memo, params.get("conditions"), params.get("childconditions"), params.get("customfieldconditions"))
        key += ("matching",) if keys is None else ("ordered", params.get("orderby"))
        rows = self._memo.get(key)
        if rows is None:
            if keys is None:
                rows = items if node is None else [obj for obj in items if node.evaluate(obj)]
            else:
                rows = q.sort(self._matching(req, items, node, memo), keys)
            self._remember(key, rows)
        return rows

    def _list(self, req: _Request, items: list[dict], kind: str, memo: str | None = None):
        node = self._conditions(req, kind)
        keys = self._order(req)
        fields = self._fields(req)
        page = _int_param(req.params, "page", 1)
        page_size = _int_param(req.params, "pagesize", DEFAULT_PAGE_SIZE)
        page = max(page, 1)
        page_size = DEFAULT_PAGE_SIZE if page_size < 1 else min(page_size, MAX_PAGE_SIZE)
        extra = []
        if req.headers.get("pagination-type", "").lower() == "forward-only":
            rows = self._matching(req, items, node, memo)
            page_id = _int_param(req.params, "pageid", 0)
            rows = sorted((r for r in rows if r.get("id", 0) > page_id), key=lambda r: r.get("id", 0))
            chunk = rows[:page_size]
            if len(rows) > page_size:
                extra.append(("Link", f'<{self._url(req, pageId=chunk[-1]["id"], pageSize=page_size, drop="page")}>; rel="next"'))
            return 200, list(map(q.projector(fields), chunk)), extra
        rows = self._matching(req, items, node, memo, keys)
        total = len(rows)
        last = max(1, -(-total // page_size))
        chunk = rows[(page - 1) * page_size: page * page_size]
        links = []
        if page > 1:
            links.append(("first", 1))
            links.append(("prev", min(page - 1, last)))
        if page < last:
            links.append(("next", page + 1))
            links.append(("last", last))
        if links:
            extra.append(("Link", ", ".join(f'<{self._url(req, pageSize=page_size, page=p)}>; rel="{rel}"'
                                            for rel, p in links)))
        return 200, list(map(q.projector(fields), chunk)), extra

    def _count(self, req: _Request, items: list[dict], kind: str, memo: str | None = None):
        node = self._conditions(req, kind)
        return 200, {"count": len(self._matching(req, items, node, memo))}, []

    def _one(self, req: _Request, obj: dict):
        return 200, q.project(obj, self._fields(req)), []

    def _url(self, req: _Request, drop: str | None = None, **overrides) -> str:
        env = req.environ
        host = env.get("HTTP_HOST") or f"{env.get('SERVER_NAME', 'localhost')}:{env.get('SERVER_PORT', '80')}"
        scheme = env.get("wsgi.url_scheme", "http")
        pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True)
                 if k.lower() not in {o.lower() for o in overrides} and (drop is None or k.lower() != drop)]
        pairs += [(k, str(v)) for k, v in overrides.items()]
        return f"{scheme}://{host}{API_PREFIX}{req.path}?{urlencode(pairs)}"

    # --- system ------------------------------------------------------------------------------

    def system_info(self, req):
        return 200, {"version": "v2025.8.12345", "isCloud": False, "serverTimeZone": "Eastern Standard Time",
                     "licenseBits": [{"name": "ServiceDesk", "activeFlag": True},
                                     {"name": "Scheduling", "activeFlag": True},
                                     {"name": "Project", "activeFlag": True}],
                     "cloudRegion": "NA", "maxWorkFlowRecordsAllowed": 1000}, []

    def list_members(self, req):
        return self._list(req, list(self.state["members"].values()), "members")

    def count_members(self, req):
        return self._count(req, list(self.state["members"].values()), "members")

    # --- service reference data --------------------------------------------------------------

    def list_boards(self, req):
        return self._list(req, list(self.state["boards"].values()), "boards")

    def _board(self, board_id: int) -> dict:
        board = self.state["boards"].get(board_id)
        if board is None:
            raise _not_found("Board", board_id)
        return board

    def list_board_statuses(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [s for s in self.state["statuses"].values() if s["board"]["id"] == bid], "statuses")

    def list_board_types(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [t for t in self.state["types"].values() if t["board"]["id"] == bid], "types")

    def list_priorities(self, req):
        return self._list(req, list(self.state["priorities"].values()), "priorities")

    # --- companies ---------------------------------------------------------------------------

    def list_companies(self, req):
        return self._list(req, list(self.state["companies"].values()), "companies")

    def count_companies(self, req):
        return self._count(req, list(self.state["companies"].values()), "companies")

    def get_company(self, req):
        company = self.state["companies"].get(req.route_args["id"])
        if company is None:
            raise _not_found("Company", req.route_args["id"])
        return self._one(req, company)

    def create_company(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("company", [("InvalidObject", "body", "A company object is required.")])
        errors = []
        ident, name = body.get("identifier"), body.get("name")
        if not isinstance(ident, str) or not ident.strip():
            errors.append(("NullValue", "identifier", "Identifier is required."))
        elif len(ident) > 25:
            errors.append(("MaxLengthExceeded", "identifier", "Identifier may not exceed 25 characters."))
        elif any(c["identifier"].lower() == ident.strip().lower() for c in self.state["companies"].values()):
            errors.append(("ObjectExists", "identifier", "The Company Identifier is already in use."))
        if not isinstance(name, str) or not name.strip():
            errors.append(("NullValue", "name", "Name is required."))
        elif len(name) > 50:
            errors.append(("MaxLengthExceeded", "name", "Name may not exceed 50 characters."))
        if errors:
            raise _invalid("company", errors)
        cid = self._next_id("company")
        now = _now()
        company = {"id": cid, "identifier": ident.strip(), "name": name.strip(),
                   "status": {"id": 1, "name": "Active"}, "deletedFlag": False, "types": [{"id": 1, "name": "Client"}],
                   "site": {"id": 1000 + cid, "name": "Main"},
                   "_info": {"lastUpdated": now, "updatedBy": API_MEMBER, "dateEntered": now}}
        for key in ("addressLine1", "addressLine2", "city", "state", "zip", "phoneNumber", "website"):
            if isinstance(body.get(key), str):
                company[key] = body[key]
        self.state["companies"][cid] = company
        return 201, company, []

    def get_contact(self, req):
        contact = self.state["contacts"].get(req.route_args["id"])
        if contact is None:
            raise _not_found("Contact", req.route_args["id"])
        return self._one(req, contact)

    def get_configuration(self, req):
        config = self.state["configurations"].get(req.route_args["id"])
        if config is None:
            raise _not_found("Configuration", req.route_args["id"])
        return self._one(req, config)

    # --- tickets -----------------------------------------------------------------------------

    def _ticket(self, ticket_id: int) -> dict:
        ticket = self.state["tickets"].get(ticket_id)
        if ticket is None:
            raise _not_found("Ticket", ticket_id)
        return ticket

    def list_tickets(self, req):
        return self._list(req, list(self.state["tickets"].values()), "tickets", memo="tickets")

    def count_tickets(self, req):
        return self._count(req, list(self.state["tickets"].values()), "tickets", memo="tickets")

    def get_ticket(self, req):
        return self._one(req, self._ticket(req.route_args["id"]))

    def create_ticket(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("ticket", [("InvalidObject", "body", "A ticket object is required.")])
        errors: list[tuple[str, str, str]] = []
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors.append(("NullValue", "summary", "Summary is required."))
        elif len(summary) > 100:
            errors.append(("MaxLengthExceeded", "summary", "Summary may not exceed 100 characters."))
        company = None
        if body.get("company") in (None, {}):
            errors.append(("NullValue", "company", "Company is required."))
        else:
            company = self._find_company(body["company"])
            if company is None:
                errors.append(("InvalidReference", "company", "The company was not found."))
        board = self.state["boards"][1]
        if body.get("board") is not None:
            board = self._find_by(self.state["boards"], body["board"], ("name",))
            if board is None:
                errors.append(("InvalidReference", "board", "The board was not found."))
        status = None
        if body.get("status") is not None:
            status = self._find_status(body["status"], board)
            if status is None:
                errors.append(("InvalidReference", "status", "The status was not found."))
            elif board is not None and status["board"]["id"] != board["id"]:
                errors.append(("InvalidReference", "status", f"The status is not valid for board '{board['name']}'."))
        priority = self._default_priority()
        if body.get("priority") is not None:
            priority = self._find_by(self.state["priorities"], body["priority"], ("name",))
            if priority is None:
                errors.append(("InvalidReference", "priority", "The priority was not found."))
        ttype = None
        if body.get("type") is not None and board is not None:
            ttype = self._find_by({k: t for k, t in self.state["types"].items() if t["board"]["id"] == board["id"]},
                                  body["type"], ("name",))
            if ttype is None:
                errors.append(("InvalidReference", "type", "The type is not valid for this board."))
        contact = None
        if body.get("contact") is not None:
            contact = self._find_by(self.state["contacts"], body["contact"], ())
            if contact is None:
                errors.append(("InvalidReference", "contact", "The contact was not found."))
        owner = None
        if body.get("owner") is not None:
            owner = self._find_member(body["owner"])
            if owner is None:
                errors.append(("InvalidReference", "owner", "The owner member was not found."))
        for fld in ("severity", "impact"):
            if body.get(fld) is not None and body[fld] not in ("Low", "Medium", "High"):
                errors.append(("InvalidEnum", fld, f"{fld} must be one of Low, Medium, High."))
        for fld in ("initialDescription", "initialInternalAnalysis", "initialResolution"):
            if body.get(fld) is not None and not isinstance(body[fld], str):
                errors.append(("InvalidType", fld, f"{fld} must be a string."))
        if errors:
            raise _invalid("ticket", errors)

        if status is None:
            status = next(s for s in self.state["statuses"].values() if s["board"]["id"] == board["id"] and s["defaultFlag"])
        if contact is None and company.get("defaultContact"):
            contact = self.state["contacts"].get(company["defaultContact"]["id"])
        tid = self._next_id("ticket")
        now = _now()
        ticket: dict[str, Any] = {
            "id": tid, "summary": summary.strip(), "recordType": "ServiceTicket",
            "board": {"id": board["id"], "name": board["name"]},
            "status": _status_ref(status),
            "company": {"id": company["id"], "identifier": company["identifier"], "name": company["name"]},
            "priority": _priority_ref(priority),
            "severity": body.get("severity") or "Medium", "impact": body.get("impact") or "Medium",
            "closedFlag": bool(status["closedStatus"]), "approved": True, "customerUpdatedFlag": False,
            "hasChildTicket": False, "hasMergedChildTicketFlag": False,
            "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
            "sla": {"id": 1, "name": "Standard SLA"}, "slaStatus": f"Respond by {now}", "isInSla": True,
            "respondMinutes": 0, "resPlanMinutes": 0, "resolveMinutes": 0, "actualHours": 0.0,
            "_info": {"lastUpdated": now, "updatedBy": API_MEMBER, "dateEntered": now, "enteredBy": API_MEMBER},
        }
        if company.get("site"):
            ticket["site"] = dict(company["site"])
            ticket["siteName"] = company["site"]["name"]
        if contact is not None:
            ticket["contact"] = _contact_ref(contact)
            ticket["contactName"] = ticket["contact"]["name"]
            ticket["contactPhoneNumber"] = contact.get("defaultPhoneNbr", "")
            ticket["contactEmailAddress"] = _contact_email(contact)
        for fld in ("contactName", "contactPhoneNumber", "contactEmailAddress", "requiredDate", "externalXRef",
                    "poNumber"):
            if isinstance(body.get(fld), str):
                ticket[fld] = body[fld]
        if isinstance(body.get("budgetHours"), int | float) and not isinstance(body["budgetHours"], bool):
            ticket["budgetHours"] = float(body["budgetHours"])
        if ttype is not None:
            ticket["type"] = {"id": ttype["id"], "name": ttype["name"]}
        if owner is not None:
            ticket["owner"] = member_ref(owner)
        if isinstance(body.get("parentTicketId"), int) and body["parentTicketId"] in self.state["tickets"]:
            ticket["parentTicketId"] = body["parentTicketId"]
            self.state["tickets"][body["parentTicketId"]]["hasChildTicket"] = True
        if ticket["closedFlag"]:
            ticket["closedDate"] = ticket["dateResolved"] = now
            ticket["closedBy"] = API_MEMBER
        self.state["tickets"][tid] = ticket
        notes = self.state["notes"].setdefault(tid, [])
        for fld, kind in (("initialDescription", "discussion"), ("initialInternalAnalysis", "internal"),
                          ("initialResolution", "resolution")):
            text = body.get(fld)
            if isinstance(text, str) and text.strip():
                notes.append(make_note(self._next_id("note"), tid, text, kind, None, _now_dt(),
                                       contact=ticket.get("contact") if kind == "discussion" else None))
        return 201, ticket, []

    def replace_ticket(self, req):
        ticket = self._ticket(req.route_args["id"])
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("ticket", [("InvalidObject", "body", "A ticket object is required.")])
        ops = [{"op": "replace", "path": k, "value": v} for k, v in body.items()
               if k not in _READ_ONLY_TICKET_FIELDS and k not in ("initialDescription", "initialInternalAnalysis",
                                                                  "initialResolution")]
        errors = []
        if not isinstance(body.get("summary"), str) or not body["summary"].strip():
            errors.append(("NullValue", "summary", "Summary is required."))
        if body.get("company") in (None, {}):
            errors.append(("NullValue", "company", "Company is required."))
        if errors:
            raise _invalid("ticket", errors)
        return 200, self._apply_ticket_ops(ticket, ops, lenient=True), []

    def patch_ticket(self, req):
        ticket = self._ticket(req.route_args["id"])
        body = req.json()
        if not isinstance(body, list) or not body:
            raise _invalid("ticket", [("InvalidObject", "body",
                                       "A PATCH body must be a non-empty JSON array of {op, path, value}.")])
        return 200, self._apply_ticket_ops(ticket, body), []

    def _apply_ticket_ops(self, ticket: dict, ops: list, lenient: bool = False) -> dict:
        """Apply PATCH operations to a copy; validate; commit only when everything is valid.

        ``lenient`` (PUT) skips fields that cannot be written instead of refusing them."""
        draft = json.loads(json.dumps(ticket))
        errors: list[tuple[str, str, str]] = []
        explicit_status = False
        for op in ops:
            if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
                errors.append(("InvalidObject", "operations", "Each operation needs string 'op' and 'path'."))
                continue
            kind = op["op"].lower()
            parts = [p for p in op["path"].strip("/").split("/") if p]
            if kind not in ("add", "replace", "remove"):
                errors.append(("InvalidOperation", op["path"], f"Unsupported op '{op['op']}'; use add, replace or remove."))
                continue
            if not parts:
                errors.append(("InvalidField", "path", "Empty path."))
                continue
            name, sub = parts[0], parts[1:]
            name = next((k for k in _TICKET_FIELD_NAMES if k.lower() == name.lower()), name)
            if name in _READ_ONLY_TICKET_FIELDS:
                errors.append(("ReadOnlyField", name, f"The field '{name}' cannot be updated."))
                continue
            value = op.get("value")
            if sub:
                value = {sub[-1]: value}
                for key in reversed(sub[:-1]):
                    value = {key: value}
            if name in _TICKET_REFS:
                if kind == "remove" or value is None:
                    if name in ("company", "board", "status", "priority"):
                        errors.append(("NullValue", name, f"{name.capitalize()} is required."))
                    else:
                        draft.pop(name, None)
                    continue
                ref = self._resolve_ticket_ref(name, value, draft)
                if ref is None:
                    errors.append(("InvalidReference", name, f"The {name} was not found."))
                    continue
                if name == "status":
                    explicit_status = True
                if name == "board" and ref["id"] != draft["board"]["id"]:
                    draft["board"] = ref
                    if not explicit_status:
                        default = next(s for s in self.state["statuses"].values()
                                       if s["board"]["id"] == ref["id"] and s["defaultFlag"])
                        draft["status"] = _status_ref(default)
                    continue
                draft[name] = ref
                if name == "contact":
                    contact = self.state["contacts"][ref["id"]]
                    draft["contactName"] = ref["name"]
                    draft["contactEmailAddress"] = _contact_email(contact)
                    draft["contactPhoneNumber"] = contact.get("defaultPhoneNbr", "")
                continue
            if kind == "remove":
                if name == "summary":
                    errors.append(("NullValue", "summary", "Summary is required."))
                else:
                    draft.pop(name, None)
                continue
            if name == "summary":
                if not isinstance(value, str) or not value.strip():
                    errors.append(("NullValue", "summary", "Summary is required."))
                elif len(value) > 100:
                    errors.append(("MaxLengthExceeded", "summary", "Summary may not exceed 100 characters."))
                else:
                    draft["summary"] = value
                continue
            if name in ("severity", "impact"):
                if value not in ("Low", "Medium", "High"):
                    errors.append(("InvalidEnum", name, f"{name} must be one of Low, Medium, High."))
                else:
                    draft[name] = value
                continue
            if name not in _TICKET_FIELD_TYPES:
                if not lenient:
                    errors.append(("InvalidField", name, f"The field '{name}' cannot be updated."))
                continue
            if name == "parentTicketId":
                if value is not None and (not isinstance(value, int) or value not in self.state["tickets"]):
                    errors.append(("InvalidReference", name, "The parent ticket was not found."))
                    continue
            elif value is not None and not _has_type(value, _TICKET_FIELD_TYPES[name]):
                errors.append(("InvalidType", name, f"{name} must be a {_TICKET_FIELD_TYPES[name]}."))
                continue
            if value is None:
                draft.pop(name, None)
            else:
                draft[name] = value
        status = self.state["statuses"].get(draft["status"]["id"])
        if status is None or status["board"]["id"] != draft["board"]["id"]:
            errors.append(("InvalidReference", "status",
                           f"The status is not valid for board '{draft['board']['name']}'."))
        if errors:
            raise _invalid("ticket", errors)
        now = _now()
        was_closed = ticket.get("closedFlag", False)
        draft["closedFlag"] = bool(status["closedStatus"])
        if draft["closedFlag"] and not was_closed:
            draft["closedDate"] = draft["dateResolved"] = now
            draft["closedBy"] = draft["resolvedBy"] = API_MEMBER
            draft["slaStatus"] = "Resolved"
        elif not draft["closedFlag"] and was_closed:
            for key in ("closedDate", "closedBy", "dateResolved", "resolvedBy"):
                draft.pop(key, None)
        if draft["status"]["id"] != ticket["status"]["id"] and status["name"] != "New" and "dateResponded" not in draft:
            draft["dateResponded"] = now
        if "parentTicketId" in draft and draft["parentTicketId"] != ticket.get("parentTicketId"):
            self.state["tickets"][draft["parentTicketId"]]["hasChildTicket"] = True
        draft["_info"]["lastUpdated"] = now
        draft["_info"]["updatedBy"] = API_MEMBER
        ticket.clear()
        ticket.update(draft)
        return ticket

    def _resolve_ticket_ref(self, name: str, value: Any, draft: dict) -> dict | None:
        if not isinstance(value, dict):
            value = {"id": value} if isinstance(value, int) and not isinstance(value, bool) else {"name": value}
        if name == "status":
            board = self.state["boards"].get(draft["board"]["id"])
            status = self._find_status(value, board)
            return _status_ref(status) if status else None
        if name == "board":
            board = self._find_by(self.state["boards"], value, ("name",))
            return {"id": board["id"], "name": board["name"]} if board else None
        if name == "priority":
            prio = self._find_by(self.state["priorities"], value, ("name",))
            return _priority_ref(prio) if prio else None
        if name == "company":
            company = self._find_company(value)
            return {"id": company["id"], "identifier": company["identifier"], "name": company["name"]} if company else None
        if name == "contact":
            contact = self._find_by(self.state["contacts"], value, ())
            return _contact_ref(contact) if contact else None
        if name == "owner":
            member = self._find_member(value)
            return member_ref(member) if member else None
        if name == "type":
            types = {k: t for k, t in self.state["types"].items() if t["board"]["id"] == draft["board"]["id"]}
            ttype = self._find_by(types, value, ("name",))
            return {"id": ttype["id"], "name": ttype["name"]} if ttype else None
        if name == "sla":
            sla = {1: "Standard SLA", 2: "Premium SLA"}
            sid = value.get("id")
            return {"id": sid, "name": sla[sid]} if sid in sla else None
        return None

    # --- lookups -----------------------------------------------------------------------------

    def _find_by(self, table: dict, ref: Any, text_keys: tuple[str, ...]) -> dict | None:
        if isinstance(ref, int) and not isinstance(ref, bool):
            return table.get(ref)
        if not isinstance(ref, dict):
            return None
        rid = ref.get("id")
        if rid is not None:
            return table.get(rid) if isinstance(rid, int) and not isinstance(rid, bool) else None
        for key in text_keys:
            if isinstance(ref.get(key), str):
                want = ref[key].strip().lower()
                return next((obj for obj in table.values() if str(obj.get(key, "")).lower() == want), None)
        return None

    def _find_company(self, ref: Any) -> dict | None:
        return self._find_by(self.state["companies"], ref, ("identifier", "name"))

    def _find_member(self, ref: Any) -> dict | None:
        return self._find_by(self.state["members"], ref, ("identifier",))

    def _find_status(self, ref: Any, board: dict | None) -> dict | None:
        if isinstance(ref, dict) and ref.get("id") is None and isinstance(ref.get("name"), str) and board:
            board_statuses = {k: s for k, s in self.state["statuses"].items() if s["board"]["id"] == board["id"]}
            return self._find_by(board_statuses, ref, ("name",))
        return self._find_by(self.state["statuses"], ref, ())

    def _default_priority(self) -> dict:
        return next(p for p in self.state["priorities"].values() if p["defaultFlag"])

    def _next_id(self, kind: str) -> int:
        value = self.state["next_ids"][kind]
        self.state["next_ids"][kind] = value + 1
        return value

    # --- notes -------------------------------------------------------------------------------

    def list_notes(self, req):
        tid = self._ticket(req.route_args["parentId"])["id"]
        return self._list(req, list(self.state["notes"].get(tid, [])), "notes")

    def _all_note(self, note: dict) -> dict:
        ticket = self.state["tickets"].get(note["ticketId"], {})
        out = {"id": note["id"], "noteType": "TicketNote",
               "ticket": {"id": note["ticketId"], "summary": ticket.get("summary", "")},
               "text": note["text"], "isMarkdownFlag": False,
               "detailDescriptionFlag": note["detailDescriptionFlag"],
               "internalAnalysisFlag": note["internalAnalysisFlag"], "resolutionFlag": note["resolutionFlag"],
               "bundledFlag": False, "mergedFlag": False, "issueFlag": note.get("issueFlag", False),
               "originalAuthor": note["createdBy"], "createdByParentFlag": False,
               "_info": {"dateCreated": note["dateCreated"], "lastUpdated": note["_info"]["lastUpdated"],
                         "updatedBy": note["_info"]["updatedBy"]}}
        if note.get("member"):
            out["member"] = dict(note["member"])
        if note.get("contact"):
            out["contact"] = dict(note["contact"])
        return out

    def list_all_notes(self, req):
        tid = self._ticket(req.route_args["parentId"])["id"]
        return self._list(req, [self._all_note(n) for n in self.state["notes"].get(tid, [])], "all_notes")

    def create_note(self, req):
        ticket = self._ticket(req.route_args["parentId"])
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("serviceNote", [("InvalidObject", "body", "A note object is required.")])
        errors = []
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append(("NullValue", "text", "Text is required."))
        flags = {f: body.get(f) for f in ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")}
        for fld, value in flags.items():
            if value is not None and not isinstance(value, bool):
                errors.append(("InvalidType", fld, f"{fld} must be a boolean."))
        if not any(v is True for v in flags.values()):
            errors.append(("InvalidObject", "detailDescriptionFlag",
                           "At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true."))
        member = None
        if body.get("member") is not None:
            member = self._find_member(body["member"])
            if member is None:
                errors.append(("InvalidReference", "member", "The member was not found."))
        if errors:
            raise _invalid("serviceNote", errors)
        kind = ("discussion" if flags["detailDescriptionFlag"] else "internal" if flags["internalAnalysisFlag"]
                else "resolution")
        note = make_note(self._next_id("note"), ticket["id"], text, kind, member, _now_dt())
        note["detailDescriptionFlag"] = bool(flags["detailDescriptionFlag"])
        note["internalAnalysisFlag"] = bool(flags["internalAnalysisFlag"])
        note["resolutionFlag"] = bool(flags["resolutionFlag"])
        note["internalFlag"] = bool(body["internalFlag"]) if isinstance(body.get("internalFlag"), bool) else \
            note["internalAnalysisFlag"]
        note["externalFlag"] = bool(body["externalFlag"]) if isinstance(body.get("externalFlag"), bool) else \
            (note["detailDescriptionFlag"] or note["resolutionFlag"])
        for fld in ("issueFlag", "customerUpdatedFlag", "processNotifications"):
            if isinstance(body.get(fld), bool):
                note[fld] = body[fld]
        self.state["notes"].setdefault(ticket["id"], []).append(note)
        ticket["_info"]["lastUpdated"] = note["dateCreated"]
        ticket["_info"]["updatedBy"] = note["createdBy"]
        return 201, note, []

    # --- ticket configurations ---------------------------------------------------------------

    def _config_ref(self, config: dict) -> dict:
        return {"id": config["id"], "deviceIdentifier": config["deviceIdentifier"],
                "_info": {"name": config["name"], "type": config["type"]["name"],
                          "configuration_href": f"{API_PREFIX}/company/configurations/{config['id']}"}}

    def list_ticket_configurations(self, req):
        tid = self._ticket(req.route_args["parentId"])["id"]
        refs = [self._config_ref(self.state["configurations"][cid])
                for cid in self.state["ticket_configurations"].get(tid, [])]
        return self._list(req, refs, "ticket_configurations")

    def add_ticket_configuration(self, req):
        tid = self._ticket(req.route_args["parentId"])["id"]
        body = req.json()
        config = self._find_by(self.state["configurations"], body, ("deviceIdentifier",)) \
            if isinstance(body, dict | int) else None
        if config is None:
            raise _invalid("configurationReference", [("InvalidReference", "id", "The configuration was not found.")])
        linked = self.state["ticket_configurations"].setdefault(tid, [])
        if config["id"] not in linked:
            linked.append(config["id"])
        return 201, self._config_ref(config), []

    # --- schedule ----------------------------------------------------------------------------

    def list_schedule_types(self, req):
        return self._list(req, list(self.state["schedule_types"].values()), "schedule_types")

    def list_entries(self, req):
        return self._list(req, list(self.state["entries"].values()), "entries")

    def _entry(self, entry_id: int) -> dict:
        entry = self.state["entries"].get(entry_id)
        if entry is None:
            raise _not_found("ScheduleEntry", entry_id)
        return entry

    def get_entry(self, req):
        return self._one(req, self._entry(req.route_args["id"]))

    def create_entry(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("scheduleEntry", [("InvalidObject", "body", "A schedule entry object is required.")])
        errors = []
        stype = None
        if body.get("type") is None:
            errors.append(("NullValue", "type", "Type is required."))
        else:
            stype = self._find_by(self.state["schedule_types"], body["type"], ("identifier", "name"))
            if stype is None:
                errors.append(("InvalidReference", "type", "The schedule type was not found."))
        member = None
        if body.get("member") is None:
            errors.append(("NullValue", "member", "Member is required."))
        else:
            member = self._find_member(body["member"])
            if member is None:
                errors.append(("InvalidReference", "member", "The member was not found."))
        object_id = body.get("objectId")
        if object_id is not None and (not isinstance(object_id, int) or isinstance(object_id, bool)):
            errors.append(("InvalidType", "objectId", "objectId must be an integer."))
        elif stype is not None and stype["identifier"] == "S":
            if object_id is None:
                errors.append(("NullValue", "objectId", "objectId (the ticket id) is required for service entries."))
            elif object_id not in self.state["tickets"]:
                errors.append(("InvalidReference", "objectId", f"Ticket {object_id} was not found."))
        dates = {}
        for fld in ("dateStart", "dateEnd"):
            if body.get(fld) is not None:
                try:
                    dates[fld] = q.parse_datetime_literal(str(body[fld]))
                except q.QueryError:
                    errors.append(("InvalidDate", fld, f"{fld} must be an ISO-8601 date-time."))
        if "dateStart" in dates and "dateEnd" in dates and dates["dateEnd"] < dates["dateStart"]:
            errors.append(("InvalidDate", "dateEnd", "dateEnd must not be before dateStart."))
        if errors:
            raise _invalid("scheduleEntry", errors)
        now_dt = _now_dt()
        start = dates.get("dateStart", now_dt)
        end = dates.get("dateEnd", start + timedelta(hours=1))
        ticket = self.state["tickets"].get(object_id) if stype["identifier"] == "S" else None
        name = body.get("name") if isinstance(body.get("name"), str) else (
            f"{ticket['company']['name']} / {ticket['summary']}" if ticket else stype["name"])
        entry = make_entry(self._next_id("entry"), object_id or 0, name, member, stype, start, end,
                           bool(body.get("doneFlag")), now_dt, API_MEMBER)
        if isinstance(body.get("allowScheduleConflictsFlag"), bool):
            entry["allowScheduleConflictsFlag"] = body["allowScheduleConflictsFlag"]
        self.state["entries"][entry["id"]] = entry
        self._touch_entry_ticket(entry)
        return 201, entry, []

    def patch_entry(self, req):
        entry = self._entry(req.route_args["id"])
        body = req.json()
        if not isinstance(body, list) or not body:
            raise _invalid("scheduleEntry", [("InvalidObject", "body", "A PATCH body must be a non-empty JSON array.")])
        draft = json.loads(json.dumps(entry))
        errors = []
        for op in body:
            if not isinstance(op, dict) or not isinstance(op.get("path"), str):
                errors.append(("InvalidObject", "operations", "Each operation needs 'op' and 'path'."))
                continue
            parts = [p for p in op["path"].strip("/").split("/") if p]
            name, value = (parts[0] if parts else ""), op.get("value")
            if name == "member":
                member = self._find_member({parts[1]: value} if len(parts) > 1 else value)
                if member is None:
                    errors.append(("InvalidReference", "member", "The member was not found."))
                else:
                    draft["member"] = member_ref(member)
            elif name == "doneFlag" and isinstance(value, bool):
                draft["doneFlag"] = value
            elif name in ("dateStart", "dateEnd", "name") and isinstance(value, str):
                draft[name] = value
            else:
                errors.append(("InvalidField", name or "path", f"Cannot update '{op['path']}'."))
        if errors:
            raise _invalid("scheduleEntry", errors)
        draft["_info"]["lastUpdated"] = _now()
        entry.clear()
        entry.update(draft)
        self._touch_entry_ticket(entry)
        return 200, entry, []

    def delete_entry(self, req):
        entry = self._entry(req.route_args["id"])
        del self.state["entries"][entry["id"]]
        self._touch_entry_ticket(entry)
        return 204, None, []

    def _touch_entry_ticket(self, entry: dict):
        if entry["type"]["identifier"] != "S":
            return
        ticket = self.state["tickets"].get(entry["objectId"])
        if ticket is None:
            return
        before = ticket.get("resources")
        recompute_resources(self.state, ticket["id"])
        if ticket.get("resources") != before:
            ticket["_info"]["lastUpdated"] = _now()
            ticket["_info"]["updatedBy"] = API_MEMBER


# --- module helpers ------------------------------------------------------------------------------

_READ_ONLY_TICKET_FIELDS = {"id", "_info", "resources", "closedFlag", "closedDate", "closedBy", "hasChildTicket",
                            "dateEntered", "lastUpdated", "recordType", "dateResolved", "dateResponded",
                            "dateResplan", "mergedParentTicket", "hasMergedChildTicketFlag"}
_TICKET_REFS = {"board", "status", "priority", "company", "contact", "owner", "type", "sla"}
_TICKET_FIELD_TYPES = {  # writable plain fields (besides summary/severity/impact and references)
    "contactName": "string", "contactEmailAddress": "string", "contactPhoneNumber": "string",
    "requiredDate": "datetime", "budgetHours": "number", "customerUpdatedFlag": "boolean",
    "parentTicketId": "integer", "slaStatus": "string", "isInSla": "boolean", "externalXRef": "string",
    "poNumber": "string", "approved": "boolean", "automaticEmailContactFlag": "boolean",
    "automaticEmailResourceFlag": "boolean", "automaticEmailCcFlag": "boolean", "processNotifications": "boolean",
}
_TICKET_FIELD_NAMES = sorted(_READ_ONLY_TICKET_FIELDS | _TICKET_REFS | set(_TICKET_FIELD_TYPES) | {
    "summary", "severity", "impact"})


def _has_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "datetime":
        try:
            q.parse_datetime_literal(value) if isinstance(value, str) else None
        except q.QueryError:
            return False
        return isinstance(value, str)
    return False

_ROUTE_TABLE = [
    (r"/system/info", {"GET": "system_info"}),
    (r"/system/members", {"GET": "list_members"}),
    (r"/system/members/count", {"GET": "count_members"}),
    (r"/service/boards", {"GET": "list_boards"}),
    (r"/service/boards/(?P<parentId>\d+)/statuses", {"GET": "list_board_statuses"}),
    (r"/service/boards/(?P<parentId>\d+)/types", {"GET": "list_board_types"}),
    (r"/service/priorities", {"GET": "list_priorities"}),
    (r"/company/companies", {"GET": "list_companies", "POST": "create_company"}),
    (r"/company/companies/count", {"GET": "count_companies"}),
    (r"/company/companies/(?P<id>\d+)", {"GET": "get_company"}),
    (r"/company/contacts/(?P<id>\d+)", {"GET": "get_contact"}),
    (r"/company/configurations/(?P<id>\d+)", {"GET": "get_configuration"}),
    (r"/service/tickets", {"GET": "list_tickets", "POST": "create_ticket"}),
    (r"/service/tickets/count", {"GET": "count_tickets"}),
    (r"/service/tickets/(?P<id>\d+)", {"GET": "get_ticket", "PUT": "replace_ticket", "PATCH": "patch_ticket"}),
    (r"/service/tickets/(?P<parentId>\d+)/notes", {"GET": "list_notes", "POST": "create_note"}),
    (r"/service/tickets/(?P<parentId>\d+)/allNotes", {"GET": "list_all_notes"}),
    (r"/service/tickets/(?P<parentId>\d+)/configurations",
     {"GET": "list_ticket_configurations", "POST": "add_ticket_configuration"}),
    (r"/schedule/entries", {"GET": "list_entries", "POST": "create_entry"}),
    (r"/schedule/entries/(?P<id>\d+)", {"GET": "get_entry", "PATCH": "patch_entry", "DELETE": "delete_entry"}),
    (r"/schedule/types", {"GET": "list_schedule_types"}),
]
_ROUTES = [(re.compile(pattern, re.IGNORECASE), handlers) for pattern, handlers in _ROUTE_TABLE]
_MEMO_HANDLERS = {"list_tickets", "count_tickets"}  # GETs whose whole answer ``memoize`` may remember


class _UnusableState(Exception):
    """A saved state file that cannot be loaded; the message says why."""


# Saved ids and the counter (``next_ids``) that hands out the next one, per collection.
_ID_COUNTERS = {"tickets": "ticket", "entries": "entry", "companies": "company"}
_LIST_VALUED = {"notes", "ticket_configurations"}  # ticket id -> notes / configuration ids; the rest id -> object


def _read_state(path: Path, like: dict) -> dict | None:
    """The state saved in ``path`` (None when there is no file), shaped like ``like`` (the seed's state).

    JSON turns the collections' integer keys into strings: they are turned back here. Raises
    _UnusableState with the reason when the file cannot be used."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _UnusableState(f"it cannot be read: {err.strerror or err}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise _UnusableState(f"it is not valid JSON: {err}") from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise _UnusableState("it has no format version")
    if doc["version"] != STATE_VERSION:  # a future version's migration from older files goes here
        raise _UnusableState(f"it is in format version {doc['version']!r}; this sandbox reads version {STATE_VERSION}")
    saved = doc.get("state")
    if not isinstance(saved, dict) or set(saved) != set(like):
        raise _UnusableState("it does not hold the sandbox's collections")
    state: dict = {}
    try:
        for name, table in saved.items():
            if name == "next_ids":
                if set(table) != set(like["next_ids"]) or not all(type(v) is int for v in table.values()):
                    raise _UnusableState("its id counters are not the sandbox's")
                state[name] = dict(table)
                continue
            kind = list if name in _LIST_VALUED else dict
            state[name] = {int(key): value for key, value in table.items()}
            if not all(isinstance(value, kind) for value in state[name].values()):
                raise _UnusableState(f"its {name} are not {kind.__name__}s")
    except (AttributeError, TypeError, ValueError):
        raise _UnusableState(f"its {name} are not keyed by id") from None
    # Ids are never reused: every counter is past every id of its kind the file holds.
    counters = state["next_ids"]
    for name, kind in _ID_COUNTERS.items():
        counters[kind] = max([counters[kind], *(i + 1 for i in state[name])])
    counters["note"] = max([counters["note"], *(n["id"] + 1 for ns in state["notes"].values() for n in ns
                                                 if isinstance(n, dict) and type(n.get("id")) is int)])
    return state


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` into ``path`` whole or not at all: a temporary file in the same directory, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # the rename itself survives a power cut only once the directory is flushed
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _int_param(params: dict, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidObject", f"The value '{raw}' is not valid for {name}.") from None
    if not -(2**31) <= value < 2**31:
        raise ApiError(400, "InvalidObject", f"The value '{raw}' is not valid for {name}.")
    return value


def _status_ref(status: dict) -> dict:
    return {"id": status["id"], "name": status["name"], "sort": status["sortOrder"]}


def _priority_ref(prio: dict) -> dict:
    return {"id": prio["id"], "name": prio["name"], "sort": prio["sortOrder"], "level": prio["level"]}


def _contact_ref(contact: dict) -> dict:
    return {"id": contact["id"], "name": f"{contact['firstName']} {contact['lastName']}"}


def _contact_email(contact: dict) -> str:
    return next((c["value"] for c in contact.get("communicationItems", []) if c.get("communicationType") == "Email"), "")


def _now_dt() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _now() -> str:
    return iso(_now_dt())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_default: CWSandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> CWSandbox:
    """The process-wide sandbox (random faults from the CW_SANDBOX_* environment variables)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = CWSandbox(from_env=True)
    return _default
