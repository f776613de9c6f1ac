"""Calm live updates in a real browser (issue 20, part 2): a ticket changed in the sandbox while the queue is
open produces the polite notice within one poll interval, Refresh (or "r") shows it and marks its row, and the
open drawer offers to reload the part that changed.

The poll interval is ``tickets.service.live.POLL_INTERVAL_SECONDS``, read by the page and by the shared PSA
query alike: shortened to 1 s here (the live server runs in this process), so a test waits for one poll, not
45 s. No sleeps: Playwright's expect waits. Times are data: every sandbox ticket was last updated long ago,
and a "changed" ticket gets a date far in the future, after any page's "since"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settled
from tests.e2e.test_responsive import SIZES, audit_context, audit_page, check  # noqa: F401 (fixtures)
from tickets.service import live

pytestmark = pytest.mark.e2e

LONG_AGO = "2020-01-01T00:00:00Z"
LATER = "2099-01-01T00:00:00Z"


@pytest.fixture
def quick_polls(monkeypatch, sandbox):
    monkeypatch.setattr(live, "POLL_INTERVAL_SECONDS", 1)
    for ticket in sandbox.state["tickets"].values():
        _stamp(ticket, LONG_AGO)
    return sandbox


# Each PSA's sandbox keeps a ticket's last update and summary in its own fields: ConnectWise's _info/lastUpdated
# and summary, Autotask's lastActivityDate and title.
def _stamp(ticket: dict, when: str) -> None:
    if "_info" in ticket:
        ticket["_info"]["lastUpdated"] = when
    else:
        ticket["lastActivityDate"] = when


def _summary_field(ticket: dict) -> str:
    return "summary" if "_info" in ticket else "title"


def _first_row_id(page) -> int:
    return int(page.locator("#results [data-row]").first.get_attribute("id").removeprefix("ticket-row-"))


def _change(sandbox, ticket_id: int, summary: str) -> None:
    ticket = sandbox.state["tickets"][ticket_id]
    ticket[_summary_field(ticket)] = summary
    _stamp(ticket, LATER)


def _add_note(sandbox, ticket_id: int, text: str) -> None:
    """A note someone added in the PSA (dated LATER), and its ticket's last update moved with it."""
    ticket = sandbox.state["tickets"][ticket_id]
    if "_info" in ticket:  # ConnectWise: the ticket's list of notes
        notes = sandbox.state["notes"].setdefault(ticket_id, [])
        note = dict(notes[0]) if notes else {"ticketId": ticket_id, "internalAnalysisFlag": False,
                                             "resolutionFlag": False, "detailDescriptionFlag": False,
                                             "createdBy": "jsmith", "dateCreated": LATER}
        note.update(id=99_999, text=text, dateCreated=LATER, _info={"lastUpdated": LATER})
        notes.append(note)
    else:  # Autotask: TicketNotes by id
        from psa.autotask_sandbox.seed import blank

        note = blank("TicketNotes")
        note.update(id=99_999, ticketID=ticket_id, title=text, description=text, publish=1, noteType=1,
                    createDateTime=LATER, lastActivityDate=LATER)
        sandbox.state["notes"][99_999] = note
    _stamp(ticket, LATER)


def _notice(page):
    return page.get_by_role("status").filter(has_text="changed")


def test_a_ticket_changed_while_the_queue_is_open_gives_a_notice_and_refresh_shows_it(logged_in_page, quick_polls):
    page = logged_in_page
    page.goto("/tickets?board=1")
    ticket_id = _first_row_id(page)
    row = page.locator(f"#ticket-row-{ticket_id}")
    ticket = quick_polls.state["tickets"][ticket_id]
    before = ticket[_summary_field(ticket)]
    _change(quick_polls, ticket_id, "Printer on fire in reception")

    expect(_notice(page)).to_have_text("1 ticket changed — Refresh")
    expect(row).to_contain_text(before)  # nothing under the cursor changed or moved on its own
    expect(page.locator("#results [data-row]").first).to_have_id(f"ticket-row-{ticket_id}")

    _notice(page).get_by_role("button", name="Refresh").click()
    expect(row).to_contain_text("Printer on fire in reception")
    expect(page.locator(f"#ticket-row-{ticket_id}.is-changed")).to_have_count(1)


def test_r_refreshes_the_list_after_a_notice(logged_in_page, quick_polls):
    page = logged_in_page
    page.goto("/tickets?board=1")
    ticket_id = _first_row_id(page)
    _change(quick_polls, ticket_id, "Scanner jammed again")
    expect(_notice(page)).to_be_visible()
    page.locator("body").press("r")
    expect(page.locator(f"#ticket-row-{ticket_id}")).to_contain_text("Scanner jammed again")
    expect(page.locator(f"#ticket-row-{ticket_id}.is-changed")).to_have_count(1)


def test_the_open_drawer_notices_its_ticket_changed_and_reloads_just_that_part(logged_in_page, quick_polls):
    page = logged_in_page
    page.goto("/tickets?board=1")
    ticket_id = _first_row_id(page)
    page.locator(f"#ticket-row-{ticket_id}").click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    settled(page)
    _add_note(quick_polls, ticket_id, "Client replied: it is on fire again")

    notice = dialog.get_by_role("status").filter(has_text="This ticket changed")
    expect(notice).to_be_visible()
    expect(dialog.get_by_text("Client replied: it is on fire again")).to_have_count(0)
    notice.get_by_role("button", name="Reload notes and status").click()
    expect(dialog.get_by_text("Client replied: it is on fire again")).to_be_visible()


@SIZES
def test_the_change_notice_fits_and_passes_axe(audit_page, quick_polls, size):  # noqa: F811 - the imported fixture
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/tickets?board=1")
    ticket_id = _first_row_id(page)
    _change(quick_polls, ticket_id, "Printer on fire in reception")
    expect(_notice(page)).to_be_visible()
    check(page, "the queue with a change notice")

    page.locator(f"#ticket-row-{ticket_id}").click()  # the open drawer's own notice
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    settled(page)
    _stamp(quick_polls.state["tickets"][ticket_id], "2100-01-01T00:00:00Z")  # after the drawer's since
    expect(dialog.get_by_role("status").filter(has_text="This ticket changed")).to_be_visible()
    check(page, "the drawer with a change notice")
