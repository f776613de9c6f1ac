"""Validate JSON against the vendored ConnectWise OpenAPI 3.0 subset (``psa/sandbox/connectwise-openapi.json``,
the one file the sandbox itself reads its schemas from).

OpenAPI 3.0 schemas are not quite JSON Schema: ``nullable: true`` has no JSON Schema meaning, so the
schemas are converted first (``type: T, nullable`` -> ``type: [T, "null"]``; a nullable ``$ref`` ->
``anyOf [$ref, null]``). ConnectWise's " Max length: N;" descriptions become ``maxLength``.
``$ref`` (``#/components/schemas/X``) resolve inside the document.

``partial=True`` drops ``required`` everywhere: a response to a request with ``fields=`` holds only
the fields asked for, as ConnectWise sends it.

``strict=True`` additionally forbids properties the schema does not declare, at every level: a
response or request body with a field ConnectWise does not have fails.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from psa.sandbox import schema as sandbox_schema

SPEC_PATH = sandbox_schema.SPEC_PATH
MEDIA_TYPE = "application/vnd.connectwise.com+json; version=2025.8"
_MAX_LENGTH = re.compile(r"Max length: (\d+);")


def spec() -> dict[str, Any]:
    return sandbox_schema.spec()


def to_json_schema(node: Any, *, strict: bool, partial: bool = False) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema 2020-12 (recursively)."""
    if isinstance(node, list):
        return [to_json_schema(item, strict=strict, partial=partial) for item in node]
    if not isinstance(node, dict):
        return node
    dropped = {"nullable", "required"} if partial else {"nullable"}
    out = {
        key: to_json_schema(value, strict=strict, partial=partial) for key, value in node.items() if key not in dropped
    }
    if "properties" in node and isinstance(node["properties"], dict):
        # "properties" maps names to schemas: convert the schemas, not the map.
        out["properties"] = {
            name: to_json_schema(schema, strict=strict, partial=partial) for name, schema in node["properties"].items()
        }
        if strict and "additionalProperties" not in node:
            out["additionalProperties"] = False
    description = node.get("description")
    if isinstance(description, str) and node.get("type") == "string":
        match = _MAX_LENGTH.search(description)
        if match:
            out["maxLength"] = int(match.group(1))
    if node.get("nullable"):
        if "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        elif "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
    return out


@functools.cache
def _root(strict: bool, partial: bool) -> dict[str, Any]:
    components = copy.deepcopy(spec()["components"])
    components["schemas"] = {
        name: to_json_schema(schema, strict=strict, partial=partial) for name, schema in components["schemas"].items()
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": components}


def _validator(schema: dict[str, Any], strict: bool, partial: bool) -> Draft202012Validator:
    return Draft202012Validator(
        {**_root(strict, partial), **to_json_schema(schema, strict=strict, partial=partial)},
        format_checker=FormatChecker(),
    )


def operation(path: str, method: str) -> dict[str, Any]:
    return spec()["paths"][path][method.lower()]


def response_schema(path: str, method: str = "get", status: str | None = None) -> dict[str, Any]:
    responses = operation(path, method)["responses"]
    status = status or next(iter(responses))
    return responses[status]["content"][MEDIA_TYPE]["schema"]


def request_schema(path: str, method: str) -> dict[str, Any]:
    return operation(path, method)["requestBody"]["content"]["application/json"]["schema"]


def errors(
    instance: Any,
    schema: dict[str, Any],
    *,
    strict: bool = False,
    partial: bool = False,
    ignore: frozenset[str] = frozenset(),
) -> list[str]:
    """Every validation problem as ``"<json path>: <message>"`` (empty when valid).

    ``ignore``: property names whose presence as an undeclared property is tolerated (known deviations).
    """
    found: list[ValidationError] = sorted(
        _validator(schema, strict, partial).iter_errors(instance), key=lambda e: list(e.absolute_path)
    )
    found = [
        e
        for e in found
        if not (
            e.validator == "additionalProperties"
            and ignore
            and set(e.instance) - set(e.schema.get("properties", {})) <= ignore
        )
    ]
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in found]


def component(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}
