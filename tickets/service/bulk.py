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

**In chunks, with progress** (the queue's bar): ``start_bulk`` checks the input and records a ``BulkJob``
(no PSA call); each ``run_chunk`` claims the next ``BULK_CHUNK`` tickets nobody has finished or is working
on (a compare-and-set on the job's ``version``), runs them as above and records their outcomes, so the
page can show "7 of 20 done" between chunks. A claim a request left behind (the worker died) may be taken
over after ``CLAIM_STALE``; the operations skip what is already done, so even then nothing is applied twice.
A PSA failure of the chunk as a whole (its reference data) releases the claims: the chunk can be retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from django.db.models import F
from django.utils import timezone

from psa import concurrency
from psa.providers.base import PSAError
from psa.schemas import TicketChanges
from psa.tenancy import Tenant
from tickets.models import BulkJob
from tickets.service.drawer import add_note, add_resource, get_ticket, list_resources, update_status
from tickets.service.edit import update_ticket

BULK_MAX = 100  # tickets in one bulk request (four pages of the queue)
BULK_CHUNK = 5  # tickets per chunk request (run in parallel within the connection's lane)
CLAIM_STALE = timedelta(minutes=2)
JOB_KEPT = timedelta(days=1)  # a user's finished (or abandoned) jobs are deleted when they start one this much later  # a claim older than this was left behind: another request may take it
ACTIONS = ("status", "priority", "assign", "note")
Outcome = Literal["done", "failed", "skipped"]


@dataclass
class TicketOutcome:
    ticket_id: int
    outcome: Outcome
    message: str = ""
    retryable: bool = True  # failed only: False when the PSA may have applied it ("not confirmed")
    ticket: object = None  # the updated ticket when the PSA returned it (the queue row is redrawn from it)
    assignees: list[str] | None = None  # after an Assign: the member identifiers the row's Assignees cell shows


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
    resources = list_resources(tenant, ticket_id)
    if any(r.member_id == member_id for r in resources):
        return TicketOutcome(ticket_id, "skipped", "already assigned")
    added = add_resource(tenant, ticket_id, member_id)
    # The row's Assignees cell is redrawn from what the ticket now has (no re-read: the budget is 1 GET + 1 POST).
    assignees = list(dict.fromkeys([r.member_identifier for r in resources] + [added.member_identifier]))
    return TicketOutcome(ticket_id, "done", f"{added.member_name} assigned", assignees=assignees)


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


def _ids(ticket_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise BulkInputError("Select at least one ticket")
    if len(ids) > BULK_MAX:
        raise BulkInputError(f"Select at most {BULK_MAX} tickets at a time")
    return ids


def _run(tenant: Tenant, operation, args, ids: list[int]) -> list[TicketOutcome]:
    lane = tenant.provider.capacity_key
    futures = [concurrency.fan_out(_guarded, operation, tenant, ticket_id, *args, key=lane) for ticket_id in ids]
    return [future.result() for future in futures]


def run_bulk(tenant: Tenant, action: str, ticket_ids: list[int], *, value=None, text: str = "",
             kind: str = "internal") -> BulkResult:
    """Runs ``action`` on every ticket (each at most once, in the order given) with the connection's
    bounded parallelism; see the module docstring."""
    ids = _ids(ticket_ids)
    operation, args = _operation(tenant, action, value, text, kind)
    return BulkResult(action=action, outcomes=_run(tenant, operation, args, ids))


# --- in chunks, with progress -----------------------------------------------------------------------------


def start_bulk(tenant: Tenant, action: str, ticket_ids: list[int], *, value=None, text: str = "",
               kind: str = "internal") -> BulkJob:
    """Checks the request (``BulkInputError``; the reference data may be read) and records the job. No
    ticket is touched yet: ``run_chunk`` does that."""
    ids = _ids(ticket_ids)
    _operation(tenant, action, value, text, kind)
    BulkJob.objects.filter(user=tenant.user, created__lt=timezone.now() - JOB_KEPT).delete()  # the user's old runs
    return BulkJob.objects.create(id=uuid.uuid4(), account=tenant.account, user=tenant.user, action=action,
                                  value="" if value is None else str(value), text=text, kind=kind, ticket_ids=ids)


def get_job(tenant: Tenant, job_id) -> BulkJob:
    """The caller's own job in this account (``BulkJob.DoesNotExist`` otherwise)."""
    return BulkJob.objects.get(pk=job_id, account=tenant.account, user=tenant.user)


def _job_value(job: BulkJob):
    if job.action in ("status", "note"):
        return job.value
    return int(job.value) if job.value.isdigit() else None


def _compare_and_set(job: BulkJob, **fields) -> bool:
    return bool(BulkJob.objects.filter(pk=job.pk, version=job.version).update(version=F("version") + 1, **fields))


def _claim(tenant: Tenant, job_id) -> tuple[BulkJob, list[int]]:
    """The next chunk nobody has finished or is working on, claimed for this request."""
    while True:
        job = get_job(tenant, job_id)
        now = timezone.now()
        busy = {key for key, at in job.claimed.items() if now - datetime.fromisoformat(at) < CLAIM_STALE}
        todo = [i for i in job.ticket_ids if str(i) not in job.outcomes and str(i) not in busy][:BULK_CHUNK]
        if not todo:
            return job, []
        claimed = {key: at for key, at in job.claimed.items() if key in busy}
        claimed.update({str(i): now.isoformat() for i in todo})
        if _compare_and_set(job, claimed=claimed):
            return job, todo


def _finish(tenant: Tenant, job_id, ids: list[int], outcomes: list[TicketOutcome] | None) -> BulkJob:
    """Records the chunk's outcomes (None: releases its claims) and returns the job as it now is."""
    while True:
        job = get_job(tenant, job_id)
        claimed = {key: at for key, at in job.claimed.items() if int(key) not in ids}
        recorded = dict(job.outcomes)
        for outcome in outcomes or []:
            recorded[str(outcome.ticket_id)] = {"outcome": outcome.outcome, "message": outcome.message,
                                                "retryable": outcome.retryable}
        if _compare_and_set(job, claimed=claimed, outcomes=recorded):
            return get_job(tenant, job_id)


def run_chunk(tenant: Tenant, job_id) -> tuple[BulkJob, list[TicketOutcome]]:
    """Runs the job's next chunk: the job after it and the chunk's outcomes (their ``ticket`` set, for the
    queue rows). Nothing to claim (all finished, or the rest in another request's hands): no PSA call."""
    job, ids = _claim(tenant, job_id)
    if not ids:
        return job, []
    try:
        operation, args = _operation(tenant, job.action, _job_value(job), job.text, job.kind)
        outcomes = _run(tenant, operation, args, ids)
    except BaseException:
        _finish(tenant, job_id, ids, None)
        raise
    return _finish(tenant, job_id, ids, outcomes), outcomes


def job_result(job: BulkJob) -> BulkResult:
    """The finished tickets' outcomes, in the order they were chosen."""
    outcomes = [TicketOutcome(i, **job.outcomes[str(i)]) for i in job.ticket_ids if str(i) in job.outcomes]
    return BulkResult(action=job.action, outcomes=outcomes)
