"""The README tour on a phone (390x844, CSP on): the queue with its "Filters (n)" disclosure and paging,
a ticket as a full-screen sheet (status, note, Close, Back), Quick Create to a new ticket, an Assist
spin-off and a message, My Queue on QuickStart, and the integrations page. Every tap is a real click,
so each control is on the screen and not covered when it is used."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, settled
from tests.e2e.test_responsive import PHONE, check_layout, in_sight

pytestmark = pytest.mark.e2e



def _created(seed_words) -> re.Pattern:
    return re.compile(rf"Ticket #(\d+) created in {seed_words['psa']}")


@pytest.fixture
def phone(logged_in_page):
    logged_in_page.set_viewport_size(PHONE)
    logged_in_page.emulate_media(reduced_motion="reduce")  # the sheet is measured where it lands, not sliding in
    return logged_in_page


def _rows(page):
    return page.locator("#results [data-row]")


def test_on_a_phone_the_filters_fold_into_a_disclosure_that_counts_them_and_paging_works(phone, seed_words):
    page = phone
    page.goto("/tickets?closed=true")
    filters = page.get_by_role("button", name="Filters (1)")  # Include closed
    expect(filters).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_label("Search")).to_be_visible()
    expect(page.get_by_label(seed_words["Board"], exact=True)).to_be_hidden()

    filters.click()
    expect(filters).to_have_attribute("aria-expanded", "true")
    page.get_by_label(seed_words["Board"], exact=True).select_option(label="Network Operations")
    page.wait_for_url(re.compile(r"board=2"))
    expect(page.get_by_role("button", name="Filters (2)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Showing 1–25 of \d+ tickets"))).to_be_visible()
    settled(page)

    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.get_by_text(re.compile(r"Showing 26–\d+ of \d+ tickets"))).to_be_visible()
    settled(page)
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text(re.compile(r"Showing 1–25 of"))).to_be_visible()


def test_on_a_phone_a_ticket_is_a_full_screen_sheet_that_close_and_back_both_close(phone, seed_words):
    page = phone
    page.goto(f"/tickets?board=1&status={seed_words['new on Service Desk']}")
    row = _rows(page).first
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    expect(row.locator(".c-summary")).to_be_visible()  # a card: summary, then company, status, priority, age
    for cell in ("c-company", "c-status", "c-priority", "c-age"):
        expect(row.locator(f".{cell}")).to_be_visible()
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(page.locator(".shell")).to_have_js_property("inert", True)  # the queue behind is out of reach
    close = dialog.get_by_role("link", name=f"Close ticket #{ticket_id}")
    in_sight(close)
    expect(close).to_contain_text("Close")

    expect(dialog.locator(".fact-grid")).to_be_visible()
    settled(page)
    check_layout(page, "the ticket sheet")
    dialog.get_by_label("Change status").select_option(label=seed_words["waiting"])
    expect(page.locator(".toast")).to_contain_text(f"Ticket #{ticket_id}: New → {seed_words['waiting']}")
    dialog.get_by_label("Add note").fill("Called from the car park; user will test tonight.")
    dialog.get_by_role("button", name="Add note").click()
    expect(dialog.locator(f"#notes-{ticket_id} .note").last).to_contain_text("Called from the car park")
    in_sight(close)  # the title bar stays while the sheet scrolls

    page.go_back()  # the phone's Back closes the sheet and shows the queue
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"ticket="))
    expect(page.locator(".shell")).to_have_js_property("inert", False)

    settled(page)
    page.locator(f"#ticket-row-{ticket_id}").click()
    close = page.get_by_role("dialog", name=f"#{ticket_id}").get_by_role("link", name=f"Close ticket #{ticket_id}")
    close.click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f"#ticket-row-{ticket_id}")).to_be_focused()


def test_on_a_phone_quick_create_parses_and_creates_a_ticket(phone, sandbox, seed_words):
    page = phone
    created = _created(seed_words)
    before = sandbox.ticket_count()
    page.goto("/tickets")
    expect(_rows(page).first).to_be_visible()
    page.get_by_role("link", name="New ticket").click()
    dialog = page.get_by_role("dialog", name="New ticket")
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    dialog.get_by_role("tab", name="Quick Create").click()
    dialog.get_by_label("Describe the ticket").fill("New ticket for Acme Corp, Outlook not syncing for the CFO, high priority, assign to me")
    dialog.get_by_role("button", name="Parse").click()

    expect(dialog.get_by_label("Summary")).to_have_value("Outlook not syncing for the CFO")
    dialog.get_by_label(seed_words["Board"]).select_option(label="Service Desk")  # "Board Missing": none parsed
    expect(dialog.get_by_label("Status")).to_be_enabled()
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["urgent"])
    dialog.get_by_role("button", name="Create ticket").click()

    toast = page.locator(".toast").filter(has_text=created)
    expect(toast).to_be_in_viewport()
    ticket_id = created.search(toast.inner_text()).group(1)
    expect(page.get_by_role("dialog", name="New ticket")).to_have_count(0)
    expect(page.locator(f"#ticket-row-{ticket_id}")).to_contain_text("Outlook not syncing for the CFO")
    assert sandbox.ticket_count() == before + 1


@pytest.fixture
def session_with_a_suggestion(alice_mapping):
    from assist import services
    from psa.schemas import PSATicketDetail

    session = services.create_session(alice_mapping.account, alice_mapping.user, "Outlook crashes for the CFO")
    services.link_ticket(session, 1042, ticket=PSATicketDetail(id=1042, summary="Outlook crashes on launch",
                                                               company_id=251, board_id=1))
    services.post_message(session, "Outlook crashes on launch. Also the fax machine is dead.")
    return session


def test_on_a_phone_a_message_sends_and_a_spin_off_becomes_a_ticket(phone, session_with_a_suggestion, sandbox,
                                                                   seed_words):
    page = phone
    created = _created(seed_words)
    before = sandbox.ticket_count()
    page.goto(f"/assist/{session_with_a_suggestion.id}/")
    page.get_by_label("Message").fill("Safe mode works; rebuilding the profile now.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-user").last).to_contain_text("rebuilding the profile now")
    expect(page.locator(".message-assistant")).to_have_count(2)

    settled(page)
    lane = page.get_by_role("complementary", name="TaskLane")
    lane.get_by_role("link", name=re.compile("The fax machine is dead")).click()
    dialog = page.get_by_role("dialog", name="New ticket")
    dialog.get_by_role("button", name="Parse").click()
    expect(dialog.get_by_label("Summary")).to_have_value("The fax machine is dead")
    dialog.get_by_label("Status").select_option(label="New")
    dialog.get_by_label("Priority").select_option(label=seed_words["normal"])
    dialog.get_by_role("button", name="Create ticket").click()

    toast = page.locator(".toast").filter(has_text=created)
    expect(toast).to_be_visible()
    ticket_id = created.search(toast.inner_text()).group(1)
    expect(lane.get_by_role("link", name=f"Ticket #{ticket_id}")).to_be_visible()
    assert sandbox.ticket_count() == before + 1


def test_on_a_phone_my_queue_opens_the_sheet_and_close_returns_to_quickstart(phone, live_server):
    page = phone
    page.goto("/")
    rows = page.locator("#my-queue [data-queue-row]")
    expect(rows).to_have_count(5)
    settled(page)
    ticket_id = rows.first.get_attribute("data-ticket-id")
    rows.first.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog.get_by_label("Add note")).to_be_attached()
    dialog.get_by_role("link", name=f"Close ticket #{ticket_id}").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.url == live_server.url + "/"


def test_on_a_phone_an_engineer_maps_themselves_and_tests_the_connection(page, alice, connection, seed_words):
    page.set_viewport_size(PHONE)
    page.emulate_media(reduced_motion="reduce")
    log_in(page, "alice", "pw-alice")
    page.goto("/account/integrations")
    settled(page)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile(rf"Connected to {seed_words['psa']} v?\d"))
    page.get_by_label(f"Map my PSA {seed_words['member']}").select_option(label="John Smith (jsmith)")
    page.get_by_role("button", name=f"Map my PSA {seed_words['member']}").click()
    expect(page.locator("#my-mapping")).to_contain_text("You are mapped to John Smith (jsmith).")
    settled(page)
    check_layout(page, "the integrations page after mapping")


def test_on_a_phone_views_bulk_actions_and_log_time_work_by_tap(phone):
    """Issues 19 and 20 on a phone: save a view and find it (current) under Menu, change two tickets' status
    from the bulk bar, then log time in a ticket's sheet. Each tap is a real click on a control in sight."""
    page = phone
    page.goto("/tickets?board=1")
    settled(page)
    page.get_by_role("button", name="Save view").click()
    dialog = page.get_by_role("dialog", name="Save view")
    dialog.get_by_label("Name").fill("Desk")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    view = page.get_by_role("list", name="Views").get_by_role("link", name="Desk")
    expect(view).to_have_attribute("aria-current", "page")
    menu.click()
    expect(view).to_be_hidden()

    settled(page)
    ids = [row.get_attribute("id").removeprefix("ticket-row-") for row in _rows(page).all()[:2]]
    for ticket_id in ids:
        page.get_by_role("checkbox", name=f"Select #{ticket_id}").click()
    toolbar = page.get_by_role("toolbar", name="Bulk actions")
    expect(toolbar).to_contain_text("2 selected")
    toolbar.get_by_role("button", name="Change status").click()
    page.get_by_label("Move to").select_option("Escalated")
    page.get_by_role("button", name="Apply status").click()
    expect(page.get_by_role("status").and_(page.locator("#bulk-result"))).to_contain_text("2 of 2 done")
    check_layout(page, "the queue with a bulk result")

    settled(page)
    page.locator(f"#ticket-row-{ids[0]}").click()
    sheet = page.get_by_role("dialog", name=f"#{ids[0]}")
    expect(sheet.get_by_role("heading", name="Time")).to_be_visible()
    settled(page)
    entries = sheet.get_by_role("list", name="Time entries").locator("li.time-entry")
    before = entries.count()
    sheet.get_by_label("Duration").fill("45m")
    sheet.get_by_role("textbox", name="Notes").fill("Reseated the toner on site")
    sheet.get_by_role("button", name="Log time").click()
    expect(entries).to_have_count(before + 1)
    expect(entries.last).to_contain_text("Reseated the toner on site")
    check_layout(page, "the ticket sheet after Log time")
