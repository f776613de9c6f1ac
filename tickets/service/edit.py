"""Inline edits of a ticket (the drawer header): summary, priority, type/subtype/item, required date,
board with its status, and status changes guarded the same way.

* ``update_ticket(tenant, ticket_id, changes, expected_last_updated=..., loaded=...)``: applies the
  fields sent in ``changes`` (``TicketChanges``: the boundary's model). With ``expected_last_updated``
  (the ticket's ``last_updated`` as the drawer loaded it) a ticket changed in the PSA since then is not
  edited blindly: ``PSAEditConflict`` says who changed it and when and carries the ticket as it is now;
  with ``loaded`` (the header's fields as the drawer showed them) it also lists which of them changed.
  A change elsewhere on the ticket (a note, time, an assignee: nothing the header shows) is no conflict:
  the edit is re-applied at once.
* ``change_status(...)``: a status change with the same guard (without ``expected_last_updated`` it is
  the plain ``update_status``).
* ``board_choices(tenant, board_id)``: the board's types, subtypes and items for the selects (cached
  like the reference data).

The ids are checked against the account's reference data here (``InvalidInput`` naming the field);
the PSA's own refusals arrive as ``PSAValidationError`` with the same field names.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from pydantic import BaseModel

from psa import concurrency
from psa.providers.base import FieldError, PSAEditConflict, PSAError, PSANotFoundError, PSANotSupportedError
from psa.reference import cache_key
from psa.schemas import (
    PSABoardItem,
    PSABoardSubtype,
    PSABoardType,
    PSATicketDetail,
    PSATicketStatusUpdate,
    PSATicketUpdate,
    TicketChanges,
    TicketEditFields,
    TicketFieldChange,
)
from psa.tenancy import Tenant
from tickets.service.drawer import update_status
from tickets.service.errors import InvalidInput

FIELD_LABELS = {
    "summary": "Summary", "priority_id": "Priority", "type_id": "Type", "subtype_id": "Subtype",
    "item_id": "Item", "required_date": "Required date", "board_id": "Board", "status_id": "Status",
}
# How a conflict shows a field's value now: the name beside each id.
_SHOWN_AS = {
    "priority_id": "priority_name", "type_id": "type_name", "subtype_id": "subtype_name", "item_id": "item_name",
    "board_id": "board_name", "status_id": "status_name",
}


def _check(tenant: Tenant, changes: TicketChanges) -> None:
    """Board, status and priority ids are the account's; a board move names a status of the new board."""
    sent = changes.sent
    parts = [part for part, fields in (("boards", ("board_id", "status_id")), ("priorities", ("priority_id",)))
             if any(f in sent for f in fields)]
    if not parts:
        return
    reference = tenant.reference(*parts)
    errors: list[FieldError] = []
    if "board_id" in sent:
        if reference.board(changes.board_id) is None:
            errors.append(FieldError("board_id", f"Unknown board id {changes.board_id}"))
        elif reference.status(changes.status_id, changes.board_id) is None:
            errors.append(FieldError("status_id", f"Choose a status of the new board: status {changes.status_id} "
                                                  f"is not on board {changes.board_id}"))
    elif "status_id" in sent and reference.status(changes.status_id) is None:
        errors.append(FieldError("status_id", f"Unknown status id {changes.status_id}"))
    if "priority_id" in sent and reference.priority(changes.priority_id) is None:
        errors.append(FieldError("priority_id", f"Unknown priority id {changes.priority_id}"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), field_errors=errors)


def _shown(ticket: PSATicketDetail, field: str) -> str | None:
    if field in _SHOWN_AS:
        return getattr(ticket, _SHOWN_AS[field])
    value = getattr(ticket, field)
    return value.isoformat() if isinstance(value, datetime) else value


def _diff(conflict: PSAEditConflict, loaded: TicketEditFields | None) -> None:
    """Which header fields changed since ``loaded``, with their values now."""
    if loaded is None:
        return
    now = TicketEditFields.of(conflict.current)
    conflict.changes = [
        TicketFieldChange(field=field, label=label, current=_shown(conflict.current, field))
        for field, label in FIELD_LABELS.items()
        if getattr(now, field) != getattr(loaded, field)
    ]


