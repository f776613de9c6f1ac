"""Capacity isolated per PSA connection: lanes in the shared pools, the circuit breaker, the deadline.

No test here measures time. "Not held up" is shown by structure: the other connection's work
completes while the hanging connection's work is still provably stuck (its server has not been
released); a generous wait is only a failure detector for the old behaviour, which deadlocks.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from bench.harness import HangingServer
from psa import capacity, concurrency
from psa.capacity import CircuitBreaker, PSACircuitOpenError, PSADeadlineExceeded
from psa.connectwise.client import ConnectWiseClient
from psa.models import PSAConnection
from psa.providers.base import PSAUnavailableError
from psa.tenancy import tenant_for
from tests.clock import frozen_clock
from tests.security.shared_cache import each_cache, redis_cache, run_second_app_process  # noqa: F401 - fixtures
from tickets import service

DETECTOR_S = 60  # only a failure detector: work that should not wait never gets near it


@pytest.fixture
def small_lanes(settings):
    settings.PSA_MAX_CALLS_PER_CONNECTION = 2


# --- lanes ---------------------------------------------------------------------------------------


def test_one_connection_never_holds_more_than_its_lane_of_the_pool(small_lanes):
    release = threading.Event()
    started = []
    hung = [concurrency.fan_out(lambda i=i: (started.append(i), release.wait(DETECTOR_S)), key="hanging")
            for i in range(5)]
    try:
        other = concurrency.fan_out(lambda: "other account's section", key="healthy")

        assert other.result(timeout=DETECTOR_S) == "other account's section"
        assert len(started) == 2 and concurrency._fan_out.queued("hanging") == 3  # the rest wait, threadless
    finally:
        release.set()
    assert [f.result(timeout=DETECTOR_S)[1] for f in hung] == [True] * 5  # queued work still runs, in order
    assert sorted(started) == [0, 1, 2, 3, 4]


def test_a_task_runs_in_its_submitters_context_deadline_included():
    with capacity.deadline(5):
        seen = concurrency.call(capacity.remaining, key="k").result(timeout=DETECTOR_S)

    assert seen is not None and 0 < seen <= 5
    assert concurrency.call(capacity.remaining, key="k").result(timeout=DETECTOR_S) is None


# --- a hanging ConnectWise next to a healthy one ---------------------------------------------------


@pytest.fixture
def hanging_tenant(charlie, other_account, settings, sandbox):
    settings.PSA_GET_RETRIES = 0
    settings.PSA_TIMEOUT_SECONDS = 300  # it hangs until the test releases it, not until a timeout
    server = HangingServer()
    connection = PSAConnection(account=other_account, site=f"http://127.0.0.1:{server.port}", company_id="hang",
                               public_key="pub", client_id="rf-tests")
    connection.set_private_key("priv")
    connection.save()
    yield tenant_for(charlie), server
    server.close()


def test_twenty_drawers_of_a_hanging_psa_leave_another_accounts_drawer_unaffected(
    hanging_tenant, alice_tenant, first_row_id
):
    hanging, server = hanging_tenant
    results: dict[int, object] = {}

    def open_drawer(i):  # one request thread per drawer, as under gunicorn
        results[i] = service.get_ticket_panel(hanging, 1000 + i, None)

    drawers = [threading.Thread(target=open_drawer, args=(i,), daemon=True) for i in range(20)]
    for drawer in drawers:
        drawer.start()
    try:
        panel = service.get_ticket_panel(alice_tenant, first_row_id, None)

        assert panel.detail.error is None and panel.detail.value.id == first_row_id
        assert panel.notes.error is None and panel.related.error is None
        assert results == {}  # the hanging account's 20 drawers are all still waiting
        assert concurrency._fan_out.queued(hanging.provider.capacity_key) > 0  # beyond its lane: queued, threadless
    finally:
        server.close()
    for drawer in drawers:
        drawer.join(DETECTOR_S)
    assert len(results) == 20
    assert all(isinstance(panel.detail.error, PSAUnavailableError) for panel in results.values())  # a clear error


@pytest.fixture
def first_row_id(alice_tenant):
    return service.search_tickets(alice_tenant, service.TicketFilters(), page=1, page_size=1).items[0].id


# --- the circuit breaker ----------------------------------------------------------------------------


@pytest.fixture
def breaker(settings, each_cache):  # noqa: F811 - a fixture
    """A breaker whose state lives in the in-process cache, and again in the shared Redis (CI)."""
    settings.PSA_BREAKER_FAILURES = 3
    settings.PSA_BREAKER_COOLDOWN_SECONDS = 30
    return CircuitBreaker("test-connection")


def test_repeated_failures_open_the_breaker_and_it_says_when_it_retries(breaker, monkeypatch):
    clock = frozen_clock(monkeypatch)
    for _ in range(3):
        assert breaker.check() is False
        breaker.failed(probe=False)
    clock.advance(10)

    with pytest.raises(PSACircuitOpenError) as refused:
        breaker.check()

    assert refused.value.message == "ConnectWise is not responding — retrying in 20 s"
    assert refused.value.outcome_unknown is False  # nothing was sent


def test_after_the_cool_down_one_probe_goes_through_and_its_success_closes_the_breaker(breaker, monkeypatch):
    clock = frozen_clock(monkeypatch)
    for _ in range(3):
        breaker.failed(probe=False)
    clock.advance(31)

    assert breaker.check() is True  # the probe
    with pytest.raises(PSACircuitOpenError):
        breaker.check()  # everyone else still fails fast while the probe runs
    breaker.succeeded(probe=True)

    assert breaker.check() is False


@pytest.mark.parametrize(("probe_seconds", "held_for"), [(None, 11), (20.0, 21)])
def test_no_second_probe_while_the_first_may_still_be_running(settings, monkeypatch, probe_seconds, held_for):
    """A PSA call lasts at most PSA_TIMEOUT_SECONDS (10); the AI engine's breaker passes its own deadline."""
    from django.core.cache import cache

    settings.PSA_TIMEOUT_SECONDS, settings.PSA_BREAKER_FAILURES = 10, 1
    breaker = CircuitBreaker(f"probe-{probe_seconds}", probe_seconds=probe_seconds)
    clock = frozen_clock(monkeypatch)
    breaker.failed(probe=False)
    clock.advance(settings.PSA_BREAKER_COOLDOWN_SECONDS + 1)
    held = {}
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda key, value, timeout=None: held.setdefault(key, timeout) and real_add(key, value, timeout))

    assert breaker.check() is True

    assert held[breaker.key + ":probe"] == held_for


