"""The ConnectWise-compatible sandbox: a plain WSGI app (no Django) with fault injection.

The README's section "The ConnectWise sandbox" lists the served endpoints, the seed data and the fault kinds.
In memory only, unless told to keep its state in a file (``state_file`` / ``remember_in``: the demo does).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
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
from .faults import DropConnection, Fault, FaultPlumbing
from .scale import Scale, scale_named
from .seed import (
    API_MEMBER,
    API_PREFIX,
    SERVICE_LOCATIONS,
    SLAS,
    SOURCES,
    build_seed,
    iso,
    link,
    make_note,
    member_ref,
    rate_for,
    recompute_actual_hours,
    recompute_resources,
)

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


log = logging.getLogger(__name__)


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


class CWSandbox(FaultPlumbing):
    """A ConnectWise PSA look-alike over deterministic seed data. Call it as a WSGI app."""

    def __init__(self, seed: int = 7, company_id: str = "sandbox", public_key: str = "sandbox-public",
                 private_key: str = "sandbox-private", *, latency_ms: float = 0, jitter_ms: float = 0,
                 error_rate: float = 0, rate_429: float = 0, timeout_rate: float = 0, from_env: bool = False,
                 now: datetime | None = None, state_file: str | os.PathLike | None = None,
                 scale: str | Scale | None = None):
        """``scale``: "default" (None) is the seed the README describes; "large" (or a ``scale.Scale``) an MSP of
        thousands of companies and 200,000 tickets, its tickets indexed in SQLite (``store.World``)."""
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
        self.scale = scale_named(scale)
        self.world = None  # the large scale's tickets (None: everything in ``state``, as the default seed has it)
        if self.scale is None:
            self._snapshot = pickle.dumps(build_seed(seed, anchor), protocol=pickle.HIGHEST_PROTOCOL)
        else:
            from .store import World  # sqlite3: only for a sandbox at scale

            self.world = World(seed, anchor, self.scale)
            self._snapshot = None
        self.state: dict = {}
        self.request_log: list[LoggedRequest] = []
        self._faults: list[Fault] = []
        self._known_fields: dict[str, set[str]] = {}
        self._spellings: dict[str, str] = {}
        self._company_index: dict[str, tuple[int, dict]] = {}
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
        if self.world is not None:
            if self.state:  # not the first reset (the world was just built)
                self.world.reset()
            return self.world.state()
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
                state = self._read_changes(path) if self.world is not None else _read_state(path, self.state)
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
            if self.world is not None:  # at scale: what writes changed; the rest is the seed's
                doc = {"version": STATE_VERSION, "seed": self.seed, "scale": _scale_doc(self.scale),
                       "changes": self.world.changes()}
            else:
                doc = {"version": STATE_VERSION, "seed": self.seed, "state": self.state}
            _write_atomically(self.state_file, json.dumps(doc, separators=(",", ":")).encode())

    def _read_changes(self, path: Path) -> dict | None:
        """At scale: the state saved in ``path`` (the seed regenerated, then the changes saved there applied), or
        None when there is no file. Raises _UnusableState with the reason when it cannot be used."""
        doc = _read_doc(path)
        if doc is None:
            return None
        if doc.get("scale") != _scale_doc(self.scale) or doc.get("seed") != self.seed:
            raise _UnusableState("it holds a sandbox of another scale or seed")
        try:
            self.world.restore(doc["changes"])
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            self.world.reset()
            raise _UnusableState(f"its changes cannot be applied ({err.__class__.__name__}: {err})") from None
        return self.world.state()

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

    def _json_response(self, status: int, payload: Any, extra_headers=None, origin: str | None = None):
        body = b"" if status == 204 else json.dumps(payload, separators=(",", ":")).encode()
        if origin and b'_href":"/' in body:
            # hrefs are stored relative to the host; ConnectWise's are absolute URLs. A JSON string value
            # cannot hold the unescaped quotes of this pattern, so only ``_info`` hrefs are touched.
            body = body.replace(b'_href":"/', b'_href":"' + origin.encode() + b"/")
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
                world = self.world
                if world is not None:
                    world.begin(writing=method != "GET")
                try:
                    status, payload, extra = handler(req)
                finally:
                    if world is not None:
                        world.finish()
                if method != "GET" and self.state_file is not None:
                    self._save_write()
                if memo_key is not None:  # encoded under the lock: no write can come in between
                    response = self._json_response(status, payload, extra, _origin(environ))
                    self._remember(memo_key, (response[0], list(response[1]), response[2]))
                    return response
            return self._json_response(status, payload, extra, _origin(environ))
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
        items = self._like_narrowed(req, items, kind)
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
            project, only = q.projector(fields), _linked_fields(fields)
            return 200, [project(link(kind, r, only)) for r in chunk], extra  # rows with their hrefs (seed.link)
        rows = self._matching(req, items, node, memo, keys)
        chunk = rows[(page - 1) * page_size: page * page_size]
        extra += self._page_links(req, page, page_size, len(rows))
        project, only = q.projector(fields), _linked_fields(fields)
        return 200, [project(link(kind, r, only)) for r in chunk], extra  # rows with their hrefs (seed.link)

    # --- issue 17: at scale, a ``like`` search of a whole collection (companies, contacts, configurations)
    # looks at the records that can match only (``store.TextColumn``); the filter then runs on those as always.

    def _like_narrowed(self, req: _Request, items: list[dict], kind: str) -> list[dict]:
        records = self.state.get(kind) if self.world is not None and kind in _TEXT_COLUMNS else None
        resource = cw_schema.resource_for_path(req.path) if records is not None else None
        if resource is None or len(items) != len(records):
            return items  # the default seed, a company's few records (``_candidates``), an untyped path
        from .store import TextColumn, like_candidates

        def column_of(path: str):
            try:
                target = q._target(resource, path)
            except q.QueryError:
                return None
            if target.kind not in q._SCALARS:
                return None
            key = ("text-column", kind, target.path, id(records), len(records))  # _memo: emptied by any write
            column = self._memo.get(key)
            if column is None:
                column = self._memo[key] = TextColumn(items, target.get)
            return column

        positions = like_candidates(q.parse_conditions(req.params.get("conditions")), column_of)
        return items if positions is None else [items[i] for i in sorted(positions)]

    def _page_links(self, req: _Request, page: int, page_size: int, total: int) -> list[tuple[str, str]]:
        """The ``Link`` header of page ``page`` of a list of ``total`` (none when it is the only page)."""
        last = max(1, -(-total // page_size))
        links = []
        if page > 1:
            links.append(("first", 1))
            links.append(("prev", min(page - 1, last)))
        if page < last:
            links.append(("next", page + 1))
            links.append(("last", last))
        if not links:
            return []
        return [("Link", ", ".join(f'<{self._url(req, pageSize=page_size, page=p)}>; rel="{rel}"'
                                   for rel, p in links))]

    def _list_world(self, req: _Request):
        """GET /service/tickets at scale: the same answer as ``_list``, the query answered by ``store.World``."""
        params = req.params
        filters = (params.get("conditions"), params.get("childconditions"), params.get("customfieldconditions"))
        fields = self._fields(req)
        page = max(_int_param(params, "page", 1), 1)
        page_size = _int_param(params, "pagesize", DEFAULT_PAGE_SIZE)
        page_size = DEFAULT_PAGE_SIZE if page_size < 1 else min(page_size, MAX_PAGE_SIZE)
        project, only = q.projector(fields), _linked_fields(fields)
        if req.headers.get("pagination-type", "").lower() == "forward-only":
            self._order(req)  # an unusable orderBy is a 400 here too
            chunk, more = self.world.forward_page(*filters, after=_int_param(params, "pageid", 0), size=page_size)
            extra = [("Link", f'<{self._url(req, pageId=chunk[-1]["id"], pageSize=page_size, drop="page")}>; '
                              'rel="next"')] if more else []
            return 200, [project(link("tickets", r, only)) for r in chunk], extra
        total, chunk = self.world.page(*filters, params.get("orderby"), page, page_size)
        return 200, [project(link("tickets", r, only)) for r in chunk], self._page_links(req, page, page_size, total)

    def _count(self, req: _Request, items: list[dict], kind: str, memo: str | None = None):
        node = self._conditions(req, kind)
        items = self._like_narrowed(req, items, kind)
        return 200, {"count": len(self._matching(req, items, node, memo))}, []

    def _one(self, req: _Request, obj: dict, kind: str):
        """One record of collection ``kind`` as served: its references' hrefs, then ``fields``."""
        fields = self._fields(req)
        return 200, q.project(link(kind, obj, _linked_fields(fields)), fields), []

    def _url(self, req: _Request, drop: str | None = None, **overrides) -> str:
        pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True)
                 if k.lower() not in {o.lower() for o in overrides} and (drop is None or k.lower() != drop)]
        pairs += [(k, str(v)) for k, v in overrides.items()]
        return f"{_origin(req.environ)}{API_PREFIX}{req.path}?{urlencode(pairs)}"

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

    def get_member(self, req):
        member = self.state["members"].get(req.route_args["id"])
        if member is None:
            raise _not_found("Member", req.route_args["id"])
        return self._one(req, member, "members")

    # --- service reference data --------------------------------------------------------------

    def list_boards(self, req):
        return self._list(req, list(self.state["boards"].values()), "boards")

    def count_boards(self, req):
        return self._count(req, list(self.state["boards"].values()), "boards")

    def get_board(self, req):
        return self._one(req, self._board(req.route_args["id"]), "boards")

    def _board(self, board_id: int) -> dict:
        board = self.state["boards"].get(board_id)
        if board is None:
            raise _not_found("Board", board_id)
        return board

    def list_board_statuses(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [s for s in self.state["statuses"].values() if s["board"]["id"] == bid], "statuses")

    def get_board_status(self, req):
        status = self.state["statuses"].get(req.route_args["id"])
        if status is None or status["board"]["id"] != self._board(req.route_args["parentId"])["id"]:
            raise _not_found("BoardStatus", req.route_args["id"])
        return self._one(req, status, "statuses")

    def list_board_types(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [t for t in self.state["types"].values() if t["board"]["id"] == bid], "types")

    def list_board_subtypes(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [s for s in self.state["subtypes"].values() if s["board"]["id"] == bid], "subtypes")

    def list_board_items(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [i for i in self.state["items"].values() if i["board"]["id"] == bid], "items")

    def list_board_associations(self, req):
        bid = self._board(req.route_args["parentId"])["id"]
        return self._list(req, [a for a in self.state["associations"].values() if a["board"]["id"] == bid],
                          "associations")

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
        return self._one(req, company, "companies")

    def create_company(self, req):
        body = req.json()
        bound, problems = cw_schema.bind("Company", body)
        if not isinstance(body, dict):
            raise _invalid("company", [("InvalidObject", "body", "A company object is required.")])
        errors = [tuple(p) for p in problems]
        bad = {p.field.split("/")[0] for p in problems}
        ident, name = bound.get("identifier"), bound.get("name")
        if "identifier" not in bad:
            if not isinstance(ident, str) or not ident.strip():
                errors.append(("NullValue", "identifier", "Identifier is required."))
            elif any(c["identifier"].lower() == ident.strip().lower() for c in self.state["companies"].values()):
                errors.append(("ObjectExists", "identifier", "The Company Identifier is already in use."))
        if "name" not in bad and (not isinstance(name, str) or not name.strip()):
            errors.append(("NullValue", "name", "Name is required."))
        if errors:
            raise _invalid("company", errors)
        cid = self._next_id("company")
        now = _now()
        company = {"id": cid, "identifier": ident.strip(), "name": name.strip(),
                   "status": {"id": 1, "name": "Active"}, "deletedFlag": False, "types": [{"id": 1, "name": "Client"}],
                   "site": {"id": 1000 + cid, "name": "Main"},
                   "_info": {"lastUpdated": now, "updatedBy": API_MEMBER, "dateEntered": now}}
        if bound.get("types"):
            company["types"] = bound["types"]
        for key, value in bound.items():  # everything else the schema lets a client set, as bound
            if key not in company and key not in ("id", "_info") and value is not None:
                company[key] = value
        self.state["companies"][cid] = company
        return 201, link("companies", company), []

    def get_contact(self, req):
        contact = self.state["contacts"].get(req.route_args["id"])
        if contact is None:
            raise _not_found("Contact", req.route_args["id"])
        return self._one(req, contact, "contacts")

    def list_contacts(self, req):
        return self._list(req, self._candidates(req, "contacts", "company/id", self._of_company("contacts")),
                          "contacts")

    def list_configurations(self, req):
        return self._list(req, self._candidates(req, "configurations", "company/id",
                                                self._of_company("configurations")), "configurations")

    def _of_company(self, collection: str):
        """``company id -> its records of collection`` (in the collection's order), kept until it grows."""
        records = self.state[collection]
        cached = self._company_index.get(collection)
        if cached is None or cached[0] != len(records):
            by_company: dict[int, list[dict]] = {}
            for record in records.values():
                by_company.setdefault((record.get("company") or {}).get("id"), []).append(record)
            cached = self._company_index[collection] = (len(records), by_company)
        return lambda company_id: list(cached[1].get(company_id, ()))

    def get_configuration(self, req):
        config = self.state["configurations"].get(req.route_args["id"])
        if config is None:
            raise _not_found("Configuration", req.route_args["id"])
        return self._one(req, config, "configurations")

    # --- tickets -----------------------------------------------------------------------------

    def _ticket(self, ticket_id: int) -> dict:
        ticket = self.state["tickets"].get(ticket_id)
        if ticket is None:
            raise _not_found("Ticket", ticket_id)
        return ticket

    def list_tickets(self, req):
        if self.world is not None:
            return self._list_world(req)
        return self._list(req, list(self.state["tickets"].values()), "tickets", memo="tickets")

    def count_tickets(self, req):
        if self.world is not None:
            params = req.params
            return 200, {"count": self.world.count(params.get("conditions"), params.get("childconditions"),
                                                   params.get("customfieldconditions"))}, []
        return self._count(req, list(self.state["tickets"].values()), "tickets", memo="tickets")

    def get_ticket(self, req):
        return self._one(req, self._ticket(req.route_args["id"]), "tickets")

    # Writes are read the way ConnectWise's JSON binder reads them (``schema.bind``/``bind_field``: types and
    # formats from the schema, numbers and booleans sent as strings, "" clearing a date, max lengths,
    # read-only fields refused), then their references are resolved against the sandbox's records.

    def create_ticket(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("ticket", [("InvalidObject", "body", "A ticket object is required.")])
        problems = cw_schema.validate_write("Ticket", body)
        errors: list[tuple[str, str, str]] = [tuple(p) for p in problems]
        bad = {p.field.split("/")[0] for p in problems}
        for name in ("summary", "company"):
            value = body.get(name)
            if name not in bad and (value == {} or isinstance(value, str) and not value.strip()):
                errors.append(("NullValue", name, f"{name.capitalize()} is required."))
                bad.add(name)
        board = self.state["boards"][1]
        now = _now()
        draft: dict[str, Any] = {
            "summary": "", "recordType": "ServiceTicket", "board": {"id": board["id"], "name": board["name"]},
            "status": _status_ref(self._default_status(board["id"])), "priority": _priority_ref(self._default_priority()),
            "severity": "Medium", "impact": "Medium", "closedFlag": False, "approved": True,
            "customerUpdatedFlag": False, "hasChildTicket": False, "hasMergedChildTicketFlag": False,
            "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
            "sla": {"id": 1, "name": "Standard SLA"}, "slaStatus": f"Respond by {now}", "isInSla": True,
            "respondMinutes": 0, "resPlanMinutes": 0, "resolveMinutes": 0, "actualHours": 0.0,
            "_info": {"lastUpdated": now, "updatedBy": API_MEMBER, "dateEntered": now, "enteredBy": API_MEMBER},
        }
        ops = [{"op": "replace", "path": k, "value": v} for k, v in body.items()
               if isinstance(k, str) and k.split("/")[0] not in bad]
        errors += self._ticket_changes(draft, ops, "post")
        if errors:
            raise _invalid("ticket", errors)

        company = self.state["companies"][draft["company"]["id"]]
        if "contact" not in draft and company.get("defaultContact"):
            self._set_ticket_contact(draft, self.state["contacts"].get(company["defaultContact"]["id"]))
        if "site" not in draft and company.get("site"):
            draft["site"] = {"id": company["site"]["id"], "name": company["site"]["name"]}
        draft.setdefault("siteName", (draft.get("site") or {}).get("name", ""))
        ticket = self._commit_ticket({"id": self._next_id("ticket"), "closedFlag": False, "status": {"id": None}},
                                     draft, created=True)
        self.state["tickets"][ticket["id"]] = ticket
        notes = self.state["notes"].setdefault(ticket["id"], [])
        for fld, kind in (("initialDescription", "discussion"), ("initialInternalAnalysis", "internal"),
                          ("initialResolution", "resolution")):
            text = body.get(fld)
            if isinstance(text, str) and text.strip():
                notes.append(make_note(self._next_id("note"), ticket["id"], text, kind, None, _now_dt(),
                                       contact=ticket.get("contact") if kind == "discussion" else None))
        return 201, link("tickets", ticket), []

    def replace_ticket(self, req):
        """PUT: the body is a whole ticket (as read back: read-only and unknown fields are ignored)."""
        ticket = self._ticket(req.route_args["id"])
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("ticket", [("InvalidObject", "body", "A ticket object is required.")])
        problems = cw_schema.validate_write("Ticket", body, allow_read_only=True)
        bad = {p.field.split("/")[0] for p in problems}
        draft = json.loads(json.dumps(ticket))
        ops = [{"op": "replace", "path": k, "value": v} for k, v in body.items()
               if isinstance(k, str) and k.split("/")[0] not in bad]
        errors = [tuple(p) for p in problems] + self._ticket_changes(draft, ops, "put")
        if errors:
            raise _invalid("ticket", errors)
        return 200, link("tickets", self._commit_ticket(ticket, draft)), []

    def patch_ticket(self, req):
        ticket = self._ticket(req.route_args["id"])
        body = req.json()
        if not isinstance(body, list) or not body:
            raise _invalid("ticket", [("InvalidObject", "body",
                                       "A PATCH body must be a non-empty JSON array of {op, path, value}.")])
        draft = json.loads(json.dumps(ticket))
        errors = self._ticket_changes(draft, body, "patch")
        if errors:
            raise _invalid("ticket", errors)
        return 200, link("tickets", self._commit_ticket(ticket, draft)), []

    def delete_ticket(self, req):
        """DELETE /service/tickets/{id}: the ticket, its notes, configuration links and schedule entries go.
        Time charged to it stays on record in ConnectWise, so a ticket with time entries is refused (409,
        inferred: ConnectWise does not document the case)."""
        ticket = self._ticket(req.route_args["id"])
        tid = ticket["id"]
        if self._ticket_time_entries(tid):
            raise ApiError(409, "Conflict", f"Ticket {tid} has time entries and cannot be deleted.",
                           [{"code": "InUse", "message": "Delete the ticket's time entries first.",
                             "resource": "ticket", "field": "id"}])
        del self.state["tickets"][tid]
        self.state["notes"].pop(tid, None)
        self.state["ticket_configurations"].pop(tid, None)
        for entry_id in [e["id"] for e in self._ticket_entries(tid) if e["type"]["identifier"] == "S"]:
            del self.state["entries"][entry_id]
        for child in self._children(tid):
            del child["parentTicketId"]
        if ticket.get("parentTicketId") in self.state["tickets"]:
            self._recompute_has_child(ticket["parentTicketId"])
        return 204, None, []

    def attach_children(self, req):
        """POST /service/tickets/{parentId}/attachChildren ``{"childTicketIds": [...]}``: bundle them under
        the parent (children stay open). A child that is the parent itself, or a parent of its own, is
        refused (API-NOTES 11.5, inferred); so is a parent that is itself a child."""
        parent = self._ticket(req.route_args["parentId"])
        body = req.json()
        bound, problems = cw_schema.bind("TicketBundle", body)
        errors = [tuple(p) for p in problems]
        ids = bound.get("childTicketIds") if not problems else None
        if not problems and not ids:
            errors.append(("NullValue", "childTicketIds", "childTicketIds must list at least one ticket id."))
        for i, cid in enumerate(ids or []):
            child = self.state["tickets"].get(cid)
            where = f"childTicketIds/{i}"
            if child is None:
                errors.append(("InvalidReference", where, f"Ticket {cid} was not found."))
            elif cid == parent["id"]:
                errors.append(("InvalidValue", where, "A ticket cannot be its own child."))
            elif child.get("hasChildTicket"):
                errors.append(("InvalidValue", where, f"Ticket {cid} is a parent ticket and cannot be bundled."))
        if parent.get("parentTicketId") is not None:
            errors.append(("InvalidValue", "parentId", f"Ticket {parent['id']} is itself a child ticket."))
        if errors:
            raise _invalid("ticketBundle", errors)
        now = _now()
        for cid in ids:
            child = self.state["tickets"][cid]
            old_parent = child.get("parentTicketId")
            child["parentTicketId"] = parent["id"]
            child["_info"].update(lastUpdated=now, updatedBy=API_MEMBER)
            if old_parent not in (None, parent["id"]):
                self._recompute_has_child(old_parent)
        parent["hasChildTicket"] = True
        parent["_info"].update(lastUpdated=now, updatedBy=API_MEMBER)
        return 200, {"success": True, "message": f"{len(ids)} ticket(s) attached to ticket {parent['id']}."}, []

    def _recompute_has_child(self, ticket_id: int) -> None:
        parent = self.state["tickets"].get(ticket_id)
        if parent is not None:
            parent["hasChildTicket"] = bool(self._children(ticket_id))

    # The records that hang off one ticket: a scan of the collection by default, the store's index at scale.

    def _ticket_entries(self, ticket_id: int) -> list[dict]:
        """The schedule entries whose objectId is ``ticket_id``."""
        if self.world is not None:
            return self.world.entries_of(ticket_id)
        return [e for e in self.state["entries"].values() if e["objectId"] == ticket_id]

    def _ticket_time_entries(self, ticket_id: int) -> list[dict]:
        """The time entries charged to ticket ``ticket_id``."""
        if self.world is not None:
            return self.world.time_entries_of(ticket_id)
        return [e for e in self.state["time_entries"].values()
                if e.get("chargeToId") == ticket_id and e.get("chargeToType") in _TICKET_CHARGES]

    def _children(self, ticket_id: int) -> list[dict]:
        """The tickets whose parentTicketId is ``ticket_id``."""
        tickets = self.state["tickets"]
        if self.world is not None:
            return [tickets[tid] for tid in self.world.children_of(ticket_id) if tid in tickets]
        return [t for t in tickets.values() if t.get("parentTicketId") == ticket_id]

    def _ticket_changes(self, draft: dict, ops: list, mode: str) -> list[tuple[str, str, str]]:
        """Apply PATCH-style operations to ``draft`` (a copy); the problems, ConnectWise-style (empty: valid).

        ``mode``: "patch" refuses what cannot be written; "put" ignores read-only and unknown fields (a
        ticket as read back); "post" is a create (create-only fields are the caller's). Fields that depend
        on the board (status, type, subType, item, team) are applied after every other field, so a status
        or type named in the same request as a new board is looked up on the new board, in either order
        (and subType/item after the type, which decides which subtypes are allowed)."""
        errors: list[tuple[str, str, str]] = []
        changes: list[tuple[str, Any]] = []
        for op in ops:
            if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
                errors.append(("InvalidObject", "operations", "Each operation needs string 'op' and 'path'."))
                continue
            kind = op["op"].lower()
            if kind not in ("add", "replace", "remove"):
                errors.append(("InvalidOperation", op["path"], f"Unsupported op '{op['op']}'; use add, replace or remove."))
                continue
            path = "/".join(p for p in op["path"].strip("/").split("/") if p)
            if not path:
                errors.append(("InvalidField", "path", "Empty path."))
                continue
            ft = cw_schema.field("Ticket", path)
            top = cw_schema.field("Ticket", path.split("/")[0])
            if ft is None or ft.info or top is None:
                if mode == "patch":  # a body's unknown members are ignored (Json.NET); an unknown PATCH path is not
                    errors.append(("UnknownField", path, f"Ticket has no field '{path}'."))
                continue
            name = top.path
            if top.read_only or name in _TICKET_DERIVED:
                if mode != "put":  # a ticket as read back carries them: PUT ignores them
                    errors.append(("ReadOnlyField", name, f"The field '{name}' cannot be updated."))
                continue
            if top.create_only:
                if mode == "patch":
                    errors.append(("InvalidField", name, f"{name} can only be sent when the ticket is created."))
                continue
            if kind == "remove":
                changes.append((name, None))
                continue
            value, problems = cw_schema.bind_field("Ticket", ft.path, op.get("value"))
            if problems:
                errors += [tuple(p) for p in problems]
                continue
            for key in reversed(ft.path.split("/")[1:]):
                value = {key: value}
            changes.append((name, value))
        given = {name for name, _ in changes}
        for name, value in sorted(changes, key=lambda c: _APPLY_ORDER.get(c[0], 0)):  # stable: same rank, same order
            self._ticket_set(draft, name, value, given, errors)
        if "status" in draft and "board" in draft:
            status = self.state["statuses"].get(draft["status"].get("id"))
            if status is not None and status["board"]["id"] != draft["board"]["id"] and \
                    not any(e[1] == "status" for e in errors):
                errors.append(("InvalidReference", "status",
                               f"The status is not valid for board '{draft['board']['name']}'."))
        return errors

    def _ticket_set(self, draft: dict, name: str, value: Any, given: set[str], errors: list) -> None:
        if value is None or (value == {} and name in _TICKET_RESOLVED):
            if name in ("summary", "company", "board", "status", "priority"):
                errors.append(("NullValue", name, f"{name.capitalize()} is required."))
            else:
                draft.pop(name, None)  # "" or null clears a nullable field (a date, a parent ticket, ...)
            return
        if name == "summary":
            if not value.strip():
                errors.append(("NullValue", "summary", "Summary is required."))
            else:
                draft["summary"] = value.strip()
            return
        if name == "parentTicketId":
            if value not in self.state["tickets"] or value == draft.get("id"):
                errors.append(("InvalidReference", name, "The parent ticket was not found."))
            else:
                draft[name] = value
            return
        if name not in _TICKET_RESOLVED:
            draft[name] = value  # a reference the sandbox keeps no records for, or a plain field: as bound
            return
        ref = self._resolve_ticket_ref(name, value, draft)
        if ref is None:
            errors.append(("InvalidReference", name, f"The {name} was not found"
                           + (f" on board '{draft['board']['name']}'." if name in _BOARD_DEPENDENT else ".")))
            return
        if name == "board":
            if ref["id"] != draft["board"]["id"]:
                draft["board"] = ref
                if "status" not in given:
                    draft["status"] = _status_ref(self._default_status(ref["id"]))
                for dep in _BOARD_DEPENDENT - {"status"} - given:
                    draft.pop(dep, None)  # the old board's type/subtype/item mean nothing on the new one
            return
        if name == "type" and (draft.get("type") or {}).get("id") != ref["id"]:
            for dep in ("subType", "item"):
                if dep not in given:
                    draft.pop(dep, None)
        if name == "contact":
            self._set_ticket_contact(draft, self.state["contacts"][ref["id"]])
            return
        if name == "company" and (draft.get("company") or {}).get("id") != ref["id"] and "site" not in given:
            company = self.state["companies"][ref["id"]]
            if company.get("site"):
                draft["site"] = {"id": company["site"]["id"], "name": company["site"]["name"]}
                draft["siteName"] = company["site"]["name"]
        draft[name] = ref

    def _set_ticket_contact(self, draft: dict, contact: dict | None) -> None:
        if contact is None:
            return
        draft["contact"] = _contact_ref(contact)
        draft["contactName"] = draft["contact"]["name"]
        draft["contactEmailAddress"] = _contact_email(contact)
        draft["contactPhoneNumber"] = contact.get("defaultPhoneNbr", "")

    def _commit_ticket(self, ticket: dict, draft: dict, created: bool = False) -> dict:
        """Derive what ConnectWise derives (closed state, response time, bundles, hrefs) and store ``draft``
        into ``ticket``. Only called once ``draft`` is known to be valid."""
        now = _now()
        status = self.state["statuses"][draft["status"]["id"]]
        was_closed = ticket.get("closedFlag", False)
        draft["closedFlag"] = bool(status["closedStatus"])
        if draft["closedFlag"] and not was_closed:
            draft["closedDate"] = draft["dateResolved"] = now
            draft["closedBy"] = draft["resolvedBy"] = API_MEMBER
            draft["slaStatus"] = "Resolved"
        elif not draft["closedFlag"] and was_closed:
            for key in ("closedDate", "closedBy", "dateResolved", "resolvedBy"):
                draft.pop(key, None)
        if not created and draft["status"]["id"] != ticket["status"]["id"] and status["name"] != "New" and \
                "dateResponded" not in draft:
            draft["dateResponded"] = now
        old_parent, new_parent = ticket.get("parentTicketId"), draft.get("parentTicketId")
        draft["_info"]["lastUpdated"] = now
        draft["_info"]["updatedBy"] = API_MEMBER
        tid = ticket["id"]
        ticket.clear()
        ticket["id"] = tid  # first, as ConnectWise writes it
        ticket.update({k: v for k, v in draft.items() if k != "id"})
        if new_parent != old_parent:
            if new_parent is not None:
                self.state["tickets"][new_parent]["hasChildTicket"] = True
            if old_parent is not None:
                self._recompute_has_child(old_parent)
        for entry in self._ticket_time_entries(ticket["id"]):  # a time entry shows its ticket's company
            if entry["company"]["id"] != ticket["company"]["id"]:
                entry["company"] = dict(ticket["company"])
        return ticket

    def _default_status(self, board_id: int) -> dict:
        return next(s for s in self.state["statuses"].values() if s["board"]["id"] == board_id and s["defaultFlag"])

    def _resolve_ticket_ref(self, name: str, value: Any, draft: dict) -> dict | None:
        """The reference ``value`` names (by id, or by name/identifier), in the served shape; None when the
        sandbox has no such record (or none valid on the ticket's board)."""
        state = self.state
        board_id = draft["board"]["id"]
        if name == "board":
            board = self._find_by(state["boards"], value, ("name",))
            return {"id": board["id"], "name": board["name"]} if board else None
        if name == "status":
            status = self._find_status(value, state["boards"].get(board_id))
            return _status_ref(status) if status else None
        if name == "priority":
            prio = self._find_by(state["priorities"], value, ("name",))
            return _priority_ref(prio) if prio else None
        if name == "company":
            company = self._find_company(value)
            return {"id": company["id"], "identifier": company["identifier"], "name": company["name"]} if company else None
        if name == "contact":
            contact = self._find_contact(value)
            return _contact_ref(contact) if contact else None
        if name == "owner":
            member = self._find_member(value)
            return member_ref(member) if member else None
        if name in ("type", "subType", "item"):
            table = {"type": "types", "subType": "subtypes", "item": "items"}[name]
            on_board = {k: t for k, t in state[table].items() if t["board"]["id"] == board_id}
            found = self._find_by(on_board, value, ("name",))
            if found is None:
                return None
            if name == "subType" and draft.get("type") and draft["type"].get("id") not in found["typeAssociationIds"]:
                return None
            return {"id": found["id"], "name": found["name"]}
        if name == "site":
            company = state["companies"].get((draft.get("company") or {}).get("id"), {})
            site = company.get("site")
            ok = site and (value.get("id") == site["id"] or (value.get("id") is None and
                                                            str(value.get("name", "")).lower() == site["name"].lower()))
            return {"id": site["id"], "name": site["name"]} if ok else None
        fixed = {"sla": dict(SLAS), "serviceLocation": dict(SERVICE_LOCATIONS), "source": dict(SOURCES)}
        if name in fixed:
            names = fixed[name]
            rid = value.get("id")
            if rid is None and isinstance(value.get("name"), str):
                rid = next((k for k, n in names.items() if n.lower() == value["name"].strip().lower()), None)
            return {"id": rid, "name": names[rid]} if rid in names else None
        if name in ("workType", "workRole"):
            found = self._find_by(state["work_types" if name == "workType" else "work_roles"], value, ("name",))
            return {"id": found["id"], "name": found["name"]} if found else None
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

    def _find_contact(self, ref: Any) -> dict | None:
        """By id, else by name ("First Last", any case)."""
        if isinstance(ref, dict) and ref.get("id") is None and isinstance(ref.get("name"), str):
            want = " ".join(ref["name"].split()).lower()
            return next((c for c in self.state["contacts"].values()
                         if f"{c['firstName']} {c['lastName']}".lower() == want), None)
        return self._find_by(self.state["contacts"], ref, ())

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

    def count_notes(self, req):
        tid = self._ticket(req.route_args["parentId"])["id"]
        return self._count(req, list(self.state["notes"].get(tid, [])), "notes")

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

    def _time_entry_note(self, entry: dict, ticket: dict) -> dict:
        """A time entry shown on its ticket (addTo*Flag): allNotes' TimeEntryNote (API-NOTES 11.2, inferred)."""
        out = {"id": entry["id"], "noteType": "TimeEntryNote", "ticket": {"id": ticket["id"], "summary": ticket["summary"]},
               "text": entry.get("notes", ""), "isMarkdownFlag": False,
               "detailDescriptionFlag": bool(entry.get("addToDetailDescriptionFlag")),
               "internalAnalysisFlag": bool(entry.get("addToInternalAnalysisFlag")),
               "resolutionFlag": bool(entry.get("addToResolutionFlag")), "timeStart": entry["timeStart"],
               "bundledFlag": False, "mergedFlag": False, "issueFlag": False, "createdByParentFlag": False,
               "originalAuthor": entry.get("enteredBy", API_MEMBER), "member": dict(entry["member"]),
               "_info": {"dateCreated": entry.get("dateEntered", entry["timeStart"]),
                         "lastUpdated": entry["_info"]["lastUpdated"], "updatedBy": entry["_info"]["updatedBy"]}}
        if entry.get("timeEnd"):
            out["timeEnd"] = entry["timeEnd"]
        return out

    def list_all_notes(self, req):
        ticket = self._ticket(req.route_args["parentId"])
        tid = ticket["id"]
        rows = [self._all_note(n) for n in self.state["notes"].get(tid, [])]
        rows += [self._time_entry_note(e, ticket) for e in self._ticket_time_entries(tid) if e.get("notes")
                 and (e.get("addToDetailDescriptionFlag") or e.get("addToInternalAnalysisFlag")
                      or e.get("addToResolutionFlag"))]
        return self._list(req, rows, "all_notes")

    def create_note(self, req):
        ticket = self._ticket(req.route_args["parentId"])
        body = req.json()
        bound, problems = cw_schema.bind("ServiceNote", body)
        if not isinstance(body, dict):
            raise _invalid("serviceNote", [("InvalidObject", "body", "A note object is required.")])
        errors = [tuple(p) for p in problems]
        bad = {p.field.split("/")[0] for p in problems}
        text = bound.get("text")
        if "text" not in bad and (not isinstance(text, str) or not text.strip()):
            errors.append(("NullValue", "text", "Text is required."))
        flags = {f: bound.get(f) for f in ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")}
        if not bad & set(flags) and not any(v is True for v in flags.values()):
            errors.append(("InvalidObject", "detailDescriptionFlag",
                           "At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true."))
        member = contact = None
        if bound.get("member") is not None:
            member = self._find_member(bound["member"])
            if member is None:
                errors.append(("InvalidReference", "member", "The member was not found."))
        if bound.get("contact") is not None:
            contact = self._find_contact(bound["contact"])
            if contact is None:
                errors.append(("InvalidReference", "contact", "The contact was not found."))
        if errors:
            raise _invalid("serviceNote", errors)
        kind = ("discussion" if flags["detailDescriptionFlag"] else "internal" if flags["internalAnalysisFlag"]
                else "resolution")
        note = make_note(self._next_id("note"), ticket["id"], text, kind, member, _now_dt(),
                         contact=_contact_ref(contact) if contact else None)
        for fld in flags:
            note[fld] = bool(flags[fld])
        note["internalFlag"] = bound["internalFlag"] if isinstance(bound.get("internalFlag"), bool) else \
            note["internalAnalysisFlag"]
        note["externalFlag"] = bound["externalFlag"] if isinstance(bound.get("externalFlag"), bool) else \
            (note["detailDescriptionFlag"] or note["resolutionFlag"])
        for fld in ("issueFlag", "customerUpdatedFlag", "processNotifications", "sentimentScore"):
            if bound.get(fld) is not None:
                note[fld] = bound[fld]
        self.state["notes"].setdefault(ticket["id"], []).append(note)
        ticket["_info"]["lastUpdated"] = note["dateCreated"]
        ticket["_info"]["updatedBy"] = note["createdBy"]
        return 201, link("notes", note), []

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

    def remove_ticket_configuration(self, req):
        """DELETE /service/tickets/{id}/configurations/{configId}: unlink (the configuration itself stays)."""
        tid = self._ticket(req.route_args["parentId"])["id"]
        cid = req.route_args["id"]
        linked = self.state["ticket_configurations"].get(tid, [])
        if cid not in linked:
            raise _not_found("Configuration", cid)
        linked.remove(cid)
        if not linked:
            del self.state["ticket_configurations"][tid]
        return 204, None, []

    # --- schedule ----------------------------------------------------------------------------

    def list_schedule_types(self, req):
        return self._list(req, list(self.state["schedule_types"].values()), "schedule_types")

    def list_entries(self, req):
        return self._list(req, self._candidates(req, "entries", "objectId", self._ticket_entries), "entries")

    def count_entries(self, req):
        return self._count(req, self._candidates(req, "entries", "objectId", self._ticket_entries), "entries")

    def _candidates(self, req: _Request, collection: str, key: str, records_of) -> list[dict]:
        """The records a list or count is evaluated over: all of ``collection``; at scale, when the conditions
        require ``key = <number>``, only ``records_of(number)`` (the same answer: a record without that value
        cannot match; ids in the same order)."""
        if self.world is not None:
            value = _required_number(req, key)
            if value is not None:
                return records_of(value)
        return list(self.state[collection].values())

    def _entry(self, entry_id: int) -> dict:
        entry = self.state["entries"].get(entry_id)
        if entry is None:
            raise _not_found("ScheduleEntry", entry_id)
        return entry

    def get_entry(self, req):
        return self._one(req, self._entry(req.route_args["id"]), "entries")

    def create_entry(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("scheduleEntry", [("InvalidObject", "body", "A schedule entry object is required.")])
        problems = cw_schema.validate_write("ScheduleEntry", body)
        bad = {p.field.split("/")[0] for p in problems}
        errors = [tuple(p) for p in problems]
        if "member" not in bad and body.get("member") in (None, {}):
            errors.append(("NullValue", "member", "Member is required."))
            bad.add("member")
        if "type" in bad:  # without a type nothing else can be checked (objectId's meaning depends on it)
            raise _invalid("scheduleEntry", errors)
        now_dt = _now_dt()
        draft: dict = {"objectId": 0, "name": "", "where": dict(_LOCATION_REFS[1]), "status": {"id": 2, "name": "Firm"},
                       "span": {"id": 1, "identifier": "None"}, "doneFlag": False, "acknowledgedFlag": False,
                       "ownerFlag": False, "meetingFlag": False, "allowScheduleConflictsFlag": True,
                       "addMemberToProjectFlag": False, "dateStart": iso(now_dt),
                       "_info": {"lastUpdated": iso(now_dt), "updatedBy": API_MEMBER, "dateEntered": iso(now_dt)}}
        ops = [{"op": "replace", "path": k, "value": v} for k, v in body.items()
               if isinstance(k, str) and k.split("/")[0] not in bad]
        errors += self._entry_changes(draft, ops, creating=True)
        if errors:
            raise _invalid("scheduleEntry", errors)
        if "dateEnd" not in draft:
            draft["dateEnd"] = iso(_parse_iso(draft["dateStart"]) + timedelta(hours=1))
        draft["hours"] = _hours_between(draft["dateStart"], draft["dateEnd"])
        if not draft["name"]:
            ticket = self.state["tickets"].get(draft["objectId"]) if draft["type"]["identifier"] == "S" else None
            draft["name"] = f"{ticket['company']['name']} / {ticket['summary']}" if ticket else \
                self.state["schedule_types"][draft["type"]["id"]]["name"]
        entry = {"id": self._next_id("entry"), **draft}
        self.state["entries"][entry["id"]] = entry
        self._touch_entry_ticket(entry)
        return 201, link("entries", entry), []

    def patch_entry(self, req):
        entry = self._entry(req.route_args["id"])
        body = req.json()
        if not isinstance(body, list) or not body:
            raise _invalid("scheduleEntry", [("InvalidObject", "body", "A PATCH body must be a non-empty JSON array.")])
        draft = json.loads(json.dumps(entry))
        errors = self._entry_changes(draft, body, creating=False)
        if errors:
            raise _invalid("scheduleEntry", errors)
        if draft.get("dateStart") and draft.get("dateEnd"):
            draft["hours"] = _hours_between(draft["dateStart"], draft["dateEnd"])
        draft["_info"]["lastUpdated"] = _now()
        draft["_info"]["updatedBy"] = API_MEMBER
        old_object = entry["objectId"] if entry["type"]["identifier"] == "S" else None
        entry.clear()
        entry.update(draft)
        self._touch_entry_ticket(entry)
        if old_object is not None:  # moved to another ticket or made another type: the old ticket loses it
            self._touch_entry_ticket({"type": {"identifier": "S"}, "objectId": old_object})
        return 200, link("entries", entry), []

    def _entry_changes(self, draft: dict, ops: list, *, creating: bool) -> list[tuple[str, str, str]]:
        """PATCH-style operations on a schedule entry draft (also a POST body's fields); the problems."""
        errors: list[tuple[str, str, str]] = []
        changes: list[tuple[str, Any]] = []
        for op in ops:
            if not isinstance(op, dict) or not isinstance(op.get("path"), str) or \
                    str(op.get("op", "replace")).lower() not in ("add", "replace", "remove"):
                errors.append(("InvalidObject", "operations", "Each operation needs 'op' (add, replace or remove) "
                                                              "and 'path'."))
                continue
            path = "/".join(p for p in op["path"].strip("/").split("/") if p)
            ft, top = cw_schema.field("ScheduleEntry", path), cw_schema.field("ScheduleEntry", path.split("/")[0])
            if ft is None or ft.info or top is None:
                if not creating:  # a body's unknown members are ignored (Json.NET); an unknown PATCH path is not
                    errors.append(("UnknownField", path or "path", f"ScheduleEntry has no field '{path}'."))
                continue
            if top.read_only:
                if not creating:
                    errors.append(("ReadOnlyField", top.path, f"The field '{top.path}' cannot be updated."))
                continue
            if str(op.get("op")).lower() == "remove":
                changes.append((top.path, None))
                continue
            value, problems = cw_schema.bind_field("ScheduleEntry", ft.path, op.get("value"))
            if problems:
                errors += [tuple(p) for p in problems]
                continue
            for key in reversed(ft.path.split("/")[1:]):
                value = {key: value}
            changes.append((top.path, value))
        # the type first: whether objectId must name a ticket depends on it
        for name, value in sorted(changes, key=lambda c: c[0] != "type"):
            if value is None or value == {}:
                if name in ("type", "member"):
                    errors.append(("NullValue", name, f"{name.capitalize()} is required."))
                elif name in ("dateStart",):
                    errors.append(("NullValue", name, "dateStart is required."))
                else:
                    draft.pop(name, None)
                continue
            if name == "type":
                stype = self._find_by(self.state["schedule_types"], value, ("identifier", "name"))
                if stype is None:
                    errors.append(("InvalidReference", "type", "The schedule type was not found."))
                else:
                    draft["type"] = {"id": stype["id"], "identifier": stype["identifier"]}
            elif name == "member":
                member = self._find_member(value)
                if member is None:
                    errors.append(("InvalidReference", "member", "The member was not found."))
                else:
                    draft["member"] = member_ref(member)
            elif name == "where":
                rid = value.get("id")
                if rid is None and isinstance(value.get("name"), str):
                    rid = next((k for k, n in SERVICE_LOCATIONS if n.lower() == value["name"].strip().lower()), None)
                if rid not in _LOCATION_REFS:
                    errors.append(("InvalidReference", "where", "The service location was not found."))
                else:
                    draft["where"] = dict(_LOCATION_REFS[rid])
            else:
                draft[name] = value
        if errors:
            return errors
        if draft.get("type") is None:
            return [("NullValue", "type", "Type is required.")]
        if draft["type"]["identifier"] == "S":
            if not draft.get("objectId"):
                errors.append(("NullValue", "objectId", "objectId (the ticket id) is required for service entries."))
            elif draft["objectId"] not in self.state["tickets"]:
                errors.append(("InvalidReference", "objectId", f"Ticket {draft['objectId']} was not found."))
        if draft.get("dateStart") and draft.get("dateEnd") and _parse_iso(draft["dateEnd"]) < _parse_iso(draft["dateStart"]):
            errors.append(("InvalidDate", "dateEnd", "dateEnd must not be before dateStart."))
        return errors

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
        recompute_resources(self.state, ticket["id"],
                            self.world.entries_of(ticket["id"]) if self.world is not None else None)
        if ticket.get("resources") != before:
            ticket["_info"]["lastUpdated"] = _now()
            ticket["_info"]["updatedBy"] = API_MEMBER

    # --- time --------------------------------------------------------------------------------

    def _time_entry_view(self, entry: dict) -> dict:
        """A time entry as served: the ticket fields ConnectWise reads from the ticket at the time of asking."""
        ticket = self.state["tickets"].get(entry.get("chargeToId")) if entry.get("chargeToType") in _TICKET_CHARGES \
            else None
        if ticket is None:
            return entry
        return {**entry, "ticket": {"id": ticket["id"], "summary": ticket["summary"]},
                "ticketBoard": ticket["board"]["name"], "ticketStatus": ticket["status"]["name"],
                "ticketType": (ticket.get("type") or {}).get("name", ""),
                "ticketSubType": (ticket.get("subType") or {}).get("name", "")}

    def _time_entries(self, req: _Request) -> list[dict]:
        charged = self.world.time_entries_charged if self.world is not None else None
        return [self._time_entry_view(e) for e in self._candidates(req, "time_entries", "chargeToId", charged)]

    def list_time_entries(self, req):
        return self._list(req, self._time_entries(req), "time_entries")

    def count_time_entries(self, req):
        return self._count(req, self._time_entries(req), "time_entries")

    def _time_entry(self, entry_id: int) -> dict:
        entry = self.state["time_entries"].get(entry_id)
        if entry is None:
            raise _not_found("TimeEntry", entry_id)
        return entry

    def get_time_entry(self, req):
        return self._one(req, self._time_entry_view(self._time_entry(req.route_args["id"])), "time_entries")

    def _ticket_time_refs(self, req) -> list[dict]:
        tid = self._ticket(req.route_args["parentId"])["id"]
        return [{"id": e["id"], "_info": {"timeEntry_href": f"{API_PREFIX}/time/entries/{e['id']}"}}
                for e in self._ticket_time_entries(tid)]

    def list_ticket_time_entries(self, req):
        return self._list(req, self._ticket_time_refs(req), "time_entry_refs")

    def count_ticket_time_entries(self, req):
        return self._count(req, self._ticket_time_refs(req), "time_entry_refs")

    def create_time_entry(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise _invalid("timeEntry", [("InvalidObject", "body", "A time entry object is required.")])
        # ``company`` is computed for ticket time but names the company when time is charged to one
        # ("If chargeToId is not specified, we asume you enter time against the company specified").
        fields = {k: v for k, v in body.items() if not (isinstance(k, str) and k.lower() == "company")}
        company = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "company"), None)
        bound, problems = cw_schema.bind("TimeEntry", fields)
        bound.pop("hourlyRate", None)  # "may only be Updated, it is defaulted on Create"
        errors = [tuple(p) for p in problems]
        if company is not None:
            company, company_problems = cw_schema.bind("CompanyReference", company, partial=True)
            errors += [(c, "company" + ("/" + f if f != "body" else ""), m) for c, f, m in company_problems]
        if errors:
            raise _invalid("timeEntry", errors)
        entry, errors = self._build_time_entry(bound, company, None)
        if errors:
            raise _invalid("timeEntry", errors)
        entry = {"id": self._next_id("time_entry"), **entry}
        self.state["time_entries"][entry["id"]] = entry
        self._touch_time_ticket(entry)
        return 201, link("time_entries", self._time_entry_view(entry)), []

    def replace_time_entry(self, req):
        """PUT: a whole time entry (as read back: read-only fields are ignored)."""
        entry = self._time_entry(req.route_args["id"])
        body = req.json()
        bound, problems = cw_schema.bind("TimeEntry", body, allow_read_only=True)
        if problems:
            raise _invalid("timeEntry", [tuple(p) for p in problems])
        return self._save_time_entry(entry, bound)

    def patch_time_entry(self, req):
        entry = self._time_entry(req.route_args["id"])
        body = req.json()
        if not isinstance(body, list) or not body:
            raise _invalid("timeEntry", [("InvalidObject", "body", "A PATCH body must be a non-empty JSON array.")])
        fields: dict[str, Any] = {}
        errors: list[tuple[str, str, str]] = []
        for op in body:
            if not isinstance(op, dict) or not isinstance(op.get("path"), str) or \
                    str(op.get("op", "replace")).lower() not in ("add", "replace", "remove"):
                errors.append(("InvalidObject", "operations", "Each operation needs 'op' (add, replace or remove) "
                                                              "and 'path'."))
                continue
            path = "/".join(p for p in op["path"].strip("/").split("/") if p)
            ft, top = cw_schema.field("TimeEntry", path), cw_schema.field("TimeEntry", path.split("/")[0])
            if ft is None or ft.info or top is None:
                errors.append(("UnknownField", path or "path", f"TimeEntry has no field '{path}'."))
                continue
            if str(op.get("op")).lower() == "remove":
                if top.read_only:
                    errors.append(("ReadOnlyField", top.path, f"The field '{top.path}' cannot be updated."))
                fields[top.path] = None
                continue
            value, problems = cw_schema.bind_field("TimeEntry", ft.path, op.get("value"))
            if problems:
                errors += [tuple(p) for p in problems]
                continue
            for key in reversed(ft.path.split("/")[1:]):
                value = {key: value}
            fields[top.path] = value
        if errors:
            raise _invalid("timeEntry", errors)
        return self._save_time_entry(entry, fields)

    def _save_time_entry(self, entry: dict, fields: dict):
        updated, errors = self._build_time_entry(fields, None, entry)
        if errors:
            raise _invalid("timeEntry", errors)
        before = (entry.get("chargeToType"), entry.get("chargeToId"))
        entry.clear()
        entry.update(updated)
        self._touch_time_ticket(entry)
        if before != (entry.get("chargeToType"), entry.get("chargeToId")) and before[0] in _TICKET_CHARGES:
            self._touch_time_ticket({"chargeToType": before[0], "chargeToId": before[1]})
        return 200, link("time_entries", self._time_entry_view(entry)), []

    def delete_time_entry(self, req):
        entry = self._time_entry(req.route_args["id"])
        del self.state["time_entries"][entry["id"]]
        self._touch_time_ticket(entry)
        return 204, None, []

    def _touch_time_ticket(self, entry: dict) -> None:
        if entry.get("chargeToType") not in _TICKET_CHARGES or entry.get("chargeToId") not in self.state["tickets"]:
            return
        ticket = self.state["tickets"][entry["chargeToId"]]
        recompute_actual_hours(self.state, ticket["id"], {e["id"]: e for e in self._ticket_time_entries(ticket["id"])}
                               if self.world is not None else None)
        ticket["_info"]["lastUpdated"] = _now()
        ticket["_info"]["updatedBy"] = API_MEMBER

    def _build_time_entry(self, fields: dict, company: dict | None, current: dict | None
                          ) -> tuple[dict, list[tuple[str, str, str]]]:
        """The time entry ``fields`` (bound by the schema) describe, with ConnectWise's defaults and derived
        values, merged over ``current`` (PATCH/PUT); or the problems. Defaults (inferred, API-NOTES 11.2/11.3):
        no member = the API member; work type = the overall default; work role = the member's; billable
        option = the work type's billTime; actualHours = timeEnd - timeStart - hoursDeduct; timeEnd =
        timeStart + actualHours when only the hours are sent; hourlyRate = the role's rate adjusted by the type."""
        errors: list[tuple[str, str, str]] = []
        state = self.state
        out = dict(current) if current else {}
        for key in ("ticket", "ticketBoard", "ticketStatus", "ticketType", "ticketSubType"):
            out.pop(key, None)
        # charge: a ticket (whose company it is), or a company
        charge_type = fields.get("chargeToType", out.get("chargeToType"))
        charge_id = fields.get("chargeToId", out.get("chargeToId"))
        ticket = None
        if charge_id is not None and charge_type in (None, *_TICKET_CHARGES):
            ticket = state["tickets"].get(charge_id)
            if ticket is None:
                errors.append(("InvalidReference", "chargeToId", f"Ticket {charge_id} was not found."))
            charge_type = charge_type or "ServiceTicket"
        elif charge_type == "Company" and company is None and charge_id is not None:
            company = {"id": charge_id}
        if charge_id is None and charge_type in _TICKET_CHARGES:
            errors.append(("NullValue", "chargeToId", f"chargeToId (the ticket id) is required for {charge_type}."))
        if ticket is not None:
            out["company"] = dict(ticket["company"])
        elif charge_type not in _TICKET_CHARGES and (company is not None or not out.get("company")):
            found = self._find_company(company) if company else None
            if found is None:
                errors.append(("NullValue" if not company else "InvalidReference", "company",
                               "Time not charged to a ticket needs the company it is for." if not company
                               else "The company was not found."))
            else:
                out["company"] = {"id": found["id"], "identifier": found["identifier"], "name": found["name"]}
            charge_type = charge_type or "Company"
        out["chargeToType"] = charge_type
        if charge_id is None:
            out.pop("chargeToId", None)
        else:
            out["chargeToId"] = charge_id
        # member, work type, work role: what is sent, else what the entry has, else the defaults
        member = None
        sent = fields.get("member") if "member" in fields else out.get("member")
        if sent not in (None, {}) and sent.get("identifier") != API_MEMBER:
            member = self._find_member(sent)
            if member is None:
                errors.append(("InvalidReference", "member", "The member was not found."))
        out["member"] = member_ref(member) if member else {"identifier": API_MEMBER, "name": "API Member"}
        work_type = role = None
        sent = fields.get("workType") if "workType" in fields else out.get("workType")
        if sent not in (None, {}):
            work_type = self._find_by(state["work_types"], sent, ("name",))
            if work_type is None:
                errors.append(("InvalidReference", "workType", "The work type was not found."))
        work_type = work_type or next(w for w in state["work_types"].values() if w["overallDefaultFlag"])
        out["workType"] = {"id": work_type["id"], "name": work_type["name"]}
        sent = fields.get("workRole") if "workRole" in fields else out.get("workRole")
        if sent not in (None, {}):
            role = self._find_by(state["work_roles"], sent, ("name",))
            if role is None:
                errors.append(("InvalidReference", "workRole", "The work role was not found."))
        role = role or state["work_roles"].get(((member or {}).get("workRole") or {}).get("id")) or \
            next(iter(state["work_roles"].values()))
        out["workRole"] = {"id": role["id"], "name": role["name"]}
        # times and hours: sent times derive the hours again, sent hours the end again
        if {"timeStart", "timeEnd", "hoursDeduct"} & set(fields) and "actualHours" not in fields:
            out.pop("actualHours", None)
        elif "actualHours" in fields and "timeEnd" not in fields:
            out.pop("timeEnd", None)
        for key in ("timeStart", "timeEnd", "hoursDeduct", "actualHours"):
            if key in fields:
                out[key] = fields[key]
            if out.get(key) is None:
                out.pop(key, None)
        if not out.get("timeStart"):
            errors.append(("NullValue", "timeStart", "timeStart is required."))
        elif not errors:
            start = _parse_iso(out["timeStart"])
            deduct = float(out.get("hoursDeduct") or 0)
            if deduct < 0:
                errors.append(("InvalidValue", "hoursDeduct", "hoursDeduct must not be negative."))
            if out.get("actualHours") is not None and out["actualHours"] < 0:
                errors.append(("InvalidValue", "actualHours", "actualHours must not be negative."))
            elif out.get("timeEnd"):
                end = _parse_iso(out["timeEnd"])
                if end < start:
                    errors.append(("InvalidDate", "timeEnd", "timeEnd must not be before timeStart."))
                elif out.get("actualHours") is None:
                    out["actualHours"] = round(max((end - start).total_seconds() / 3600 - deduct, 0), 2)
            elif out.get("actualHours") is not None:
                out["timeEnd"] = iso(start + timedelta(hours=float(out["actualHours"]) + deduct))
            else:
                out["actualHours"] = 0.0
        # the rest: billability, notes, flags, rates
        out["billableOption"] = fields.get("billableOption") or out.get("billableOption") or work_type["billTime"]
        for key, value in fields.items():
            if key in _time_entry_plain_fields():
                if value is None:
                    out.pop(key, None)
                else:
                    out[key] = value
        if errors:
            return out, errors
        if current and fields.get("hourlyRate") is not None:
            out["hourlyRate"] = fields["hourlyRate"]
        elif not current or "workType" in fields or "workRole" in fields or out.get("hourlyRate") is None:
            out["hourlyRate"] = rate_for(role, work_type)
        hours = float(out.get("actualHours") or 0)
        billed = hours if out["billableOption"] == "Billable" else 0.0
        out["hoursBilled"] = out["invoiceHours"] = billed
        now = _now()
        out.setdefault("status", "Open")
        out.setdefault("companyType", "Client")
        out.setdefault("enteredBy", (member or {}).get("identifier", API_MEMBER))
        out.setdefault("dateEntered", now)
        for flag in ("addToDetailDescriptionFlag", "addToInternalAnalysisFlag", "addToResolutionFlag",
                     "emailResourceFlag", "emailContactFlag", "emailCcFlag"):
            out.setdefault(flag, False)
        out["_info"] = {**(out.get("_info") or {}), "lastUpdated": now, "updatedBy": API_MEMBER}
        return out, errors

    def list_work_types(self, req):
        return self._list(req, list(self.state["work_types"].values()), "work_types")

    def get_work_type(self, req):
        found = self.state["work_types"].get(req.route_args["id"])
        if found is None:
            raise _not_found("WorkType", req.route_args["id"])
        return self._one(req, found, "work_types")

    def list_work_roles(self, req):
        return self._list(req, list(self.state["work_roles"].values()), "work_roles")

    def get_work_role(self, req):
        found = self.state["work_roles"].get(req.route_args["id"])
        if found is None:
            raise _not_found("WorkRole", req.route_args["id"])
        return self._one(req, found, "work_roles")


# --- module helpers ------------------------------------------------------------------------------

# Ticket fields ConnectWise derives (closedFlag from the status, actualHours from the time entries):
# refused on POST/PATCH, ignored on PUT like the schema's read-only fields.
_TICKET_DERIVED = frozenset({"closedFlag", "actualHours"})
# References resolved against the sandbox's own records (others are stored as sent).
_TICKET_RESOLVED = frozenset({"board", "status", "priority", "company", "contact", "owner", "type", "subType", "item",
                              "site", "sla", "serviceLocation", "source", "workType", "workRole"})
# Only meaningful on one board: applied after the board, and dropped when the board changes.
_BOARD_DEPENDENT = frozenset({"status", "type", "subType", "item", "team"})
_APPLY_ORDER = {"status": 1, "type": 1, "team": 1, "subType": 2, "item": 2}  # the rest (0) first, board included
_TICKET_CHARGES = ("ServiceTicket", "ProjectTicket")  # the chargeToType of time worked on a ticket
_LOCATION_REFS = {rid: {"id": rid, "name": name} for rid, name in SERVICE_LOCATIONS}
# TimeEntry fields stored as sent (bound by the schema); the others are resolved or derived in _build_time_entry.
_TIME_ENTRY_DERIVED = frozenset({"chargeToType", "chargeToId", "member", "workType", "workRole", "timeStart", "timeEnd",
                                 "hoursDeduct", "actualHours", "billableOption", "hourlyRate", "company"})


@functools.cache
def _time_entry_plain_fields() -> frozenset[str]:
    return frozenset(path for path, ft in cw_schema.fields("TimeEntry").items()
                     if "/" not in path and not ft.read_only) - _TIME_ENTRY_DERIVED


def _parse_iso(text: str) -> datetime:
    """A date-time the schema binder already normalised (``…Z``)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _hours_between(start: str, end: str) -> float:
    return round((_parse_iso(end) - _parse_iso(start)).total_seconds() / 3600, 2)

_ROUTE_TABLE = [
    (r"/system/info", {"GET": "system_info"}),
    (r"/system/members", {"GET": "list_members"}),
    (r"/system/members/count", {"GET": "count_members"}),
    (r"/system/members/(?P<id>\d+)", {"GET": "get_member"}),
    (r"/service/boards", {"GET": "list_boards"}),
    (r"/service/boards/count", {"GET": "count_boards"}),
    (r"/service/boards/(?P<id>\d+)", {"GET": "get_board"}),
    (r"/service/boards/(?P<parentId>\d+)/statuses", {"GET": "list_board_statuses"}),
    (r"/service/boards/(?P<parentId>\d+)/statuses/(?P<id>\d+)", {"GET": "get_board_status"}),
    (r"/service/boards/(?P<parentId>\d+)/types", {"GET": "list_board_types"}),
    (r"/service/boards/(?P<parentId>\d+)/subtypes", {"GET": "list_board_subtypes"}),
    (r"/service/boards/(?P<parentId>\d+)/items", {"GET": "list_board_items"}),
    (r"/service/boards/(?P<parentId>\d+)/typeSubTypeItemAssociations", {"GET": "list_board_associations"}),
    (r"/service/priorities", {"GET": "list_priorities"}),
    (r"/company/companies", {"GET": "list_companies", "POST": "create_company"}),
    (r"/company/companies/count", {"GET": "count_companies"}),
    (r"/company/companies/(?P<id>\d+)", {"GET": "get_company"}),
    (r"/company/contacts", {"GET": "list_contacts"}),
    (r"/company/contacts/(?P<id>\d+)", {"GET": "get_contact"}),
    (r"/company/configurations", {"GET": "list_configurations"}),
    (r"/company/configurations/(?P<id>\d+)", {"GET": "get_configuration"}),
    (r"/service/tickets", {"GET": "list_tickets", "POST": "create_ticket"}),
    (r"/service/tickets/count", {"GET": "count_tickets"}),
    (r"/service/tickets/(?P<id>\d+)",
     {"GET": "get_ticket", "PUT": "replace_ticket", "PATCH": "patch_ticket", "DELETE": "delete_ticket"}),
    (r"/service/tickets/(?P<parentId>\d+)/notes", {"GET": "list_notes", "POST": "create_note"}),
    (r"/service/tickets/(?P<parentId>\d+)/notes/count", {"GET": "count_notes"}),
    (r"/service/tickets/(?P<parentId>\d+)/allNotes", {"GET": "list_all_notes"}),
    (r"/service/tickets/(?P<parentId>\d+)/configurations",
     {"GET": "list_ticket_configurations", "POST": "add_ticket_configuration"}),
    (r"/service/tickets/(?P<parentId>\d+)/configurations/(?P<id>\d+)", {"DELETE": "remove_ticket_configuration"}),
    (r"/service/tickets/(?P<parentId>\d+)/timeentries", {"GET": "list_ticket_time_entries"}),
    (r"/service/tickets/(?P<parentId>\d+)/timeentries/count", {"GET": "count_ticket_time_entries"}),
    (r"/service/tickets/(?P<parentId>\d+)/attachChildren", {"POST": "attach_children"}),
    (r"/schedule/entries", {"GET": "list_entries", "POST": "create_entry"}),
    (r"/schedule/entries/count", {"GET": "count_entries"}),
    (r"/schedule/entries/(?P<id>\d+)", {"GET": "get_entry", "PATCH": "patch_entry", "DELETE": "delete_entry"}),
    (r"/schedule/types", {"GET": "list_schedule_types"}),
    (r"/time/entries", {"GET": "list_time_entries", "POST": "create_time_entry"}),
    (r"/time/entries/count", {"GET": "count_time_entries"}),
    (r"/time/entries/(?P<id>\d+)", {"GET": "get_time_entry", "PUT": "replace_time_entry", "PATCH": "patch_time_entry",
                                    "DELETE": "delete_time_entry"}),
    (r"/time/workTypes", {"GET": "list_work_types"}),
    (r"/time/workTypes/(?P<id>\d+)", {"GET": "get_work_type"}),
    (r"/time/workRoles", {"GET": "list_work_roles"}),
    (r"/time/workRoles/(?P<id>\d+)", {"GET": "get_work_role"}),
]
_ROUTES = [(re.compile(pattern, re.IGNORECASE), handlers) for pattern, handlers in _ROUTE_TABLE]
_TEXT_COLUMNS = frozenset({"companies", "contacts", "configurations"})  # searched by ``like`` at scale (issue 17)
_MEMO_HANDLERS = {"list_tickets", "count_tickets"}  # GETs whose whole answer ``memoize`` may remember


class _UnusableState(Exception):
    """A saved state file that cannot be loaded; the message says why."""


# Saved ids and the counter (``next_ids``) that hands out the next one, per collection.
_ID_COUNTERS = {"tickets": "ticket", "entries": "entry", "companies": "company", "time_entries": "time_entry"}
_LIST_VALUED = {"notes", "ticket_configurations"}  # ticket id -> notes / configuration ids; the rest id -> object
# Collections (and their id counter) added after files of this format version were first written: a file
# without them is still the same format. Reference data comes from the seed, time entries start empty.
_LATER_COLLECTIONS = {"work_types", "work_roles", "subtypes", "items", "associations", "time_entries"}
_LATER_COUNTERS = {"time_entry"}


def _scale_doc(scale: Scale) -> dict:
    """How a saved state names the scale it belongs to (its sizes: a state fits only the world it was made in)."""
    return json.loads(json.dumps(dataclasses.asdict(scale)))  # as read back: lists, not tuples


def _read_doc(path: Path) -> dict | None:
    """The saved JSON document in ``path`` (None when there is no file), checked for its format version."""
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
    return doc


def _read_state(path: Path, like: dict) -> dict | None:
    """The state saved in ``path`` (None when there is no file), shaped like ``like`` (the seed's state).

    JSON turns the collections' integer keys into strings: they are turned back here. Raises
    _UnusableState with the reason when the file cannot be used."""
    doc = _read_doc(path)
    if doc is None:
        return None
    saved = doc.get("state")
    if not isinstance(saved, dict) or not set(like) - _LATER_COLLECTIONS <= set(saved) <= set(like):
        raise _UnusableState("it does not hold the sandbox's collections")
    saved = {**{name: ({} if name == "time_entries" else json.loads(json.dumps(like[name])))
                for name in _LATER_COLLECTIONS - set(saved)}, **saved}
    state: dict = {}
    try:
        for name, table in saved.items():
            if name == "next_ids":
                if not isinstance(table, dict) or not set(like["next_ids"]) - _LATER_COUNTERS <= set(table) <= \
                        set(like["next_ids"]) or not all(type(v) is int for v in table.values()):
                    raise _UnusableState("its id counters are not the sandbox's")
                state[name] = {**{k: like["next_ids"][k] for k in _LATER_COUNTERS}, **table}
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


def _required_number(req: _Request, path: str) -> float | None:
    """The number the conditions of ``req`` require ``path`` to equal (``path = 250`` ANDed with the rest at the
    top level), read as the typed evaluator reads it; None when they do not require one."""
    resource = cw_schema.resource_for_path(req.path)
    node = q.parse_conditions(req.params.get("conditions")) if resource is not None else None
    stack = [node] if node is not None else []
    while stack:
        part = stack.pop()
        if isinstance(part, q.And):
            stack += [part.left, part.right]
        elif isinstance(part, q.Comparison) and part.op == "=" and part.path.lower() == path.lower() \
                and part.value is not None:
            value = q._literal(q._target(resource, part.path), part.value)
            return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return None


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


def _linked_fields(fields: list[list[str]]) -> set[str] | None:
    """The top-level fields a ``fields=`` answer keeps (None: all): only their references need hrefs."""
    return {path[0] for path in fields} if fields else None


def _origin(environ: dict) -> str:
    """``scheme://host[:port]`` the client called: the start of every absolute URL the sandbox answers with."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_default: CWSandbox | None = None
_default_lock = threading.Lock()


def default_sandbox(scale: str | Scale | None = None) -> CWSandbox:
    """The process-wide sandbox (random faults from the CW_SANDBOX_* environment variables).

    ``scale`` ("default", "large" or a ``scale.Scale``): the sandbox at that scale, built anew when the
    process-wide one is of another scale (``manage.py demo --scale large`` asks before anything connects; a
    provider built earlier keeps talking to the sandbox it was built with). None: whichever there is."""
    global _default
    wanted = scale_named(scale)
    if _default is None or (scale is not None and _default.scale != wanted):
        with _default_lock:
            if _default is None or (scale is not None and _default.scale != wanted):
                _default = CWSandbox(from_env=True, scale=wanted)
    return _default
