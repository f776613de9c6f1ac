"""PSA calls per screen: the round-trip budget of every screen, asserted in CI (no wall-clock times).

Counts come from the in-process sandbox's request log (one entry per HTTP request the provider made,
retries included) and are cross-checked with the ``Server-Timing`` header the request-log middleware
sets. "Warm" means the account's reference data (boards, statuses, priorities, companies, members)
is already in the cache, as it is for every screen after the first visit. "One round" is shown
without a clock: the requests of a round must all be in flight at once (they meet at a barrier the
sandbox holds them at). The wall-time figures behind these budgets come from ``bench/run.py`` (README,
Performance).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from urllib.parse import parse_qs

import pytest

from psa.metrics import get_call_count, reset_call_count
from psa.reference import ALL_PARTS
from psa.tenancy import tenant_for
from tests.reference_loads import settle_reference_loads
from tickets import service

HX = {"HX-Request": "true"}
BARRIER_TIMEOUT_S = 30  # only a failure detector: a round that never meets fails the test after this


def log_shape(sandbox) -> Counter:
    """``Counter`` of "METHOD /path/{id}/..." for what the sandbox has logged since the last clear."""
    shapes = Counter()
    for entry in sandbox.request_log:
        path = "/".join("{id}" if part.isdigit() else part for part in entry.path.split("/"))
        shapes[f"{entry.method} {path}"] += 1
    return shapes


def server_timing_calls(response) -> int:
    part = next(p for p in response.headers["Server-Timing"].split(",") if "psa" in p)
    return int(float(part.split("dur=")[1]))


@pytest.fixture
def warm(alice_client, alice_mapping, sandbox):
    """Visit the queue once (fills the reference-data cache), then start a clean request log."""
    assert alice_client.get("/tickets").status_code == 200
    sandbox.clear_log()
    return alice_client


@pytest.fixture
def alice_tenant(alice, alice_mapping):
    return tenant_for(alice)


@pytest.fixture
def first_row(alice_tenant, sandbox):
    """The first row of the queue (its search is left out of the request log)."""
    row = service.search_tickets(alice_tenant, service.TicketFilters(), page=1, page_size=25).items[0]
    sandbox.clear_log()
    return row


def ticket_with_configurations(sandbox, minimum: int = 2) -> dict:
    """An open sandbox ticket with a company and at least ``minimum`` configurations attached."""
    links = sandbox.state["ticket_configurations"]
    for ticket in sandbox.state["tickets"].values():
        if len(links.get(ticket["id"], [])) >= minimum and not ticket.get("closedFlag") and ticket.get("company"):
            return ticket
    pytest.skip(f"the sandbox seed has no ticket with {minimum} configurations")


# --- the queue ----------------------------------------------------------------------------------------


def test_the_list_page_with_a_warm_cache_makes_two_parallel_calls_list_and_count(warm, sandbox):
    response = warm.get("/tickets")

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})
    assert server_timing_calls(response) == 2


def test_the_list_partial_with_a_warm_cache_makes_the_same_two_calls(warm, sandbox):
    response = warm.get("/tickets", headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})


def test_the_list_call_asks_only_for_the_row_fields(warm, sandbox):
    from psa.connectwise.mapping import TICKET_ROW_FIELDS

    warm.get("/tickets", headers=HX)

    list_call = next(e for e in sandbox.request_log if e.path == "/service/tickets")
    query = parse_qs(list_call.query)
    assert query["fields"] == [TICKET_ROW_FIELDS]
    assert query["pageSize"] == ["25"]


def test_a_filtered_list_with_a_warm_cache_still_makes_two_calls(warm, sandbox):
    response = warm.get("/tickets?board=1&status=12&priority=2&assigned=me&search=printer", headers=HX)

    assert response.status_code == 200
    assert sum(log_shape(sandbox).values()) == 2


def test_the_first_visit_loads_each_kind_of_reference_data_once(alice_client, alice_mapping, sandbox):
    response = alice_client.get("/tickets")

    shapes = log_shape(sandbox)
    assert response.status_code == 200
    assert shapes["GET /service/tickets"] == 1 and shapes["GET /service/tickets/count"] == 1
    assert shapes["GET /service/boards"] == 1
    assert shapes["GET /service/boards/{id}/statuses"] == 4  # one per board
    assert shapes["GET /service/priorities"] == 1
    assert "GET /company/companies" not in shapes  # companies are searched as the user types (issue 17)
    assert shapes["GET /system/members"] == 1
    assert sum(shapes.values()) == 9


def shape_of(path: str, method: str = "GET") -> str:
    return f"{method} " + "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def in_one_round(sandbox, monkeypatch, *rounds: Counter):
    """Hold the requests of each round in the sandbox until all of them have arrived.

    Each ``Counter`` names the requests ("METHOD /path/{id}") that must be in flight at the same time.
    If the app ran them one after another instead, the first would wait for the others forever: the
    barrier gives up after a generous timeout, the request still completes, and the returned check
    fails naming the round. No elapsed time is measured or compared.
    """
    barriers = {}
    for number, group in enumerate(rounds, start=1):
        barrier = threading.Barrier(sum(group.values()), timeout=BARRIER_TIMEOUT_S)
        for shape in group:
            barriers[shape] = (number, barrier)
    broken: list[str] = []
    real_handle = sandbox._handle

    def handle(environ, method, full_path, path, query, is_api, is_company_info):
        entry = barriers.get(shape_of(path, method))
        if entry is not None:
            try:
                entry[1].wait()
            except threading.BrokenBarrierError:
                broken.append(f"round {entry[0]}: {shape_of(path, method)} was not in flight with the rest of its round")
        return real_handle(environ, method, full_path, path, query, is_api, is_company_info)

    monkeypatch.setattr(sandbox, "_handle", handle)

    def check():
        assert broken == []

    return check


def test_a_cold_first_visit_loads_the_reference_data_in_two_rounds_beside_list_and_count(
    alice_client, alice_mapping, sandbox, monkeypatch
):
    check = in_one_round(
        sandbox, monkeypatch,
        # list and count do not wait for the reference data
        Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1, "GET /service/boards": 1,
                 "GET /service/priorities": 1, "GET /system/members": 1}),
        Counter({"GET /service/boards/{id}/statuses": 4}),  # each board's statuses, once the boards are back
    )

    response = alice_client.get("/tickets")

    assert response.status_code == 200
    check()
    assert sum(log_shape(sandbox).values()) == 9


def test_a_cold_visit_with_a_board_filter_loads_reference_data_then_searches(
    alice_client, alice_mapping, sandbox, monkeypatch
):
    check = in_one_round(sandbox, monkeypatch, Counter({"GET /service/boards": 1, "GET /service/priorities": 1}))
    statuses_done_before_search = []
    real_handle = sandbox._handle

    def handle(environ, method, full_path, path, query, is_api, is_company_info):
        if shape_of(path, method) == "GET /service/tickets":
            statuses_done_before_search.append(log_shape(sandbox)["GET /service/boards/{id}/statuses"])
        return real_handle(environ, method, full_path, path, query, is_api, is_company_info)

    monkeypatch.setattr(sandbox, "_handle", handle)

    response = alice_client.get("/tickets?board=1&priority=2", headers=HX)

    shapes = log_shape(sandbox)
    assert response.status_code == 200
    check()  # the board and priority lists load together
    assert shapes["GET /service/boards"] == 1 and shapes["GET /service/priorities"] == 1
    assert shapes["GET /service/tickets"] == 1  # no speculative list with unchecked filters
    assert statuses_done_before_search == [4]  # the filters are checked against the reference data first


def test_starting_the_reference_data_with_a_warm_cache_makes_no_call(warm, sandbox, alice_tenant):
    reference = alice_tenant.reference(*ALL_PARTS)

    assert reference.loading is False
    assert sandbox.request_log == []


def test_reference_data_being_loaded_is_awaited_not_fetched_again(alice_client, alice_mapping, sandbox, alice):
    reset_call_count()
    loading = tenant_for(alice).reference(*ALL_PARTS)
    other_request = tenant_for(alice).reference(*ALL_PARTS)  # while the first request's loads run

    for reference in (loading, other_request):
        assert reference.members and reference.all_statuses and reference.priorities and reference.company_choices

    shapes = log_shape(sandbox)
    assert shapes == Counter({"GET /service/boards": 1, "GET /service/boards/{id}/statuses": 4,
                              "GET /service/priorities": 1, "GET /company/companies": 1, "GET /system/members": 1})
    assert get_call_count() == 8  # the loads' threads count into the caller's counter


# --- the drawer ---------------------------------------------------------------------------------------


def test_opening_the_drawer_makes_no_psa_call(alice_client, alice_mapping, sandbox, first_row):
    sandbox.clear_log()

    response = alice_client.get(
        f"/tickets/{first_row.id}/panel?summary=x&company_id={first_row.company_id}", headers=HX
    )

    assert response.status_code == 200
    assert sandbox.request_log == []
    assert server_timing_calls(response) == 0


def test_drawer_detail_fetches_ticket_notes_configurations_and_related_in_one_parallel_round(warm, sandbox):
    ticket = ticket_with_configurations(sandbox)
    sandbox.clear_log()

    response = warm.get(f"/tickets/{ticket['id']}/detail?company={ticket['company']['id']}", headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter(
        {
            "GET /service/tickets/{id}": 1,
            "GET /service/tickets/{id}/notes": 1,
            "GET /service/tickets/{id}/configurations": 1,  # references only: no per-configuration read here
            "GET /service/tickets": 2,  # related: same family, same company (the row's company id; no lookup)
        }
    )
    assert server_timing_calls(response) == 5


def test_drawer_detail_is_one_round_even_for_a_ticket_with_configurations(warm, sandbox, monkeypatch):
    ticket = ticket_with_configurations(sandbox)
    check = in_one_round(sandbox, monkeypatch, Counter({
        "GET /service/tickets/{id}": 1, "GET /service/tickets/{id}/notes": 1,
        "GET /service/tickets/{id}/configurations": 1, "GET /service/tickets": 2,
    }))

    response = warm.get(f"/tickets/{ticket['id']}/detail?company={ticket['company']['id']}", headers=HX)

    assert response.status_code == 200
    check()


def test_the_configuration_facts_are_one_parallel_round_of_reads_by_id(warm, sandbox):
    ticket = ticket_with_configurations(sandbox)
    ids = set(sandbox.state["ticket_configurations"][ticket["id"]])
    detail = warm.get(f"/tickets/{ticket['id']}/detail?company={ticket['company']['id']}", headers=HX)
    url = re.search(rf'hx-get="(/tickets/{ticket["id"]}/configurations\?ids=[0-9,]+)" hx-trigger="load"',
                    detail.content.decode()).group(1)
    assert {int(i) for i in url.split("ids=")[1].split(",")} == ids  # the references #detail rendered
    sandbox.clear_log()

    response = warm.get(url, headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /company/configurations/{id}": len(ids)})
    assert server_timing_calls(response) == len(ids)


def test_drawer_detail_without_a_company_skips_the_same_company_query(warm, sandbox, first_row):
    response = warm.get(f"/tickets/{first_row.id}/detail", headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox)["GET /service/tickets"] == 1


def test_drawer_resources_with_a_warm_cache_is_one_call(warm, sandbox, first_row):
    response = warm.get(f"/tickets/{first_row.id}/resources", headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /schedule/entries": 1})


def test_drawer_resources_with_a_cold_cache_also_loads_the_members_once(
    alice_client, alice_mapping, sandbox, first_row
):
    from django.core.cache import cache

    settle_reference_loads()  # a load first_row's page started must not land in this test's log or cache
    cache.clear()
    sandbox.clear_log()

    alice_client.get(f"/tickets/{first_row.id}/resources", headers=HX)
    settle_reference_loads()  # the members load runs beside the request, which may answer before it has called

    assert log_shape(sandbox) == Counter({"GET /schedule/entries": 1, "GET /system/members": 1})


def test_an_assignee_change_on_the_queue_reads_no_ticket_the_cell_comes_from_the_resources(warm, sandbox, first_row):
    on_queue = {**HX, "HX-Current-URL": "http://testserver/tickets"}
    member_id = sandbox.members()[-1]["id"]  # swilson: on no ticket

    added = warm.post(f"/tickets/{first_row.id}/resources", {"member": member_id}, headers=on_queue)
    removed = warm.post(f"/tickets/{first_row.id}/resources/{member_id}/remove", headers=on_queue)

    assert added.status_code == removed.status_code == 200
    assert f'id="ticket-assignees-{first_row.id}" class="c-assignees" hx-swap-oob="true"' in removed.content.decode()
    shapes = log_shape(sandbox)
    assert shapes["GET /service/tickets/{id}"] == 0  # the row's Assignees cell costs no ticket read
    # The same calls as before the row update existed: each change looks up entries, writes, re-lists.
    assert shapes == Counter({"GET /schedule/entries": 4, "GET /schedule/types": 1,
                              "POST /schedule/entries": 1, "DELETE /schedule/entries/{id}": 1})


def test_a_status_change_is_two_calls_the_row_comes_from_the_patch_answer(warm, sandbox, first_row):
    new_status = first_row.board_id * 10 + (3 if first_row.status_id == first_row.board_id * 10 + 2 else 2)

    response = warm.post(
        f"/tickets/{first_row.id}/status",
        {
            "status": new_status,
            "board": first_row.board_id,
            "current": first_row.status_id,
            "current_name": first_row.status_name,
        },
        headers=HX,
    )

    shapes = log_shape(sandbox)
    assert response.status_code == 200
    assert shapes["PATCH /service/tickets/{id}"] == 1
    pre_reads = [e for e in sandbox.request_log if e.method == "GET" and "fields=id%2Cstatus%2Cboard" in e.query]
    assert len(pre_reads) == 1  # the previous status name, read with only 3 fields
    assert sum(shapes.values()) == 2  # no re-read: the refreshed row is rendered from the PATCH answer
    assert f'id="ticket-row-{first_row.id}"' in response.content.decode()
    assert server_timing_calls(response) == 2


def test_the_service_status_change_is_exactly_get_and_patch(alice_tenant, sandbox, first_row):
    service.update_status(alice_tenant, first_row.id, first_row.board_id * 10 + 5)

    assert log_shape(sandbox) == Counter({"GET /service/tickets/{id}": 1, "PATCH /service/tickets/{id}": 1})


def test_adding_a_note_is_one_post(warm, sandbox, first_row):
    response = warm.post(
        f"/tickets/{first_row.id}/notes", {"text": "Rebooted the switch", "kind": "internal"}, headers=HX
    )

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"POST /service/tickets/{id}/notes": 1})


# --- create ---------------------------------------------------------------------------------------------


@pytest.fixture
def api(alice, alice_mapping):
    from django.test import Client

    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="perf")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    return client


def create(api, key: str, **extra):
    payload = {"summary": "Printer down", "company_id": 250, "board_id": 1, "status_id": 11, "priority_id": 3, **extra}
    return api.post(
        "/integrations/psa/tickets",
        json.dumps(payload),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_create_without_an_assignee_is_one_post(api, warm, sandbox):
    response = create(api, "perf-1")

    assert response.status_code == 201
    assert log_shape(sandbox) == Counter({"POST /service/tickets": 1})


def test_create_with_an_assignee_is_two_sequential_posts_and_no_lookup(api, warm, sandbox, first_member):
    create(api, "perf-warm", assigned_member_id=first_member["id"])  # first create may look up the schedule type
    sandbox.clear_log()

    response = create(api, "perf-2", assigned_member_id=first_member["id"])

    assert response.status_code == 201
    assert response.json()["resources"][0]["member_id"] == first_member["id"]
    assert log_shape(sandbox) == Counter({"POST /service/tickets": 1, "POST /schedule/entries": 1})


def test_the_first_assigned_create_looks_up_the_schedule_type_at_most_once(api, warm, sandbox, first_member):
    from psa.registry import forget

    forget()  # a fresh provider has not looked the type up yet

    response = create(api, "perf-3", assigned_member_id=first_member["id"])

    shapes = log_shape(sandbox)
    assert response.status_code == 201
    assert shapes["POST /service/tickets"] == 1 and shapes["POST /schedule/entries"] == 1
    assert shapes["GET /schedule/types"] <= 1
    assert shapes["GET /schedule/entries"] == 0


def test_replaying_an_idempotency_key_makes_no_psa_call(api, warm, sandbox):
    create(api, "perf-4")
    sandbox.clear_log()

    response = create(api, "perf-4")

    assert response.status_code == 201
    assert sandbox.request_log == []


# --- QuickStart and AI parse -----------------------------------------------------------------------------


def test_my_queue_is_list_and_count_even_with_a_cold_cache(alice_client, alice_mapping, sandbox):
    response = alice_client.get("/dashboard/my-queue", headers=HX)

    assert response.status_code == 200
    assert log_shape(sandbox) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})


def test_ai_parse_with_a_warm_cache_makes_no_psa_call(api, warm, sandbox):
    api.post(
        "/integrations/psa/tickets/ai-parse",
        json.dumps({"prompt": "Acme Corp printer down, high priority"}),
        content_type="application/json",
    )  # warms the companies/members the parser resolves against
    sandbox.clear_log()

    response = api.post(
        "/integrations/psa/tickets/ai-parse",
        json.dumps({"prompt": "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert sandbox.request_log == []


# --- the counter itself ----------------------------------------------------------------------------------


def test_the_call_counter_counts_parallel_calls_made_in_worker_threads(alice_tenant, sandbox):
    reset_call_count()
    service.get_ticket_panel(alice_tenant, service.search_tickets(alice_tenant, service.TicketFilters()).items[0].id, None)

    assert get_call_count() == len(sandbox.request_log)
