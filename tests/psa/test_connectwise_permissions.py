"""The README's ConnectWise permission table is what the provider really sends.

Every ``PSAProvider`` operation is driven against the in-process sandbox through a transport that
records each request. The table in ``psa/connectwise/permissions.py`` must cover every call under the
operation that sent it, must list no call its operations do not send, and the README section "Use
with your real ConnectWise" must show the same table.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from psa.connectwise.client import API_PATH, base_url_for_site
from psa.connectwise.permissions import BASES, GUIDES, REQUIREMENTS, Requirement, role
from psa.providers.base import PSAAuthError, PSAProvider, PSAUnknownCompanyError
from psa.providers.connectwise import ConnectWiseProvider
from psa.schemas import TicketChanges, TicketCreatePayload, TicketSearchQuery, TimeEntryCreate

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_START = "<!-- connectwise-permissions:start -->"
TABLE_END = "<!-- connectwise-permissions:end -->"
ROLE_START = "<!-- connectwise-role:start -->"
ROLE_END = "<!-- connectwise-role:end -->"
HEADER = ("Feature", "Provider methods", "ConnectWise calls", "Security role permission", "Basis")

CLIENT_ID = "rf-permissions-test"
KEYS = {"company_id": "sandbox", "public_key": "sandbox-public", "private_key": "sandbox-private"}
UNASSIGNED_MEMBER = 111  # swilson: the seed gives him no tickets
# Operations that send nothing to ConnectWise, so they need no row.
SILENT_OPERATIONS = {"close"}


# --- recording what the provider sends --------------------------------------------------------------


class Recorder(httpx.BaseTransport):
    """Passes each request on to the sandbox and keeps it."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


def call_of(request: httpx.Request) -> str:
    """``GET /service/tickets/{id}/notes``: the method and the path below the API root, ids as ``{id}``."""
    path = request.url.path
    if path.startswith("/login/companyinfo/"):
        return f"{request.method} /login/companyinfo/{{companyId}}"
    assert path.startswith(API_PATH), path
    segments = ["{id}" if segment.isdigit() else segment for segment in path[len(API_PATH):].split("/")]
    return f"{request.method} {'/'.join(segments)}"


def provider_operations() -> set[str]:
    """The public methods of the provider interface: everything the product can ask of a PSA."""
    return {name for name, _ in inspect.getmembers(PSAProvider, inspect.isfunction) if not name.startswith("_")}


# --- one driver per operation, on the sandbox's seed data ----------------------------------------------


def _connect(sandbox, recorder_list: list[Recorder], **overrides) -> ConnectWiseProvider:
    recorder = Recorder(httpx.WSGITransport(app=sandbox))
    recorder_list.append(recorder)
    return ConnectWiseProvider(base_url=base_url_for_site("sandbox"), client_id=CLIENT_ID, transport=recorder,
                               sleep=lambda seconds: None, **{**KEYS, **overrides})


@pytest.fixture
def facts(sandbox):
    """Seed tickets fit for each operation, found with a provider whose calls are not recorded."""
    provider = _connect(sandbox, [])
    mine = provider.search_tickets(TicketSearchQuery(assigned_identifier="jsmith"), page_size=100).items
    with_configs = next(t for t in mine if provider.list_configuration_refs(t.id))
    assignee = provider.list_resources(with_configs.id)[0]
    detail = provider.get_ticket(with_configs.id)
    statuses = provider.get_ticket_statuses(detail.board_id)
    facts = {
        "ticket": detail,
        "assigned_member": assignee.member_id,
        "config_ids": [c.id for c in provider.list_configuration_refs(with_configs.id)],
        "other_status": next(s.id for s in statuses if s.name != detail.status_name and not s.closed),
    }
    provider.close()
    return facts


def _payload(**overrides) -> TicketCreatePayload:
    data = {"summary": "Scanner on floor 3 offline", "company_id": 250, "board_id": 1, "status_id": 11,
            "priority_id": 3}
    return TicketCreatePayload(**{**data, **overrides})


def _system_info(connect: Callable[..., ConnectWiseProvider], facts) -> None:
    assert connect().system_info().version
    # A refused key: Test connection then asks ConnectWise, without credentials, whether the company exists.
    with pytest.raises(PSAAuthError) as refused:
        connect(private_key="not-the-key").system_info()
    assert not isinstance(refused.value, PSAUnknownCompanyError)


def _create_ticket(connect, facts) -> None:
    created = connect().create_ticket(_payload(assigned_member_id=UNASSIGNED_MEMBER), external_ref="rf-perm-test")
    assert [r.member_id for r in created.resources] == [UNASSIGNED_MEMBER]


