"""Property test: random condition trees over schema fields (conditions, childConditions,
customFieldConditions; =, !=, <, <=, >, >=, like, contains, in, not …, nested parentheses, AND/OR/NOT,
any keyword case, both quote styles) select exactly the records a plain reference evaluation selects.

The reference below is written from the documented rules only (README "Queries"), deliberately simple:
values compare by the field's schema type; a null (unset) value fails every positive comparison;
``!=`` and ``not …`` are the negation of their positive form; childConditions and customFieldConditions
match when one element of the array satisfies the whole expression.
"""

from __future__ import annotations

import json
import operator
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.sandbox import schema
from psa.sandbox.app import CWSandbox

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"

TICKET_FIELDS = ["id", "summary", "closedFlag", "budgetHours", "actualHours", "board/id", "board/name",
                 "status/name", "priority/sort", "company/name", "owner/identifier", "parentTicketId",
                 "requiredDate", "estimatedStartDate", "closedDate", "lastUpdated", "poNumber", "severity",
                 "approved", "respondMinutes"]
COMPANY_FIELDS = ["id", "identifier", "name", "deletedFlag", "status/name", "dateAcquired", "city", "lastUpdated"]
CUSTOM_FIELDS = ["caption", "value", "id"]
CHILD_FIELDS = {"Ticket": ["integratorTags"], "Company": ["types/id", "types/name"]}

TAGS = ["rf", "legacy", "Sync", "vip", "o'brien"]
COMPANY_TYPES = [{"id": 1, "name": "Client"}, {"id": 2, "name": "Prospect"}, {"id": 5, "name": "Vendor"},
                 {"id": 7, "name": "Partner"}]
CUSTOM = {"Contract": ["Gold", "Silver", "bronze", None], "Seats": [0, 5, 25, 2.5, None],
          "VIP": [True, False], "Site Code": ["N-1", 'say "hi"', "%x_"]}


