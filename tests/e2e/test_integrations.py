"""/account/integrations in a real browser: map yourself (My Queue goes from Prompt to Populated), save and test."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, settled

pytestmark = pytest.mark.e2e

# What the page says on each PSA: its name, its word for a member, and the secret field's label.
WORDS = {
    "connectwise": {"psa": "ConnectWise", "member": "member", "members": "members", "secret": "Private key",
                    "version": r"Connected to ConnectWise v\d"},
    "autotask": {"psa": "Autotask", "member": "resource", "members": "resources", "secret": re.compile(r"^Secret"),
                 "version": r"Connected to Autotask \d"},
}


def test_mapping_yourself_turns_the_prompt_into_your_queue(page, alice, connection, psa_kind):
    words = WORDS[psa_kind]
    log_in(page, "alice", "pw-alice")
    page.goto("/")
    prompt = page.get_by_role("link", name=f"Map your PSA {words['member']} to see your queue")
    expect(prompt).to_be_visible()
    prompt.click()
    page.wait_for_url(re.compile(r"/account/integrations$"))
    settled(page)  # the member mappings load in their own request

    page.get_by_label(f"Map my PSA {words['member']}").select_option(label="John Smith (jsmith)")
    page.get_by_role("button", name=f"Map my PSA {words['member']}").click()
    expect(page.locator("#my-mapping")).to_contain_text("You are mapped to John Smith (jsmith).")
    expect(page.locator("#toasts")).to_contain_text("You are now mapped to John Smith")
    expect(page.locator("#mappings tr.is-mapped")).to_contain_text("John Smith")

    page.goto("/")
    expect(page.locator("#my-queue [data-queue-row]")).to_have_count(5)
    expect(page.get_by_text(f"Map your PSA {words['member']} to see your queue")).to_have_count(0)


def test_an_admin_saves_the_connection_and_tests_it(page, alice, connection, psa_kind):
    words = WORDS[psa_kind]
    log_in(page, "alice", "pw-alice")
    page.goto("/account/integrations")
    settled(page)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile(words["version"]))

    page.get_by_label(words["secret"]).fill("not-the-key")
    page.get_by_role("button", name="Save connection").click()
    expect(page.locator("#toasts")).to_contain_text("Connection saved")
    expect(page.get_by_label(words["secret"])).to_have_value("")
    settled(page)  # the saved connection (Test connection included) was swapped in; the mappings reload
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Bad credentials")
    # The members table reloaded after the save (it uses the new, wrong keys): an inline error with Retry.
    expect(page.locator("#mappings")).to_contain_text(f"Could not load {words['psa']} {words['members']}.")


def test_a_member_sees_the_connection_read_only_but_can_map_themselves(page, bob, connection, psa_kind):
    member = WORDS[psa_kind]["member"]
    log_in(page, "bob", "pw-bob")
    page.goto("/account/integrations")
    expect(page.get_by_text("Only account admins can change the connection.")).to_be_visible()
    expect(page.get_by_role("button", name="Save connection")).to_have_count(0)
    settled(page)  # the member mappings load in their own request
    page.get_by_label(f"Map my PSA {member}").select_option(label="Sam Wilson (swilson)")
    page.get_by_role("button", name=f"Map my PSA {member}").click()
    expect(page.locator("#my-mapping")).to_contain_text("You are mapped to Sam Wilson")
    page.goto("/")
    expect(page.get_by_text("No open tickets assigned to you")).to_be_visible()