def _list_related(connect, facts) -> None:
    ticket = facts["ticket"]
    connect().list_related_tickets(ticket.id, ticket.company_id, parent_ticket_id=ticket.parent_ticket_id)


def _add_time_entry(connect, facts) -> None:
    start = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)
    entry = TimeEntryCreate(member_id=facts["assigned_member"], start=start, end=start + timedelta(hours=1),
                            notes="Replaced the toner", billable="no_charge")
    assert connect().add_time_entry(facts["ticket"].id, entry).billable == "no_charge"


def _update_ticket(connect, facts) -> None:
    changes = TicketChanges(summary="Scanner on floor 3 offline again", priority_id=2)
    assert connect().update_ticket(facts["ticket"].id, changes).ticket.priority_id == 2


def _changed_tickets(connect, facts) -> None:
    long_ago = facts["ticket"].date_entered.replace(year=2000)
    assert connect().changed_tickets(TicketSearchQuery(), long_ago, limit=1).total > 1  # a full page: + /count


DRIVERS: dict[str, Callable] = {
    "search_tickets": lambda connect, f: connect().search_tickets(TicketSearchQuery(search="printer")),
    "get_ticket": lambda connect, f: connect().get_ticket(f["ticket"].id),
    "create_ticket": _create_ticket,
    "find_ticket_by_external_ref": lambda connect, f: connect().find_ticket_by_external_ref("rf-create:unknown"),
    "update_status": lambda connect, f: connect().update_status(f["ticket"].id, f["other_status"]),
    "list_related_tickets": _list_related,
    "list_resources": lambda connect, f: connect().list_resources(f["ticket"].id),
    "add_resource": lambda connect, f: connect().add_resource(f["ticket"].id, UNASSIGNED_MEMBER),
    "remove_resource": lambda connect, f: connect().remove_resource(f["ticket"].id, f["assigned_member"]),
    "list_notes": lambda connect, f: connect().list_notes(f["ticket"].id),
    "add_note": lambda connect, f: connect().add_note(f["ticket"].id, "Rebooted the switch", "internal"),
    "list_configurations": lambda connect, f: connect().list_configurations(f["ticket"].id),
    "list_configuration_refs": lambda connect, f: connect().list_configuration_refs(f["ticket"].id),
    "get_configurations": lambda connect, f: connect().get_configurations(f["config_ids"]),
    "list_boards": lambda connect, f: connect().list_boards(),
    "get_ticket_statuses": lambda connect, f: connect().get_ticket_statuses(f["ticket"].board_id),
    "list_priorities": lambda connect, f: connect().list_priorities(),
    "list_members": lambda connect, f: connect().list_members(),
    "search_companies": lambda connect, f: connect().search_companies("Acme"),
    "get_company": lambda connect, f: connect().get_company(250),
    "list_companies": lambda connect, f: connect().list_companies(),
    "search_contacts": lambda connect, f: connect().search_contacts(250, "a"),
    "search_configurations": lambda connect, f: connect().search_configurations(250, "ws"),
    "count_tickets": lambda connect, f: connect().count_tickets(TicketSearchQuery(board_id=1)),
    "changed_tickets": _changed_tickets,
    "ticket_stamp": lambda connect, f: connect().ticket_stamp(f["ticket"].id),
    "system_info": _system_info,
    "close": lambda connect, f: connect().close(),
    "list_time_entries": lambda connect, f: connect().list_time_entries(f["ticket"].id),
    "add_time_entry": _add_time_entry,
    "list_work_types": lambda connect, f: connect().list_work_types(),
    "list_work_roles": lambda connect, f: connect().list_work_roles(),
    "update_ticket": _update_ticket,
    "list_board_types": lambda connect, f: connect().list_board_types(f["ticket"].board_id),
    "list_board_subtypes": lambda connect, f: connect().list_board_subtypes(f["ticket"].board_id),
    "list_board_items": lambda connect, f: connect().list_board_items(f["ticket"].board_id),
}


@pytest.fixture
def sent(sandbox, facts) -> dict[str, list[httpx.Request]]:
    """Operation -> the requests it sent, each operation on a fresh provider over fresh seed data
    (nothing one operation looked up or changed helps or hinders the next)."""
    requests: dict[str, list[httpx.Request]] = {}
    for operation, drive in DRIVERS.items():
        sandbox.reset()
        recorders: list[Recorder] = []
        providers: list[ConnectWiseProvider] = []

        def connect(_recorders=recorders, _providers=providers, **overrides):
            _providers.append(_connect(sandbox, _recorders, **overrides))
            return _providers[-1]

        drive(connect, facts)
        for provider in providers:
            provider.close()
        requests[operation] = [request for recorder in recorders for request in recorder.requests]
    return requests


