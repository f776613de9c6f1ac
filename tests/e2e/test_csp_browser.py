"""In a real browser: PSA text with HTML/JS stays text, and the CSP is never violated.

The sandbox is poisoned (tests/security/test_xss.poison_sandbox): summaries, the company, contacts,
a note, a configuration, a member and a status carry ``<script>alert(1)</script>`` and
``"><img src=x onerror=alert(1)>``. The tickets page, the drawer (all sections), a note added from the
composer (and its toast), My Queue and the New Ticket modal are used; no dialog may open, no
``securitypolicyviolation`` event fire, no CSP console error or page error appear. A control test
proves the listener does catch a violation (an injected inline script).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_option, settled
from tests.security.test_xss import PAYLOAD, SCRIPT, poison_sandbox

pytestmark = pytest.mark.e2e

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""


@pytest.fixture
def watched(logged_in_page):
    """alice's page with listeners for dialogs, CSP violations, CSP console messages and page errors."""
    page = logged_in_page
    seen = {"dialogs": [], "console": [], "errors": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: seen["console"].append(m.text)
            if re.search(r"Content Security Policy|Refused to", m.text) else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.add_init_script(LISTEN)
    return page, seen


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def _assert_clean(page, seen):
    assert seen["dialogs"] == [], seen["dialogs"]
    assert _violations(page) == []
    assert seen["console"] == [], seen["console"]
    assert seen["errors"] == [], seen["errors"]


def test_poisoned_tickets_and_drawer_stay_text_without_csp_violations(watched, sandbox, alice, account, seed_words):
    page, seen = watched
    ids = poison_sandbox(sandbox, account, alice)

    page.goto(f"/tickets?company={ids['company']}")
    row = page.locator(f"#ticket-row-{ids['ticket']}")
    expect(row.locator(".c-summary")).to_contain_text(SCRIPT)  # shown as text
    expect(row.locator(".c-company")).to_contain_text("onerror=alert(1)")
    assert page.locator("#results img").count() == 0

    row.click()
    dialog = page.locator("#drawer [data-drawer]")
    expect(dialog.locator(".drawer-summary")).to_contain_text(SCRIPT)
    expect(dialog.locator(".notes")).to_contain_text(f"Note {SCRIPT}")
    expect(dialog.locator(".configs")).to_contain_text(f"Config {SCRIPT}")
    expect(dialog.locator(".related")).to_contain_text(SCRIPT)
    expect(dialog.locator(".fact-grid")).to_contain_text(f"Contact {SCRIPT}")
    add_member = dialog.get_by_role("combobox", name=f"Add {seed_words['member']}")  # Add resource on Autotask
    expect(add_member).to_be_visible()
    assert page.locator("#drawer img").count() == 0
    settled(page)  # the drawer's sections (the composer and Add member among them) are bound

    composer = dialog.locator(".composer textarea")
    composer.fill(f"Mine {PAYLOAD}")
    dialog.get_by_role("button", name="Add note").click()
    expect(dialog.locator(".notes")).to_contain_text(f"Mine {SCRIPT}")
    expect(page.locator("#toasts .toast").first).to_be_visible()

    # The member with the payload name: added (its toast carries the name as text).
    choose_option(page, add_member, "Ana", f"Ana {PAYLOAD}")  # shown as text
    dialog.locator(".add-resource").get_by_role("button", name="Add").click()
    expect(page.locator("#toasts")).to_contain_text(f"Ana {SCRIPT}")
    assert page.locator("#toasts img").count() == 0

    _assert_clean(page, seen)


def test_poisoned_my_queue_and_modal_stay_text_without_csp_violations(watched, sandbox, alice, account):
    page, seen = watched
    poison_sandbox(sandbox, account, alice)

    page.goto("/")
    expect(page.locator("#my-queue[data-state='populated']")).to_contain_text(SCRIPT)
    assert page.locator("#my-queue img").count() == 0

    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    page.keyboard.press("n")
    modal = page.locator("#modal dialog[data-modal]")
    expect(modal).to_be_visible()
    page.locator("#nt-summary").fill(PAYLOAD)
    page.locator("#nt-company").fill(f"Evil Co {PAYLOAD}")
    expect(page.locator("#nt-company-listbox [role='option']").first).to_contain_text(SCRIPT)  # the picker: text
    modal.locator("[data-create]").click()
    expect(page.locator("#nt-summary")).to_have_value(PAYLOAD)  # the draft re-rendered, still text
    assert page.locator("#modal img").count() == 0

    _assert_clean(page, seen)


def test_the_listener_does_catch_a_violation(watched):
    """Control: an inline script injected into the page is blocked, and the test would see it."""
    page, seen = watched
    page.goto("/tickets")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true;';
        document.body.appendChild(s);
    }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran === true") is False
    assert any(v.startswith("script-src") for v in _violations(page))
