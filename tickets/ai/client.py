"""The one place the Anthropic API is reached from (the ticket parse and the Assist chat both come here).

* :func:`anthropic_client` builds the SDK client. Timeout and retries are always explicit: the SDK's
  default read timeout is ten minutes, far too long inside a request, so callers pass theirs and the
  connect timeout is capped at ``CONNECT_TIMEOUT_SECONDS``. Tests inject
  ``httpx2.Client(transport=httpx2.MockTransport(...))`` as ``http_client``; without one, each
  configuration gets one pooled client for the life of the process.
* :func:`call_within` gives a call **one deadline in total**. The SDK's timeout is per socket read, so
  a server that drip-feeds its answer could hold a request for as long as it keeps sending. The call
  runs in a worker thread and the caller stops waiting at the deadline; inside the worker, every
  request's timeouts are cut to what is left of the deadline and the response body stops being read
  once it has passed, so the worker ends too and its connection is closed.
* :func:`breaker_for` is the circuit breaker of one API key (``psa.capacity.CircuitBreaker``, its state
  in the shared cache), so an outage costs one timeout, not one per parse.
* :func:`note_failure` / :func:`note_success` keep the last problem of the deployment's key in the cache
  (kind, HTTP status, reason, time; never the key or a prompt), which the Integrations page shows to
  admins: a refused key is told apart from an outage.

``anthropic`` takes about two seconds to import and ``httpx2`` a tenth of that: both are imported
inside the functions that use them, so a deployment on the offline engine never loads them.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import datetime
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from psa.capacity import CircuitBreaker

if TYPE_CHECKING:
    import anthropic
    import httpx2

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 5.0
# Model calls in flight at once in one process; a call that finds them all busy waits its turn within its
# own deadline (and falls back when that passes).
CALL_THREADS = 8
PROBLEM_SECONDS = 24 * 60 * 60  # how long the Integrations page remembers the last problem

KEY_REFUSED = "key_refused"  # 401/403: the key is wrong or lacks permission; only an operator can fix it
REFUSED = "refused"  # another 4xx: the request was refused (e.g. an unknown ANTHROPIC_MODEL is a 404)
UNAVAILABLE = "unavailable"  # timeouts, refused connections, 429/5xx, unreadable answers

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("ai_call_deadline", default=None)
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=CALL_THREADS, thread_name_prefix="anthropic-call")


# --- the client ---------------------------------------------------------------------------------


def anthropic_client(*, api_key: str, timeout: float, max_retries: int,
                     http_client: httpx2.Client | None = None) -> anthropic.Anthropic:
    """An Anthropic client that gives up after ``timeout`` seconds and retries at most ``max_retries`` times.

    Its requests keep to the deadline of :func:`call_within` when they run inside one."""
    if http_client is not None:
        _watch(http_client)
        return _build(api_key, timeout, max_retries, http_client)
    return _pooled(api_key, timeout, max_retries)


def _build(api_key: str, timeout: float, max_retries: int, http_client: httpx2.Client) -> anthropic.Anthropic:
    import anthropic
    import httpx2

    return anthropic.Anthropic(
        api_key=api_key,
        timeout=httpx2.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
        max_retries=max_retries,
        http_client=http_client,
    )


@functools.lru_cache(maxsize=4)
def _pooled(api_key: str, timeout: float, max_retries: int) -> anthropic.Anthropic:
    import anthropic

    # The SDK's own defaults (connection limits, keep-alive, proxies from the environment), plus the hooks.
    return _build(api_key, timeout, max_retries, anthropic.DefaultHttpxClient(event_hooks=_deadline_hooks()))


def _watch(http_client: httpx2.Client) -> None:
    hooks = http_client.event_hooks
    http_client.event_hooks = {kind: hooks.get(kind, []) + [hook for hook in added if hook not in hooks.get(kind, [])]
                               for kind, added in _deadline_hooks().items()}


@functools.cache
def _deadline_hooks() -> dict[str, list[Callable]]:
    """httpx2 event hooks that hold a request to the deadline of the :func:`call_within` it runs in."""
    import httpx2

    class DeadlineStream(httpx2.SyncByteStream):
        """The response body, read only until the deadline: a drip-feeding server cannot hold the worker."""

        def __init__(self, stream: httpx2.SyncByteStream, deadline: float):
            self._stream, self._deadline = stream, deadline

        def __iter__(self):
            for chunk in self._stream:
                if time.monotonic() >= self._deadline:
                    raise httpx2.ReadTimeout("the answer was still arriving at the deadline")
                yield chunk

        def close(self) -> None:
            self._stream.close()

        @property
        def elapsed(self):
            return getattr(self._stream, "elapsed", None)

    def on_request(request: httpx2.Request) -> None:
        deadline = _deadline.get()
        if deadline is None:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpx2.PoolTimeout("the deadline passed before the request was sent", request=request)
        timeouts = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {
            name: left if timeouts.get(name) is None else min(timeouts[name], left)
            for name in ("connect", "read", "write", "pool")
        }

    def on_response(response: httpx2.Response) -> None:
        deadline = _deadline.get()
        if deadline is not None:
            response.stream = DeadlineStream(response.stream, deadline)

    return {"request": [on_request], "response": [on_response]}


# --- one deadline for the whole call ------------------------------------------------------------


class AIDeadlineExceeded(Exception):
    """The model call had no complete answer when its deadline passed."""


def call_within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``'s result, or ``AIDeadlineExceeded`` once ``seconds`` have passed, whatever the server does.

    ``call`` runs in a worker thread (it must not touch the database); its exceptions are raised here."""
    deadline = time.monotonic() + seconds
    future = _pool.submit(_run_until, deadline, call)
    try:
        return future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        future.cancel()  # still queued behind busy workers: it never starts
        raise AIDeadlineExceeded(f"no complete answer within {seconds:g} s") from None


