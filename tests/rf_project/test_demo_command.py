"""manage.py demo: idempotent demo data; a sandbox that remembers across restarts; --reset starts fresh."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from assist.models import AssistSession
from psa import registry
from psa.models import Account, MemberMapping, Membership, PSAConnection
from psa.sandbox import app as sandbox_app
from psa.sandbox import default_sandbox
from rf_project.management.commands import demo
from tickets.models import APIToken, IdempotencyRecord

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


def test_demo_serves_with_runserver_unless_setup_only(sandbox, monkeypatch, state_file):
    calls = []
    monkeypatch.setattr(demo, "call_command", lambda name, *a, **kw: calls.append((name, a, kw)))
    monkeypatch.setattr(demo.Command, "setup", lambda self: None)
    call_command("demo", "0.0.0.0:9000", "--state-file", str(state_file), stdout=StringIO())
    assert calls[-1] == ("runserver", ("0.0.0.0:9000",), {"use_reloader": False})


# --- the sandbox remembers across restarts -----------------------------------------------------------


@pytest.fixture
def state_file(sandbox, tmp_path) -> Path:
    """Where these tests' demo keeps the sandbox state; the process-wide sandbox is in memory again after."""
    yield tmp_path / "cw-sandbox.json"
    for process_wide in (default_sandbox(), sandbox):  # after a restart() they differ
        process_wide.remember_in(None)
    registry.forget()


@pytest.fixture
def serve(monkeypatch, state_file):
    """``manage.py demo`` up to the point where it would start runserver; returns its output (stdout, stderr)."""
    real_call_command = demo.call_command
    monkeypatch.setattr(demo, "call_command",
                        lambda name, *a, **kw: None if name == "runserver" else real_call_command(name, *a, **kw))

    def run(*args):
        out, err = StringIO(), StringIO()
        call_command("demo", "--state-file", str(state_file), *args, stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    return run


@pytest.fixture
def restart(monkeypatch):
    """What a new ``manage.py demo`` process starts with: a new process-wide sandbox, no cached providers."""
    def run():
        default_sandbox().remember_in(None)  # the old process is gone: it writes no more
        monkeypatch.setattr(sandbox_app, "_default", None)
        registry.forget()

    return run


def demo_api() -> Client:
    _, raw = APIToken.issue(authenticate(username="demo", password="demo"), name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def create_ticket(api: Client, summary: str, key: str) -> int:
    response = api.post("/integrations/psa/tickets", {"summary": summary, "company_id": 250, "board_id": 1,
                                                       "status_id": 11, "priority_id": 3},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def has_pending_spin_off(session) -> bool:
    return session.actions.filter(type="create_spin_off_ticket", status="pending").exists()


def test_a_ticket_created_in_the_demo_is_still_there_after_a_restart(serve, restart, state_file):
    output = serve()
    assert f"ConnectWise sandbox state: {state_file}" in output
    api = demo_api()
    first = create_ticket(api, "Created before the restart", "key-1")
    linked = AssistSession.objects.get(user__username="demo").linked_ticket_id

    restart()
    serve()
    assert api.get(f"/integrations/psa/tickets/{first}").json()["summary"] == "Created before the restart"
    assert api.get(f"/integrations/psa/tickets/{linked}").status_code == 200  # the Assist link still resolves
    assert create_ticket(api, "Created after the restart", "key-2") > first


def test_reset_starts_fresh_and_forgets_what_named_the_old_tickets(serve, restart, state_file, alice, account,
                                                                   connection, charlie, other_account):
    serve()
    api = demo_api()
    created = create_ticket(api, "Gone after the reset", "key-1")
    old_session = AssistSession.objects.get(user__username="demo")
    AssistSession.objects.create(account=account, user=alice, title="About a sandbox ticket", linked_ticket_id=created)
    elsewhere = PSAConnection(account=other_account, site="na.myconnectwise.net", company_id="other",
                              public_key="other-public")
    elsewhere.set_private_key("other-private")
    elsewhere.save()
    kept = AssistSession.objects.create(account=other_account, user=charlie, title="About a real ticket",
                                        linked_ticket_id=created)

    restart()
    output = serve("--reset")
    assert "back to its seed data" in output
    assert api.get(f"/integrations/psa/tickets/{created}").status_code == 404
    session = AssistSession.objects.get(user__username="demo")
    assert session.id != old_session.id and session.linked_ticket_id < 1640  # a seed ticket
    assert has_pending_spin_off(session)
    assert not AssistSession.objects.filter(account=account).exists()
    assert not IdempotencyRecord.objects.filter(account__name="Demo MSP").exists()
    assert list(AssistSession.objects.filter(account=other_account)) == [kept]  # not connected to the sandbox
    assert create_ticket(api, "First after the reset", "key-1") == 1640
    saved = json.loads(state_file.read_text())
    assert "Gone after the reset" not in {t["summary"] for t in saved["state"]["tickets"].values()}


def test_reset_with_setup_only_deletes_the_saved_state(serve, restart, state_file):
    serve()
    create_ticket(demo_api(), "Gone after the reset", "key-1")
    restart()
    serve("--reset", "--setup-only")
    assert not state_file.exists()
    restart()
    serve()
    assert default_sandbox().ticket_count() == 640


def test_setup_only_leaves_the_sandbox_in_memory(serve, state_file):
    serve("--setup-only")
    assert not state_file.exists()
    assert default_sandbox().state_file is None


def test_a_corrupt_state_file_does_not_stop_the_demo(serve, state_file, caplog):
    state_file.write_text('{"version": 1, "state": {"tick')
    output = serve()
    assert "cannot be used" in caplog.text
    assert "may now point at other tickets or none; `manage.py demo --reset` deletes them" in output
    assert state_file.with_name("cw-sandbox.json.corrupt").read_text() == '{"version": 1, "state": {"tick'
    assert demo_api().get("/integrations/psa/tickets", {"assigned": "me"}).json()["total"] >= 10


def test_a_state_file_that_cannot_be_written_stops_the_demo_with_a_clear_error(serve, tmp_path):
    with pytest.raises(demo.CommandError, match="Cannot keep the ConnectWise sandbox's state in .*missing"):
        serve("--state-file", str(tmp_path / "missing" / "cw-sandbox.json"))
    assert default_sandbox().state_file is None


@pytest.mark.parametrize("database, expected", [
    ({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/rf/db.sqlite3"}, Path("/srv/rf/cw-sandbox.json")),
    ({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, Path(settings.BASE_DIR) / "cw-sandbox.json"),
    ({"ENGINE": "django.db.backends.postgresql", "NAME": "rf"}, Path(settings.BASE_DIR) / "cw-sandbox.json"),
])
def test_the_state_file_sits_beside_the_sqlite_database_else_in_the_project(database, expected):
    assert demo.default_state_file(database, settings.BASE_DIR) == expected
