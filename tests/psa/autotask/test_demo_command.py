"""manage.py demo --psa autotask: the same tour on the in-process Autotask sandbox."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from assist.models import AssistSession
from psa import registry
from psa.autotask_sandbox import API_SECRET, API_USERNAME
from psa.models import MemberMapping, PSAConnection

pytestmark = pytest.mark.django_db


def _demo(*args):
    out = StringIO()
    call_command("demo", "--setup-only", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_providers(at_sandbox):
    yield
    registry.forget()


def test_the_demo_on_autotask_connects_maps_and_shows_the_queue(at_sandbox):
    _demo("--psa", "autotask")
    connection = PSAConnection.objects.get(account__name="Demo MSP")
    assert connection.is_autotask and connection.site == "sandbox"
    assert (connection.username, connection.get_private_key()) == (API_USERNAME, API_SECRET)
    mapping = MemberMapping.objects.get(user__username="demo")
    resource = at_sandbox.state["resources"][mapping.psa_member_id]
    assert mapping.identifier == resource["userName"]
    browser = Client()
    browser.login(username="demo", password="demo")
    body = browser.get("/integrations/psa/tickets", {"assigned": "me"}).json()
    assert body["total"] >= 10
    session = AssistSession.objects.get(user__username="demo")
    assert session.linked_ticket_id in at_sandbox.state["tickets"]  # an Autotask ticket of demo's


def test_switching_the_demo_between_psas_drops_what_names_the_other_psas_ids(at_sandbox, sandbox):
    _demo()
    connectwise_session = AssistSession.objects.get(user__username="demo").pk
    output = _demo("--psa", "autotask")
    assert "Switched the demo account to Autotask PSA" in output
    assert not AssistSession.objects.filter(pk=connectwise_session).exists()  # it named a ConnectWise ticket
    assert PSAConnection.objects.get().is_autotask and AssistSession.objects.count() == 1
    autotask_session = AssistSession.objects.get().pk
    _demo("--psa", "autotask")  # again: nothing switches, nothing is dropped
    assert AssistSession.objects.get().pk == autotask_session
