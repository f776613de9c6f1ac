"""A queue's count sent early over the real wire (``psa.wire.StdlibTransport.send_early``).

``ConnectWiseProvider.search_tickets`` sends the count, sends and reads the page, then reads the count, all in
the request's thread: here against the ConnectWise sandbox served on a loopback port, through
``PinnedTransport`` and ``StdlibTransport`` as in production. (Everywhere else the tests talk to the sandbox
in-process, where the count runs in the call pool as before.)
"""

from __future__ import annotations

import threading

import pytest

from psa import concurrency
from psa.capacity import CircuitBreaker, PSACircuitOpenError
from psa.providers.base import PSAError
from psa.providers.connectwise import ConnectWiseProvider
from psa.sandbox import CWSandbox
from psa.sandbox.seed import API_PREFIX
from psa.sandbox.server import make_sandbox_server
from psa.schemas import TicketSearchQuery
from psa.site_policy import PinnedTransport

QUERY = TicketSearchQuery(board_id=1)


@pytest.fixture
def served(settings):
    """The sandbox on a loopback port (local mode: http and a private address allowed)."""
    settings.PSA_ALLOW_PRIVATE_HOSTS = True
    sandbox = CWSandbox(seed=7)
    server = make_sandbox_server(sandbox, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield sandbox, f"http://127.0.0.1:{server.server_address[1]}{API_PREFIX}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def pool_calls(monkeypatch) -> list:
    """The calls handed to the call pool (they still run)."""
    handed: list = []
    original = concurrency.call

    def counted(fn, /, *args, key, **kwargs):
        handed.append(args)
        return original(fn, *args, key=key, **kwargs)

    monkeypatch.setattr(concurrency, "call", counted)
    return handed


def _provider(base_url: str, **kwargs) -> ConnectWiseProvider:
    return ConnectWiseProvider(base_url=base_url, company_id="sandbox", public_key="sandbox-public",
                               private_key="sandbox-private", client_id="rf-tests", transport=PinnedTransport(),
                               sleep=lambda seconds: None, **kwargs)


def _left_over(provider) -> list:
    return provider.client._transport._inner._sent_early()


def test_the_page_and_its_count_come_back_from_one_thread_as_from_the_pool(served, pool_calls):
    sandbox, base_url = served
    early = _provider(base_url)
    page = early.search_tickets(QUERY, page=2, page_size=10)
    assert pool_calls == []  # no hand-off
    assert sorted(f"{e.method} {e.path}" for e in sandbox.request_log) == [
        "GET /service/tickets", "GET /service/tickets/count"]

    pooled = _provider(base_url)
    pooled.client._transport = None  # a transport that cannot send early: the count goes to the pool
    expected = pooled.search_tickets(QUERY, page=2, page_size=10)
    assert len(pool_calls) == 1

    assert page.total == expected.total > 10
    assert [t.id for t in page.items] == [t.id for t in expected.items] and len(page.items) == 10
    assert _left_over(early) == []


def test_a_failing_page_leaves_no_count_behind_and_the_next_search_is_whole(served, pool_calls):
    sandbox, base_url = served
    provider = _provider(base_url)
    sandbox.inject("500", path=r"/tickets$", times=3)  # the page and both its retries
    with pytest.raises(PSAError):
        provider.search_tickets(QUERY)
    assert _left_over(provider) == []

    page = provider.search_tickets(QUERY)
    assert len(page.items) == 25 and page.total == _provider(base_url).search_tickets(QUERY, page_size=1000).total
    assert pool_calls == []


def test_a_count_that_fails_once_is_retried_like_any_call(served):
    sandbox, base_url = served
    first = _provider(base_url).search_tickets(QUERY)
    sandbox.inject("503", path=r"/count$", times=1)
    again = _provider(base_url).search_tickets(QUERY)
    counts = [e for e in sandbox.request_log if e.path.endswith("/count")]
    assert again.total == first.total and [e.status for e in counts[-2:]] == [503, 200]


def test_nothing_is_sent_early_while_the_connections_breaker_is_open(served, pool_calls):
    sandbox, base_url = served
    breaker = CircuitBreaker("send-early-test")
    breaker._open(60)
    provider = _provider(base_url, breaker=breaker)
    with pytest.raises(PSACircuitOpenError):
        provider.search_tickets(QUERY)
    assert sandbox.request_log == [] and _left_over(provider) == []
