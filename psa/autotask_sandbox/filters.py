"""Autotask's query language in the sandbox: ``QueryModel`` JSON -> a predicate over records.

Fields and their types come from the vendor Swagger (``psa.autotask.schema``), so every field Autotask has
can be filtered, not only the ones the seed fills. What is checked, with Autotask's wording where it is known
(API-NOTES 3.2, 3.4):

* operators ``eq noteq gt gte lt lte beginsWith endsWith contains exist notExist in notIn`` and groups
  ``and``/``or`` (nestable); ``udf: true`` compares a user-defined field by name;
* an unknown field -> ``Unable to find {field} in the {Entity} Entity.``; the two non-queryable ticket fields
  (``creatorType``, ``lastActivityPersonType``) are refused;
* a string where an integer is expected -> ``Conversion failed when converting the varchar value ...``;
  ``contains``/``beginsWith``/``endsWith`` on a number are refused; booleans take ``true``/``false``
  (and, leniently, 0/1: ``Contacts.isActive`` is an int that clients filter with ``true``);
* more than 500 OR conditions -> ``Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions.``;
* ``maxRecords`` outside 1-500 -> ``maxCountOfRecordsToReturn must be between 1 and 500``;
* ``includeFields`` names must exist (same message as an unknown filter field).

Lenient where the notes are unsure [L]: body keys, operators, field names and ``includeFields`` in any case;
string comparisons case-insensitive (SQL Server's default collation); an empty filter matches everything
(the real answer is not documented; the provider never sends one); a comparison without ``value`` compares
with the field type's zero value (what django-autotask means when it drops falsy values). Comparisons follow
SQL: a null field matches no comparison (``noteq`` and ``notIn`` included), only ``notExist``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from psa.autotask import schema

OPS = ("eq", "noteq", "gt", "gte", "lt", "lte", "beginswith", "endswith", "contains", "exist", "notexist", "in",
       "notin", "and", "or")
NOT_QUERYABLE = {"Tickets": {"creatortype", "lastactivitypersontype"}}
MAX_OR = 500
PAGE_MAX = 500

Predicate = Callable[[dict], bool]


class QueryError(Exception):
    """A query Autotask refuses: answered HTTP 500 ``{"errors": [message]}``."""


@functools.cache
def _fields(entity: str) -> dict[str, tuple[str, str]]:
    """lower-case name -> (canonical name, data type)."""
    return {name.lower(): (name, schema.data_type(prop)) for name, prop in schema.properties(entity).items()}


def field_name(entity: str, name: Any) -> str:
    if not isinstance(name, str) or name.lower() not in _fields(entity):
        raise QueryError(f"Unable to find {name} in the {schema.ENTITY_SINGULAR[entity]} Entity.")
    return _fields(entity)[name.lower()][0]


def body_value(body: dict, key: str) -> Any:
    """A ``QueryModel`` key in any case (``filter``/``Filter``, ``maxRecords``/``MaxRecords``)."""
    for k, v in body.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


def parse_date(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _coerce(kind: str, value: Any, field: str) -> Any:
    if kind in ("integer", "long"):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())  # py-autotask sends ids as strings
        raise QueryError(f"Conversion failed when converting the varchar value '{value}' to data type int.")
    if kind == "double":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise QueryError(f"Error converting data type varchar to numeric for {field}.") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise QueryError(f"The value for {field} must be true or false.")
    if kind == "datetime":
        try:
            return parse_date(value)
        except ValueError:
            raise QueryError(f"Conversion failed when converting date and/or time from character string for {field}.") from None
    if value is None:
        raise QueryError(f"A value is required for {field}.")
    return str(value).casefold()


_ZERO = {"integer": 0, "long": 0, "double": 0.0, "boolean": False, "string": ""}


def _row_value(kind: str, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == "datetime":
        try:
            return parse_date(raw)
        except ValueError:
            return None
    if kind == "string":
        return str(raw).casefold()
    if kind == "boolean" and isinstance(raw, int):
        return bool(raw)
    return raw


def count_or(items: list) -> int:
    total = 0
    for item in items:
        if not isinstance(item, dict):
            continue
        nested = body_value(item, "items") or []
        if str(body_value(item, "op") or "").lower() == "or" and isinstance(nested, list):
            total += len(nested)
        if isinstance(nested, list):
            total += count_or(nested)
    return total


def compile_filter(entity: str, items: Any) -> Predicate:
    """The predicate of a ``filter`` array (items ANDed). Raises QueryError as Autotask would answer."""
    if items is None:
        items = []
    if not isinstance(items, list):
        raise QueryError("The filter must be an array of conditions.")
    if count_or(items) > MAX_OR:
        raise QueryError("Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions.")
    parts = [_compile(entity, item) for item in items]
    return lambda row: all(p(row) for p in parts)


def _compile(entity: str, item: Any) -> Predicate:
    if not isinstance(item, dict):
        raise QueryError("Each filter condition must be an object.")
    op = str(body_value(item, "op") or "").lower()
    if op not in OPS:
        raise QueryError(f"Invalid query operator '{body_value(item, 'op')}'.")
    if op in ("and", "or"):
        nested = body_value(item, "items")
        if not isinstance(nested, list) or not nested:
            raise QueryError(f"The '{op}' condition needs items.")
        parts = [_compile(entity, sub) for sub in nested]
        return (lambda row: all(p(row) for p in parts)) if op == "and" else (lambda row: any(p(row) for p in parts))
    raw_field = body_value(item, "field")
    if body_value(item, "udf") is True:
        return _udf(op, raw_field, item)
    name = field_name(entity, raw_field)
    if name.lower() in NOT_QUERYABLE.get(entity, set()):
        raise QueryError(f"The field {name} is not queryable.")
    kind = _fields(entity)[name.lower()][1]
    if kind == "array":
        raise QueryError(f"The field {name} cannot be queried.")
    if op == "exist":
        return lambda row: row.get(name) not in (None, "")
    if op == "notexist":
        return lambda row: row.get(name) in (None, "")
    has_value = any(isinstance(k, str) and k.lower() == "value" for k in item)
    value = body_value(item, "value")
    if op in ("in", "notin"):
        if not isinstance(value, list):
            raise QueryError(f"The '{op}' condition on {name} needs an array value.")
        wanted = {_coerce(kind, v, name) for v in value}
        if op == "in":
            return lambda row: (v := _row_value(kind, row.get(name))) is not None and v in wanted
        return lambda row: (v := _row_value(kind, row.get(name))) is not None and v not in wanted
    if op in ("beginswith", "endswith", "contains"):
        if kind != "string":
            raise QueryError(f"The operator {body_value(item, 'op')} is not valid for the {kind} field {name}.")
        text = _coerce(kind, value if has_value else "", name)
        test = {"beginswith": str.startswith, "endswith": str.endswith, "contains": lambda a, b: b in a}[op]
        return lambda row: (v := _row_value(kind, row.get(name))) is not None and test(v, text)
    target = _coerce(kind, value, name) if has_value and value is not None else _ZERO.get(kind)
    if has_value and value is None:
        raise QueryError(f"A value is required for {name}.")
    compare = {
        "eq": lambda a, b: a == b, "noteq": lambda a, b: a != b, "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    }[op]
    if target is None:
        raise QueryError(f"A value is required for {name}.")
    return lambda row: (v := _row_value(kind, row.get(name))) is not None and compare(v, target)


def _udf(op: str, name: Any, item: dict) -> Predicate:
    if not isinstance(name, str) or not name:
        raise QueryError("A user-defined field filter needs the field's name.")
    wanted_name = name.casefold()

    def value_of(row: dict) -> str | None:
        for udf in row.get("userDefinedFields") or []:
            if str(udf.get("name", "")).casefold() == wanted_name:
                v = udf.get("value")
                return None if v is None else str(v).casefold()
        return None

    if op == "exist":
        return lambda row: value_of(row) not in (None, "")
    if op == "notexist":
        return lambda row: value_of(row) in (None, "")
    value = body_value(item, "value")
    if op in ("in", "notin"):
        wanted = {str(v).casefold() for v in (value if isinstance(value, list) else [])}
        return (lambda row: value_of(row) in wanted) if op == "in" else (
            lambda row: (v := value_of(row)) is not None and v not in wanted)
    text = "" if value is None else str(value).casefold()
    tests = {"eq": lambda a: a == text, "noteq": lambda a: a != text, "gt": lambda a: a > text,
             "gte": lambda a: a >= text, "lt": lambda a: a < text, "lte": lambda a: a <= text,
             "beginswith": lambda a: a.startswith(text), "endswith": lambda a: a.endswith(text),
             "contains": lambda a: text in a}
    return lambda row: (v := value_of(row)) is not None and tests[op](v)


def max_records(body: dict) -> int:
    value = body_value(body, "maxRecords")
    if value is None:
        return PAGE_MAX
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PAGE_MAX:
        raise QueryError("maxCountOfRecordsToReturn must be between 1 and 500")
    return value


def include_fields(entity: str, body: dict) -> list[str] | None:
    value = body_value(body, "includeFields")
    if not value:
        return None
    if not isinstance(value, list):
        raise QueryError("includeFields must be an array of field names.")
    return [field_name(entity, name) for name in value]
