"""What a keyboard or screen-reader user relies on, beyond axe-core's rules (tests/e2e/test_responsive.py):
the phone's Menu is a disclosure button (name, expanded state, Enter/Space/Esc, focus back), the
drawer is a dialog beside the queue on a desktop and a modal sheet on a phone, and a touch tablet keeps
the desktop layout with thumb-sized controls and 16 px fields."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_responsive import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def test_on_a_phone_the_menu_is_a_disclosure_button_that_the_keyboard_opens_and_closes(logged_in_page):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto("/tickets")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Assist")).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Assist")).to_be_visible()
    expect(nav.get_by_role("link", name="Tickets")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav.get_by_role("link", name="Assist")).to_be_hidden()

    page.keyboard.press(" ")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.mouse.click(PHONE["width"] // 2, PHONE["height"] - 20)  # a tap below the menu (on the queue) only closes it
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/tickets$"))

    menu.click()
    nav.get_by_role("link", name="Integrations").click()
    page.wait_for_url(re.compile(r"/account/integrations$"))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")


def test_on_a_desktop_the_sidebar_shows_its_links_and_no_menu_button(logged_in_page):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for name in ("Assist", "Tickets", "Integrations", "Team"):
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name)).to_be_visible()
