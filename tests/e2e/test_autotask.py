"""Autotask in a real browser, whatever RF_TEST_PSA says: an admin connects Autotask from the integrations page
(choose the PSA, its fields appear), tests it, maps themselves to an Autotask resource, and works the queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from psa import registry
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME, default_at_sandbox
from tests.e2e.conftest import log_in, settled

pytestmark = pytest.mark.e2e


@pytest.fixture
def at_sb():
    sb = default_at_sandbox()
    sb.reset()
    yield sb
    sb.reset()
    registry.forget()


def test_an_admin_connects_autotask_tests_it_and_maps_themselves(page, alice, at_sb):
    log_in(page, "alice", "pw-alice")
    page.goto("/account/integrations")
    settled(page)
    page.get_by_label("PSA", exact=True).select_option(label="Autotask PSA")
    expect(page.get_by_label("API username")).to_be_visible()  # the form re-rendered with Autotask's fields
    expect(page.get_by_label("Company id")).to_have_count(0)
    page.get_by_label("Site", exact=True).fill("sandbox")
    page.get_by_label("API username").fill(API_USERNAME)
    page.get_by_label("Integration code").fill(API_INTEGRATION_CODE)
    page.get_by_label(re.compile(r"^Secret")).fill(API_SECRET)
    page.get_by_role("button", name="Create connection").click()
    expect(page.locator("#toasts")).to_contain_text("Connection created")
    expect(page.get_by_label(re.compile(r"^Secret"))).to_have_value("")
    settled(page)

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile(r"Connected to Autotask 2025\.2\.512"))

    page.get_by_label("Map my PSA resource").select_option(label="John Smith (jsmith)")
    page.get_by_role("button", name="Map my PSA resource").click()
    expect(page.locator("#my-mapping")).to_contain_text("You are mapped to John Smith (jsmith).")


def test_the_queue_and_the_drawer_work_on_autotask(page, alice, account, at_sb):
    from psa.models import MemberMapping, PSAConnection

    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=101, identifier="jsmith", name="John Smith")
    log_in(page, "alice", "pw-alice")
    page.goto("/tickets")
    expect(page.get_by_text(re.compile(r"Showing 1–25 of \d+ tickets"))).to_be_visible()
    row = page.locator("#results [data-row]").first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    settled(page)
    expect(dialog.get_by_role("heading", name="Notes")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


@pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1440, "height": 900}], ids=["phone", "desktop"])
def test_the_autotask_connection_form_fits_and_passes_axe(browser, live_server, transactional_db, alice, at_sb, size):
    from tests.e2e.conftest import FIRST_LOAD_MS, TIMEOUT_MS
    from tests.e2e.test_responsive import check

    context = browser.new_context(base_url=live_server.url, viewport=size, bypass_csp=True, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login/", timeout=FIRST_LOAD_MS)
    log_in(page, "alice", "pw-alice")
    page.goto("/account/integrations?provider=autotask")
    expect(page.get_by_label("API username")).to_be_visible()
    check(page, "the Autotask connection form")
    page.get_by_role("button", name="Create connection").click()  # every field's error shown
    expect(page.get_by_text("Enter the API user's username.")).to_be_visible()
    check(page, "the Autotask connection form with its errors")
    context.close()
