"""Every page and state on a phone (390x844) and on a desktop (1440x900): nothing scrolls sideways, every
control sits within the screen's width (reachable by scrolling down), the buttons that finish or leave a
flow are in sight, and axe-core finds no serious or critical accessibility problem.

One test per screen loads it once per size and checks layout and accessibility together (page loads
are the cost of a browser test). The audit runs in a context that ignores the Content-Security-Policy
(``bypass_csp``): axe-core is injected into the page, which the CSP exists to refuse. Every other
browser test runs with the CSP on (tests/e2e/test_csp_browser.py watches it). axe-core itself comes
from the ``axe-playwright-python`` package (it bundles ``axe.min.js``; see the README).

On a phone (and any touch screen) the layout check also asks for what a thumb needs: fields in 16 px text (mobile
Safari zooms into smaller ones) and buttons, fields and rows at least 44 px tall. Links inside
sentences are exempt, as in WCAG.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import FIRST_LOAD_MS, TIMEOUT_MS, log_in, settled

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
BLOCKING = ("serious", "critical")

# What the layout check measures, in the page: sideways overflow, controls outside the screen's width,
# and on phones (< 768 px) and touch screens controls too small for a finger and fields whose text makes
# Safari zoom.
LAYOUT_JS = r"""() => {
  const thumbs = innerWidth < 768 || matchMedia("(pointer: coarse)").matches;  // a phone, or any touch screen
  const name = el => (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "").trim().replace(/\s+/g, " ").slice(0, 40);
  const describe = el => `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> "${name(el)}"`;
  const controls = [...document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex='0']")]
    .filter(el => el.checkVisibility({ visibilityProperty: true }) && !el.closest("[inert]"))
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1; });
  const found = { scrollWidth: document.documentElement.scrollWidth, innerWidth, outside: [], small: [], smallText: [] };
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > innerWidth + 0.5) found.outside.push(`${describe(el)} spans x ${Math.round(r.left)}–${Math.round(r.right)}`);
    if (!thumbs) continue;
    const field = el.matches("input:not([type=checkbox]):not([type=radio]), select, textarea");
    const button = el.matches("button, [role=button], a.btn, a.btn-icon, a.row, a.queue-row, summary");
    if ((field || button) && r.height < 43.5) found.small.push(`${describe(el)} is ${Math.round(r.height)} px tall`);
    if (field && parseFloat(getComputedStyle(el).fontSize) < 16) found.smallText.push(`${describe(el)} has ${getComputedStyle(el).fontSize} text`);
  }
  return found;
}"""

_axe = Axe()


def check_layout(page, where: str):
    """No sideways scrolling; every visible control within the screen's width; on a phone, thumb-sized."""
    found = page.evaluate(LAYOUT_JS)
    width = found["innerWidth"]
    assert found["scrollWidth"] <= width, f"{where} at {width} px scrolls sideways: the page is {found['scrollWidth']} px wide"
    assert not found["outside"], f"{where} at {width} px has controls outside the screen: {found['outside']}"
    assert not found["small"], f"{where} at {width} px has controls under 44 px: {found['small']}"
    assert not found["smallText"], f"{where} at {width} px has fields under 16 px: {found['smallText']}"


def audit(page, where: str):
    """axe-core's rules (WCAG 2.1 A and AA, and its best practices) on the page as it is: no serious or critical finding."""
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    width = page.viewport_size["width"]
    assert not blocking, f"axe on {where} at {width} px:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in blocking
    )


def check(page, where: str):
    settled(page)
    check_layout(page, where)
    audit(page, where)


def in_sight(locator):
    """The control is on the screen now (no scrolling needed)."""
    expect(locator).to_be_visible()
    expect(locator).to_be_in_viewport()


def reachable(locator):
    """The control can be scrolled to and is then on the screen."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_in_viewport()


@pytest.fixture
def audit_context(browser, live_server, transactional_db):
    """A browser context for the audit: the CSP is bypassed so axe-core can be injected. Reduced motion:
    the drawer's slide-in would otherwise be measured half-way (24 px to the right)."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def audit_page(audit_context, alice_mapping):
    """alice (an admin of Acme MSP, connected to the sandbox and mapped), signed in, in the audit context."""
    page = audit_context.new_page()
    page.goto("/login/", timeout=FIRST_LOAD_MS)  # a cold live server and renderer may be slow the first time
    return log_in(page, "alice", "pw-alice")


