"""Property: whatever a user types into search, ConnectWise (here: the sandbox's parser) reads the
built conditions as one literal match on the intended fields — never as extra clauses."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from psa.connectwise.conditions import search_text, ticket_conditions
from psa.sandbox.conditions import And, Comparison, Or, parse_conditions
from psa.schemas import TicketSearchQuery

SEARCH_MAX = 200  # the API's bound on search text (tickets.service.SEARCH_MAX)

# Text that tries to break out of a string literal or smuggle syntax in.
hostile = st.sampled_from([
    '" or 1=1', "' or '1'='1", '\\', '\\"', '"\\', ') or (id > 0', 'summary contains "x"', '" and closedFlag = true and "',
    '[2020-01-01T00:00:00Z]', 'null', 'not', '%', '_', ',', '\x00', '\n or id=1', '\u2028', '#123', '0042', '²', '٣',
])
search_strings = st.one_of(
    st.text(max_size=SEARCH_MAX),
    st.lists(st.one_of(hostile, st.text(max_size=5)), max_size=12).map("".join).map(lambda s: s[:SEARCH_MAX]),
)


def expected_literal(text: str) -> str:
    """What the builder promises to search for: control characters dropped, whitespace collapsed."""
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())


def or_leaves(node) -> list:
    return or_leaves(node.left) + or_leaves(node.right) if isinstance(node, Or) else [node]


@settings(max_examples=300, deadline=None)
@given(search_strings)
@example('" or 1=1 or summary contains "')
@example("²")
@example("#00123")
def test_any_search_text_is_one_literal_match_on_summary_company_or_id(text):
    condition = search_text(text)
    literal = expected_literal(text)
    if not literal:
        assert condition is None
        return

    leaves = or_leaves(parse_conditions(str(condition)))

    assert all(isinstance(leaf, Comparison) for leaf in leaves)
    text_leaves = [(leaf.path, leaf.op, leaf.value) for leaf in leaves if leaf.op == "contains"]
    assert text_leaves == [("summary", "contains", literal), ("company/name", "contains", literal)]
    id_leaves = [leaf for leaf in leaves if leaf.op != "contains"]
    number = literal.lstrip("#")
    if number.isascii() and number.isdigit() and len(number) <= 9:
        assert [(leaf.path, leaf.op, leaf.value) for leaf in id_leaves] == [("id", "=", int(number))]
    else:
        assert id_leaves == []


@settings(max_examples=200, deadline=None)
@given(search_strings)
def test_the_full_ticket_query_keeps_its_other_filters_and_matches_exactly_that_text(text):
    literal = expected_literal(text)
    conditions = ticket_conditions(TicketSearchQuery(search=text, board_id=1))
    tree = parse_conditions(conditions)

    # closedFlag = false AND board/id = 1 AND (<the search>): the search cannot loosen the filters.
    assert isinstance(tree, And)
    filters = []
    node = tree
    while isinstance(node, And):
        filters.append(node.right)
        node = node.left
    filters.append(node)
    filters.reverse()
    assert [(f.path, f.op, f.value) for f in filters[:2]] == [("closedFlag", "=", False), ("board/id", "=", 1)]
    assert len(filters) == (3 if literal else 2)

    if literal:
        def ticket(summary):
            return {"id": -1, "summary": summary, "closedFlag": False, "board": {"id": 1},
                    "company": {"name": ""}}
        assert tree.evaluate(ticket(literal))  # a ticket whose summary is the text matches
        if literal.strip():
            assert not tree.evaluate(ticket(""))  # one that has nothing of it does not
        assert not tree.evaluate({**ticket(literal), "board": {"id": 2}})  # and other boards stay out
