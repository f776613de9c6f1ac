"""Admins invite colleagues with single-use, expiring, revocable links; the colleague joins the team."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from psa.models import Membership
from teams.models import Invitation
from tests.teams.conftest import HX, invite


def test_an_admin_gets_a_link_to_copy_when_no_email_is_configured(alice_client, account):
    response = alice_client.post("/account/team/invitations", {"email": "dana@acme.example", "role": "member"}, headers=HX)

    body = response.content.decode()
    assert 'id="invitation-link"' in body
    assert "http://testserver/invite/" in body
    assert "Invitation link for dana@acme.example created: copy it now" in response["HX-Trigger"]
    assert mail.outbox == []
    assert Invitation.objects.get().email == "dana@acme.example"


def test_the_link_is_shown_once_and_only_its_hash_is_stored(alice_client, account):
    path = invite(alice_client, "dana@acme.example")
    token = path.rsplit("/", 1)[1]

    assert Invitation.objects.filter(token_hash=token).count() == 0
    assert token not in alice_client.get("/account/team").content.decode()  # the pending list shows no link


def test_with_email_configured_the_invitation_is_mailed(alice_client, account, settings):
    settings.EMAIL_CONFIGURED = True

    response = alice_client.post("/account/team/invitations", {"email": "dana@acme.example", "role": "admin"}, headers=HX)

    assert "Invitation emailed to dana@acme.example" in response["HX-Trigger"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@acme.example"]
    assert "Join Acme MSP on ResolutionFlow" == mail.outbox[0].subject
    assert "http://testserver/invite/" in mail.outbox[0].body


def test_a_new_colleague_creates_a_user_and_lands_in_the_queue(alice_client, account, client):
    path = invite(alice_client, "dana@acme.example")
    client.logout()

    page = client.get(path)
    assert "Join Acme MSP" in page.content.decode()
    assert 'value="dana@acme.example"' in page.content.decode()
    response = client.post(path, {"username": "dana", "email": "dana@acme.example",
                                  "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77"})

    assert response.status_code == 302
    assert response["Location"] == "/tickets"
    dana = User.objects.get(username="dana")
    assert dana.membership.account == account
    assert dana.membership.role == Membership.Role.MEMBER
    assert client.get("/tickets").status_code == 200  # signed in and in the team


def test_a_mismatched_password_keeps_what_was_typed_and_creates_nobody(alice_client, account, client):
    path = invite(alice_client)
    client.logout()

    response = client.post(path, {"username": "dana", "email": "", "password1": "a-long-passphrase-77", "password2": "other"})

    assert response.status_code == 422
    assert 'value="dana"' in response.content.decode()
    assert not User.objects.filter(username="dana").exists()
    assert Invitation.objects.get().is_pending


def test_an_existing_user_in_no_team_signs_in_and_joins(alice_client, account, client):
    path = invite(alice_client, role="admin")
    loner = User.objects.create_user("loner", password="pw-loner")
    client.force_login(loner)

    assert "Join Acme MSP as loner" in client.get(path).content.decode()
    response = client.post(path)

    assert response.status_code == 302
    loner.refresh_from_db()
    assert loner.membership.account == account
    assert loner.membership.role == Membership.Role.ADMIN


def test_a_signed_out_visitor_can_sign_in_and_come_back_to_the_link(alice_client, account, client):
    path = invite(alice_client)
    client.logout()

    assert f"/login/?next={path}" in client.get(path).content.decode()


def test_a_user_already_in_another_team_is_told_and_stays_there(alice_client, account, charlie, client):
    path = invite(alice_client)
    client.force_login(charlie)

    response = client.post(path)

    assert response.status_code == 409
    assert "already in Other MSP" in response.content.decode()
    assert charlie.membership.account.name == "Other MSP"
    assert Invitation.objects.get().is_pending


def test_a_used_link_cannot_be_used_again(alice_client, account, client):
    path = invite(alice_client)
    client.logout()
    client.post(path, {"username": "dana", "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77"})
    client.logout()

    response = client.post(path, {"username": "eve", "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77"})

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert not User.objects.filter(username="eve").exists()


def test_a_withdrawn_link_stops_working(alice_client, account, client):
    path = invite(alice_client, "dana@acme.example")
    invitation = Invitation.objects.get()

    response = alice_client.post(f"/account/team/invitations/{invitation.pk}/revoke", headers=HX)
    assert "Invitation for dana@acme.example withdrawn" in response["HX-Trigger"]
    client.logout()

    page = client.get(path)
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()


def test_an_expired_link_says_so(alice_client, account, client):
    path = invite(alice_client)
    Invitation.objects.update(expires=timezone.now() - timedelta(minutes=1))
    client.logout()

    page = client.get(path)

    assert page.status_code == 410
    assert "expired" in page.content.decode()


@pytest.mark.parametrize("token", ["garbage", "x" * 300])
def test_a_made_up_link_is_not_found(client, db, token):
    page = client.get(f"/invite/{token}")

    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_members_cannot_invite(bob_client, account):
    response = bob_client.post("/account/team/invitations", {"email": "x@example.com", "role": "admin"}, headers=HX)

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_outsider_cannot_withdraw_another_teams_invitation(alice_client, account, charlie, client):
    invite(alice_client)
    invitation = Invitation.objects.get()
    client.force_login(charlie)

    response = client.post(f"/account/team/invitations/{invitation.pk}/revoke", headers=HX)

    assert response.status_code == 422
    assert Invitation.objects.get().is_pending


def test_inviting_someone_already_in_the_team_is_refused(alice_client, bob):
    response = alice_client.post("/account/team/invitations", {"email": "BOB@example.com", "role": "member"}, headers=HX)

    assert response.status_code == 422
    assert "BOB@example.com is already in your team." in response.content.decode()


def test_a_bad_address_keeps_what_was_typed(alice_client, account):
    response = alice_client.post("/account/team/invitations", {"email": "not an address", "role": "member"}, headers=HX)

    assert response.status_code == 422
    assert 'value="not an address"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_invitation_tokens_never_reach_the_request_log(alice_client, account, client, caplog):
    path = invite(alice_client)
    token = path.rsplit("/", 1)[1]
    client.logout()

    with caplog.at_level(logging.INFO, logger="rf.request"):
        client.get(path)

    assert "path=/invite/<str:token>" in caplog.text
    assert token not in caplog.text
