"""Bulk actions in the queue: POST /tickets/bulk runs one action on the selected tickets and answers a
result per ticket (done / failed with the reason / skipped with the reason); GET is the bar."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}

_CW = "uses the ConnectWise sandbox's seed and state (board, status and type names and ids, its members' time zones)"


def _tenant():
    from psa.models import Account
    from psa.tenancy import tenant_for_account

    return tenant_for_account(Account.objects.get(name="Acme MSP"))


def _open_tickets(count: int, **filters):
    from tickets import service

    return service.search_tickets(_tenant(), service.TicketFilters(**filters), page_size=count).items[:count]


def _outcomes(html: str) -> dict[int, str]:
    return {int(tid): outcome for outcome, tid in re.findall(r'<li class="bulk-(\w+)"><span class="c-id">#(\d+)</span>', html)}


def _bulk(client, data) -> str:
    """Posts a bulk action and follows its chunks (what htmx does through hx-trigger=load) to the end: every
    answer's HTML, in order (each chunk redraws its own rows)."""
    response = client.post("/tickets/bulk", data, **HX)
    pages = [response.content.decode()]
    while (step := re.search(r'hx-post="(/tickets/bulk/[0-9a-f-]+)" hx-trigger="load"', pages[-1])) and len(pages) < 50:
        response = client.post(step.group(1), **HX)
        assert response.status_code == 200, response.content.decode()
        pages.append(response.content.decode())
    return "\n".join(pages)


def _patches(sandbox) -> list[str]:
    return [r.path for r in sandbox.request_log if r.method == "PATCH"]


@pytest.mark.connectwise_only(_CW)
def test_the_bar_offers_each_status_name_once_and_the_members(alice_client, alice_mapping):
    html = alice_client.get("/tickets/bulk", **HX).content.decode()
    assert 'role="toolbar" aria-label="Bulk actions"' in html
    assert html.count('<option value="Escalated">') == 1
    assert 'id="bulk-result" class="bulk-result" role="status"' in html
    for action in ("Change status", "Assign", "Change priority", "Add note"):
        assert f">{action}</button>" in html


def test_every_queue_row_has_a_checkbox_named_after_its_ticket(alice_client, alice_mapping):
    html = alice_client.get("/tickets?assigned=all").content.decode()
    ids = re.findall(r'id="ticket-row-(\d+)"', html)
    assert ids
    for ticket_id in ids:
        assert f'value="{ticket_id}" form="bulk-form" aria-label="Select #{ticket_id}"' in html
    assert "Select all on this page" in html


def test_a_status_change_applies_once_per_ticket_and_skips_those_already_there(alice_client, alice_mapping, sandbox):
    tickets = _open_tickets(3, assigned="all")
    already = tickets[0]
    ids = [t.id for t in tickets]
    sandbox.clear_log()
    html = _bulk(alice_client, {"action": "status", "status": already.status_name, "ids": ids})
    outcomes = _outcomes(html)
    assert outcomes[already.id] == "skipped" and f"already {already.status_name}" in html
    changed = [t for t in tickets[1:] if t.status_name != already.status_name]
    assert all(outcomes[t.id] == "done" for t in changed)
    assert len(_patches(sandbox)) == len(changed)
    for ticket in changed:  # the queue rows are redrawn in place
        assert re.search(rf'id="ticket-row-{ticket.id}"[^>]*hx-swap-oob="true"', html)
    assert "3 of 3 done:" in html

    sandbox.clear_log()  # the same request again changes nothing
    html = _bulk(alice_client, {"action": "status", "status": already.status_name, "ids": ids})
    assert set(_outcomes(html).values()) == {"skipped"}
    assert _patches(sandbox) == []


