"""The Autotask sandbox speaks Autotask: auth headers and zone, queries, paging, counts, picklists, writes with
Autotask's rules and error shapes, the thread and hourly limits, fault injection, and ``manage.py at_sandbox``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from psa.autotask.client import root_for_site
from psa.autotask_sandbox import API_ROOT, ATSandbox
from psa.schemas import TicketCreatePayload, TicketSearchQuery

from .conftest import make_provider

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def api(at_sandbox):
    headers = {"ApiIntegrationCode": at_sandbox.integration_code, "UserName": at_sandbox.username, "Secret": at_sandbox.secret}
    with httpx.Client(transport=httpx.WSGITransport(app=at_sandbox), base_url=f"https://at-sandbox.local{API_ROOT}",
                      headers=headers) as client:
        yield client


def query(api, entity, filters, method="GET", **extra):
    body = {"filter": filters, **extra}
    if method == "POST":
        return api.post(f"/V1.0/{entity}/query", json=body)
    return api.get(f"/V1.0/{entity}/query", params={"search": json.dumps(body)})


def problems(response) -> list[str]:
    assert response.status_code == 500, response.text
    return response.json()["errors"]


# --- auth and zone ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["ApiIntegrationCode", "UserName", "Secret"])
def test_a_wrong_or_missing_credential_header_is_a_bare_401(api, header):
    for value in ("wrong", None):
        headers = {header: value} if value else {}
        request = api.build_request("GET", "/V1.0/Version", headers=headers)
        if value is None:
            del request.headers[header]
        answer = api.send(request)
        assert answer.status_code == 401 and answer.content == b"" and "Basic Realm" in answer.headers["WWW-Authenticate"]


def test_header_names_and_the_username_are_case_insensitive(at_sandbox):
    raw = httpx.Client(transport=httpx.WSGITransport(app=at_sandbox), base_url="https://at-sandbox.local")
    answer = raw.get("/atservicesrest/v1.0/version", headers={
        "apiintegrationcode": at_sandbox.integration_code, "username": at_sandbox.username.upper(), "secret": at_sandbox.secret})
    assert answer.status_code == 200 and answer.json()["majorVersion"] == "2025"


def test_the_zone_lookup_needs_no_credentials_and_knows_only_the_api_user(at_sandbox):
    raw = httpx.Client(transport=httpx.WSGITransport(app=at_sandbox), base_url="https://at-sandbox.local")
    zone = raw.get(f"{API_ROOT}/V1.0/zoneInformation", params={"user": at_sandbox.username}).json()
    assert zone == {"zoneName": "SANDBOX", "url": "https://at-sandbox.local/ATServicesRest/",
                    "webUrl": "https://at-sandbox.local/", "ci": 0}
    unknown = raw.get(f"{API_ROOT}/v1.0/ZONEINFORMATION", params={"user": "someone@else.example"})
    assert unknown.status_code == 500 and unknown.json() == {"errors": ["Zone information could not be determined"]}
    assert raw.get(f"{API_ROOT}/VersionInformation").json() == {"apiVersions": ["1.0"]}


# --- queries ---------------------------------------------------------------------------------------------------


def test_queries_answer_in_ascending_id_500_at_most_with_an_absolute_next_page(api, at_sandbox):
    first = query(api, "Tickets", [{"op": "gte", "field": "id", "value": 0}]).json()
    ids = [t["id"] for t in first["items"]]
    assert ids == sorted(ids) and len(ids) == 500
    assert first["pageDetails"] == {"count": 500, "requestCount": 500, "prevPageUrl": None,
                                    "nextPageUrl": first["pageDetails"]["nextPageUrl"]}
    assert first["pageDetails"]["nextPageUrl"].startswith("https://at-sandbox.local/ATServicesRest/V1.0/Tickets/query/next?paging=")
    rest = api.get(first["pageDetails"]["nextPageUrl"]).json()
    assert [t["id"] for t in rest["items"]][0] > ids[-1] and rest["pageDetails"]["nextPageUrl"] is None
    assert len(ids) + len(rest["items"]) == at_sandbox.ticket_count()


def test_a_post_query_in_pascal_case_follows_its_next_page_with_the_same_body(api):
    body = {"Filter": [{"op": "noteq", "field": "Status", "value": 5}], "MaxRecords": 10, "IncludeFields": ["Id", "Title"]}
    first = api.post("/V1.0/Tickets/query", json=body).json()
    assert set(first["items"][0]) == {"id", "title", "userDefinedFields"}
    second = api.post(first["pageDetails"]["nextPageUrl"], json=body).json()
    assert second["items"][0]["id"] > first["items"][-1]["id"] and len(second["items"]) == 10


def test_the_single_quoted_search_of_autotasks_own_next_page_urls_is_understood(api):
    paging = json.dumps({"pageSize": 2, "previousIds": [-1], "nextIds": [1001]})
    answer = api.get("/V1.0/Tickets/query/next", params={"paging": paging, "search": "{'filter':[{'op':'exist','field':'id'}]}"})
    assert [t["id"] for t in answer.json()["items"]] == [1002, 1003]


def test_counts_follow_the_same_filters(api, at_sandbox):
    filters = [{"op": "and", "items": [{"op": "eq", "field": "queueID", "value": 2},
                                       {"op": "or", "items": [{"op": "eq", "field": "priority", "value": 4},
                                                              {"op": "in", "field": "priority", "value": [1]}]}]}]
    counted = api.get("/V1.0/Tickets/query/count", params={"search": json.dumps({"filter": filters})}).json()
    want = [t for t in at_sandbox.state["tickets"].values() if t["queueID"] == 2 and t["priority"] in (4, 1)]
    assert counted == {"queryCount": len(want)}


@pytest.mark.parametrize(("op", "field", "value", "keep"), [
    ("contains", "title", "VPN", lambda t: "vpn" in t["title"].lower()),  # case-insensitive [L]
    ("beginsWith", "ticketNumber", "T", lambda t: True),
    ("endsWith", "title", "audio", lambda t: t["title"].lower().endswith("audio")),
    ("notIn", "status", [5, 1], lambda t: t["status"] not in (5, 1)),
    ("noteq", "assignedResourceID", 101, lambda t: t["assignedResourceID"] not in (None, 101)),  # SQL: null matches no comparison
    ("notExist", "assignedResourceID", None, lambda t: t["assignedResourceID"] is None),
    ("exist", "problemTicketId", None, lambda t: t["problemTicketId"] is not None),
    ("gt", "createDate", "2000-01-01T00:00:00", lambda t: True),
    ("lte", "id", "1010", lambda t: t["id"] <= 1010),  # ids as strings, as some clients send them
])
def test_each_operator_selects_what_autotask_would(api, at_sandbox, op, field, value, keep):
    condition = {"op": op, "field": field} | ({"value": value} if value is not None else {})
    items = query(api, "Tickets", [condition], includeFields=["id"], maxRecords=500).json()["items"]
    want = sorted(t["id"] for t in at_sandbox.state["tickets"].values() if keep(t))[:500]
    assert [t["id"] for t in items] == want


def test_user_defined_fields_are_filtered_by_name(api, at_sandbox):
    at_sandbox.state["companies"][251]["userDefinedFields"] = [{"name": "NAV ID", "value": "C05252"}]
    items = query(api, "Companies", [{"op": "eq", "field": "NAV ID", "udf": True, "value": "c05252"}]).json()["items"]
    assert [c["id"] for c in items] == [251]


@pytest.mark.parametrize(("filters", "extra", "message"), [
    ([{"op": "eq", "field": "summary", "value": 1}], {}, "Unable to find summary in the Ticket Entity."),
    ([{"op": "eq", "field": "creatorType", "value": 1}], {}, "The field creatorType is not queryable."),
    ([{"op": "eq", "field": "status", "value": "material"}], {},
     "Conversion failed when converting the varchar value 'material' to data type int."),
    ([{"op": "contains", "field": "status", "value": "5"}], {}, "The operator contains is not valid for the integer field status."),
    ([{"op": "or", "items": [{"op": "eq", "field": "id", "value": n} for n in range(501)]}], {},
     "Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions."),
    ([{"op": "gte", "field": "id", "value": 0}], {"maxRecords": 501}, "maxCountOfRecordsToReturn must be between 1 and 500"),
    ([{"op": "gte", "field": "id", "value": 0}], {"includeFields": ["limit"]}, "Unable to find limit in the Ticket Entity."),
    ([{"op": "like", "field": "title", "value": "x"}], {}, "Invalid query operator 'like'."),
])
def test_a_query_autotask_refuses_is_a_500_with_its_error_text(api, filters, extra, message):
    assert problems(query(api, "Tickets", filters, **extra)) == [message]


# --- entity information ------------------------------------------------------------------------------------------


def test_picklists_come_with_string_values_sort_orders_and_parents(api):
    fields = {f["name"]: f for f in api.get("/V1.0/Tickets/entityInformation/fields").json()["fields"]}
    status = {v["value"]: v for v in fields["status"]["picklistValues"]}
    assert status["5"]["label"] == "Complete" and status["1"]["isSystem"] and not status["14"]["isActive"]
    priority = sorted(fields["priority"]["picklistValues"], key=lambda v: v["sortOrder"])
    assert [(v["value"], v["label"]) for v in priority] == [("4", "Critical"), ("1", "High"), ("2", "Medium"), ("3", "Low")]
    assert fields["subIssueType"]["picklistParentValueField"] == "issueType"
    assert {v["parentValue"] for v in fields["subIssueType"]["picklistValues"]} <= {v["value"] for v in fields["issueType"]["picklistValues"]}
    assert fields["companyID"]["isReference"] and fields["companyID"]["referenceEntityType"] == "Company"
    assert fields["title"]["isRequired"] and not fields["creatorType"]["isQueryable"] and fields["ticketNumber"]["isReadOnly"]


# --- writes ---------------------------------------------------------------------------------------------------------


NEW = {"title": "Printer jam", "companyID": 250, "queueID": 1, "status": 1, "priority": 2}


def test_create_answers_200_with_only_the_new_id(api, at_sandbox):
    answer = api.post("/V1.0/Tickets", json=NEW)
    assert answer.status_code == 200 and set(answer.json()) == {"itemId"}
    ticket = api.get(f"/V1.0/Tickets/{answer.json()['itemId']}").json()["item"]
    assert ticket["title"] == "Printer jam" and ticket["creatorResourceID"] == 199 and ticket["completedDate"] is None


def test_a_create_missing_required_fields_or_with_bad_values_lists_every_problem(api):
    assert problems(api.post("/V1.0/Tickets", json={"queueID": 1})) == [
        "title is required.", "companyID is required.", "status is required.", "priority is required."]
    assert problems(api.post("/V1.0/Tickets", json={**NEW, "priority": 99, "title": "x" * 256})) == [
        "title must be less than or equal to 255 characters", "Value does not reference an existing entity for priority . "]
    assert problems(api.post("/V1.0/Tickets", json={**NEW, "status": 14})) == [  # inactive
        "Value does not reference an existing entity for status . "]


def test_a_primary_resource_needs_its_role_too(api):
    assert problems(api.post("/V1.0/Tickets", json={**NEW, "assignedResourceID": 101})) == [
        "When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."]
    assert "Service Desk Queue" in problems(api.post("/V1.0/Tickets", json={**NEW, "assignedResourceID": 101,
                                                                            "assignedResourceRoleID": 5}))[0]
    assert api.post("/V1.0/Tickets", json={**NEW, "assignedResourceID": 101, "assignedResourceRoleID": 2}).status_code == 200


def test_updates_patch_the_collection_with_the_id_in_the_body(api, at_sandbox):
    tid = api.post("/V1.0/Tickets", json=NEW).json()["itemId"]
    assert api.patch("/V1.0/Tickets/", json={"id": tid, "status": 5}).json() == {"itemId": tid}
    done = at_sandbox.state["tickets"][tid]
    assert done["status"] == 5 and done["completedDate"] and done["completedByResourceID"] == 199
    api.patch("/V1.0/Tickets", json={"Id": tid, "Status": 8})
    assert at_sandbox.state["tickets"][tid]["completedDate"] is None  # cleared on re-opening [L]
    assert api.patch(f"/V1.0/Tickets/{tid}", json={"status": 8}).status_code == 405
    assert problems(api.patch("/V1.0/Tickets", json={"status": 8})) == ["id is required."]
    assert "No matching records found" in problems(api.patch("/V1.0/Tickets", json={"id": 99999, "status": 8}))[0]


def test_a_field_is_cleared_with_null_or_an_empty_string(api, at_sandbox):
    tid = api.post("/V1.0/Tickets", json={**NEW, "assignedResourceID": 101, "assignedResourceRoleID": 2}).json()["itemId"]
    api.patch("/V1.0/Tickets", json={"id": tid, "assignedResourceID": "", "assignedResourceRoleID": None})
    assert at_sandbox.state["tickets"][tid]["assignedResourceID"] is None


def test_tickets_cannot_be_listed_deleted_or_have_notes_posted_at_the_root(api):
    assert api.get("/V1.0/Tickets").json() == {"Message": "The requested resource does not support http method 'GET'."}
    assert api.delete("/V1.0/Tickets/1000").status_code == 405
    assert api.post("/V1.0/TicketNotes", json={"ticketID": 1000, "description": "x"}).status_code == 404
    assert api.delete("/V1.0/TicketSecondaryResources/9000").status_code == 405


def test_notes_are_written_under_their_ticket(api, at_sandbox):
    nid = api.post("/V1.0/Tickets/1000/Notes", json={"TicketID": 1, "Description": "d", "NoteType": 1, "Publish": 2}).json()["itemId"]
    assert at_sandbox.state["notes"][nid]["ticketID"] == 1000  # the URL's ticket wins
    api.patch("/V1.0/Tickets/1000/Notes", json={"id": nid, "publish": 1})
    assert api.get(f"/V1.0/Tickets/1000/Notes/{nid}").json()["item"]["publish"] == 1
    assert problems(api.post("/V1.0/Tickets/1000/Notes", json={"description": "d", "noteType": 1, "publish": 9})) == [
        "Value does not reference an existing entity for publish . "]
    assert "No matching records found" in problems(api.post("/V1.0/Tickets/99999/Notes", json={"description": "d"}))[0]


def test_secondary_resources_follow_autotasks_rules(api, at_sandbox):
    tid = api.post("/V1.0/Tickets", json={**NEW, "assignedResourceID": 101, "assignedResourceRoleID": 2}).json()["itemId"]
    path = f"/V1.0/Tickets/{tid}/SecondaryResources"
    assert problems(api.post(path, json={"resourceID": 101, "roleID": 2})) == [
        "The secondary resource cannot be the ticket's primary resource."]
    row = api.post(path, json={"resourceID": 102, "roleID": 1}).json()["itemId"]
    assert "already assigned as a secondary resource" in problems(api.post(path, json={"resourceID": 102, "roleID": 1}))[0]
    assert "already assigned as a secondary resource" in problems(api.patch("/V1.0/Tickets", json={
        "id": tid, "assignedResourceID": 102, "assignedResourceRoleID": 1}))[0]
    assert api.get(path).json()["items"] == [{"id": row, "ticketID": tid, "resourceID": 102, "roleID": 1}]
    assert api.delete(f"{path}/{row}").json() == {"itemId": row}
    assert "No matching records found" in problems(api.delete(f"{path}/{row}"))[0]


# --- limits and faults ---------------------------------------------------------------------------------------------------


def test_the_hourly_limit_suspends_access_and_threshold_information_reports_the_count(api, at_sandbox):
    at_sandbox.hourly_limit = 3
    api.get("/V1.0/Version")
    counted = api.get("/V1.0/ThresholdInformation").json()
    assert counted == {"externalRequestThreshold": 3, "requestThresholdTimeframe": 60, "currentTimeframeRequestCount": 2}
    api.get("/V1.0/Version")
    refused = api.get("/V1.0/Version")
    assert refused.status_code == 500 and "3 requests per hour" in refused.json()["errors"][0]


@pytest.mark.parametrize(("kind", "status", "body"), [
    ("401", 401, b""), ("403", 403, b""), ("429", 429, b""),
    ("500", 500, b"<html>"), ("503", 503, b"<html>"),
    ("validation", 500, b'{"errors":["Value does not reference'), ("permission", 500, b'{"errors":["The logged in Resource'),
    ("thread", 429, b'{"errors":["Itgenatr005'), ("hourly", 500, b'{"errors":["The API request threshold'),
])
def test_injected_faults_answer_as_autotask_would(api, at_sandbox, kind, status, body):
    at_sandbox.inject(kind, path=r"/Version$", times=1)
    answer = api.get("/V1.0/Version")
    assert answer.status_code == status and answer.content.startswith(body)
    assert api.get("/V1.0/Version").status_code == 200  # times=1


def test_transport_faults_in_process(api, at_sandbox):
    at_sandbox.inject("refused", times=1)
    with pytest.raises(httpx.ConnectError):
        api.get("/V1.0/Version")
    at_sandbox.inject("timeout", times=1)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/V1.0/Version")


def test_random_faults_come_from_the_environment_and_spare_the_zone_lookup(monkeypatch):
    monkeypatch.setenv("AT_SANDBOX_ERROR_RATE", "1")
    sandbox = ATSandbox(from_env=True, ticket_total=20)
    raw = httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="https://at-sandbox.local")
    headers = {"ApiIntegrationCode": sandbox.integration_code, "UserName": sandbox.username, "Secret": sandbox.secret}
    assert {raw.get(f"{API_ROOT}/V1.0/Version", headers=headers).status_code for _ in range(6)} <= {500, 503}
    assert raw.get(f"{API_ROOT}/V1.0/zoneInformation", params={"user": sandbox.username}).status_code == 200
    monkeypatch.setenv("AT_SANDBOX_LATENCY_MS", "soon")
    with pytest.raises(ValueError, match="AT_SANDBOX_LATENCY_MS must be a number"):
        sandbox.reset()


def test_the_seed_is_deterministic_and_sized_like_the_connectwise_sandbox(at_sandbox):
    again = ATSandbox(now=at_sandbox.anchor)  # the same hour: the seed's dates are relative to it
    assert again.state["tickets"] == at_sandbox.state["tickets"] and again.state["notes"] == at_sandbox.state["notes"]
    assert 600 <= at_sandbox.ticket_count() <= 700 and len(at_sandbox.state["companies"]) == 25
    assert at_sandbox.state["companies"][250]["companyName"] == "Acme Corp"
    assert at_sandbox.state["resources"][101]["userName"] == "jsmith"
    assert at_sandbox.state["secondaries"] and any(t["problemTicketId"] for t in at_sandbox.state["tickets"].values())
    assert ATSandbox(open_target=700).open_ticket_count() == 700


# --- served over HTTP -----------------------------------------------------------------------------------------------------


def test_manage_py_at_sandbox_serves_the_api_on_a_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RF_DOTENV": "off"}
    process = subprocess.Popen([sys.executable, "manage.py", "at_sandbox", "--port", str(port), "--quiet"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        assert banner.startswith(f"Autotask sandbox on http://127.0.0.1:{port}/ATServicesRest/"), process.stderr.read()
        provider = make_provider(None, root=root_for_site(f"http://127.0.0.1:{port}"), transport=None)
        assert provider.system_info().version == "2025.2.512"
        assert provider.search_tickets(TicketSearchQuery(), page_size=5).total > 0
        provider.close()
    finally:
        process.terminate()
        process.wait(30)


def test_the_state_survives_a_restart_when_kept_in_a_file(tmp_path):
    path = tmp_path / "at-sandbox.json"
    first = ATSandbox(seed=7)
    assert first.remember_in(path) == "new"
    provider = make_provider(first)
    payload = TicketCreatePayload(summary="Kept across restarts", company_id=250, board_id=1, status_id=1,
                                  priority_id=2)
    created = provider.create_ticket(payload)
    provider.close()

    again = ATSandbox(seed=7)  # a restart
    assert again.remember_in(path) == "loaded"
    assert again.state["tickets"][created.id]["title"] == "Kept across restarts"
    assert again.ticket_count() == first.ticket_count()
    assert make_provider(again).create_ticket(payload).id == created.id + 1  # the id counter is kept too


def test_an_unusable_state_file_is_set_aside_and_the_seed_is_used(tmp_path):
    path = tmp_path / "at-sandbox.json"
    path.write_text("{not json")
    sandbox = ATSandbox(seed=7)
    assert sandbox.remember_in(path) == "unusable"
    assert (tmp_path / "at-sandbox.json.corrupt").read_text() == "{not json"
    assert json.loads(path.read_text())["state"]["tickets"]
