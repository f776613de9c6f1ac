"""HTML views of a ticket's time (the drawer's Time section): its entries, Log time, and the timer.

Thin function views over ``tickets.service.time``. Log time costs one POST: the new entry is appended to
the list out of band and the total is the shown total plus its hours (no re-read). Invalid input and PSA
refusals re-render the form with what was typed and each error beside its field (422, which htmx swaps).
Date-times are typed in the viewer's zone (``tickets.timezones``) and sent with their offset.
Each Log time form carries its own idempotency key (hidden ``idempotency_key``), so a double-submitted or
resent form logs one entry: the repeat answers "Already logged" without adding it again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from psa.providers.base import PSAError, PSANotSupportedError, psa_name
from psa.web import toast
from tickets.duration import format_duration
from tickets.service import time as time_service
from tickets.service.errors import IdempotencyInFlight, MemberMappingRequired, NoPSAConnection

TIME = "tickets/time.html"
FORM_FIELDS = ("start", "end", "duration", "notes", "work_type", "work_role", "billable")
ADD_TO = (("add_to_internal", "Internal analysis"), ("add_to_discussion", "Detail description"),
          ("add_to_resolution", "Resolution"))
BILLABLE = (("billable", "Billable"), ("do_not_bill", "Do not bill"), ("no_charge", "No charge"),
            ("no_default", "No default"))
# The service's and the PSA's field names -> the form's
_FORM_FIELD = {"work_type_id": "work_type", "work_role_id": "work_role", "member_id": "form"}


def _choices(tenant) -> dict:
    try:
        return {"work_types": time_service.work_types(tenant), "work_roles": time_service.work_roles(tenant)}
    except PSAError:
        return {"work_types": [], "work_roles": []}


def _local_input(moment: datetime | None) -> str:
    """A datetime-local input's value in the viewer's zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment is not None else ""


def _timer_context(request, ticket_id: int) -> dict:
    try:
        timer = time_service.get_timer(request.tenant)
    except NoPSAConnection:
        timer = None
    return {"ticket_id": ticket_id, "timer": timer}


def _form_context(request, ticket_id: int, values: dict | None = None, errors: dict | None = None,
                  idempotency_key: str | None = None, **extra) -> dict:
    """``idempotency_key``: the key the form keeps (a retry of the same entry); a fresh one when None."""
    values = values or {}
    checked = {name for name, _ in ADD_TO if values.get(name) == "on"}
    return {"ticket_id": ticket_id, "values": values, "errors": errors or {}, "add_to": ADD_TO, "checked": checked,
            "billable_options": BILLABLE, "idempotency_key": idempotency_key or uuid.uuid4().hex,
            **_choices(request.tenant), **extra}


@require_http_methods(["GET", "POST"])
def ticket_time(request, ticket_id: int):
    """GET: the Time section (one PSA call: the ticket's entries). POST: Log time."""
    if request.method == "POST":
        return _log_time(request, ticket_id)
    context = {**_form_context(request, ticket_id), **_timer_context(request, ticket_id),
               "summary": request.GET.get("summary", "")[:200]}
    try:
        context["time"] = time_service.time_entries(request.tenant, ticket_id)
    except NoPSAConnection:
        context["no_connection"] = True
    except PSANotSupportedError:  # not a failure to retry: this PSA's provider has no time entries (Autotask)
        context["unsupported"] = psa_name(request.tenant.connection.provider)
    except PSAError as error:
        context["error"] = error
    return render(request, f"{TIME}#time_section", context)


def _aware(text: str) -> datetime | None:
    if not text.strip():
        return None
    return timezone.make_aware(datetime.fromisoformat(text.strip()), timezone.get_current_timezone())


def _entry_input(post) -> tuple[time_service.TimeEntryInput | None, dict]:
    """The typed form as a ``TimeEntryInput``, or the errors by form field."""
    errors: dict[str, list[str]] = {}
    data: dict = {"notes": post.get("notes", ""), "duration": post.get("duration", "").strip() or None}
    for name in ("start", "end"):
        try:
            data[name] = _aware(post.get(name, ""))
        except ValueError:
            errors.setdefault(name, []).append("Enter a date and time")
    for name in ("work_type", "work_role"):
        raw = post.get(name, "").strip()
        if raw:
            data[f"{name}_id"] = int(raw) if raw.isdigit() else -1
    if post.get("billable"):
        data["billable"] = post.get("billable")
    for name, _ in ADD_TO:
        data[name] = post.get(name) == "on"
    if errors:
        return None, errors
    try:
        return time_service.TimeEntryInput(**data), {}
    except ValidationError as invalid:
        for problem in invalid.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            message = problem["msg"].removeprefix("Value error, ")
            errors.setdefault(_FORM_FIELD.get(field, field), []).append(message)
        return None, errors


