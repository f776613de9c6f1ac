"""Autotask's own Swagger 2.0 document, the subset the product uses (``autotask-openapi.json``).

A verbatim copy of ``reference/autotask/openapi-subset.json`` (see its ``info.x-subset-note``): the
project never reads the reference folder at run time or test time. The sandbox derives its entity fields
and their types from it, the contract tests validate against it. No Django here.

Caveats of the vendor document (API-NOTES section 0): no ``required`` lists, no nullability (real answers
carry ``null`` for unset fields), ``itemId`` typed as an empty object (real answers carry an integer).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("autotask-openapi.json")

# Entity (URL segment) -> its Swagger model, and the singular name Autotask uses in error texts
# ("Unable to find companyName in the Contact Entity.").
ENTITY_MODELS = {
    "Tickets": "TicketModel",
    "TicketNotes": "TicketNoteModel",
    "TicketSecondaryResources": "TicketSecondaryResourceModel",
    "Resources": "ResourceModel",
    "Companies": "CompanyModel",
    "Contacts": "ContactModel",
    "ConfigurationItems": "ConfigurationItemModel",
}
ENTITY_SINGULAR = {
    "Tickets": "Ticket",
    "TicketNotes": "TicketNote",
    "TicketSecondaryResources": "TicketSecondaryResource",
    "Resources": "Resource",
    "Companies": "Company",
    "Contacts": "Contact",
    "ConfigurationItems": "ConfigurationItem",
}
# Properties of the Swagger models that are .NET expression trees, never sent in a real answer.
NOT_SENT = frozenset({"soapParentPropertyId"})


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def definition(name: str) -> dict[str, Any]:
    return spec()["definitions"][name]


@functools.cache
def properties(entity: str) -> dict[str, dict[str, Any]]:
    """The entity's fields as the Swagger declares them (name -> property schema), in document order."""
    model = definition(ENTITY_MODELS[entity])
    return {name: prop for name, prop in model["properties"].items() if name not in NOT_SENT}


def data_type(prop: dict[str, Any]) -> str:
    """``entityInformation/fields`` ``dataType`` of a Swagger property: integer, long, double, string,
    datetime, boolean (the spellings Autotask's field metadata uses), or ``array`` (userDefinedFields)."""
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "integer":
        return "long" if fmt == "int64" else "integer"
    if kind == "number":
        return "double"
    if kind == "string":
        return "datetime" if fmt == "date-time" else "string"
    if kind == "boolean":
        return "boolean"
    return "array" if kind == "array" else "string"
