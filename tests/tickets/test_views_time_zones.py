"""The viewer's time zone: the picked one (profile page), else the browser's (sent once by app.js as a
cookie), else the deployment's UTC; every page names it, and row and drawer times are in it."""

from __future__ import annotations

import re

import pytest

from tests.reference_loads import settle_reference_loads

pytestmark = pytest.mark.django_db

_CW = "uses the ConnectWise sandbox's seed and state (board, status and type names and ids, its members' time zones)"


def _entered_titles(html: str) -> list[str]:
    return re.findall(r'title="Entered ([^"]+)"', html)


def test_without_a_zone_times_are_in_utc_and_the_sidebar_says_so(alice_client, alice_mapping):
    html = alice_client.get("/tickets?assigned=all").content.decode()
    assert re.search(r'class="sidebar-zone"[^>]*>UTC</a>', html)
    assert _entered_titles(html) and all(title.endswith(" UTC") for title in _entered_titles(html))


def test_the_browsers_zone_is_used_once_it_is_known(alice_client, alice_mapping):
    utc = _entered_titles(alice_client.get("/tickets?assigned=all").content.decode())
    alice_client.cookies["rf_browser_tz"] = "Asia/Tokyo"
    html = alice_client.get("/tickets?assigned=all").content.decode()
    tokyo = _entered_titles(html)
    assert re.search(r'class="sidebar-zone"[^>]*>Asia/Tokyo</a>', html)
    assert all(title.endswith(" JST") for title in tokyo)
    assert tokyo[0][:-4] != utc[0][:-4]  # nine hours later on the clock


def test_a_zone_picked_on_the_profile_wins_over_the_browsers(alice_client, alice_mapping):
    alice_client.cookies["rf_browser_tz"] = "Asia/Tokyo"
    response = alice_client.post("/account/profile", {"zone": "America/New_York"})
    assert response.status_code == 302 and response["Location"] == "/account/profile"
    html = alice_client.get("/account/profile").content.decode()
    assert "Dates and times are now shown in America/New_York." in html
    assert "<strong>America/New_York</strong>" in html and "(your choice)" in html
    assert '<option value="America/New_York" selected>' in html
    titles = _entered_titles(alice_client.get("/tickets?assigned=all").content.decode())
    assert all(title.endswith((" EST", " EDT")) for title in titles)


def test_choosing_automatic_goes_back_to_the_browsers_zone(alice_client, alice_mapping):
    alice_client.cookies["rf_browser_tz"] = "Europe/Berlin"
    alice_client.post("/account/profile", {"zone": "Asia/Tokyo"})
    alice_client.post("/account/profile", {"zone": ""})
    html = alice_client.get("/account/profile").content.decode()
    assert "<strong>Europe/Berlin</strong>" in html and "(your browser's)" in html
    assert "Automatic (browser: Europe/Berlin)" in html


