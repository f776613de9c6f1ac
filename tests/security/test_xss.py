"""Text from ConnectWise (and from users) containing HTML/JS is rendered inert everywhere.

The sandbox is poisoned in memory: one company (name), all its tickets (summaries, contacts), a note,
a configuration, a member name and a status name carry ``<script>alert(1)</script>`` and
``"><img src=x onerror=alert(1)>``; so do an Assist session's title, messages and action labels. Every
page and partial that shows them (queue rows, the drawer header and sections, related tickets, My
Queue, resources, toasts / HX-Trigger payloads, the New Ticket modal's company picker, the Assist
pages, the integrations mappings) must show them escaped: the payload text is there, no tag is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT} {IMG}"
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tickets"}


def assert_inert(html: str, *, must_show: bool = True):
    """No payload tag survived; (by default) the escaped payload is visible, so the data did render."""
    assert SCRIPT not in html
    assert not re.search(r"<img[^>]*onerror", html, re.I), "an <img onerror> tag got through"
    assert not re.search(r'"\s*>\s*<img', html), "an attribute was broken out of"
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert tag.strip() == "", f"an inline script: {tag[:80]}"
    if must_show:
        assert any(escaped in html for escaped in ESCAPED), "the payload should be visible, escaped"


def assert_json_trigger(response) -> dict:
    """HX-Trigger is JSON: the payload is data inside a JSON string (app.js shows it with textContent)."""
    trigger = json.loads(response["HX-Trigger"])
    return trigger


def poison_sandbox(sandbox, account, user) -> dict:
    """The user's first open Service Desk ticket, its company, contacts, notes, a configuration, the
    company's other tickets, member 102's name and status 13's name all get the payload (in memory)."""
    from django.core.cache import cache

    from psa.tenancy import tenant_for_account
    from tickets import service

    tenant = tenant_for_account(account, user)
    ticket = service.search_tickets(tenant, service.TicketFilters(assigned="me", board=1)).items[0]
    state = sandbox.state
    company_id = ticket.company_id
    if "resources" in state:  # the Autotask sandbox: the same places in Autotask's records
        _poison_autotask(state, ticket.id, company_id)
        from psa.registry import forget

        forget()  # the Autotask provider keeps its picklists and resources itself, beside the shared cache
        cache.clear()
        sandbox.clear_log()
        return {"ticket": ticket.id, "company": company_id, "status": ticket.status_id}
    state["companies"][company_id]["name"] = f"Evil Co {PAYLOAD}"
    for other in state["tickets"].values():
        if other["company"]["id"] == company_id:
            other["company"]["name"] = f"Evil Co {PAYLOAD}"
            other["summary"] = f"Summary {PAYLOAD}"
            other["contactName"] = f"Contact {PAYLOAD}"
            if other.get("contact"):
                other["contact"]["name"] = f"Contact {PAYLOAD}"
    state["notes"].setdefault(ticket.id, [])[0]["text"] = f"Note {PAYLOAD}"
    config_id = next(iter(state["configurations"]))
    state["configurations"][config_id]["name"] = f"Config {PAYLOAD}"
    state["ticket_configurations"][ticket.id] = [config_id]
    state["members"][102].update(name=f"Ana {PAYLOAD}", firstName=f"Ana {PAYLOAD}")
    for entry in state["entries"].values():
        if entry["member"]["id"] == 102:
            entry["member"]["name"] = f"Ana {PAYLOAD}"
    state["statuses"][13]["name"] = f"Waiting {PAYLOAD}"
    # The search above cached the reference data (boards with statuses, members) as it was before the
    # payload: from now on ConnectWise answers with the payload, so start from an empty cache.
    cache.clear()
    sandbox.clear_log()
    return {"ticket": ticket.id, "company": company_id, "status": ticket.status_id}


def _poison_autotask(state: dict, ticket_id: int, company_id: int) -> None:
    """poison_sandbox's payloads in the Autotask sandbox: the company's name, its tickets' titles and contact,
    the ticket's first note (or a new one) and a configuration item, resource 102's name, status 13's label."""
    state["companies"][company_id]["companyName"] = f"Evil Co {PAYLOAD}"
    contact_id = next((c["id"] for c in state["contacts"].values() if c.get("companyID") == company_id),
                      next(iter(state["contacts"])))
    state["contacts"][contact_id].update(companyID=company_id, firstName=f"Contact {PAYLOAD}", lastName=None)
    for other in state["tickets"].values():
        if other["companyID"] == company_id:
            other.update(title=f"Summary {PAYLOAD}", contactID=contact_id)
    note = next((n for n in state["notes"].values() if n["ticketID"] == ticket_id), None)
    if note is None:
        from psa.autotask_sandbox.seed import blank

        note = blank("TicketNotes")
        note.update(id=99_998, ticketID=ticket_id, publish=2, noteType=1, createDateTime="2026-01-01T00:00:00Z")
        state["notes"][note["id"]] = note
    note.update(title=f"Note {PAYLOAD}", description=f"Note {PAYLOAD}")
    config_id = next(iter(state["configuration_items"]))
    state["configuration_items"][config_id]["referenceTitle"] = f"Config {PAYLOAD}"
    state["tickets"][ticket_id]["configurationItemID"] = config_id
    state["resources"][102].update(firstName=f"Ana {PAYLOAD}", lastName=None)
    for value in state["picklists"]["Tickets"]["status"]:
        if value["value"] == "13":
            value["label"] = f"Waiting {PAYLOAD}"


