"""One quoted-string writer and reader, shared by ConnectWise conditions, the sandbox and [ACTIONS] lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from psa.quoting import quoted, read_quoted


@given(st.text())
def test_what_is_written_reads_back_exactly(text):
    literal = quoted(text)
    assert read_quoted(literal) == (text, len(literal))


def test_a_literal_ends_at_its_closing_quote_and_says_where():
    assert read_quoted('name = "say \\"hi\\"" and x', 7) == ('say "hi"', 19)
    assert read_quoted("'it\\'s' rest") == ("it's", 7)


def test_an_unterminated_literal_runs_to_the_end():
    assert read_quoted('"no end') == ("no end", None)
    assert read_quoted('"ends in a backslash\\') == ("ends in a backslash\\", None)


def test_the_closing_quote_may_differ_from_the_opening_one():
    assert read_quoted("\u201cPrinter offline\u201d, then", closing="\u201d") == ("Printer offline", 17)


def test_a_caller_may_decline_a_closing_quote():
    def only_before_the_end(text, i):
        return i == len(text) - 1

    assert read_quoted("'Bob's PC'", ends_here=only_before_the_end) == ("Bob's PC", 10)
