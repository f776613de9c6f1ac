"""HTML views for /tickets: the queue (full page or ``#results``), the ticket drawer and the New Ticket modal.

Thin function views: parse input, call ``tickets.service``, pick a template or partial. PSA
failures become inline messages (with Retry) rendered by the partial that asked, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from psa.providers.base import (
    PSAChoosePrimaryError,
    PSAEditConflict,
    PSAError,
    PSAUnavailableError,
    PSAValidationError,
)
from psa.reference import ALL_PARTS
from psa.schemas import NOTE_MAX, PROMPT_MAX, SUMMARY_MAX, TicketEditFields
from psa.web import to_int, toast
from tickets import service, validation
from tickets.ai.client import engine_status
from tickets.ai_parse import AiRateLimited, count_ai_request, parse_ticket_prompt
from tickets.filters import FILTER_CONFIG, TicketFilterSet, parts_to_check
from tickets.forms import FIELDS, TABS, Draft, NewTicketForm, merge_parsed, new_token
from tickets.results import results_html
from tickets.rows import RowUrls
from tickets.service.backlinks import BackLinks
from tickets.service.edit import change_status
from tickets.shell import shell_from_params, shell_from_ticket
from tickets.signals import spin_off_created, spin_off_opened

PAGE_SIZE = 25
NOTE_KINDS = (("internal", "Internal"), ("discussion", "Discussion"), ("resolution", "Resolution"))  # CW's three flags


def note_kinds(tenant) -> tuple[tuple[str, str], ...]:
    """The note types the composers offer: those the connection's PSA keeps (Autotask has no resolution note)."""
    try:
        kept = tenant.provider.note_kinds
    except (service.NoPSAConnection, PSAError):
        return NOTE_KINDS
    return tuple((value, label) for value, label in NOTE_KINDS if value in kept)


# --- helpers ----------------------------------------------------------------------------------


def _psa(request) -> str:
    """The account's PSA as sentences name it ("ConnectWise", "Autotask")."""
    connection = request.tenant.connection if getattr(request, "tenant", None) is not None else None
    return connection.psa_name if connection is not None else "ConnectWise"


def _list_query(request) -> str:
    """The queue's current query string (without ``ticket``), for row links rendered outside /tickets."""
    queue = reverse("ticket_list")
    if request.path == queue:
        pairs = request.GET.items()
    elif request.htmx and request.htmx.current_url:
        split = urlsplit(request.htmx.current_url)
        pairs = parse_qsl(split.query) if split.path == queue else []
    else:
        pairs = []
    return urlencode([(k, v) for k, v in pairs if k != "ticket"])


def _deep_link_shell(request, ticket_id: int) -> dict:
    try:
        return shell_from_ticket(service.get_ticket(request.tenant, ticket_id))
    except PSAError as error:
        return {"id": ticket_id, "error": error}


# --- the queue --------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def ticket_list(request):
    template = "tickets/list.html"
    full_page = not (request.htmx and not request.htmx.history_restore_request)
    if not full_page:
        template += "#results"
    # The results' fixed URLs (reverse() once per script prefix) and the live poll's "since", from the view:
    # the template's {% url %} and {% now %} cost more than the rest of #results around the rows.
    context = {"filter_config": FILTER_CONFIG, "list_query": _list_query(request), "page_size": PAGE_SIZE,
               "urls": RowUrls.reverse(), "drawn_at": int(timezone.now().timestamp())}
    filterset = None
    try:
        # The full page renders the filter bar: start every part of the reference data now (one
        # parallel round when not cached), so the search below runs while it loads. The results
        # partial reads only what the chosen filters need, all started together.
        reference = request.tenant.reference(*(ALL_PARTS if full_page else parts_to_check(request.GET)))
        filterset = TicketFilterSet(request.GET, reference=reference)
        filters, page = filterset.cleaned()
        context.update(filters=filters, problems=filterset.problems)
        result = service.search_tickets(request.tenant, filters, page=page, page_size=PAGE_SIZE, reference=reference)
        context["results_html"] = _results_html(request, result, page, context)
    except service.NoPSAConnection:
        context["no_connection"] = True
    except service.MemberMappingRequired:
        context["mapping_required"] = True
    except PSAError as error:
        context["psa_error"] = error
    if filterset is not None:
        try:  # the filter bar (full page), or the status select after a board change (out of band)
            if full_page:
                context["filter_fields"] = filterset.bound_fields()
            elif _board_changed(request):
                context["status_field"] = filterset.bound_field("status")
        except PSAError as error:
            context.setdefault("psa_error", error)
    ticket_id = to_int(request.GET.get("ticket"))
    if ticket_id and full_page and not context.get("no_connection"):
        context["shell"] = _deep_link_shell(request, ticket_id)
    return render(request, template, context)


