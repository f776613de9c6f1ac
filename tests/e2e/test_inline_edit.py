"""Inline edit in the drawer header, in a browser: Edit summary, Save (the title and the queue row update in
place), Cancel, and the concurrent-edit guard (a change made in the PSA meanwhile is shown with who made
it; Re-apply saves mine; on both PSAs); the form at phone and desktop sizes with axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settled
from tests.e2e.test_responsive import DESKTOP, SIZES, audit_context, audit_page, check  # noqa: F401

pytestmark = pytest.mark.e2e


def _open_drawer(page):
    page.goto("/tickets?assigned=all")
    settled(page)
    row = page.locator("#results [data-row]").first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    settled(page)
    return dialog, int(ticket_id)


def test_an_engineer_retitles_a_ticket_and_the_row_follows(logged_in_page, seed_words):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    dialog, ticket_id = _open_drawer(page)
    dialog.get_by_role("button", name="Edit summary").click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog.get_by_label("Summary")).to_have_count(0)

    dialog.get_by_role("button", name="Edit summary").click()
    settled(page)
    dialog.get_by_label("Summary").fill("Printer offline on the 3rd floor")
    expect(dialog.get_by_label("Priority")).to_be_visible()
    expect(dialog.get_by_label("Required date")).to_be_visible()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(f"#drawer-summary-{ticket_id}")).to_have_text("Printer offline on the 3rd floor")
    expect(page.locator(f"#ticket-row-{ticket_id} .c-summary")).to_have_text("Printer offline on the 3rd floor")

    # Move it to another board: the new board's status is asked for, the same-named one preselected.
    settled(page)
    status_now = dialog.get_by_label("Change status").locator("option:checked").inner_text()
    board_now = dialog.locator(f"#drawer-board-{ticket_id}").inner_text()
    target = "Security" if board_now != "Security" else "Projects"
    dialog.get_by_role("button", name="Edit summary").click()
    settled(page)
    dialog.get_by_label(seed_words["Board"], exact=True).select_option(label=target)
    settled(page)
    expect(dialog.get_by_label(f"Status on the new {seed_words['Board'].lower()}").locator("option:checked")).to_have_text(status_now)
    dialog.get_by_label("Type", exact=True).select_option(index=1)
    settled(page)
    expect(dialog.get_by_label("Subtype", exact=True)).to_be_visible()
    expect(dialog.get_by_label("Item", exact=True)).to_have_count(seed_words["item selects"])
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(f"#drawer-board-{ticket_id}")).to_have_text(target)
    expect(page.locator(f"#ticket-row-{ticket_id} .c-board")).to_have_text(target)
    expect(dialog.get_by_label("Change status").locator("option:checked")).to_have_text(status_now)


def test_a_change_made_in_connectwise_meanwhile_is_shown_and_can_be_overridden(logged_in_page, seed_words):
    from psa.models import Account
    from psa.schemas import TicketChanges
    from psa.tenancy import tenant_for_account
    from tickets.service.edit import update_ticket

    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    dialog, ticket_id = _open_drawer(page)
    dialog.get_by_role("button", name="Edit summary").click()
    settled(page)
    update_ticket(tenant_for_account(Account.objects.get(name="Acme MSP")), ticket_id,
                  TicketChanges(summary="Changed by a colleague"))
    dialog.get_by_label("Summary").fill("My summary")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert").filter(has_text=f"was changed in {seed_words['psa']} by")).to_contain_text(
        "Summary is now “Changed by a colleague”")
    expect(dialog.get_by_label("Summary")).to_have_value("My summary")
    settled(page)
    dialog.get_by_role("button", name="Re-apply my changes").click()
    expect(dialog.locator(f"#drawer-summary-{ticket_id}")).to_have_text("My summary")


def test_a_status_change_on_a_ticket_changed_meanwhile_is_shown_and_can_be_re_applied(logged_in_page, sandbox,
                                                                                     seed_words):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    dialog, ticket_id = _open_drawer(page)
    ticket = sandbox.state["tickets"][ticket_id]
    # In the PSA, after the drawer loaded it (each sandbox's own fields: Autotask's title and lastActivityDate).
    if "_info" in ticket:
        ticket["summary"] = "Changed by a colleague"
        ticket["_info"]["lastUpdated"] = "2031-01-02T03:04:05Z"
    else:
        ticket.update(title="Changed by a colleague", lastActivityDate="2031-01-02T03:04:05Z")

    status = dialog.locator(f"#drawer-status-{ticket_id}")
    current = status.get_by_label("Change status").locator("option:checked").inner_text().strip()
    target = next(name for name in ("Escalated", "Escalate", seed_words["waiting"]) if name != current
                  and status.get_by_label("Change status").locator("option", has_text=name).count())
    status.get_by_label("Change status").select_option(label=target)
    expect(status.get_by_role("alert")).to_contain_text(f"was changed in {seed_words['psa']} by")
    expect(status.get_by_role("alert")).to_contain_text("Summary is now “Changed by a colleague”")
    settled(page)
    status.get_by_role("button", name="Re-apply my changes").click()
    expect(status.get_by_role("alert")).to_have_count(0)
    expect(status.get_by_label("Change status").locator("option:checked")).to_have_text(target)
    expect(page.locator(f"#ticket-row-{ticket_id} .c-status")).to_contain_text(target)


@SIZES
def test_the_edit_form_fits_and_passes_axe(audit_page, size):  # noqa: F811 - the imported fixture
    page = audit_page
    page.set_viewport_size(size)
    dialog, _ = _open_drawer(page)
    dialog.get_by_role("button", name="Edit summary").click()
    expect(dialog.get_by_label("Summary")).to_be_visible()
    check(page, "the drawer's inline edit")
