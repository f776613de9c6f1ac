"""Contract tests generated from ConnectWise's OpenAPI subset: for every property of Ticket, Member,
Company, ScheduleEntry, ServiceNote and TimeEntry (and every field of the references they hold), the
sandbox accepts a typed condition and an orderBy on it, and answers them consistently:

- a scalar field: ``f = v`` and ``not (f = v)`` split the records in two, as do ``f = null`` and
  ``f != null``; ``v`` is a value the records hold when any does, so the typed comparison must find it;
  ``orderBy=f asc, id asc`` returns every record in the field's type order, nulls first;
- a reference (``board``): ``= null`` / ``!= null`` split the records; its fields are scalars above;
- a field inside an array: ``childConditions`` (``customFieldConditions`` for ``customFields``) return
  only records with an element holding the value;
- ``fields=id,<field>`` is accepted for every field.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from psa.sandbox import schema
from psa.sandbox.app import CWSandbox

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
NOTES_TICKET = 1042  # a seed ticket with notes

ENDPOINTS = {
    "Ticket": "/service/tickets",
    "Member": "/system/members",
    "Company": "/company/companies",
    "ScheduleEntry": "/schedule/entries",
    "ServiceNote": f"/service/tickets/{NOTES_TICKET}/notes",
    "TimeEntry": "/time/entries",
}
SCALARS = ("string", "uuid", "integer", "number", "boolean", "date-time")
DEFAULTS = {"string": '"x"', "uuid": '"00000000-0000-0000-0000-000000000000"', "integer": "1", "number": "1.5",
            "boolean": "true", "date-time": "[2025-05-16T08:00:00Z]"}


def _params(select):
    return [pytest.param(resource, ft, id=f"{resource}:{path}")
            for resource in ENDPOINTS for path, ft in schema.fields(resource).items() if select(ft)]


@pytest.fixture(scope="module")
def cw():
    """One sandbox for the whole module: these tests only read, so it is never reset between them."""
    with httpx.Client(transport=httpx.WSGITransport(app=CWSandbox()), base_url=BASE_URL,
                      auth=("sandbox+sandbox-public", "sandbox-private"), headers={"clientId": "rf-tests"}) as client:
        yield client


def endpoint(cw, resource: str) -> str:
    path = ENDPOINTS[resource]
    if cw.get(path, params={"pageSize": 1}).status_code == 404:
        pytest.skip(f"GET {path} is not served by the sandbox yet (issue 16, item 6 adds it)")
    return path


def rows(cw, path: str, **params) -> list[dict]:
    response = cw.get(path, params={"pageSize": 1000, **params})
    assert response.status_code == 200, f"{params}: {response.text}"
    return response.json()


def ids(cw, path: str, **params) -> list[int]:
    return sorted(row["id"] for row in rows(cw, path, fields="id", **params))


def value_at(obj, path: str):
    for part in path.split("/"):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def literal(kind: str, value) -> str:
    if kind in ("integer", "number"):
        return repr(value)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date-time":
        return f"[{value}]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def typed_key(kind: str, value):
    if value is None:
        return (0,)
    if kind == "date-time":
        return (1, datetime.fromisoformat(value.replace("Z", "+00:00")))
    if kind in ("string", "uuid"):
        return (1, str(value).casefold())
    return (1, value)


@pytest.mark.parametrize(("resource", "ft"), _params(lambda ft: ft.kind in SCALARS and not ft.in_array))
def test_every_scalar_field_takes_a_typed_condition_and_an_order_by(cw, resource, ft):
    path = endpoint(cw, resource)
    records = rows(cw, path, fields=f"id,{ft.path}")
    every = sorted(r["id"] for r in records)
    held = [value_at(r, ft.path) for r in records if value_at(r, ft.path) is not None]
    value = literal(ft.kind, held[0]) if held else (f'"{ft.enum[0]}"' if ft.enum else DEFAULTS[ft.kind])

    equal = ids(cw, path, conditions=f"{ft.path} = {value}")
    assert sorted(equal + ids(cw, path, conditions=f"not ({ft.path} = {value})")) == every
    if held:
        assert equal, f"{ft.path} = {value} found nothing although a record holds it"
    nulls = ids(cw, path, conditions=f"{ft.path} = null")
    assert sorted(nulls + ids(cw, path, conditions=f"{ft.path} != null")) == every
    assert len(nulls) == len(records) - len(held)

    ordered = rows(cw, path, orderBy=f"{ft.path} asc, id asc", fields=f"id,{ft.path}")
    keys = [(typed_key(ft.kind, value_at(r, ft.path)), r["id"]) for r in ordered]
    assert keys == sorted(keys)
    assert len(ordered) == len(records)


@pytest.mark.parametrize(("resource", "ft"), _params(lambda ft: ft.kind == "reference" and not ft.in_array))
def test_every_reference_can_be_tested_for_null_and_asked_for(cw, resource, ft):
    path = endpoint(cw, resource)
    records = rows(cw, path, fields=f"id,{ft.path}")
    every = sorted(r["id"] for r in records)
    unset = sorted(r["id"] for r in records if value_at(r, ft.path) is None)
    assert ids(cw, path, conditions=f"{ft.path} = null") == unset
    assert sorted(unset + ids(cw, path, conditions=f"{ft.path} != null")) == every


@pytest.mark.parametrize(("resource", "ft"), _params(lambda ft: ft.in_array and (
    ft.kind in SCALARS or ft.kind == "object") or (ft.kind == "array" and ft.items in SCALARS)))
def test_every_field_inside_an_array_takes_a_child_or_custom_field_condition(cw, resource, ft):
    path = endpoint(cw, resource)
    head, _, rest = ft.path.partition("/")
    kind = ft.kind if ft.kind != "array" else ft.items
    records = rows(cw, path, fields=f"id,{head}")
    elements = [(r["id"], e) for r in records for e in (r.get(head) or [])]
    held = [(rid, value_at(e, rest) if rest else e) for rid, e in elements]
    held = [(rid, v) for rid, v in held if v is not None and not isinstance(v, dict | list)]
    if kind == "object":  # a custom field's free-form value: compared here as text
        kind = "string"
    value = literal(kind, held[0][1]) if held else DEFAULTS[kind]
    if head == "customFields":
        found = ids(cw, path, customFieldConditions=f"{rest} = {value}")
    else:
        found = ids(cw, path, childConditions=f"{ft.path} = {value}")
    wanted = typed_key(kind, held[0][1]) if held else None
    assert set(found) == {rid for rid, v in held if typed_key(kind, v) == wanted}
    assert set(found) <= {rid for rid, _ in elements}


@pytest.mark.parametrize(("resource", "ft"), _params(lambda ft: "/" not in ft.path))
def test_every_property_can_be_asked_for_in_fields(cw, resource, ft):
    path = endpoint(cw, resource)
    for row in rows(cw, path, fields=f"id,{ft.path}", pageSize=5):
        assert set(row) <= {"id", ft.path}


@pytest.mark.parametrize(("resource", "ft"), _params(lambda ft: ft.kind in ("reference", "array")))
def test_objects_and_arrays_cannot_order_a_list(cw, resource, ft):
    path = endpoint(cw, resource)
    response = cw.get(path, params={"orderBy": f"{ft.path} asc"})
    assert response.status_code == 400
    assert ft.path in response.json()["message"]
