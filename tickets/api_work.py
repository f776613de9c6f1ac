"""The JSON API's engineer's-daily-driver endpoints (issue 19): time entries, work types and roles, the
timer, and inline ticket edits. A django-ninja ``Router`` mounted on ``tickets.api.api`` (same URL prefix,
auth, tenancy and error contract: every error is JSON ``{"detail", "errors"}``, never a 500).

Thin endpoints over ``tickets.service.time`` and ``tickets.service.edit``. Two answers carry more than the
error contract's two keys, so a client can act on them:

* 409 from ``PATCH /tickets/{id}/fields``: ``conflict`` (who changed the ticket, when, which fields and
  the ticket as it is now). Re-apply by sending the same ``changes`` with ``conflict.last_updated`` as
  ``expected_last_updated``; discard by showing ``conflict.current``.
* 409 from ``POST /timer``: ``timer`` (the one already running, on another ticket).

The ticket edit is ``PATCH /tickets/{id}/fields``, not ``PATCH /tickets/{id}``: ``GET /tickets/{id}``
lives in ``tickets.api``, and a path served by two routers answers only the first one's methods.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.utils import timezone
from ninja import Field, Header, Router, Schema, Status
from pydantic import AwareDatetime

from psa.providers.base import PSAEditConflict, PSANotSupportedError
from psa.schemas import (
    PSABoardItem,
    PSABoardSubtype,
    PSABoardType,
    PSATicketDetail,
    PSATicketUpdate,
    PSATimeEntry,
    PSAWorkRole,
    PSAWorkType,
    TicketChanges,
    TicketEditFields,
    TicketFieldChange,
)
from tickets.api import (
    _ACTIONS,
    _ERRORS,
    EMPTY_IDEMPOTENCY_KEY,
    BoardId,
    ErrorOut,
    TicketId,
    _error,
    _psa_message,
    _tenant,
)
from tickets.service import ID_MAX, MemberMappingRequired
from tickets.service import edit as edit_service
from tickets.service import time as time_service

router = Router()

# What each operation was doing, for the error messages ("Logging time failed: ConnectWise ...").
_ACTIONS.update({
    "list_time_entries": "Loading the ticket's time entries",
    "log_time": "Logging time",
    "list_work_types": "Loading work types",
    "list_work_roles": "Loading work roles",
    "update_ticket_fields": "Saving the ticket",
    "list_board_types": "Loading the board's types",
    "list_board_subtypes": "Loading the board's subtypes",
    "list_board_items": "Loading the board's items",
})


def _not_supported_is_501(view):
    """A PSA without the operation (``PSANotSupportedError``): 501, nothing was sent to it."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PSANotSupportedError as exc:
            return _error(request, 501, _psa_message(request, exc))

    return wrapper


router.add_decorator(_not_supported_is_501)


def _responses(**ok):
    return {**_ERRORS, 501: ErrorOut, **{int(code[1:]): schema for code, schema in ok.items()}}


# --- time entries -------------------------------------------------------------------------------------


@router.get("/tickets/{ticket_id}/time-entries", response=_responses(_200=time_service.TicketTime),
            tags=["time entries"])
def list_time_entries(request, ticket_id: int = TicketId):
    """The ticket's time entries, oldest first, with their total hours (one ConnectWise call)."""
    return time_service.time_entries(_tenant(request), ticket_id)


