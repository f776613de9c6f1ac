"""The PSA layer's threads, in one place.

Two pools with one rule between them, so nothing can deadlock by waiting on its own pool:

* ``call``: one PSA HTTP call each (a list, a count, a board's statuses). These tasks never wait
  on other tasks.
* ``fan_out``: work that runs several calls and waits for them — a drawer section, a reference
  data load. These tasks may wait on ``call`` tasks, never on ``fan_out`` tasks.

Both copy the caller's context, so PSA calls made in worker threads count into the caller's
``psa.metrics`` counter.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from psa.metrics import submit_in_context

_calls = ThreadPoolExecutor(max_workers=32, thread_name_prefix="psa-call")
_fan_out = ThreadPoolExecutor(max_workers=32, thread_name_prefix="psa-fan-out")


def call(fn, /, *args, **kwargs) -> Future:
    """Run one PSA call in a worker thread (it must not wait on other pool tasks)."""
    return submit_in_context(_calls, fn, *args, **kwargs)


def fan_out(fn, /, *args, **kwargs) -> Future:
    """Run work that may itself wait on :func:`call` tasks."""
    return submit_in_context(_fan_out, fn, *args, **kwargs)
