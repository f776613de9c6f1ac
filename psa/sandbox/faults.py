"""Fault injection both sandboxes share (ConnectWise's ``psa.sandbox`` and Autotask's ``psa.autotask_sandbox``).

A sandbox keeps a list of :class:`Fault` (``inject`` appends, each with its own kinds and path rules) and draws
random latency and random faults from its rates; :class:`FaultPlumbing` is the part that is the same in both:
which injected fault a request meets, how long it waits, which random fault (if any) it gets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass


class DropConnection(Exception):
    """Raised in server mode for a ``refused``/``timeout`` fault: the server closes the socket without answering
    (``psa.sandbox.server``)."""


@dataclass
class Fault:
    kind: str
    method: str | None = None  # None: every method
    path: re.Pattern | None = None  # searched in the logged path; None: every path
    times: int | None = None  # how often it fires (None: until cleared)
    retry_after: int = 2


class FaultPlumbing:
    """Mixin for a sandbox with ``_lock``, ``_rng``, ``_faults`` and the rates ``latency_ms``, ``jitter_ms``,
    ``timeout_rate``, ``rate_429`` and ``error_rate``."""

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []

    def _random_latency(self) -> None:
        with self._lock:
            delay = float(self.latency_ms or 0)
            if self.jitter_ms:
                delay += self._rng.uniform(0, float(self.jitter_ms))
        if delay > 0:
            time.sleep(delay / 1000.0)  # outside the lock: parallel requests overlap

    def _random_fault(self) -> str | None:
        """"timeout", "429", "500" or "503" by the rates, else None."""
        with self._lock:
            roll = self._rng.random()
            edge = float(self.timeout_rate or 0)
            if roll < edge:
                return "timeout"
            edge += float(self.rate_429 or 0)
            if roll < edge:
                return "429"
            edge += float(self.error_rate or 0)
            if roll < edge:
                return self._rng.choice(["500", "503"])
        return None

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """The first injected fault this request meets (counted down when it has ``times``)."""
        with self._lock:
            for fault in self._faults:
                if fault.method and fault.method != method:
                    continue
                if fault.path and not fault.path.search(path):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
