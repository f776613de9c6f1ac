"""Admins change roles and remove members; removal signs the person out and revokes their API tokens."""

from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from psa.models import MemberMapping, Membership
from tests.teams.conftest import HX
from tickets.models import APIToken


def test_the_team_page_lists_members_with_role_and_mapping(alice_client, alice_mapping, bob, psa_kind):
    body = alice_client.get("/account/team").content.decode()

    assert "alice" in body and "bob" in body
    assert alice_mapping.name in body
    mapped_to = {"connectwise": "ConnectWise member", "autotask": "Autotask resource"}[psa_kind]  # the PSA's words
    assert f'<th scope="col">{mapped_to}</th>' in body
    assert "Not mapped" in body  # bob
    assert "Create invitation" in body


def test_members_see_the_team_read_only(bob_client, alice):
    body = bob_client.get("/account/team").content.decode()

    assert "alice" in body
    assert "Create invitation" not in body
    assert "Only account admins can invite people and change roles." in body


def test_an_admin_makes_a_member_an_admin(alice_client, bob):
    membership = bob.membership

    response = alice_client.post(f"/account/team/members/{membership.pk}/role", {"role": "admin"}, headers=HX)

    assert "bob is now admin" in response["HX-Trigger"]
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN


def test_a_demoted_admin_can_no_longer_change_roles(alice_client, alice, bob, client):
    Membership.objects.filter(user=bob).update(role="admin")
    alice_client.post(f"/account/team/members/{bob.membership.pk}/role", {"role": "member"}, headers=HX)
    client.force_login(bob)

    response = client.post(f"/account/team/members/{alice.membership.pk}/role", {"role": "member"}, headers=HX)

    assert response.status_code == 403  # bob is a member again: he can no longer change roles
    assert Membership.objects.get(user=alice).role == "admin"


def test_an_admin_cannot_demote_the_only_other_admin_to_leave_none(alice, bob):
    Membership.objects.filter(user=bob).update(role="admin")
    Membership.objects.filter(user=alice).update(role="member")
    client = Client()
    client.force_login(bob)

    response = client.post(f"/account/team/members/{bob.membership.pk}/role", {"role": "member"}, headers=HX)

    # bob's own row has no role control; posting anyway is refused by the rule, not the template
    assert response.status_code == 422
    assert "at least one admin" in response.content.decode()


def test_an_unknown_role_is_refused(alice_client, bob):
    response = alice_client.post(f"/account/team/members/{bob.membership.pk}/role", {"role": "owner"}, headers=HX)

    assert response.status_code == 422
    assert "Choose a role" in response.content.decode()


def test_removing_a_member_signs_them_out_and_revokes_their_tokens(alice_client, account, bob, connection):
    MemberMapping.objects.create(account=account, user=bob, psa_member_id=999, identifier="bob")
    _, raw = APIToken.issue(bob, "laptop")
    bob_browser = Client()
    bob_browser.force_login(bob)
    assert bob_browser.get("/tickets").status_code == 200
    assert bob_browser.get("/integrations/psa/boards", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    response = alice_client.post(f"/account/team/members/{bob.membership.pk}/remove", headers=HX)

    assert "bob removed from the team; signed out everywhere" in response["HX-Trigger"]
    assert not Membership.objects.filter(user=bob).exists()
    assert not MemberMapping.objects.filter(user=bob).exists()
    after = bob_browser.get("/tickets")
    assert after.status_code == 302 and after["Location"].startswith("/login/")
    api = Client().get("/integrations/psa/boards", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    assert User.objects.filter(username="bob").exists()  # the user remains (may join another team)


def test_an_admin_cannot_remove_themselves(alice_client, alice):
    response = alice_client.post(f"/account/team/members/{alice.membership.pk}/remove", headers=HX)

    assert response.status_code == 422
    assert "You cannot remove yourself" in response.content.decode()
    assert Membership.objects.filter(user=alice).exists()


def test_members_cannot_remove_anyone(bob_client, alice):
    response = bob_client.post(f"/account/team/members/{alice.membership.pk}/remove", headers=HX)

    assert response.status_code == 403
    assert Membership.objects.filter(user=alice).exists()


def test_an_admin_cannot_remove_someone_of_another_team(alice_client, charlie):
    response = alice_client.post(f"/account/team/members/{charlie.membership.pk}/remove", headers=HX)

    assert response.status_code == 422
    assert "not in your team" in response.content.decode()
    assert Membership.objects.filter(user=charlie).exists()


def test_a_password_reset_link_from_the_admin_lets_the_member_choose_a_new_password(alice_client, bob, client):
    response = alice_client.post(f"/account/team/members/{bob.membership.pk}/password-reset", headers=HX)
    link = response.content.decode().split('id="reset-link-url" class="copy-field" readonly value="')[1].split('"')[0]
    path = "/" + link.split("/", 3)[3]
    client.logout()

    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "a-new-long-pass-88", "new_password2": "a-new-long-pass-88"})

    assert done.status_code == 302
    assert client.login(username="bob", password="a-new-long-pass-88")


def test_password_reset_by_email_sends_the_link_where_email_is_configured(client, bob, settings):
    settings.EMAIL_CONFIGURED = True

    response = client.post("/password-reset/", {"email": "bob@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@example.com"]
    assert "http://testserver/reset/" in mail.outbox[0].body


def test_without_email_the_reset_page_sends_people_to_their_admin(client, bob):
    page = client.get("/password-reset/")
    client.post("/password-reset/", {"email": "bob@example.com"})

    assert "Ask your team admin for a password reset link" in page.content.decode()
    assert mail.outbox == []
