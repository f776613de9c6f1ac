"""/account/integrations: the connection form (admins), read-only for members, write-only private key."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SECRET = "sandbox-private"
VALID = {"site": "sandbox", "company_id": "sandbox", "public_key": "sandbox-public", "private_key": "", "client_id": "rf-tests"}


def _post(client, htmx=True, **changes):
    return client.post("/account/integrations", {**VALID, **changes}, **(HX if htmx else {}))


def _connection(account):
    from psa.models import PSAConnection

    return PSAConnection.objects.get(account=account)


def test_it_requires_login(client):
    assert client.get("/account/integrations").status_code == 302


def test_a_user_without_an_account_gets_the_not_in_a_team_page(client, account):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("loner", password="x"))
    response = client.get("/account/integrations")

    assert response.status_code == 403
    assert "not in a team yet" in response.content.decode()


def test_an_admin_sees_the_connection_form_with_the_private_key_only_as_set(alice_client, connection):
    html = alice_client.get("/account/integrations").content.decode()
    assert 'name="site" value="sandbox"' in html and 'name="company_id" value="sandbox"' in html
    assert 'name="public_key" value="sandbox-public"' in html and 'name="client_id" value="rf-tests"' in html
    assert 'type="password" name="private_key"' in html and 'data-secret-state>set</span>' in html
    assert SECRET not in html and connection.private_key_encrypted not in html
    assert "Test connection" in html
    assert 'hx-get="/account/integrations/mappings" hx-trigger="load"' in html  # the members table loads on its own


def test_saving_with_an_empty_private_key_keeps_the_stored_one(alice_client, account, connection):
    # Same site and company: the key stays (a new site or company needs it again: test_connection_key_reentry.py).
    before = connection.updated
    response = _post(alice_client, public_key="new-public")
    assert response.status_code == 200
    saved = _connection(account)
    assert (saved.site, saved.public_key) == ("sandbox", "new-public")
    assert saved.get_private_key() == SECRET
    assert saved.updated > before
    assert SECRET not in response.content.decode()


def test_a_filled_private_key_replaces_the_stored_one_and_is_never_rendered_back(alice_client, account, connection):
    response = _post(alice_client, private_key="brand-new-secret")
    assert _connection(account).get_private_key() == "brand-new-secret"
    html = response.content.decode()
    assert "brand-new-secret" not in html and SECRET not in html
    assert 'data-secret-state>set</span>' in html


def test_the_private_key_is_not_rendered_back_after_a_validation_error(alice_client, account, connection):
    response = _post(alice_client, site="", private_key="typed-but-invalid-form")
    assert response.status_code == 422
    assert "typed-but-invalid-form" not in response.content.decode()
    assert _connection(account).get_private_key() == SECRET


def test_saving_through_htmx_returns_the_section_a_toast_and_a_refresh_event(alice_client, connection):
    response = _post(alice_client)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="connection"') and "<html" not in html
    events = json.loads(response["HX-Trigger"])
    assert events["toast"] == {"message": "Connection saved", "level": "success"}
    assert "psaConnectionSaved" in events


def test_saving_without_javascript_redirects_back_to_the_page(alice_client, connection):
    response = _post(alice_client, htmx=False)
    assert response.status_code == 302 and response["Location"] == "/account/integrations"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("site", "", "This field is required."),
    ("site", "na.myconnectwise.net/v4_6_release", "Enter a host such as na.myconnectwise.net"),
    ("site", "not a host", "Enter a host such as na.myconnectwise.net"),
    ("company_id", "acme+corp", "The company id has no spaces"),
    ("public_key", "", "This field is required."),
    ("public_key", "with space", "The public key has no spaces"),
    ("client_id", "with space", "The client id has no spaces"),
])
def test_it_rejects_invalid_values_with_a_message_next_to_the_field(alice_client, account, connection, field, value, message):
    response = _post(alice_client, **{field: value})
    html = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{field}_error" role="alert">' in html and message in html
    assert _connection(account).site == "sandbox"


def test_it_accepts_a_local_sandbox_server_url(alice_client, account, connection):
    assert _post(alice_client, site="http://127.0.0.1:8765/", private_key=SECRET).status_code == 200
    assert _connection(account).site == "http://127.0.0.1:8765"


def test_a_blank_client_id_is_accepted_and_the_form_says_the_deployments_is_used(alice_client, account, connection):
    page = alice_client.get("/account/integrations").content.decode()
    assert "Leave it blank to use the client id this deployment is registered with." in page
    assert _post(alice_client, client_id="  ").status_code == 200
    assert _connection(account).client_id == ""


def test_an_admin_can_create_the_first_connection(alice_client, account, sandbox):
    response = _post(alice_client, private_key=SECRET)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "Connection created"
    created = _connection(account)
    assert created.get_private_key() == SECRET and created.client_id == "rf-tests"


def test_a_new_connection_needs_a_private_key(alice_client, account):
    from psa.models import PSAConnection

    response = _post(alice_client)
    assert response.status_code == 422 and "Enter the private key." in response.content.decode()
    assert not PSAConnection.objects.filter(account=account).exists()


def test_changes_apply_at_once(alice_client, alice, connection):
    from psa.providers.base import PSAAuthError
    from psa.tenancy import TenantUserBackend, tenant_for

    assert tenant_for(alice).provider.system_info().version
    _post(alice_client, private_key="wrong-key")
    next_request_user = TenantUserBackend().get_user(alice.pk)  # as the session middleware loads it
    with pytest.raises(PSAAuthError):
        tenant_for(next_request_user).provider.system_info()


def test_a_member_sees_the_connection_read_only(bob_client, connection):
    html = bob_client.get("/account/integrations").content.decode()
    assert "Only account admins can change the connection." in html
    assert 'name="site"' not in html and 'name="private_key"' not in html
    assert "sandbox-public" in html and 'data-secret-state>set</span>' in html
    assert SECRET not in html
    assert "Test connection" in html


def test_a_member_cannot_change_the_connection(bob_client, account, connection):
    response = _post(bob_client, site="evil.example.com", private_key="stolen")
    assert response.status_code == 403
    saved = _connection(account)
    assert saved.site == "sandbox" and saved.get_private_key() == SECRET


def test_a_member_cannot_create_a_connection(bob_client, account):
    from psa.models import PSAConnection

    assert _post(bob_client, private_key=SECRET).status_code == 403
    assert not PSAConnection.objects.filter(account=account).exists()


def test_a_member_of_an_unconnected_account_is_told_to_ask_an_admin(bob_client, account):
    html = bob_client.get("/account/integrations").content.decode()
    assert "No PSA connection yet. Ask an account admin" in html and "Test connection" not in html


def test_another_accounts_admin_never_sees_acmes_connection(charlie_client, connection):
    html = charlie_client.get("/account/integrations").content.decode()
    assert "sandbox-public" not in html and "rf-tests" not in html
    assert "Not connected" in html


def test_another_accounts_admin_saves_only_their_own_connection(charlie_client, account, other_account, connection):
    from psa.models import PSAConnection

    _post(charlie_client, site="eu.myconnectwise.net", public_key="charlie-public", private_key="charlie-secret")
    assert _connection(account).public_key == "sandbox-public"
    assert PSAConnection.objects.get(account=other_account).public_key == "charlie-public"
