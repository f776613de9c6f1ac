"""PSA calls per screen at both scales (issue 17): what a visit costs must not grow with the account.

Each test runs against the default seed (23 companies, 11 members, 4 boards) and the large sandbox (5,000
companies, 300 members, 12 boards, 200,000 tickets; ``tests/large_sandbox.py``). Counts come from the
in-process sandbox's request log, as in ``test_psa_call_counts.py``; no clock is read. The figures behind
these budgets (latency, HTML and PSA bytes) come from ``bench/scale.py`` (README, Performance).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import parse_qs

import pytest

from psa.reference import PICK_MAX
from tests.large_sandbox import large_sandbox
from tests.reference_loads import settle_reference_loads

HX = {"HX-Request": "true"}


@pytest.fixture(params=["default", "large"])
def sandbox(request, monkeypatch):
    """The process-wide sandbox at each scale (the large one swapped in, and out again afterwards)."""
    from psa.registry import forget
    from psa.sandbox import app, default_sandbox

    sb = default_sandbox() if request.param == "default" else large_sandbox()
    sb.reset()
    forget()  # providers built before talk to the sandbox they were built with
    monkeypatch.setattr(app, "_default", sb)
    yield sb
    sb.reset()
    forget()


def shapes(sandbox) -> Counter:
    return Counter(f"{e.method} " + "/".join("{id}" if p.isdigit() else p for p in e.path.split("/"))
                   for e in sandbox.request_log)


def last_company(sandbox) -> int:
    """The company last by name."""
    by_name = sorted(sandbox.state["companies"].values(), key=lambda c: c["name"].casefold())
    return by_name[-1]["id"]


@pytest.fixture
def visited(alice_client, alice_mapping, sandbox):
    """The account's reference data cached (a colleague opened /tickets before), the request log cleared."""
    assert alice_client.get("/tickets").status_code == 200
    settle_reference_loads()  # a load that page started must not land in the cleared log
    sandbox.clear_log()
    return alice_client


def test_a_first_visit_with_the_accounts_reference_data_cached_is_list_and_count(visited, sandbox):
    response = visited.get("/tickets")

    assert response.status_code == 200
    assert shapes(sandbox) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})


def test_a_company_in_the_url_costs_at_most_one_small_lookup_then_none(visited, sandbox):
    company_id = last_company(sandbox)

    first = visited.get(f"/tickets?company={company_id}")
    looked_up = shapes(sandbox)
    sandbox.clear_log()
    again = visited.get(f"/tickets?company={company_id}", headers=HX)

    assert first.status_code == again.status_code == 200
    assert looked_up == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1,
                                 "GET /company/companies": 1})  # the company by id, then cached
    assert shapes(sandbox) == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1})
    name = sandbox.state["companies"][company_id]["name"]
    assert f'value="{name}"' in first.content.decode()  # the filter shows the chosen company's name


def test_an_unknown_company_in_the_url_is_reported_and_looked_up_once(visited, sandbox):
    first = visited.get("/tickets?company=999999", headers=HX)
    visited.get("/tickets?company=999999", headers=HX)

    assert "no such company" in first.content.decode()
    assert shapes(sandbox)["GET /company/companies"] == 1


def test_a_cold_first_visit_reads_no_list_of_every_company(alice_client, alice_mapping, sandbox):
    response = alice_client.get("/tickets")
    settle_reference_loads()  # the members load runs beside the request, which may answer before it has called

    calls = shapes(sandbox)
    assert response.status_code == 200
    boards = len(sandbox.state["boards"])  # no company call at all: the pickers search as the user types
    assert calls == Counter({"GET /service/tickets": 1, "GET /service/tickets/count": 1, "GET /service/boards": 1,
                             "GET /service/boards/{id}/statuses": boards, "GET /service/priorities": 1,
                             "GET /system/members": 1})