def _results_html(request, result, page: int, context: dict):
    """The results below the notices (``tickets/results.py``). Only their HTML goes into the template context, not
    the ticket DTOs: a template context is a reference cycle (Django's), so what it holds waits for the garbage
    collector, while the page's 25 DTOs (~100 objects) are freed as soon as the view returns (a list render's
    cyclic garbage 212 -> 112 objects, its CPU ~3% less; README, "List render cost")."""
    return results_html(request, result, page=page, page_size=PAGE_SIZE, list_query=context["list_query"],
                        urls=context["urls"], drawn_at=context["drawn_at"], psa_words=request.tenant.psa_words)


def _board_changed(request) -> bool:
    """Whether an htmx filter request changed the board: then the status select is swapped out-of-band."""
    if not request.htmx or not request.htmx.current_url:
        return False
    before = dict(parse_qsl(urlsplit(request.htmx.current_url).query)).get("board", "")
    return before != request.GET.get("board", "")


# --- the drawer -------------------------------------------------------------------------------


@require_GET
def ticket_panel(request, ticket_id: int):
    """The drawer shell, from the row's data. Sections load themselves (hx-trigger="load")."""
    return render(request, "tickets/panel.html", {"shell": shell_from_params(ticket_id, request.GET)})


@require_GET
def ticket_detail(request, ticket_id: int):
    company_id = to_int(request.GET.get("company"))
    context = {"ticket_id": ticket_id, "company_id": company_id, "note_kinds": note_kinds(request.tenant),
               "note_kind": "internal"}
    try:
        context["panel"] = service.get_ticket_panel(request.tenant, ticket_id, company_id)
    except service.NoPSAConnection:
        context["no_connection"] = True
    configurations = context.get("panel") and context["panel"].configurations.value
    if configurations:
        context["config_ids"] = ",".join(str(config.id) for config in configurations)
    detail = context.get("panel") and context["panel"].detail.value
    if detail is not None and detail.board_id:
        context["status_control"] = _status_control(request, ticket_id, detail.board_id, detail.status_id, detail.status_name,
                                                    ticket=detail)
    return render(request, "tickets/panel.html#detail", context)


@require_GET
def ticket_configurations(request, ticket_id: int):
    """The drawer's configuration facts (serial, IP, OS, type, status), loaded after #detail.

    ``ids``: the configuration references #detail rendered (one parallel round of reads); without
    it the ticket's references are read first.
    """
    raw = request.GET.get("ids")
    context = {"ticket_id": ticket_id, "config_ids": (raw or "")[:600]}
    try:
        ids = None if raw is None else [int(part) for part in raw.split(",") if part.strip()]
        if ids is not None:
            validation.check_configuration_ids(ids)
        context["configurations"] = service.get_configurations(request.tenant, ticket_id, ids)
    except service.NoPSAConnection:
        context["message"] = "no PSA connection"
    except PSAError as error:  # includes InvalidInput (too many or out-of-range ids)
        context["message"] = error.message
    except ValueError:  # an id that is not a number
        context["message"] = "the configuration ids are not valid"
    return render(request, "tickets/panel.html#configuration_facts", context)


def _on_ticket_queue(request) -> bool:
    """Whether the htmx request comes from the /tickets page (non-htmx posts are treated as such)."""
    if not request.htmx or not request.htmx.current_url_abs_path:
        return True
    return request.htmx.current_url_abs_path.split("?")[0] == reverse("ticket_list")