@router.post("/tickets/{ticket_id}/time-entries", response=_responses(_201=PSATimeEntry), tags=["time entries"])
def log_time(request, data: time_service.TimeEntryInput, ticket_id: int = TicketId,
             idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    """Log time on the ticket as your own ConnectWise member (you must be mapped): `start` and `end`, or a
    `duration` ("1h 15m", "45m", "1.5", "1:30") from `start` or ending now. `work_type_id`, `work_role_id`
    and `billable` left out take ConnectWise's defaults. One ConnectWise call, never retried. Send an
    `Idempotency-Key` header to make a retry safe: the same key answers the entry it logged (201), 409
    while the first attempt still runs, 422 with another entry; an empty key is a 400."""
    if idempotency_key is not None and not idempotency_key.strip():
        return _error(request, 400, EMPTY_IDEMPOTENCY_KEY, [{"field": "Idempotency-Key", "message": EMPTY_IDEMPOTENCY_KEY}])
    try:
        return Status(201, time_service.log_time(_tenant(request), ticket_id, data, idempotency_key=idempotency_key))
    except MemberMappingRequired as exc:
        return _error(request, 422, exc.message, [{"field": "member", "message": exc.message}])


@router.get("/time/work-types", response=_responses(_200=list[PSAWorkType]), tags=["time entries"])
def list_work_types(request):
    """Active work types by name; `is_default` marks ConnectWise's overall default."""
    return time_service.work_types(_tenant(request))


@router.get("/time/work-roles", response=_responses(_200=list[PSAWorkRole]), tags=["time entries"])
def list_work_roles(request):
    return time_service.work_roles(_tenant(request))


# --- the timer ------------------------------------------------------------------------------------------


class TimerOut(Schema):
    ticket_id: int
    summary: str
    started: datetime
    elapsed_seconds: int


class TimerStateOut(Schema):
    running: bool
    timer: TimerOut | None = None


class TimerStartIn(Schema):
    ticket_id: int = Field(..., gt=0, le=ID_MAX)
    summary: str = Field("", max_length=time_service.SUMMARY_KEPT, description="Shown beside the ticket number")


class TimerStopIn(Schema):
    ticket_id: int | None = Field(None, gt=0, le=ID_MAX, description="Stop only if it runs on this ticket")


class TimerConflictOut(ErrorOut):
    timer: TimerOut


class StoppedTimerOut(Schema):
    """How long the timer ran, and Log time's prefill: `start`, `end` and `duration` (whole minutes)."""

    ticket_id: int
    summary: str
    started: datetime
    stopped: datetime
    elapsed_seconds: int
    duration: str
    start: datetime
    end: datetime


def _timer_out(timer: time_service.Timer) -> TimerOut:
    seconds = int(timer.elapsed(timezone.now()).total_seconds())
    return TimerOut(ticket_id=timer.ticket_id, summary=timer.summary, started=timer.started, elapsed_seconds=seconds)


@router.get("/timer", response=_responses(_200=TimerStateOut), tags=["timer"])
def get_timer(request):
    """Your running timer, if any (one per user, kept on the server: every tab and device sees it)."""
    timer = time_service.get_timer(_tenant(request))
    return TimerStateOut(running=timer is not None, timer=_timer_out(timer) if timer else None)


@router.post("/timer", response=_responses(_200=TimerOut, _409=TimerConflictOut), tags=["timer"])
def start_timer(request, data: TimerStartIn):
    """Start your timer on a ticket. Already running on that ticket: the same timer. Running on another
    ticket: 409 with that `timer` (stop it first)."""
    try:
        timer = time_service.start_timer(_tenant(request), data.ticket_id, data.summary)
    except time_service.TimerAlreadyRunning as running:
        body = {"detail": running.message, "errors": [], "timer": _timer_out(running.timer).model_dump()}
        return Status(409, body)
    return _timer_out(timer)


class TimerStopOut(Schema):
    stopped: StoppedTimerOut | None = Field(None, description="null: no timer was running (stopped elsewhere)")


@router.post("/timer/stop", response=_responses(_200=TimerStopOut), tags=["timer"])
def stop_timer(request, data: TimerStopIn):
    """Stop your timer; the answer prefills Log time. Stopping when none runs (another tab stopped it) is
    no error: `stopped` is null. Running on another ticket than `ticket_id`: 409, it keeps running."""
    try:
        stopped = time_service.stop_timer(_tenant(request), data.ticket_id)
    except time_service.TimerNotRunning as exc:
        if data.ticket_id is not None and time_service.get_timer(_tenant(request)) is not None:
            return _error(request, 409, exc.message, [{"field": "ticket_id", "message": exc.message}])
        return TimerStopOut(stopped=None)
    return TimerStopOut(stopped=StoppedTimerOut(
        ticket_id=stopped.ticket_id, summary=stopped.summary, started=stopped.started, stopped=stopped.stopped,
        elapsed_seconds=int(stopped.elapsed.total_seconds()), duration=stopped.duration, start=stopped.start,
        end=stopped.end,
    ))


# --- inline edits ---------------------------------------------------------------------------------------


class TicketUpdateIn(Schema):
    changes: TicketChanges = Field(..., description="Only the fields sent change; type/subtype/item and "
                                                    "required_date may be null to clear them")
    expected_last_updated: AwareDatetime | None = Field(
        None, description="The ticket's `last_updated` as you loaded it: a ticket changed since then is not "
                          "edited (409 with the conflict)")
    loaded: TicketEditFields | None = Field(
        None, description="The fields as you loaded them: a conflict then lists which changed, and a change "
                          "to none of them (a note, time, an assignee) is no conflict")


class ConflictOut(Schema):
    ticket_id: int
    last_updated: datetime | None
    updated_by: str | None
    updated_by_name: str | None
    changes: list[TicketFieldChange]
    current: PSATicketDetail


class EditConflictOut(ErrorOut):
    conflict: ConflictOut


@router.patch("/tickets/{ticket_id}/fields", response=_responses(_200=PSATicketUpdate, _409=EditConflictOut),
              tags=["ticket edits"])
def update_ticket_fields(request, data: TicketUpdateIn, ticket_id: int = TicketId):
    """Edit summary, priority, type/subtype/item, required date, or board with a status of that board.
    Two ConnectWise calls: a read for the concurrent-edit check, then the PATCH."""
    try:
        return edit_service.update_ticket(_tenant(request), ticket_id, data.changes,
                                          expected_last_updated=data.expected_last_updated, loaded=data.loaded)
    except PSAEditConflict as conflict:
        out = ConflictOut(ticket_id=conflict.ticket_id, last_updated=conflict.last_updated,
                          updated_by=conflict.updated_by, updated_by_name=conflict.updated_by_name,
                          changes=conflict.changes, current=conflict.current)
        return Status(409, {"detail": _conflict_detail(conflict), "errors": [], "conflict": out.model_dump()})


def _conflict_detail(conflict: PSAEditConflict) -> str:
    who = conflict.updated_by_name or conflict.updated_by
    when = f" at {conflict.last_updated:%Y-%m-%d %H:%M} UTC" if conflict.last_updated else ""
    what = f" ({', '.join(c.label for c in conflict.changes)})" if conflict.changes else ""
    return (f"Not saved: ticket #{conflict.ticket_id} was changed in {conflict.psa}{f' by {who}' if who else ''}{when}"
            f"{what} since you loaded it")


@router.get("/boards/{board_id}/types", response=_responses(_200=list[PSABoardType]), tags=["reference data"])
def list_board_types(request, board_id: int = BoardId):
    return edit_service.board_choices(_tenant(request), board_id).types


@router.get("/boards/{board_id}/subtypes", response=_responses(_200=list[PSABoardSubtype]), tags=["reference data"])
def list_board_subtypes(request, board_id: int = BoardId):
    """The board's subtypes; `type_ids` are the types each may be used with."""
    return edit_service.board_choices(_tenant(request), board_id).subtypes


@router.get("/boards/{board_id}/items", response=_responses(_200=list[PSABoardItem]), tags=["reference data"])
def list_board_items(request, board_id: int = BoardId):
    return edit_service.board_choices(_tenant(request), board_id).items
