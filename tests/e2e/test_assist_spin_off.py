"""A spin-off ticket from a ResolutionAssist session, in a real browser (offline assistant)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.reliability.psa_faults import where

pytestmark = pytest.mark.e2e


def _created(seed_words) -> re.Pattern:
    return re.compile(rf"Ticket #(\d+) created in {seed_words['psa']}")


@pytest.fixture
def linked_session(alice_mapping):
    """alice's session linked to ticket #1042 (Acme Dental, Service Desk) with a pending spin-off suggestion."""
    from assist import services
    from psa.schemas import PSATicketDetail

    session = services.create_session(alice_mapping.account, alice_mapping.user, "Outlook crashes for the CFO")
    services.link_ticket(session, 1042, ticket=PSATicketDetail(id=1042, summary="Outlook crashes on launch",
                                                               company_id=251, board_id=1))
    services.post_message(session, "Outlook crashes on launch. Also the fax machine is dead.")
    action = services.pending_actions(session).get()
    return session, action


def test_the_suggested_action_becomes_a_ticket_and_leaves_the_tasklane(logged_in_page, linked_session, sandbox, seed_words):
    created = _created(seed_words)
    page = logged_in_page
    session, action = linked_session
    before = sandbox.ticket_count()
    page.goto(f"/assist/{session.id}/")
    lane = page.get_by_role("complementary", name="TaskLane")
    lane.get_by_role("link", name=re.compile("The fax machine is dead")).click()

    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog.get_by_role("tab", name="Quick Create")).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_label("Describe the ticket")).to_have_value(action.summary_hint)
    expect(dialog.get_by_label("Summary")).to_have_count(0)  # not filled directly: the engineer parses first
    dialog.get_by_role("button", name="Parse").click()

    expect(dialog.get_by_label("Summary")).to_have_value("The fax machine is dead")
    expect(dialog.get_by_label("Company")).to_have_value("Acme Dental")  # the linked ticket's
    expect(dialog.get_by_label(seed_words["Board"])).to_have_value("1")
    expect(dialog.get_by_label("Status")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Priority")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["normal"])
    dialog.get_by_role("button", name="Create ticket").click()

    toast = page.locator(".toast").filter(has_text=created)
    expect(toast).to_be_visible()
    ticket_id = created.search(toast.inner_text()).group(1)
    expect(page.get_by_role("dialog", name="New ticket")).to_have_count(0)
    expect(page.locator(f"#action-{action.id}")).to_have_count(0)
    expect(lane.get_by_role("link", name=f"Ticket #{ticket_id}")).to_be_visible()
    assert sandbox.ticket_count() == before + 1


def test_the_header_button_opens_the_full_form_with_the_linked_company_and_board(logged_in_page, linked_session, sandbox, seed_words):
    page = logged_in_page
    session, action = linked_session
    page.goto(f"/assist/{session.id}/")
    page.get_by_role("link", name="New Ticket", exact=True).click()

    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog.get_by_role("tab", name="Full Form")).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_label("Company")).to_have_value("Acme Dental")
    expect(dialog.get_by_label(seed_words["Board"])).to_have_value("1")
    expect(dialog.get_by_label("Summary")).to_have_value("")

    dialog.get_by_role("link", name="Cancel").click()  # dismissing leaves the suggestion
    expect(page.get_by_role("dialog", name="New ticket")).to_have_count(0)
    expect(page.locator(f"#action-{action.id}")).to_be_visible()


def test_a_link_note_that_failed_is_added_by_the_toasts_retry_and_both_drawers_show_the_link(
        logged_in_page, linked_session, sandbox, seed_words, psa_kind):
    page = logged_in_page
    session, _action = linked_session
    method, path = where(psa_kind, "add note")
    sandbox.inject("503", method=method, path=path.replace(r"\d+", "1042"), times=1)  # the original's note fails once
    page.goto(f"/assist/{session.id}/")
    page.get_by_role("link", name="New Ticket", exact=True).click()
    dialog = page.get_by_role("dialog", name="New ticket")
    dialog.get_by_label("Summary").fill("The fax machine is dead")
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["normal"])
    dialog.get_by_role("button", name="Create ticket").click()

    failed = page.locator(".toast").filter(has_text="could not be added")
    expect(failed).to_contain_text(re.compile(r"Ticket #\d+ created; the link note on #1042 could not be added"))
    spin_off = re.search(r"Ticket #(\d+)", failed.inner_text()).group(1)
    failed.get_by_role("button", name="Retry").click()

    expect(page.locator(".toast").filter(has_text="Both link notes are in place")).to_be_visible()
    expect(failed).to_have_count(0)

    page.goto("/tickets?ticket=1042")
    original = page.get_by_role("dialog", name="#1042")
    expect(original.get_by_text(f"Spin-off #{spin_off} created: The fax machine is dead")).to_be_visible()
    related = original.get_by_role("link", name=re.compile(f"#{spin_off}"))
    expect(related).to_contain_text("Spin-off")
    related.click()  # the spin-off's drawer names its original
    expect(page.get_by_role("dialog", name=f"#{spin_off}").get_by_role("link", name=re.compile("#1042"))) \
        .to_contain_text("Spun off from")
