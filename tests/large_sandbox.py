"""The ConnectWise sandbox at the large scale, built once per test process (generating 200,000 tickets takes
seconds, and CI has two cores): ``tests/psa/test_sandbox_scale.py`` and ``tests/perf/test_psa_call_counts_scale.py``
share it. Its clock is fixed, so every run sees the same tickets."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

LARGE_NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)


@functools.cache
def large_sandbox():
    from psa.sandbox import CWSandbox

    return CWSandbox(scale="large", now=LARGE_NOW)
