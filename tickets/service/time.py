"""Time on a ticket: its time entries, Log time, work types and roles, and the server-side timer.

The views (the drawer's Time section, later) and the JSON API (``tickets.api_work``) call these and
nothing else:

* ``time_entries(tenant, ticket_id)``: the ticket's entries (members by name) and their total hours.
* ``log_time(tenant, ticket_id, entry)``: one time entry charged to the ticket as the engineer's own
  mapped PSA member. ``entry`` is a ``TimeEntryInput``: the boundary's model (the API's body, the
  form's data), which has already read the duration and checked start, end and duration together;
  ``log_time`` checks the ids it names against the account's PSA and sends one POST. With an
  ``idempotency_key`` (the API's ``Idempotency-Key`` header, the HTML form's hidden key) a repeated
  request logs nothing twice; see ``log_time``.
* ``log_time_choices`` (or ``work_types`` / ``work_roles`` alone): the Log time form's choices
  (cached reference data).
* ``get_timer`` / ``start_timer`` / ``stop_timer``: one running timer per user, kept in the database
  (``RunningTimer``) so a reload, another tab or another device sees it. Starting a second one raises
  ``TimerAlreadyRunning`` (with the running one) so the UI can ask to stop it first; stopping returns
  the elapsed time to prefill Log time.

Errors: ``PSAError`` subclasses from the provider, ``InvalidInput`` (field errors) for an unknown work
type or role, ``MemberMappingRequired`` for an engineer who is not mapped to a PSA member, and the
timer's own ``TimerAlreadyRunning`` / ``TimerNotRunning``. Nothing here reads the clock except through
the ``now`` arguments' default, so tests pass their own time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from psa.providers.base import FieldError
from psa.reference import TIME_PARTS
from psa.schemas import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_MESSAGE,
    TIME_ENTRY_HOURS_MAX,
    TIME_NOTES_MAX,
    BillableOption,
    PSATimeEntry,
    PSAWorkRole,
    PSAWorkType,
    TimeEntryCreate,
)
from psa.tenancy import NO_ACCOUNT_MESSAGE, Tenant
from tickets.duration import DurationError, format_duration, parse_duration
from tickets.models import IdempotencyRecord, RunningTimer
from tickets.service.create import recording_failure, set_state
from tickets.service.drawer import fill_member_names
from tickets.service.errors import IdempotencyInFlight, InvalidInput, MemberMappingRequired, NoPSAConnection
from tickets.service.queue import ID_MAX

NOT_MAPPED_MESSAGE = (
    "Your user is not mapped to a ConnectWise member, so time cannot be logged as you. "
    "An admin can map you under Account > Integrations."
)
SUMMARY_KEPT = 100  # RunningTimer.summary


# --- time entries ---------------------------------------------------------------------------------


class TimeEntryInput(BaseModel):
    """Log time as typed: a start and an end, or a duration (with a start, or ending now); notes; and,
    when the engineer chooses them, work type, work role and billable option (left out: the PSA's
    defaults); the "add to" flags show the notes on the ticket as a note of that kind.

    The checks that need no PSA happen here, each naming its field: the duration is read
    (``tickets.duration``), an end and a duration are not both given, the end is after the start, and
    one entry is at most ``TIME_ENTRY_HOURS_MAX`` hours. Date-times must carry their offset."""

    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime | None = Field(None, description="When the work started (with its UTC offset)")
    end: AwareDatetime | None = Field(None, validate_default=True,
                                      description="When it ended; or send a duration instead")
    duration: str | float | None = Field(
        None, validate_default=True,
        description='How long: "1h 15m", "45m", "1.5" (hours) or "1:30"; from the start, or ending now',
    )
    notes: str = Field("", max_length=TIME_NOTES_MAX)
    work_type_id: int | None = Field(None, gt=0, le=ID_MAX)
    work_role_id: int | None = Field(None, gt=0, le=ID_MAX)
    billable: BillableOption | None = None
    add_to_discussion: bool = False
    add_to_internal: bool = False
    add_to_resolution: bool = False

    # Validators run in field order, and ``validate_default`` runs them for fields that were not sent, so
    # the checks across start, end and duration sit on the later field and each error names its field.

    @field_validator("end", mode="after")
    @classmethod
    def _end_after_start(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if end is None or start is None:
            return end
        if end <= start:
            raise ValueError("The end must be after the start")
        if end - start > timedelta(hours=TIME_ENTRY_HOURS_MAX):
            raise ValueError(f"A time entry can be at most {TIME_ENTRY_HOURS_MAX} hours: log longer work as several entries")
        return end

    @field_validator("duration", mode="after")
    @classmethod
    def _duration(cls, duration: str | float | None, info: ValidationInfo) -> str | None:
        given = duration is not None and str(duration).strip() != ""
        text = None
        if given:
            try:
                text = format_duration(parse_duration(duration))  # normalised: "1.5" -> "1h 30m"
            except DurationError as error:
                raise ValueError(str(error)) from None
        if "start" not in info.data or "end" not in info.data:  # their own errors say enough
            return text
        start, end = info.data["start"], info.data["end"]
        if given and end is not None:
            raise ValueError("Give an end or a duration, not both")
        if not given and end is None:
            raise ValueError("Enter a duration, or a start and an end")
        if not given and start is None:
            raise ValueError("Enter a duration, or the start as well as the end")
        return text

    @field_validator("notes")
    @classmethod
    def _notes(cls, notes: str) -> str:
        if CONTROL_CHARACTERS.search(notes):
            raise ValueError(CONTROL_CHARACTERS_MESSAGE)
        return notes.strip()

    def times(self, now: datetime) -> tuple[datetime, datetime]:
        """Start and end: as given, or the duration from the start, or the duration ending ``now``
        (to the minute)."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        length = parse_duration(self.duration)
        if self.start is not None:
            return self.start, self.start + length
        end = now.replace(second=0, microsecond=0)
        return end - length, end


