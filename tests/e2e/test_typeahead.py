"""The typeahead pickers in a real browser, at MSP scale (issue 17): the large sandbox (5,000 companies, 300
members, 200,000 tickets) behind the live server, so no page could list every company or member.

A picker is chosen from with the keyboard, as a screen-reader user would: type, ArrowDown until the wanted
option is the active descendant, Enter. Each test walks several steps of one page (CI time is scarce).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_option as choose
from tests.e2e.conftest import settled
from tests.large_sandbox import large_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.connectwise_only("serves the large ConnectWise sandbox to the live server")]

CREATED = re.compile(r"Ticket #(\d+) created in ConnectWise")


def listbox(page, combobox):
    return page.locator("#" + combobox.get_attribute("aria-controls"))


def test_filtering_the_queue_by_a_company_and_an_assignee_chosen_by_typing(large_page):
    page = large_page
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    assert "<datalist" not in page.content()
    page.get_by_label("Include closed").check()  # (most of a company's tickets are closed)
    page.wait_for_url(re.compile(r"closed=true"))

    company = page.get_by_role("combobox", name="Company")
    choose(page, company, "lakeshore dent", "Lakeshore Dental Group")
    page.wait_for_url(re.compile(r"company=270"))
    expect(page.locator("#results .c-company").first).to_have_text("Lakeshore Dental Group")

    page.reload()  # the URL holds the id; the page names it again
    expect(company).to_have_value("Lakeshore Dental Group")
    expect(page.locator("#results .c-company").first).to_have_text("Lakeshore Dental Group")

    assigned = page.get_by_role("combobox", name="Assigned")
    choose(page, assigned, "unassig", "Unassigned")
    page.wait_for_url(re.compile(r"assigned=unassigned"))
    expect(page.locator("#results")).not_to_contain_text("jsmith")

    # Escape closes an open listbox and nothing else; leaving the box with stray text puts the choice back.
    assigned.fill("zzzz")
    expect(listbox(page, assigned).get_by_role("option")).to_have_text(["No members match “zzzz”"])
    assigned.press("Escape")
    expect(listbox(page, assigned)).to_be_hidden()
    page.get_by_role("combobox", name="Company").focus()
    expect(assigned).to_have_value("Unassigned")
    assert "assigned=unassigned" in page.url

    page.go_back()  # Back: the company filter alone, its name still shown
    page.wait_for_url(lambda url: "assigned=" not in url and "company=270" in url)
    expect(company).to_have_value("Lakeshore Dental Group")
    expect(assigned).to_have_value("")


def test_creating_a_ticket_with_a_company_its_contact_and_an_assignee_chosen_by_typing(large_page):
    page = large_page
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    page.get_by_role("link", name="New ticket").click()
    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog).to_be_visible()
    settled(page)

    dialog.get_by_label("Summary").fill("Scanner on reception offline")
    contact = dialog.get_by_role("combobox", name="Contact")
    contact.fill("a")  # no company yet: the contact picker says so
    expect(listbox(page, contact).get_by_role("option")).to_have_text(["Choose the company first"])
    contact.press("Escape")
    choose(page, dialog.get_by_role("combobox", name="Company"), "acme dent", "Acme Dental")
    chloe = next(c for c in large_sandbox().state["contacts"].values()
                 if c["company"]["id"] == 251 and c["firstName"] == "Chloe")
    choose(page, contact, "chloe", f"Chloe {chloe['lastName']}")  # only Acme Dental's contacts
    choose(page, dialog.get_by_role("combobox", name="Assigned member"), "swilson", "Sam Wilson")
    dialog.get_by_label("Board").select_option(label="Service Desk")
    expect(dialog.get_by_label("Status")).to_be_enabled()
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label="Priority 3 - Normal Response")
    dialog.get_by_role("button", name="Create ticket").click()

    toast = page.locator(".toast").filter(has_text=CREATED)
    expect(toast).to_be_visible()
    ticket = large_sandbox().state["tickets"][int(CREATED.search(toast.inner_text()).group(1))]
    assert (ticket["company"]["name"], ticket["summary"]) == ("Acme Dental", "Scanner on reception offline")
    assert ticket["contact"]["id"] == chloe["id"]


def test_adding_a_member_in_the_drawer_by_typing(large_page):
    page = large_page
    page.goto("/tickets")
    row = page.locator("#results [data-row]").first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    assignees = row.locator(".c-assignees").inner_text()
    identifier, name = next((i, n) for i, n in (("swilson", "Sam Wilson"), ("agarcia", "Ana Garcia"), ("mchen", "Michael Chen"))
                            if i not in assignees)
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog.get_by_role("combobox", name="Add member")).to_be_visible()
    settled(page)

    choose(page, dialog.get_by_role("combobox", name="Add member"), identifier, name)
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog.get_by_role("button", name=f"Remove {name}")).to_be_visible()
    expect(page.locator(".toast").last).to_contain_text(f"{name} assigned to #{ticket_id}")
    # The picker leaves out who is assigned now.
    add = dialog.get_by_role("combobox", name="Add member")
    settled(page)
    add.fill(identifier)
    expect(listbox(page, add).get_by_role("option")).to_have_text([f"No members match “{identifier}”"])