@pytest.mark.connectwise_only(_CW)
def test_a_ticket_whose_board_lacks_the_status_is_skipped_with_the_reason(alice_client, alice_mapping, sandbox):
    ticket = next(t for t in _open_tickets(25, assigned="all") if t.status_name != "Scheduled")
    for sid, status in list(sandbox.state["statuses"].items()):
        if status["board"]["id"] == ticket.board_id and status["name"] == "Scheduled":
            del sandbox.state["statuses"][sid]
    sandbox.clear_log()
    html = _bulk(alice_client, {"action": "status", "status": "Scheduled", "ids": [ticket.id]})
    assert _outcomes(html) == {ticket.id: "skipped"}
    assert f"no status &#x27;Scheduled&#x27; on board {ticket.board_name}" in html
    assert _patches(sandbox) == []


@pytest.mark.connectwise_only(_CW)
def test_a_failure_is_reported_with_its_reason_and_only_failures_are_retried(alice_client, alice_mapping, sandbox):
    first, second = [t for t in _open_tickets(10, assigned="all") if t.status_name != "Escalated"][:2]
    sandbox.inject("400", method="PATCH", path=rf"/service/tickets/{second.id}$")
    html = _bulk(alice_client, {"action": "status", "status": "Escalated", "ids": [first.id, second.id]})
    assert _outcomes(html) == {first.id: "done", second.id: "failed"}
    assert "injected fault" in html
    retry = re.search(r'<form class="bulk-retry".*?</form>', html, re.S).group(0)
    assert re.findall(r'name="ids" value="(\d+)"', retry) == [str(second.id)]
    assert "Retry failed (1)" in retry

    sandbox.clear_faults()
    sandbox.clear_log()
    fields = dict(re.findall(r'name="(action|status|priority|member|text|kind)" value="([^"]*)"', retry))
    html = _bulk(alice_client, {**fields, "ids": [second.id]})
    assert _outcomes(html) == {second.id: "done"}
    assert _patches(sandbox) == [p for p in _patches(sandbox) if p.endswith(f"/{second.id}")] and len(_patches(sandbox)) == 1


def test_assigning_skips_tickets_the_member_is_already_on(alice_client, alice_mapping, first_member, sandbox):
    tickets = _open_tickets(2, assigned="all")
    data = {"action": "assign", "member": first_member["id"] if isinstance(first_member, dict) else first_member.id,
            "ids": [t.id for t in tickets]}
    first = _outcomes(_bulk(alice_client, data))
    assert set(first.values()) <= {"done", "skipped"} and "done" in first.values()
    again = _outcomes(_bulk(alice_client, data))
    assert set(again.values()) == {"skipped"}


