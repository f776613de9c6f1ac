"""The Autotask sandbox in-process, and an AutotaskProvider / AutotaskClient talking to it."""

from __future__ import annotations

import httpx
import pytest

from psa.autotask.client import SANDBOX_ROOT, AutotaskClient
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME, default_at_sandbox
from psa.providers.autotask import AutotaskProvider


@pytest.fixture
def at_sandbox():
    """The process-wide Autotask sandbox, reset to its seed with no faults and an empty log."""
    sb = default_at_sandbox()
    sb.reset()
    yield sb
    sb.reset()


def make_provider(sandbox, **overrides) -> AutotaskProvider:
    options = dict(username=API_USERNAME, integration_code=API_INTEGRATION_CODE, secret=API_SECRET, root=SANDBOX_ROOT,
                   transport=httpx.WSGITransport(app=sandbox), sleep=lambda seconds: None)
    return AutotaskProvider(**{**options, **overrides})


def make_client(sandbox, **overrides) -> AutotaskClient:
    options = dict(username=API_USERNAME, integration_code=API_INTEGRATION_CODE, secret=API_SECRET, root=SANDBOX_ROOT,
                   transport=httpx.WSGITransport(app=sandbox), sleep=lambda seconds: None)
    return AutotaskClient(**{**options, **overrides})


@pytest.fixture
def provider(at_sandbox):
    p = make_provider(at_sandbox)
    yield p
    p.close()


@pytest.fixture
def client(at_sandbox):
    c = make_client(at_sandbox)
    yield c
    c.close()


def calls(sandbox, method=None, path_end=None):
    """Logged API requests (zone lookups left out), optionally by method and path ending."""
    return [r for r in sandbox.request_log
            if "zoneinformation" not in r.path.lower()
            and (method is None or r.method == method)
            and (path_end is None or r.path.lower().rstrip("/").endswith(path_end.lower()))]