@SIZES
def test_the_sign_in_and_password_pages_fit_and_pass_axe(audit_context, account, alice, size):
    from teams.models import Invitation

    _, token = Invitation.issue(account, by=alice, email="dana@acme.example")
    page = audit_context.new_page()
    page.set_viewport_size(size)
    page.goto("/login/", timeout=FIRST_LOAD_MS)
    check(page, "the sign-in page")
    in_sight(page.get_by_role("button", name="Sign in"))

    page.goto("/password-reset/")
    check(page, "the password reset page")

    page.goto(f"/invite/{token}")
    expect(page.get_by_role("heading", name="Join Acme MSP")).to_be_visible()
    check(page, "the invitation page")
    reachable(page.get_by_role("button", name="Create my user and join"))


@SIZES
def test_quickstart_fits_and_passes_axe(audit_page, size):
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/")
    expect(page.locator("#my-queue [data-queue-row]")).to_have_count(5)
    check(page, "QuickStart")
    widgets = [page.locator(f"#{id}").bounding_box() for id in ("my-queue", "active-sessions")]
    if size["width"] < 768:  # stacked, each the full width
        assert widgets[1]["y"] >= widgets[0]["y"] + widgets[0]["height"]
    else:  # side by side
        assert widgets[1]["x"] >= widgets[0]["x"] + widgets[0]["width"]


TOAST_WITH_RETRY = """() => document.body.dispatchEvent(new CustomEvent("toast", {bubbles: true, detail: {
  message: "Ticket #1043 created; the link note on #1042 could not be added", level: "error",
  action: {label: "Retry", method: "post", url: "/integrations/psa/tickets/1043/spin-off-links/retry"}}}))"""


@SIZES
def test_the_queue_its_filters_and_the_drawer_fit_and_pass_axe(audit_page, size, seed_words):
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    check(page, "the queue")
    page.evaluate(TOAST_WITH_RETRY)  # what a spin-off whose link note failed shows (tests/e2e/test_assist_spin_off.py)
    toast = page.locator(".toast").filter(has=page.get_by_role("button", name="Retry"))
    expect(toast).to_be_visible()
    check(page, "the queue with a toast offering Retry")
    toast.get_by_role("button", name="Dismiss").click()
    in_sight(page.get_by_role("link", name="New ticket"))
    if size["width"] < 768:
        filters = page.get_by_role("button", name="Filters")
        in_sight(filters)
        expect(page.get_by_label(seed_words["Board"], exact=True)).to_be_hidden()
        filters.click()
        expect(page.get_by_label(seed_words["Board"], exact=True)).to_be_visible()
        check(page, "the queue with its filters open")
    else:
        expect(page.get_by_label(seed_words["Board"], exact=True)).to_be_visible()
    company = page.get_by_role("combobox", name="Company")  # a typeahead: its listbox open, then closed
    company.fill("acme")
    expect(page.locator("#id_company_name-listbox").get_by_role("option").first).to_be_visible()
    check(page, "the queue with the company picker open")
    company.press("Escape")
    expect(page.locator("#id_company_name-listbox")).to_be_hidden()
    reachable(page.get_by_role("button", name="Next"))

    row = page.locator("#results [data-row]").first
    row.scroll_into_view_if_needed()
    ticket_id = row.get_attribute("id").removeprefix("ticket-row-")
    row.click()
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog.locator(".fact-grid")).to_be_visible()
    check(page, "the ticket drawer")
    in_sight(dialog.get_by_role("link", name=f"Close ticket #{ticket_id}"))
    reachable(dialog.get_by_role("button", name="Add note"))
    in_sight(dialog.get_by_role("link", name=f"Close ticket #{ticket_id}"))  # still there after scrolling


