"""Browser-test fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Reusable by every browser test:

* ``browser`` (session): headless chromium at ``/usr/bin/chromium`` (override with ``CHROMIUM``);
  the module is skipped when it is missing.
* ``page``: a fresh context/page whose ``base_url`` is the live server, 1280x800, 15 s timeouts.
* ``logged_in_page``: ``page`` signed in as alice through the login page; Acme MSP is connected to the
  in-process ConnectWise sandbox (reset for each test) and alice is mapped to its first member.
* ``settled(page)``: waits until the page's htmx work is done (see below); call it before using
  anything that arrived in a swap.

Timeouts: actions and ``expect`` wait up to 15 s (``TIMEOUT_MS``; Playwright's ``expect`` default is
5 s). What a test waits for is usually one or two requests to the live server, each calling the
sandbox; on CI's two loaded cores that takes seconds, not milliseconds. The first page of a test
process (cold renderer and live server) is loaded once by ``page`` with up to 60 s.

Swapped-in content: htmx binds what it swaps in (``hx-post``, ``hx-trigger="change"``, ``hx-get``)
only when it *settles* the swap, a timer later. A select changed or a button clicked in between is
not an htmx request: the change is lost, or the form is submitted as a full page. So a test waits
for ``settled(page)`` — no section still loading (``aria-busy``), no request in flight, nothing
swapped in and not yet bound (htmx's ``htmx-added`` class, removed just before binding) — before it
touches a drawer section, My Queue, the member mappings or any other swapped-in control.

Playwright's sync API runs an event loop in this thread, so Django's async-safety check is
relaxed for browser tests (``DJANGO_ALLOW_ASYNC_UNSAFE``); the live server needs
``transactional_db`` so its thread sees the fixtures' rows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
FIRST_LOAD_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)

# Anything htmx has not finished with: a section still to load, a request in flight, a swap not yet settled.
HTMX_BUSY = "[aria-busy='true'], .htmx-request, .htmx-swapping, .htmx-added, .htmx-settling"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_warmed_up = False


@pytest.fixture
def page(browser, live_server, transactional_db):
    global _warmed_up
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if not _warmed_up:
        # A process's first page load starts chromium's renderer and the live server's lazy imports:
        # 0.2 s warm, 5 s and more cold on two loaded cores. Pay for it here, not in a test's timeout.
        page.goto("/login/", timeout=FIRST_LOAD_MS)
        _warmed_up = True
    yield page
    context.close()


def settled(page):
    """Wait until every section on the page has loaded and htmx has bound everything it swapped in."""
    expect(page.locator(HTMX_BUSY)).to_have_count(0)
    return page


def log_in(page, username: str, password: str):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture
def logged_in_page(page, alice_mapping):
    return log_in(page, "alice", "pw-alice")


# --- the large sandbox served to the live server (issue 17: the typeahead pickers at MSP scale) -------------


@pytest.fixture
def large_page(page, alice_mapping, monkeypatch):
    """``page`` signed in as alice while the live server's ConnectWise is the large sandbox (5,000 companies,
    20,000 contacts, 300 members, 200,000 tickets; ``tests/large_sandbox.py`` builds it once per test process
    and fixes its clock). The first 23 companies and 11 members are the default seed's, so alice stays mapped
    to jsmith. The sandbox is reset before and after, and providers built for the default one are forgotten."""
    from psa.registry import forget
    from psa.sandbox import app
    from tests.large_sandbox import large_sandbox

    sandbox = large_sandbox()
    sandbox.reset()
    forget()
    monkeypatch.setattr(app, "_default", sandbox)
    log_in(page, "alice", "pw-alice")
    yield page
    sandbox.reset()
    forget()


def choose_option(page, combobox, text: str, option: str):
    """Choose ``option`` in a typeahead picker (tickets/combobox.html) as a keyboard user does: type ``text``, wait
    for the answer to it (every option mentions its first word; not the first page a focus asked for), ArrowDown
    until the option whose label starts with ``option`` is the active descendant, Enter. The listbox closes and the
    box shows the label."""
    combobox.fill(text)
    listbox = page.locator("#" + combobox.get_attribute("aria-controls"))
    expect(listbox).to_be_visible()
    first_word = re.compile(re.escape(text.split()[0]), re.I)
    expect(listbox.get_by_role("option").filter(has_not_text=first_word)).to_have_count(0)
    wanted = listbox.locator('[role="option"][data-label^="{}"]'.format(option.replace("\\", "\\\\").replace('"', '\\"')))
    expect(wanted).to_have_count(1)
    target = wanted.get_attribute("id")
    for _ in range(listbox.get_by_role("option").count()):
        combobox.press("ArrowDown")
        if combobox.get_attribute("aria-activedescendant") == target:
            break
    expect(combobox).to_have_attribute("aria-activedescendant", target)
    expect(wanted).to_have_attribute("aria-selected", "true")
    combobox.press("Enter")
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_value(re.compile("^" + re.escape(option)))


# What a browser test chooses and reads on each PSA's seed (both sandboxes have the Service Desk board/queue,
# a "New" status, Acme Corp and jsmith; the priorities' names and the product's words differ).
SEED_WORDS = {
    "connectwise": {"psa": "ConnectWise", "Board": "Board", "Member": "Member", "member": "member",
                    "urgent": "Priority 1 - Emergency Response", "normal": "Priority 3 - Normal Response",
                    "new on Service Desk": "11", "waiting": "Waiting on Client",
                    "item selects": 1},
    "autotask": {"psa": "Autotask", "Board": "Queue", "Member": "Resource", "member": "resource",
                 "urgent": "Critical", "normal": "Medium", "new on Service Desk": "1", "waiting": "Waiting Customer",
                 "item selects": 0},  # Autotask has no third level under issue / sub-issue type
}


@pytest.fixture
def seed_words(psa_kind) -> dict[str, str]:
    """Names and words that a browser test chooses or expects, on the PSA this run connects to."""
    return SEED_WORDS[psa_kind]