def _diversify(sb: CWSandbox) -> None:
    """Give the seed records what the seed leaves empty: custom fields, tags, more types, dates, nulls."""
    rng = random.Random(16)
    anchor = datetime(2025, 5, 16, 8, tzinfo=UTC)
    for ticket in sb.state["tickets"].values():
        if rng.random() < 0.6:
            ticket["customFields"] = _custom_fields(rng)
        if rng.random() < 0.5:
            ticket["integratorTags"] = rng.sample(TAGS, rng.randint(0, 3))
        if rng.random() < 0.4:
            start = anchor + timedelta(hours=rng.randint(-200, 200))
            ticket["estimatedStartDate"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.random() < 0.3:
            ticket["budgetHours"] = rng.choice([None, 0, 1, 2.5, 10, 100])
        if rng.random() < 0.2:
            ticket["poNumber"] = rng.choice(["PO-1", "po-2", "PO-10", ""])
    for company in sb.state["companies"].values():
        company["types"] = rng.sample(COMPANY_TYPES, rng.randint(0, 3))
        if rng.random() < 0.6:
            company["customFields"] = _custom_fields(rng)


def _custom_fields(rng: random.Random) -> list[dict]:
    captions = rng.sample(sorted(CUSTOM), rng.randint(0, 3))
    return [{"id": sorted(CUSTOM).index(c) + 1, "caption": c, "value": rng.choice(CUSTOM[c])} for c in captions]


@pytest.fixture(scope="module")
def world():
    sb = CWSandbox()
    _diversify(sb)
    client = httpx.Client(transport=httpx.WSGITransport(app=sb), base_url=BASE_URL,
                          auth=("sandbox+sandbox-public", "sandbox-private"), headers={"clientId": "rf-tests"})
    yield sb, client
    client.close()


# --- the reference evaluation ------------------------------------------------------------------------


def kind_of(resource: str, path: str) -> str:
    if resource == "CustomFieldValue" and path == "value":
        return "any"  # free-form: compared by the value's own type
    ft = schema.queryable(resource)[path]
    return ft.items if ft.kind == "array" else ft.kind


def stored(record, resource: str, path: str, *, head: str | None = None):
    """The record's value at ``path``; for childConditions ``record`` is one element of array ``head``."""
    if head is not None:
        parts = path.split("/")[1:]
    elif resource != "CustomFieldValue" and schema.queryable(resource)[path].info:
        return record.get("_info", {}).get(path)
    else:
        parts = path.split("/")
    for part in parts:
        record = record.get(part) if isinstance(record, dict) else None
    return record


def as_datetime(value):
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def pair_for(kind: str, value, literal):
    """The stored value and the literal as two comparable values, or None when they are not comparable."""
    if isinstance(literal, datetime):
        return as_datetime(value), literal
    if kind in ("integer", "number"):
        return as_number(value), as_number(literal)
    if kind == "boolean":
        return as_boolean(value), (bool(literal) if literal in (0, 1) and not isinstance(literal, str)
                                    else as_boolean(literal))
    if kind == "date-time":
        return as_datetime(value), as_datetime(literal)
    if kind == "string":
        return as_text(value).casefold(), as_text(literal).casefold()
    # "any": a boolean with a boolean, a number with a number, text with text; numbers read text as numbers
    if isinstance(value, bool):
        return (value, as_boolean(literal)) if isinstance(literal, bool | str) else None
    if isinstance(value, int | float) or (isinstance(literal, int | float) and not isinstance(literal, bool)):
        return (as_number(value), as_number(literal)) if not isinstance(literal, bool) else None
    return (value.casefold(), literal.casefold()) if isinstance(literal, str) else None


ORDER = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def holds(kind: str, value, op: str, literal) -> bool:
    if op == "!=":
        return not holds(kind, value, "=", literal)
    if op == "in":
        return any(holds(kind, value, "=", item) for item in literal)
    if literal is None:
        return value is None
    if value is None or isinstance(value, dict | list):
        return False
    if op == "like":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in literal)
        return re.fullmatch(pattern, as_text(value), re.IGNORECASE | re.DOTALL) is not None
    if op == "contains":
        return literal.casefold() in as_text(value).casefold()
    pair = pair_for(kind, value, literal)
    return pair is not None and None not in pair and ORDER[op](*pair)


def evaluate(node, record, resource: str, head: str | None = None) -> bool:
    if node[0] == "and":
        return evaluate(node[1], record, resource, head) and evaluate(node[2], record, resource, head)
    if node[0] == "or":
        return evaluate(node[1], record, resource, head) or evaluate(node[2], record, resource, head)
    if node[0] == "not":
        return not evaluate(node[1], record, resource, head)
    _, path, op, literal, _style = node
    return holds(kind_of(resource, path), stored(record, resource, path, head=head), op, literal)


def elements(record: dict, name: str) -> list:
    value = record.get(name)
    return value if isinstance(value, list) else []


def reference(records, resource: str, conditions, child, custom) -> list[int]:
    """The ids of the records all given trees select, evaluated plainly."""
    out = []
    for record in records:
        if conditions is not None and not evaluate(conditions, record, resource):
            continue
        if child is not None:
            head = first_path(child).split("/")[0]
            if not any(evaluate(child, e, resource, head) for e in elements(record, head)):
                continue
        if custom is not None and not any(evaluate(custom, entry, "CustomFieldValue")
                                          for entry in elements(record, "customFields")):
            continue
        out.append(record["id"])
    return sorted(out)


def first_path(node) -> str:
    return node[1] if node[0] not in ("and", "or", "not") else first_path(node[1])


# --- generating condition trees ----------------------------------------------------------------------

SCOPE_FIELDS = {("Ticket", "conditions"): TICKET_FIELDS, ("Company", "conditions"): COMPANY_FIELDS,
                ("Ticket", "child"): CHILD_FIELDS["Ticket"], ("Company", "child"): CHILD_FIELDS["Company"],
                ("Ticket", "custom"): CUSTOM_FIELDS, ("Company", "custom"): CUSTOM_FIELDS}
