"""Keyboard help and navigation (issue 20, part 4): "?" lists the page's shortcuts, "g t" / "g a" / "g h" go to
Tickets / Assist / QuickStart, and the sidebar has a QuickStart item."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settled
from tests.e2e.test_responsive import SIZES, audit_context, audit_page, check  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def _help(page):
    return page.get_by_role("dialog", name="Shortcuts")


def test_question_mark_on_the_queue_lists_the_queue_drawer_and_new_ticket_shortcuts_and_esc_closes_it(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    settled(page)
    page.keyboard.press("?")
    dialog = _help(page)
    expect(dialog).to_be_visible()
    for shortcut in ("Search tickets", "Next / previous ticket", "Open the ticket", "Go to Assist",
                     "Go to QuickStart", "Go to Tickets", "Open the New Ticket dialog"):
        expect(dialog.get_by_text(shortcut, exact=True)).to_be_visible()
    expect(dialog.get_by_role("heading", name="Ticket drawer")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_other_shortcuts_are_quiet_while_the_help_is_open(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    settled(page)
    page.keyboard.press("?")
    expect(_help(page)).to_be_visible()
    page.keyboard.press("n")  # would open the New Ticket dialog
    page.keyboard.press("g")
    page.keyboard.press("a")  # would go to Assist
    expect(page.get_by_role("dialog", name=re.compile("New ticket", re.I))).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/tickets$"))
    page.get_by_role("button", name="Close").click()
    expect(_help(page)).to_be_hidden()


def test_the_help_on_assist_does_not_list_the_queue_keys(logged_in_page):
    page = logged_in_page
    page.goto("/assist/")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = _help(page)
    expect(dialog.get_by_text("Go to Tickets", exact=True)).to_be_visible()
    expect(dialog.get_by_text("Search tickets", exact=True)).to_be_hidden()


def test_g_then_a_t_or_h_goes_to_assist_tickets_or_quickstart(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    settled(page)
    page.keyboard.press("g")
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(r"/assist/$"))
    page.keyboard.press("g")
    page.keyboard.press("h")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="QuickStart")).to_have_attribute("aria-current", "page")
    page.keyboard.press("g")
    page.keyboard.press("t")
    expect(page).to_have_url(re.compile(r"/tickets$"))


def test_typing_g_and_t_in_the_search_box_stays_on_the_page(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    settled(page)
    search = page.get_by_role("searchbox", name="Search")
    search.click()
    page.keyboard.type("gt")
    expect(search).to_have_value("gt")
    expect(page).to_have_url(re.compile(r"/tickets"))
    expect(_help(page)).to_be_hidden()


def test_the_sidebar_quickstart_item_leads_to_quickstart(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="QuickStart").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="QuickStart")).to_have_attribute("aria-current", "page")


@SIZES
def test_the_keyboard_help_fits_and_passes_axe(audit_page, size):  # noqa: F811 - the imported fixture
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/tickets")
    settled(page)
    page.keyboard.press("?")
    expect(_help(page)).to_be_visible()
    check(page, "the keyboard help")