def _status_control(request, ticket_id, board_id, status_id, status_name, error=None, *, ticket=None,
                    loaded: str = "", last_updated: str = "") -> dict:
    """The drawer's status select. With ``ticket`` (as just read or written) it carries the header's fields
    and ``lastUpdated`` as loaded, for the concurrent-edit guard (issue 19); else ``loaded``/``last_updated``."""
    try:
        statuses = request.tenant.reference("boards").statuses(board_id)
    except PSAError:
        statuses = []
    if ticket is not None:
        loaded = TicketEditFields.of(ticket).model_dump_json()
        last_updated = ticket.last_updated.isoformat() if ticket.last_updated else ""
    return {"ticket_id": ticket_id, "board_id": board_id, "status_id": status_id, "status_name": status_name,
            "statuses": statuses, "error": error, "loaded": loaded, "last_updated": last_updated}


# --- the status select's concurrent-edit guard (issue 19) -------------------------------------------------


def _status_discard(request, ticket_id: int):
    """Discard mine: the status control for the ticket as it is now in the PSA (1 GET)."""
    try:
        ticket = service.get_ticket(request.tenant, ticket_id)
    except (service.NoPSAConnection, PSAError) as error:
        control = _status_control(request, ticket_id, to_int(request.POST.get("board")), to_int(request.POST.get("current")),
                                  request.POST.get("current_name", ""), error=getattr(error, "message", str(error)),
                                  loaded=request.POST.get("loaded", ""), last_updated=request.POST.get("last_updated", ""))
        return render(request, "tickets/panel.html#status", {"control": control}, status=422)
    control = _status_control(request, ticket_id, ticket.board_id, ticket.status_id, ticket.status_name, ticket=ticket)
    return render(request, "tickets/panel.html#status", {"control": control})


def _status_conflict(request, ticket_id: int, board_id, status_id, conflict: PSAEditConflict):
    """The status select keeps my choice; the control says what changed and by whom (422)."""
    who = conflict.updated_by_name or conflict.updated_by or "someone"
    control = _status_control(request, ticket_id, board_id, status_id, request.POST.get("current_name", ""),
                              loaded=request.POST.get("loaded", ""), last_updated=request.POST.get("last_updated", ""))
    control.update(conflict=conflict, who=who, current=to_int(request.POST.get("current")),
                   expected=conflict.last_updated.isoformat() if conflict.last_updated else "")
    response = render(request, "tickets/panel.html#status", {"control": control}, status=422)
    return toast(response, f"Status not changed: #{ticket_id} was changed in {conflict.psa} by {who}", "error")


@require_POST
def ticket_status(request, ticket_id: int):
    if request.POST.get("discard"):
        return _status_discard(request, ticket_id)
    status_id = to_int(request.POST.get("status"))
    board_id = to_int(request.POST.get("board"))
    context = {"list_query": _list_query(request)}
    expected = request.POST.get("expected") or request.POST.get("last_updated")
    try:
        if status_id is None:
            raise ValueError("Choose a status")
        validation.check_status(request.tenant.reference("boards"), status_id)
        loaded = request.POST.get("loaded")
        update = change_status(request.tenant, ticket_id, status_id,
                               expected_last_updated=datetime.fromisoformat(expected) if expected else None,
                               loaded=TicketEditFields.model_validate_json(loaded) if loaded else None)
    except PSAEditConflict as conflict:
        return _status_conflict(request, ticket_id, board_id, status_id, conflict)
    except (PSAError, ValueError) as error:
        message = getattr(error, "message", str(error))
        if getattr(error, "outcome_unknown", False):
            message = (f"Status change not confirmed: {message}. It may have changed in {_psa(request)}; reopen the "
                       "ticket to check")
        else:
            message = f"Status not changed: {message}"
        context["control"] = _status_control(request, ticket_id, board_id, to_int(request.POST.get("current")),
                                             request.POST.get("current_name", ""), error=message,
                                             loaded=request.POST.get("loaded", ""),
                                             last_updated=request.POST.get("last_updated", ""))
        response = render(request, "tickets/panel.html#status", context, status=422)
        return toast(response, message, "error")
    context["control"] = _status_control(request, ticket_id, board_id, status_id, update.new_status, ticket=update.ticket)
    if _on_ticket_queue(request):  # only the queue has a row to update (the dashboard reloads its widget)
        # The provider returns the updated ticket with the change (ConnectWise's PATCH answer): no re-read.
        context["ticket"] = update.ticket
        if context["ticket"] is None:
            try:
                context["ticket"] = service.get_ticket(request.tenant, ticket_id)
            except PSAError:
                pass  # the status changed; the row refreshes on the next list load
    response = render(request, "tickets/panel.html#status_changed", context)
    return toast(response, f"Ticket #{ticket_id}: {update.previous_status} → {update.new_status}")