def calls_by_operation(sent) -> dict[str, set[str]]:
    return {operation: {call_of(request) for request in requests} for operation, requests in sent.items()}


# --- the table against what is sent ----------------------------------------------------------------------


def test_every_operation_of_the_provider_interface_is_driven():
    assert set(DRIVERS) == provider_operations()


def test_every_operation_but_close_calls_connectwise_and_close_calls_nothing(sent):
    calls = calls_by_operation(sent)
    assert {operation for operation, made in calls.items() if not made} == SILENT_OPERATIONS


def test_every_call_an_operation_sends_is_in_a_row_naming_that_operation(sent):
    uncovered = [
        f"{operation}: {call}"
        for operation, calls in calls_by_operation(sent).items()
        for call in sorted(calls)
        if not any(operation in row.operations and call in row.calls for row in REQUIREMENTS)
    ]
    assert uncovered == []


def test_every_call_in_the_table_is_sent_by_an_operation_of_its_row(sent):
    calls = calls_by_operation(sent)
    unused = [
        f"{row.feature}: {call}"
        for row in REQUIREMENTS
        for call in row.calls
        if not any(call in calls.get(operation, set()) for operation in row.operations)
    ]
    assert unused == []


def test_the_table_names_only_real_operations_and_every_operation_that_calls_connectwise():
    named = {operation for row in REQUIREMENTS for operation in row.operations}
    assert named == provider_operations() - SILENT_OPERATIONS


def test_every_call_carries_the_client_id_and_all_but_the_company_lookup_the_api_keys(sent):
    requests = [request for requests in sent.values() for request in requests]
    assert {request.headers.get("clientId") for request in requests} == {CLIENT_ID}
    lookups = [r for r in requests if call_of(r) == "GET /login/companyinfo/{companyId}"]
    assert lookups and all("Authorization" not in r.headers for r in lookups)
    assert all(r.headers["Authorization"].startswith("Basic ") for r in requests if r not in lookups)


def test_every_row_says_where_its_module_name_comes_from():
    assert {row.basis for row in REQUIREMENTS} <= set(BASES)
    module_action_level = re.compile(r"[A-Z][\w &]+ > [A-Z][\w &]+: (Inquire|Add|Edit|Delete)")
    assert all(module_action_level.fullmatch(row.permission) for row in REQUIREMENTS if row.basis == GUIDES)


# --- the README shows the same table -----------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _code_items(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([^`]+)`", cell))


def _readme_block(start: str, end: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(start) == 1 and text.count(end) == 1, f"the README needs {start} and {end} once each"
    return text.split(start, 1)[1].split(end, 1)[0]


def readme_rows() -> tuple[tuple, list[Requirement]]:
    block = _readme_block(TABLE_START, TABLE_END)
    lines = [line for line in block.splitlines() if line.strip().startswith("|")]
    header, separator, *body = lines
    assert set(separator.replace("|", "").replace("-", "").replace(":", "").strip()) == set()
    rows = []
    for line in body:
        feature, operations, calls, permission, basis = _cells(line)
        rows.append(Requirement(feature, _code_items(operations), _code_items(calls), permission, basis))
    return tuple(_cells(header)), rows


def markdown(rows) -> str:
    """The table as the README should show it (printed when they differ, ready to paste)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        operations = ", ".join(f"`{name}`" for name in row.operations)
        calls = ", ".join(f"`{call}`" for call in row.calls)
        lines.append(f"| {row.feature} | {operations} | {calls} | {row.permission} | {row.basis} |")
    return "\n".join(lines)


def test_the_readme_permission_table_is_the_one_the_tests_check():
    header, rows = readme_rows()
    assert header == HEADER
    assert rows == list(REQUIREMENTS), "README table should be:\n" + markdown(REQUIREMENTS)


def test_the_readme_role_summary_is_the_table_added_up():
    """The role as a whole, one line per module and action, as an admin sets it up."""
    lines = [line.strip() for line in _readme_block(ROLE_START, ROLE_END).splitlines() if line.strip()]
    summary = {}
    for line in lines:
        action, levels = line.removeprefix("- ").rsplit(": ", 1)
        summary[action] = levels.split(", ")
    expected = "\n".join(f"- {action}: {', '.join(levels)}" for action, levels in role().items())
    assert summary == role(), "README role list should be:\n" + expected
