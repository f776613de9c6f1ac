"""ConnectWiseProvider's time entries, work types and roles, board types and inline edits, against the
in-process sandbox; and what a provider without them does (issue 19)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from psa.connectwise.client import base_url_for_site
from psa.connectwise.mapping import TIME_ENTRY_FIELDS
from psa.providers.base import (
    PSAEditConflict,
    PSANotSupportedError,
    PSAProvider,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.providers.connectwise import ConnectWiseProvider
from psa.schemas import TicketChanges, TimeEntryCreate

START = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)


class BodyRecorder(httpx.BaseTransport):
    """Keeps each request's method, path and JSON body on its way to the sandbox."""

    def __init__(self, inner):
        self.inner, self.sent = inner, []

    def handle_request(self, request):
        self.sent.append((request.method, request.url.path, json.loads(request.content) if request.content else None))
        return self.inner.handle_request(request)


@pytest.fixture
def recorder(sandbox):
    return BodyRecorder(httpx.WSGITransport(app=sandbox))


@pytest.fixture
def provider(recorder):
    p = ConnectWiseProvider(base_url=base_url_for_site("sandbox"), company_id="sandbox", public_key="sandbox-public",
                            private_key="sandbox-private", client_id="rf-tests", transport=recorder,
                            sleep=lambda seconds: None)
    yield p
    p.close()


def logged(sandbox, method=None):
    return [r for r in sandbox.request_log if method is None or r.method == method]


def ticket_with_time(sandbox) -> dict:
    """An open seed ticket with time charged to it."""
    charged = {e["chargeToId"] for e in sandbox.state["time_entries"].values()}
    return next(t for t in sandbox.state["tickets"].values() if t["id"] in charged and not t["closedFlag"])


def entry(member_id=101, **overrides) -> TimeEntryCreate:
    return TimeEntryCreate(**{"member_id": member_id, "start": START, "end": START + timedelta(minutes=75),
                              "notes": "Replaced the toner", **overrides})


def posted_bodies(recorder):
    return [body for method, path, body in recorder.sent if method == "POST" and path.endswith("/time/entries")]


# --- time entries ----------------------------------------------------------------------------------------


def test_the_time_section_lists_the_tickets_entries_with_member_hours_and_billability(provider, sandbox):
    ticket = ticket_with_time(sandbox)
    seeded = [e for e in sandbox.state["time_entries"].values() if e["chargeToId"] == ticket["id"]]

    entries = provider.list_time_entries(ticket["id"])

    assert [e.id for e in entries] == [e["id"] for e in sorted(seeded, key=lambda e: (e["timeStart"], e["id"]))]
    first, seed = entries[0], seeded[0]
    assert first.ticket_id == ticket["id"]
    assert first.member_name == seed["member"]["name"] and first.member_identifier == seed["member"]["identifier"]
    assert first.hours == seed["actualHours"] and first.notes == seed["notes"]
    assert first.work_type_name == seed["workType"]["name"] and first.work_role_name == seed["workRole"]["name"]
    assert first.billable == {"Billable": "billable", "DoNotBill": "do_not_bill", "NoCharge": "no_charge"}[
        seed["billableOption"]]


def test_listing_time_is_one_get_filtered_by_the_charge_asking_only_for_the_shown_fields(provider, sandbox):
    ticket = ticket_with_time(sandbox)
    sandbox.clear_log()

    provider.list_time_entries(ticket["id"])

    [call] = logged(sandbox)
    query = {k: v[0] for k, v in parse_qs(call.query).items()}
    assert call.method == "GET" and call.path == "/time/entries"
    assert query["conditions"] == (f'(chargeToType = "ServiceTicket" or chargeToType = "ProjectTicket") '
                                   f'and chargeToId = {ticket["id"]}')
    assert query["fields"] == TIME_ENTRY_FIELDS


def test_a_ticket_without_time_has_no_entries(provider, sandbox):
    charged = {e["chargeToId"] for e in sandbox.state["time_entries"].values()}
    idle = next(t for t in sandbox.state["tickets"].values() if t["id"] not in charged)
    assert provider.list_time_entries(idle["id"]) == []


def test_logged_time_is_charged_to_the_ticket_as_the_member_and_listed_after(provider, sandbox, recorder):
    ticket = ticket_with_time(sandbox)
    hours_before = sandbox.state["tickets"][ticket["id"]]["actualHours"]

    created = provider.add_time_entry(ticket["id"], entry(add_to_internal=True))

    [body] = posted_bodies(recorder)
    assert body["chargeToType"] == "ServiceTicket" and body["chargeToId"] == ticket["id"]
    assert body["member"] == {"id": 101}
    assert body["timeStart"] == "2025-05-16T08:00:00Z" and body["timeEnd"] == "2025-05-16T09:15:00Z"
    assert body["notes"] == "Replaced the toner"
    assert (body["addToDetailDescriptionFlag"], body["addToInternalAnalysisFlag"], body["addToResolutionFlag"]) == (
        False, True, False)
    assert created.hours == 1.25 and created.member_name == "John Smith" and created.add_to_internal
    assert created.id in [e.id for e in provider.list_time_entries(ticket["id"])]
    assert sandbox.state["tickets"][ticket["id"]]["actualHours"] == pytest.approx(hours_before + 1.25)


