"""Inline edit of a ticket in the drawer header: summary, priority and required date, with the
concurrent-edit guard (``tickets.service.edit``).

GET /tickets/<id>/edit reads the ticket (1 GET) and renders the form with what it loaded (its fields and
``last_updated``). POST sends only the fields the engineer changed; when the ticket changed in ConnectWise
since it was loaded, nothing is applied: the form comes back (422) saying what changed and by whom, with
**Re-apply** (the same edit against the new version) and **Discard** (the ticket as it is now). On success
the drawer title and the queue row update in place.
"""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from pydantic import ValidationError

from psa.providers.base import PSAEditConflict, PSAError
from psa.schemas import TicketChanges, TicketEditFields
from psa.web import to_int, toast
from tickets import service
from tickets.service.edit import update_ticket
from tickets.service.errors import NoPSAConnection
from tickets.views import _list_query, _on_ticket_queue

EDIT = "tickets/edit.html"


def _date_input(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def _values_of(ticket) -> dict:
    return {"summary": ticket.summary or "", "priority_id": str(ticket.priority_id or ""),
            "required_date": _date_input(ticket.required_date),
            "last_updated": ticket.last_updated.isoformat() if ticket.last_updated else ""}


def _render(request, ticket_id: int, values: dict, loaded: dict, status: int = 200, **extra):
    try:
        priorities = request.tenant.reference("priorities").priorities
    except PSAError:
        priorities = []
    context = {"ticket_id": ticket_id, "values": values, "loaded": loaded, "priorities": priorities,
               "errors": {}, **extra}
    return render(request, f"{EDIT}#edit_form", context, status=status)


def _loaded(post) -> dict:
    return {name: post.get(f"loaded_{name}", "") for name in ("summary", "priority_id", "required_date", "last_updated")}


def _changes(values: dict, loaded: dict) -> dict:
    changed = {}
    if values["summary"].strip() != loaded["summary"].strip():
        changed["summary"] = values["summary"]
    if values["priority_id"] != loaded["priority_id"]:
        changed["priority_id"] = to_int(values["priority_id"])
    if values["required_date"] != loaded["required_date"]:
        raw = values["required_date"]
        changed["required_date"] = (timezone.make_aware(datetime.fromisoformat(raw), timezone.get_current_timezone())
                                    if raw else None)
    return changed


def _loaded_fields(loaded: dict) -> TicketEditFields:
    required = loaded["required_date"]
    return TicketEditFields(
        summary=loaded["summary"], priority_id=to_int(loaded["priority_id"]),
        required_date=(timezone.make_aware(datetime.fromisoformat(required), timezone.get_current_timezone())
                       if required else None),
    )


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
        return _render(request, ticket_id, values, values)
    values = {name: request.POST.get(name, "") for name in ("summary", "priority_id", "required_date")}
    loaded = _loaded(request.POST)
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
        errors = {}
        if isinstance(invalid, ValidationError):
            for problem in invalid.errors():
                errors.setdefault(str(problem["loc"][0]) if problem["loc"] else "form", []).append(
                    problem["msg"].removeprefix("Value error, "))
        else:
            errors["required_date"] = ["Enter a date"]
        return _render(request, ticket_id, values, loaded, status=422, errors=errors)
    except PSAEditConflict as conflict:
        who = conflict.updated_by_name or conflict.updated_by or "someone"
        response = _render(request, ticket_id, values, loaded, status=422, conflict=conflict, who=who,
                           current=_values_of(conflict.current))
        return toast(response, f"Not saved: #{ticket_id} was changed in ConnectWise by {who}", "error")
    except (NoPSAConnection, PSAError) as error:
        message = getattr(error, "message", str(error))
        return _render(request, ticket_id, values, loaded, status=422, form_error=message)
    context = {"ticket_id": ticket_id, "ticket": update.ticket, "list_query": _list_query(request),
               "on_queue": _on_ticket_queue(request)}
    response = render(request, f"{EDIT}#edit_saved", context)
    return toast(response, f"Ticket #{ticket_id} updated")