@pytest.fixture
def poisoned(alice, account, alice_mapping, sandbox):
    return poison_sandbox(sandbox, account, alice)


@pytest.fixture
def assist_session(account, alice, poisoned):
    from assist.models import AssistSession, Message, SessionAction

    session = AssistSession.objects.create(account=account, user=alice, title=f"Session {PAYLOAD}",
                                           linked_ticket_id=poisoned["ticket"],
                                           linked_ticket_summary=f"Summary {PAYLOAD}")
    Message.objects.create(session=session, role="user", text=f"User says {PAYLOAD}")
    reply = Message.objects.create(session=session, role="assistant", text=f"Assistant says {PAYLOAD}")
    SessionAction.objects.create(session=session, message=reply, type="create_spin_off_ticket",
                                 label=f"Spin {PAYLOAD}"[:100], summary_hint=f"Hint {PAYLOAD}"[:100])
    SessionAction.objects.create(session=session, message=reply, type="create_spin_off_ticket",
                                 label=f"Done {PAYLOAD}"[:100], status="done", created_ticket_id=1001)
    return session


# --- the queue, the drawer, My Queue ----------------------------------------------------------


def test_queue_rows_show_psa_text_escaped(alice_client, poisoned):
    query = f"/tickets?company={poisoned['company']}"
    assert_inert(alice_client.get(query).content.decode())
    assert_inert(alice_client.get(query, **HX).content.decode())


def test_a_search_for_the_payload_is_echoed_escaped(alice_client, poisoned):
    html = alice_client.get("/tickets?" + urlencode({"search": PAYLOAD})).content.decode()
    assert_inert(html)


def test_the_drawer_header_from_row_data_is_escaped(alice_client, poisoned):
    row = {"summary": PAYLOAD, "company": PAYLOAD, "board": PAYLOAD, "status": PAYLOAD, "priority": PAYLOAD,
           "company_id": poisoned["company"], "board_id": 1}
    html = alice_client.get(f"/tickets/{poisoned['ticket']}/panel?{urlencode(row)}", **HX).content.decode()
    assert_inert(html)


def test_the_deep_linked_drawer_header_is_escaped(alice_client, poisoned):
    html = alice_client.get(f"/tickets?ticket={poisoned['ticket']}").content.decode()
    assert_inert(html)
    assert "drawer-summary" in html


def test_drawer_notes_configurations_related_and_contact_are_escaped(alice_client, poisoned):
    html = alice_client.get(f"/tickets/{poisoned['ticket']}/detail?company={poisoned['company']}",
                            **HX).content.decode()
    assert_inert(html)
    assert "Note &lt;script&gt;" in html  # notes
    assert "Config &lt;script&gt;" in html  # configurations
    assert "Contact &lt;script&gt;" in html  # facts
    assert 'class="related-summary">Summary &lt;script&gt;' in html  # related tickets
    assert "Waiting &lt;script&gt;" in html  # the status select's options


def test_resources_and_the_add_member_picker_are_escaped(alice_client, poisoned):
    html = alice_client.get(f"/tickets/{poisoned['ticket']}/resources", **HX).content.decode()
    assert_inert(html, must_show=False)  # Add member is a typeahead: its members come from the picker
    assert_inert(alice_client.get("/tickets/pick/member?q=ana").content.decode())
    added = alice_client.post(f"/tickets/{poisoned['ticket']}/resources", {"member": 102}, **HX)
    assert_inert(added.content.decode())
    toast = assert_json_trigger(added)["toast"]
    assert PAYLOAD in toast["message"]  # raw text inside a JSON string: app.js sets it with textContent
    assert 'hx-confirm="Remove Ana &lt;script&gt;' in added.content.decode()


def test_a_status_change_renders_the_row_escaped_and_toasts_json(alice_client, poisoned):
    response = alice_client.post(f"/tickets/{poisoned['ticket']}/status",
                                 {"status": 13, "board": 1, "current": poisoned["status"], "current_name": "New"}, **HX)
    assert response.status_code == 200
    assert_inert(response.content.decode())
    assert PAYLOAD in assert_json_trigger(response)["toast"]["message"]