def _name_changer(tenant: Tenant, conflict: PSAEditConflict) -> None:
    """The changer's name from the member directory (cached reference data), when it can be read."""
    if not conflict.updated_by:
        return
    try:
        members = tenant.reference("members").members
    except PSAError:
        return
    wanted = conflict.updated_by.lower()
    conflict.updated_by_name = next((m.name for m in members if m.identifier.lower() == wanted), None)


def _refuse(tenant: Tenant, conflict: PSAEditConflict, loaded: TicketEditFields | None) -> bool:
    """Whether the conflict stands (then it is described in full); a change only to what the header does
    not show does not."""
    _diff(conflict, loaded)
    if loaded is not None and not conflict.changes:
        return False
    _name_changer(tenant, conflict)
    return True


def update_ticket(tenant: Tenant, ticket_id: int, changes: TicketChanges, *,
                  expected_last_updated: datetime | None = None,
                  loaded: TicketEditFields | None = None) -> PSATicketUpdate:
    """Applies ``changes`` (a GET for the concurrent-edit check, then one PATCH). See the module docstring
    for the guard; ``PSAEditConflict`` is raised with ``changes`` and ``updated_by_name`` filled in."""
    _check(tenant, changes)
    provider = tenant.provider
    try:
        return provider.update_ticket(ticket_id, changes, expected_last_updated)
    except PSAEditConflict as conflict:
        if _refuse(tenant, conflict, loaded):
            raise
        changed_at = conflict.last_updated
    # Changed, but in nothing the header shows: the edit is not blind. Once more against the new time
    # (a second conflict, someone editing right now, is raised as it is).
    try:
        return provider.update_ticket(ticket_id, changes, changed_at)
    except PSAEditConflict as again:
        _diff(again, loaded)
        _name_changer(tenant, again)
        raise


def change_status(tenant: Tenant, ticket_id: int, status_id: int, *,
                  expected_last_updated: datetime | None = None,
                  loaded: TicketEditFields | None = None) -> PSATicketStatusUpdate:
    """A status change; with ``expected_last_updated``, guarded like ``update_ticket`` (same two calls)."""
    if expected_last_updated is None:
        return update_status(tenant, ticket_id, status_id)
    try:
        update = update_ticket(tenant, ticket_id, TicketChanges(status_id=status_id),
                               expected_last_updated=expected_last_updated, loaded=loaded)
    except PSANotSupportedError:  # a PSA without guarded edits (Autotask): the plain status change
        return update_status(tenant, ticket_id, status_id)
    return PSATicketStatusUpdate(ticket_id=ticket_id, previous_status=update.previous.status_name or "",
                                 new_status=update.ticket.status_name or "", ticket=update.ticket)


class BoardChoices(BaseModel):
    """A board's ticket types, subtypes (each with the types it goes with) and items."""

    types: list[PSABoardType]
    subtypes: list[PSABoardSubtype]
    items: list[PSABoardItem]


def board_choices(tenant: Tenant, board_id: int) -> BoardChoices:
    """The board's types, subtypes and items: three PSA calls in one parallel round, then cached per
    account and connection version like the reference data. An unknown board: ``PSANotFoundError``."""
    connection = tenant.require_connection()
    if tenant.reference("boards").board(board_id) is None:
        raise PSANotFoundError(f"Unknown board id {board_id}")
    key = cache_key(connection, f"board-choices:{int(board_id)}")
    data = cache.get(key)
    if data is None:
        provider = tenant.provider
        calls = (provider.list_board_types, provider.list_board_subtypes, provider.list_board_items)
        futures = [concurrency.call(call, board_id, key=provider.capacity_key) for call in calls]
        for future in futures:  # every call finishes before any error is raised
            future.exception()
        types, subtypes, items = (future.result() for future in futures)
        data = BoardChoices(types=types, subtypes=subtypes, items=items).model_dump(mode="json")
        cache.set(key, data, settings.PSA_REFERENCE_CACHE_SECONDS)
    return BoardChoices.model_validate(data)
