"""What a keyboard or screen-reader user relies on, beyond axe-core's rules (tests/e2e/test_responsive.py):
the phone's Menu is a disclosure button (name, expanded state, Enter/Space/Esc, focus back), the
drawer is a dialog beside the queue on a desktop and a modal sheet on a phone, and a touch tablet keeps
the desktop layout with thumb-sized controls and 16 px fields."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS, log_in, settled
from tests.e2e.test_responsive import DESKTOP, PHONE, check_layout

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


def test_the_drawer_is_a_dialog_beside_the_queue_on_a_desktop_and_a_modal_sheet_on_a_phone(logged_in_page):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto("/tickets?ticket=1042")
    dialog = page.get_by_role("dialog", name="#1042")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "false")
    expect(page.locator(".shell")).to_have_js_property("inert", False)
    expect(page.get_by_label("Search")).to_be_editable()  # the queue stays usable beside it

    page.set_viewport_size(PHONE)  # turned into a phone-sized window: the drawer becomes a modal sheet
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(page.locator(".shell")).to_have_js_property("inert", True)
    expect(page.locator("body")).to_have_css("overflow", "hidden")  # the queue behind does not scroll

    page.set_viewport_size(DESKTOP)
    expect(dialog).to_have_attribute("aria-modal", "false")
    expect(page.locator(".shell")).to_have_js_property("inert", False)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_a_touch_tablet_keeps_the_desktop_layout_with_thumb_sized_controls_and_a_narrower_drawer(browser, live_server, alice_mapping, seed_words):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 768, "height": 1024}, has_touch=True,
                                  reduced_motion="reduce")  # the drawer is measured where it lands
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = log_in(context.new_page(), "alice", "pw-alice")
        page.goto("/tickets")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets")).to_be_visible()
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.get_by_label(seed_words["Board"], exact=True)).to_be_visible()  # no "Filters" disclosure
        check_layout(page, "the queue on a touch tablet")  # 44 px controls, 16 px fields, nothing sideways

        page.locator("#results [data-row]").first.click()
        dialog = page.get_by_role("dialog")
        expect(dialog.locator(".fact-grid")).to_be_visible()
        settled(page)
        check_layout(page, "the drawer on a touch tablet")
        box = dialog.bounding_box()
        assert box["x"] > 0 and box["width"] <= 0.65 * 768, "the drawer leaves part of the queue in sight"
        expect(dialog).to_have_attribute("aria-modal", "false")
    finally:
        context.close()
