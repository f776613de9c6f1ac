"""The one place an Anthropic client is built (the ticket parse and the Assist chat both use it).

The installed ``anthropic`` SDK (2.x) is built on ``httpx2``. Timeout and retries are always explicit: the
SDK's default read timeout is ten minutes, far too long inside a request, so callers pass theirs and the
connect timeout is capped at ``CONNECT_TIMEOUT_SECONDS``. Tests inject
``httpx2.Client(transport=httpx2.MockTransport(...))`` as ``http_client``; without one, each configuration
gets one pooled client for the life of the process.
"""

from __future__ import annotations

import functools

import anthropic
import httpx2

CONNECT_TIMEOUT_SECONDS = 5.0


def anthropic_client(*, api_key: str, timeout: float, max_retries: int,
                     http_client: httpx2.Client | None = None) -> anthropic.Anthropic:
    """An Anthropic client that gives up after ``timeout`` seconds and retries at most ``max_retries`` times."""
    if http_client is not None:
        return _build(api_key, timeout, max_retries, http_client)
    return _pooled(api_key, timeout, max_retries)


def _build(api_key: str, timeout: float, max_retries: int, http_client: httpx2.Client | None) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=api_key,
        timeout=httpx2.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
        max_retries=max_retries,
        http_client=http_client,
    )


@functools.lru_cache(maxsize=4)
def _pooled(api_key: str, timeout: float, max_retries: int) -> anthropic.Anthropic:
    return _build(api_key, timeout, max_retries, None)
