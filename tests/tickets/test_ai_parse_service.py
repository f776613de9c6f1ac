"""parse_ticket_prompt end to end against the in-process ConnectWise sandbox: reference data comes
from the tenant's reference (psa.reference), IDs are the sandbox's, and parsing never creates a ticket."""

from __future__ import annotations

import httpx2
import pytest

from tickets.ai.anthropic_engine import FALLBACK_WARNING, AnthropicEngine
from tickets.ai_parse import EMPTY_PROMPT_MESSAGE, parse_ticket_prompt


def _company(companies, name):
    return next(c for c in companies if c.name == name)


@pytest.fixture
def companies(account, connection):
    from psa.tenancy import tenant_for_account

    return tenant_for_account(account).reference("companies").companies


def test_a_prompt_is_resolved_against_the_sandbox(alice_tenant, alice_mapping, companies, first_member):
    result = parse_ticket_prompt(alice_tenant,
                                 "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")

    assert result.company_id == _company(companies, "Acme Corp").id
    assert result.priority_id == 2  # "Priority 2 - Quick Response" (level High)
    assert result.assigned_member_id == first_member["id"]
    assert result.summary == "Outlook not syncing"
    assert result.board_id is None and result.status_id is None
    assert result.missing_fields == ["board_id", "status_id"]
    assert result.warnings == ["Could not determine board from context"]


def test_board_keywords_members_and_named_statuses_use_the_sandbox_ids(alice_tenant, alice_mapping, companies,
                                                                       sandbox):
    result = parse_ticket_prompt(alice_tenant,
                                 "Contoso: firewall blocking the new VoIP phones, P1, assign to Ana, status: escalated")

    assert result.company_id == _company(companies, "Contoso Ltd").id
    assert result.board_id == 2  # Network Operations
    assert result.status_id == 25  # Network Operations' "Escalated"
    assert result.priority_id == 1
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


def test_the_anthropic_engine_falls_back_offline_against_the_sandbox(alice_tenant, alice_mapping, companies):
    def unavailable(request):
        return httpx2.Response(503, json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})

    engine = AnthropicEngine(api_key="test-key", model="claude-test", timeout=5.0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(unavailable)))
    result = parse_ticket_prompt(alice_tenant, "Globex: phishing email reported by reception, P2", engine=engine)

    assert result.company_id == _company(companies, "Globex Corporation").id
    assert result.board_id == 4  # Security
    assert result.priority_id == 2
    assert FALLBACK_WARNING in result.warnings
