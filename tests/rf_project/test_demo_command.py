"""manage.py demo --setup-only: idempotent demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from psa.models import Account, MemberMapping, Membership, PSAConnection

pytestmark = pytest.mark.django_db


def _demo(*args):
    out = StringIO()
    call_command("demo", "--setup-only", *args, stdout=out)
    return out.getvalue()


def test_demo_sets_up_a_working_account(sandbox):
    output = _demo()
    user = authenticate(username="demo", password="demo")
    assert user is not None
    membership = Membership.objects.get(user=user)
    assert (membership.account.name, membership.role) == ("Demo MSP", "admin")
    connection = PSAConnection.objects.get(account=membership.account)
    assert (connection.site, connection.company_id, connection.get_private_key()) == ("sandbox", "sandbox", "sandbox-private")
    mapping = MemberMapping.objects.get(user=user)
    assert mapping.identifier == sandbox.members()[0]["identifier"] == "jsmith"
    assert "local use only" in output


def test_demo_is_idempotent_and_keeps_data(sandbox):
    _demo()
    user = authenticate(username="demo", password="demo")
    user.first_name = "Kept"
    user.save()
    _demo()
    assert Account.objects.filter(name="Demo MSP").count() == 1
    assert PSAConnection.objects.count() == MemberMapping.objects.count() == 1
    assert authenticate(username="demo", password="demo").first_name == "Kept"


def test_demo_user_sees_their_queue_through_the_api(sandbox, client):
    _demo()
    client.login(username="demo", password="demo")
    body = client.get("/integrations/psa/tickets", {"assigned": "me"}).json()
    assert body["total"] >= 10


def test_demo_serves_with_runserver_unless_setup_only(sandbox, monkeypatch):
    from rf_project.management.commands import demo

    calls = []
    monkeypatch.setattr(demo, "call_command", lambda name, *a, **kw: calls.append((name, a, kw)))
    monkeypatch.setattr(demo.Command, "setup", lambda self: None)
    call_command("demo", "0.0.0.0:9000", stdout=StringIO())
    assert calls[-1] == ("runserver", ("0.0.0.0:9000",), {"use_reloader": False})
