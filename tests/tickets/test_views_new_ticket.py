"""/tickets/new: the New Ticket modal (tabs, the server-owned draft, parse, create, idempotency, errors)."""

from __future__ import annotations

import json
import re

import pytest

from psa.providers.base import psa_name
from tests.reliability.psa_faults import where
from tickets import service

CW_SEED = ("chooses ConnectWise seed statuses of a board (New is 21 on Network Operations) and priority names "
           "(\"Priority 2 - Quick Response\"); Autotask's statuses are one account-wide list")
CW_WORDS = "expects ConnectWise's validation texts and field names in a 400 (Autotask answers them in an HTTP 500)"
HTMX = {"HX-Request": "true"}
PROMPT = "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me"


@pytest.fixture
def ui(alice_client, alice_mapping):
    """alice, signed in, Acme MSP connected to the sandbox, alice mapped to jsmith (101)."""
    return alice_client


def _open(ui, query="tab=full"):
    response = ui.get(f"/tickets/new?{query}", headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _token(html: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)


def _input(html: str, name: str) -> str | None:
    """The value of the (visible or hidden) input called ``name``."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    match = select and re.search(r'<option[^>]*value="(\d+)" selected', select.group(0))
    return match.group(1) if match else None


def _picked(html: str, name: str) -> tuple[str | None, str | None]:
    """A typeahead picker's (hidden id, visible label): the combobox input follows its label's ``for``."""
    hidden = re.search(rf'<input type="hidden" id="([^"]+)" name="{name}" value="([^"]*)"', html)
    if not hidden:
        return None, None
    box = html[:hidden.start()].rsplit('<div class="combobox"', 1)[-1]
    label = re.search(r'<input type="text" id="[^"]+"[^>]*? value="([^"]*)" role="combobox"', box)
    return hidden.group(2), label.group(1) if label else None


def _draft(**values):
    draft = {"token": "t" * 32, "tab": "full", "summary": "", "company": "", "board_id": "", "status_id": "",
             "priority_id": "", "description": "", "assigned_member_id": "", "prompt": ""}
    draft.update(values)
    return draft


def _complete(**values):
    return _draft(summary="Printer on 2nd floor offline", company="Acme Corp", board_id="1", status_id="11",
                  priority_id="3", description="Users cannot print since this morning.", **values)


def _post(ui, action, data):
    return ui.post("/tickets/new", {**data, "action": action}, headers=HTMX)


def _triggers(response) -> dict:
    return json.loads(response["HX-Trigger"])


# --- opening --------------------------------------------------------------------------------------


def test_it_opens_a_dialog_on_the_full_form(ui):
    html = _open(ui)
    assert html.lstrip().startswith('<dialog id="new-ticket"')
    assert re.search(r'id="nt-tab-full"[^>]*aria-selected="true"', html)
    for name in ("summary", "company", "board_id", "status_id", "priority_id", "assigned_member_id"):
        assert f'name="{name}"' in html
    assert 'name="description"' in html
    assert html.count(" required") >= 5


def test_each_opening_gets_its_own_idempotency_token(ui):
    first, second = _token(_open(ui)), _token(_open(ui))
    assert len(first) == 32 and first != second


def test_quick_create_opens_with_the_prompt_prefilled_but_never_the_summary(ui):
    html = _open(ui, "tab=quick&prompt=The+fax+machine+is+dead")
    assert ">The fax machine is dead</textarea>" in html
    assert _input(html, "summary") == ""
    assert 'value="create"' not in html  # nothing to create before a parse


@pytest.mark.connectwise_only(CW_SEED)
def test_initial_company_and_board_come_from_the_url(ui):
    html = _open(ui, "tab=full&company=251&board=2")
    assert _input(html, "company") == "Acme Dental"
    assert _selected(html, "board_id") == "2"
    assert 'value="21">New</option>' in html  # the statuses of Network Operations


def test_unknown_initial_ids_are_dropped_not_guessed(ui):
    html = _open(ui, "tab=full&company=99999&board=77")
    assert _input(html, "company") == ""
    assert _selected(html, "board_id") is None
    assert "Choose a board first" in html


def test_without_htmx_it_is_a_plain_page_with_an_open_dialog(ui):
    html = ui.get("/tickets/new").content.decode()
    assert "<html" in html and "data-modal open" in html


def test_without_a_psa_connection_it_says_so(alice_client):
    html = alice_client.get("/tickets/new", headers=HTMX).content.decode()
    assert "No PSA connection" in html and 'value="create"' not in html


# --- the draft ------------------------------------------------------------------------------------


def test_switching_tabs_keeps_every_value(ui):
    draft = _complete(assigned_member_id="103", prompt="half-written prompt")
    quick = _post(ui, "tab:quick", draft).content.decode()
    assert 'aria-selected="true">Quick Create' in quick
    assert ">half-written prompt</textarea>" in quick
    for name in ("summary", "company", "board_id", "status_id", "priority_id", "description", "assigned_member_id"):
        assert _input(quick, name) == draft[name], name
    assert _input(quick, "token") == draft["token"]

    full = _post(ui, "tab:full", {**draft, "tab": "quick"}).content.decode()
    assert _input(full, "summary") == "Printer on 2nd floor offline"
    assert _input(full, "company") == "Acme Corp"
    assert (_selected(full, "board_id"), _selected(full, "status_id"), _selected(full, "priority_id")) == ("1", "11", "3")
    assert _picked(full, "assigned_member_id") == ("103", "Michael Chen")
    assert ">Users cannot print since this morning.</textarea>" in full
    assert _input(full, "prompt") == "half-written prompt"
    assert _input(full, "token") == draft["token"]


@pytest.mark.connectwise_only(CW_SEED)
def test_changing_the_board_re_renders_only_the_status_select(ui):
    response = _post(ui, "board", _draft(board_id="2", status_id="11"))
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="field" id="nt-status-field">')
    assert 'value="21">New</option>' in html and 'value="11"' not in html
    assert _selected(html, "status_id") is None  # a status of the old board does not carry over


# --- Quick Create: parse --------------------------------------------------------------------------


@pytest.mark.connectwise_only(CW_SEED)
def test_parse_fills_the_draft_and_highlights_the_missing_fields(ui):
    html = _post(ui, "parse", _draft(tab="quick", prompt=PROMPT)).content.decode()
    assert "Review before creating" in html
    assert _input(html, "summary") == "Outlook not syncing"
    assert _input(html, "company") == "Acme Corp"
    assert _selected(html, "priority_id") == "2"
    assert _picked(html, "assigned_member_id") == ("101", "John Smith")
    assert re.search(r'id="nt-board" name="board_id"[^>]*aria-invalid="true"', html, re.S)
    assert re.search(r'id="nt-status" name="status_id"[^>]*aria-invalid="true"', html, re.S)
    assert html.count('<span class="tag tag-missing">Missing</span>') == 2
    assert "Could not determine board from context" in html
    assert "Create ticket" in html


def test_parse_names_ambiguous_companies_in_a_warning(ui):
    html = _post(ui, "parse", _draft(tab="quick", prompt="Acme printer broken")).content.decode()
    assert "Company &quot;Acme&quot; matches 2 companies: Acme Corp, Acme Dental" in html
    assert re.search(r'id="nt-company" name="company"[^>]*role="combobox"[^>]*aria-invalid="true"', html, re.S)


@pytest.mark.connectwise_only(CW_SEED)
def test_parse_only_fills_empty_fields_and_lists_what_it_kept(ui):
    draft = _draft(tab="quick", prompt=PROMPT, company="Contoso Ltd", board_id="1", priority_id="4")
    html = _post(ui, "parse", draft).content.decode()
    assert _input(html, "company") == "Contoso Ltd"
    assert _selected(html, "priority_id") == "4"
    assert _input(html, "summary") == "Outlook not syncing"  # was empty: filled
    assert "Kept your company; the prompt suggested Acme Corp." in html
    assert "Kept your priority; the prompt suggested Priority 2 - Quick Response." in html
    assert "Could not determine board from context" not in html  # moot: the draft has a board
    assert not re.search(r'id="nt-board" name="board_id"[^>]*aria-invalid', html, re.S)


def test_parse_never_creates_a_ticket(ui, sandbox):
    before = sandbox.ticket_count()
    _post(ui, "parse", _draft(tab="quick", prompt="Contoso Ltd: VPN down for sales team, urgent, network board"))
    assert sandbox.ticket_count() == before
    assert not any(entry.method == "POST" for entry in sandbox.request_log)


@pytest.mark.parametrize("prompt, message", [
    ("   ", "Describe the ticket in a sentence or two"),
    ("x" * 2001, "Keep the description under 2,000 characters"),
])
def test_a_bad_prompt_is_an_error_next_to_the_prompt_and_keeps_the_draft(ui, prompt, message):
    response = _post(ui, "parse", _draft(tab="quick", prompt=prompt, summary="Kept summary", company="Hooli"))
    html = response.content.decode()
    assert response.status_code == 422
    assert f'<p class="field-error" id="nt-prompt-error" role="alert">{message}</p>' in html
    assert (_input(html, "summary"), _input(html, "company")) == ("Kept summary", "Hooli")


# --- Create ---------------------------------------------------------------------------------------


def test_create_closes_the_modal_refreshes_the_list_and_toasts(ui, sandbox, psa_kind):
    before = sandbox.ticket_count()
    response = _post(ui, "create", _complete(assigned_member_id="101"))
    assert response.status_code == 204
    triggers = _triggers(response)
    ticket_id = triggers["ticketCreated"]["id"]
    assert triggers["closeModal"] is True
    assert triggers["toast"] == {"message": f"Ticket #{ticket_id} created in {psa_name(psa_kind)}", "level": "success"}
    assert sandbox.ticket_count() == before + 1
    ticket = service.get_ticket(_tenant(), ticket_id)
    assert (ticket.summary, ticket.company_id, ticket.board_id, ticket.status_id, ticket.priority_id) == (
        "Printer on 2nd floor offline", 250, 1, 11, 3)
    assert ticket.resources == ["jsmith"]


def _tenant():
    from psa.models import Account
    from psa.tenancy import tenant_for_account

    return tenant_for_account(Account.objects.get(name="Acme MSP"))


def test_the_company_can_be_typed_as_its_identifier(ui):
    assert _post(ui, "create", {**_complete(), "company": "acmecorp"}).status_code == 204


def test_missing_required_fields_are_errors_next_to_the_fields_and_keep_the_values(ui, sandbox):
    before = sandbox.ticket_count()
    draft = _draft(summary="  ", company="Acme Corp", board_id="1", description="Kept text", assigned_member_id="104")
    response = _post(ui, "create", draft)
    html = response.content.decode()
    assert response.status_code == 422
    assert '<p class="field-error" id="nt-summary-error">Summary is required</p>' in html
    assert '<p class="field-error" id="nt-status-error">Status is required</p>' in html
    assert '<p class="field-error" id="nt-priority-error">Priority is required</p>' in html
    assert "nt-company-error" not in html and "nt-board-error" not in html
    assert _input(html, "company") == "Acme Corp"
    assert _selected(html, "board_id") == "1"
    assert _picked(html, "assigned_member_id") == ("104", "Priya Williams")
    assert ">Kept text</textarea>" in html
    assert _input(html, "token") == draft["token"]
    assert sandbox.ticket_count() == before


def test_an_unknown_or_ambiguous_company_is_a_field_error(ui):
    html = _post(ui, "create", {**_complete(), "company": "Acme"}).content.decode()
    assert "&quot;Acme&quot; matches 2 companies: Acme Corp, Acme Dental. Choose one from the list." in html
    html = _post(ui, "create", {**_complete(), "company": "Nobody Inc"}).content.decode()
    assert "No company named &quot;Nobody Inc&quot; in ConnectWise" in html
    assert _input(html, "company") == "Nobody Inc"


def test_a_status_of_another_board_is_a_field_error(ui):
    html = _post(ui, "create", {**_complete(), "status_id": "21"}).content.decode()
    assert '<p class="field-error" id="nt-status-error">Choose one of this board&#x27;s statuses</p>' in html


@pytest.mark.connectwise_only(CW_WORDS)
def test_psa_validation_errors_appear_next_to_their_fields(ui, sandbox, monkeypatch):
    """A company deleted in ConnectWise between the name's look-up and the create: the PSA's 400 names the field."""
    from psa.reference import Reference
    from psa.schemas import PSACompany

    gone = PSACompany(id=9999, identifier="Gone", name="Gone Ltd")
    monkeypatch.setattr(Reference, "companies_named", lambda reference, text, limit=50: [gone])
    response = _post(ui, "create", {**_complete(), "company": "Gone Ltd"})
    html = response.content.decode()
    assert response.status_code == 422
    assert '<p class="field-error" id="nt-company-error">The company was not found.</p>' in html
    assert _input(html, "summary") == "Printer on 2nd floor offline"


@pytest.mark.connectwise_only(CW_WORDS)
def test_a_psa_refusal_keeps_the_draft_shows_the_reason_and_renews_the_token(ui, sandbox):
    sandbox.inject("400", method="POST", path=r"^/service/tickets$", times=1)
    before = sandbox.ticket_count()
    draft = _complete()
    response = _post(ui, "create", draft)
    html = response.content.decode()
    assert response.status_code == 422
    assert "The ticket was not created." in html and "The request is invalid (injected fault)." in html
    assert _input(html, "summary") == draft["summary"] and _selected(html, "status_id") == "11"
    new_token = _input(html, "token")
    assert new_token != draft["token"]  # nothing was created: the next attempt is a new request
    # ...so editing the draft after a refusal is fine
    assert _post(ui, "create", {**draft, "token": new_token, "summary": "Edited"}).status_code == 204
    assert sandbox.ticket_count() == before + 1


def test_the_same_token_twice_creates_one_ticket(ui, sandbox):
    before = sandbox.ticket_count()
    first = _post(ui, "create", _complete())
    second = _post(ui, "create", _complete())
    assert first.status_code == second.status_code == 204
    assert _triggers(first)["ticketCreated"] == _triggers(second)["ticketCreated"]
    assert sandbox.ticket_count() == before + 1


def test_a_timeout_keeps_the_token_so_the_retry_does_not_create_twice(ui, sandbox, psa_kind):
    method, path = where(psa_kind, "create")
    sandbox.inject("500", method=method, path=path, times=1)
    before = sandbox.ticket_count()
    draft = _complete()
    failed = _post(ui, "create", draft)
    html = failed.content.decode()
    assert failed.status_code == 422
    assert "press Create again to retry (it will not be created twice)" in html
    assert _input(html, "token") == draft["token"]
    assert _post(ui, "create", draft).status_code == 204
    assert sandbox.ticket_count() == before + 1


def test_a_create_still_in_flight_is_reported_not_repeated(ui, monkeypatch, psa_kind):
    def in_flight(*args, **kwargs):
        raise service.IdempotencyInFlight()

    monkeypatch.setattr(service, "create_ticket", in_flight)
    response = _post(ui, "create", _complete())
    assert response.status_code == 422
    assert f"still being created in {psa_name(psa_kind)}" in response.content.decode()


def test_the_create_button_is_disabled_while_in_flight(ui):
    html = _open(ui)
    assert 'hx-disabled-elt="find button"' in html and 'hx-sync="this:drop"' in html


def test_without_htmx_create_redirects_to_the_new_ticket(ui):
    response = ui.post("/tickets/new", {**_complete(), "action": "create"})
    assert response.status_code == 302
    assert re.fullmatch(r"/tickets\?ticket=\d+", response["Location"])


def test_the_tickets_page_has_the_button_and_refreshes_on_ticket_created(ui):
    html = ui.get("/tickets").content.decode()
    assert 'href="/tickets/new?tab=full" data-new-ticket aria-keyshortcuts="n">New ticket</a>' in html
    assert 'hx-trigger="ticketCreated from:body"' in html
    assert '<div id="modal"></div>' in html


def test_control_characters_are_refused_as_the_api_refuses_them_and_the_text_is_kept(ui, sandbox):
    before = sandbox.ticket_count()
    for field, value in (("summary", "Printer\x1b[31m offline"), ("description", "line one\x07")):
        response = _post(ui, "create", {**_complete(), field: value})

        html = response.content.decode()
        assert response.status_code == 422, field
        assert "Control characters (such as NUL) are not allowed" in html, field
        assert value[:8] in html, field  # what was typed is still in the form
    assert sandbox.ticket_count() == before


def test_tabs_and_line_breaks_in_a_description_are_still_text(ui, sandbox):
    response = _post(ui, "create", {**_complete(), "description": "Steps:\n\t1. reboot\r\n\t2. check"})

    assert response.status_code == 204
