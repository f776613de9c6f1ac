"""My Queue (/dashboard/my-queue): Hidden, Prompt, Populated, Empty and Error, exactly as the spec's table."""

from __future__ import annotations

import logging
import re

import pytest

from tests.reliability.psa_faults import where

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _get(client):
    return client.get("/dashboard/my-queue", **HX)


def _rows(html: str) -> list[str]:
    return re.findall(r'<a class="queue-row".*?</a>', html, re.S)


def test_it_is_hidden_without_a_psa_connection(alice_client):
    response = _get(alice_client)
    assert response.status_code == 200
    assert response.content == b""


def test_it_prompts_an_unmapped_user_to_map_their_member(bob_client, connection, sandbox, psa_kind):
    member = {"connectwise": "member", "autotask": "resource"}[psa_kind]  # each PSA's own word
    sandbox.clear_log()
    html = _get(bob_client).content.decode()
    assert 'data-state="prompt"' in html
    assert f'<a href="/account/integrations">Map your PSA {member} to see your queue</a>' in html
    assert _rows(html) == []
    assert sandbox.request_log == []  # the mapping is read from the database, not guessed from tickets


def test_it_lists_up_to_five_open_tickets_assigned_to_the_user(alice_client, alice_mapping):
    html = _get(alice_client).content.decode()
    assert 'data-state="populated"' in html
    rows = _rows(html)
    assert len(rows) == 5
    for row in rows:
        assert re.search(r'<span class="c-id">#\d+</span>', row)
        assert 'class="queue-summary"' in row
        assert re.search(r'<span class="badge st-[a-z]+">[^<]+</span>', row)
        assert re.search(r'<span class="dot p\d"', row)
    assert '<a href="/tickets?assigned=me">View All Tickets →</a>' in html


def test_it_shows_the_users_open_tickets_most_urgent_first_then_newest(alice_client, alice_mapping, first_member):
    from psa.tenancy import tenant_for
    from tickets import service

    tenant = tenant_for(alice_mapping.user)
    expected = service.search_tickets(tenant, service.TicketFilters(assigned="me"), page_size=25).items
    assert all(first_member["identifier"] in t.resources and not t.closed for t in expected)
    # "Newest" is the highest id: ConnectWise ids grow with creation (the provider orders by id desc).
    keys = [(t.priority_sort, -t.id) for t in expected]
    assert keys == sorted(keys)
    shown = [int(i) for i in re.findall(r'id="queue-row-(\d+)"', _get(alice_client).content.decode())]
    assert shown == [t.id for t in expected[:5]]


def test_a_row_opens_the_ticket_drawer_in_place(alice_client, alice_mapping):
    row = _rows(_get(alice_client).content.decode())[0]
    ticket_id = re.search(r'data-ticket-id="(\d+)"', row).group(1)
    assert re.search(rf'hx-get="/tickets/{ticket_id}/panel\?summary=[^"]*&amp;company_id=\d+', row)
    assert 'hx-target="#drawer"' in row and 'hx-swap="innerHTML"' in row
    assert "hx-push-url" not in row  # the dashboard stays at /
    assert f'href="/tickets?ticket={ticket_id}&amp;assigned=me"' in row  # works without JavaScript too


def test_it_says_so_when_no_open_tickets_are_assigned(alice_client, alice_mapped_to_swilson):
    html = _get(alice_client).content.decode()
    assert 'data-state="empty"' in html
    assert re.search(r'<p class="muted widget-empty">No open tickets assigned to you</p>', html)
    assert "View All Tickets" not in html and "/account/integrations" not in html and _rows(html) == []


def test_a_psa_failure_renders_an_empty_box_logged_without_a_toast(alice_client, alice_mapping, sandbox, caplog,
                                                                   psa_kind):
    sandbox.inject("500", path=where(psa_kind, "tickets and counts")[1])
    with caplog.at_level(logging.WARNING, logger="rf_project.views"):
        response = _get(alice_client)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-state="error"' in html
    assert "No open tickets" not in html and "Map your PSA member" not in html and _rows(html) == []
    assert "HX-Trigger" not in response.headers
    assert any(r.levelno == logging.WARNING and "My Queue" in r.getMessage() for r in caplog.records)


def test_a_timeout_is_just_as_silent(alice_client, alice_mapping, sandbox, psa_kind):
    sandbox.inject("timeout", path=where(psa_kind, "tickets and counts")[1])
    html = _get(alice_client).content.decode()
    assert 'data-state="error"' in html and _rows(html) == []


def test_it_escapes_psa_text(alice_client, alice_mapping, first_member, psa_kind):
    from psa.models import Account
    from psa.schemas import TicketCreatePayload
    from psa.tenancy import tenant_for_account
    from tickets import service

    tenant = tenant_for_account(Account.objects.get(name="Acme MSP"))
    created = service.create_ticket(tenant, TicketCreatePayload(
        summary='<img src=x onerror="alert(1)">', company_id=250, board_id=1, status_id=11,
        priority_id={"connectwise": 1, "autotask": 4}[psa_kind],  # the most urgent: it is in the top five
        assigned_member_id=first_member["id"]))
    html = _get(alice_client).content.decode()
    assert f'id="queue-row-{created.id}"' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_other_accounts_never_see_acmes_queue(charlie_client, alice_mapping, other_connection):
    html = _get(charlie_client).content.decode()
    assert 'data-state="prompt"' in html and _rows(html) == []
