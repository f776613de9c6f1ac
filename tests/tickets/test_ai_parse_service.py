"""parse_ticket_prompt end to end against the in-process ConnectWise sandbox: reference data comes
from the tenant's reference (psa.reference), IDs are the sandbox's, and parsing never creates a ticket."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from tickets.ai.anthropic_engine import FALLBACK_WARNING, AnthropicEngine
from tickets.ai.extract import Extraction
from tickets.ai_parse import EMPTY_PROMPT_MESSAGE, parse_ticket_prompt

ROOT = Path(__file__).resolve().parents[2]
HTMX = {"HX-Request": "true"}
UNKNOWN_ASSIGNEE = "Stark Logistics: forklift tablet won't sync, kim to look pls"
# What each PSA's seed calls the words of the prompts below (ConnectWise priorities are levels, Autotask's a
# picklist where Critical is 4; "escalated" is Network Operations' "Escalated" board status on ConnectWise and
# the account-wide "Escalate" status on Autotask).
SEED = {
    "connectwise": {"high": 2, "p1": 1, "escalated": 25, "top priority": "Priority 1 - Emergency Response"},
    "autotask": {"high": 1, "p1": 4, "escalated": 11, "top priority": "Critical"},
}


def _company(companies, name):
    return next(c for c in companies if c.name == name)


@pytest.fixture
def companies(account, connection):
    from psa.tenancy import tenant_for_account

    return tenant_for_account(account).reference("companies").companies


def test_a_prompt_is_resolved_against_the_sandbox(alice_tenant, alice_mapping, companies, first_member, psa_kind):
    result = parse_ticket_prompt(alice_tenant,
                                 "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")

    assert result.company_id == _company(companies, "Acme Corp").id
    assert result.priority_id == SEED[psa_kind]["high"]  # ConnectWise "Priority 2 - Quick Response", Autotask "High"
    assert result.assigned_member_id == first_member["id"]
    assert result.summary == "Outlook not syncing"
    assert result.board_id is None and result.status_id is None
    assert result.missing_fields == ["board_id", "status_id"]
    assert result.warnings == ["Could not determine board from context"]


def test_board_keywords_members_and_named_statuses_use_the_sandbox_ids(alice_tenant, alice_mapping, companies,
                                                                       sandbox, psa_kind):
    result = parse_ticket_prompt(alice_tenant,
                                 "Contoso: firewall blocking the new VoIP phones, P1, assign to Ana, status: escalated")

    assert result.company_id == _company(companies, "Contoso Ltd").id
    assert result.board_id == 2  # Network Operations
    assert result.status_id == SEED[psa_kind]["escalated"]
    assert result.priority_id == SEED[psa_kind]["p1"]
    assert result.assigned_member_id == next(m["id"] for m in sandbox.members() if m["identifier"] == "agarcia")
    assert result.missing_fields == []


def test_parsing_never_creates_a_ticket(alice_tenant, alice_mapping, sandbox):
    before = sandbox.ticket_count()
    sandbox.clear_log()

    parse_ticket_prompt(alice_tenant, "Hooli: printer jammed on floor 2, urgent, assign to me, on the Service Desk board")
    parse_ticket_prompt(alice_tenant, "Acme: email not working")

    assert sandbox.ticket_count() == before
    assert [r for r in sandbox.request_log if r.method != "GET"] == []


def test_me_without_a_mapping_is_a_warning(bob_tenant):
    result = parse_ticket_prompt(bob_tenant, "Hooli: printer jammed, assign to me")

    assert result.assigned_member_id is None
    assert "You have no PSA member mapping; map yourself on the integrations page" in result.warnings


@pytest.mark.parametrize("prompt", ["", "   \n\t "])
def test_an_empty_prompt_is_refused(alice_tenant, prompt):
    with pytest.raises(ValueError, match=EMPTY_PROMPT_MESSAGE):
        parse_ticket_prompt(alice_tenant, prompt)


def test_a_prompt_over_two_thousand_characters_is_refused(alice_tenant):
    with pytest.raises(ValueError, match="2,000 characters"):
        parse_ticket_prompt(alice_tenant, "x" * 2001)


def test_a_prompt_of_exactly_two_thousand_characters_is_parsed(alice_tenant):
    result = parse_ticket_prompt(alice_tenant, "Hooli: " + "printer jammed " * 132 + "x" * (2000 - 7 - 15 * 132))

    assert result.summary is not None and len(result.summary) <= 100


def test_the_anthropic_engine_falls_back_offline_against_the_sandbox(alice_tenant, alice_mapping, companies, psa_kind):
    def unavailable(request):
        return httpx2.Response(503, json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})

    engine = AnthropicEngine(api_key="test-key", model="claude-test", timeout=5.0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(unavailable)))
    result = parse_ticket_prompt(alice_tenant, "Globex: phishing email reported by reception, P2", engine=engine)

    assert result.company_id == _company(companies, "Globex Corporation").id
    assert result.board_id == 4  # Security
    assert result.priority_id == SEED[psa_kind]["high"]
    assert FALLBACK_WARNING in result.warnings


# --- when unsure, leave it empty: the API and the modal both show it --------------------------------------


def test_an_assignee_nobody_matches_is_left_empty_named_and_listed_as_missing(alice_tenant, alice_mapping):
    result = parse_ticket_prompt(alice_tenant, UNKNOWN_ASSIGNEE)

    assert result.assigned_member_id is None
    assert 'No member matches "kim"' in result.warnings
    assert "assigned_member_id" in result.missing_fields
    assert result.summary == "Forklift tablet won't sync"


def test_the_api_lists_an_unmatched_assignee_as_missing_with_its_warning(token_client, connection):
    response = token_client.post("/integrations/psa/tickets/ai-parse", {"prompt": UNKNOWN_ASSIGNEE},
                                 content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["assigned_member_id"] is None
    assert "assigned_member_id" in body["missing_fields"]
    assert 'No member matches "kim"' in body["warnings"]


def test_the_modal_highlights_an_unmatched_assignee_and_shows_the_warning(alice_client, alice_mapping):
    draft = {"token": "t" * 32, "tab": "quick", "summary": "", "company": "", "board_id": "", "status_id": "",
             "priority_id": "", "description": "", "assigned_member_id": "", "prompt": UNKNOWN_ASSIGNEE,
             "action": "parse"}

    html = alice_client.post("/tickets/new", draft, headers=HTMX).content.decode()

    assert re.search(r'id="nt-member" value=""[^>]*role="combobox"[^>]*aria-invalid="true"', html, re.S)
    assert "The prompt named someone who could not be found." in html
    assert "No member matches &quot;kim&quot;" in html


def test_two_companies_about_as_likely_leave_the_modal_company_empty_and_highlighted(alice_client, alice_mapping):
    draft = {"token": "t" * 32, "tab": "quick", "summary": "", "company": "", "board_id": "", "status_id": "",
             "priority_id": "", "description": "", "assigned_member_id": "", "action": "parse",
             "prompt": "the dental office can't print x-rays"}

    html = alice_client.post("/tickets/new", draft, headers=HTMX).content.decode()

    assert re.search(r'id="nt-company"[^>]*aria-invalid="true"', html, re.S)
    assert "matches 2 companies: Acme Dental, Lakeshore Dental Group" in html


# --- engines ------------------------------------------------------------------------------------


def test_a_model_engine_gets_the_priorities_and_members_to_choose_among(alice_tenant, alice_mapping, sandbox,
                                                                        psa_kind):
    seen = {}

    class ModelEngine:
        name = "model"

        def extract(self, prompt, companies=(), boards=(), *, priorities=(), members=()):
            seen.update(companies=len(companies), priorities=[p.name for p in priorities],
                        members=[m.identifier for m in members])
            return Extraction(summary="Printer jammed", assignee_ref="lbrown")

    result = parse_ticket_prompt(alice_tenant, "hooli printer jammed, lbrown to look", engine=ModelEngine())

    assert seen["companies"] > 0 and SEED[psa_kind]["top priority"] in seen["priorities"]
    assert "lbrown" in seen["members"]
    assert result.assigned_member_id == next(m["id"] for m in sandbox.members() if m["identifier"] == "lbrown")


def test_an_engine_that_declares_only_the_prompt_companies_and_boards_still_parses(alice_tenant, alice_mapping):
    class Wrapper:  # e.g. a wrapper around the offline engine: no priorities or members are read for it
        name = "wrapper"

        def extract(self, prompt, companies=(), boards=()):
            return Extraction(summary="Printer jammed", company_name="Hooli")

    result = parse_ticket_prompt(alice_tenant, "hooli printer jammed", engine=Wrapper())

    assert result.summary == "Printer jammed" and result.company_id is not None


def test_serving_and_parsing_offline_never_imports_the_anthropic_sdk():
    """A fresh process: Django set up, every URL's view imported (Assist included), prompts parsed offline."""
    script = (
        "import os, sys, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'rf_project.settings'\n"
        "os.environ.pop('ANTHROPIC_API_KEY', None)\n"
        "django.setup()\n"
        "import rf_project.urls\n"
        "from tickets.ai_parse import engine_from_settings, resolve\n"
        "from tests.tickets.ai_eval_prompts import CASES, seed_reference\n"
        "engine = engine_from_settings()\n"
        "for case in CASES[:20]:\n"
        "    reference = seed_reference()\n"
        "    resolve(engine.extract(case.prompt, reference.companies, reference.boards), reference)\n"
        "print(engine.name, 'anthropic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["offline", "False"]

