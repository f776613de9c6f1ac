"""From a fresh database to a team working its queue, in a real browser: the first user signs in, sets
up the team, connects the ConnectWise sandbox, maps themselves and invites a colleague, who accepts
the link and sees the queue."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORT, log_in, settled

pytestmark = pytest.mark.e2e


def test_first_user_sets_up_the_team_and_a_colleague_joins_from_the_invitation(page, browser, live_server, sandbox, settings):
    settings.EMAIL_CONFIGURED = False  # a fresh install: no email backend
    User.objects.create_superuser("founder", "founder@acme.example", "pw-founder")

    # 1. Sign in on a fresh install: straight to setup.
    log_in(page, "founder", "pw-founder")
    page.wait_for_url(re.compile(r"/setup/$"))
    page.get_by_label("Team name").fill("Acme MSP")
    page.get_by_role("button", name="Create team").click()

    # 2. Connect the sandbox (the admin's connection form) and test it.
    page.wait_for_url(re.compile(r"/account/integrations$"))
    expect(page.get_by_text("Team Acme MSP created. Next: connect ConnectWise.")).to_be_visible()
    expect(page.locator("#getting-started")).to_contain_text("Connect ConnectWise")
    page.get_by_label("Site").fill("sandbox")
    page.get_by_label("Company id").fill("sandbox")
    page.get_by_label("Public key").fill("sandbox-public")
    page.get_by_label("Private key").fill("sandbox-private")
    page.get_by_role("button", name="Create connection").click()
    expect(page.locator("#toasts")).to_contain_text("Connection created")
    settled(page)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile(r"Connected to ConnectWise v\d"))

    # 3. Map yourself.
    settled(page)
    page.get_by_label("Map my PSA member").select_option(label="John Smith (jsmith)")
    page.get_by_role("button", name="Map my PSA member").click()
    expect(page.locator("#my-mapping")).to_contain_text("You are mapped to John Smith (jsmith).")

    # 4. Invite a colleague (no email configured: the link is shown to copy).
    page.get_by_role("link", name="Team").click()
    page.wait_for_url(re.compile(r"/account/team$"))
    page.get_by_label("Email address").fill("dana@acme.example")
    page.get_by_role("button", name="Create invitation").click()
    link = page.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/invite/"))
    invitation_url = link.input_value()
    expect(page.locator("#invitations")).to_contain_text("dana@acme.example")

    # 5. The colleague, in their own browser, accepts and lands in the queue.
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    try:
        dana = context.new_page()
        dana.goto(invitation_url)
        expect(dana.get_by_role("heading", name="Join Acme MSP")).to_be_visible()
        dana.get_by_label("Username").fill("dana")
        dana.get_by_label("Password", exact=True).fill("a-long-passphrase-77")
        dana.get_by_label("Password confirmation").fill("a-long-passphrase-77")
        dana.get_by_role("button", name="Create my user and join").click()
        dana.wait_for_url(re.compile(r"/tickets$"))
        expect(dana.get_by_text("Welcome to Acme MSP.")).to_be_visible()
        expect(dana.locator("[data-row]").first).to_be_visible()
    finally:
        context.close()

    # The admin sees the colleague in the team.
    page.reload()
    expect(page.locator("#members")).to_contain_text("dana")


def test_a_user_in_no_team_sees_the_friendly_page(page, account):
    User.objects.create_user("loner", "loner@example.com", "pw-loner")

    log_in(page, "loner", "pw-loner")
    for url in ("/", "/tickets", "/assist/", "/account/integrations", "/account/team"):
        page.goto(url)
        expect(page.get_by_role("heading", name="You're not in a team yet")).to_be_visible()
