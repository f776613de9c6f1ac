"""Contract: every answer of the Autotask sandbox validates against Autotask's own Swagger (strictly: no
field the vendor models lack), and every body the provider sends validates against the operation's body schema."""

from __future__ import annotations

import json

import httpx
import pytest

from psa.autotask_sandbox import API_ROOT
from psa.schemas import TicketCreatePayload, TicketSearchQuery

from . import swagger
from .conftest import calls

ENTITIES = ["Tickets", "TicketNotes", "TicketSecondaryResources", "Resources", "Companies", "Contacts", "ConfigurationItems"]


@pytest.fixture
def api(at_sandbox):
    headers = {"ApiIntegrationCode": at_sandbox.integration_code, "UserName": at_sandbox.username, "Secret": at_sandbox.secret}
    with httpx.Client(transport=httpx.WSGITransport(app=at_sandbox), base_url=f"https://at-sandbox.local{API_ROOT}",
                      headers=headers) as client:
        yield client


def valid(response: httpx.Response, method: str, path: str) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert swagger.errors(body, swagger.response_schema(path.split("?")[0], method)) == []
    return body


def search(filters, **extra) -> dict:
    return {"search": json.dumps({"filter": filters, **extra})}


def first_id(sandbox, entity) -> int:
    key = {"Tickets": "tickets", "TicketNotes": "notes", "TicketSecondaryResources": "secondaries", "Resources": "resources",
           "Companies": "companies", "Contacts": "contacts", "ConfigurationItems": "configuration_items"}[entity]
    return min(sandbox.state[key])


def test_zone_versions_and_thresholds_match_their_models(api, at_sandbox):
    valid(api.get("/V1.0/zoneInformation", params={"user": at_sandbox.username}), "GET", "/V1.0/ZoneInformation")
    assert valid(api.get("/VersionInformation"), "GET", "/VersionInformation") == {"apiVersions": ["1.0"]}
    valid(api.get("/V1.0/Version"), "GET", "/V1.0/Version")
    valid(api.get("/V1.0/ThresholdInformation"), "GET", "/V1.0/ThresholdInformation")


@pytest.mark.parametrize("entity", ENTITIES)
def test_queries_counts_items_and_field_information_of_every_entity_match_their_models(api, at_sandbox, entity):
    page = valid(api.get(f"/V1.0/{entity}/query", params=search([{"op": "gte", "field": "id", "value": 0}], maxRecords=50)),
                 "GET", f"/V1.0/{entity}/query")
    assert page["items"] and page["pageDetails"]["count"] == len(page["items"])
    assert set(page["items"][0]) == set(swagger.schema.properties(entity))  # every field, null when unset
    valid(api.post(f"/V1.0/{entity}/query", json={"filter": [{"op": "exist", "field": "id"}], "includeFields": ["id"]}),
          "POST", f"/V1.0/{entity}/query")
    valid(api.get(f"/V1.0/{entity}/query/count", params=search([{"op": "gte", "field": "id", "value": 0}])),
          "GET", f"/V1.0/{entity}/query/count")
    valid(api.post(f"/V1.0/{entity}/query/count", json={"filter": [{"op": "gte", "field": "id", "value": 0}]}),
          "POST", f"/V1.0/{entity}/query/count")
    item = valid(api.get(f"/V1.0/{entity}/{first_id(at_sandbox, entity)}"), "GET", f"/V1.0/{entity}/1")
    assert item["item"]["id"] == first_id(at_sandbox, entity)
    assert valid(api.get(f"/V1.0/{entity}/987654321"), "GET", f"/V1.0/{entity}/1") == {"item": None}
    valid(api.get(f"/V1.0/{entity}/entityInformation"), "GET", f"/V1.0/{entity}/entityInformation")
    fields = valid(api.get(f"/V1.0/{entity}/entityInformation/fields"), "GET", f"/V1.0/{entity}/entityInformation/fields")
    assert {f["name"] for f in fields["fields"]} <= set(swagger.schema.properties(entity))
    valid(api.get(f"/V1.0/{entity}/entityInformation/userDefinedFields"), "GET",
          f"/V1.0/{entity}/entityInformation/userDefinedFields")


def test_a_next_page_matches_the_query_model(api):
    first = api.get("/V1.0/Tickets/query", params=search([{"op": "gte", "field": "id", "value": 0}]))
    second = api.get(first.json()["pageDetails"]["nextPageUrl"])
    valid(second, "GET", "/V1.0/Tickets/query")