def test_an_unknown_zone_is_refused_and_what_was_chosen_is_named(alice_client, alice_mapping):
    response = alice_client.post("/account/profile", {"zone": "Mars/Olympus_Mons"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose a time zone from the list" in html and 'aria-invalid="true"' in html
    assert re.search(r'class="sidebar-zone"[^>]*>UTC</a>', alice_client.get("/tickets?assigned=all").content.decode())


def test_a_zone_picked_in_one_browser_follows_the_user_to_another_and_not_to_a_colleague(
        alice_client, alice_mapping, alice, bob):
    from django.test import Client

    alice_client.post("/account/profile", {"zone": "Asia/Kolkata"})
    phone, bob_client = Client(), Client()
    phone.force_login(alice)
    bob_client.force_login(bob)
    assert re.search(r'class="sidebar-zone"[^>]*>Asia/Kolkata</a>', phone.get("/tickets?assigned=all").content.decode())
    assert "(your choice)" in phone.get("/account/profile").content.decode()
    assert not re.search(r'class="sidebar-zone"[^>]*>Asia/Kolkata</a>',
                         bob_client.get("/tickets?assigned=all").content.decode())


def test_a_forged_zone_cookie_is_ignored(alice_client, alice_mapping):
    alice_client.cookies["rf_browser_tz"] = "Not/AZone"
    html = alice_client.get("/tickets?assigned=all").content.decode()
    assert re.search(r'class="sidebar-zone"[^>]*>UTC</a>', html)


def test_drawer_times_name_their_zone_on_hover(alice_client, alice_mapping):
    from psa.models import Account
    from psa.tenancy import tenant_for_account
    from tickets import service

    ticket = service.search_tickets(tenant_for_account(Account.objects.get(name="Acme MSP")),
                                    service.TicketFilters(assigned="all")).items[0]
    alice_client.cookies["rf_browser_tz"] = "Asia/Tokyo"
    html = alice_client.get(f"/tickets/{ticket.id}/detail?company={ticket.company_id}", HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'<time datetime="[^"]+\+09:00" title="[^"]+ JST">', html)


# --- the default chain: the ConnectWise member's zone, the browser's, the team's (issue 19, part 4) ---------


def _map_alice_to(alice_mapping, sandbox, zone_name):
    """alice's member gets ``zone_name`` as its ConnectWise timeZone (None: none)."""
    member = sandbox.state["members"][alice_mapping.psa_member_id]
    if zone_name:
        member["timeZone"] = {"id": 1, "name": zone_name}
    else:
        member.pop("timeZone", None)


@pytest.mark.connectwise_only(_CW)
def test_the_mapped_connectwise_members_zone_comes_before_the_browsers(alice_client, alice_mapping, sandbox):
    _map_alice_to(alice_mapping, sandbox, "US Pacific")
    alice_client.cookies["rf_browser_tz"] = "Asia/Tokyo"
    alice_client.get("/tickets?assigned=all")  # loads (and caches) the members with their zones
    settle_reference_loads()  # that load runs beside the request, which may answer before it has finished
    html = alice_client.get("/tickets?assigned=all").content.decode()
    assert re.search(r'class="sidebar-zone"[^>]*>America/Los_Angeles</a>', html)
    assert all(title.endswith((" PST", " PDT")) for title in _entered_titles(html))
    profile = alice_client.get("/account/profile").content.decode()
    assert "(your ConnectWise member's)" in profile and "ConnectWise member: America/Los_Angeles" in profile

    alice_client.post("/account/profile", {"zone": "Europe/Berlin"})  # the user's own pick overrides it
    assert re.search(r'class="sidebar-zone"[^>]*>Europe/Berlin</a>', alice_client.get("/tickets?assigned=all").content.decode())


@pytest.mark.connectwise_only(_CW)
def test_the_teams_zone_applies_when_neither_the_member_nor_the_browser_names_one(alice_client, alice_mapping, sandbox,
                                                                                 bob):
    from django.test import Client

    _map_alice_to(alice_mapping, sandbox, None)
    response = alice_client.post("/account/profile", {"team_zone": "Australia/Sydney"})
    assert response.status_code == 302
    html = alice_client.get("/tickets?assigned=all").content.decode()
    assert re.search(r'class="sidebar-zone"[^>]*>Australia/Sydney</a>', html)
    assert "(your team's default)" in alice_client.get("/account/profile").content.decode()

    alice_client.cookies["rf_browser_tz"] = "Asia/Tokyo"  # a browser that names its zone comes first
    assert re.search(r'class="sidebar-zone"[^>]*>Asia/Tokyo</a>', alice_client.get("/tickets?assigned=all").content.decode())

    member = Client()
    member.force_login(bob)  # not an admin: sees the team's zone, cannot change it
    assert "Australia/Sydney" in member.get("/account/profile").content.decode()
    assert member.post("/account/profile", {"team_zone": "UTC"}).status_code == 403


def test_an_unknown_team_zone_is_refused(alice_client, alice_mapping):
    response = alice_client.post("/account/profile", {"team_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 422 and "Choose a time zone from the list" in response.content.decode()


def test_connectwise_zone_names_are_understood():
    from tickets.timezones import connectwise_zone

    assert str(connectwise_zone("US Eastern")) == "America/New_York"
    assert str(connectwise_zone("Pacific Standard Time")) == "America/Los_Angeles"
    assert str(connectwise_zone("Europe/Berlin")) == "Europe/Berlin"
    assert connectwise_zone("Somewhere odd") is None and connectwise_zone(None) is None
