"""Bulk actions on queue tickets: change status, change priority, assign a member, add a note.

``run_bulk(tenant, action, ticket_ids, value=..., text=...)`` runs one operation per ticket through the
connection's lane of ``psa.concurrency`` (the tenant-safety bulkhead: at most
``PSA_MAX_CALLS_PER_CONNECTION`` of this connection's calls in flight, whatever the selection's size), and
returns a ``BulkResult``: one ``TicketOutcome`` per ticket, in the order given — done, failed (with the
reason; ``retryable`` unless the PSA may have applied it) or skipped (with the reason).

Nothing is applied twice, so "Retry failed" (which sends the failed ids again) is safe: every operation
first reads the ticket's current state and skips a ticket already in the target state — a status it
already has, a member already assigned, the same note text already on the ticket.

Costs per ticket: status = 1 GET + 1 PATCH (0 PATCH when skipped), priority = 1 GET (+ the edit's own
GET and PATCH), assign = 1 GET + 1 POST, note = 1 GET + 1 POST. The board's statuses, priorities and members come from the cached reference data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from psa import concurrency
from psa.providers.base import PSAError
from psa.schemas import TicketChanges
from psa.tenancy import Tenant
from tickets.service.drawer import add_note, add_resource, get_ticket, list_resources, update_status
from tickets.service.edit import update_ticket

BULK_MAX = 100  # tickets in one bulk request (four pages of the queue)
ACTIONS = ("status", "priority", "assign", "note")
Outcome = Literal["done", "failed", "skipped"]


@dataclass
class TicketOutcome:
    ticket_id: int
    outcome: Outcome
    message: str = ""
    retryable: bool = True  # failed only: False when the PSA may have applied it ("not confirmed")
    ticket: object = None  # the updated ticket when the PSA returned it (the queue row is redrawn from it)


@dataclass
class BulkResult:
    action: str
    outcomes: list[TicketOutcome] = field(default_factory=list)

    def _of(self, outcome: Outcome) -> list[TicketOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    @property
    def done(self) -> list[TicketOutcome]:
        return self._of("done")

    @property
    def failed(self) -> list[TicketOutcome]:
        return self._of("failed")

    @property
    def skipped(self) -> list[TicketOutcome]:
        return self._of("skipped")

    @property
    def retry_ids(self) -> list[int]:
        """The failed tickets that a retry may safely send again."""
        return [o.ticket_id for o in self.failed if o.retryable]


class BulkInputError(ValueError):
    """The bulk request itself is not valid (no tickets, too many, an unknown action or value)."""


def _change_status(tenant: Tenant, ticket_id: int, status_name: str, statuses_by_board: dict) -> TicketOutcome:
    ticket = get_ticket(tenant, ticket_id)
    if (ticket.status_name or "").casefold() == status_name.casefold():
        return TicketOutcome(ticket_id, "skipped", f"already {ticket.status_name}")
    statuses = statuses_by_board.get(ticket.board_id, [])
    status = next((s for s in statuses if s.name.casefold() == status_name.casefold()), None)
    if status is None:
        return TicketOutcome(ticket_id, "skipped", f"no status {status_name!r} on board {ticket.board_name or ticket.board_id}")
    update = update_status(tenant, ticket_id, status.id)
    return TicketOutcome(ticket_id, "done", f"{update.previous_status} → {update.new_status}", ticket=update.ticket)


def _change_priority(tenant: Tenant, ticket_id: int, priority_id: int, name: str) -> TicketOutcome:
    ticket = get_ticket(tenant, ticket_id)
    if ticket.priority_id == priority_id:
        return TicketOutcome(ticket_id, "skipped", f"already {ticket.priority_name or name}")
    update = update_ticket(tenant, ticket_id, TicketChanges(priority_id=priority_id))
    return TicketOutcome(ticket_id, "done", f"{update.previous.priority_name} → {update.ticket.priority_name}",
                         ticket=update.ticket)


def _assign(tenant: Tenant, ticket_id: int, member_id: int) -> TicketOutcome:
    if any(r.member_id == member_id for r in list_resources(tenant, ticket_id)):
        return TicketOutcome(ticket_id, "skipped", "already assigned")
    added = add_resource(tenant, ticket_id, member_id)
    return TicketOutcome(ticket_id, "done", f"{added.member_name} assigned")


def _add_note(tenant: Tenant, ticket_id: int, text: str, kind: str) -> TicketOutcome:
    if any(note.text.strip() == text for note in tenant.provider.list_notes(ticket_id)):
        return TicketOutcome(ticket_id, "skipped", "this note is already on the ticket")
    add_note(tenant, ticket_id, text, kind=kind)
    return TicketOutcome(ticket_id, "done", f"{kind.capitalize()} note added")


def _guarded(operation, tenant: Tenant, ticket_id: int, *args) -> TicketOutcome:
    try:
        return operation(tenant, ticket_id, *args)
    except PSAError as error:
        if error.outcome_unknown:
            return TicketOutcome(ticket_id, "failed", f"not confirmed: {error.message} (reopen the ticket to check)",
                                 retryable=False)
        return TicketOutcome(ticket_id, "failed", error.message)


def _operation(tenant: Tenant, action: str, value, text: str, kind: str):
    """The per-ticket operation and its arguments, with the value checked against the reference data."""
    if action == "status":
        boards = tenant.reference("boards")  # read here: the operations run in worker threads
        name = str(value or "").strip()
        if not name or not any(s.name.casefold() == name.casefold() for s in boards.all_statuses):
            raise BulkInputError("Choose a status")
        return _change_status, (name, boards.statuses_by_board)
    if action == "priority":
        priority = tenant.reference("priorities").priority(value) if value is not None else None
        if priority is None:
            raise BulkInputError("Choose a priority")
        return _change_priority, (priority.id, priority.name)
    if action == "assign":
        if value is None or tenant.reference("members").member(value) is None:
            raise BulkInputError("Choose a member to assign")
        return _assign, (value,)
    if action == "note":
        if not text.strip():
            raise BulkInputError("Write the note first")
        if kind not in ("internal", "discussion", "resolution"):
            raise BulkInputError("Choose Internal, Discussion or Resolution")
        return _add_note, (text.strip(), kind)
    raise BulkInputError("Choose an action")


def run_bulk(tenant: Tenant, action: str, ticket_ids: list[int], *, value=None, text: str = "",
             kind: str = "internal") -> BulkResult:
    """Runs ``action`` on every ticket (each at most once, in the order given) with the connection's
    bounded parallelism; see the module docstring."""
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise BulkInputError("Select at least one ticket")
    if len(ids) > BULK_MAX:
        raise BulkInputError(f"Select at most {BULK_MAX} tickets at a time")
    operation, args = _operation(tenant, action, value, text, kind)
    lane = tenant.provider.capacity_key
    futures = [concurrency.fan_out(_guarded, operation, tenant, ticket_id, *args, key=lane) for ticket_id in ids]
    return BulkResult(action=action, outcomes=[future.result() for future in futures])
