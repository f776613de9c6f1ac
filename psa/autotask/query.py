"""Autotask query filters as plain JSON (API-NOTES 3.2), built from typed pieces.

    F.all(F.eq("queueID", 5), F.noteq("status", 5), F.any(F.contains("title", text), F.eq("id", 42)))

A filter is a JSON object (``{"op": "eq", "field": "queueID", "value": 5}``; groups
``{"op": "and"|"or", "items": [...]}``). User text travels as a JSON string value, so it cannot change the
query's structure (no quoting language to escape, unlike ConnectWise's ``conditions``). What this module
still guards: field names look like Autotask field names, integers are integers, booleans are JSON
``true``/``false`` ("any other values, including null, will return an error"), ``in`` lists hold only
integers or only strings and are never empty, and a query is never sent without a filter (Autotask
requires one; the match-all is ``id gte 0``).
"""

from __future__ import annotations

import re
from typing import Any

Filter = dict[str, Any]

FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
# Autotask refuses more than 500 OR conditions in one query (API-NOTES 3.2).
MAX_OR_CONDITIONS = 500


def _field(name: str) -> str:
    if not isinstance(name, str) or not FIELD.match(name):
        raise ValueError(f"not an Autotask field name: {name!r}")
    return name


def _scalar(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    raise ValueError(f"not an Autotask filter value: {type(value).__name__}")


class F:
    """Filter constructors. Every method returns a plain dict, ready for ``json.dumps``."""

    @staticmethod
    def _cmp(op: str, field: str, value: Any) -> Filter:
        return {"op": op, "field": _field(field), "value": _scalar(value)}

    @staticmethod
    def eq(field: str, value: Any) -> Filter:
        return F._cmp("eq", field, value)

    @staticmethod
    def noteq(field: str, value: Any) -> Filter:
        return F._cmp("noteq", field, value)

    @staticmethod
    def gt(field: str, value: Any) -> Filter:
        return F._cmp("gt", field, value)

    @staticmethod
    def gte(field: str, value: Any) -> Filter:
        return F._cmp("gte", field, value)

    @staticmethod
    def lte(field: str, value: Any) -> Filter:
        return F._cmp("lte", field, value)

    @staticmethod
    def contains(field: str, text: str) -> Filter:
        if not isinstance(text, str):
            raise ValueError("contains needs text")
        return {"op": "contains", "field": _field(field), "value": text}

    @staticmethod
    def exist(field: str) -> Filter:
        return {"op": "exist", "field": _field(field)}

    @staticmethod
    def not_exist(field: str) -> Filter:
        return {"op": "notExist", "field": _field(field)}

    @staticmethod
    def in_(field: str, values: list[int] | list[str]) -> Filter:
        return {"op": "in", "field": _field(field), "value": _values(values)}

    @staticmethod
    def not_in(field: str, values: list[int] | list[str]) -> Filter:
        return {"op": "notIn", "field": _field(field), "value": _values(values)}

    @staticmethod
    def all(*items: Filter) -> Filter:
        return {"op": "and", "items": list(items)}

    @staticmethod
    def any(*items: Filter) -> Filter:
        if not items:
            raise ValueError("an or group needs at least one condition")
        return {"op": "or", "items": list(items)}

    @staticmethod
    def match_all() -> Filter:
        """Every record (Autotask ids are positive): what a query "without a filter" sends."""
        return {"op": "gte", "field": "id", "value": 0}


def _values(values: Any) -> list:
    items = list(values)
    if not items:
        raise ValueError("an in/notIn list cannot be empty")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return list(dict.fromkeys(items))
    if all(isinstance(v, str) for v in items):
        return list(dict.fromkeys(items))
    raise ValueError("an in/notIn list holds only integers or only strings")


def or_conditions(filters: list[Filter]) -> int:
    """How many OR conditions a filter list holds (the items of every ``or`` group, nested ones too)."""
    total = 0
    for item in filters:
        nested = item.get("items") or []
        if item.get("op") == "or":
            total += len(nested)
        total += or_conditions(nested)
    return total


def query_body(filters: list[Filter], *, max_records: int | None = None, include_fields: list[str] | None = None) -> dict:
    """The ``QueryModel`` JSON: ``{"filter": [...], "maxRecords": n, "includeFields": [...]}``."""
    if not filters:
        raise ValueError("an Autotask query needs a filter (use F.match_all())")
    if or_conditions(filters) > MAX_OR_CONDITIONS:
        raise ValueError(f"Autotask allows at most {MAX_OR_CONDITIONS} OR conditions in one query")
    body: dict[str, Any] = {"filter": filters}
    if max_records is not None:
        body["maxRecords"] = int(max_records)
    if include_fields:
        body["includeFields"] = [_field(name) for name in dict.fromkeys(include_fields)]
    return body