# --- resources --------------------------------------------------------------------------------


def _resources_context(request, ticket_id: int, error: str | None = None) -> dict:
    context = {"ticket_id": ticket_id, "action_error": error}
    try:
        request.tenant.reference("members")  # loads beside the assignees when not cached: the Add member picker's
        resources = service.list_resources(request.tenant, ticket_id)
    except service.NoPSAConnection:
        context["no_connection"] = True
        return context
    except PSAError as load_error:
        context["error"] = load_error
        return context
    assigned = {r.member_id for r in resources}
    context.update(
        resources=resources,
        assigned_ids=",".join(str(member_id) for member_id in sorted(assigned)),  # the Add member picker leaves them out
    )
    return context


def _resources_changed(request, ticket_id: int):
    """The resources section after an add/remove; on the queue also the row's Assignees cell, out of
    band, from the resources just listed (no extra PSA call; the row shows member identifiers)."""
    context = _resources_context(request, ticket_id)
    if _on_ticket_queue(request) and "resources" in context:
        context["queue_assignees"] = [r.member_identifier for r in context["resources"]]
    return render(request, "tickets/panel.html#resources_changed", context)


@require_http_methods(["GET", "POST"])
def ticket_resources(request, ticket_id: int):
    """GET: current assignees and the add form. POST ``member``: assign that member."""
    if request.method == "POST":
        return _add_resource(request, ticket_id)
    return render(request, "tickets/panel.html#resources", _resources_context(request, ticket_id))


def _resources_failed(request, ticket_id: int, action: str, error: PSAError):
    """The resources section again with the reason inline (422), and an error toast naming the action."""
    context = _resources_context(request, ticket_id, error=error.message)
    response = render(request, "tickets/panel.html#resources", context, status=422)
    return toast(response, f"Could not {action} the member: {error.message}", "error")


def _add_resource(request, ticket_id: int):
    member_id = to_int(request.POST.get("member"))
    if member_id is None:
        context = _resources_context(request, ticket_id, error="Choose a member to add")
        return render(request, "tickets/panel.html#resources", context, status=422)
    try:
        validation.check_member(request.tenant.reference("members"), member_id)
        added = service.add_resource(request.tenant, ticket_id, member_id)
    except PSAError as error:
        return _resources_failed(request, ticket_id, "add", error)
    response = _resources_changed(request, ticket_id)
    return toast(response, f"{added.member_name} assigned to #{ticket_id}")


@require_POST
def ticket_resource_remove(request, ticket_id: int, member_id: int):
    """Unassign a member. Removing the primary resource of an Autotask ticket others are assigned to asks
    who becomes primary (the section again, with a choice of them: 422, nothing changed); the choice is
    posted back here as ``new_primary``."""
    try:
        service.remove_resource(request.tenant, ticket_id, member_id,
                                new_primary_id=to_int(request.POST.get("new_primary")))
    except PSAChoosePrimaryError as ask:
        context = _resources_context(request, ticket_id)
        context["choose_primary"] = ask
        return render(request, "tickets/panel.html#resources", context, status=422)
    except PSAError as error:
        return _resources_failed(request, ticket_id, "remove", error)
    response = _resources_changed(request, ticket_id)
    return toast(response, f"Member removed from #{ticket_id}")


# --- notes ------------------------------------------------------------------------------------


@require_POST
def ticket_note_add(request, ticket_id: int):
    text = request.POST.get("text", "")
    kind = request.POST.get("kind", "internal")
    context = {"ticket_id": ticket_id, "note_kinds": note_kinds(request.tenant), "note_kind": kind, "note_text": text}
    error = None
    prefix = "Note not saved"
    if kind not in dict(NOTE_KINDS):
        error = "Choose Internal, Discussion or Resolution"
    elif not text.strip():
        error = "Write a note first"
    elif len(text) > NOTE_MAX:
        error = f"Notes are limited to {NOTE_MAX:,} characters"
    if error is None:
        try:
            context["note"] = service.add_note(request.tenant, ticket_id, text.strip(), kind=kind)
        except PSAError as psa_error:
            error = psa_error.message
            if psa_error.outcome_unknown:
                prefix = "Note not confirmed"
                error += (f". It may have been saved in {_psa(request)}: reopen the ticket to check before adding it "
                          "again")
    if error:
        context["note_error"] = error
        response = render(request, "tickets/panel.html#note_form", context, status=422)
        return toast(response, f"{prefix}: {error}", "error")
    context["note_text"] = ""
    response = render(request, "tickets/panel.html#note_added", context)
    return toast(response, f"Note added to #{ticket_id}")