def _run_until(deadline: float, call: Callable[[], T]) -> T:
    token = _deadline.set(deadline)
    try:
        return call()
    finally:
        _deadline.reset(token)


# --- the breaker and the last problem, per API key ----------------------------------------------


def key_id(api_key: str) -> str:
    """A short, one-way name for an API key (cache keys, logs): never the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


_breakers: dict[str, CircuitBreaker] = {}


def breaker_for(api_key: str) -> CircuitBreaker:
    """The circuit breaker of ``api_key``, shared by every worker process through the cache. It uses the PSA
    breaker's thresholds (``PSA_BREAKER_FAILURES`` failures within ``PSA_BREAKER_WINDOW_SECONDS`` open it
    for ``PSA_BREAKER_COOLDOWN_SECONDS``, then one call probes)."""
    name = key_id(api_key)
    # The probe may last the whole AI deadline, longer than a PSA call: no second probe meanwhile.
    return _breakers.setdefault(
        name, CircuitBreaker(f"anthropic:{name}", probe_seconds=float(settings.ANTHROPIC_TIMEOUT_SECONDS)))


@dataclass(frozen=True)
class AIProblem:
    """The last thing that went wrong with the AI service (nothing secret: fit for the Integrations page)."""

    kind: str  # KEY_REFUSED, REFUSED or UNAVAILABLE
    reason: str  # "HTTP 401", "no complete answer within 20 s", "an unreadable answer", ...
    status: int | None  # the HTTP status when the API answered with an error
    at: float  # seconds since the epoch

    @property
    def seen(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.at, tz=datetime.UTC)

    @property
    def is_outage(self) -> bool:
        """Counts against the breaker: the service is down or overloaded, or refuses the key."""
        return self.kind in (UNAVAILABLE, KEY_REFUSED)


def _problem_key(api_key: str) -> str:
    return f"ai-engine:problem:{key_id(api_key)}"


def problem_for(error: BaseException) -> AIProblem | None:
    """What ``error``, raised by a model call, says about the service; None when it is not a call failure."""
    import anthropic
    import httpx2

    now = time.time()
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        if status in (401, 403):
            return AIProblem(KEY_REFUSED, f"HTTP {status}", status, now)
        if status in (408, 409, 429) or status >= 500:
            return AIProblem(UNAVAILABLE, f"HTTP {status}", status, now)
        return AIProblem(REFUSED, f"HTTP {status}", status, now)
    if isinstance(error, AIDeadlineExceeded | anthropic.APITimeoutError | httpx2.TimeoutException):
        return AIProblem(UNAVAILABLE, str(error) if isinstance(error, AIDeadlineExceeded) else "a timeout", None, now)
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        return AIProblem(UNAVAILABLE, "the connection failed", None, now)
    if isinstance(error, ValueError | anthropic.AnthropicError | httpx2.HTTPError):
        # a 200 whose body is empty, truncated JSON or not UTF-8 (the SDK raises JSON/Unicode errors)
        return AIProblem(UNAVAILABLE, "an unreadable answer", None, now)
    return None


def note_failure(api_key: str, error: BaseException) -> AIProblem | None:
    """Remember ``error`` as the key's last problem (for admins); returns it, or None for a non-call error."""
    problem = problem_for(error)
    if problem is None:
        return None
    cache.set(_problem_key(api_key), asdict(problem), timeout=PROBLEM_SECONDS)
    if problem.kind == KEY_REFUSED:
        log.error("the Anthropic API refused the key %s (%s): set a valid ANTHROPIC_API_KEY",
                  key_id(api_key), problem.reason)
    return problem


def note_success(api_key: str) -> None:
    """The service answered: forget the key's last problem."""
    cache.delete(_problem_key(api_key))


def last_problem(api_key: str) -> AIProblem | None:
    """The key's last problem, if it has had no good answer since."""
    stored: Any = cache.get(_problem_key(api_key))
    if not isinstance(stored, dict):
        return None
    try:
        return AIProblem(**stored)
    except TypeError:  # written by an older version of this module
        return None


# --- what the Integrations page shows -----------------------------------------------------------


@dataclass(frozen=True)
class EngineStatus:
    """The AI engine of this deployment as admins see it: which engine parses, and what went wrong last."""

    engine: str  # "anthropic" or "offline"
    model: str
    problem: AIProblem | None
    message: str | None  # what the problem means and who can fix it


def engine_status() -> EngineStatus:
    api_key = getattr(settings, "ANTHROPIC_API_KEY", "") or ""
    model = settings.ANTHROPIC_MODEL
    if not api_key:
        return EngineStatus("offline", model, None, None)
    problem = last_problem(api_key)
    return EngineStatus("anthropic", model, problem, problem_message(problem, model) if problem else None)


def problem_message(problem: AIProblem, model: str) -> str:
    if problem.kind == KEY_REFUSED:
        return (f"The Anthropic API key was refused ({problem.status}): an operator must set a valid "
                "ANTHROPIC_API_KEY")
    if problem.kind == REFUSED:
        return (f"The Anthropic API refused the request ({problem.status}): an operator should check "
                f"ANTHROPIC_MODEL (now “{model}”)")
    return "The AI service is unavailable right now; Quick Create uses the offline parser"
