"""Counts PSA HTTP calls per unit of work (a request, a benchmark step).

A context variable holds a mutable counter. Thread pools do not copy context by themselves, so
parallel PSA work is submitted through ``submit_in_context`` to keep counting into the same object.
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class CallCounter:
    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.count += n


_current: contextvars.ContextVar[CallCounter | None] = contextvars.ContextVar("psa_call_counter", default=None)


def _counter() -> CallCounter:
    counter = _current.get()
    if counter is None:
        counter = CallCounter()
        _current.set(counter)
    return counter


def record_psa_call() -> None:
    _counter().add()


def reset_call_count() -> None:
    """Start a fresh count in this context; work submitted with ``submit_in_context`` adds to it."""
    _current.set(CallCounter())


def get_call_count() -> int:
    """PSA HTTP requests (retries included) since the last reset in this context."""
    return _counter().count


@contextmanager
def psa_call_counter():
    counter = CallCounter()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def submit_in_context(executor, fn, /, *args, **kwargs):
    """``executor.submit`` that runs ``fn`` in a copy of the caller's context (keeps the counter)."""
    ctx = contextvars.copy_context()
    return executor.submit(ctx.run, fn, *args, **kwargs)