# --- the New Ticket modal ---------------------------------------------------------------------
# GET /tickets/new opens it; every later round trip POSTs the whole draft back to the same URL with
# ``action`` = "tab:quick" | "tab:full" | "board" | "parse" | "create". Invalid input re-renders the
# form (422, which htmx swaps); a successful create answers 204 + HX-Trigger (closeModal,
# ticketCreated, toast). Without htmx the same view serves a plain page and redirects on success.

NEW_TICKET = "tickets/new_ticket.html"


def _modal_choices(reference, board_id: int | None) -> dict:
    """What the modal's selects and datalist offer (reads the reference data: PSA errors surface here)."""
    return {
        "boards": reference.boards,
        "statuses": reference.statuses(board_id),  # the draft's board only
        "priorities": reference.priorities,
        "members": reference.members,
    }


def _check_origin(request, draft: Draft) -> None:
    """404 unless the Assist session (and action) the modal came from are the user's own."""
    if draft.session_id is None:
        draft.action_id = None
        return
    spin_off_opened.send(sender=None, tenant=request.tenant, session_id=draft.session_id, action_id=draft.action_id)


def _origin_url(draft: Draft) -> str | None:
    """The page of the Assist session the modal came from (by URL name: tickets does not import assist)."""
    return reverse("assist_session", args=[draft.session_id]) if draft.session_id is not None else None


def _render_new_ticket(request, draft: Draft, choices: dict | None, *, part: str = "form", status: int = 200, **extra):
    template = NEW_TICKET
    if request.htmx and not request.htmx.history_restore_request:
        template += f"#{part}"
    members = (choices or {}).get("members", [])
    context = {
        "draft": draft,
        "ref": choices or {},
        "errors": {},
        "cancel_url": _origin_url(draft) or reverse("ticket_list"),
        "summary_max": SUMMARY_MAX,
        "note_max": NOTE_MAX,
        "prompt_max": PROMPT_MAX,
        # The assigned member picker shows the chosen member's name (the cached list names it; none is shipped).
        "member_label": next((m.name for m in members if m.id == draft.assigned_member_id), ""),
        **extra,
    }
    errors = context["errors"]
    context["f"] = {
        name: {"value": draft.value(name), "errors": errors.get(name, []), "missing": draft.is_missing(name),
               "invalid": bool(errors.get(name)) or draft.is_missing(name)}
        for name in FIELDS
    }
    context["fields_shown"] = choices is not None and (draft.tab == "full" or draft.parsed)
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def new_ticket(request):
    opening = request.method == "GET"
    data = request.GET if opening else request.POST
    board_id = to_int(data.get("board" if opening else "board_id"))
    try:
        reference = request.tenant.reference(*ALL_PARTS)
        choices = _modal_choices(reference, board_id)
    except (service.NoPSAConnection, PSAError) as error:
        draft = Draft.opening(request.GET, None) if opening else Draft.from_post(data)
        problem = {"no_connection": True} if isinstance(error, service.NoPSAConnection) else {"ref_error": error}
        return _render_new_ticket(request, draft, None, part="modal" if opening else "form", **problem)

    draft = Draft.opening(request.GET, reference) if opening else Draft.from_post(request.POST)
    _check_origin(request, draft)
    if opening:
        return _render_new_ticket(request, draft, choices, part="modal")

    action = request.POST.get("action", "")
    if action.startswith("tab:"):
        draft.tab = action[4:] if action[4:] in TABS else draft.tab
    elif action == "board":
        draft.status_id = draft.status_id if reference.status(draft.status_id, draft.board_id) else None
        return _render_new_ticket(request, draft, choices, part="status_field")
    elif action == "parse":
        return _parse_draft(request, draft, reference, choices)
    elif action == "create":
        return _create_from_draft(request, draft, reference, choices)
    return _render_new_ticket(request, draft, choices)


