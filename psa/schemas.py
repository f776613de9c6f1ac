"""Provider-neutral DTOs (the spec's ``schemas/psa_tickets.py``).

Field names of the spec's DTOs (``PSAResource``, ``PSATicketCreated``, ``PSATicketStatusUpdate``,
``TicketCreatePayload``, ``TicketListResponse``, ``AiParseResponse``) are kept exactly: the JSON API
returns them unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SUMMARY_MAX = 100  # ConnectWise Ticket.summary maxLength
# C0 controls and DEL, except tab, line feed and carriage return (text may have lines and tabs).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = "Control characters (such as NUL) are not allowed"
NOTE_MAX = 10_000
PROMPT_MAX = 2_000


class _DTO(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore")


# --- reference data ---------------------------------------------------------------------------


class PSABoard(_DTO):
    id: int
    name: str


class PSAStatus(_DTO):
    id: int
    name: str
    board_id: int | None = None
    sort_order: int = 0
    closed: bool = False
    inactive: bool = False


# The ``sort`` of a priority whose PSA gave no order: after every real one (a missing order is never
# "most urgent"), and still an int so every ``sorted(..., key=lambda p: (p.sort, p.id))`` keeps working.
PRIORITY_SORT_LAST = 2**31 - 1


class PSAPriority(_DTO):
    id: int
    name: str
    sort: int = PRIORITY_SORT_LAST  # lower = more urgent (ConnectWise sortOrder); PRIORITY_SORT_LAST: unknown
    level: str | None = None  # Critical / High / Medium / Low
    color: str | None = None


class PSAMember(_DTO):
    id: int
    identifier: str
    name: str
    is_rf_user: bool = False  # set by tickets.service from member mappings
    time_zone: str | None = None  # the member's own zone as the PSA names it (ConnectWise timeZone.name), if set


class PSACompany(_DTO):
    id: int
    identifier: str
    name: str


class PSAContact(_DTO):
    """A client contact, as a picker offers it."""

    id: int
    name: str
    company_id: int | None = None
    company_name: str | None = None
    title: str | None = None


# --- tickets ----------------------------------------------------------------------------------


class PSATicketSearchResult(_DTO):
    """One queue row: what a compact row shows, and no more (list calls ask CW for just these)."""

    id: int
    summary: str
    board_id: int | None = None
    board_name: str | None = None
    status_id: int | None = None
    status_name: str | None = None
    priority_id: int | None = None
    priority_name: str | None = None
    priority_sort: int | None = None  # urgency sort: lower = more urgent
    company_id: int | None = None
    company_name: str | None = None
    contact_name: str | None = None
    resources: list[str] = Field(default_factory=list)  # assignee member identifiers
    date_entered: datetime | None = None
    closed: bool = False
    # The SLA's next stage and its target ("Respond" by sla_due). sla_text is the PSA's own wording
    # when it gives no readable target (a date in its own format, or a plain status like "Waiting").
    sla_stage: Literal["Respond", "Plan", "Resolve"] | None = None
    sla_due: datetime | None = None
    sla_text: str | None = None
    is_in_sla: bool | None = None


class PSATicketDetail(PSATicketSearchResult):
    contact_id: int | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    owner_identifier: str | None = None
    type_name: str | None = None
    severity: str | None = None
    impact: str | None = None
    parent_ticket_id: int | None = None
    has_child_ticket: bool = False
    required_date: datetime | None = None
    # The editable classification (inline edit): ids beside the names the drawer shows.
    type_id: int | None = None
    subtype_id: int | None = None
    subtype_name: str | None = None
    item_id: int | None = None
    item_name: str | None = None
    # SLA
    sla_name: str | None = None
    respond_minutes: int | None = None
    res_plan_minutes: int | None = None
    resolve_minutes: int | None = None
    date_responded: datetime | None = None
    date_resplan: datetime | None = None
    date_resolved: datetime | None = None
    last_updated: datetime | None = None
    updated_by: str | None = None  # who changed it last (the PSA's member identifier)


NoteKind = Literal["discussion", "internal", "resolution"]


class PSANote(_DTO):
    id: int
    ticket_id: int
    text: str
    kind: NoteKind = "discussion"
    author: str | None = None
    created_at: datetime | None = None
    # The note's member (when it has one): ``author`` is their name, or their identifier when the PSA's
    # reference lacked the name (``tickets.service`` then looks the name up in the member directory).
    author_member_id: int | None = None
    author_identifier: str | None = None


class PSAConfiguration(_DTO):
    id: int
    name: str
    type_name: str | None = None
    status_name: str | None = None
    serial_number: str | None = None
    model_number: str | None = None
    ip_address: str | None = None
    os_info: str | None = None
    last_login_name: str | None = None


class PSASystemInfo(_DTO):
    version: str | None = None
    is_cloud: bool | None = None
    server_time_zone: str | None = None
    cloud_region: str | None = None
    # Autotask's request budget (ThresholdInformation): requests used in the current window, of the limit.
    api_requests_used: int | None = None
    api_requests_limit: int | None = None
    api_window_minutes: int | None = None


class TicketSearchQuery(_DTO):
    """Provider-neutral search filters. The service resolves ``assigned=me`` to an identifier."""

    search: str | None = None
    board_id: int | None = None
    status_id: int | None = None
    status_name: str | None = None  # "all statuses by name" when no board is chosen
    priority_id: int | None = None
    company_id: int | None = None
    assigned_identifier: str | None = None  # only tickets with this member among resources
    unassigned: bool = False  # only tickets with no resources
    include_closed: bool = False
    exclude_ticket_id: int | None = None
    parent_ticket_id: int | None = None


class TicketPage(_DTO):
    items: list[PSATicketSearchResult]
    total: int


# --- the spec's DTOs (names and fields exactly as the spec) -------------------------------------


class PSAResource(_DTO):
    member_id: int
    member_name: str
    member_identifier: str  # CW username
    is_rf_user: bool = False  # True if mapped in RF member mappings
    is_primary: bool = False  # Autotask: the ticket's primary resource (ConnectWise's assignees are equals)


class PSATicketCreated(_DTO):
    id: int
    summary: str
    board_name: str
    status_name: str
    priority_name: str
    company_name: str
    resources: list[PSAResource] = Field(default_factory=list)


class PSATicketStatusUpdate(_DTO):
    ticket_id: int
    previous_status: str
    new_status: str
    # The updated ticket as the PSA returned it (ConnectWise answers the PATCH with the whole ticket),
    # so the UI can refresh the ticket's row without another round trip. ``None`` when the provider
    # did not return it. Not part of the spec's DTO: excluded from serialization, hence from the
    # JSON API's response and its OpenAPI schema.
    ticket: PSATicketDetail | None = Field(default=None, exclude=True)


class TicketCreatePayload(_DTO):
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    company_id: int = Field(gt=0)
    board_id: int = Field(gt=0)
    status_id: int = Field(gt=0)
    priority_id: int = Field(gt=0)
    description: str | None = Field(default=None, max_length=NOTE_MAX)
    assigned_member_id: int | None = Field(default=None, gt=0)
    contact_id: int | None = Field(default=None, gt=0)  # the company's contact (issue 17: New Ticket's picker)

    @field_validator("summary")
    @classmethod
    def _summary_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Summary is required")
        return value

    @field_validator("summary", "description")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        # As the HTML form (Django refuses NUL): a 422 naming the field, never a NUL sent to ConnectWise.
        if value is not None and CONTROL_CHARACTERS.search(value):
            raise ValueError(CONTROL_CHARACTERS_MESSAGE)
        return value


class TicketListResponse(_DTO):
    items: list[PSATicketSearchResult]
    total: int
    page: int
    page_size: int


class AiParseRequest(_DTO):
    prompt: str


class AiParseResponse(_DTO):
    summary: str | None = None
    company_id: int | None = None
    board_id: int | None = None
    priority_id: int | None = None
    status_id: int | None = None
    assigned_member_id: int | None = None
    description: str | None = None
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


# --- time entries (issue 19) ---------------------------------------------------------------------

# Whether time is billed: provider-neutral names of ConnectWise's billableOption (Billable, DoNotBill,
# NoCharge, NoDefault). Leave it out of a new entry to get the PSA's default (from the work type).
BillableOption = Literal["billable", "do_not_bill", "no_charge", "no_default"]
BILLABLE_LABELS: dict[str, str] = {
    "billable": "Billable", "do_not_bill": "Do not bill", "no_charge": "No charge", "no_default": "No default",
}
TIME_NOTES_MAX = NOTE_MAX
TIME_ENTRY_HOURS_MAX = 24  # one entry; longer work is more than one entry


class PSAWorkType(_DTO):
    """What kind of work (Regular, After Hours, Travel…): it modifies the rate and carries the default billability."""

    id: int
    name: str
    billable: BillableOption | None = None  # the default billable option of time of this type
    is_default: bool = False  # the PSA's overall default work type


class PSAWorkRole(_DTO):
    """Who did the work (Service Desk Technician, Network Engineer…): it sets the hourly rate."""

    id: int
    name: str


class PSATimeEntry(_DTO):
    id: int
    ticket_id: int | None = None
    member_id: int | None = None
    member_identifier: str | None = None
    member_name: str | None = None  # the name; the identifier when the PSA's reference lacked it
    start: datetime | None = None
    end: datetime | None = None
    hours: float = 0.0
    billable: BillableOption | None = None
    notes: str = ""
    work_type_id: int | None = None
    work_type_name: str | None = None
    work_role_id: int | None = None
    work_role_name: str | None = None
    # The entry's notes also shown on the ticket as a note of that kind (ConnectWise's "add to" flags).
    add_to_discussion: bool = False
    add_to_internal: bool = False
    add_to_resolution: bool = False


class TimeEntryCreate(_DTO):
    """A time entry charged to a ticket, as the ticket service hands it to the provider: the member is the
    engineer's mapped PSA member, start and end are known (a duration was turned into them), and work type,
    work role and billable option are left out (None) to take the PSA's defaults."""

    member_id: int = Field(gt=0)
    start: datetime
    end: datetime
    notes: str = Field(default="", max_length=TIME_NOTES_MAX)
    work_type_id: int | None = Field(default=None, gt=0)
    work_role_id: int | None = Field(default=None, gt=0)
    billable: BillableOption | None = None
    add_to_discussion: bool = False
    add_to_internal: bool = False
    add_to_resolution: bool = False