def test_no_page_ships_a_list_of_companies_or_members(visited, sandbox):
    """Company, contact and member fields are typeahead pickers: the queue and the New Ticket modal carry only
    the short lists (boards, statuses, priorities), none longer than ``PICK_MAX`` items; the drawer's Add member
    none at all."""
    page = visited.get("/tickets").content.decode()
    modal = visited.get("/tickets/new?tab=full", headers=HX).content.decode()
    ticket_id = re.search(r'id="ticket-row-(\d+)"', page).group(1)
    drawer_resources = visited.get(f"/tickets/{ticket_id}/resources", headers=HX).content.decode()

    for html in (page, modal):
        assert "<datalist" not in html
        assert 'role="combobox"' in html
        lists = re.findall(r"<select[^>]*>(.*?)</select>", html, re.S)
        assert lists and max(options.count("<option") for options in lists) <= PICK_MAX
    assert 'role="combobox"' in drawer_resources and "<option" not in drawer_resources  # Add member


def test_the_assigned_filter_takes_any_member_and_shows_the_chosen_ones_name(visited, sandbox):
    last_member = max(sandbox.state["members"])

    page = visited.get(f"/tickets?assigned={last_member}").content.decode()

    name = sandbox.state["members"][last_member]["name"]
    assert f'id="id_assigned_name" value="{name}" role="combobox"' in page
    assert f'<input type="hidden" id="id_assigned" name="assigned" value="{last_member}">' in page
    assert "Ignored" not in page


def test_creating_a_ticket_by_company_name_is_one_search_and_the_post(visited, sandbox):
    modal = visited.get("/tickets/new?tab=full", headers=HX).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', modal).group(1)
    name = sandbox.state["companies"][last_company(sandbox)]["name"]
    sandbox.clear_log()

    response = visited.post("/tickets/new", {
        "action": "create", "tab": "full", "token": token, "summary": "Scanner offline", "company": name,
        "board_id": 1, "status_id": 11, "priority_id": 3}, headers=HX)

    assert response.status_code == 204
    assert shapes(sandbox) == Counter({"GET /company/companies": 1, "POST /service/tickets": 1})


def test_ai_parse_reads_every_company_once_then_nothing(visited, sandbox, alice):
    from tickets.models import APIToken

    _, raw = APIToken.issue(alice, name="perf")
    headers = {"Authorization": f"Bearer {raw}"}

    def parse(prompt):
        return visited.post("/integrations/psa/tickets/ai-parse", json.dumps({"prompt": prompt}),
                                 content_type="application/json", headers=headers)

    first = parse("New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")
    first_calls = shapes(sandbox)
    sandbox.clear_log()
    second = parse("Globex VPN down for the whole office, emergency, network operations")

    assert first.status_code == second.status_code == 200
    assert first.json()["company_id"] == 250 and second.json()["company_id"] == 253
    pages = -(-len(sandbox.state["companies"]) // 1000)
    assert first_calls["GET /company/companies"] == pages  # every page once (in parallel after the first)
    assert first_calls["GET /company/companies/count"] == (1 if pages > 1 else 0)
    assert sandbox.request_log == []


@pytest.mark.parametrize("url", ["/tickets/pick/company?q=dent", "/tickets/pick/contact?company=250&q=a",
                                 "/tickets/pick/configuration?company=250"])
def test_a_picker_is_one_small_search(visited, sandbox, url):
    response = visited.get(url, headers=HX)

    assert response.status_code == 200
    assert len(sandbox.request_log) == 1
    assert int(parse_qs(sandbox.request_log[0].query)["pageSize"][0]) <= 25
    assert response.content.decode().count('role="option"') <= 50


def test_the_member_picker_costs_nothing_once_members_are_cached(visited, sandbox):
    response = visited.get("/tickets/pick/member?q=a", headers=HX)

    assert response.status_code == 200 and sandbox.request_log == []
    assert 0 < response.content.decode().count('class="pick-option"') <= 50
