"""ConnectWise's own OpenAPI schemas (the 2025.8 subset in ``connectwise-openapi.json``) as the sandbox
needs them: which fields a resource has, of which type, and whether a write body is acceptable.

The file is read once, on first use. Resource names are the schema names (``Ticket``, ``Member``,
``Company``, ``ScheduleEntry``, ``ServiceNote``, ``TimeEntry``, ``Board``, ``Contact``,
``Company.Configuration``, …; :func:`resources` lists them all).

Reading the schema
------------------
``fields(resource) -> dict[str, FieldType]``
    Every field path of the resource, in schema order: each property (``summary``, ``board``) and,
    following ``$ref`` into reference objects and arrays, their sub-fields (``board/id``,
    ``board/name``, ``customFields/caption``, ``types/name``). ``_info`` is left out. A path that
    crosses an array has ``in_array=True``: ConnectWise filters those with ``childConditions``.
``queryable(resource) -> dict[str, FieldType]``
    ``fields`` plus the ``_info`` entries ConnectWise lets ``conditions``/``orderBy`` name although
    they are not properties (``dateEntered``, ``lastUpdated``, ``updatedBy``, ``enteredBy``).
``field(resource, path) -> FieldType | None``
    One path of ``queryable``, looked up case-insensitively (ConnectWise field names are SQL columns).
``resource_for_path(api_path) -> str | None``
    The schema a GET on an API path answers with (``/service/tickets/5/notes`` -> ``ServiceNote``);
    a ``…/count`` path names the schema of the collection it counts.

``FieldType.kind`` is one of ``string``, ``integer``, ``number``, ``boolean``, ``date-time``, ``uuid``,
``reference`` (an object from ``$ref``), ``object`` (free-form: ``CustomFieldValue.value``), ``array``.
It also carries ``nullable``, ``enum``, ``max_length`` (from the " Max length: N;" descriptions),
``required`` (the schema's ``required`` list), ``required_on_update`` (" Required On Updates;"),
``read_only``, ``create_only``/``update_only`` (from the descriptions: "Only available for POST",
"may only be Updated"), ``ref`` (the referenced schema) and ``items`` (an array's item kind).

The 2025.8 schema marks no property ``readOnly``. ``read_only`` is therefore ``id`` and ``_info`` of
every resource plus the fields listed in :data:`READ_ONLY` (from API-NOTES §11.2 for time entries and
from what ConnectWise computes itself on tickets); it is a documented approximation.

Validating a write
------------------
``bind(resource, body, *, partial=False, allow_read_only=False) -> (value, problems)``
    Reads a POST/PUT body (``partial=False``: the schema's required fields must be there) or a
    partial object (``partial=True``) the way ConnectWise's JSON binder (Json.NET) does, and returns
    the typed value it would store and a list of :class:`Problem` (empty when acceptable):

    - integers: JSON integers, integral numbers (``2.0``) and numeric strings (``"7"``);
    - numbers: JSON numbers and numeric strings (``"2.50"`` -> ``2.5``);
    - booleans: ``true``/``false`` and the strings ``"true"``/``"false"`` (any case);
    - date-times: ISO-8601 strings (``2025-05-16T08:00:00Z``; no zone = UTC), normalised to ``…Z``;
    - strings: strings, and numbers/booleans as their text; enums match case-insensitively and are
      stored in the schema's spelling; " Max length: N;" is enforced;
    - ``""`` and ``null`` clear a nullable integer, number, boolean or date-time (Json.NET reads an
      empty string as null for nullable value types); ``null`` clears a string or a reference;
    - references and array items are bound recursively against their own schema;
    - properties the schema does not declare are ignored (Json.NET ignores unknown members) and
      dropped from ``value``; a top-level ``id`` is dropped too (clients echo what they read);
      other read-only fields give a ``ReadOnlyField`` problem unless ``allow_read_only`` (then they
      are dropped from ``value``).

``validate_write(resource, body, *, partial=False, allow_read_only=False) -> list[Problem]``
    ``bind`` without the value.
``bind_field(resource, path, value) -> (value, problems)``
    One field, for a PATCH operation: ``path`` may be a property (``status``, value an object) or a
    sub-path (``status/id``, ``member/identifier``); an unknown path is an ``UnknownField`` problem.

A :class:`Problem` is ``(code, field, message)`` — the order ``app._invalid`` takes — with the
codes ConnectWise uses: ``NullValue`` (required field missing), ``InvalidType``, ``InvalidFormat``
(a malformed date-time or uuid), ``InvalidValue`` (not one of the enum's values),
``MaxLengthExceeded``, ``ReadOnlyField``, ``UnknownField``, ``InvalidObject`` (body not an object).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

SPEC_PATH = Path(__file__).with_name("connectwise-openapi.json")
MEDIA_TYPE = "application/vnd.connectwise.com+json; version=2025.8"
MAX_DEPTH = 3  # ``company/site/id`` at most: references hold references only one level down

# Not marked in the schema (it has no readOnly); see the module docstring.
READ_ONLY: dict[str, frozenset[str]] = {
    "Ticket": frozenset({"resources", "closedDate", "closedBy", "hasChildTicket", "recordType", "dateResolved",
                         "dateResponded", "dateResplan", "mergedParentTicket", "hasMergedChildTicketFlag"}),
    "TimeEntry": frozenset({"company", "companyType", "hoursBilled", "invoiceHours", "hourlyCost", "enteredBy",
                            "dateEntered", "invoice", "timeSheet", "status", "ticket", "project", "phase",
                            "ticketBoard", "ticketStatus", "ticketType", "ticketSubType"}),
}
ALWAYS_READ_ONLY = frozenset({"id", "_info"})

# ``_info`` entries ConnectWise lets conditions/orderBy name (API-NOTES §2.1).
INFO_FIELDS = {"dateEntered": "date-time", "lastUpdated": "date-time", "updatedBy": "string", "enteredBy": "string"}

_REF_PREFIX = "#/components/schemas/"
_MAX_LENGTH = re.compile(r"Max length: (\d+);")
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class FieldType:
    path: str
    kind: str  # string integer number boolean date-time uuid reference object array
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    required: bool = False
    required_on_update: bool = False
    read_only: bool = False
    create_only: bool = False
    update_only: bool = False
    ref: str | None = None  # the schema a reference (or an array's items) follows
    items: str | None = None  # an array's item kind
    in_array: bool = False  # the path crosses an array (childConditions territory)
    info: bool = False  # an ``_info`` entry, not a schema property


class Problem(NamedTuple):
    code: str
    field: str
    message: str


# --- loading -------------------------------------------------------------------------------------


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _schemas() -> dict[str, Any]:
    return spec()["components"]["schemas"]


def resources() -> list[str]:
    """Every object schema that has properties."""
    return [name for name, s in _schemas().items() if s.get("properties")]


def _ref_name(node: dict) -> str | None:
    ref = node.get("$ref")
    return ref[len(_REF_PREFIX):] if isinstance(ref, str) and ref.startswith(_REF_PREFIX) else None


def _kind(node: dict) -> str:
    if _ref_name(node):
        return "reference"
    kind = node.get("type", "object")
    fmt = node.get("format")
    if kind == "string" and fmt in ("date-time", "uuid"):
        return fmt
    return kind


def _field_type(resource: str, path: str, node: dict, *, required: bool, in_array: bool) -> FieldType:
    description = node.get("description") or ""
    kind = _kind(node)
    items = node.get("items") if kind == "array" else None
    max_length = _MAX_LENGTH.search(description)
    name = path.rsplit("/", 1)[-1]
    top = "/" not in path
    return FieldType(
        path=path, kind=kind, nullable=bool(node.get("nullable")),
        enum=tuple(node["enum"]) if node.get("enum") else None,
        max_length=int(max_length.group(1)) if max_length and kind == "string" else None,
        required=required, required_on_update="Required On Updates;" in description,
        read_only=top and (name in ALWAYS_READ_ONLY or name in READ_ONLY.get(resource, ())),
        create_only="Only available for POST" in description or "only during new" in description
        or "only on create" in description,
        update_only="may only be Updated" in description,
        ref=_ref_name(items if items else node), items=_kind(items) if items else None, in_array=in_array,
    )


@functools.cache
def _fields(resource: str) -> dict[str, FieldType]:
    schemas = _schemas()
    if resource not in schemas:
        raise KeyError(f"no schema named {resource!r}")
    out: dict[str, FieldType] = {}

    def walk(schema_name: str, prefix: str, depth: int, seen: tuple[str, ...], in_array: bool):
        schema = schemas[schema_name]
        required = set(schema.get("required", ()))
        for name, node in schema.get("properties", {}).items():
            if name == "_info":
                continue
            path = f"{prefix}{name}"
            ft = _field_type(resource, path, node, required=name in required, in_array=in_array)
            out[path] = ft
            if ft.ref and depth < MAX_DEPTH and ft.ref not in seen:
                walk(ft.ref, path + "/", depth + 1, (*seen, ft.ref), in_array or ft.kind == "array")

    walk(resource, "", 1, (resource,), False)
    return out


def fields(resource: str) -> dict[str, FieldType]:
    """Every field path of ``resource`` (see the module docstring). Do not mutate the answer."""
    return _fields(resource)


@functools.cache
def queryable(resource: str) -> dict[str, FieldType]:
    """``fields`` plus the ``_info`` entries conditions and orderBy may name."""
    out = dict(_fields(resource))
    for name, kind in INFO_FIELDS.items():
        out.setdefault(name, FieldType(path=name, kind=kind, nullable=True, read_only=True, info=True))
    return out


@functools.cache
def _lower_index(resource: str) -> dict[str, FieldType]:
    return {path.lower(): ft for path, ft in queryable(resource).items()}


def field(resource: str, path: str) -> FieldType | None:
    """The field at ``path`` (any letter case), or None when the resource has no such field."""
    return _lower_index(resource).get(path.strip("/").lower())


@functools.cache
def _path_templates() -> list[tuple[re.Pattern, str]]:  # (pattern, schema), literal segments first
    out = []
    for template, ops in spec()["paths"].items():
        schema = (((ops.get("get") or {}).get("responses") or {}).get("200") or {}).get("content", {})
        schema = schema.get(MEDIA_TYPE, {}).get("schema", {})
        name = _ref_name(schema.get("items", {}) if schema.get("type") == "array" else schema)
        if name and name != "Count":
            pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", r"[^/]+", re.escape(template)), re.IGNORECASE)
            out.append((pattern, name, template.count("{")))
    out.sort(key=lambda t: t[2])  # literal segments before placeholders
    return [(p, n) for p, n, _ in out]


@functools.lru_cache(maxsize=512)
def resource_for_path(api_path: str) -> str | None:
    """The schema a GET on ``api_path`` (after ``/v4_6_release/apis/3.0``) answers with, or None."""
    clean = "/" + api_path.strip("/")
    if clean.lower().endswith("/count"):
        clean = clean[: -len("/count")]
    return next((name for pattern, name in _path_templates() if pattern.fullmatch(clean)), None)


# --- binding writes ------------------------------------------------------------------------------


def bind(resource: str, body: Any, *, partial: bool = False, allow_read_only: bool = False
         ) -> tuple[dict, list[Problem]]:
    """``body`` read as ConnectWise would: the typed value to store and the problems (see module docstring)."""
    if not isinstance(body, dict):
        return {}, [Problem("InvalidObject", "body", f"A {resource} object is required.")]
    problems: list[Problem] = []
    value = _bind_object(resource, body, "", problems, partial=partial, allow_read_only=allow_read_only, top=True)
    return value, problems


def validate_write(resource: str, body: Any, *, partial: bool = False, allow_read_only: bool = False
                   ) -> list[Problem]:
    return bind(resource, body, partial=partial, allow_read_only=allow_read_only)[1]


def bind_field(resource: str, path: str, value: Any) -> tuple[Any, list[Problem]]:
    """One PATCH target: ``path`` a property or a sub-path into a reference."""
    ft = fields(resource).get(path.strip("/")) or field(resource, path)
    if ft is None or ft.info:
        return None, [Problem("UnknownField", path, f"{resource} has no field '{path}'.")]
    problems: list[Problem] = []
    if ft.read_only:
        problems.append(Problem("ReadOnlyField", ft.path, f"{ft.path} is read-only."))
        return None, problems
    return _bind_value(ft, value, ft.path, problems), problems


def _bind_object(schema_name: str, body: dict, prefix: str, problems: list[Problem], *, partial: bool,
                 allow_read_only: bool, top: bool) -> dict:
    schema = _schemas()[schema_name]
    props = schema.get("properties", {})
    out: dict = {}
    lower = {k.lower(): k for k in props}
    for key, raw in body.items():
        name = key if key in props else lower.get(str(key).lower())
        if name is None or name == "_info":
            continue  # Json.NET ignores members the type does not have
        where = f"{prefix}{name}"
        ft = fields(schema_name).get(name) if top else _field_type(schema_name, name, props[name],
                                                                    required=False, in_array=False)
        if top and ft.read_only:
            if name == "id" and not prefix:
                pass  # an id in a body is ignored, not refused: clients echo the object they read
            elif not allow_read_only:
                problems.append(Problem("ReadOnlyField", where, f"{where} is read-only."))
            continue
        bound = _bind_value(ft, raw, where, problems)
        out[name] = bound
    if not partial:
        for name in schema.get("required", ()):
            if out.get(name) in (None, "") and name != "_info":
                where = f"{prefix}{name}"
                problems.append(Problem("NullValue", where, f"{where} is required."))
    return out


def _bind_value(ft: FieldType, raw: Any, where: str, problems: list[Problem]) -> Any:
    kind = ft.kind
    if raw is None:
        return None
    if raw == "" and kind in ("integer", "number", "boolean", "date-time", "uuid"):
        return None
    if kind == "reference":
        if not isinstance(raw, dict):
            problems.append(Problem("InvalidType", where, f"{where} must be an object (a reference: {{\"id\": …}})."))
            return None
        return _bind_object(ft.ref, raw, where + "/", problems, partial=True, allow_read_only=True, top=False)
    if kind == "array":
        if not isinstance(raw, list):
            problems.append(Problem("InvalidType", where, f"{where} must be an array."))
            return None
        item_type = FieldType(path=ft.path, kind=ft.items or "object", ref=ft.ref, nullable=True)
        return [_bind_value(item_type, item, f"{where}/{i}", problems) for i, item in enumerate(raw)]
    if kind == "object":
        return raw
    bound, error = coerce(kind, raw, enum=ft.enum)
    if error:
        code = "InvalidFormat" if kind in ("date-time", "uuid") and isinstance(raw, str) else \
            "InvalidValue" if error == "enum" else "InvalidType"
        problems.append(Problem(code, where, _message(where, kind, ft.enum, raw)))
        return None
    if ft.max_length is not None and isinstance(bound, str) and len(bound) > ft.max_length:
        problems.append(Problem("MaxLengthExceeded", where, f"{where} may not exceed {ft.max_length} characters."))
    return bound


def _message(where: str, kind: str, enum, raw: Any) -> str:
    if enum:
        return f"{where} must be one of {', '.join(enum)}; {raw!r} is not."
    expected = {"integer": "an integer", "number": "a number", "boolean": "true or false",
                "date-time": "an ISO-8601 date-time such as 2025-05-16T08:00:00Z", "uuid": "a GUID",
                "string": "a string"}.get(kind, kind)
    return f"{where} must be {expected}; {raw!r} is not."


def coerce(kind: str, raw: Any, *, enum: tuple[str, ...] | None = None) -> tuple[Any, str | None]:
    """``raw`` as a value of ``kind`` the way Json.NET converts it: ``(value, None)`` or ``(None, why)``."""
    if kind == "integer":
        if isinstance(raw, bool):
            return None, "type"
        if isinstance(raw, int):
            return raw, None
        if isinstance(raw, float) and raw.is_integer():
            return int(raw), None
        if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d+\s*", raw):
            return int(raw), None
        return None, "type"
    if kind == "number":
        if isinstance(raw, bool):
            return None, "type"
        if isinstance(raw, int | float):
            return raw, None
        if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", raw):
            number = float(raw)
            return (int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number), None
        return None, "type"
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true", None
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw), None
        return None, "type"
    if kind == "date-time":
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
        return (format_datetime(parsed), None) if parsed else (None, "format")
    if kind == "uuid":
        if not isinstance(raw, str):
            return None, "type"
        try:
            return str(uuid.UUID(raw)), None
        except ValueError:
            return None, "format"
    if kind == "string":
        if isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, int | float | str):
            text = raw if isinstance(raw, str) else str(raw)
        else:
            return None, "type"
        if enum:
            match = next((e for e in enum if e.lower() == text.lower()), None)
            return (match, None) if match is not None else (None, "enum")
        return text, None
    return raw, None


def parse_datetime(text: str) -> datetime | None:
    """An ISO-8601 date or date-time (no zone = UTC), or None."""
    value = text.strip()
    if not _ISO_RE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
