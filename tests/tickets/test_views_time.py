"""The drawer's Time section: /tickets/<id>/time (entries, total, Log time) and /tickets/<id>/timer."""

from __future__ import annotations

import re

import pytest

_TIME = "time entries (issue 19) are not in the Autotask reference: AutotaskProvider raises PSANotSupportedError (501)"
pytestmark = [pytest.mark.django_db, pytest.mark.connectwise_only(_TIME)]

HX = {"HTTP_HX_REQUEST": "true"}


def _ticket_id() -> int:
    from psa.models import Account
    from psa.tenancy import tenant_for_account
    from tickets import service

    return service.search_tickets(tenant_for_account(Account.objects.get(name="Acme MSP")),
                                  service.TicketFilters(assigned="all")).items[0].id


def _calls(sandbox, method):
    return [r.path for r in sandbox.request_log if r.method == method]


def test_the_time_section_lists_entries_with_their_total_in_one_call(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    alice_client.get(f"/tickets/{ticket_id}/time", **HX)  # reference data (work types, roles, members) now cached
    sandbox.clear_log()
    html = alice_client.get(f"/tickets/{ticket_id}/time", **HX).content.decode()
    assert len(_calls(sandbox, "GET")) == 1  # the ticket's time entries
    assert f'<h3 id="time-h-{ticket_id}">Time</h3>' in html
    assert re.search(r"Total: <strong>[\d.]+ h</strong>", html)
    for label in ("Start", "End", "Duration", "Notes", "Work type", "Work role", "Billable"):
        assert f">{label}</label>" in html
    assert ">Log time</button>" in html and 'value="start">Start timer</button>' in html


def test_logging_a_duration_is_one_post_and_appends_the_entry(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    alice_client.get(f"/tickets/{ticket_id}/time", **HX)
    sandbox.clear_log()
    response = alice_client.post(f"/tickets/{ticket_id}/time", {"duration": "1h 15m", "notes": "Replaced the toner",
                                                                 "total_hours": "2"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert len(_calls(sandbox, "POST")) == 1 and _calls(sandbox, "GET") == []
    assert f'hx-swap-oob="beforeend:#time-entries-{ticket_id}"' in html and "Replaced the toner" in html
    assert "Total: <strong>3.25 h</strong>" in html
    assert "Logged 1h 15m" in response["HX-Trigger"]


def test_a_duration_that_cannot_be_read_keeps_what_was_typed(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    sandbox.clear_log()
    response = alice_client.post(f"/tickets/{ticket_id}/time", {"duration": "about an hour", "notes": "Kept text"}, **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="about an hour"' in html and ">Kept text</textarea>" in html
    assert re.search(r'name="duration"[^>]*aria-invalid="true"', html)
    assert _calls(sandbox, "POST") == []


def test_the_timer_starts_shows_in_the_sidebar_and_stopping_prefills_log_time(alice_client, alice_mapping):
    ticket_id = _ticket_id()
    html = alice_client.post(f"/tickets/{ticket_id}/timer", {"action": "start", "summary": "Printer"}, **HX).content.decode()
    assert ">Stop timer</button>" in html
    assert re.search(r'id="sidebar-timer"[^>]*hx-swap-oob="true"', html) and f"#{ticket_id}</strong>" in html
    page = alice_client.get("/tickets?assigned=all").content.decode()
    assert f"Timer on <strong>#{ticket_id}</strong>" in page  # survives a reload

    other = alice_client.post(f"/tickets/{ticket_id + 1}/timer", {"action": "start"}, **HX)
    assert other.status_code == 422
    assert f"Your timer is running on #{ticket_id}" in other.content.decode()

    stopped = alice_client.post(f"/tickets/{ticket_id}/timer", {"action": "stop"}, **HX).content.decode()
    assert ">Start timer</button>" in stopped
    assert re.search(r'name="duration" value="\d+(h|m)', stopped)
    assert "Timer on" not in alice_client.get("/tickets?assigned=all").content.decode()


def test_a_double_submitted_log_time_form_logs_one_entry(alice_client, alice_mapping, sandbox):
    ticket_id = _ticket_id()
    html = alice_client.get(f"/tickets/{ticket_id}/time", **HX).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    before = len(sandbox.state["time_entries"])
    form = {"duration": "30m", "notes": "Reset the password", "total_hours": "1", "idempotency_key": key}

    first = alice_client.post(f"/tickets/{ticket_id}/time", form, **HX)
    second = alice_client.post(f"/tickets/{ticket_id}/time", form, **HX)  # the same form, sent again

    assert first.status_code == second.status_code == 200
    assert len(sandbox.state["time_entries"]) == before + 1
    assert "beforeend:#time-entries" not in second.content.decode()  # not appended again: the list is re-read
    assert second.content.decode().count("Reset the password") == 1
    assert "Already logged" in second["HX-Trigger"]
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', first.content.decode()).group(1)
    assert fresh != key  # the next entry is a new form


def test_a_psa_without_time_entries_says_so_instead_of_offering_retry(alice_client, alice_mapping, monkeypatch):
    """Autotask's provider has no time entries (PSANotSupportedError): the section says where to log time,
    with no Retry that could never work and no Log time form that would fail."""
    from psa.providers.base import PSANotSupportedError
    from psa.providers.connectwise import ConnectWiseProvider

    def unsupported(self, ticket_id):
        raise PSANotSupportedError("Listing time entries")

    monkeypatch.setattr(ConnectWiseProvider, "list_time_entries", unsupported)
    html = alice_client.get(f"/tickets/{_ticket_id()}/time", **HX).content.decode()

    assert "Time entries are not available on" in html and "connections here yet" in html
    assert "Retry" not in html and "Log time" not in html and 'role="alert"' not in html