@SIZES
def test_the_new_ticket_modal_fits_on_both_tabs_and_after_a_parse_and_passes_axe(audit_page, size):
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/tickets")
    expect(page.locator("#results [data-row]").first).to_be_visible()
    page.get_by_role("link", name="New ticket").click()
    dialog = page.get_by_role("dialog", name="New ticket")
    expect(dialog.get_by_label("Summary")).to_be_visible()
    check(page, "the New Ticket modal (Full Form)")
    in_sight(dialog.get_by_role("link", name="Cancel"))
    in_sight(dialog.get_by_role("button", name="Create ticket"))
    member = dialog.get_by_role("combobox", name="Assigned member")  # a typeahead, open
    member.fill("a")
    expect(dialog.locator("#nt-member-listbox").get_by_role("option").first).to_be_visible()
    check(page, "the New Ticket modal with the member picker open")
    member.press("Escape")
    expect(dialog).to_be_visible()  # Escape closed the listbox, not the modal
    expect(dialog.locator("#nt-member-listbox")).to_be_hidden()

    dialog.get_by_role("tab", name="Quick Create").click()
    expect(dialog.get_by_label("Describe the ticket")).to_be_visible()
    check(page, "the New Ticket modal (Quick Create)")
    in_sight(dialog.get_by_role("button", name="Parse"))
    in_sight(dialog.get_by_role("link", name="Cancel"))

    dialog.get_by_label("Describe the ticket").fill("Acme Corp: Outlook not syncing for the CFO, high priority, assign to me")
    dialog.get_by_role("button", name="Parse").click()
    expect(dialog.get_by_text("Review before creating")).to_be_visible()
    check(page, "the New Ticket modal after a parse")
    for control in (dialog.get_by_role("button", name="Parse again"), dialog.get_by_role("link", name="Cancel"),
                    dialog.get_by_role("button", name="Create ticket")):
        in_sight(control)
    reachable(dialog.get_by_label("Description"))
    in_sight(dialog.get_by_role("button", name="Create ticket"))  # the action bar stays while the form scrolls


@pytest.fixture
def session_with_a_suggestion(alice_mapping):
    """alice's Assist session linked to ticket #1042, with a reply and a pending spin-off suggestion."""
    from assist import services
    from psa.schemas import PSATicketDetail

    session = services.create_session(alice_mapping.account, alice_mapping.user, "Outlook crashes for the CFO")
    services.link_ticket(session, 1042, ticket=PSATicketDetail(id=1042, summary="Outlook crashes on launch",
                                                               company_id=251, board_id=1))
    services.post_message(session, "Outlook crashes on launch. Also the fax machine is dead.")
    return session


@SIZES
def test_assist_fits_with_the_tasklane_below_the_chat_on_a_phone_and_passes_axe(audit_page, session_with_a_suggestion, size):
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/assist/")
    check(page, "the Assist sessions page")

    page.goto(f"/assist/{session_with_a_suggestion.id}/")
    expect(page.locator(".message-assistant")).to_be_visible()
    check(page, "an Assist session")
    chat, lane = page.locator("#chat").bounding_box(), page.locator("#tasklane").bounding_box()
    box = page.get_by_label("Message").bounding_box()
    if size["width"] < 768:
        assert lane["y"] >= chat["y"] + chat["height"], "the TaskLane is below the chat"
        assert box["width"] >= chat["width"] - 40, "the message box keeps the chat's width"
    else:
        assert lane["x"] >= chat["x"] + chat["width"], "the TaskLane is beside the chat"
    reachable(page.get_by_role("button", name="Send"))
    reachable(page.get_by_role("link", name="New Ticket", exact=True))
    reachable(page.get_by_role("complementary", name="TaskLane").get_by_role("link").first)


@SIZES
def test_integrations_and_the_team_page_fit_and_pass_axe(audit_page, account, alice, bob, size):
    from teams.models import Invitation

    Invitation.issue(account, by=alice, email="dana@acme.example")
    page = audit_page
    page.set_viewport_size(size)
    page.goto("/account/integrations")
    expect(page.locator("#mappings tr").first).to_be_visible()
    check(page, "the integrations page")
    reachable(page.get_by_role("button", name="Save connection"))
    reachable(page.get_by_role("button", name="Test connection"))
    reachable(page.get_by_label("ResolutionFlow user for Sam Wilson"))

    page.goto("/account/team")
    check(page, "the team page")
    reachable(page.get_by_label("Role of bob"))
    reachable(page.get_by_role("button", name="Remove"))
    reachable(page.get_by_role("button", name="Create invitation"))
    reachable(page.get_by_role("button", name="Withdraw"))
