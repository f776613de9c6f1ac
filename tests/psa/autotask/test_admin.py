"""The Django admin's connection form takes an Autotask connection: its own fields required, ConnectWise's not,
the secret write-only and typed again when the API user changes."""

from __future__ import annotations

import pytest

from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME
from psa.models import PSAConnection

pytestmark = pytest.mark.django_db

ADD = "/admin/psa/psaconnection/add/"


@pytest.fixture
def admin_client(db):
    """A superuser's browser (this package's ``client`` fixture is an AutotaskClient)."""
    from django.contrib.auth.models import User
    from django.test import Client

    browser = Client()
    browser.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root"))
    return browser


def _autotask(account, **changes):
    return {"account": account.pk, "provider": "autotask", "site": "sandbox", "company_id": "", "public_key": "",
            "client_id": "", "username": API_USERNAME, "integration_code": API_INTEGRATION_CODE,
            "private_key": API_SECRET, **changes}


def test_an_autotask_connection_is_added_without_connectwise_fields(admin_client, account):
    response = admin_client.post(ADD, _autotask(account))
    assert response.status_code == 302, response.content.decode()[:3000]
    connection = PSAConnection.objects.get(account=account)
    assert connection.is_autotask and connection.username == API_USERNAME
    assert connection.get_private_key() == API_SECRET and not connection.company_id


def test_an_autotask_connection_needs_its_username_and_integration_code(admin_client, account):
    html = admin_client.post(ADD, _autotask(account, username="", integration_code="")).content.decode()
    assert "Enter the API user&#x27;s username." in html
    assert "Enter the integration code" in html
    assert "a ConnectWise connection needs it" not in html
    assert not PSAConnection.objects.exists()


def test_a_connectwise_connection_still_needs_its_company_id_and_public_key(admin_client, account):
    data = {"account": account.pk, "provider": "connectwise", "site": "sandbox", "company_id": "", "public_key": "",
            "client_id": "", "username": "", "integration_code": "", "private_key": "pk"}
    html = admin_client.post(ADD, data).content.decode()
    assert "Enter the company id (a ConnectWise connection needs it)." in html
    assert "Enter the public key (a ConnectWise connection needs it)." in html
    assert not PSAConnection.objects.exists()


def test_another_api_user_needs_the_secret_again_and_the_secret_is_never_shown(admin_client, account):
    assert admin_client.post(ADD, _autotask(account)).status_code == 302
    connection = PSAConnection.objects.get(account=account)
    change = f"/admin/psa/psaconnection/{connection.pk}/change/"

    page = admin_client.get(change).content.decode()
    assert API_SECRET not in page

    html = admin_client.post(change, _autotask(account, username="other@msp.example", private_key="")).content.decode()
    assert "Re-enter the secret" in html
    connection.refresh_from_db()
    assert connection.username == API_USERNAME

    assert admin_client.post(change, _autotask(account, integration_code="NEWCODE", private_key="")).status_code == 302
    connection.refresh_from_db()
    assert connection.integration_code == "NEWCODE" and connection.get_private_key() == API_SECRET
