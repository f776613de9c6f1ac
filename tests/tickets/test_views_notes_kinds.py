"""The note composers (drawer and bulk bar) offer the note types the connection's PSA keeps: ConnectWise's
Internal, Discussion and Resolution; Autotask's Internal and Discussion (its resolution is a ticket field)."""

from __future__ import annotations

import re

HX = {"HTTP_HX_REQUEST": "true"}


def _offered(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="kind" value="([a-z]+)"', html)


def test_the_composers_offer_the_psas_own_note_types(alice_client, alice_mapping, sandbox, psa_kind):
    from psa.models import Account
    from psa.tenancy import tenant_for_account
    from tickets import service

    ticket = service.search_tickets(tenant_for_account(Account.objects.get(name="Acme MSP")),
                                    service.TicketFilters(assigned="all")).items[0]
    drawer = alice_client.get(f"/tickets/{ticket.id}/detail?company={ticket.company_id}", **HX).content.decode()
    bulk = alice_client.get("/tickets/bulk", **HX).content.decode()

    expected = ["internal", "discussion", "resolution"] if psa_kind == "connectwise" else ["internal", "discussion"]
    assert _offered(drawer) == expected
    assert _offered(bulk) == expected