class TicketTime(BaseModel):
    """A ticket's time: its entries (oldest first) and their total hours."""

    entries: list[PSATimeEntry]
    total_hours: float


def _name_members(tenant: Tenant, entries: list[PSATimeEntry]) -> list[PSATimeEntry]:
    fill_member_names(tenant, entries, id_field="member_id", name_field="member_name",
                      identifier_field="member_identifier")
    return entries


def time_entries(tenant: Tenant, ticket_id: int) -> TicketTime:
    """The ticket's time entries (one PSA call; members by name) and their total hours."""
    entries = _name_members(tenant, tenant.provider.list_time_entries(ticket_id))
    return TicketTime(entries=entries, total_hours=round(sum(e.hours for e in entries), 2))


def _check_choices(tenant: Tenant, entry: TimeEntryInput) -> None:
    """The work type and role, when chosen, are the account's (cached reference data)."""
    if entry.work_type_id is None and entry.work_role_id is None:
        return
    reference = tenant.reference(*TIME_PARTS)
    errors = []
    if entry.work_type_id is not None and reference.work_type(entry.work_type_id) is None:
        errors.append(FieldError("work_type_id", f"Unknown work type id {entry.work_type_id}"))
    if entry.work_role_id is not None and reference.work_role(entry.work_role_id) is None:
        errors.append(FieldError("work_role_id", f"Unknown work role id {entry.work_role_id}"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), field_errors=errors)


def log_time(tenant: Tenant, ticket_id: int, entry: TimeEntryInput, *, now: datetime | None = None,
             idempotency_key: str | None = None) -> PSATimeEntry:
    """Charges ``entry`` to the ticket as the engineer's mapped PSA member: one POST (and, the first
    time a work type or role is chosen, the cached list it is checked against). A duration without a
    start ends ``now``.

    With ``idempotency_key`` (per account, user, ticket and key; an ``IdempotencyRecord``, like ticket
    creation) a repeated request never logs a second entry: a finished one answers the entry it logged
    (``replayed`` set on the answer), one still running raises ``IdempotencyInFlight``, the same key with
    another entry ``InvalidInput``. The first attempt fixes the entry's start and end ("45m" ending now
    means the same minutes on a retry). A refused attempt (a 4xx) may run again; one without a definitive
    answer (timeout, 5xx) may have logged it, so its retry first reads the ticket's entries (1 GET) and
    takes the one with this member, start, end and notes, and only logs when there is none."""
    mapping = tenant.mapping
    if mapping is None:
        raise MemberMappingRequired(NOT_MAPPED_MESSAGE)
    _check_choices(tenant, entry)
    start, end = entry.times(now or timezone.now())
    if not idempotency_key:
        return _post_time(tenant, ticket_id, entry, mapping.psa_member_id, start, end)
    record, previous = _claim_log_time(tenant, ticket_id, entry, idempotency_key, start, end)
    if record.state == IdempotencyRecord.State.DONE:
        return _replayed(record)
    start, end = (datetime.fromisoformat(record.response_json[name]) for name in ("start", "end"))
    if previous == IdempotencyRecord.State.UNKNOWN:
        # Still unknown whatever this look-up meets: only finding the entry (or not) settles it.
        try:
            found = _logged_before(tenant, ticket_id, mapping.psa_member_id, start, end, entry.notes)
        except BaseException:
            set_state(record, IdempotencyRecord.State.UNKNOWN)
            raise
        if found is not None:
            return _done(record, found)
    with recording_failure(record, refused=(InvalidInput,)):
        logged = _post_time(tenant, ticket_id, entry, mapping.psa_member_id, start, end)
    return _done(record, logged)


