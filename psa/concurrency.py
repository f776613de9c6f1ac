"""The PSA layer's threads, in one place, shared by every connection in lanes.

Two pools with one rule between them, so nothing can deadlock by waiting on its own pool:

* ``call``: one PSA HTTP call each (a list, a count, a board's statuses). These tasks never wait
  on other tasks.
* ``fan_out``: work that runs several calls and waits for them — a drawer section, a reference
  data load. These tasks may wait on ``call`` tasks, never on ``fan_out`` tasks.

Each task belongs to a PSA connection (``key``). A connection has a lane per pool: at most
``PSA_MAX_CALLS_PER_CONNECTION`` of its tasks are in the pool at once; the rest wait in the lane's
queue without holding a thread, and start as the connection's own tasks finish. So one connection
whose ConnectWise hangs can never take the threads another account needs (see ``psa.capacity``).

Tasks run in a copy of the submitter's context: the PSA call counter and the request's deadline
follow them into the worker thread.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings

POOL_THREADS = 32


class _Lane:
    __slots__ = ("lock", "running", "waiting")

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.waiting: deque = deque()


class _LanedPool:
    def __init__(self, name: str):
        self._pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix=name)
        self._lanes: dict[object, _Lane] = {}
        self._lanes_lock = threading.Lock()

    def submit(self, key, fn, args, kwargs) -> Future:
        future: Future = Future()
        task = (future, contextvars.copy_context(), fn, args, kwargs)
        lane = self._lane(key)
        with lane.lock:
            start = lane.running < settings.PSA_MAX_CALLS_PER_CONNECTION
            if start:
                lane.running += 1
            else:
                lane.waiting.append(task)
        if start:
            self._pool.submit(self._run, lane, task)
        return future

    def _lane(self, key) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            with self._lanes_lock:
                lane = self._lanes.setdefault(key, _Lane())
        return lane

    def _run(self, lane: _Lane, task) -> None:
        while task is not None:
            future, context, fn, args, kwargs = task
            if future.set_running_or_notify_cancel():
                try:
                    result = context.run(fn, *args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - delivered to the waiter
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            with lane.lock:  # this thread goes on with the lane's next task, if any
                task = lane.waiting.popleft() if lane.waiting else None
                if task is None:
                    lane.running -= 1

    def queued(self, key) -> int:
        """Tasks of ``key`` waiting for a place in the pool (for tests and benchmarks)."""
        lane = self._lanes.get(key)
        return len(lane.waiting) if lane is not None else 0


_calls = _LanedPool("psa-call")
_fan_out = _LanedPool("psa-fan-out")


def call(fn, /, *args, key, **kwargs) -> Future:
    """Run one PSA call of connection ``key`` in a worker thread (it must not wait on other pool tasks)."""
    return _calls.submit(key, fn, args, kwargs)


def fan_out(fn, /, *args, key, **kwargs) -> Future:
    """Run work of connection ``key`` that may itself wait on :func:`call` tasks."""
    return _fan_out.submit(key, fn, args, kwargs)


def gather(futures: list[Future]) -> list:
    """Wait for all, then raise the first failure (so no call is left running unobserved)."""
    for future in futures:
        future.exception()
    return [future.result() for future in futures]
