"""Content-Security-Policy: ``script-src 'self'`` on every HTML response, and nothing that needs more.

* Every HTML page and partial (the whole URL conf walked as alice, full page and htmx; the admin as a
  superuser; error pages) sends the policy, with no ``'unsafe-inline'``/``'unsafe-eval'`` for scripts.
* No template and no rendered response contains an inline ``<script>`` with code (``type=
  "application/json"`` data blocks are allowed), an ``on*=`` handler attribute, ``hx-on``, a
  ``javascript:`` URL, or htmx features that evaluate code (``js:``/``javascript:`` in ``hx-vals``,
  ``hx-vars``, event filters ``[...]`` in ``hx-trigger``).
* htmx is configured not to need eval: the ``htmx-config`` meta in base.html sets ``allowEval`` and
  ``allowScriptTags`` to false and ``includeIndicatorStyles`` to false.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from rf_project.middleware import CONTENT_SECURITY_POLICY
from tests.security.test_tenant_isolation_walk import API_PREFIX, ROUTES, fill

pytestmark = pytest.mark.django_db

BASE = Path(settings.BASE_DIR)
TEMPLATES = sorted(p for pattern in ("templates/**/*.html", "*/templates/**/*.html") for p in BASE.glob(pattern)
                   if ".venv" not in p.parts)
URL_ATTRS = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete",
             "data", "poster", "xlink:href"}


def policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


class _Scanner(HTMLParser):
    """Collects every CSP problem in a rendered document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: dict | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> inline handler")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}> hx-on (inline code)")
            if name in URL_ATTRS and re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                self.problems.append(f"<{tag} {name}={value[:40]!r}> script URL")
            if name in ("hx-vals", "data-hx-vals") and re.match(r"\s*(js|javascript):", value):
                self.problems.append(f"<{tag} {name}> evaluates code")
            if name in ("hx-vars", "data-hx-vars"):
                self.problems.append(f"<{tag} {name}> evaluates code")
            if name in ("hx-trigger", "data-hx-trigger") and "[" in value:
                self.problems.append(f"<{tag} {name}={value!r}> event filter evaluates code")
        if tag == "script":
            self._script = attributes
            self._script_text = []

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            body = "".join(self._script_text).strip()
            kind = (self._script.get("type") or "").lower()
            if kind == "application/json":
                pass  # data, not code
            elif "src" not in self._script:
                self.problems.append(f"inline <script>: {body[:60]!r}")
            elif body:
                self.problems.append(f"<script src> with a body: {body[:60]!r}")
            self._script = None


def csp_problems(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems


# --- the policy -------------------------------------------------------------------------------


def test_the_policy_allows_scripts_from_our_origin_only():
    directives = {part.split()[0]: part for part in CONTENT_SECURITY_POLICY.split("; ")}
    assert directives["script-src"] == "script-src 'self'"
    assert directives["default-src"] == "default-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_htmx_is_configured_not_to_evaluate_code():
    base = (BASE / "templates" / "base.html").read_text()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base)
    assert meta, "base.html configures htmx with a htmx-config meta"
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False


def test_the_scanner_catches_what_it_should():
    bad = ('<script>alert(1)</script><a href="javascript:alert(1)">x</a><div onclick="x()"></div>'
           '<div hx-on:click="x()"></div><div hx-trigger="keyup[key==\'Enter\']"></div>'
           '<div hx-vals=\'js:{a: 1}\'></div><script src="/x.js">alert(1)</script>')
    assert len(csp_problems(bad)) == 7
    ok = ('<script src="/static/app.js" defer></script><script type="application/json" id="d">{"a": 1}</script>'
          '<a href="/tickets?x=1">x</a><div hx-trigger="load, change"></div><div hx-vals=\'{"a": 1}\'></div>')
    assert csp_problems(ok) == []


# --- the templates --------------------------------------------------------------------------


def test_the_project_has_templates_to_scan():
    names = {p.relative_to(BASE).as_posix() for p in TEMPLATES}
    assert {"templates/base.html", "tickets/templates/tickets/panel.html",
            "assist/templates/assist/session.html", "psa/templates/psa/integrations.html"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(BASE).as_posix())
def test_no_template_has_inline_code(template):
    source = template.read_text()
    # Template tags can sit inside attributes: blank them out so the HTML parser sees plain markup.
    markup = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", "", source, flags=re.S)
    markup = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", markup, flags=re.S)
    assert csp_problems(markup) == []
    assert not re.search(r"javascript:", source, re.I)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", markup, re.I)
    assert "hx-on" not in source


# --- every rendered page ----------------------------------------------------------------------


