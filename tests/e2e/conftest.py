"""Browser-test fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Reusable by every browser test:

* ``browser`` (session): headless chromium at ``/usr/bin/chromium`` (override with ``CHROMIUM``);
  the module is skipped when it is missing.
* ``page``: a fresh context/page whose ``base_url`` is the live server, 1280x800, 10 s timeouts.
* ``logged_in_page``: ``page`` signed in as alice through the login page; Acme MSP is connected to the
  in-process ConnectWise sandbox (reset for each test) and alice is mapped to its first member.

Playwright's sync API runs an event loop in this thread, so Django's async-safety check is
relaxed for browser tests (``DJANGO_ALLOW_ASYNC_UNSAFE``); the live server needs
``transactional_db`` so its thread sees the fixtures' rows.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


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


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


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
