"""Capacity isolated per PSA connection: one slow or dead PSA never slows another account.

Three mechanisms, all keyed by the PSA connection:

* **Lanes** (``psa.concurrency``): the shared thread pools hold at most
  ``PSA_MAX_CALLS_PER_CONNECTION`` tasks of one connection; its further tasks wait in the
  connection's own queue, without a thread. A hanging ConnectWise ties up only its own lane, never
  the threads another account's drawer needs.
* **Circuit breaker** (:class:`CircuitBreaker`): after ``PSA_BREAKER_FAILURES`` timeouts or
  unavailable answers within ``PSA_BREAKER_WINDOW_SECONDS``, calls for that connection fail at once
  for ``PSA_BREAKER_COOLDOWN_SECONDS`` ("ConnectWise is not responding — retrying in N s"); then one
  probe call goes through (half-open): its success closes the breaker, its failure opens it again.
  The state lives in Django's cache, so every worker process shares it (Redis in production).
* **Deadline** (:class:`DeadlineMiddleware`): an interactive request waits for the PSA at most
  ``PSA_REQUEST_DEADLINE_SECONDS`` in total, retries and backoff included: each attempt's timeout
  is cut to what is left, no retry starts past it, and work queued in a lane that starts too late
  fails at once. Worker threads inherit the request's deadline (``submit_in_context``).
"""

from __future__ import annotations

import contextvars
import email.utils
import math
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from psa.providers.base import PSAError, PSAMalformedResponseError, PSATimeoutError, PSAUnavailableError

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("psa_deadline", default=None)


def capacity_key(connection) -> int:
    """A connection's key for its lane in the shared pools (``psa.concurrency``)."""
    return connection.pk


# --- the deadline -----------------------------------------------------------------------------------


def remaining() -> float | None:
    """Seconds left before this request's PSA deadline, or None when there is none (commands, tests)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def deadline(seconds: float):
    """Give the PSA calls made inside (and in worker threads started inside) ``seconds`` in total."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class DeadlineMiddleware:
    """Every request gets ``PSA_REQUEST_DEADLINE_SECONDS`` for all its PSA calls together."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deadline(settings.PSA_REQUEST_DEADLINE_SECONDS):
            return self.get_response(request)


class PSADeadlineExceeded(PSATimeoutError):
    """The request's PSA time budget ran out before this call could be sent (nothing was sent)."""

    default_message = "ConnectWise did not answer in time"
    outcome_unknown = False


# --- the circuit breaker ----------------------------------------------------------------------------


class PSACircuitOpenError(PSAUnavailableError):
    """The connection's breaker is open: nothing was sent to the PSA."""

    outcome_unknown = False

    def __init__(self, retry_after: float, psa: str = "ConnectWise"):
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{psa} is not responding — retrying in {self.retry_after} s")


class CircuitBreaker:
    """One connection's breaker, its state in the cache under ``key`` (shared by every worker)."""

    def __init__(self, key: str, *, probe_seconds: float | None = None, psa: str = "ConnectWise"):
        self.key = f"psa-breaker:{key}"
        self.psa = psa  # whose name the open-circuit message says
        # How long the probe may take before another process may probe too: the longest a call can last
        # (a PSA call: PSA_TIMEOUT_SECONDS; the AI engine passes its own deadline).
        self.probe_seconds = probe_seconds
        self._saw_failure = False  # this process recorded a failure since the last success: clear it

    @property
    def _open_key(self) -> str:
        return self.key + ":open-until"

    def is_open(self) -> bool:
        """Whether calls fail fast now (or wait for another's probe); unlike ``check``, changes nothing."""
        return cache.get(self._open_key) is not None

    def check(self) -> bool:
        """Before a call: raises ``PSACircuitOpenError`` while open; True when this call is the probe."""
        open_until = cache.get(self._open_key)
        if open_until is None:
            return False
        now = time.time()
        if now < open_until:
            raise PSACircuitOpenError(open_until - now, self.psa)
        # Cool-down over: one call (in any process) probes; the others still fail fast.
        longest_call = self.probe_seconds if self.probe_seconds is not None else settings.PSA_TIMEOUT_SECONDS
        if cache.add(self.key + ":probe", 1, timeout=max(1, int(longest_call) + 1)):
            return True
        raise PSACircuitOpenError(1, self.psa)

    def succeeded(self, probe: bool) -> None:
        if probe or self._saw_failure:
            cache.delete_many([self._open_key, self.key + ":failures", self.key + ":probe"])
            self._saw_failure = False

    def failed(self, probe: bool) -> None:
        self._saw_failure = True
        cooldown = settings.PSA_BREAKER_COOLDOWN_SECONDS
        if probe:
            self._open(cooldown)
            return
        failures = self.key + ":failures"
        cache.add(failures, 0, timeout=settings.PSA_BREAKER_WINDOW_SECONDS)
        try:
            count = cache.incr(failures)
        except ValueError:  # the window expired between add and incr
            cache.set(failures, 1, timeout=settings.PSA_BREAKER_WINDOW_SECONDS)
            count = 1
        if count >= settings.PSA_BREAKER_FAILURES:
            self._open(cooldown)

    def _open(self, cooldown: float) -> None:
        cache.set(self._open_key, time.time() + cooldown, timeout=int(cooldown) + 60)
        cache.delete_many([self.key + ":failures", self.key + ":probe"])


# --- what both PSA clients' retry loops share ---------------------------------------------------------


def counts_against_breaker(error: PSAError) -> bool:
    """Timeouts, refused connections and outage answers say the PSA is not answering; any other answer
    (validation, limits, auth, a malformed body) says it is. Nothing sent (deadline, open breaker) says nothing."""
    return isinstance(error, PSAUnavailableError) and not isinstance(
        error, PSAMalformedResponseError | PSADeadlineExceeded | PSACircuitOpenError
    )


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (a number of seconds or an HTTP date); ``None`` when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
