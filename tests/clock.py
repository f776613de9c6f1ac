"""A stand-in for ``time.time`` that only moves when the test moves it: no test reads the real clock."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def frozen_clock(monkeypatch, now: float = 2_000_000_000.0) -> Clock:
    """Replace ``time.time`` for the test (code that reads it, and Django's cache expiry) with a ``Clock``."""
    clock = Clock(now)
    monkeypatch.setattr(time, "time", clock)
    return clock