def _parse_draft(request, draft: Draft, reference, choices: dict):
    """Quick Create: parse the prompt and merge it into the draft. Never creates anything."""
    draft.tab = "quick"
    try:
        count_ai_request(request.user, request.account)  # the limit every AI entry point shares
        parsed = parse_ticket_prompt(request.tenant, draft.prompt, reference=reference)
    except AiRateLimited as limited:
        # htmx swaps only 2xx and 422 into the modal: 422 there, a real 429 to a plain form post.
        response = _render_new_ticket(request, draft, choices, status=422 if request.htmx else 429,
                                      prompt_error=limited.message)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except ValueError as error:
        return _render_new_ticket(request, draft, choices, status=422, prompt_error=str(error))
    except PSAError as error:  # the parse's own reads (every company's name): the same Retry as the modal's
        return _render_new_ticket(request, draft, choices, ref_error=error)
    merge_parsed(draft, parsed, reference)
    choices["statuses"] = reference.statuses(draft.board_id)
    return _render_new_ticket(request, draft, choices)


def _create_from_draft(request, draft: Draft, reference, choices: dict):
    form = NewTicketForm(request.POST, reference=reference)
    if form.is_valid():
        try:
            created = service.create_ticket(request.tenant, form.payload(), idempotency_key=draft.token)
        except service.IdempotencyInFlight:
            form.add_error(None, f"This ticket is still being created in {_psa(request)}. Wait a moment, then press "
                                 "Create again (it will not be created twice).")
        except PSAValidationError as error:
            if any(e.field == "Idempotency-Key" for e in error.field_errors):
                form.add_error(None, "An earlier attempt with different values may already have created this ticket in "
                                     f"{_psa(request)}. Check the ticket list; press Create again to create it with "
                                     "these values.")
            else:
                form.add_psa_error(error)
            draft.token = new_token()  # refused: nothing was created, so the next attempt is a new request
        except PSAUnavailableError as error:
            # The ticket may or may not exist: keep the token, so a retry finds it instead of creating twice.
            form.add_error(None, f"{error.message}. Your draft is kept; press Create again to retry "
                                 "(it will not be created twice).")
        except PSAError as error:
            form.add_error(None, error.message)
            draft.token = new_token()
        else:
            return _ticket_created(request, draft, created)
    errors = {name: list(messages) for name, messages in form.errors.items() if name != "__all__"}
    return _render_new_ticket(request, draft, choices, status=422, errors=errors,
                              form_errors=form.non_field_errors())


def _ticket_created(request, draft: Draft, created):
    back_links = None
    if draft.session_id is not None:
        replies = spin_off_created.send(sender=None, tenant=request.tenant, session_id=draft.session_id,
                                        action_id=draft.action_id, ticket_id=created.id, summary=created.summary,
                                        origin_url=request.build_absolute_uri(_origin_url(draft)))
        back_links = next((reply for _, reply in replies if isinstance(reply, BackLinks)), None)
    if not request.htmx:
        return redirect(_origin_url(draft) or f"{reverse('ticket_list')}?ticket={created.id}")
    response = HttpResponse(status=204)
    trigger_client_event(response, "closeModal", True)
    trigger_client_event(response, "ticketCreated", {"id": created.id})
    if back_links is not None and back_links.failed_ticket_ids:
        # The ticket exists: the toast says so, names the missing link note and offers Retry (which writes
        # only the missing notes, never one twice: tickets.service.backlinks).
        numbers = " and ".join(f"#{ticket_id}" for ticket_id in back_links.failed_ticket_ids)
        notes = "notes" if len(back_links.failed_ticket_ids) > 1 else "note"
        retry = reverse("psa_api:retry_spin_off_links", args=[created.id])
        return trigger_client_event(response, "toast", {
            "message": f"Ticket #{created.id} created; the link {notes} on {numbers} could not be added",
            "level": "error", "action": {"label": "Retry", "method": "post", "url": retry},
        })
    return toast(response, f"Ticket #{created.id} created in {_psa(request)}")


@require_GET
@vary_on_headers("HX-Request")
def ai_engine_status(request):
    """The "AI engine" card of the Integrations page (admins): which engine parses, and its last problem
    (a refused key told apart from an outage). A plain GET gets it as a page."""
    if not request.tenant.is_admin:
        raise PermissionDenied("Only account admins can see the AI engine's state")
    template = "tickets/ai_status.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#ai-engine"
    return render(request, template, {"status": engine_status()})