def _post_time(tenant: Tenant, ticket_id: int, entry: TimeEntryInput, member_id: int, start: datetime,
               end: datetime) -> PSATimeEntry:
    payload = TimeEntryCreate(
        member_id=member_id, start=start, end=end, notes=entry.notes,
        work_type_id=entry.work_type_id, work_role_id=entry.work_role_id, billable=entry.billable,
        add_to_discussion=entry.add_to_discussion, add_to_internal=entry.add_to_internal,
        add_to_resolution=entry.add_to_resolution,
    )
    return _name_members(tenant, [tenant.provider.add_time_entry(ticket_id, payload)])[0]


# --- Log time's idempotency (the records are ticket creation's IdempotencyRecord, keys namespaced) ----------

LOG_TIME_KEY_PREFIX = "log-time:"
IDEMPOTENCY_KEY_MAX = 255
IN_FLIGHT_STALE_AFTER = timedelta(minutes=2)  # an attempt "in flight" this long died with its process


class LoggedTime(PSATimeEntry):
    """A Log time answer; ``replayed``: the entry an earlier request with the same key logged."""

    replayed: bool = False


def _record_key(ticket_id: int, key: str) -> str:
    return LOG_TIME_KEY_PREFIX + hashlib.sha256(f"{int(ticket_id)}:{key}".encode()).hexdigest()


def _claim_log_time(tenant: Tenant, ticket_id: int, entry: TimeEntryInput, idempotency_key: str,
                    start: datetime, end: datetime) -> tuple[IdempotencyRecord, str | None]:
    """The record, now in flight for this request (with the state it had), or done (its entry stored)."""
    key = idempotency_key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters", field="Idempotency-Key")
    user = tenant.user
    request_hash = hashlib.sha256(f"{int(ticket_id)}:{entry.model_dump_json()}".encode()).hexdigest()
    now = timezone.now()
    record_key = _record_key(ticket_id, key)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                account=tenant.account, user=user, key=record_key, request_hash=request_hash,
                state=IdempotencyRecord.State.IN_FLIGHT, created=now, attempt_started=now,
                response_json={"start": start.isoformat(), "end": end.isoformat()})
        return record, None
    except IntegrityError:
        record = IdempotencyRecord.objects.get(account=tenant.account, user=user, key=record_key)
    if record.request_hash != request_hash:
        raise InvalidInput("This Idempotency-Key was already used for a different time entry", field="Idempotency-Key")
    if record.state == IdempotencyRecord.State.DONE:
        return record, record.state
    previous = record.state
    if previous == IdempotencyRecord.State.IN_FLIGHT:
        if now - record.attempt_started < IN_FLIGHT_STALE_AFTER:
            raise IdempotencyInFlight("This time entry is still being logged; retry shortly.")
        previous = IdempotencyRecord.State.UNKNOWN  # the attempt's process died mid-call
    claimed = IdempotencyRecord.objects.filter(pk=record.pk, state=record.state,
                                               attempt_started=record.attempt_started
                                               ).update(state=IdempotencyRecord.State.IN_FLIGHT, attempt_started=now)
    if not claimed:
        raise IdempotencyInFlight("This time entry is still being logged; retry shortly.")
    record.state = IdempotencyRecord.State.IN_FLIGHT
    return record, previous


def _done(record: IdempotencyRecord, logged: PSATimeEntry) -> LoggedTime:
    record.state = IdempotencyRecord.State.DONE
    record.ticket_id = logged.ticket_id
    record.response_json = {**record.response_json, "entry": logged.model_dump(mode="json")}
    record.save(update_fields=["state", "ticket_id", "response_json"])
    return LoggedTime(**logged.model_dump())


def _replayed(record: IdempotencyRecord) -> LoggedTime:
    return LoggedTime(**record.response_json["entry"], replayed=True)