def test_a_note_with_html_is_added_and_rendered_escaped(alice_client, poisoned):
    response = alice_client.post(f"/tickets/{poisoned['ticket']}/notes", {"text": f"Mine {PAYLOAD}",
                                                                        "kind": "internal"}, **HX)
    assert response.status_code == 200
    assert_inert(response.content.decode())


def test_a_failed_note_keeps_the_html_text_escaped_in_the_composer(alice_client, poisoned, sandbox):
    sandbox.inject("503", method="POST", path=r"/notes$")
    response = alice_client.post(f"/tickets/{poisoned['ticket']}/notes", {"text": f"Mine {PAYLOAD}",
                                                                        "kind": "internal"}, **HX)
    assert response.status_code == 422
    assert_inert(response.content.decode())
    assert "</textarea><script>" not in response.content.decode()


def test_my_queue_rows_are_escaped(alice_client, poisoned):
    html = alice_client.get("/dashboard/my-queue", **HX).content.decode()
    assert 'data-state="populated"' in html
    assert_inert(html)


# --- the New Ticket modal ---------------------------------------------------------------------


def test_the_modal_and_the_company_picker_show_company_names_escaped(alice_client, poisoned):
    html = alice_client.get(f"/tickets/new?tab=full&company={poisoned['company']}", **HX).content.decode()
    assert 'id="nt-company" name="company" value="Evil Co &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img' in html
    assert_inert(html)
    picked = alice_client.get("/tickets/pick/company?q=evil").content.decode()
    assert 'data-label="Evil Co &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img' in picked
    assert_inert(picked)


def test_the_modal_echoes_a_html_prompt_and_draft_escaped(alice_client, poisoned):
    html = alice_client.get("/tickets/new?" + urlencode({"tab": "quick", "prompt": PAYLOAD}), **HX).content.decode()
    assert_inert(html)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    parsed = alice_client.post("/tickets/new", {"action": "parse", "tab": "quick", "token": token,
                                                "prompt": f"Evil Co {PAYLOAD} printer broken"}, **HX)
    assert parsed.status_code in (200, 422)
    assert_inert(parsed.content.decode())
    full = alice_client.post("/tickets/new", {"action": "create", "tab": "full", "token": token,
                                              "summary": PAYLOAD, "company": PAYLOAD, "description": PAYLOAD}, **HX)
    assert full.status_code == 422
    assert_inert(full.content.decode())


# --- Assist -----------------------------------------------------------------------------------


def test_assist_pages_show_titles_messages_and_actions_escaped(alice_client, assist_session):
    for url in ("/assist/", f"/assist/{assist_session.pk}/", "/dashboard/sessions"):
        assert_inert(alice_client.get(url, **({} if url != "/dashboard/sessions" else HX)).content.decode())
    html = alice_client.get(f"/assist/{assist_session.pk}/").content.decode()
    assert "Session &lt;script&gt;" in html and "User says &lt;script&gt;" in html
    assert "Spin &lt;script&gt;" in html and "Done &lt;script&gt;" in html
    assert "<title>Session &lt;script&gt;" in html
    tasklane = alice_client.get(f"/assist/{assist_session.pk}/?part=tasklane", **HX).content.decode()
    assert_inert(tasklane)


def test_a_message_and_a_linked_ticket_with_html_are_escaped(alice_client, assist_session, poisoned):
    posted = alice_client.post(f"/assist/{assist_session.pk}/messages", {"text": f"Now {PAYLOAD}"}, **HX)
    assert_inert(posted.content.decode())
    assist_session.linked_ticket_id = None
    assist_session.save()
    linked = alice_client.post(f"/assist/{assist_session.pk}/link", {"ticket_id": poisoned["ticket"]}, **HX)
    assert_inert(linked.content.decode())
    created = alice_client.post("/assist/new", {"title": PAYLOAD})
    assert created.status_code == 302
    assert_inert(alice_client.get(created["Location"]).content.decode())


# --- integrations -----------------------------------------------------------------------------


def test_member_names_in_the_mappings_table_are_escaped(alice_client, poisoned):
    html = alice_client.get("/account/integrations/mappings", **HX).content.decode()
    assert_inert(html)
    assert "Ana &lt;script&gt;" in html


# --- app.js: toasts are text ----------------------------------------------------------------


def test_app_js_never_builds_html_from_strings():
    """Toasts (and everything else app.js shows) are set with textContent: a payload stays text."""
    source = (Path(settings.BASE_DIR) / "static" / "app.js").read_text()
    assert "el.textContent = String(message)" in source
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "DOMParser", "createContextualFragment", "document.write", "eval(", "new Function",
                 "setTimeout(\"", "setTimeout('"):
        assert sink not in source, f"app.js uses {sink}"
