"""Linking a ticket by search: GET /assist/<id>/tickets/search?q=… lists matching open tickets as link buttons."""

from __future__ import annotations

import re

from psa.schemas import PSATicketSearchResult, TicketListResponse
from tests.reliability.psa_faults import where

HTMX = {"HX-Request": "true"}


def _buttons(html: str) -> list[str]:
    return [" ".join(b.split()) for b in re.findall(r'<button type="submit" class="link-result">(.*?)</button>', html, re.S)]


def _fake_search(items, calls=None):
    def search(tenant, filters, page=1, page_size=25, reference=None):
        if calls is not None:
            calls.append((filters, page_size))
        return TicketListResponse(items=items, total=len(items), page=page, page_size=page_size)

    return search


def test_the_session_page_has_a_debounced_search_box_while_no_ticket_is_linked(alice_client, session):
    html = alice_client.get(f"/assist/{session.id}/").content.decode()
    assert f'hx-get="/assist/{session.id}/tickets/search" hx-trigger="input changed delay:300ms"' in html
    assert 'hx-target="#link-search-results"' in html


def test_a_linked_session_offers_no_search(alice_client, linked_session):
    assert b"/tickets/search" not in alice_client.get(f"/assist/{linked_session.id}/").content


def test_matching_open_tickets_are_buttons_that_link_them(alice_client, session, connection, sandbox):
    response = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "Acme"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    buttons = _buttons(html)
    assert 1 <= len(buttons) <= 8
    assert all(re.match(r"#\d+ .+ — .+", b) for b in buttons)
    ticket_id = re.match(r"#(\d+)", buttons[0]).group(1)
    assert f'<input type="hidden" name="ticket_id" value="{ticket_id}">' in html
    assert f'hx-post="/assist/{session.id}/link"' in html and 'hx-target="#session-head"' in html


def test_choosing_a_result_links_it_through_the_link_view(alice_client, session, connection, sandbox):
    html = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "Acme"}, headers=HTMX).content.decode()
    ticket_id = int(re.search(r'name="ticket_id" value="(\d+)"', html).group(1))
    alice_client.post(f"/assist/{session.id}/link", {"ticket_id": ticket_id}, headers=HTMX)
    session.refresh_from_db()
    assert session.linked_ticket_id == ticket_id


def test_it_asks_for_open_tickets_matching_the_text_eight_at_most(alice_client, session, monkeypatch):
    calls = []
    monkeypatch.setattr("tickets.service.search_tickets", _fake_search([], calls))
    alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "  printer   offline "}, headers=HTMX)
    (filters, page_size), = calls
    assert (filters.search, filters.closed, filters.assigned, page_size) == ("printer offline", False, "all", 8)


def test_empty_text_shows_nothing_and_calls_no_psa(alice_client, session, monkeypatch):
    calls = []
    monkeypatch.setattr("tickets.service.search_tickets", _fake_search([], calls))
    response = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "   "}, headers=HTMX)
    assert (response.status_code, response.content, calls) == (200, b"", [])


def test_no_match_says_so(alice_client, session, monkeypatch):
    monkeypatch.setattr("tickets.service.search_tickets", _fake_search([]))
    html = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "zzz"}, headers=HTMX).content.decode()
    assert "No open tickets match “zzz”." in html


def test_psa_text_is_escaped(alice_client, session, monkeypatch):
    evil = PSATicketSearchResult(id=1042, summary="<img src=x onerror=alert(1)>", company_name="<b>Acme</b>")
    monkeypatch.setattr("tickets.service.search_tickets", _fake_search([evil]))
    html = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "<script>"}, headers=HTMX).content.decode()
    assert "<img" not in html and "<b>" not in html and "<script>" not in html
    assert "#1042 &lt;img src=x onerror=alert(1)&gt; — &lt;b&gt;Acme&lt;/b&gt;" in html


def test_a_psa_failure_is_an_inline_message_not_a_500(alice_client, session, connection, sandbox, psa_kind):
    sandbox.inject("503", path=where(psa_kind, "tickets and counts")[1])
    response = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "Acme"}, headers=HTMX)
    assert response.status_code == 200
    assert 'class="field-error" role="alert">Could not search tickets:' in response.content.decode()


def test_without_a_connection_it_explains_why(alice_client, session):
    response = alice_client.get(f"/assist/{session.id}/tickets/search", {"q": "Acme"}, headers=HTMX)
    assert response.status_code == 200
    assert b"Connect ConnectWise first" in response.content


def test_bob_cannot_search_from_alices_session(bob_client, session, monkeypatch):
    calls = []
    monkeypatch.setattr("tickets.service.search_tickets", _fake_search([], calls))
    assert bob_client.get(f"/assist/{session.id}/tickets/search", {"q": "Acme"}).status_code == 404
    assert calls == []
