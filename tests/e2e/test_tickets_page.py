"""/tickets in a real browser: filters and URL state, pagination, the drawer and its actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_option, settled
from tests.reliability.psa_faults import where

pytestmark = pytest.mark.e2e

SHOWING = re.compile(r"Showing \d+–\d+ of \d+ tickets")


def _rows(page):
    return page.locator("#results [data-row]")


def _open_first_row(page):
    """Open the first row's drawer and wait until its sections have loaded and can be used."""
    page.goto("/tickets")
    row = _rows(page).first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    settled(page)
    return ticket_id, dialog


def test_filters_go_to_the_url_and_survive_a_reload(logged_in_page, seed_words):
    page = logged_in_page
    page.goto("/tickets")
    expect(page.get_by_text(SHOWING)).to_be_visible()
    page.get_by_label(seed_words["Board"], exact=True).select_option(label="Network Operations")
    page.wait_for_url(re.compile(r"board=2"))
    expect(page.get_by_label("Status")).to_contain_text("In Progress")  # the board's statuses, swapped in
    settled(page)
    page.get_by_label("Status").select_option(label="In Progress")
    status_id = page.get_by_label("Status").input_value()  # the board's In Progress (each PSA numbers its own)
    page.wait_for_url(re.compile(rf"status={status_id}\b"))
    page.get_by_label("Search").fill("vpn")
    page.wait_for_url(re.compile(r"search=vpn"))
    page.get_by_label("Include closed").check()
    page.wait_for_url(re.compile(r"closed=true"))
    expect(page.locator("#results")).not_to_have_class(re.compile("htmx-request"))
    before = _rows(page).all_inner_texts()

    page.reload()
    expect(page.get_by_label(seed_words["Board"], exact=True)).to_have_value("2")
    expect(page.get_by_label("Status")).to_have_value(status_id)
    expect(page.get_by_label("Search")).to_have_value("vpn")
    expect(page.get_by_label("Include closed")).to_be_checked()
    assert _rows(page).all_inner_texts() == before


def test_company_is_a_typeahead_and_emptying_it_drops_the_filter(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    company = page.get_by_role("combobox", name="Company")
    choose_option(page, company, "acme corp", "Acme Corp")
    page.wait_for_url(re.compile(r"company=250"))
    expect(page.locator("#results .c-company").first).to_have_text("Acme Corp")
    company.fill("")
    company.press("Tab")
    page.wait_for_url(lambda url: "company=" not in url)


def test_pagination_moves_and_a_filter_change_resets_the_page(logged_in_page, seed_words):
    page = logged_in_page
    page.goto("/tickets")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    first_page = _rows(page).first.get_attribute("id")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.get_by_text(re.compile(r"Showing 26–50 of \d+ tickets"))).to_be_visible()
    assert _rows(page).first.get_attribute("id") != first_page
    page.go_back()
    expect(page.get_by_text(re.compile(r"Showing 1–25 of"))).to_be_visible()
    page.go_forward()
    expect(page.get_by_text(re.compile(r"Showing 26–50 of"))).to_be_visible()
    settled(page)
    page.get_by_label("Priority").select_option(label=seed_words["normal"])
    page.wait_for_url(lambda url: "priority=" in url and "page=" not in url)
    expect(page.get_by_text(re.compile(r"Showing 1–\d+ of"))).to_be_visible()


def test_the_last_page_disables_next(logged_in_page):
    page = logged_in_page
    page.goto("/tickets?board=4&priority=1")
    while page.get_by_role("button", name="Next").is_enabled():
        page.get_by_role("button", name="Next").click()
        settled(page)  # the next page and its pager have arrived and are bound
    expect(page.get_by_role("button", name="Next")).to_be_disabled()


def test_a_row_opens_the_drawer_and_escape_closes_it(logged_in_page):
    page = logged_in_page
    ticket_id, dialog = _open_first_row(page)
    expect(dialog).to_be_focused()
    expect(page).to_have_url(re.compile(rf"ticket={ticket_id}"))
    expect(dialog.get_by_role("heading", name="Notes")).to_be_visible()
    expect(dialog.locator(".assignees")).to_be_visible()
    expect(dialog.get_by_text("Contact")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"ticket="))


