"""Contract tests: sandbox responses and the provider's request bodies against ConnectWise's own
OpenAPI schemas (``psa/sandbox/connectwise-openapi.json``, the 2025.8 spec subset the sandbox reads too).

Responses are checked strictly: besides types, nullability, required fields and max lengths, no
object may carry a property the ConnectWise schema does not declare. Request bodies likewise.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from psa.connectwise.client import ConnectWiseClient, base_url_for_site
from psa.connectwise.mapping import SCHEDULE_ENTRY_FIELDS, TICKET_ROW_FIELDS
from psa.providers.connectwise import ConnectWiseProvider
from psa.schemas import TicketCreatePayload, TicketSearchQuery
from tests.contract import openapi

API_PREFIX = "/v4_6_release/apis/3.0"


def spec_path(path: str) -> str:
    """``/service/tickets/1000/notes`` -> ``/service/tickets/{parentId}/notes``."""
    path = path.split(API_PREFIX, 1)[-1]
    matches = [
        template for template in openapi.spec()["paths"] if re.fullmatch(re.sub(r"\{[^/]+\}", r"[^/]+", template), path)
    ]
    assert matches, f"{path} is not an operation in the ConnectWise spec subset"
    # Prefer literal segments over placeholders (/service/tickets/count over /service/tickets/{id}).
    return min(matches, key=lambda t: t.count("{"))


class Recorder(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.requests: list[tuple[str, str, Any]] = []
        self.responses: list[tuple[str, str, int, Any, bool]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body))
        response = self.inner.handle_request(request)
        response.read()
        content = json.loads(response.content) if response.content else None
        projected = "fields" in request.url.params
        self.responses.append((request.method, request.url.path, response.status_code, content, projected))
        return response


@pytest.fixture
def recorder(sandbox):
    return Recorder(httpx.WSGITransport(app=sandbox))


@pytest.fixture
def client(recorder):
    c = ConnectWiseClient(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key="sandbox-private",
        client_id="rf-tests",
        transport=recorder,
    )
    yield c
    c.close()


@pytest.fixture
def provider(recorder):
    p = ConnectWiseProvider(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key="sandbox-private",
        client_id="rf-tests",
        transport=recorder,
    )
    yield p
    p.close()


# Known sandbox deviations, tolerated so the rest of each schema is still checked. Each one is a
# property the ConnectWise schema does not declare; remove the entry when the sandbox drops it.
KNOWN_SANDBOX_EXTRAS: dict[str, frozenset[str]] = {
    "/system/members": frozenset({"name"}),  # Member has firstName/lastName only
}


def assert_response_matches(
    path: str, body: Any, *, method: str = "get", status: str | None = None, strict: bool = True, partial: bool = False
):
    template = spec_path(path)
    schema = openapi.response_schema(template, method, status)
    problems = openapi.errors(
        body, schema, strict=strict, partial=partial, ignore=KNOWN_SANDBOX_EXTRAS.get(template, frozenset())
    )
    assert not problems, f"{method.upper()} {path} does not match the ConnectWise schema:\n" + "\n".join(problems[:20])


def assert_request_matches(method: str, path: str, body: Any):
    schema = openapi.request_schema(spec_path(path), method)
    problems = openapi.errors(body, schema, strict=True)
    assert not problems, f"{method} {path} body does not match the ConnectWise schema:\n" + "\n".join(problems[:20])


# --- the adapter itself ------------------------------------------------------------------------------


def test_nullable_fields_accept_null_but_non_nullable_ones_do_not():
    entry = openapi.component("ScheduleEntry")
    assert openapi.errors({"type": {"id": 4}, "doneFlag": None, "objectId": None}, entry) == []
    assert openapi.errors({"type": {"id": 4}, "name": None}, entry)


def test_refs_resolve_and_required_fields_are_enforced():
    assert openapi.errors({"summary": "x"}, openapi.component("Ticket")) == ["<root>: 'company' is a required property"]


def test_max_lengths_from_descriptions_are_enforced():
    assert openapi.errors({"summary": "x" * 101, "company": {"id": 1}}, openapi.component("Ticket"))


def test_strict_mode_rejects_unknown_properties():
    assert openapi.errors(
        {"summary": "x", "company": {"id": 1}, "colour": "red"}, openapi.component("Ticket"), strict=True
    )
    assert openapi.errors({"summary": "x", "company": {"id": 1}, "colour": "red"}, openapi.component("Ticket")) == []


# --- sandbox responses ----------------------------------------------------------------------------------


def _some_ticket(client, **conditions) -> dict:
    return client.get("/service/tickets", {"pageSize": 1, **conditions})[0]


def test_ticket_list_matches_the_ticket_schema(client):
    assert_response_matches("/service/tickets", client.get("/service/tickets", {"pageSize": 50}))


def test_ticket_list_with_row_fields_matches_the_ticket_schema(client):
    rows = client.get("/service/tickets", {"pageSize": 50, "fields": TICKET_ROW_FIELDS})
    assert_response_matches("/service/tickets", rows, partial=True)
    assert set(rows[0]) <= {
        "id",
        "summary",
        "board",
        "status",
        "priority",
        "company",
        "contact",
        "resources",
        "closedFlag",
        "slaStatus",
        "isInSla",
        "_info",
    }


def test_ticket_detail_matches_the_ticket_schema(client):
    ticket = _some_ticket(client)
    assert_response_matches(f"/service/tickets/{ticket['id']}", client.get(f"/service/tickets/{ticket['id']}"))


def test_ticket_count_matches_the_count_schema(client):
    assert_response_matches("/service/tickets/count", client.get("/service/tickets/count"))


def test_notes_match_the_service_note_schema(client):
    ticket = _some_ticket(client)
    notes = client.get(f"/service/tickets/{ticket['id']}/notes")
    assert notes
    assert_response_matches(f"/service/tickets/{ticket['id']}/notes", notes)


def test_ticket_configurations_and_configuration_details_match(client):
    for ticket in client.get("/service/tickets", {"pageSize": 50}):
        refs = client.get(f"/service/tickets/{ticket['id']}/configurations")
        if refs:
            break
    else:
        pytest.fail("no ticket with configurations")
    assert_response_matches(f"/service/tickets/{ticket['id']}/configurations", refs)
    detail = client.get(f"/company/configurations/{refs[0]['id']}")
    assert_response_matches(f"/company/configurations/{refs[0]['id']}", detail)


@pytest.mark.parametrize(
    "path",
    [
        "/system/members",
        "/system/members/count",
        "/service/boards",
        "/service/boards/1/statuses",
        "/service/boards/1/types",
        "/service/priorities",
        "/company/companies",
        "/company/companies/count",
        "/schedule/entries",
        "/schedule/types",
        "/system/info",
    ],
)
def test_reference_responses_match(client, path):
    assert_response_matches(path, client.get(path, {"pageSize": 100} if not path.endswith(("count", "info")) else None))


def test_schedule_entries_with_the_provider_fields_match(client):
    rows = client.get("/schedule/entries", {"fields": SCHEDULE_ENTRY_FIELDS, "conditions": 'type/identifier = "S"'})
    assert rows and set(rows[0]) <= {"id", "objectId", "member", "type", "doneFlag"}
    assert_response_matches("/schedule/entries", rows, partial=True)


def test_contact_detail_matches(client):
    ticket = _some_ticket(client)
    contact_id = ticket["contact"]["id"]
    assert_response_matches(f"/company/contacts/{contact_id}", client.get(f"/company/contacts/{contact_id}"))


# --- the provider's requests, and the sandbox's answers to them ----------------------------------------


def test_provider_write_bodies_and_the_sandbox_answers_match_the_schemas(provider, recorder, sandbox):
    ticket = provider.search_tickets(TicketSearchQuery(unassigned=True, board_id=1), page_size=1).items[0]
    provider.create_ticket(
        TicketCreatePayload(
            summary="VPN drops every hour",
            company_id=252,
            board_id=1,
            status_id=11,
            priority_id=2,
            description="Since Monday",
            assigned_member_id=sandbox.members()[1]["id"],
        )
    )
    provider.update_status(ticket.id, 12)
    provider.add_note(ticket.id, "Rebooted the firewall", kind="internal")
    provider.add_note(ticket.id, "We are on it", kind="discussion")
    provider.add_resource(ticket.id, sandbox.members()[2]["id"])

    writes = [(m, p, b) for m, p, b in recorder.requests if m in ("POST", "PATCH", "PUT")]
    kinds = {(m, spec_path(p)) for m, p, _ in writes}
    assert kinds == {
        ("POST", "/service/tickets"),
        ("PATCH", "/service/tickets/{id}"),
        ("POST", "/service/tickets/{parentId}/notes"),
        ("POST", "/schedule/entries"),
    }
    for method, path, body in writes:
        assert_request_matches(method, path, body)
    for method, path, status, body, projected in recorder.responses:
        if method != "DELETE":
            assert_response_matches(path, body, method=method.lower(), status=str(status), partial=projected)


@pytest.mark.parametrize("ref", ["rf-create:" + "0123456789abcdef" * 4, "r" * 100])
def test_a_create_marked_with_an_external_ref_and_its_lookup_match_the_schemas(provider, recorder, ref):
    created = provider.create_ticket(
        TicketCreatePayload(summary='Two  spaces,\ta tab and "quotes"', company_id=250, board_id=1, status_id=11,
                            priority_id=3),
        external_ref=ref,
    )
    assert provider.find_ticket_by_external_ref(ref).id == created.id

    [(method, path, body)] = [r for r in recorder.requests if r[0] == "POST"]
    assert body["externalXRef"] == ref
    assert_request_matches(method, path, body)
    for method, path, status, body, projected in recorder.responses:
        assert_response_matches(path, body, method=method.lower(), status=str(status), partial=projected)


def test_an_external_ref_longer_than_connectwise_keeps_would_not_match_the_schema():
    schema = openapi.request_schema("/service/tickets", "post")
    body = {"summary": "x", "company": {"id": 250}, "externalXRef": "r" * 101}
    [problem] = openapi.errors(body, schema, strict=True)
    assert problem.startswith("externalXRef:") and "too long" in problem


def test_the_status_patch_is_a_replace_operation_with_an_object_value(provider, recorder):
    ticket = provider.search_tickets(TicketSearchQuery(board_id=1), page_size=1).items[0]
    provider.update_status(ticket.id, 13)
    [(_, _, body)] = [r for r in recorder.requests if r[0] == "PATCH"]
    assert body == [{"op": "replace", "path": "status", "value": {"id": 13}}]


def test_the_schedule_entry_post_has_type_member_and_times(provider, recorder, sandbox):
    ticket = provider.search_tickets(TicketSearchQuery(unassigned=True), page_size=1).items[0]
    provider.add_resource(ticket.id, sandbox.members()[3]["id"])
    [(_, _, body)] = [r for r in recorder.requests if r[0] == "POST"]
    assert (
        body["objectId"] == ticket.id
        and body["type"]["identifier"] == "S"
        and body["member"] == {"id": sandbox.members()[3]["id"]}
    )
    assert body["allowScheduleConflictsFlag"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["dateStart"])


def test_the_delete_of_a_schedule_entry_answers_204(provider, recorder, sandbox):
    ticket = provider.search_tickets(TicketSearchQuery(unassigned=True), page_size=1).items[0]
    provider.add_resource(ticket.id, sandbox.members()[4]["id"])
    provider.remove_resource(ticket.id, sandbox.members()[4]["id"])
    [delete] = [r[:4] for r in recorder.responses if r[0] == "DELETE"]
    assert spec_path(delete[1]) == "/schedule/entries/{id}" and delete[2] == 204 and delete[3] is None
    assert "204" in openapi.operation("/schedule/entries/{id}", "delete")["responses"]
