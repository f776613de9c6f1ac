"""Validate JSON against Autotask's own Swagger 2.0 subset (``psa/autotask/autotask-openapi.json``).

Swagger 2.0 schemas are converted to JSON Schema first, with the vendor document's known gaps
(API-NOTES section 0) made explicit:

* no nullability in the document, while real answers carry ``null`` for every unset field: every
  property may be null;
* ``itemId`` (and ``Filter.value``, ``isSupportedWebhookField``) typed as the empty ``Object``: any value;
* ``format: date-time`` checked as an ISO 8601 date and time (with or without zone, as Autotask sends).

``strict=True`` forbids properties the model does not declare, at every level: a response or request
body with a field Autotask does not have fails.
"""

from __future__ import annotations

import copy
import functools
import re
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from psa.autotask import schema

ANY: dict[str, Any] = {}
_checker = FormatChecker()


@_checker.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


def _convert(node: Any, strict: bool) -> Any:
    if isinstance(node, list):
        return [_convert(item, strict) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("$ref") == "#/definitions/Object":
        return ANY
    if "$ref" in node:
        return {"$ref": node["$ref"].replace("#/definitions/", "#/$defs/")}
    out = {k: _convert(v, strict) for k, v in node.items() if k not in ("readOnly", "example", "description", "properties")}
    if node.get("type") == "object" and "properties" in node:
        props = node["properties"]
        if not props:
            return ANY  # an empty model (Object, RestUserAccessLevel): anything
        out["properties"] = {name: {"anyOf": [_convert(p, strict), {"type": "null"}]} for name, p in props.items()}
        if strict:
            out["additionalProperties"] = False
    return out


@functools.cache
def _root(strict: bool) -> dict:
    defs = {name: _convert(copy.deepcopy(d), strict) for name, d in schema.spec()["definitions"].items()}
    defs["Filter"]["properties"]["value"] = ANY
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


def errors(instance: Any, node: dict, *, strict: bool = True) -> list[str]:
    validator = Draft202012Validator({**_root(strict), **_convert(node, strict)}, format_checker=_checker)
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in found]


@functools.cache
def _templates() -> list[tuple[re.Pattern, str]]:
    paths = schema.spec()["paths"]
    compiled = [(re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", p) + "/?$", re.I), p) for p in paths]
    return sorted(compiled, key=lambda item: item[1].count("{"))  # literal segments win over parameters


def operation(path: str, method: str) -> tuple[str, dict]:
    """The Swagger operation serving ``path`` (after ``/ATServicesRest``): (template, operation)."""
    for pattern, template in _templates():
        if pattern.match(path):
            ops = schema.spec()["paths"][template]
            if method.lower() in ops:
                return template, ops[method.lower()]
    raise LookupError(f"no {method} {path} in the Autotask subset")


def response_schema(path: str, method: str) -> dict:
    return operation(path, method)[1]["responses"]["200"]["schema"]


def body_schema(path: str, method: str) -> dict:
    params = operation(path, method)[1]["parameters"]
    return next(p["schema"] for p in params if p["in"] == "body")