DATE_LIKE_STRINGS = {"closedDate"}  # string fields that hold dates: also compared with [datetime] literals
TEXT = st.text(alphabet=st.sampled_from(list("aeiouAEIOU-_%'\" 0123")), max_size=6)


def pools(records: dict, resource: str, scope: str) -> dict[str, list]:
    """Per field, the distinct values the records hold (the literals most likely to match)."""
    records = list(records.values())
    out = {}
    for path in SCOPE_FIELDS[resource, scope]:
        values = []
        for record in records:
            if scope == "conditions":
                found = [stored(record, resource, path)]
            elif scope == "child":
                head = path.split("/")[0]
                found = [stored(e, resource, path, head=head) for e in elements(record, head)]
            else:
                found = [stored(e, "CustomFieldValue", path) for e in elements(record, "customFields")]
            values += [v for v in found if v is not None and not isinstance(v, dict | list) and v not in values]
        out[path] = values[:40]
    return out


def literal_for(kind: str, path: str, held: list):
    """A strategy for one literal of ``kind``: mostly values the records hold, some others."""
    held_values = [v for v in held if not isinstance(v, bool)] if kind in ("integer", "number") else held
    if kind in ("integer", "number"):
        base = st.sampled_from(held_values) if held_values else st.integers(-5, 200)
        return st.one_of(base, st.integers(-5, 1200), st.sampled_from([0.5, 2.5, 99.99]),
                         base.map(lambda v: str(v)))  # a quoted number converts
    if kind == "boolean":
        return st.sampled_from([True, False, "true", "False", 1, 0])
    if kind == "date-time" or path in DATE_LIKE_STRINGS:
        dates = [as_datetime(v) for v in held if as_datetime(v)] or [datetime(2025, 5, 16, 8, tzinfo=UTC)]
        shifted = st.tuples(st.sampled_from(dates), st.integers(-3, 3)).map(lambda p: p[0] + timedelta(hours=p[1]))
        dated = st.one_of(st.sampled_from(dates), shifted)
        if kind == "date-time":
            return st.one_of(dated, dated.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")))
        return dated
    text = [v for v in held if isinstance(v, str)]
    strings = st.one_of(st.sampled_from(text), TEXT) if text else TEXT
    if kind == "any":  # a custom field's value: any of the types values have
        numbers = [v for v in held if isinstance(v, int | float) and not isinstance(v, bool)]
        return st.one_of(strings, st.sampled_from(numbers or [1]), st.booleans())
    return strings


def like_pattern(held: list):
    text = [v for v in held if isinstance(v, str) and v] or ["x"]

    def shape(args):
        value, how, cut = args
        cut = cut % (len(value) + 1)
        return [value[:cut] + "%", "%" + value[cut:], "%" + value[cut:cut + 2] + "%",
                value[:cut] + "_" + value[cut + 1:], value.upper()][how]

    return st.tuples(st.sampled_from(text), st.integers(0, 4), st.integers(0, 50)).map(shape) | TEXT


def comparison(resource: str, path: str, held: list, style):
    schema_resource = "CustomFieldValue" if path in CUSTOM_FIELDS and resource == "custom" else resource
    kind = kind_of(schema_resource, path)
    value = literal_for(kind, path, held)
    ops = [st.tuples(st.sampled_from(["=", "!="]), st.one_of(value, st.none())),
           st.tuples(st.sampled_from(["<", "<=", ">", ">="]), value),
           st.tuples(st.just("in"), st.lists(st.one_of(value, st.none()), min_size=1, max_size=4))]
    if kind in ("string", "any") and path not in DATE_LIKE_STRINGS:
        ops.append(st.tuples(st.just("like"), like_pattern(held)))
        ops.append(st.tuples(st.just("contains"), st.sampled_from([v for v in held if isinstance(v, str)] or ["a"])
                             .map(lambda v: v[1:3]) | TEXT))
    return st.tuples(st.one_of(ops), style).map(lambda t: ("cmp", path, t[0][0], t[0][1], t[1]))


STYLE = st.integers(0, 5)


_TREES: dict[tuple, st.SearchStrategy] = {}


def trees(records, resource: str, scope: str):
    """Condition trees over the fields of ``scope`` (the strategy is built once per record set)."""
    key = (id(records), resource, scope)
    if key not in _TREES:
        target = "custom" if scope == "custom" else resource
        leaves = st.one_of([comparison(target, path, held, STYLE)
                            for path, held in pools(records, resource, scope).items()])
        _TREES[key] = _combine(leaves)
    return _TREES[key]


def _combine(leaves):
    return st.recursive(leaves, lambda children: st.one_of(
        st.tuples(st.just("and"), children, children, STYLE),
        st.tuples(st.just("or"), children, children, STYLE),
        st.tuples(st.just("not"), children, STYLE),
    ), max_leaves=7)


# --- rendering a tree as ConnectWise conditions text -------------------------------------------------


def keyword(word: str, style: int) -> str:
    return [word, word.upper(), word.title()][style % 3]


def render_literal(value, style: int) -> str:
    if value is None:
        return keyword("null", style)
    if isinstance(value, bool):
        return keyword("true" if value else "false", style)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        if style % 3 == 0:
            return "[" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "]"
        if style % 3 == 1:
            return "[" + value.astimezone(timezone(timedelta(hours=2))).isoformat() + "]"
        return "[" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "]"
    quote = '"' if style % 2 == 0 else "'"
    return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def render_path(path: str, style: int) -> str:
    return path.upper() if style == 5 else path


def render_comparison(node, negated: bool = False) -> str:
    _, path, op, value, style = node
    left = render_path(path, style)
    word = (keyword("not", style) + " ") if negated else ""
    if op == "in":
        return f"{left} {word}{keyword('in', style)} (" + ", ".join(render_literal(v, style) for v in value) + ")"
    if op in ("like", "contains"):
        return f"{left} {word}{keyword(op, style)} {render_literal(value, style)}"
    spacing = " " if style % 2 else ""
    return f"{left}{spacing}{op}{spacing}{render_literal(value, style)}"


PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4}


