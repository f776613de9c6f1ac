"""The New Ticket modal in a real browser: Quick Create -> review -> Create, Full Form errors, tabs keep the draft."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_option

pytestmark = pytest.mark.e2e


def _created(seed_words) -> re.Pattern:
    return re.compile(rf"Ticket #(\d+) created in {seed_words['psa']}")


def _open_modal(page):
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    page.get_by_role("link", name="New ticket").click()
    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog).to_be_visible()
    return dialog


def _created_id(page, seed_words) -> int:
    created = _created(seed_words)
    toast = page.locator(".toast").filter(has_text=created)
    expect(toast).to_be_visible()
    return int(created.search(toast.inner_text()).group(1))


def test_quick_create_review_create_toasts_and_adds_the_row(logged_in_page, sandbox, seed_words):
    page = logged_in_page
    before = sandbox.ticket_count()
    dialog = _open_modal(page)
    expect(dialog.get_by_role("tab", name="Full Form")).to_have_attribute("aria-selected", "true")

    dialog.get_by_role("tab", name="Quick Create").click()
    dialog.get_by_label("Describe the ticket").fill("New ticket for Acme Corp, Outlook not syncing for the CFO, high priority, assign to me")
    dialog.get_by_role("button", name="Parse").click()

    expect(dialog.get_by_text("Review before creating")).to_be_visible()
    expect(dialog.get_by_label("Summary")).to_have_value("Outlook not syncing for the CFO")
    expect(dialog.get_by_label("Company")).to_have_value("Acme Corp")
    expect(dialog.get_by_label(seed_words["Board"])).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("Could not determine board from context")).to_be_visible()
    assert sandbox.ticket_count() == before  # parsing never creates

    dialog.get_by_label(seed_words["Board"]).select_option(label="Service Desk")
    expect(dialog.get_by_label("Status")).to_be_enabled()
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["urgent"])
    dialog.get_by_role("button", name="Create ticket").click()

    ticket_id = _created_id(page, seed_words)
    expect(page.get_by_role("dialog", name="New ticket")).to_have_count(0)
    row = page.locator(f"#ticket-row-{ticket_id}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Outlook not syncing for the CFO")
    assert sandbox.ticket_count() == before + 1


def test_full_form_with_a_missing_field_keeps_the_values(logged_in_page, sandbox, seed_words):
    page = logged_in_page
    before = sandbox.ticket_count()
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    page.keyboard.press("n")
    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog.get_by_label("Summary")).to_be_focused()

    dialog.get_by_label("Company").fill("Acme")  # ambiguous: only the server can say so
    dialog.get_by_label(seed_words["Board"]).select_option(label="Service Desk")
    expect(dialog.get_by_label("Status")).to_be_enabled()
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["normal"])
    dialog.get_by_label("Description").fill("Paper jam on every job.")
    page.wait_for_load_state("networkidle")  # the board change re-renders the status field: let it land

    dialog.get_by_role("button", name="Create ticket").click()  # summary is empty: the browser stops it
    assert dialog.get_by_label("Summary").evaluate("el => el.validity.valueMissing")
    expect(dialog).to_be_visible()

    dialog.get_by_label("Summary").fill("Printer jams on 2nd floor")
    dialog.get_by_role("button", name="Create ticket").click()
    expect(dialog.get_by_text("matches 2 companies: Acme Corp, Acme Dental")).to_be_visible()
    expect(dialog.get_by_label("Company")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Company")).to_be_focused()
    expect(dialog.get_by_label("Summary")).to_have_value("Printer jams on 2nd floor")
    expect(dialog.get_by_label("Status").locator("option:checked")).to_have_text("New")
    expect(dialog.get_by_label("Description")).to_have_value("Paper jam on every job.")
    assert sandbox.ticket_count() == before

    dialog.get_by_label("Company").fill("Acme Dental")
    dialog.get_by_role("button", name="Create ticket").click()
    _created_id(page, seed_words)
    assert sandbox.ticket_count() == before + 1


def test_switching_tabs_keeps_the_draft_and_esc_dismisses(logged_in_page, sandbox, seed_words):
    page = logged_in_page
    before = sandbox.ticket_count()
    dialog = _open_modal(page)
    dialog.get_by_label("Summary").fill("VPN drops every hour")
    dialog.get_by_label("Company").fill("Contoso Ltd")
    dialog.get_by_label(seed_words["Board"]).select_option(label="Network Operations")
    expect(dialog.get_by_label("Status")).to_be_enabled()
    dialog.get_by_label("Status").select_option(label="In Progress")
    choose_option(page, dialog.get_by_role("combobox", name="Assigned member"), "agarcia", "Ana Garcia")

    dialog.get_by_role("tab", name="Quick Create").click()
    expect(dialog.get_by_label("Describe the ticket")).to_be_visible()
    dialog.get_by_label("Describe the ticket").fill("half a thought")
    dialog.get_by_role("tab", name="Full Form").click()

    expect(dialog.get_by_label("Summary")).to_have_value("VPN drops every hour")
    expect(dialog.get_by_label("Company")).to_have_value("Contoso Ltd")
    expect(dialog.get_by_label(seed_words["Board"])).to_have_value("2")
    expect(dialog.get_by_label("Status").locator("option:checked")).to_have_text("In Progress")
    expect(dialog.get_by_label("Assigned member")).to_have_value("Ana Garcia")
    expect(dialog.locator("#nt-member-id")).to_have_value("102")
    dialog.get_by_role("tab", name="Quick Create").click()
    expect(dialog.get_by_label("Describe the ticket")).to_have_value("half a thought")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="New ticket")).to_have_count(0)
    expect(page.get_by_role("link", name="New ticket")).to_be_focused()
    assert sandbox.ticket_count() == before
