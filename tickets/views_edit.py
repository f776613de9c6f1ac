"""Inline edit of a ticket in the drawer header: summary, priority, type/subtype/item, required date and the
board (a move asks for the new board's status), with the concurrent-edit guard (``tickets.service.edit``).

GET /tickets/<id>/edit reads the ticket (1 GET) and renders the form with what it loaded (its fields and
``last_updated``); the Type, Subtype and Item selects are the board's (``board_choices``: one round of three
calls, then cached). Changing the Board or the Type re-renders the form (POST with ``rebuild``, no PSA call
once the new board's choices are cached): a new board brings its types and a "Status on the new board"
select with the same-named status preselected; a type keeps only the subtypes that go with it.
POST sends only the fields the engineer changed; when the ticket changed in ConnectWise since it was loaded,
nothing is applied: the form comes back (422) saying what changed and by whom, with **Re-apply** (the same
edit against the new version) and **Discard** (the ticket as it is now). On success the drawer title, board,
priority and status control and the queue row update in place.
"""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event
from pydantic import ValidationError

from psa.providers.base import PSAEditConflict, PSAError, PSANotSupportedError
from psa.schemas import TicketChanges, TicketEditFields
from psa.web import to_int, toast
from tickets import service
from tickets.service.edit import board_choices, update_ticket
from tickets.service.errors import NoPSAConnection
from tickets.views import _list_query, _on_ticket_queue, _status_control

EDIT = "tickets/edit.html"
FIELDS = ("summary", "priority_id", "type_id", "subtype_id", "item_id", "required_date", "board_id", "status_id")
CLEARABLE = ("type_id", "subtype_id", "item_id")