def render(node, parent: int = 0) -> str:
    kind, style = node[0], node[-1]
    if kind == "cmp":
        text = render_comparison(node)
    elif kind == "not":
        inner = node[1]
        if inner[0] == "cmp" and inner[2] in ("in", "like", "contains") and style % 2 == 0:
            text = render_comparison(inner, negated=True)  # x not like 'a%'
        else:
            text = f"{keyword('not', style)} {render(inner, PRECEDENCE['not'])}"
    else:
        text = f"{render(node[1], PRECEDENCE[kind])} {keyword(kind, style)} {render(node[2], PRECEDENCE[kind] + 1)}"
    if PRECEDENCE[kind] < parent or style == 4:
        text = f"({text})"
    return text


# --- the properties ----------------------------------------------------------------------------------


def sandbox_ids(client, path: str, params: dict) -> list[int]:
    response = client.get(path, params={"pageSize": 1000, "fields": "id", **params})
    assert response.status_code == 200, f"{params}: {response.text}"
    return sorted(row["id"] for row in response.json())


def check(world, data, resource: str, path: str, table: str):
    sb, client = world
    records = sb.state[table]
    conditions = data.draw(st.none() | trees(records, resource, "conditions"))
    child = data.draw(st.none() | trees(records, resource, "child"))
    custom = data.draw(st.none() | trees(records, resource, "custom"))
    records = list(records.values())
    params = {}
    if conditions is not None:
        params["conditions"] = render(conditions)
    if child is not None:
        params["childConditions"] = render(child)
    if custom is not None:
        params["customFieldConditions"] = render(custom)
    assert sandbox_ids(client, path, params) == reference(records, resource, conditions, child, custom), params


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_ticket_queries_select_what_a_plain_evaluation_selects(world, data):
    check(world, data, "Ticket", "/service/tickets", "tickets")


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_company_queries_select_what_a_plain_evaluation_selects(world, data):
    check(world, data, "Company", "/company/companies", "companies")
