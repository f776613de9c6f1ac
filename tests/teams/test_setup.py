"""First run: the first user who signs in names the team, becomes its admin and goes on to connect
ConnectWise. Setup exists only while the deployment has no account."""

import pytest

from psa.models import Account, Membership


def test_the_first_user_on_a_fresh_install_is_sent_to_setup(loner_client):
    response = loner_client.get("/tickets")

    assert response.status_code == 302
    assert response["Location"] == "/setup/"
    page = loner_client.get("/setup/")
    assert "Set up your team" in page.content.decode()


def test_htmx_requests_of_a_first_user_are_redirected_to_setup_too(loner_client):
    response = loner_client.get("/dashboard/my-queue", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == "/setup/"


def test_naming_the_team_makes_the_user_its_admin_and_leads_to_integrations(loner_client, loner):
    response = loner_client.post("/setup/", {"name": "  Acme MSP "}, follow=True)

    membership = Membership.objects.get(user=loner)
    assert membership.account.name == "Acme MSP"
    assert membership.role == Membership.Role.ADMIN
    assert response.redirect_chain[-1][0] == "/account/integrations"
    body = response.content.decode()
    assert "Team Acme MSP created. Next: connect ConnectWise." in body
    assert "Create connection" in body  # the admin's connection form


def test_an_empty_team_name_is_refused_and_nothing_is_created(loner_client):
    response = loner_client.post("/setup/", {"name": "   "})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Account.objects.exists()


def test_a_long_team_name_is_refused_with_the_value_kept(loner_client):
    response = loner_client.post("/setup/", {"name": "x" * 201})

    assert response.status_code == 422
    assert "at most 200 characters" in response.content.decode()
    assert not Account.objects.exists()


def test_setup_is_closed_once_any_account_exists(loner_client, account):
    response = loner_client.post("/setup/", {"name": "Sneaky MSP"})

    assert response.status_code == 403
    assert "not in a team yet" in response.content.decode()
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme MSP"]


def test_a_user_already_in_a_team_skips_setup(alice_client):
    response = alice_client.get("/setup/")

    assert response.status_code == 302
    assert response["Location"] == "/account/integrations"


@pytest.mark.parametrize("url", ["/password-reset/", "/healthz"])
def test_pages_a_user_without_a_team_needs_stay_open(loner_client, url):
    assert loner_client.get(url).status_code == 200


def test_the_admin_sees_the_getting_started_steps_until_they_are_done(loner_client):
    loner_client.post("/setup/", {"name": "Acme MSP"})

    body = loner_client.get("/account/integrations").content.decode()

    assert 'id="getting-started"' in body
    assert "Connect ConnectWise" in body
