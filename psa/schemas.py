"""Provider-neutral DTOs (the spec's ``schemas/psa_tickets.py``).

Field names of the spec's DTOs (``PSAResource``, ``PSATicketCreated``, ``PSATicketStatusUpdate``,
``TicketCreatePayload``, ``TicketListResponse``, ``AiParseResponse``) are kept exactly: the JSON API
returns them unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class PSAPriority(_DTO):
    id: int
    name: str
    sort: int = 0  # lower = more urgent (ConnectWise sortOrder)
    level: str | None = None  # Critical / High / Medium / Low
    color: str | None = None


class PSAMember(_DTO):
    id: int
    identifier: str
    name: str
    is_rf_user: bool = False  # set by tickets.service from member mappings


class PSACompany(_DTO):
    id: int
    identifier: str
    name: str


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
    # SLA
    sla_name: str | None = None
    respond_minutes: int | None = None
    res_plan_minutes: int | None = None
    resolve_minutes: int | None = None
    date_responded: datetime | None = None
    date_resplan: datetime | None = None
    date_resolved: datetime | None = None
    last_updated: datetime | None = None


NoteKind = Literal["discussion", "internal", "resolution"]


class PSANote(_DTO):
    id: int
    ticket_id: int
    text: str
    kind: NoteKind = "discussion"
    author: str | None = None
    created_at: datetime | None = None


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