def test_work_type_role_and_billability_left_out_take_connectwises_defaults(provider, sandbox, recorder):
    ticket = ticket_with_time(sandbox)

    created = provider.add_time_entry(ticket["id"], entry())

    [body] = posted_bodies(recorder)
    assert not {"workType", "workRole", "billableOption"} & set(body)
    default = next(w for w in sandbox.state["work_types"].values() if w["overallDefaultFlag"])
    assert created.work_type_name == default["name"] and created.billable == "billable"
    assert created.work_role_name  # the member's own role


def test_a_chosen_work_type_role_and_billable_option_are_sent_by_id_and_kept(provider, sandbox, recorder):
    ticket = ticket_with_time(sandbox)

    created = provider.add_time_entry(ticket["id"], entry(work_type_id=3, work_role_id=4, billable="no_charge"))

    [body] = posted_bodies(recorder)
    assert body["workType"] == {"id": 3} and body["workRole"] == {"id": 4} and body["billableOption"] == "NoCharge"
    assert (created.work_type_name, created.work_role_name, created.billable) == ("Travel", "Systems Engineer",
                                                                                 "no_charge")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"member_id": 99999}, "member_id"),
    ({"work_type_id": 999}, "work_type_id"),
    ({"work_role_id": 999}, "work_role_id"),
])
def test_connectwises_refusals_name_the_fields_of_log_time(provider, sandbox, overrides, field):
    ticket = ticket_with_time(sandbox)
    with pytest.raises(PSAValidationError) as refused:
        provider.add_time_entry(ticket["id"], entry(**overrides))
    assert field in [e.field for e in refused.value.field_errors]
    assert refused.value.status == 400


def test_time_on_a_ticket_connectwise_does_not_have_names_the_ticket(provider):
    with pytest.raises(PSAValidationError) as refused:
        provider.add_time_entry(987654, entry())
    assert [e.field for e in refused.value.field_errors] == ["ticket_id"]


def test_an_end_before_the_start_is_refused_before_anything_is_sent(provider, sandbox):
    sandbox.clear_log()
    with pytest.raises(PSAValidationError) as refused:
        provider.add_time_entry(1000, entry(end=START - timedelta(minutes=5)))
    assert [e.field for e in refused.value.field_errors] == ["end"]
    assert logged(sandbox) == []


def test_logging_time_is_never_retried(provider, sandbox):
    ticket = ticket_with_time(sandbox)
    sandbox.inject("503", method="POST", path=r"^/time/entries$")
    sandbox.clear_log()
    with pytest.raises(PSAUnavailableError):
        provider.add_time_entry(ticket["id"], entry())
    assert len(logged(sandbox, "POST")) == 1


def test_work_types_and_roles_are_the_active_ones_by_name(provider, sandbox):
    sandbox.state["work_roles"][8]["inactiveFlag"] = True

    types, roles = provider.list_work_types(), provider.list_work_roles()

    assert [t.name for t in types] == sorted(t.name for t in types)
    assert [t.name for t in types if t.is_default] == ["Regular"]
    assert {t.name: t.billable for t in types}["Internal"] == "do_not_bill"
    assert [r.name for r in roles] == sorted(r.name for r in roles)
    assert "Service Manager" not in [r.name for r in roles]


# --- a board's types, subtypes and items -------------------------------------------------------------------


def test_a_boards_types_subtypes_and_items_are_its_own(provider, sandbox):
    types, subtypes, items = provider.list_board_types(2), provider.list_board_subtypes(2), provider.list_board_items(2)

    assert {t.name for t in types} == {"Outage", "Monitoring Alert", "Change", "Maintenance"}
    assert {s.name for s in subtypes} == {"Firewall", "Switching", "Wireless", "Internet", "Backup"}
    assert {i.name for i in items} == {"FortiGate", "Catalyst", "Access Point", "ISP Circuit"}
    board_type_ids = {t.id for t in types}
    assert all(s.type_ids and set(s.type_ids) <= board_type_ids for s in subtypes)


# --- inline edits ------------------------------------------------------------------------------------------


def patches(recorder):
    return [body for method, _, body in recorder.sent if method == "PATCH"]


def test_an_edit_reads_the_ticket_then_patches_only_the_sent_fields(provider, sandbox, recorder):
    ticket = ticket_with_time(sandbox)
    summary_before = ticket["summary"]

    update = provider.update_ticket(ticket["id"], TicketChanges(summary="VPN drops hourly", priority_id=1))

    assert patches(recorder) == [[{"op": "replace", "path": "summary", "value": "VPN drops hourly"},
                                  {"op": "replace", "path": "priority", "value": {"id": 1}}]]
    assert update.previous.summary == summary_before
    assert update.ticket.summary == "VPN drops hourly"
    assert update.ticket.priority_name == "Priority 1 - Emergency Response"
    assert sandbox.state["tickets"][ticket["id"]]["summary"] == "VPN drops hourly"


