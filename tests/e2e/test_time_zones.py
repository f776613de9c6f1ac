"""Time zones in a browser: the browser's zone is sent once and then every page shows times in it and names
it in the sidebar; a zone picked on the profile page wins; the profile page fits a phone and passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FIRST_LOAD_MS, TIMEOUT_MS, log_in, settled
from tests.e2e.test_responsive import DESKTOP, SIZES, audit_context, audit_page, check  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


@pytest.fixture
def tokyo_page(browser, live_server, transactional_db, alice_mapping):
    """alice signed in from a browser in Tokyo."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, timezone_id="Asia/Tokyo")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login/", timeout=FIRST_LOAD_MS)
    yield log_in(page, "alice", "pw-alice")
    context.close()


def test_times_follow_the_browsers_zone_and_a_picked_zone_wins(tokyo_page):
    page = tokyo_page
    page.goto("/tickets?assigned=all")  # the first page sent the zone; from now on it is used
    settled(page)
    zone_link = page.get_by_role("link", name="Asia/Tokyo")
    expect(zone_link).to_be_visible()
    expect(page.locator("#results time.c-age").first).to_have_attribute("title", re.compile(r" JST$"))

    zone_link.click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Dates and times are now shown in America/New_York.")).to_be_visible()

    page.goto("/tickets?assigned=all")
    settled(page)
    expect(page.get_by_role("link", name="America/New_York")).to_be_visible()
    expect(page.locator("#results time.c-age").first).to_have_attribute("title", re.compile(r" E[SD]T$"))

    # An admin sets the team's default; Automatic then follows the browser, which comes before the team's.
    page.goto("/account/profile")
    page.get_by_label("Team default zone").select_option("Australia/Sydney")
    page.get_by_role("button", name="Save team zone").click()
    expect(page.get_by_text("The team's default time zone is now Australia/Sydney.")).to_be_visible()
    page.get_by_label("Time zone").select_option("")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_role("link", name="Asia/Tokyo")).to_be_visible()
    expect(page.get_by_text("(your browser's)")).to_be_visible()


@SIZES
def test_the_profile_page_fits_and_passes_axe(audit_page, size):  # noqa: F811 - the imported fixture
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/account/profile")
    check(page, "the profile page")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Dates and times are now shown in Europe/Berlin.")).to_be_visible()
    check(page, "the profile page after saving")
