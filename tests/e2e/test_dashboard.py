"""QuickStart (/) in a real browser: My Queue rows open the drawer in place; View All goes to the filtered list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settled
from tests.reliability.psa_faults import where

pytestmark = pytest.mark.e2e


def _queue_rows(page):
    return page.locator("#my-queue [data-queue-row]")


def test_a_queue_row_opens_the_ticket_drawer_on_the_dashboard(logged_in_page, live_server, seed_words):
    page = logged_in_page
    page.goto("/")
    expect(_queue_rows(page)).to_have_count(5)
    expect(page.locator("#active-sessions")).to_have_attribute("data-state", "empty")
    settled(page)  # My Queue arrived in a swap: its rows open the drawer once htmx has bound them
    row = _queue_rows(page).nth(1)
    ticket_id = row.get_attribute("data-ticket-id")
    row.click()

    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    assert page.url == live_server.url + "/"  # no navigation
    expect(row).to_have_class(re.compile(r"\bis-active\b"))
    # The drawer's own sections load here too.
    expect(dialog.get_by_label(f"Add {seed_words['member']}")).to_be_visible()  # Add resource on Autotask
    expect(dialog.get_by_label("Add note")).to_be_visible()
    expect(dialog.locator(".fact-grid")).to_be_visible()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(row).not_to_have_class(re.compile(r"\bis-active\b"))
    assert page.url == live_server.url + "/"


def test_view_all_tickets_lands_on_the_list_filtered_to_me(logged_in_page):
    page = logged_in_page
    page.goto("/")
    page.get_by_role("link", name="View All Tickets →").click()
    page.wait_for_url(re.compile(r"/tickets\?assigned=me$"))
    expect(page.get_by_label("Assigned")).to_have_value("Me")
    expect(page.locator("#id_assigned")).to_have_value("me")
    expect(page.locator("#results [data-row]").first).to_be_visible()


def test_a_psa_failure_leaves_an_empty_widget_and_no_toast(logged_in_page, sandbox, psa_kind):
    page = logged_in_page
    method, path = where(psa_kind, "tickets and counts")  # the queue's page and its counts
    sandbox.inject("500", method=method, path=path)
    page.goto("/")
    expect(page.locator("#my-queue")).to_have_attribute("data-state", "error")
    expect(_queue_rows(page)).to_have_count(0)
    expect(page.locator("#toasts .toast")).to_have_count(0)


def test_a_status_change_in_the_drawer_refreshes_my_queue(logged_in_page, seed_words):
    page = logged_in_page
    page.goto("/")
    row = _queue_rows(page).first  # the most urgent of my tickets, whatever its status (the seeds differ)
    expect(row).to_be_visible()
    settled(page)
    ticket_id = row.get_attribute("data-ticket-id")
    old = row.locator(".badge").inner_text().strip()
    new = "In Progress" if old != "In Progress" else seed_words["waiting"]
    row.click()
    # The status select arrives with the drawer's detail section; a change before htmx has bound it is lost.
    expect(page.get_by_role("dialog", name=f"#{ticket_id}").locator(".fact-grid")).to_be_visible()
    settled(page)
    status = page.locator(f"#status-select-{ticket_id}")
    status.select_option(label=new)
    expect(page.locator("#toasts")).to_contain_text(f"Ticket #{ticket_id}: {old} → {new}")
    refreshed = page.locator(f"#queue-row-{ticket_id}")
    expect(refreshed.locator(".badge")).to_have_text(new)
    expect(refreshed).to_have_class(re.compile(r"\bis-active\b"))  # still the open ticket
