"""Durations as engineers type them into Log time: ``1h 15m``, ``45m``, ``1.5``, ``1:30``.

:func:`parse_duration` reads one and :func:`format_duration` writes one back (the timer prefills
Log time with it). Pure functions: no clock, no settings.

Accepted (case and spaces do not matter):

* hours and/or minutes with units: ``1h 15m``, ``1h15m``, ``2h``, ``45m``, ``90 min``, ``1 hr 5 mins``,
  ``1 hour 30 minutes``, ``1.5h``; minutes after hours may leave out their unit: ``1h 15``;
* a bare number is hours: ``1.5``, ``0.25``, ``2`` (a decimal comma too: ``1,5``);
* hours and minutes with a colon: ``1:30``, ``0:45``.

The result is whole minutes (``0.33`` hours is 20 minutes), at least one and at most
``MAX_HOURS`` hours. Anything else raises ``DurationError`` with a message that says what to type.
"""

from __future__ import annotations

import re
from datetime import timedelta

from psa.schemas import TIME_ENTRY_HOURS_MAX

MAX_HOURS = TIME_ENTRY_HOURS_MAX
MAX_LENGTH = 40  # longer text is not a duration
EXAMPLES = "1h 15m, 45m, 1.5 or 1:30"

_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_HOURS_UNIT = r"(?:h|hr|hrs|hour|hours)"
_MINUTES_UNIT = r"(?:m|min|mins|minute|minutes)"
_WITH_UNITS = re.compile(
    rf"^(?:{_NUMBER}\s*{_HOURS_UNIT})?\s*(?:{_NUMBER}\s*{_MINUTES_UNIT})?$"
)
_HOURS_THEN_MINUTES = re.compile(rf"^{_NUMBER}\s*{_HOURS_UNIT}\s*(\d+)$")  # "1h 15"
_BARE_HOURS = re.compile(rf"^{_NUMBER}$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{1,2})$")


class DurationError(ValueError):
    """The text is not a duration Log time accepts; ``str(error)`` tells the user what to type."""


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_duration(text: str | float | int | None) -> timedelta:
    """``text`` as a whole number of minutes (see the module docstring for what is accepted)."""
    if isinstance(text, bool):
        raise DurationError(f"Enter a duration such as {EXAMPLES}")
    if isinstance(text, int | float):
        text = str(text)
    raw = (text or "").strip()
    if not raw:
        raise DurationError(f"Enter a duration such as {EXAMPLES}")
    if len(raw) > MAX_LENGTH:
        raise DurationError(f"That is not a duration: use {EXAMPLES}")
    value = " ".join(raw.lower().split())
    if value.startswith("-"):
        raise DurationError("The duration cannot be negative")

    minutes: float
    if match := _CLOCK.match(value):
        hours, mins = int(match.group(1)), int(match.group(2))
        if mins >= 60:
            raise DurationError(f"{raw!r}: the minutes after the colon must be under 60 (e.g. 1:30)")
        minutes = hours * 60 + mins
    elif match := _BARE_HOURS.match(value):
        minutes = _number(match.group(1)) * 60
        if minutes > MAX_HOURS * 60:
            raise DurationError(f"{raw!r} reads as {raw} hours; for minutes type {raw}m")
    elif match := _HOURS_THEN_MINUTES.match(value):
        minutes = _number(match.group(1)) * 60 + int(match.group(2))
    elif (match := _WITH_UNITS.match(value)) and (match.group(1) or match.group(2)):
        minutes = (_number(match.group(1)) * 60 if match.group(1) else 0) + (
            _number(match.group(2)) if match.group(2) else 0
        )
    else:
        raise DurationError(f"Could not read {raw!r} as a duration: use {EXAMPLES}")

    whole = round(minutes)
    if whole < 1:
        raise DurationError("The duration must be at least one minute")
    if whole > MAX_HOURS * 60:
        raise DurationError(f"A time entry can be at most {MAX_HOURS} hours: log longer work as several entries")
    return timedelta(minutes=whole)


def format_duration(duration: timedelta) -> str:
    """Whole minutes, as :func:`parse_duration` reads them back: ``1h 15m``, ``45m``, ``2h``."""
    minutes = max(0, round(duration.total_seconds() / 60))
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours}h {mins}m"
    if hours:
        return f"{hours}h"
    return f"{mins}m"