def test_a_board_move_sends_the_board_before_its_status_and_lands_on_both(provider, sandbox, recorder):
    ticket = next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == 1 and not t["closedFlag"])

    update = provider.update_ticket(ticket["id"], TicketChanges(board_id=2, status_id=22))

    assert [op["path"] for op in patches(recorder)[0]] == ["board", "status"]
    assert (update.ticket.board_name, update.ticket.status_name) == ("Network Operations", "In Progress")


def test_type_subtype_item_and_required_date_can_be_set_and_cleared(provider, sandbox, recorder):
    ticket = next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == 1 and not t["closedFlag"])
    due = datetime(2030, 1, 31, 17, 0, tzinfo=UTC)

    update = provider.update_ticket(ticket["id"], TicketChanges(type_id=51, subtype_id=101, item_id=201,
                                                                required_date=due))
    assert (update.ticket.type_name, update.ticket.subtype_name, update.ticket.item_name) == (
        "Incident", "Email", "Outlook")
    assert update.ticket.required_date == due

    cleared = provider.update_ticket(ticket["id"], TicketChanges(item_id=None, required_date=None))
    assert patches(recorder)[-1] == [{"op": "remove", "path": "item"}, {"op": "remove", "path": "requiredDate"}]
    assert cleared.ticket.item_id is None and cleared.ticket.required_date is None
    assert cleared.ticket.type_name == "Incident"


def test_a_status_of_another_board_is_refused_naming_the_status(provider, sandbox):
    ticket = next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == 1 and not t["closedFlag"])
    with pytest.raises(PSAValidationError) as refused:
        provider.update_ticket(ticket["id"], TicketChanges(status_id=32))
    assert "status_id" in [e.field for e in refused.value.field_errors]


def test_an_edit_of_a_ticket_that_changed_since_it_was_loaded_is_not_applied(provider, sandbox):
    ticket = ticket_with_time(sandbox)
    loaded = provider.get_ticket(ticket["id"])
    # Someone edits the ticket in ConnectWise after the drawer loaded it.
    stored = sandbox.state["tickets"][ticket["id"]]
    stored["summary"] = "Changed in ConnectWise"
    stored["_info"].update(lastUpdated="2031-01-02T03:04:05Z", updatedBy="agarcia")
    sandbox.clear_log()

    with pytest.raises(PSAEditConflict) as conflict:
        provider.update_ticket(ticket["id"], TicketChanges(summary="Mine"), expected_last_updated=loaded.last_updated)

    assert conflict.value.updated_by == "agarcia"
    assert conflict.value.last_updated == datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert conflict.value.current.summary == "Changed in ConnectWise"
    assert "agarcia" in conflict.value.message
    assert [r.method for r in logged(sandbox)] == ["GET"]  # nothing written
    assert stored["summary"] == "Changed in ConnectWise"


def test_an_edit_of_an_unchanged_ticket_is_applied_and_changes_its_last_update(provider, sandbox):
    ticket = ticket_with_time(sandbox)
    sandbox.state["tickets"][ticket["id"]]["_info"]["lastUpdated"] = "2020-01-01T00:00:00Z"
    loaded = provider.get_ticket(ticket["id"])

    update = provider.update_ticket(ticket["id"], TicketChanges(summary="Mine"),
                                    expected_last_updated=loaded.last_updated)

    assert update.ticket.summary == "Mine"
    assert update.ticket.last_updated != loaded.last_updated  # the next edit must expect the new time
    with pytest.raises(PSAEditConflict):
        provider.update_ticket(ticket["id"], TicketChanges(summary="Stale"), expected_last_updated=loaded.last_updated)


# --- a provider that has none of this (yet) ----------------------------------------------------------------


@pytest.fixture
def bare_provider():
    """A provider that implements only PSAProvider's abstract methods (one written before issue 19)."""
    methods = {name: (lambda self, *args, **kwargs: None) for name in PSAProvider.__abstractmethods__}
    return type("BareProvider", (PSAProvider,), methods)()


@pytest.mark.parametrize(("call", "operation"), [
    (lambda p: p.list_time_entries(1), "Listing time entries"),
    (lambda p: p.add_time_entry(1, entry()), "Logging time"),
    (lambda p: p.list_work_types(), "Work types"),
    (lambda p: p.list_work_roles(), "Work roles"),
    (lambda p: p.update_ticket(1, TicketChanges(summary="x")), "Editing tickets"),
    (lambda p: p.list_board_types(1), "Ticket types"),
    (lambda p: p.list_board_subtypes(1), "Ticket subtypes"),
    (lambda p: p.list_board_items(1), "Ticket items"),
])
def test_a_provider_without_the_new_operations_still_works_and_says_what_it_cannot_do(bare_provider, call, operation):
    with pytest.raises(PSANotSupportedError) as unsupported:
        call(bare_provider)
    assert unsupported.value.message == f"{operation} is not supported by this PSA"
