"""The ConnectWise conditions builder: values are literals, never syntax."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from psa.connectwise.conditions import (
    C,
    has_resource,
    literal,
    member_identifier,
    quote,
    search_text,
    ticket_conditions,
)
from psa.schemas import TicketSearchQuery

_TOKEN = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|(\[[^\]]*\])|([A-Za-z_][A-Za-z0-9_/]*)|(-?\d+)|(!=|<=|>=|=|<|>|\(|\)|,))'
)


def tokens(conditions: str) -> list[tuple[str, str]]:
    """Lex a conditions string the way ConnectWise does (backslash escapes inside "...")."""
    out, pos = [], 0
    while pos < len(conditions.rstrip()):
        match = _TOKEN.match(conditions, pos)
        assert match, f"unlexable at {pos}: {conditions[pos:]!r}"
        string, date, word, number, punct = match.groups()
        if string is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", string)))
        elif date is not None:
            out.append(("date", date))
        elif word is not None:
            out.append(("word", word.lower()))
        elif number is not None:
            out.append(("num", number))
        else:
            out.append(("punct", punct))
        pos = match.end()
    return out


def keywords(conditions: str) -> list[str]:
    return [value for kind, value in tokens(conditions) if kind == "word" and value in ("and", "or", "not")]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (C.eq("board/id", 5), "board/id = 5"),
        (C.ne("id", 1000), "id != 1000"),
        (C.eq("closedFlag", False), "closedFlag = false"),
        (C.eq("summary", "Printer down"), 'summary = "Printer down"'),
        (C.contains("company/name", "Acme"), 'company/name contains "Acme"'),
        (C.like("resources", "jsmith, %"), 'resources like "jsmith, %"'),
        (C.is_null("resources"), "resources = null"),
        (C.eq("parentTicketId", None), "parentTicketId = null"),
        (C.eq("lastUpdated", datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)), "lastUpdated = [2024-05-01T10:00:00Z]"),
        (
            C.eq("dateEntered", datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))),
            "dateEntered = [2024-05-01T10:00:00Z]",
        ),
        (C.eq("a", 1) & C.eq("b", 2) & C.eq("c", 3), "a = 1 and b = 2 and c = 3"),
        (C.eq("a", 1) | C.eq("b", 2), "a = 1 or b = 2"),
        (C.eq("a", 1) & (C.eq("b", 2) | C.eq("c", 3)), "a = 1 and (b = 2 or c = 3)"),
        ((C.eq("a", 1) & C.eq("b", 2)) | C.eq("c", 3), "(a = 1 and b = 2) or c = 3"),
        (C.all(C.eq("a", 1)), "a = 1"),
    ],
)
def test_it_renders_each_condition(condition, expected):
    assert str(condition) == expected


@pytest.mark.parametrize(
    ("text", "literal_text"),
    [
        ('foo" OR 1=1', '"foo\\" OR 1=1"'),
        ('foo" or summary != "', '"foo\\" or summary != \\""'),
        ("back\\slash", '"back\\\\slash"'),
        ('\\" or id > 0 or "', '"\\\\\\" or id > 0 or \\""'),
        ("it's", '"it\'s"'),
        ("50% off", '"50% off"'),
        ("line\nbreak", '"line break"'),
    ],
)
def test_it_quotes_and_escapes_strings(text, literal_text):
    assert quote(text) == literal_text


@pytest.mark.parametrize(
    "hostile",
    [
        'foo" OR 1=1',
        'foo" or closedFlag = true or summary contains "',
        '\\" or id > 0 or "',
        '\\\\" OR 1=1 --',
        '") or (id > 0',
        "x' or 'a'='a",
        "] or [",
        'a"b"c"d',
        "\\",
        '"',
    ],
)
def test_hostile_search_text_stays_a_single_literal(hostile):
    conditions = ticket_conditions(TicketSearchQuery(search=hostile))
    strings = [value for kind, value in tokens(conditions) if kind == "str"]
    # Exactly the two literals we put in (summary, company name), each equal to the user's text.
    assert strings == [" ".join(hostile.split())] * 2
    assert keywords(conditions) == ["and", "or"]


def test_a_search_for_a_number_also_matches_the_ticket_id():
    assert str(search_text("1234")) == 'summary contains "1234" or company/name contains "1234" or id = 1234'
    assert str(search_text("#1234")).endswith("id = 1234")


def test_a_search_for_words_matches_summary_or_company_name():
    assert (
        str(search_text("  printer   down "))
        == 'summary contains "printer down" or company/name contains "printer down"'
    )
    assert search_text("   ") is None


@pytest.mark.parametrize("bad", ["1 or 1=1", "5)", "", "1.5", True, 2.7, None])
def test_integer_fields_accept_only_integers(bad):
    with pytest.raises((ValueError, TypeError)):
        C.id_eq("board/id", bad)


def test_integer_fields_accept_numeric_strings():
    assert str(C.id_eq("board/id", "5")) == "board/id = 5"


@pytest.mark.parametrize("bad", ["board/id = 1 or id", "summary)", "a b", "", "1abc", "a//b"])
def test_field_paths_cannot_carry_syntax(bad):
    with pytest.raises(ValueError):
        C.eq(bad, 1)


def test_unsupported_literal_types_are_refused():
    with pytest.raises(TypeError):
        literal(object())


def test_assigned_identifier_means_exact_membership_in_resources():
    assert str(has_resource("jsmith")) == (
        'resources = "jsmith" or resources like "jsmith, %" or resources like "%, jsmith" or resources like "%, jsmith, %"'
    )


@pytest.mark.parametrize("bad", ['js"mith', "js%", "a,b", "a b", "x' or '1", "j\\s", "a)", "a" * 101])
def test_assigned_identifier_outside_the_safe_alphabet_is_refused(bad):
    with pytest.raises(ValueError):
        member_identifier(bad)
    with pytest.raises(ValueError):
        ticket_conditions(TicketSearchQuery(assigned_identifier=bad))


def test_an_empty_assigned_identifier_is_no_filter_but_not_an_identifier():
    assert ticket_conditions(TicketSearchQuery(assigned_identifier="")) == "closedFlag = false"
    with pytest.raises(ValueError):
        member_identifier("")


@pytest.mark.parametrize("good", ["jsmith", "j.smith", "j_smith", "j-smith", "john@acme.com", "User1"])
def test_assigned_identifier_accepts_usual_identifiers(good):
    assert member_identifier(good) == good


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (TicketSearchQuery(), "closedFlag = false"),
        (TicketSearchQuery(include_closed=True), ""),
        (TicketSearchQuery(board_id=1, status_id=12), "closedFlag = false and board/id = 1 and status/id = 12"),
        (
            TicketSearchQuery(status_name='Waiting "on" Client'),
            'closedFlag = false and status/name = "Waiting \\"on\\" Client"',
        ),
        (
            TicketSearchQuery(status_id=12, status_name="ignored when an id is given"),
            "closedFlag = false and status/id = 12",
        ),
        (
            TicketSearchQuery(priority_id=1, company_id=250),
            "closedFlag = false and priority/id = 1 and company/id = 250",
        ),
        (TicketSearchQuery(unassigned=True), 'closedFlag = false and (resources = null or resources = "")'),
        (
            TicketSearchQuery(unassigned=True, assigned_identifier="jsmith"),
            'closedFlag = false and (resources = null or resources = "")',
        ),
        (
            TicketSearchQuery(exclude_ticket_id=1000, parent_ticket_id=999, include_closed=True),
            "id != 1000 and parentTicketId = 999",
        ),
        (
            TicketSearchQuery(search="vpn", assigned_identifier="agarcia"),
            'closedFlag = false and (resources = "agarcia" or resources like "agarcia, %" or resources like "%, agarcia" '
            'or resources like "%, agarcia, %") and (summary contains "vpn" or company/name contains "vpn")',
        ),
    ],
)
def test_ticket_search_conditions(query, expected):
    assert ticket_conditions(query) == expected