# --- ticket editing (issue 19) -------------------------------------------------------------------


class PSABoardType(_DTO):
    id: int
    name: str
    is_default: bool = False


class PSABoardSubtype(_DTO):
    id: int
    name: str
    type_ids: list[int] = Field(default_factory=list)  # the board types it may be used with (empty: any)


class PSABoardItem(_DTO):
    id: int
    name: str


class TicketEditFields(_DTO):
    """The ticket fields the drawer header edits, by id (the summary and required date as they are)."""

    summary: str | None = None
    priority_id: int | None = None
    type_id: int | None = None
    subtype_id: int | None = None
    item_id: int | None = None
    required_date: datetime | None = None
    board_id: int | None = None
    status_id: int | None = None

    @classmethod
    def of(cls, ticket: PSATicketDetail) -> TicketEditFields:
        return cls(**{name: getattr(ticket, name) for name in cls.model_fields})


# Fields of TicketChanges that may be set to null (cleared); the others need a value when they are sent.
CLEARABLE_TICKET_FIELDS = frozenset({"type_id", "subtype_id", "item_id", "required_date"})


class TicketChanges(TicketEditFields):
    """An inline edit: only the fields that were sent change (``model_fields_set``); a clearable field sent
    as null is cleared. A board move names a status of the new board."""

    summary: str | None = Field(default=None, min_length=1, max_length=SUMMARY_MAX)
    priority_id: int | None = Field(default=None, gt=0)
    type_id: int | None = Field(default=None, gt=0)
    subtype_id: int | None = Field(default=None, gt=0)
    item_id: int | None = Field(default=None, gt=0)
    board_id: int | None = Field(default=None, gt=0)
    status_id: int | None = Field(default=None, gt=0)

    # A field validator runs only for a field that was sent, so these say which field is wrong.
    @field_validator("summary", "priority_id", "board_id", "status_id")
    @classmethod
    def _not_cleared(cls, value):
        if value is None:
            raise ValueError("This field cannot be empty")
        return value

    @field_validator("summary")
    @classmethod
    def _summary_text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Summary is required")
        if CONTROL_CHARACTERS.search(value):
            raise ValueError(CONTROL_CHARACTERS_MESSAGE)
        return value

    @model_validator(mode="after")
    def _complete(self) -> TicketChanges:
        sent = self.model_fields_set
        if not sent:
            raise ValueError("Nothing to change: send at least one field")
        if "board_id" in sent and "status_id" not in sent:
            raise ValueError("Moving the ticket to another board needs a status of that board (status_id)")
        return self

    @property
    def sent(self) -> dict[str, object]:
        """The fields to change and their new values (None: clear)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}


class TicketFieldChange(_DTO):
    """One field someone else changed since the drawer loaded the ticket: its value now, as shown."""

    field: str  # a TicketEditFields name
    label: str  # "Priority"
    current: str | None = None  # the value now ("Priority 1 - Emergency Response"), None when empty


class PSATicketUpdate(_DTO):
    """An applied inline edit: the ticket before (as read for the concurrent-edit check) and after."""

    ticket_id: int
    previous: PSATicketDetail
    ticket: PSATicketDetail