def _form_failed(request, ticket_id: int, errors: dict, message: str, *, keep_key: bool = False):
    """The form again, with what was typed; ``keep_key``: the same idempotency key (the entry may have been
    logged or is being logged, so resending it must not log it twice); else a fresh one."""
    context = _form_context(request, ticket_id, values=request.POST, errors=errors,
                            idempotency_key=request.POST.get("idempotency_key") if keep_key else None,
                            total_hours=request.POST.get("total_hours", ""))
    response = render(request, f"{TIME}#time_form", context, status=422)
    return toast(response, f"Time not logged: {message}", "error")


def _log_time(request, ticket_id: int):
    entry, errors = _entry_input(request.POST)
    if entry is None:
        first = next(iter(errors.values()))[0]
        return _form_failed(request, ticket_id, errors, first)
    try:
        logged = time_service.log_time(request.tenant, ticket_id, entry,
                                       idempotency_key=request.POST.get("idempotency_key", "").strip()[:255] or None)
    except (MemberMappingRequired, NoPSAConnection) as error:
        return _form_failed(request, ticket_id, {"form": [error.message]}, error.message)
    except IdempotencyInFlight as error:
        return _form_failed(request, ticket_id, {"form": [error.message]}, error.message, keep_key=True)
    except PSAError as error:  # InvalidInput and the PSA's validation errors name fields
        message = error.message
        if error.outcome_unknown:
            message += ". It may have been logged in ConnectWise: reopen the ticket to check before logging it again"
        errors = {}
        for field_error in getattr(error, "field_errors", None) or []:
            field = _FORM_FIELD.get(field_error.field, field_error.field)
            errors.setdefault(field if field in FORM_FIELDS else "form", []).append(field_error.message)
        if not errors:
            errors["form"] = [message]
        return _form_failed(request, ticket_id, errors, message, keep_key=error.outcome_unknown)
    if getattr(logged, "replayed", False):  # a repeat of a form already logged: nothing added twice
        return _replayed(request, ticket_id)
    try:
        total = round(float(request.POST.get("total_hours", "0") or 0) + logged.hours, 2)
    except ValueError:
        total = None
    context = _form_context(request, ticket_id, total_hours=total, logged=logged)
    response = render(request, f"{TIME}#time_logged", context)
    return toast(response, f"Logged {format_duration(timedelta(hours=logged.hours))} on #{ticket_id}")


def _replayed(request, ticket_id: int):
    """The answer to a resent Log time form: its entry was logged by the first; the list is re-read (1 GET),
    so it shows that entry once whether or not the first answer reached the page."""
    try:
        time = time_service.time_entries(request.tenant, ticket_id)
    except PSAError:
        time = None
    context = _form_context(request, ticket_id, time=time,
                            total_hours=time.total_hours if time else request.POST.get("total_hours", ""))
    return toast(render(request, f"{TIME}#time_replayed", context), f"Already logged on #{ticket_id}")


@require_POST
def ticket_timer(request, ticket_id: int):
    """POST ``action`` = start | stop. Start: the user's one timer on this ticket (running on another ticket:
    say so and offer to stop that one). Stop: Log time prefilled with the elapsed time."""
    action = request.POST.get("action")
    context = _timer_context(request, ticket_id)
    try:
        if action == "start":
            context["timer"] = time_service.start_timer(request.tenant, ticket_id, request.POST.get("summary", ""))
            response = render(request, f"{TIME}#timer_changed", context)
            return toast(response, f"Timer started on #{ticket_id}")
        stopped = time_service.stop_timer(request.tenant, None if action == "stop_other" else ticket_id)
    except time_service.TimerAlreadyRunning as running:
        context.update(timer=running.timer, timer_error=running.message)
        return render(request, f"{TIME}#timer", context, status=422)
    except (time_service.TimerNotRunning, NoPSAConnection) as error:
        context.update(timer=None, timer_error=error.message)
        return render(request, f"{TIME}#timer_changed", context, status=422)
    context["timer"] = None
    if stopped.ticket_id != ticket_id:  # another ticket's timer, stopped to start this one's
        response = render(request, f"{TIME}#timer_changed", context)
        return toast(response, f"Timer on #{stopped.ticket_id} stopped after {stopped.duration} (not logged)")
    values = {"start": _local_input(stopped.start), "duration": stopped.duration}
    context.update(_form_context(request, ticket_id, values=values, total_hours=request.POST.get("total_hours", ""),
                                 prefilled=True))
    response = render(request, f"{TIME}#timer_stopped", context)
    return toast(response, f"Timer stopped: {stopped.duration} on #{ticket_id}. Log it below")


@require_GET
def running_timer(request):
    """The sidebar's running timer (also swapped in out of band after a start or stop)."""
    return render(request, f"{TIME}#sidebar_timer", {"timer": _timer_context(request, 0)["timer"]})
