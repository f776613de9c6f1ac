"""PSA call budgets of issue 19's screens and actions (no wall-clock times; see test_psa_call_counts.py).

Log time is one POST; opening the Time section one GET; the Log time form's choices one round of two GETs
when the cache is cold and none when warm; an inline edit a GET and a PATCH; the type/subtype/item selects
one round of three GETs, then none; the timer no PSA call at all."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from tests.perf import test_psa_call_counts as budgets
from tests.perf.test_psa_call_counts import in_one_round, log_shape, server_timing_calls
from tickets.models import APIToken
from tickets.service import edit as edit_service
from tickets.service import time as time_service

API = "/integrations/psa"
_CW_CALLS = "counts the ConnectWise sandbox's calls by its paths (time entries, board types, ticket PATCH)"
pytestmark = pytest.mark.connectwise_only(_CW_CALLS)

# The fixtures of the screens' budgets: a warm cache (the queue visited once), alice mapped, the queue's first row.
warm, alice_tenant, first_row = budgets.warm, budgets.alice_tenant, budgets.first_row


@pytest.fixture
def api(alice, alice_mapping):
    _, raw = APIToken.issue(alice, name="perf")
    return Client(headers={"Authorization": f"Bearer {raw}"})


# --- time -------------------------------------------------------------------------------------------------


def test_opening_the_time_section_is_one_get(api, warm, sandbox, first_row):
    response = api.get(f"{API}/tickets/{first_row.id}/time-entries")

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /time/entries": 1})
    assert server_timing_calls(response) == 1


def test_log_time_is_one_post(api, warm, sandbox, first_row):
    response = api.post(f"{API}/tickets/{first_row.id}/time-entries", {"duration": "1h 15m", "notes": "Fixed"},
                        content_type="application/json")

    assert response.status_code == 201
    assert log_shape(sandbox) == Counter({"POST /time/entries": 1})
    assert server_timing_calls(response) == 1


def test_the_log_time_forms_choices_load_in_one_round_then_come_from_the_cache(alice_tenant, warm, sandbox,
                                                                              monkeypatch):
    check = in_one_round(sandbox, monkeypatch, Counter({"GET /time/workTypes": 1, "GET /time/workRoles": 1}))

    choices = time_service.log_time_choices(alice_tenant)
    assert choices.work_types and choices.work_roles and choices.default_work_type.name == "Regular"

    check()
    assert log_shape(sandbox) == Counter({"GET /time/workTypes": 1, "GET /time/workRoles": 1})
    sandbox.clear_log()
    assert time_service.work_types(alice_tenant) and time_service.work_roles(alice_tenant)
    assert log_shape(sandbox) == Counter()


def test_log_time_with_a_chosen_work_type_is_still_one_post_once_the_form_has_loaded(api, warm, alice_tenant, sandbox,
                                                                                     first_row):
    assert time_service.log_time_choices(alice_tenant).work_roles  # the form opened: the choices are cached
    sandbox.clear_log()

    response = api.post(f"{API}/tickets/{first_row.id}/time-entries",
                        {"duration": "30m", "work_type_id": 2, "work_role_id": 3, "billable": "no_charge"},
                        content_type="application/json")

    assert response.status_code == 201
    assert log_shape(sandbox) == Counter({"POST /time/entries": 1})


def test_a_keyed_log_time_is_still_one_post_and_its_repeat_makes_no_call(api, warm, sandbox, first_row):
    url, body = f"{API}/tickets/{first_row.id}/time-entries", {"duration": "15m"}
    assert api.post(url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}).status_code == 201
    assert log_shape(sandbox) == Counter({"POST /time/entries": 1})
    sandbox.clear_log()

    assert api.post(url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}).status_code == 201
    assert log_shape(sandbox) == Counter()


def test_the_timer_makes_no_psa_call(api, warm, sandbox):
    api.post(f"{API}/timer", {"ticket_id": 1234}, content_type="application/json")
    api.get(f"{API}/timer")
    api.post(f"{API}/timer/stop", {}, content_type="application/json")

    assert log_shape(sandbox) == Counter()


# --- inline edits -----------------------------------------------------------------------------------------


def test_an_inline_edit_is_a_read_and_a_patch(api, warm, sandbox, first_row):
    response = api.patch(f"{API}/tickets/{first_row.id}/fields", {"changes": {"summary": "Edited"}},
                         content_type="application/json")

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1, "PATCH /service/tickets/{id}": 1})
    assert server_timing_calls(response) == 2


def test_an_edit_refused_by_the_concurrent_edit_guard_reads_and_writes_nothing(api, warm, sandbox, first_row):
    sandbox.state["tickets"][first_row.id]["_info"]["lastUpdated"] = "2031-01-02T03:04:05Z"

    response = api.patch(f"{API}/tickets/{first_row.id}/fields",
                         {"changes": {"summary": "Edited"}, "expected_last_updated": "2030-01-01T00:00:00Z"},
                         content_type="application/json")

    assert response.status_code == 409
    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1})


def test_the_type_selects_load_in_one_round_then_come_from_the_cache(alice_tenant, warm, sandbox, monkeypatch):
    check = in_one_round(sandbox, monkeypatch, Counter({"GET /service/boards/{id}/types": 1,
                                                        "GET /service/boards/{id}/subtypes": 1,
                                                        "GET /service/boards/{id}/items": 1}))

    edit_service.board_choices(alice_tenant, 1)
    check()
    assert sum(log_shape(sandbox).values()) == 3
    sandbox.clear_log()
    edit_service.board_choices(alice_tenant, 1)
    assert log_shape(sandbox) == Counter()


# --- faithful names cost nothing once the member directory is cached --------------------------------------


def test_naming_note_authors_from_the_directory_adds_no_call_to_the_drawer(warm, sandbox, first_row):
    for notes in sandbox.state["notes"].values():
        for note in notes:
            if note.get("member"):
                note["member"] = {"id": note["member"]["id"], "identifier": note["member"]["identifier"]}

    response = warm.get(f"/tickets/{first_row.id}/detail", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "GET /system/members" not in log_shape(sandbox)


# --- the drawer's edit form and status select (HTML) ------------------------------------------------------

HX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tickets"}


def _edit_form(html: str) -> dict:
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    for name in ("summary", "required_date"):
        fields[name] = re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
    for name in ("priority_id", "board_id", "type_id", "subtype_id", "item_id"):
        block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        chosen = re.search(r'<option value="([^"]*)" selected>', block)
        fields[name] = chosen.group(1) if chosen else ""
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_the_edit_form_is_one_get_and_a_board_move_reads_the_new_boards_choices_once(warm, alice_tenant, sandbox,
                                                                                      first_row):
    ticket = sandbox.state["tickets"][first_row.id]
    board, other = ticket["board"]["id"], 2 if ticket["board"]["id"] != 2 else 1
    edit_service.board_choices(alice_tenant, board)
    sandbox.clear_log()

    fields = _edit_form(warm.get(f"/tickets/{first_row.id}/edit", headers=HX).content.decode())
    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1})

    sandbox.clear_log()
    moved = {**fields, "board_id": str(other), "rebuild": "1"}
    assert warm.post(f"/tickets/{first_row.id}/edit", moved, headers=HX).status_code == 200
    assert log_shape(sandbox) == Counter({"GET /service/boards/{id}/types": 1, "GET /service/boards/{id}/subtypes": 1,
                                          "GET /service/boards/{id}/items": 1})
    sandbox.clear_log()
    html = warm.post(f"/tickets/{first_row.id}/edit", moved, headers=HX).content.decode()
    assert log_shape(sandbox) == Counter()

    sandbox.clear_log()
    form = {**_edit_form(html), "status_id": str(other * 10 + 2)}
    form.pop("rebuild", None)
    response = warm.post(f"/tickets/{first_row.id}/edit", form, headers=HX)
    assert response.status_code == 200, response.content.decode()
    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1, "PATCH /service/tickets/{id}": 1})


def test_a_guarded_status_change_in_the_drawer_is_a_read_and_a_patch(warm, sandbox, first_row):
    import re

    html = warm.get(f"/tickets/{first_row.id}/detail", headers=HX).content.decode()
    block = re.search(rf'<div id="drawer-status-{first_row.id}".*?</form>', html, re.S).group(0)
    form = {k: v.replace("&quot;", '"') for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block)}
    assert form["last_updated"]
    board = sandbox.state["tickets"][first_row.id]["board"]["id"]
    sandbox.clear_log()

    response = warm.post(f"/tickets/{first_row.id}/status", {**form, "status": board * 10 + 5}, headers=HX)

    assert response.status_code == 200, response.content.decode()
    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1, "PATCH /service/tickets/{id}": 1})
