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


def test_a_ticket_created_in_the_autotask_demo_is_still_there_after_a_restart(at_sandbox, tmp_path, monkeypatch):
    from django.contrib.auth import authenticate

    from psa import sandbox as cw_sandbox_package
    from psa.autotask_sandbox import app as at_app
    from rf_project.management.commands import demo
    from tickets.models import APIToken

    real_call_command = demo.call_command
    monkeypatch.setattr(demo, "call_command",
                        lambda name, *a, **kw: None if name == "runserver" else real_call_command(name, *a, **kw))
    state_file = tmp_path / "cw-sandbox.json"
    try:
        out = StringIO()
        call_command("demo", "--psa", "autotask", "--state-file", str(state_file), stdout=out)
        assert f"Autotask sandbox state: {tmp_path / 'at-sandbox.json'}" in out.getvalue()
        _, raw = APIToken.issue(authenticate(username="demo", password="demo"), name="tests")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        created = api.post("/integrations/psa/tickets", {"summary": "Still here after a restart", "company_id": 250,
                                                         "board_id": 1, "status_id": 1, "priority_id": 2},
                           content_type="application/json")
        assert created.status_code == 201, created.content

        at_app.default_at_sandbox().remember_in(None)  # the old process is gone: it writes no more
        monkeypatch.setattr(at_app, "_default", None)
        registry.forget()
        call_command("demo", "--psa", "autotask", "--state-file", str(state_file), stdout=StringIO())

        shown = api.get(f"/integrations/psa/tickets/{created.json()['id']}")
        assert shown.status_code == 200 and shown.json()["summary"] == "Still here after a restart"
    finally:
        at_app.default_at_sandbox().remember_in(None)
        cw_sandbox_package.default_sandbox().remember_in(None)
