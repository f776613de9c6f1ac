"""JSON API: time entries, work types and roles, the timer, and inline ticket edits (issue 19)."""

from __future__ import annotations

import pytest

from psa.providers.base import PSAProvider
from psa.providers.connectwise import ConnectWiseProvider
from psa.reference import ALL_PARTS
from psa.tenancy import tenant_for
from tickets.models import RunningTimer

pytestmark = pytest.mark.django_db

API = "/integrations/psa"


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert {"detail", "errors"} <= set(body) and body["detail"]
    assert "Traceback" not in response.content.decode() and "sandbox-private" not in response.content.decode()
    return body


def ticket_with_time(sandbox) -> int:
    charged = {e["chargeToId"] for e in sandbox.state["time_entries"].values()}
    return next(t["id"] for t in sandbox.state["tickets"].values() if t["id"] in charged and not t["closedFlag"])


def open_ticket(sandbox, board_id=1) -> dict:
    return next(t for t in sandbox.state["tickets"].values() if t["board"]["id"] == board_id and not t["closedFlag"])


# --- auth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/tickets/1000/time-entries"), ("post", "/tickets/1000/time-entries"), ("get", "/time/work-types"),
    ("get", "/time/work-roles"), ("get", "/timer"), ("post", "/timer"), ("post", "/timer/stop"),
    ("patch", "/tickets/1000/fields"), ("get", "/boards/1/types"),
])
def test_every_new_endpoint_needs_a_session_or_a_token(client, connection, method, path):
    body = _error(getattr(client, method)(API + path, {}, content_type="application/json"), 401)
    assert "Bearer" in body["detail"]


def test_a_session_caller_needs_the_csrf_token_to_log_time(csrf_client, alice_mapping, sandbox):
    response = csrf_client.post(f"{API}/tickets/{ticket_with_time(sandbox)}/time-entries", {"duration": "1h"},
                                content_type="application/json")
    assert response.status_code == 403


# --- time entries ------------------------------------------------------------------------------------------


