"""The sandbox's ConnectWise query language: conditions, orderBy and fields.

Unit tests evaluate parsed conditions against small objects; HTTP tests go through the WSGI app.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psa.sandbox import QueryError, parse_conditions
from psa.sandbox.conditions import parse_order_by

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"

TICKET = {
    "id": 1042,
    "summary": 'Printer says "PC LOAD LETTER"',
    "closedFlag": False,
    "parentTicketId": None,
    "budgetHours": 2.5,
    "board": {"id": 1, "name": "Service Desk"},
    "status": {"id": 12, "name": "In Progress", "sort": 2},
    "priority": {"id": 3, "name": "Priority 3 - Normal Response", "sort": 6},
    "company": {"id": 250, "identifier": "AcmeCorp", "name": "Acme Corp"},
    "type": {"id": 51, "name": "Incident"},
    "resources": "jsmith, agarcia",
    "path": "C:\\temp\\log.txt",
    "note": "it's fine",
    "tags": [{"name": "vip"}, {"name": "printer"}],
    "_info": {"dateEntered": "2025-05-01T10:00:00Z", "lastUpdated": "2025-05-03T08:30:00Z"},
}


def holds(conditions: str, obj: dict = TICKET) -> bool:
    return parse_conditions(conditions).evaluate(obj)


@pytest.fixture
def cw(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL,
                      auth=("sandbox+sandbox-public", "sandbox-private"), headers={"clientId": "rf-tests"}) as client:
        yield client


def count(cw, conditions: str) -> int:
    response = cw.get("/service/tickets/count", params={"conditions": conditions})
    assert response.status_code == 200, response.text
    return response.json()["count"]


# --- operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("conditions", "expected"), [
    ("id = 1042", True),
    ("id=1041", False),
    ("id != 1041", True),
    ("id <> 1042", False),
    ("id < 1043", True),
    ("id < 1042", False),
    ("id <= 1042", True),
    ("id > 1041", True),
    ("id > 1042", False),
    ("id >= 1042", True),
    ("budgetHours > 2", True),
    ("budgetHours = 2.5", True),
    ("id = -1", False),
])
def test_comparison_operators_compare_numbers(conditions, expected):
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "expected"), [
    ('company/name = "Acme Corp"', True),
    ('company/name = "acme corp"', True),  # case-insensitive like SQL Server's default collation
    ('company/name != "ACME CORP"', False),
    ('status/name < "Jz"', True),
    ("company/identifier = 'AcmeCorp'", True),  # single quotes work too
])
def test_string_comparison_is_case_insensitive(conditions, expected):
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "expected"), [
    ('summary like "Printer%"', True),
    ('summary like "%load letter%"', True),
    ('summary like "%LETTER\\""', True),
    ('summary like "Printer"', False),
    ('summary like "P_inter%"', True),
    ('summary not like "Printer%"', False),
    ('summary contains "load"', True),
    ('summary contains "fax"', False),
    ('summary not contains "fax"', True),
    ('resources contains "jsmith"', True),
    ("id in (1, 1042, 7)", True),
    ("id in (1, 2)", False),
    ("id not in (1, 2)", True),
    ("status/id in (11,12)", True),
    ('status/name in ("new", "in progress")', True),
])
def test_word_operators_like_contains_and_in(conditions, expected):
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "expected"), [
    ("closedFlag = false", True),
    ("closedFlag = False", True),
    ("closedFlag = TRUE", False),
    ("closedFlag != true", True),
    ("parentTicketId = null", True),
    ("parentTicketId != null", False),
    ("owner = null", True),  # a missing property is null
    ("owner/id = 101", False),
    ("owner/id != 101", True),
    ("company/id != null", True),
    ("resources = NULL", False),
])
def test_booleans_and_null(conditions, expected):
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "expected"), [
    ("dateEntered > [2025-04-30T00:00:00Z]", True),  # _info field filterable at the top level
    ("dateEntered > [2025-05-02T00:00:00Z]", False),
    ("lastUpdated >= [2025-05-03T08:30:00Z]", True),
    ("_info/dateEntered < [2025-05-01T10:00:01Z]", True),
    ("dateEntered > [2025-04-30]", True),
    ("lastUpdated < [2025-05-03T09:30:00+01:00]", False),
])
def test_datetime_literals_compare_as_instants(conditions, expected):
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "expected"), [
    ("id = 1 or id = 1042 and closedFlag = true", False),  # and binds tighter than or
    ("(id = 1 or id = 1042) and closedFlag = false", True),
    ("id = 1042 AND (board/id = 2 OR (status/id = 12 And priority/sort < 7))", True),
    ("not (id = 1042)", False),
    ("NOT id = 1 and not (board/id = 2 or board/id = 3)", True),
    ("((((id = 1042))))", True),
])
def test_and_or_not_and_parentheses_nest(conditions, expected):
    assert holds(conditions) is expected


def test_nested_paths_reach_into_arrays():
    assert holds('tags/name = "printer"')
    assert not holds('tags/name = "fax"')


@pytest.mark.parametrize(("conditions", "value"), [
    (r'summary = "say \"hi\""', 'say "hi"'),
    (r"note = 'it\'s fine'", "it's fine"),
    (r'path = "C:\\temp\\log.txt"', "C:\\temp\\log.txt"),
])
def test_quoted_strings_unescape_backslashes(conditions, value):
    assert parse_conditions(conditions).value == value


def test_an_escaped_backslash_does_not_escape_the_closing_quote():
    node = parse_conditions(r'summary = "a \\" or id = 1042')
    assert node.left.value == "a \\" and node.right.path == "id"


def test_hostile_text_inside_a_quoted_string_stays_literal():
    hostile = 'summary = "foo\\" OR 1=1"'
    node = parse_conditions(hostile)
    assert node.path == "summary" and node.value == 'foo" OR 1=1'
    assert not holds(hostile)
    assert holds(hostile, {"summary": 'foo" OR 1=1'})


@pytest.mark.parametrize("garbage", [
    "", "   ",
])
def test_empty_conditions_match_everything(garbage):
    assert parse_conditions(garbage) is None


@pytest.mark.parametrize("garbage", [
    "id =", "= 5", "id 5", "id == 5", 'summary = "unterminated', "summary = 'x", "(id = 1", "id = 1)",
    "id = 1 and", "or id = 1", "id in ()", "id in (1,", "id in 1", "id not = 1", "id like", "id = [not a date]",
    "id = [2025-01-01", "id = 1 id = 2", "id ~ 1", "id = 1; DROP TABLE tickets", "'x' = id", "id = foo",
    "and", "()", "not", "id = 1 and and id = 2", "1=1", "\x00", "id = \"\\", "a/ = 1", "/a = 1",
])
def test_garbage_raises_a_query_error(garbage):
    with pytest.raises(QueryError):
        parse_conditions(garbage)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(QueryError, match="nested"):
        parse_conditions("(" * 500 + "id = 1" + ")" * 500)
    with pytest.raises(QueryError):
        parse_conditions("not " * 500 + "id = 1")


def test_order_by_parses_several_keys():
    assert parse_order_by("priority/sort asc, id DESC,summary") == [
        ("priority/sort", False), ("id", True), ("summary", False)]
    for bad in ("id up", "id asc desc", ",", "id,,summary", "priority/ asc"):
        with pytest.raises(QueryError):
            parse_order_by(bad)


# --- through HTTP --------------------------------------------------------------------------------


def test_conditions_filter_tickets_over_http(cw):
    total = count(cw, "")
    closed = count(cw, "closedFlag = true")
    assert 0 < closed < total
    assert count(cw, "closedFlag = false") == total - closed
    assert count(cw, "closedflag=FALSE AND board/id = 1") + count(cw, "closedFlag = false and board/id != 1") == total - closed
    rows = cw.get("/service/tickets", params={"conditions": 'company/name = "acme corp"', "pageSize": 1000}).json()
    assert rows and {r["company"]["name"] for r in rows} == {"Acme Corp"}


def test_date_conditions_work_on_info_fields_over_http(cw):
    rows = cw.get("/service/tickets", params={"orderBy": "dateEntered desc", "pageSize": 20}).json()
    pivot = rows[10]["_info"]["dateEntered"]
    newer = count(cw, f"dateEntered > [{pivot}]")
    assert newer == count(cw, f"_info/dateEntered > [{pivot}]")
    assert newer == 10


def test_hostile_search_text_is_a_literal_search_over_http(cw):
    assert count(cw, 'summary contains "foo\\" OR 1=1"') == 0
    assert count(cw, "summary contains 'x\\' or id > 0 or summary = \\'y'") == 0


@pytest.mark.parametrize("conditions", ["id =", 'summary = "open', "(board/id = 1", "id in ()", "summary like"])
def test_a_parse_error_is_a_400_naming_the_problem(cw, conditions):
    response = cw.get("/service/tickets", params={"conditions": conditions})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert "expected" in body["message"] or "unterminated" in body["message"]


def test_an_unknown_field_is_a_400(cw):
    response = cw.get("/service/tickets", params={"conditions": "colour = 'red'"})
    assert response.status_code == 400
    assert "colour" in response.json()["message"]
    assert cw.get("/service/tickets", params={"orderBy": "colour asc"}).status_code == 400


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('idsumary/=!<>()[]"\'\\,%_ -0123456789.andornotlikeinTF\x00é')),
               max_size=40) | st.text(max_size=30))
def test_any_conditions_string_is_either_accepted_or_a_400(cw, conditions):
    response = cw.get("/service/tickets/count", params={"conditions": conditions})
    assert response.status_code in (200, 400), (conditions, response.text)