def test_child_collections_match_their_models(api, at_sandbox):
    note = at_sandbox.state["notes"][first_id(at_sandbox, "TicketNotes")]
    row = at_sandbox.state["secondaries"][first_id(at_sandbox, "TicketSecondaryResources")]
    contact = at_sandbox.state["contacts"][first_id(at_sandbox, "Contacts")]
    for path, template in [
        (f"/V1.0/Tickets/{note['ticketID']}/Notes", "/V1.0/Tickets/1/Notes"),
        (f"/V1.0/Tickets/{note['ticketID']}/Notes/{note['id']}", "/V1.0/Tickets/1/Notes/2"),
        (f"/V1.0/Tickets/{row['ticketID']}/SecondaryResources", "/V1.0/Tickets/1/SecondaryResources"),
        (f"/V1.0/Tickets/{row['ticketID']}/SecondaryResources/{row['id']}", "/V1.0/Tickets/1/SecondaryResources/2"),
        (f"/V1.0/Companies/{contact['companyID']}/Contacts", "/V1.0/Companies/1/Contacts"),
        (f"/V1.0/Tickets/{note['ticketID']}/Notes/entityInformation/fields", "/V1.0/Tickets/1/Notes/entityInformation/fields"),
    ]:
        valid(api.get(path), "GET", template)


def test_writes_answer_with_the_operation_result_model(api, at_sandbox):
    ticket = {"title": "Contract", "companyID": 250, "queueID": 1, "status": 1, "priority": 2}
    assert swagger.errors(ticket, swagger.body_schema("/V1.0/Tickets", "POST")) == []
    created = valid(api.post("/V1.0/Tickets", json=ticket), "POST", "/V1.0/Tickets")["itemId"]
    valid(api.patch("/V1.0/Tickets", json={"id": created, "status": 8}), "PATCH", "/V1.0/Tickets")
    note = valid(api.post(f"/V1.0/Tickets/{created}/Notes", json={"title": "t", "description": "d", "noteType": 1, "publish": 2}),
                 "POST", "/V1.0/Tickets/1/Notes")["itemId"]
    valid(api.patch(f"/V1.0/Tickets/{created}/Notes", json={"id": note, "publish": 1}), "PATCH", "/V1.0/Tickets/1/Notes")
    row = valid(api.post(f"/V1.0/Tickets/{created}/SecondaryResources", json={"resourceID": 102, "roleID": 1}),
                "POST", "/V1.0/Tickets/1/SecondaryResources")["itemId"]
    valid(api.delete(f"/V1.0/Tickets/{created}/SecondaryResources/{row}"), "DELETE", "/V1.0/Tickets/1/SecondaryResources/2")


def test_every_body_the_provider_sends_matches_the_operations_body_model(provider, at_sandbox):
    provider.search_tickets(TicketSearchQuery(search="printer", assigned_identifier="jsmith"), page_size=25)
    ids = sorted(at_sandbox.state["tickets"])[:300]
    provider.client.query_all("Tickets", [{"op": "in", "field": "id", "value": ids}], include_fields=["id"])  # a POST query
    created = provider.create_ticket(TicketCreatePayload(summary="Contract", company_id=250, board_id=1, status_id=1,
                                                         priority_id=2, description="d", assigned_member_id=101),
                                     external_ref="rf-create:" + "9" * 64)
    provider.update_status(created.id, 8)
    provider.add_resource(created.id, 102)
    provider.remove_resource(created.id, 101, new_primary_id=102)
    provider.remove_resource(created.id, 102)
    provider.add_note(created.id, "Checked the logs", "internal")
    sent = [r for r in calls(at_sandbox) if r.method in ("POST", "PATCH", "PUT")]
    assert {r.method for r in sent} == {"POST", "PATCH"}
    for entry in sent:
        path = entry.path if "/query/next" not in entry.path.lower() else entry.path.rsplit("/next", 1)[0]
        assert swagger.errors(json.loads(entry.body), swagger.body_schema(path, entry.method)) == [], entry.path


def test_the_checker_refuses_a_field_autotask_does_not_have_and_a_wrong_type():
    node = swagger.response_schema("/V1.0/Tickets/1", "GET")
    assert swagger.errors({"item": {"id": 1, "summary": "ConnectWise's name"}}, node)
    assert swagger.errors({"item": {"id": "1"}}, node)
    assert swagger.errors({"item": {"id": 1, "createDate": "yesterday"}}, node)
    assert swagger.errors({"item": {"id": 1, "title": None, "createDate": "2022-12-07T09:15:28.147Z"}}, node) == []
