"""JSON API: the OpenAPI document and the interactive docs."""

from __future__ import annotations

import pytest

EXPECTED = {
    ("get", "/integrations/psa/tickets"),
    ("post", "/integrations/psa/tickets"),
    ("get", "/integrations/psa/tickets/{ticket_id}"),
    ("patch", "/integrations/psa/tickets/{ticket_id}/status"),
    ("get", "/integrations/psa/tickets/{ticket_id}/resources"),
    ("post", "/integrations/psa/tickets/{ticket_id}/resources"),
    ("delete", "/integrations/psa/tickets/{ticket_id}/resources/{member_id}"),
    ("post", "/integrations/psa/tickets/ai-parse"),
    ("get", "/integrations/psa/boards"),
    ("get", "/integrations/psa/boards/{board_id}/statuses"),
    ("get", "/integrations/psa/priorities"),
    ("get", "/integrations/psa/members"),
    ("get", "/integrations/psa/companies"),
    ("get", "/integrations/psa/member-mappings"),
    # saved views and spin-off back-links (tickets/api_views.py)
    ("get", "/integrations/psa/views"),
    ("post", "/integrations/psa/views"),
    ("get", "/integrations/psa/views/default"),
    ("put", "/integrations/psa/views/default"),
    ("put", "/integrations/psa/views/order"),
    ("get", "/integrations/psa/views/{view_id}"),
    ("patch", "/integrations/psa/views/{view_id}"),
    ("delete", "/integrations/psa/views/{view_id}"),
    ("post", "/integrations/psa/tickets/{ticket_id}/spin-off-links/retry"),
    # time entries, the timer and inline edits (tickets/api_work.py)
    ("get", "/integrations/psa/tickets/{ticket_id}/time-entries"),
    ("post", "/integrations/psa/tickets/{ticket_id}/time-entries"),
    ("get", "/integrations/psa/time/work-types"),
    ("get", "/integrations/psa/time/work-roles"),
    ("get", "/integrations/psa/timer"),
    ("post", "/integrations/psa/timer"),
    ("post", "/integrations/psa/timer/stop"),
    ("patch", "/integrations/psa/tickets/{ticket_id}/fields"),
    ("get", "/integrations/psa/boards/{board_id}/types"),
    ("get", "/integrations/psa/boards/{board_id}/subtypes"),
    ("get", "/integrations/psa/boards/{board_id}/items"),
}


@pytest.fixture
def document(client, db):
    response = client.get("/integrations/psa/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_lists_every_endpoint(document):
    listed = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert listed == EXPECTED


def test_openapi_document_is_valid(document):
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert document["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(document)


def test_openapi_declares_both_auth_schemes(document):
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_openapi_uses_the_spec_dto_names(document):
    assert {"TicketListResponse", "PSATicketCreated", "TicketCreatePayload", "PSAResource",
            "PSATicketStatusUpdate", "AiParseResponse"} <= set(document["components"]["schemas"])


def test_interactive_docs_are_served(client, db):
    assert client.get("/integrations/psa/docs").status_code == 200