def test_the_keyboard_moves_through_rows_and_opens_them(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = _rows(page).nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("k")
    expect(_rows(page).first).to_be_focused()
    page.keyboard.press("Enter")
    ticket_id = _rows(page).first.get_attribute("id").removeprefix("ticket-row-")
    expect(page.get_by_role("dialog", name=f"#{ticket_id}")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()


def test_a_deep_link_opens_the_drawer(logged_in_page):
    page = logged_in_page
    page.goto("/tickets?ticket=1042")
    dialog = page.get_by_role("dialog", name="#1042")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Related tickets")).to_be_visible()
    expect(dialog.get_by_label("Change status")).to_be_visible()


def test_the_status_changes_in_place_and_in_the_list(logged_in_page, seed_words):
    page = logged_in_page
    page.goto(f"/tickets?board=1&status={seed_words['new on Service Desk']}")
    row = _rows(page).first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    # The status select arrives with the drawer's detail section; a change before htmx has bound it is lost.
    expect(dialog.locator(".fact-grid")).to_be_visible()
    settled(page)
    dialog.get_by_label("Change status").select_option(label=seed_words["waiting"])
    expect(page.locator(".toast")).to_contain_text(f"Ticket #{ticket_id}: New → {seed_words['waiting']}")
    expect(page.locator(f"#ticket-row-{ticket_id} .badge")).to_have_text(seed_words["waiting"])
    expect(dialog.get_by_label("Change status")).to_have_value(re.compile(r"\d+"))


def test_resources_can_be_added_and_removed(logged_in_page, seed_words):
    page = logged_in_page
    _, dialog = _open_first_row(page)
    add_member = dialog.get_by_role("combobox", name=f"Add {seed_words['member']}")  # Add resource on Autotask
    choose_option(page, add_member, "swilson", "Sam Wilson")
    dialog.get_by_role("button", name="Add", exact=True).click()
    remove = dialog.get_by_role("button", name="Remove Sam Wilson")
    expect(remove).to_be_visible()
    expect(page.locator(".toast").last).to_contain_text("Sam Wilson assigned")
    page.once("dialog", lambda confirm: confirm.accept())
    remove.click()
    expect(dialog.get_by_role("button", name="Remove Sam Wilson")).to_have_count(0)
    settled(page)
    add_member.fill("swilson")  # offered again
    expect(dialog.get_by_role("option", name=re.compile("^Sam Wilson"))).to_be_visible()


def test_a_note_is_added_without_a_reload(logged_in_page):
    page = logged_in_page
    ticket_id, dialog = _open_first_row(page)
    composer = dialog.get_by_label("Add note")
    composer.fill("Rebooted the switch, monitoring.")
    dialog.get_by_label("Discussion").check()
    dialog.get_by_role("button", name="Add note").click()
    note = dialog.locator(f"#notes-{ticket_id} .note").last
    expect(note).to_contain_text("Rebooted the switch, monitoring.")
    expect(note).to_contain_text("Discussion")
    expect(dialog.get_by_label("Add note")).to_have_value("")


def test_a_failed_note_keeps_the_text(logged_in_page, sandbox):
    page = logged_in_page
    _, dialog = _open_first_row(page)
    sandbox.inject("503", method="POST", path=r"/notes")
    dialog.get_by_label("Add note").fill("Keep this text")
    dialog.get_by_role("button", name="Add note").click()
    expect(dialog.locator(".composer .field-error")).to_be_visible()
    expect(dialog.get_by_label("Add note")).to_have_value("Keep this text")


def test_a_failing_section_shows_retry_and_retry_works(logged_in_page, sandbox, psa_kind):
    page = logged_in_page
    page.goto("/tickets")
    method, path = where(psa_kind, "notes")  # the drawer's notes read
    sandbox.inject("500", method=method, path=path)
    _rows(page).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Could not load notes")).to_be_visible()
    expect(dialog.get_by_role("heading", name="Related tickets")).to_be_visible()
    expect(dialog.locator(".assignees")).to_be_visible()  # the rest of the drawer still works
    settled(page)
    sandbox.clear_faults()
    dialog.get_by_role("button", name="Retry").first.click()
    expect(dialog.get_by_text("Could not load notes")).to_have_count(0)
    expect(dialog.get_by_label("Add note")).to_be_visible()


def test_a_related_ticket_opens_in_the_drawer(logged_in_page):
    page = logged_in_page
    _, dialog = _open_first_row(page)
    related = dialog.locator(".related a").first
    related_id = related.locator(".c-id").inner_text().lstrip("#")
    related.click()
    expect(page.get_by_role("dialog", name=f"#{related_id}")).to_be_visible()


def _ticket_with_configurations(sandbox) -> int:
    links = sandbox.state["ticket_configurations"]
    return next(t["id"] for t in sandbox.state["tickets"].values()
                if links.get(t["id"]) and not t.get("closedFlag") and t.get("company"))


def _configured_ticket(sandbox) -> tuple[int, str, str]:
    """An open ticket with a configuration, that configuration's name and serial number, in either PSA's sandbox
    (Autotask: the ticket's one ``configurationItemID``, named by its ``referenceTitle``)."""
    if "configuration_items" in sandbox.state:
        ticket = next(t for t in sandbox.state["tickets"].values()
                      if t.get("configurationItemID") and t["status"] != 5 and t.get("companyID"))
        item = sandbox.state["configuration_items"][ticket["configurationItemID"]]
        return ticket["id"], item["referenceTitle"], item["serialNumber"]
    ticket_id = _ticket_with_configurations(sandbox)
    config = sandbox.state["configurations"][sandbox.state["ticket_configurations"][ticket_id][0]]
    return ticket_id, config["name"], config["serialNumber"]


def test_configurations_show_at_once_and_their_facts_follow(logged_in_page, sandbox):
    page = logged_in_page
    ticket_id, name, serial = _configured_ticket(sandbox)
    page.goto(f"/tickets?ticket={ticket_id}")
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    configs = dialog.locator(f"#configs-{ticket_id}")
    expect(configs).to_contain_text(name)
    expect(configs.locator(".config-facts").first).to_contain_text(f"S/N {serial}")
    expect(dialog.locator(f"#config-facts-{ticket_id}")).not_to_have_attribute("aria-busy", "true")


def test_failing_configuration_facts_keep_the_names_and_retry_works(logged_in_page, sandbox):
    page = logged_in_page
    ticket_id = _ticket_with_configurations(sandbox)
    config = sandbox.state["configurations"][sandbox.state["ticket_configurations"][ticket_id][0]]
    sandbox.inject("500", path=r"^/company/configurations/")
    page.goto(f"/tickets?ticket={ticket_id}")
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    slot = dialog.locator(f"#config-facts-{ticket_id}")
    expect(slot).to_contain_text("Could not load configuration details")
    expect(dialog.locator(f"#configs-{ticket_id}")).to_contain_text(config["name"])
    settled(page)
    sandbox.clear_faults()
    slot.get_by_role("button", name="Retry").click()
    expect(dialog.locator(f"#configs-{ticket_id} .config-facts").first).to_contain_text(f"S/N {config['serialNumber']}")
    expect(slot).not_to_contain_text("Could not load")


def test_back_after_a_click_mid_settle_restores_a_page_with_no_swap_left_running(logged_in_page):
    """htmx's history snapshot keeps its swap classes: a page saved while a section was still settling came back
    marked as settling for good (static/app.js clears them after a restore)."""
    page = logged_in_page
    page.goto("/tickets")
    settled(page)
    page.locator("#results [data-row]").first.evaluate("row => row.classList.add('htmx-settling')")  # mid-settle
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    settled(page)
    page.go_back()
    expect(page.get_by_text(re.compile(r"Showing 1–25 of"))).to_be_visible()
    expect(page.locator(".htmx-settling, .htmx-added, .htmx-swapping")).to_have_count(0)
