"""Inline edit in the drawer header: /tickets/<id>/edit (summary, priority, required date) and its
concurrent-edit guard."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tickets?assigned=all"}


def _tenant():
    from psa.models import Account
    from psa.tenancy import tenant_for_account

    return tenant_for_account(Account.objects.get(name="Acme MSP"))


def _ticket_id() -> int:
    from tickets import service

    return service.search_tickets(_tenant(), service.TicketFilters(assigned="all")).items[0].id


def _form_fields(html: str) -> dict:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields["summary"] = re.search(r'name="summary" value="([^"]*)"', html).group(1)
    fields["priority_id"] = re.search(r'<option value="(\d+)" selected>', html).group(1)
    fields["required_date"] = re.search(r'name="required_date" value="([^"]*)"', html).group(1)
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_the_form_opens_with_the_tickets_values_and_labels(alice_client, alice_mapping):
    html = alice_client.get(f"/tickets/{_ticket_id()}/edit", **HX).content.decode()
    for label in ("Summary", "Priority", "Required date"):
        assert f">{label}</label>" in html
    assert ">Save</button>" in html and ">Cancel</button>" in html


def test_saving_a_new_summary_updates_the_title_and_the_queue_row(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "Printer offline on 3rd floor"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert re.search(rf'id="drawer-summary-{ticket_id}"[^>]*hx-swap-oob="true">Printer offline on 3rd floor<', html)
    assert re.search(rf'id="ticket-row-{ticket_id}"[^>]*hx-swap-oob="true"', html)
    assert "Printer offline on 3rd floor" in [t.summary for t in [__import__("tickets").service.get_ticket(_tenant(), ticket_id)]]


def test_a_ticket_changed_in_connectwise_meanwhile_is_not_overwritten_blindly(alice_client, alice_mapping, sandbox):
    from psa.schemas import TicketChanges
    from tickets.service.edit import update_ticket

    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    update_ticket(_tenant(), ticket_id, TicketChanges(summary="Changed by a colleague"))  # someone else, meanwhile
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "My summary"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "was changed in ConnectWise by" in html and "Summary is now “Changed by a colleague”" in html
    assert 'value="My summary"' in html  # what was typed is kept
    assert "Re-apply my changes" in html and "Discard mine" in html

    again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    again.pop("csrfmiddlewaretoken", None)
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, **again, "summary": "My summary"}, **HX)
    assert response.status_code == 200, response.content.decode()
    from tickets import service

    assert service.get_ticket(_tenant(), ticket_id).summary == "My summary"


def test_an_empty_summary_is_refused_beside_the_field(alice_client, alice_mapping):
    ticket_id = _ticket_id()
    fields = _form_fields(alice_client.get(f"/tickets/{ticket_id}/edit", **HX).content.decode())
    response = alice_client.post(f"/tickets/{ticket_id}/edit", {**fields, "summary": "   "}, **HX)
    assert response.status_code == 422
    assert re.search(r'name="summary"[^>]*aria-invalid="true"', response.content.decode())