def test_a_failed_probe_opens_the_breaker_for_another_cool_down(breaker, monkeypatch):
    clock = frozen_clock(monkeypatch)
    for _ in range(3):
        breaker.failed(probe=False)
    clock.advance(31)
    assert breaker.check() is True

    breaker.failed(probe=True)

    with pytest.raises(PSACircuitOpenError) as refused:
        breaker.check()
    assert "retrying in 30 s" in refused.value.message


def test_a_success_clears_earlier_failures(breaker):
    breaker.failed(probe=False)
    breaker.failed(probe=False)
    breaker.succeeded(probe=False)
    breaker.failed(probe=False)
    breaker.failed(probe=False)

    assert breaker.check() is False  # 2 failures since the success: still closed


def test_a_breaker_opened_by_another_app_process_holds_in_this_one(settings, redis_cache):  # noqa: F811
    settings.PSA_BREAKER_FAILURES = 3
    opened = run_second_app_process("""
from psa.capacity import CircuitBreaker
breaker = CircuitBreaker("shared-connection")
for _ in range(3):
    breaker.failed(probe=False)
report("opened")
""", PSA_BREAKER_FAILURES=3)

    assert opened == "opened"
    with pytest.raises(PSACircuitOpenError):
        CircuitBreaker("shared-connection").check()


def test_the_breaker_state_is_in_the_shared_cache(breaker, settings):
    for _ in range(3):
        breaker.failed(probe=False)

    another_process = CircuitBreaker("test-connection")  # same connection, same cache, other object
    with pytest.raises(PSACircuitOpenError):
        another_process.check()


def _client(handler, breaker=None) -> ConnectWiseClient:
    return ConnectWiseClient(base_url="https://cw.example/v4_6_release/apis/3.0", company_id="c", public_key="p",
                             private_key="k", client_id="id", transport=httpx.MockTransport(handler),
                             get_retries=0, breaker=breaker, sleep=lambda s: None)


def test_an_open_breaker_fails_calls_without_sending_them(breaker):
    sent = []

    def unavailable(request):
        sent.append(request.url.path)
        return httpx.Response(503, json={"code": "Unavailable", "message": "down"})

    client = _client(unavailable, breaker)
    for _ in range(3):
        with pytest.raises(PSAUnavailableError):
            client.get("/service/boards")

    with pytest.raises(PSACircuitOpenError):
        client.get("/service/boards")
    assert len(sent) == 3


def test_answers_that_are_not_outages_do_not_open_the_breaker(breaker):
    client = _client(lambda request: httpx.Response(404, json={"code": "NotFound", "message": "no"}), breaker)
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 - a 404 each time, never the breaker
            client.get("/service/tickets/1")

    assert breaker.check() is False


# --- the deadline -------------------------------------------------------------------------------------


def test_each_attempt_gets_at_most_what_is_left_of_the_deadline():
    timeouts = []

    def record(request):
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json=[])

    client = _client(record)
    with capacity.deadline(2):
        client.get("/service/boards")
    client.get("/service/boards")  # no deadline: the client's own timeout

    assert 0 < timeouts[0] <= 2 and timeouts[1] == 10.0


def test_no_call_is_sent_once_the_deadline_has_passed():
    sent = []
    client = _client(lambda request: sent.append(request) or httpx.Response(200, json=[]))

    with capacity.deadline(-1), pytest.raises(PSADeadlineExceeded):
        client.get("/service/boards")
    assert sent == []


def test_no_retry_starts_when_its_backoff_would_pass_the_deadline():
    sent = []

    def unavailable(request):
        sent.append(request)
        return httpx.Response(503, json={"code": "Unavailable", "message": "down"}, headers={"Retry-After": "3"})

    client = ConnectWiseClient(base_url="https://cw.example/v4_6_release/apis/3.0", company_id="c", public_key="p",
                               private_key="k", client_id="id", transport=httpx.MockTransport(unavailable),
                               get_retries=2, sleep=lambda s: None)
    with capacity.deadline(2), pytest.raises(PSAUnavailableError):
        client.get("/service/boards")
    assert len(sent) == 1  # a retry would have to wait 3 s of a 2 s budget
