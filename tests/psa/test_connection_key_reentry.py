"""The write-only private key never follows a connection somewhere else: a new site or company id (and,
in the Django admin, another account) needs the key typed again. Other changes keep the stored key."""

from __future__ import annotations

import pytest

from psa.models import PSAConnection
from tests.security.loopback import LoopbackServer

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SECRET = "sandbox-private"
FORM = {"site": "sandbox", "company_id": "sandbox", "public_key": "sandbox-public", "private_key": "", "client_id": "rf-tests"}
KEY_AGAIN = "Re-enter the private key: it is needed again when the site or company id changes."


def _post(client, **changes):
    return client.post("/account/integrations", {**FORM, **changes}, **HX)


def _saved(account) -> PSAConnection:
    return PSAConnection.objects.get(account=account)


# --- the integrations page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"site": "eu.myconnectwise.net"},
    {"site": "http://127.0.0.1:8765"},
    {"company_id": "othercorp"},
    {"site": "eu.myconnectwise.net", "company_id": "othercorp", "public_key": "other-public"},
])
def test_a_new_site_or_company_without_the_private_key_is_refused_next_to_the_key(
    alice_client, account, connection, change
):
    response = _post(alice_client, **change)

    html = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_private_key_error" role="alert">{KEY_AGAIN}' in html
    saved = _saved(account)
    assert (saved.site, saved.company_id, saved.public_key) == ("sandbox", "sandbox", "sandbox-public")
    assert saved.get_private_key() == SECRET and SECRET not in html


def test_a_new_site_with_the_private_key_typed_again_is_saved(alice_client, account, connection):
    assert _post(alice_client, site="eu.myconnectwise.net", private_key="eu-private").status_code == 200

    saved = _saved(account)
    assert (saved.site, saved.get_private_key()) == ("eu.myconnectwise.net", "eu-private")


@pytest.mark.parametrize("change", [{"public_key": "new-public"}, {"client_id": "other-client"}, {"client_id": ""}])
def test_changes_that_keep_site_and_company_keep_the_stored_key(alice_client, account, connection, change):
    assert _post(alice_client, **change).status_code == 200

    assert _saved(account).get_private_key() == SECRET


@pytest.mark.parametrize(("stored", "typed"), [
    ("sandbox", " Sandbox "),
    ("na.myconnectwise.net", "NA.MyConnectWise.net/"),
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765/"),
])
def test_the_same_site_spelled_differently_is_no_change(alice_client, account, connection, stored, typed):
    PSAConnection.objects.filter(pk=connection.pk).update(site=stored)

    assert _post(alice_client, site=typed).status_code == 200

    saved = _saved(account)
    assert saved.site == stored and saved.get_private_key() == SECRET


def test_the_stored_key_is_never_sent_to_a_site_an_admin_typed_without_it(
    alice_client, account, connection, sandbox
):
    collector = LoopbackServer()  # an admin's own server, hoping to receive the stored key
    try:
        _post(alice_client, site=f"http://127.0.0.1:{collector.port}")
        alice_client.post("/account/integrations/test", **HX)
    finally:
        collector.close()

    assert collector.connections == 0
    assert [r.path for r in sandbox.request_log] == ["/system/info"]  # Test connection used the saved site


# --- the Django admin ------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root"))
    return client


def _admin_post(client, connection, **changes):
    data = {"account": connection.account_id, "provider": "connectwise", "site": connection.site,
            "company_id": connection.company_id, "public_key": connection.public_key, "private_key": "",
            "client_id": connection.client_id, **changes}
    return client.post(f"/admin/psa/psaconnection/{connection.pk}/change/", data)


@pytest.mark.parametrize("change", [
    {"site": "eu.myconnectwise.net"},
    {"company_id": "othercorp"},
    {"account": "other"},
])
def test_in_the_admin_a_new_site_company_or_account_needs_the_key_again(
    admin_client, account, other_account, connection, change
):
    if change.get("account") == "other":
        change = {"account": other_account.pk}

    response = _admin_post(admin_client, connection, **change)

    assert response.status_code == 200  # the change form again, with the error
    assert "Re-enter the private key" in response.content.decode()
    saved = PSAConnection.objects.get(pk=connection.pk)
    assert (saved.account_id, saved.site, saved.company_id) == (account.pk, "sandbox", "sandbox")
    assert saved.get_private_key() == SECRET


def test_in_the_admin_a_new_site_with_the_key_is_saved(admin_client, account, connection):
    response = _admin_post(admin_client, connection, site="eu.myconnectwise.net", private_key="eu-private")

    assert response.status_code == 302
    saved = PSAConnection.objects.get(pk=connection.pk)
    assert (saved.site, saved.get_private_key()) == ("eu.myconnectwise.net", "eu-private")


def test_in_the_admin_an_empty_key_still_keeps_the_stored_one_for_other_changes(admin_client, account, connection):
    assert _admin_post(admin_client, connection, public_key="new-public").status_code == 302

    saved = PSAConnection.objects.get(pk=connection.pk)
    assert (saved.public_key, saved.get_private_key()) == ("new-public", SECRET)


def test_the_admin_applies_the_site_policy(admin_client, connection, settings):
    settings.PRODUCTION, settings.PSA_ALLOW_PRIVATE_HOSTS = True, False

    for site, message in [("169.254.169.254", "is not a public internet host"), ("x_ü.example", "IDNA"),
                          ("http://cw.example.com", "Use https://")]:
        response = _admin_post(admin_client, connection, site=site, private_key="typed")
        assert response.status_code == 200 and message in response.content.decode(), site

    assert PSAConnection.objects.get(pk=connection.pk).site == "sandbox"
