"""Log time reads durations the way engineers type them, and says what to type when it cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickets.duration import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("typed", "minutes"), [
    ("1h 15m", 75),
    ("1h15m", 75),
    ("1H 15M", 75),
    ("  1h   15m ", 75),
    ("45m", 45),
    ("45 min", 45),
    ("90 mins", 90),
    ("2h", 120),
    ("1 hr 5 mins", 65),
    ("1 hour 30 minutes", 90),
    ("1.5h", 90),
    ("1h 15", 75),  # minutes after hours without their unit
    ("1.5", 90),  # a bare number is hours
    ("0.25", 15),
    ("2", 120),
    (".5", 30),
    ("1,5", 90),  # a decimal comma
    ("1:30", 90),
    ("0:45", 45),
    ("24", 24 * 60),  # the most one entry may be
    ("0.33", 20),  # whole minutes
    (1.25, 75),  # a JSON number is hours too
    (2, 120),
])
def test_it_reads_the_durations_engineers_type(typed, minutes):
    assert parse_duration(typed) == timedelta(minutes=minutes)


@pytest.mark.parametrize(("typed", "says"), [
    ("", "Enter a duration such as 1h 15m, 45m, 1.5 or 1:30"),
    ("   ", "Enter a duration such as"),
    (None, "Enter a duration such as"),
    ("abc", "Could not read 'abc' as a duration: use 1h 15m, 45m, 1.5 or 1:30"),
    ("h", "Could not read 'h' as a duration"),
    ("1h 1h", "Could not read '1h 1h'"),
    ("1.2.3", "Could not read '1.2.3'"),
    ("1:75", "the minutes after the colon must be under 60"),
    ("-1", "cannot be negative"),
    ("-30m", "cannot be negative"),
    ("0", "at least one minute"),
    ("0m", "at least one minute"),
    ("0.001", "at least one minute"),
    ("45", "'45' reads as 45 hours; for minutes type 45m"),
    ("25h", "at most 24 hours"),
    ("24:01", "at most 24 hours"),
    ("1" * 41, "That is not a duration"),
    (True, "Enter a duration such as"),
])
def test_it_refuses_what_is_not_a_duration_and_says_what_to_type(typed, says):
    with pytest.raises(DurationError) as refused:
        parse_duration(typed)
    assert says in str(refused.value)


@pytest.mark.parametrize(("minutes", "written"), [(75, "1h 15m"), (45, "45m"), (120, "2h"), (1, "1m"), (24 * 60, "24h")])
def test_it_writes_durations_back_the_way_it_reads_them(minutes, written):
    assert format_duration(timedelta(minutes=minutes)) == written
    assert parse_duration(written) == timedelta(minutes=minutes)


def test_seconds_are_rounded_to_the_nearest_minute_when_written():
    assert format_duration(timedelta(minutes=14, seconds=31)) == "15m"
    assert format_duration(timedelta(minutes=14, seconds=29)) == "14m"