def _second(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


def _logged_before(tenant: Tenant, ticket_id: int, member_id: int, start: datetime, end: datetime,
                   notes: str) -> PSATimeEntry | None:
    """The entry an attempt without an answer may have logged: this member's, with these times and notes."""
    for logged in tenant.provider.list_time_entries(ticket_id):
        if (logged.member_id == member_id and _second(logged.start) == _second(start)
                and _second(logged.end) == _second(end) and (logged.notes or "").strip() == notes.strip()):
            return _name_members(tenant, [logged])[0]
    return None


def work_types(tenant: Tenant) -> list[PSAWorkType]:
    return tenant.reference("work_types").work_types


def work_roles(tenant: Tenant) -> list[PSAWorkRole]:
    return tenant.reference("work_roles").work_roles


@dataclass(frozen=True)
class LogTimeChoices:
    work_types: list[PSAWorkType]
    work_roles: list[PSAWorkRole]

    @property
    def default_work_type(self) -> PSAWorkType | None:
        """The PSA's overall default, preselected (Log time leaves it out unless the engineer changes it)."""
        return next((w for w in self.work_types if w.is_default), None)


def log_time_choices(tenant: Tenant) -> LogTimeChoices:
    """The Log time form's work types and roles: both loaded together (one round when not cached)."""
    reference = tenant.reference(*TIME_PARTS)
    return LogTimeChoices(work_types=reference.work_types, work_roles=reference.work_roles)


# --- the timer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timer:
    """A running timer: on which ticket, since when."""

    ticket_id: int
    summary: str
    started: datetime

    @classmethod
    def of(cls, row: RunningTimer) -> Timer:
        return cls(ticket_id=row.ticket_id, summary=row.summary, started=row.started)

    def elapsed(self, now: datetime) -> timedelta:
        return max(now - self.started, timedelta(0))


@dataclass(frozen=True)
class StoppedTimer:
    """A stopped timer, ready to prefill Log time: ``start``/``end`` span ``duration`` (whole minutes, at
    least one), ``elapsed`` is the exact time it ran."""

    ticket_id: int
    summary: str
    started: datetime
    stopped: datetime
    elapsed: timedelta

    @property
    def minutes(self) -> int:
        return max(1, round(self.elapsed.total_seconds() / 60))

    @property
    def duration(self) -> str:
        """As Log time's Duration field reads it: ``1h 15m``."""
        return format_duration(timedelta(minutes=self.minutes))

    @property
    def start(self) -> datetime:
        return self.started.replace(second=0, microsecond=0)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


class TimerAlreadyRunning(Exception):
    """The user's timer runs on another ticket: stop it first (``timer`` is the running one)."""

    def __init__(self, timer: Timer):
        self.timer = timer
        self.message = f"Your timer is running on #{timer.ticket_id}: stop it before starting another"
        super().__init__(self.message)


class TimerNotRunning(Exception):
    def __init__(self, message: str = "No timer is running"):
        self.message = message
        super().__init__(message)


def _owner(tenant: Tenant):
    user = tenant.user
    if tenant.account is None or user is None or getattr(user, "pk", None) is None:
        raise NoPSAConnection(NO_ACCOUNT_MESSAGE)
    return user, tenant.account


def _mine(tenant: Tenant):
    user, account = _owner(tenant)
    return RunningTimer.objects.filter(user_id=user.pk, account_id=account.pk)


def get_timer(tenant: Tenant) -> Timer | None:
    """The user's running timer in this account, or None."""
    row = _mine(tenant).first()
    return Timer.of(row) if row is not None else None


def start_timer(tenant: Tenant, ticket_id: int, summary: str = "", *, now: datetime | None = None) -> Timer:
    """Starts the user's timer on the ticket. Already running on this ticket: that timer (a second click
    or another tab changes nothing). Running on another ticket: ``TimerAlreadyRunning``."""
    user, account = _owner(tenant)
    now = now or timezone.now()
    # A timer left behind in an account the user has since left would block this one forever; it can no
    # longer be seen or logged (its account's pages are not theirs), so it goes.
    RunningTimer.objects.filter(user_id=user.pk).exclude(account_id=account.pk).delete()
    for _ in range(2):  # a timer stopped in another tab between our insert and our read: insert again
        try:
            with transaction.atomic():
                row = RunningTimer.objects.create(user_id=user.pk, account_id=account.pk, ticket_id=ticket_id,
                                                  summary=(summary or "")[:SUMMARY_KEPT], started=now)
            return Timer.of(row)
        except IntegrityError:  # one per user: the unique user_id says one is running
            row = _mine(tenant).first()
            if row is None:
                continue
            if row.ticket_id == ticket_id:
                return Timer.of(row)
            raise TimerAlreadyRunning(Timer.of(row)) from None
    raise TimerNotRunning("The timer could not be started: try again")


def stop_timer(tenant: Tenant, ticket_id: int | None = None, *, now: datetime | None = None) -> StoppedTimer:
    """Stops the user's timer (only if it runs on ``ticket_id``, when given) and returns how long it ran.
    Stopped already (another tab, a double click): ``TimerNotRunning``."""
    row = _mine(tenant).first()
    if row is None:
        raise TimerNotRunning()
    if ticket_id is not None and row.ticket_id != ticket_id:
        raise TimerNotRunning(f"Your timer is running on #{row.ticket_id}, not on #{ticket_id}")
    deleted, _ = RunningTimer.objects.filter(pk=row.pk).delete()
    if not deleted:
        raise TimerNotRunning()
    timer = Timer.of(row)
    stopped = now or timezone.now()
    return StoppedTimer(ticket_id=timer.ticket_id, summary=timer.summary, started=timer.started, stopped=stopped,
                        elapsed=timer.elapsed(stopped))