def test_it_lists_a_tickets_time_with_the_total(token_client, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    body = token_client.get(f"{API}/tickets/{ticket_id}/time-entries").json()
    seeded = [e for e in sandbox.state["time_entries"].values() if e["chargeToId"] == ticket_id]
    assert len(body["entries"]) == len(seeded)
    assert body["total_hours"] == pytest.approx(sum(e["actualHours"] for e in seeded))
    assert {"member_name", "start", "end", "hours", "billable", "notes", "work_type_name"} <= set(body["entries"][0])


def test_it_logs_time_as_the_callers_member_and_answers_201(token_client, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    response = token_client.post(
        f"{API}/tickets/{ticket_id}/time-entries",
        {"start": "2025-05-16T08:00:00+02:00", "duration": "1h 15m", "notes": "Swapped the PSU",
         "work_type_id": 2, "billable": "no_charge", "add_to_resolution": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["member_name"] == alice_mapping.name and created["hours"] == 1.25
    assert created["start"] == "2025-05-16T06:00:00Z" and created["end"] == "2025-05-16T07:15:00Z"
    assert (created["work_type_name"], created["billable"], created["add_to_resolution"]) == (
        "After Hours", "no_charge", True)
    assert sandbox.state["time_entries"][created["id"]]["member"]["id"] == alice_mapping.psa_member_id


@pytest.mark.parametrize(("data", "field"), [
    ({}, "duration"),
    ({"duration": "soon"}, "duration"),
    ({"duration": "45"}, "duration"),
    ({"start": "2025-05-16T09:00:00Z", "end": "2025-05-16T08:00:00Z"}, "end"),
    ({"start": "2025-05-16T09:00:00", "duration": "1h"}, "start"),
    ({"duration": "1h", "work_type_id": 0}, "work_type_id"),
    ({"duration": "1h", "work_type_id": 77}, "work_type_id"),
    ({"duration": "1h", "work_role_id": 78}, "work_role_id"),
    ({"duration": "1h", "billable": "sometimes"}, "billable"),
    ({"duration": "1h", "notes": "x" * 10_001}, "notes"),
    ({"duration": "1h", "member_id": 102}, "member_id"),  # the member is always the caller's own
])
def test_bad_log_time_input_is_422_naming_the_field_and_nothing_is_logged(token_client, alice_mapping, sandbox,
                                                                         data, field):
    before = len(sandbox.state["time_entries"])
    body = _error(token_client.post(f"{API}/tickets/{ticket_with_time(sandbox)}/time-entries", data,
                                    content_type="application/json"), 422)
    assert field in [e["field"] for e in body["errors"]]
    assert len(sandbox.state["time_entries"]) == before


def test_an_unmapped_caller_cannot_log_time(bob_client, connection, sandbox):
    body = _error(bob_client.post(f"{API}/tickets/{ticket_with_time(sandbox)}/time-entries", {"duration": "1h"},
                                  content_type="application/json"), 422)
    assert body["errors"] == [{"field": "member", "message": body["detail"]}]
    assert "not mapped" in body["detail"]


def test_connectwises_refusal_of_a_time_entry_is_422_naming_our_field(token_client, alice_mapping, sandbox):
    body = _error(token_client.post(f"{API}/tickets/987654/time-entries", {"duration": "1h"},
                                    content_type="application/json"), 422)
    assert body["detail"].startswith("Logging time failed: ConnectWise answered:")
    assert [e["field"] for e in body["errors"]] == ["ticket_id"]


def test_a_retried_log_time_with_an_idempotency_key_logs_one_entry(token_client, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    before = len(sandbox.state["time_entries"])
    url, body = f"{API}/tickets/{ticket_id}/time-entries", {"duration": "20m", "notes": "Checked the backups"}

    first = token_client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "retry-1"})
    again = token_client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "retry-1"})

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and len(sandbox.state["time_entries"]) == before + 1
    other = token_client.post(url, {"duration": "1h"}, content_type="application/json", headers={"Idempotency-Key": "retry-1"})
    assert [e["field"] for e in _error(other, 422)["errors"]] == ["Idempotency-Key"]
    empty = token_client.post(url, body, content_type="application/json", headers={"Idempotency-Key": " "})
    assert [e["field"] for e in _error(empty, 400)["errors"]] == ["Idempotency-Key"]
    assert len(sandbox.state["time_entries"]) == before + 1


def test_a_failed_time_post_says_it_may_have_been_logged_never_500(token_client, alice_mapping, sandbox):
    sandbox.inject("503", method="POST", path=r"^/time/entries$")
    body = _error(token_client.post(f"{API}/tickets/{ticket_with_time(sandbox)}/time-entries", {"duration": "1h"},
                                    content_type="application/json"), 503)
    assert body["detail"].startswith("Logging time failed:")


def test_work_types_and_roles_are_listed(token_client, alice_mapping):
    types = token_client.get(f"{API}/time/work-types").json()
    roles = token_client.get(f"{API}/time/work-roles").json()
    assert [t["name"] for t in types if t["is_default"]] == ["Regular"]
    assert "Network Engineer" in [r["name"] for r in roles]


# --- the timer ---------------------------------------------------------------------------------------------


def test_the_timer_starts_shows_everywhere_refuses_a_second_ticket_and_stops(token_client, client, alice):
    assert token_client.get(f"{API}/timer").json() == {"running": False, "timer": None}

    started = token_client.post(f"{API}/timer", {"ticket_id": 1234, "summary": "Printer offline"},
                                content_type="application/json")
    assert started.status_code == 200 and started.json()["ticket_id"] == 1234

    client.force_login(alice)  # the browser: another device, same user
    state = client.get(f"{API}/timer").json()
    assert state["running"] and state["timer"]["ticket_id"] == 1234 and state["timer"]["summary"] == "Printer offline"

    clash = token_client.post(f"{API}/timer", {"ticket_id": 5678}, content_type="application/json")
    body = _error(clash, 409)
    assert body["timer"]["ticket_id"] == 1234 and "#1234" in body["detail"]

    elsewhere = token_client.post(f"{API}/timer/stop", {"ticket_id": 5678}, content_type="application/json")
    assert "#1234" in _error(elsewhere, 409)["detail"]

    stopped = token_client.post(f"{API}/timer/stop", {}, content_type="application/json")
    assert stopped.status_code == 200
    out = stopped.json()["stopped"]
    assert out["ticket_id"] == 1234 and out["summary"] == "Printer offline"
    assert {"start", "end", "duration", "elapsed_seconds", "stopped"} <= set(out)  # Log time's prefill
    assert token_client.get(f"{API}/timer").json()["running"] is False


def test_stopping_when_no_timer_runs_says_so_without_an_error(token_client, alice):
    """Another tab stopped it a moment ago: nothing to stop is not a failure."""
    response = token_client.post(f"{API}/timer/stop", {}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"stopped": None}


def test_another_accounts_user_does_not_see_the_timer(token_client, charlie_token_client, alice):
    token_client.post(f"{API}/timer", {"ticket_id": 1234}, content_type="application/json")
    assert charlie_token_client.get(f"{API}/timer").json()["running"] is False
    assert charlie_token_client.post(f"{API}/timer/stop", {}, content_type="application/json").json() == {
        "stopped": None}
    assert RunningTimer.objects.get().ticket_id == 1234


# --- inline edits ------------------------------------------------------------------------------------------


def test_a_ticket_edit_answers_the_ticket_before_and_after(token_client, alice_mapping, sandbox):
    ticket = open_ticket(sandbox)
    response = token_client.patch(f"{API}/tickets/{ticket['id']}/fields",
                                  {"changes": {"summary": "VPN drops hourly", "priority_id": 1}},
                                  content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ticket"]["summary"] == "VPN drops hourly" and body["ticket"]["priority_id"] == 1
    assert body["previous"]["summary"] != "VPN drops hourly"


def test_an_edit_of_a_ticket_changed_since_it_was_loaded_is_409_with_the_conflict(token_client, alice, alice_mapping,
                                                                                  sandbox):
    ticket = open_ticket(sandbox)
    loaded = token_client.get(f"{API}/tickets/{ticket['id']}").json()
    fields = {k: loaded[k] for k in ("summary", "priority_id", "type_id", "subtype_id", "item_id", "required_date",
                                     "board_id", "status_id")}
    stored = sandbox.state["tickets"][ticket["id"]]
    stored["summary"] = "Changed by Ana"
    stored["_info"].update(lastUpdated="2031-01-02T03:04:05Z", updatedBy="agarcia")
    assert tenant_for(alice).reference(*ALL_PARTS).members  # the member directory is cached, as on any page

    response = token_client.patch(f"{API}/tickets/{ticket['id']}/fields",
                                  {"changes": {"summary": "Mine"}, "expected_last_updated": loaded["last_updated"],
                                   "loaded": fields}, content_type="application/json")

    body = _error(response, 409)
    assert body["detail"] == (f"Not saved: ticket #{ticket['id']} was changed in ConnectWise by Ana Garcia at "
                              "2031-01-02 03:04 UTC (Summary) since you loaded it")
    conflict = body["conflict"]
    assert (conflict["updated_by"], conflict["updated_by_name"]) == ("agarcia", "Ana Garcia")
    assert conflict["last_updated"] == "2031-01-02T03:04:05Z"
    assert conflict["changes"] == [{"field": "summary", "label": "Summary", "current": "Changed by Ana"}]
    assert conflict["current"]["summary"] == "Changed by Ana"
    assert stored["summary"] == "Changed by Ana"

    again = token_client.patch(f"{API}/tickets/{ticket['id']}/fields",
                               {"changes": {"summary": "Mine"}, "expected_last_updated": conflict["last_updated"]},
                               content_type="application/json")
    assert again.status_code == 200 and stored["summary"] == "Mine"


@pytest.mark.parametrize(("data", "field"), [
    ({"changes": {}}, None),
    ({"changes": {"summary": ""}}, "changes.summary"),
    ({"changes": {"summary": "x" * 101}}, "changes.summary"),
    ({"changes": {"priority_id": None}}, "changes.priority_id"),
    ({"changes": {"board_id": 2}}, None),  # a board move needs a status
    ({"changes": {"board_id": 2, "status_id": 12}}, "status_id"),
    ({"changes": {"priority_id": 42}}, "priority_id"),
    ({"changes": {"summary": "x"}, "expected_last_updated": "2025-05-01T10:00:00"}, "expected_last_updated"),
])
def test_bad_edits_are_422(token_client, alice_mapping, sandbox, data, field):
    body = _error(token_client.patch(f"{API}/tickets/{open_ticket(sandbox)['id']}/fields", data,
                                     content_type="application/json"), 422)
    if field is not None:
        assert field in [e["field"] for e in body["errors"]]


def test_an_unknown_ticket_is_404(token_client, alice_mapping):
    _error(token_client.patch(f"{API}/tickets/987654/fields", {"changes": {"summary": "x"}},
                              content_type="application/json"), 404)


def test_a_boards_types_subtypes_and_items(token_client, alice_mapping):
    types = token_client.get(f"{API}/boards/1/types").json()
    subtypes = token_client.get(f"{API}/boards/1/subtypes").json()
    items = token_client.get(f"{API}/boards/1/items").json()
    assert "Incident" in [t["name"] for t in types]
    assert all(set(s["type_ids"]) <= {t["id"] for t in types} for s in subtypes)
    assert "Outlook" in [i["name"] for i in items]
    _error(token_client.get(f"{API}/boards/99/types"), 404)


# --- a PSA without these operations, and the OpenAPI document ----------------------------------------------


def test_a_psa_without_time_entries_answers_501_not_500(token_client, alice_mapping, sandbox, monkeypatch):
    monkeypatch.setattr(ConnectWiseProvider, "list_time_entries", PSAProvider.list_time_entries)
    body = _error(token_client.get(f"{API}/tickets/1000/time-entries"), 501)
    assert body["detail"] == ("Loading the ticket's time entries failed: "
                              "Listing time entries is not supported by this PSA")


def test_the_openapi_document_describes_the_new_endpoints(client, db):
    document = client.get(f"{API}/openapi.json").json()
    listed = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert {
        ("get", f"{API}/tickets/{{ticket_id}}/time-entries"), ("post", f"{API}/tickets/{{ticket_id}}/time-entries"),
        ("get", f"{API}/time/work-types"), ("get", f"{API}/time/work-roles"),
        ("get", f"{API}/timer"), ("post", f"{API}/timer"), ("post", f"{API}/timer/stop"),
        ("patch", f"{API}/tickets/{{ticket_id}}/fields"),
        ("get", f"{API}/boards/{{board_id}}/types"), ("get", f"{API}/boards/{{board_id}}/subtypes"),
        ("get", f"{API}/boards/{{board_id}}/items"),
    } <= listed
    conflict = document["paths"][f"{API}/tickets/{{ticket_id}}/fields"]["patch"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EditConflictOut"}
    assert "conflict" in document["components"]["schemas"]["EditConflictOut"]["properties"]
    assert {"TimeEntryInput", "PSATimeEntry", "TicketChanges", "PSATicketUpdate"} <= set(document["components"]["schemas"])
