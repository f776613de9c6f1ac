"""PSA calls per screen on an Autotask connection: the budgets of ``test_psa_call_counts.py``, for Autotask.

Always on the in-process Autotask sandbox (whatever ``RF_TEST_PSA`` says), so both providers' budgets are
asserted in every run. Counted from the Autotask sandbox's request log (zone lookups included: a provider
looks its zone up once) and cross-checked with the ``Server-Timing`` header. "Warm" means the account's
reference data (queues, statuses, priorities, resources, companies) is cached, as after the first visit.

Autotask has no server-side sort, so a queue page costs more than ConnectWise's 2 calls: one count per
priority bucket, one page of tickets, and the look-ups of the page's companies and contacts (README,
"Sort without a server-side sort").
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.test import Client

from psa import registry
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME, default_at_sandbox
from psa.models import MemberMapping, PSAConnection
from psa.tenancy import tenant_for
from tests.conftest import autotask_members
from tickets import service

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def log_shape(sb) -> Counter:
    """``Counter`` of "METHOD /path/{id}/..." (after ``/ATServicesRest/V1.0``) logged since the last clear."""
    shapes = Counter()
    for entry in sb.request_log:
        path = entry.path.split("V1.0/", 1)[-1] if "V1.0/" in entry.path else entry.path
        shapes[f"{entry.method} " + "/".join("{id}" if p.isdigit() else p for p in path.split("/"))] += 1
    return shapes


def server_timing_calls(response) -> int:
    part = next(p for p in response.headers["Server-Timing"].split(",") if "psa" in p)
    return int(float(part.split("dur=")[1]))


@pytest.fixture
def at_sb():
    sb = default_at_sandbox()
    sb.reset()
    yield sb
    sb.reset()
    registry.forget()


@pytest.fixture
def resource(at_sb):
    return autotask_members(at_sb)[0]


@pytest.fixture
def web(alice, account, at_sb, resource):
    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=resource["id"],
                                 identifier=resource["identifier"], name=resource["name"])
    browser = Client()
    browser.force_login(alice)
    return browser


@pytest.fixture
def warm(web, at_sb):
    """The queue visited once (reference data cached, zone known), then a clean request log."""
    assert web.get("/tickets").status_code == 200
    at_sb.clear_log()
    return web


@pytest.fixture
def first_row(alice, warm, at_sb):
    row = service.search_tickets(tenant_for(alice), service.TicketFilters(), page=1, page_size=25).items[0]
    at_sb.clear_log()
    return row


def test_the_queue_page_with_a_warm_cache_is_bucket_counts_one_page_and_its_look_ups(warm, at_sb):
    response = warm.get("/tickets", headers=HX)
    shapes = log_shape(at_sb)
    assert response.status_code == 200
    assert shapes["GET Tickets/query/count"] + shapes["POST Tickets/query/count"] == 5  # 4 priorities + the rest
    assert shapes["GET Tickets/query"] + shapes["POST Tickets/query"] == 1
    assert sum(shapes.values()) == server_timing_calls(response) == 9


def test_my_queue_with_a_warm_cache_is_bucket_counts_pages_and_look_ups(warm, at_sb):
    assert warm.get("/tickets?assigned=me", headers=HX).status_code == 200  # learns that it matches many (below)
    at_sb.clear_log()
    response = warm.get("/tickets?assigned=me", headers=HX)
    shapes = log_shape(at_sb)
    assert response.status_code == 200
    assert shapes["GET Tickets/query/count"] == 5
    # Assigned to me: primary or secondary resource, so the secondary-resource rows are read first.
    assert server_timing_calls(response) == sum(shapes.values()) == 11


def test_a_queue_of_few_tickets_is_one_read_sorted_in_the_app_and_its_look_ups(warm, at_sb):
    open_by_company = Counter(t["companyID"] for t in at_sb.state["tickets"].values() if t["status"] != 5)
    company = next(c for c, n in sorted(open_by_company.items()) if 3 <= n <= 100)
    response = warm.get(f"/tickets?company={company}", headers=HX)
    shapes = log_shape(at_sb)
    assert response.status_code == 200
    assert f"of {open_by_company[company]} tickets" in response.content.decode() or open_by_company[company] <= 25
    assert shapes["GET Tickets/query"] + shapes["POST Tickets/query"] == 1  # all of them, then sorted here
    assert shapes["GET Tickets/query/count"] + shapes["POST Tickets/query/count"] == 0
    # + the company filter's name (the picker's label) and the rows' companies, contacts and secondary resources
    assert sum(shapes.values()) == server_timing_calls(response) == 5


def test_a_queue_of_many_tickets_is_found_out_once_then_counted_by_priority(warm, at_sb):
    registry.provider_for(PSAConnection.objects.get())._many.clear()  # as in a fresh process: nothing learnt yet
    first = warm.get("/tickets", headers=HX)
    first_shapes = log_shape(at_sb)
    at_sb.clear_log()
    again = warm.get("/tickets", headers=HX)
    shapes = log_shape(at_sb)
    assert first.status_code == again.status_code == 200
    # The first visit reads up to 101 to find out, then counts; the next ones count straight away.
    assert first_shapes["GET Tickets/query"] + first_shapes["POST Tickets/query"] == 2
    assert shapes["GET Tickets/query"] + shapes["POST Tickets/query"] == 1
    assert shapes["GET Tickets/query/count"] + shapes["POST Tickets/query/count"] == 5
    assert sum(first_shapes.values()) == sum(shapes.values()) + 1


def test_drawer_detail_is_the_ticket_its_notes_and_look_ups(warm, at_sb, first_row):
    response = warm.get(f"/tickets/{first_row.id}/detail?company={first_row.company_id}", headers=HX)
    shapes = log_shape(at_sb)
    assert response.status_code == 200
    assert shapes["GET Tickets/{id}"] == 1
    assert server_timing_calls(response) == sum(shapes.values()) == DRAWER_BUDGET


def test_a_status_change_is_a_read_and_one_patch(warm, at_sb, first_row):
    response = warm.post(f"/tickets/{first_row.id}/status",
                         {"status": 8 if first_row.status_id != 8 else 1, "board": first_row.board_id,
                          "current": first_row.status_id, "current_name": first_row.status_name}, headers=HX)
    shapes = log_shape(at_sb)
    assert response.status_code == 200
    assert shapes["PATCH Tickets"] == 1
    assert server_timing_calls(response) == sum(shapes.values()) == STATUS_BUDGET


def test_adding_a_note_is_one_post_after_the_publish_picklist_is_read_once(warm, at_sb, first_row):
    note = {"text": "Rebooted the switch", "kind": "internal"}
    assert warm.post(f"/tickets/{first_row.id}/notes", note, headers=HX).status_code == 200
    assert log_shape(at_sb) == Counter({"POST Tickets/{id}/Notes": 1, "GET TicketNotes/entityInformation/fields": 1})
    at_sb.clear_log()
    assert warm.post(f"/tickets/{first_row.id}/notes", note, headers=HX).status_code == 200
    assert log_shape(at_sb) == Counter({"POST Tickets/{id}/Notes": 1})


def test_creating_an_assigned_ticket_is_one_post_beside_the_company_read(alice, warm, at_sb, resource):
    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="perf")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    payload = {"summary": "Printer down", "company_id": 250, "board_id": 1, "status_id": 1, "priority_id": 2,
               "assigned_member_id": resource["id"]}
    response = api.post("/integrations/psa/tickets", json.dumps(payload), content_type="application/json",
                        headers={"Idempotency-Key": "perf-at-1"})
    shapes = log_shape(at_sb)
    assert response.status_code == 201, response.content
    assert shapes["POST Tickets"] == 1  # create and assign in one call: they cannot half-fail
    assert sum(shapes.values()) == CREATE_BUDGET


def test_an_inline_edit_is_a_read_one_patch_a_re_read_and_the_rows_names(alice, warm, at_sb, first_row):
    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="perf")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    loaded = api.get(f"/integrations/psa/tickets/{first_row.id}").json()
    at_sb.clear_log()
    response = api.patch(f"/integrations/psa/tickets/{first_row.id}/fields",
                         {"changes": {"summary": "Edited"}, "expected_last_updated": loaded["last_updated"]},
                         content_type="application/json")
    shapes = log_shape(at_sb)
    assert response.status_code == 200, response.content
    assert shapes["PATCH Tickets"] == 1 and shapes["GET Tickets/{id}"] == 2
    assert sum(shapes.values()) == EDIT_BUDGET, shapes

    at_sb.clear_log()
    stale = api.patch(f"/integrations/psa/tickets/{first_row.id}/fields",
                      {"changes": {"summary": "Mine"}, "expected_last_updated": loaded["last_updated"]},
                      content_type="application/json")
    assert stale.status_code == 409
    assert log_shape(at_sb) == Counter({"GET Tickets/{id}": 1})  # the guard reads the ticket, writes nothing


def test_a_queues_types_and_subtypes_come_from_the_cached_picklists(alice, warm, at_sb):
    from tickets.service import edit as edit_service

    choices = edit_service.board_choices(tenant_for(alice), 1)
    assert choices.types and choices.subtypes and choices.items == []
    assert sum(log_shape(at_sb).values()) == 0  # the Tickets picklists were read with the queue


# Recorded budgets (ConnectWise: drawer 5, status change 2, create with an assignee 2, inline edit 2).
# The drawer: the ticket (+ its children's count), its notes, its secondary resources and look-ups, and the related
# tickets: the family in one read, the company's other open tickets in one read sorted here (FEW_TICKETS).
DRAWER_BUDGET = 13
# The status change: the ticket read, the PATCH, and the row's company, contact and secondary resources.
STATUS_BUDGET = 5
# The create: one POST (assignee included) beside the company read for its name.
CREATE_BUDGET = 2
# An inline edit: the guard's read, the PATCH (the row's company, contact and secondary resources read beside
# it) and a re-read (a PATCH answers only the id). ConnectWise's PATCH answers the whole ticket: 2.
EDIT_BUDGET = 6