@pytest.fixture
def ids(alice, bob, account, alice_tenant, alice_mapping, sandbox):
    from assist.models import AssistSession, Message, SessionAction
    from teams.models import Invitation
    from tickets import service

    ticket = service.search_tickets(alice_tenant, service.TicketFilters(assigned="me")).items[0]
    session = AssistSession.objects.create(account=account, user=alice, title="Outlook crashes",
                                           linked_ticket_id=ticket.id, linked_company_id=ticket.company_id)
    message = Message.objects.create(session=session, role="assistant", text="Try safe mode.")
    action = SessionAction.objects.create(session=session, message=message, type="create_spin_off_ticket",
                                          label="Printer offline", summary_hint="Printer offline")
    invitation, raw_token = Invitation.issue(account, by=alice)  # its page renders the join form
    return {"ticket": ticket.id, "member": alice_mapping.psa_member_id, "session": session.pk,
            "action": action.pk, "board": 1, "user": alice.pk, "app_label": "psa", "admin_url": "psa/nothing",
            "content_type": 1, "membership": bob.membership.pk, "invitation": invitation.pk, "link_token": raw_token,
            "uid": "MQ", "saved_view": _saved_view(account, alice), "view_action": "rename",
            "bulk_job": "00000000-0000-4000-8000-000000000000"}


def _saved_view(account, alice) -> int:
    from tickets.models import SavedView

    return SavedView.objects.create(account=account, owner=alice, name="Service Desk", query="board=1").pk


HTML_ROUTES = [r for r in ROUTES if not r.startswith(("admin/", API_PREFIX))]


def _assert_html_is_csp_clean(response, where: str):
    assert response.status_code < 500, where
    if "text/html" not in response.get("Content-Type", ""):
        return
    assert policy(response).get("script-src") == "script-src 'self'", f"{where}: no CSP"
    assert csp_problems(response.content.decode()) == [], where


@pytest.mark.parametrize("route", HTML_ROUTES)
def test_every_html_page_and_partial_sends_the_policy_and_has_no_inline_code(route, alice_client, ids):
    path = fill(route, ids)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        _assert_html_is_csp_clean(alice_client.get(path, **headers), f"GET {path} {headers}")


def test_the_drawer_and_modal_partials_are_clean(alice_client, ids):
    hx = {"HTTP_HX_REQUEST": "true"}
    ticket = ids["ticket"]
    responses = [
        alice_client.get(f"/tickets?ticket={ticket}"),
        alice_client.get(f"/tickets/{ticket}/panel?summary=x&company_id=250", **hx),
        alice_client.get(f"/tickets/{ticket}/detail?company=250", **hx),
        alice_client.get(f"/tickets/{ticket}/resources", **hx),
        alice_client.post(f"/tickets/{ticket}/notes", {"text": "checked cables", "kind": "internal"}, **hx),
        alice_client.post(f"/tickets/{ticket}/notes", {"text": "", "kind": "internal"}, **hx),
        alice_client.post(f"/tickets/{ticket}/status", {"status": 12, "board": 1, "current": 11}, **hx),
        alice_client.get("/tickets/new?tab=quick", **hx),
        alice_client.get("/tickets/new?tab=full"),
        alice_client.post("/tickets/new", {"action": "create", "tab": "full", "summary": ""}, **hx),
        alice_client.get(f"/tickets/new?tab=quick&session={ids['session']}&action={ids['action']}", **hx),
        alice_client.post("/account/integrations/test", **hx),
    ]
    for response in responses:
        _assert_html_is_csp_clean(response, response.wsgi_request.get_full_path())


def test_error_pages_and_the_login_page_send_the_policy(client, alice_client):
    for response in (client.get("/login/"), alice_client.get("/no-such-page"), alice_client.get("/assist/999999/")):
        assert policy(response).get("script-src") == "script-src 'self'"
        assert csp_problems(response.content.decode()) == []
    forbidden = Client(enforce_csrf_checks=True)
    response = forbidden.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert policy(response).get("script-src") == "script-src 'self'"
    assert csp_problems(response.content.decode()) == []


def test_the_admin_sends_the_policy_and_has_no_inline_code(admin_client, ids):
    """The Django admin (for staff) is HTML too: its pages must work under the same policy."""
    from assist.models import AssistSession

    session = AssistSession.objects.get(pk=ids["session"])
    for path in ("/admin/", "/admin/psa/psaconnection/", "/admin/assist/assistsession/",
                 f"/admin/assist/assistsession/{session.pk}/change/", "/admin/auth/user/add/",
                 "/admin/psa/membermapping/add/", "/admin/tickets/apitoken/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert policy(response).get("script-src") == "script-src 'self'", path
        assert csp_problems(response.content.decode()) == [], path
