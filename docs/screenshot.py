"""Takes docs/tickets-drawer.png: the ticket queue with the drawer open, from the demo data; with
``--phone``, docs/phone-queue.png and docs/phone-drawer.png: the queue and a ticket on a phone (390x844,
a touch screen, drawn at 2x like a phone's screen).

    .venv/bin/python docs/screenshot.py [--out docs/tickets-drawer.png]
    .venv/bin/python docs/screenshot.py --phone
    .venv/bin/python docs/screenshot.py --modal   # docs/new-ticket-modal.png: Quick Create after a parse
    .venv/bin/python docs/screenshot.py --live    # docs/saved-views.png and docs/live-notice.png

Everything runs in-process and offline: a throw-away SQLite database, the ``demo`` management
command's data (user demo/demo, the in-process ConnectWise sandbox), the app served on a loopback
port, and Debian's chromium (``/usr/bin/chromium``, override with ``CHROMIUM``) driven by Playwright.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MODAL_PROMPT = "New ticket for Acme: Outlook not syncing for the CFO since the update, high priority, assign to me"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(WSGIServer):
    """The drawer fires its section requests in parallel: serve them in parallel."""

    daemon_threads = True

    def process_request(self, request, client_address):
        threading.Thread(target=self._handle, args=(request, client_address), daemon=True).start()

    def _handle(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def _saved_views_and_live_notice(page, base, expect):
    """Two views saved from the queue (one shared), then a ticket changed in the sandbox while the queue is open."""
    from psa.sandbox import default_sandbox
    from tickets.service import live

    live.POLL_INTERVAL_SECONDS = 2  # the page and the shared query alike: the notice within seconds
    for url, name, share in ((f"{base}/tickets?board=1", "Service Desk", True), (f"{base}/tickets?assigned=me", "My open tickets", False)):
        page.goto(url)
        page.get_by_role("button", name="Save view").click()
        dialog = page.get_by_role("dialog", name="Save view")
        dialog.get_by_label("Name").fill(name)
        if share:
            dialog.get_by_label("Share with my team").check()
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
    page.goto(f"{base}/tickets?board=1")
    expect(page.get_by_role("list", name="Views").get_by_role("link", name="Service Desk")).to_be_visible(timeout=15_000)
    out = str(ROOT / "docs" / "saved-views.png")
    page.screenshot(path=out)
    print(f"wrote {out}")
    sandbox = default_sandbox()
    for row in page.locator("#results [data-row]").all()[1:4]:
        ticket = sandbox.state["tickets"][int(row.get_attribute("id").removeprefix("ticket-row-"))]
        ticket["_info"]["lastUpdated"] = "2099-01-01T00:00:00Z"
    expect(page.get_by_role("status").filter(has_text="changed")).to_be_visible(timeout=15_000)
    out = str(ROOT / "docs" / "live-notice.png")
    page.screenshot(path=out)
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "tickets-drawer.png"))
    parser.add_argument("--ticket-row", type=int, default=2, help="which queue row to open (1-based; 0 = no drawer)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--phone", action="store_true",
                        help="write docs/phone-queue.png and docs/phone-drawer.png (390x844, touch) instead")
    parser.add_argument("--modal", action="store_true",
                        help="write docs/new-ticket-modal.png (the New Ticket modal after a Quick Create parse) instead")
    parser.add_argument("--live", action="store_true",
                        help="write docs/saved-views.png (the sidebar's Views list) and docs/live-notice.png (a change notice) instead")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rf-screenshot-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
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
        if args.phone:
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
        else:
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/tickets")
        shots = [(args.out, args.ticket_row)]
        if args.phone:
            shots = [(str(ROOT / "docs" / "phone-queue.png"), 0), (str(ROOT / "docs" / "phone-drawer.png"), args.ticket_row)]
        if args.live:
            shots = []
            _saved_views_and_live_notice(page, base, expect)
        if args.modal:
            shots = []
            page.get_by_role("link", name="New ticket").click()
            dialog = page.get_by_role("dialog", name="New ticket")
            dialog.get_by_role("tab", name="Quick Create").click()
            dialog.get_by_label("Describe the ticket").fill(MODAL_PROMPT)
            dialog.get_by_role("button", name="Parse").click()
            expect(dialog.get_by_text("Review before creating")).to_be_visible(timeout=15_000)
            out = str(ROOT / "docs" / "new-ticket-modal.png")
            page.screenshot(path=out)
            print(f"wrote {out}")
        for out, row in shots:
            if row > 0:
                page.locator("#results [data-row]").nth(row - 1).click()
                dialog = page.get_by_role("dialog")
                expect(dialog.locator(".note, .notes .empty").first).to_be_visible(timeout=15_000)
                expect(dialog.locator(".assignees")).to_be_visible(timeout=15_000)
                page.wait_for_timeout(300)  # let the slide-in animation settle
            page.screenshot(path=out)
            print(f"wrote {out}")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