def test_a_note_is_added_once_even_when_the_request_is_repeated(alice_client, alice_mapping, sandbox):
    tickets = _open_tickets(2, assigned="all")
    data = {"action": "note", "text": "Morning clean-up: checked by the NOC", "kind": "internal", "ids": [t.id for t in tickets]}
    assert set(_outcomes(_bulk(alice_client, data)).values()) == {"done"}
    sandbox.clear_log()
    html = _bulk(alice_client, data)
    assert set(_outcomes(html).values()) == {"skipped"} and "already on the ticket" in html
    assert [r for r in sandbox.request_log if r.method == "POST"] == []


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "status", "status": "", "ids": ["1"]}, "Choose a status"),
    ({"action": "status", "status": "No such status", "ids": ["1"]}, "Choose a status"),
    ({"action": "assign", "member": "999999", "ids": ["1"]}, "Choose a member to assign"),
    ({"action": "note", "text": "   ", "ids": ["1"]}, "Write the note first"),
    ({"action": "status", "status": "New"}, "Select at least one ticket"),
    ({"action": "status", "status": "New", "ids": ["x"]}, "The selection is not valid"),
    ({"action": "delete", "ids": ["1"]}, "Choose an action"),
])
def test_a_request_that_cannot_run_says_why_and_changes_nothing(alice_client, alice_mapping, sandbox, data, message):
    sandbox.clear_log()
    response = alice_client.post("/tickets/bulk", data, **HX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert [r for r in sandbox.request_log if r.method != "GET"] == []


def test_more_than_the_limit_is_refused(alice_client, alice_mapping):
    from tickets.service.bulk import BULK_MAX

    response = alice_client.post("/tickets/bulk", {"action": "status", "status": "New", "ids": list(range(1, BULK_MAX + 2))}, **HX)
    assert response.status_code == 422 and f"at most {BULK_MAX}" in response.content.decode()


def test_a_priority_change_applies_once_and_a_repeat_skips_every_ticket(alice_client, alice_mapping, sandbox):
    tickets = _open_tickets(2, assigned="all")
    target = next(p.id for p in _tenant().reference("priorities").priorities if p.id != tickets[0].priority_id)
    data = {"action": "priority", "priority": target, "ids": [t.id for t in tickets]}
    html = _bulk(alice_client, data)
    assert _outcomes(html)[tickets[0].id] == "done"
    assert re.search(rf'id="ticket-row-{tickets[0].id}"[^>]*hx-swap-oob="true"', html)
    sandbox.clear_log()
    again = _outcomes(_bulk(alice_client, data))
    assert set(again.values()) == {"skipped"} and _patches(sandbox) == []


# --- progress: the action runs a chunk per request ------------------------------------------------------------


@pytest.mark.connectwise_only(_CW)
def test_a_long_bulk_action_says_how_many_are_done_while_it_runs_and_a_repeated_chunk_applies_nothing(
        alice_client, alice_mapping, sandbox):
    from tickets.service.bulk import BULK_CHUNK

    tickets = [t for t in _open_tickets(25, assigned="all") if t.status_name != "Escalated"][:BULK_CHUNK + 3]
    total = len(tickets)
    response = alice_client.post("/tickets/bulk", {"action": "status", "status": "Escalated", "ids": [t.id for t in tickets]}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and f"0 of {total} done" in html
    next_url = re.search(r'hx-post="(/tickets/bulk/[0-9a-f-]+)" hx-trigger="load"', html).group(1)

    sandbox.clear_log()
    html = alice_client.post(next_url, **HX).content.decode()
    assert f"{BULK_CHUNK} of {total} done" in html and 'hx-trigger="load"' in html  # and asks for the rest
    assert len(_patches(sandbox)) == BULK_CHUNK
    assert len(re.findall(r'id="ticket-row-\d+"[^>]*hx-swap-oob="true"', html)) == BULK_CHUNK

    html = alice_client.post(next_url, **HX).content.decode()
    assert f"{total} of {total} done:" in html and 'hx-trigger="load"' not in html
    assert set(_outcomes(html).values()) == {"done"} and len(_outcomes(html)) == total
    assert len(_patches(sandbox)) == total

    sandbox.clear_log()  # the last chunk asked for again (a retried request): nothing is applied twice
    html = alice_client.post(next_url, **HX).content.decode()
    assert f"{total} of {total} done:" in html and _patches(sandbox) == []


@pytest.mark.connectwise_only(_CW)
def test_another_users_bulk_action_cannot_be_run(alice_client, alice_mapping, bob, sandbox):
    from django.test import Client

    bob_client = Client()
    bob_client.force_login(bob)
    ticket = _open_tickets(1, assigned="all")[0]
    html = alice_client.post("/tickets/bulk", {"action": "status", "status": "Escalated", "ids": [ticket.id]}, **HX).content.decode()
    next_url = re.search(r'hx-post="(/tickets/bulk/[0-9a-f-]+)"', html).group(1)
    sandbox.clear_log()
    assert bob_client.post(next_url, **HX).status_code == 404
    assert _patches(sandbox) == []


def test_a_users_old_bulk_runs_are_cleared_when_they_start_another(alice_client, alice_mapping):
    import uuid
    from datetime import UTC, datetime

    from tickets.models import BulkJob

    old = BulkJob.objects.create(id=uuid.uuid4(), account=_tenant().account, user=alice_mapping.user, action="note",
                                 text="old", ticket_ids=[1], created=datetime(2020, 1, 1, tzinfo=UTC))
    ticket = _open_tickets(1, assigned="all")[0]
    alice_client.post("/tickets/bulk", {"action": "note", "text": "New run", "ids": [ticket.id]}, **HX)
    assert not BulkJob.objects.filter(pk=old.pk).exists()
    assert BulkJob.objects.filter(text="New run").exists()