def _date_input(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def _text(value) -> str:
    return "" if value is None else str(value)


def _values_of(ticket) -> dict:
    values = {name: _text(getattr(ticket, name)) for name in FIELDS if name not in ("summary", "required_date")}
    values.update(summary=ticket.summary or "", required_date=_date_input(ticket.required_date),
                  last_updated=ticket.last_updated.isoformat() if ticket.last_updated else "")
    return values


def _choices(request, values: dict, loaded: dict) -> dict:
    """The selects' options for ``values`` (the board shown); a board move adds the new board's statuses.
    Options that do not fit the board or type shown are dropped from ``values`` (they would be refused)."""
    tenant = request.tenant
    context: dict = {"priorities": [], "boards": [], "types": [], "subtypes": [], "items": [], "statuses": []}
    try:
        context["priorities"] = tenant.reference("priorities").priorities
        boards = tenant.reference("boards")
        context["boards"] = boards.boards
    except PSAError:
        return context
    board_id = to_int(values["board_id"])
    try:
        choices = board_choices(tenant, board_id) if board_id else None
    except PSANotSupportedError:  # a PSA without ticket types (Autotask): the selects are left out
        context["no_types"] = True
        choices = None
    except PSAError as error:
        context["choices_error"] = error.message
        choices = None
    if choices is not None:
        type_id = to_int(values["type_id"])
        context["types"], context["items"] = choices.types, choices.items
        context["subtypes"] = [s for s in choices.subtypes if not s.type_ids or type_id in s.type_ids]
        for field, options in (("type_id", choices.types), ("subtype_id", context["subtypes"]),
                               ("item_id", choices.items)):
            if values[field] and to_int(values[field]) not in {o.id for o in options}:
                values[field] = ""
    if board_id and values["board_id"] != loaded["board_id"]:  # a move: the new board's status
        statuses = boards.statuses(board_id)
        context["statuses"] = statuses
        if to_int(values["status_id"]) not in {s.id for s in statuses}:
            was = boards.status(to_int(loaded["status_id"]))
            same = next((s for s in statuses if was and s.name.lower() == was.name.lower()), None)
            chosen = same or (statuses[0] if statuses else None)
            values["status_id"] = _text(chosen.id if chosen else None)
    return context


def _render(request, ticket_id: int, values: dict, loaded: dict, status: int = 200, **extra):
    context = {"ticket_id": ticket_id, "values": values, "loaded": loaded, "errors": {},
               **_choices(request, values, loaded), **extra}
    return render(request, f"{EDIT}#edit_form", context, status=status)


def _loaded(post) -> dict:
    return {name: post.get(f"loaded_{name}", "") for name in (*FIELDS, "last_updated")}


def _day(raw: str) -> datetime | None:
    return timezone.make_aware(datetime.fromisoformat(raw), timezone.get_current_timezone()) if raw else None


def _changes(values: dict, loaded: dict) -> dict:
    changed = {}
    if values["summary"].strip() != loaded["summary"].strip():
        changed["summary"] = values["summary"]
    if values["priority_id"] != loaded["priority_id"]:
        changed["priority_id"] = to_int(values["priority_id"])
    if values["board_id"] != loaded["board_id"]:
        changed["board_id"] = to_int(values["board_id"])
        changed["status_id"] = to_int(values["status_id"])
    for field in CLEARABLE:
        if values[field] != loaded[field]:
            changed[field] = to_int(values[field])
    if values["required_date"] != loaded["required_date"]:
        changed["required_date"] = _day(values["required_date"])
    return changed


def _loaded_fields(loaded: dict) -> TicketEditFields:
    fields = {name: to_int(loaded[name]) for name in FIELDS if name not in ("summary", "required_date")}
    return TicketEditFields(summary=loaded["summary"], required_date=_day(loaded["required_date"]), **fields)


def _errors(invalid: ValueError) -> dict:
    errors: dict = {}
    if isinstance(invalid, ValidationError):
        for problem in invalid.errors():
            errors.setdefault(str(problem["loc"][0]) if problem["loc"] else "form", []).append(
                problem["msg"].removeprefix("Value error, "))
    else:
        errors["required_date"] = ["Enter a date"]
    return errors


@require_http_methods(["GET", "POST"])
def ticket_edit(request, ticket_id: int):
    if request.method == "GET":
        if request.GET.get("cancel"):
            return render(request, f"{EDIT}#edit_slot", {"ticket_id": ticket_id})
        try:
            ticket = service.get_ticket(request.tenant, ticket_id)
        except (NoPSAConnection, PSAError) as error:
            return render(request, f"{EDIT}#edit_slot", {"ticket_id": ticket_id, "error": getattr(error, "message", str(error))})
        values = _values_of(ticket)
        return _render(request, ticket_id, values, dict(values))
    values = {name: request.POST.get(name, "") for name in FIELDS}
    loaded = _loaded(request.POST)
    if not values["board_id"]:  # the board select did not come (no boards could be read): no move
        values["board_id"], values["status_id"] = loaded["board_id"], loaded["status_id"]
    if request.POST.get("rebuild"):  # Board or Type changed: the form for them, nothing saved
        return _render(request, ticket_id, values, loaded, expected=request.POST.get("expected", ""))
    expected = request.POST.get("expected") or loaded["last_updated"]
    try:
        changed = _changes(values, loaded)
        if not changed:
            return _render(request, ticket_id, values, loaded, status=422, form_error="Nothing changed")
        changes = TicketChanges(**changed)
        update = update_ticket(request.tenant, ticket_id, changes,
                               expected_last_updated=datetime.fromisoformat(expected) if expected else None,
                               loaded=_loaded_fields(loaded))
    except ValueError as invalid:  # includes pydantic's ValidationError
        return _render(request, ticket_id, values, loaded, status=422, errors=_errors(invalid))
    except PSAEditConflict as conflict:
        who = conflict.updated_by_name or conflict.updated_by or "someone"
        response = _render(request, ticket_id, values, loaded, status=422, conflict=conflict, who=who,
                           expected=conflict.last_updated.isoformat() if conflict.last_updated else "")
        return toast(response, f"Not saved: #{ticket_id} was changed in {conflict.psa} by {who}", "error")
    except (NoPSAConnection, PSAError) as error:
        message = getattr(error, "message", str(error))
        errors = {e.field: [e.message] for e in getattr(error, "field_errors", None) or [] if e.field}
        return _render(request, ticket_id, values, loaded, status=422, form_error=message, errors=errors)
    ticket = update.ticket
    context = {"ticket_id": ticket_id, "ticket": ticket, "list_query": _list_query(request),
               "on_queue": _on_ticket_queue(request),
               "status_control": _status_control(request, ticket_id, ticket.board_id, ticket.status_id,
                                                 ticket.status_name, ticket=ticket)}
    response = render(request, f"{EDIT}#edit_saved", context)
    trigger_client_event(response, "ticketUpdated", {"id": ticket_id})  # My Queue on the dashboard reloads
    return toast(response, f"Ticket #{ticket_id} updated")
