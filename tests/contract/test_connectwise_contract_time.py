"""Contract tests of the ConnectWise operations issue 19 added: time entries, work types and roles, a board's
types/subtypes/items, and the inline edit's read and PATCH. Every request body the provider sends and every
answer the sandbox gives is checked against ConnectWise's own schemas (the 2025.8 subset), strictly: no
property ConnectWise does not declare, in either direction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from psa.connectwise.mapping import TICKET_EDIT_FIELDS, TIME_ENTRY_FIELDS
from psa.schemas import TicketChanges, TimeEntryCreate
from tests.contract import openapi
from tests.contract import test_connectwise_contract as contract
from tests.contract.test_connectwise_contract import assert_request_matches, assert_response_matches, spec_path

START = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)

# The contract tests' fixtures: a client and a provider whose requests and answers are recorded.
recorder, client, provider = contract.recorder, contract.client, contract.provider


def ticket_with_time(sandbox) -> int:
    charged = {e["chargeToId"] for e in sandbox.state["time_entries"].values()}
    return next(t["id"] for t in sandbox.state["tickets"].values() if t["id"] in charged and not t["closedFlag"])


def assert_ticket_patch_matches(body):
    """A Ticket PATCH body: a list of ``PatchOperation``. The spec types ``value`` as ``object``, which in
    ConnectWise's (.NET) spec means any JSON (API-NOTES §4: strings for text fields, ``{"id": n}`` for
    references), so each value is checked against the schema of the Ticket field its ``path`` names."""
    assert openapi.errors([{k: v for k, v in op.items() if k != "value"} for op in body],
                          openapi.request_schema("/service/tickets/{id}", "patch"), strict=True) == []
    fields = openapi.component("Ticket")
    for op in body:
        assert op["op"] in ("add", "replace", "remove") and isinstance(op["path"], str)
        if op["op"] == "remove":
            assert set(op) == {"op", "path"}
            continue
        problems = openapi.errors({op["path"]: op["value"]}, fields, strict=True, partial=True)
        assert problems == [], f"{op}: {problems}"


def every_exchange_matches(recorder, *, shapes: set[tuple[str, str]]):
    """Each request the provider sent has one of ``shapes`` (method, spec path); every body and answer matches."""
    assert {(method, spec_path(path)) for method, path, _ in recorder.requests} == shapes
    for method, path, body in recorder.requests:
        if method == "PATCH" and spec_path(path) == "/service/tickets/{id}":
            assert_ticket_patch_matches(body)
        elif body is not None:
            assert_request_matches(method, path, body)
    for method, path, status, body, projected in recorder.responses:
        assert_response_matches(path, body, method=method.lower(), status=str(status), partial=projected)


# --- the sandbox's answers, whole ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/time/entries", "/time/workTypes", "/time/workRoles", "/service/boards/2/types",
                                  "/service/boards/2/subtypes", "/service/boards/2/items"])
def test_whole_answers_match_the_connectwise_schema(client, path):
    rows = client.get(path, {"pageSize": 100})
    assert rows
    assert_response_matches(path, rows)


def test_a_single_time_entry_and_the_count_match(client, sandbox):
    entry_id = next(iter(sandbox.state["time_entries"]))
    assert_response_matches(f"/time/entries/{entry_id}", client.get(f"/time/entries/{entry_id}"))
    assert_response_matches("/time/entries/count", client.get("/time/entries/count"))


# --- what the provider sends, and the answers to it ------------------------------------------------------


def test_listing_a_tickets_time_asks_for_fields_connectwise_has(provider, recorder, sandbox):
    assert provider.list_time_entries(ticket_with_time(sandbox))
    every_exchange_matches(recorder, shapes={("GET", "/time/entries")})
    returned = recorder.responses[0][3][0]
    assert set(returned) <= {path.split("/")[0] for path in TIME_ENTRY_FIELDS.split(",")}


def test_log_time_posts_a_time_entry_connectwise_accepts(provider, recorder, sandbox):
    provider.add_time_entry(ticket_with_time(sandbox), TimeEntryCreate(
        member_id=101, start=START, end=START + timedelta(minutes=75), notes="Swapped the PSU",
        work_type_id=2, work_role_id=3, billable="do_not_bill", add_to_resolution=True))
    every_exchange_matches(recorder, shapes={("POST", "/time/entries")})
    [(_, _, status, _, _)] = recorder.responses
    assert status == 201 and "201" in openapi.operation("/time/entries", "post")["responses"]


def test_log_time_with_every_default_posts_only_what_connectwise_requires_and_the_charge(provider, recorder, sandbox):
    provider.add_time_entry(ticket_with_time(sandbox), TimeEntryCreate(member_id=101, start=START,
                                                                       end=START + timedelta(hours=1)))
    [(_, _, body)] = recorder.requests
    required = openapi.component("TimeEntry")
    assert openapi.errors(body, required, strict=True) == []
    assert set(body) == {"chargeToType", "chargeToId", "member", "timeStart", "timeEnd", "addToDetailDescriptionFlag",
                         "addToInternalAnalysisFlag", "addToResolutionFlag"}


def test_work_types_and_roles_ask_for_fields_connectwise_has(provider, recorder):
    provider.list_work_types()
    provider.list_work_roles()
    every_exchange_matches(recorder, shapes={("GET", "/time/workTypes"), ("GET", "/time/workRoles")})


def test_a_boards_types_subtypes_and_items_ask_for_fields_connectwise_has(provider, recorder):
    provider.list_board_types(1)
    provider.list_board_subtypes(1)
    provider.list_board_items(1)
    every_exchange_matches(recorder, shapes={("GET", "/service/boards/{parentId}/types"),
                                             ("GET", "/service/boards/{parentId}/subtypes"),
                                             ("GET", "/service/boards/{parentId}/items")})


def test_the_member_directory_asks_for_each_members_time_zone_as_connectwise_names_it(provider, recorder, sandbox):
    members = provider.list_members()
    every_exchange_matches(recorder, shapes={("GET", "/system/members")})
    assert "timeZone" in openapi.spec()["components"]["schemas"]["Member"]["properties"]
    zones = {m.identifier: m.time_zone for m in members}
    for member in sandbox.state["members"].values():  # some members set one, some do not
        assert zones[member["identifier"]] == (member.get("timeZone") or {}).get("name")
    assert None in zones.values() and "US Pacific" in zones.values()


def test_an_inline_edit_reads_fields_connectwise_has_and_patches_with_patch_operations(provider, recorder, sandbox):
    ticket = next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == 1 and not t["closedFlag"])
    provider.update_ticket(ticket["id"], TicketChanges(summary="VPN drops hourly", priority_id=1, type_id=51,
                                                       subtype_id=101, required_date=START))
    provider.update_ticket(ticket["id"], TicketChanges(board_id=2, status_id=22, subtype_id=None, required_date=None))

    every_exchange_matches(recorder, shapes={("GET", "/service/tickets/{id}"), ("PATCH", "/service/tickets/{id}")})
    reads = [path for method, path, _ in recorder.requests if method == "GET"]
    assert len(reads) == 2
    patches = [body for method, _, body in recorder.requests if method == "PATCH"]
    assert {op["op"] for body in patches for op in body} == {"replace", "remove"}
    assert all(op["path"] in {"summary", "priority", "type", "subType", "item", "requiredDate", "board", "status"}
               for body in patches for op in body)


def test_the_edit_read_names_only_ticket_fields():
    ticket = openapi.spec()["components"]["schemas"]["Ticket"]["properties"]
    assert {path.split("/")[0] for path in TICKET_EDIT_FIELDS.split(",")} <= set(ticket)


def test_a_patch_value_of_the_wrong_type_for_its_field_would_not_match():
    with pytest.raises(AssertionError):
        assert_ticket_patch_matches([{"op": "replace", "path": "summary", "value": {"id": 1}}])
    with pytest.raises(AssertionError):
        assert_ticket_patch_matches([{"op": "replace", "path": "summary", "value": "x" * 101}])
    with pytest.raises(AssertionError):
        assert_ticket_patch_matches([{"op": "replace", "path": "colour", "value": "red"}])
