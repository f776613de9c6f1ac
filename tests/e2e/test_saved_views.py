"""Saved views in a real browser (issue 20, part 1): "Save view" stores the queue's filters under a name, the
sidebar's "Views" list shows it with its open count, a shared view reaches a colleague and no other account,
and the manage page renames, reorders, deletes and picks the default that a bare /tickets opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, settled
from tests.e2e.test_responsive import SIZES, audit_context, audit_page, check  # noqa: F401 (fixtures)
from tickets.models import SavedView

pytestmark = pytest.mark.e2e


def _views(page):
    return page.get_by_role("navigation", name="Main").get_by_role("list", name="Views")


def _save_view(page, name: str, *, share: bool = False):
    page.get_by_role("button", name="Save view").click()
    dialog = page.get_by_role("dialog", name="Save view")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill(name)
    if share:
        dialog.get_by_label("Share with my team").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()


def test_save_view_keeps_the_filters_and_lists_the_view_with_its_open_count(logged_in_page, seed_words):
    page = logged_in_page
    page.goto("/tickets?board=1")
    settled(page)
    _save_view(page, "Service Desk")
    link = _views(page).get_by_role("link", name="Service Desk", exact=True)
    expect(link).to_have_attribute("href", "/tickets?board=1")
    expect(_views(page).get_by_role("listitem").filter(has=page.get_by_role("link", name="Service Desk", exact=True))) \
        .to_contain_text(re.compile(r"open tickets: \d+"))
    page.goto("/tickets")
    _views(page).get_by_role("link", name="Service Desk", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets\?board=1$"))
    expect(page.get_by_label(seed_words["Board"], exact=True)).to_have_value("1")
    expect(_views(page).get_by_role("link", name="Service Desk", exact=True)).to_have_attribute("aria-current", "page")
    settled(page)
    page.get_by_label(seed_words["Board"], exact=True).select_option("2")  # other filters: no longer the view
    expect(page).to_have_url(re.compile(r"board=2"))
    expect(_views(page).get_by_role("link", name="Service Desk", exact=True)).not_to_have_attribute("aria-current", "page")


def test_a_view_needs_a_name(logged_in_page):
    page = logged_in_page
    page.goto("/tickets")
    page.get_by_role("button", name="Save view").click()
    dialog = page.get_by_role("dialog", name="Save view")
    dialog.get_by_label("Name").fill(" ")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("Give the view a name")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Save view")).to_be_focused()


def test_a_shared_view_appears_for_a_colleague_and_not_for_another_account(logged_in_page, bob, charlie, other_connection):
    page = logged_in_page
    page.goto("/tickets?board=1")
    settled(page)
    _save_view(page, "Team triage", share=True)
    _save_view(page, "Alice only")
    expect(_views(page).get_by_role("link", name="Alice only")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, "bob", "pw-bob")
    page.goto("/tickets?assigned=all")
    expect(_views(page).get_by_role("link", name="Team triage")).to_be_visible()
    expect(_views(page).get_by_role("link", name="Alice only")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    log_in(page, "charlie", "pw-charlie")
    page.goto("/tickets")
    settled(page)
    expect(page.get_by_role("link", name="Team triage")).to_have_count(0)
    expect(_views(page)).to_have_count(0)


def test_rename_reorder_default_and_delete_on_the_manage_page(logged_in_page):
    page = logged_in_page
    page.on("dialog", lambda dialog: dialog.accept())  # the "Delete the view …?" confirmation
    page.goto("/tickets?board=1")
    settled(page)
    _save_view(page, "Desk")
    page.goto("/tickets?board=2")
    settled(page)
    _save_view(page, "Projects")

    _views(page).get_by_role("link", name="Manage views").click()
    desk = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Desk", exact=True))
    desk.get_by_label("New name for Desk").fill("Service Desk")
    desk.get_by_role("button", name="Rename Desk").click()
    expect(_views(page).get_by_role("link", name="Service Desk")).to_be_visible()

    projects = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Projects", exact=True))
    projects.get_by_role("button", name="Move up Projects").click()
    expect(_views(page).get_by_role("link")).to_have_text(["Projects", "Service Desk", "Manage views"])

    page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Projects", exact=True)) \
        .get_by_role("button", name="Make default Projects").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets\?board=2$"))

    page.goto("/tickets/views")
    page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Projects", exact=True)) \
        .get_by_role("button", name="Delete Projects").click()
    # The manage list is redrawn from the delete's answer (the sidebar's list loads after the page, so its
    # having no "Projects" link proves nothing until then).
    expect(page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Projects", exact=True))) \
        .to_have_count(0)
    expect(_views(page).get_by_role("link", name="Projects")).to_have_count(0)
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Service Desk"]


@SIZES
def test_the_save_view_dialog_and_the_views_list_fit_and_pass_axe(audit_page, size):  # noqa: F811 - the imported fixture
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/tickets?board=1")
    settled(page)
    _save_view(page, "Service Desk", share=True)
    if size["width"] < 768:
        page.get_by_role("button", name="Menu").click()
    expect(_views(page).get_by_role("link", name="Service Desk")).to_be_visible()
    check(page, "the queue with the Views list")
    if size["width"] < 768:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("dialog", name="Save view")).to_be_visible()
    check(page, "the Save view dialog")
    page.goto("/tickets/views")
    check(page, "the saved views page")
