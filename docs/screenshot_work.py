"""Takes docs/bulk-bar.png (the queue with three tickets selected, the Bulk actions bar and a status change's
per-ticket result) and docs/time-section.png (a ticket's drawer scrolled to its Time section: entries, total,
the running timer, Log time), from the demo data, at 1440x900.

    .venv/bin/python docs/screenshot_work.py

Same set-up as docs/screenshot.py (a throw-away SQLite database, the demo data, the in-process sandbox, the
app on a loopback port, Debian's chromium through Playwright), whose server helpers it reuses.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
from screenshot import CHROMIUM, CHROMIUM_ARGS, _QuietHandler, _ThreadingServer  # noqa: E402


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="rf-screenshot-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("demo", setup_only=True, verbosity=0)
    server = make_server("127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()),
                         server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/tickets")
        page.wait_for_selector("#bulk-form", state="attached")

        rows = page.locator("#results [data-bulk-check]")
        for index in (0, 1, 2):
            rows.nth(index).check()
        toolbar = page.get_by_role("toolbar", name="Bulk actions")
        toolbar.get_by_role("button", name="Change status").click()
        page.get_by_label("Move to").select_option("In Progress")
        page.get_by_role("button", name="Apply status").click()
        expect(page.locator("#bulk-result")).to_contain_text("3 of 3 done:", timeout=15_000)  # the end, not the progress
        page.wait_for_timeout(300)
        out = str(ROOT / "docs" / "bulk-bar.png")
        page.screenshot(path=out)
        print(f"wrote {out}")

        page.goto(f"{base}/tickets")
        page.locator("#results [data-row]").nth(1).click()
        dialog = page.get_by_role("dialog")
        heading = dialog.get_by_role("heading", name="Time")
        expect(heading).to_be_visible(timeout=15_000)
        page.wait_for_selector(".htmx-request", state="detached")
        start = dialog.get_by_role("button", name="Start timer")
        if start.count():
            start.click()
            expect(dialog.get_by_role("button", name="Stop timer")).to_be_visible(timeout=15_000)
        dialog.get_by_label("Duration").fill("45m")
        dialog.get_by_role("textbox", name="Notes").fill("Replaced the toner and ran a test page")
        heading.scroll_into_view_if_needed()
        page.evaluate("document.querySelector('[data-drawer] .time-section').scrollIntoView({block: 'start'})")
        page.wait_for_timeout(400)
        out = str(ROOT / "docs" / "time-section.png")
        page.screenshot(path=out)
        print(f"wrote {out}")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
