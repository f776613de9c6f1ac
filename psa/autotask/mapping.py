"""Autotask JSON -> provider-neutral DTOs (``psa.schemas``).

What maps to what (README "Autotask (provider and sandbox)"):

* queue (``queueID`` picklist) -> ``PSABoard``; statuses are one account-wide picklist, so every board has
  the same ``PSAStatus`` list, and only *Complete* (``5``) is closed;
* priority picklist -> ``PSAPriority`` with ``sort`` = the value's ``sortOrder`` (Critical is ``4`` but
  sorts first: urgency never comes from the value);
* resource -> ``PSAMember`` / ``PSAResource`` (identifier = the resource's ``userName``);
* company -> ``PSACompany`` (identifier = ``companyNumber``, often empty in Autotask);
* ticket -> ``PSATicketSearchResult`` / ``PSATicketDetail``: ``title`` is the summary, the primary resource
  comes first in ``resources``, then the secondary resources; ``problemTicketId`` is the parent;
* ticket note -> ``PSANote``: ``publish`` 1 (All Autotask Users) is *discussion*, every other value
  (2 Internal Only, an unverified 3, anything new) is *internal* - never show an internal note as public.

Autotask sends every field, ``null`` when unset; reads here also tolerate missing keys (``includeFields``
answers hold only what was asked for). Dates arrive with or without ``Z`` and with 0-7 fraction digits
(API-NOTES 6.3); all are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psa.schemas import (
    NoteKind,
    PSABoard,
    PSACompany,
    PSAConfiguration,
    PSAMember,
    PSANote,
    PSAPriority,
    PSAResource,
    PSAStatus,
    PSASystemInfo,
    PSATicketCreated,
    PSATicketDetail,
    PSATicketSearchResult,
)

COMPLETE_STATUS = 5  # "Complete": the one closed status, a system value in every database [H]
PUBLISH_ALL_USERS = 1  # note visible to all Autotask users (and the co-managed copy) [M]
PUBLISH_INTERNAL = 2  # note for internal users only [M]
LEVELS = ("Critical", "High", "Medium", "Low")

# The ticket fields a queue row needs: list calls ask Autotask for these only (``includeFields``).
TICKET_ROW_FIELDS = [
    "id", "ticketNumber", "title", "queueID", "status", "priority", "companyID", "contactID",
    "assignedResourceID", "createDate", "completedDate", "firstResponseDateTime", "firstResponseDueDateTime",
    "resolutionPlanDateTime", "resolutionPlanDueDateTime", "resolvedDateTime", "resolvedDueDateTime",
    "serviceLevelAgreementHasBeenMet", "problemTicketId",
]

# Autotask's field names (in its error texts, any case) -> the DTOs' field names (``TicketCreatePayload``).
_DTO_FIELDS = {
    "title": "summary",
    "companyid": "company_id",
    "contactid": "contact_id",
    "queueid": "board_id",
    "status": "status_id",
    "priority": "priority_id",
    "description": "description",
    "assignedresourceid": "assigned_member_id",
    "assignedresourceroleid": "assigned_member_id",
    "resourceid": "member_id",
}


def dto_field(name: str | None) -> str | None:
    """The DTO field an Autotask field name stands for (unknown names pass through unchanged)."""
    if not name:
        return name
    return _DTO_FIELDS.get(name.strip().lower(), name)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_datetime(value: Any) -> datetime | None:
    """An Autotask date: ``2022-12-07T09:15:28.147Z``, ``2016-03-30T13:10:35.563`` (no zone: UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    match = re.match(r"^(.*?\.)(\d{7,})(.*)$", text)  # .NET may send 7 fraction digits: keep 6
    if match:
        text = match.group(1) + match.group(2)[:6] + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    """A datetime as Autotask takes it in bodies and filters: UTC, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- picklists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PicklistValue:
    value: int
    label: str
    sort_order: int
    is_active: bool
    is_default: bool
    is_system: bool
    parent_value: int | None = None


def picklists(fields_json: Any) -> dict[str, list[PicklistValue]]:
    """``entityInformation/fields`` -> picklist values by field name (lower-cased: older databases
    answer ``Status``, newer ``status``). Values whose ``value`` is not an integer are skipped."""
    fields = fields_json.get("fields") if isinstance(fields_json, dict) else None
    if not isinstance(fields, list):
        raise ValueError("entityInformation/fields without a fields list")
    out: dict[str, list[PicklistValue]] = {}
    for info in fields:
        if not isinstance(info, dict) or not info.get("isPickList") or not isinstance(info.get("name"), str):
            continue
        values = []
        for raw in info.get("picklistValues") or []:
            value = _int(raw.get("value")) if isinstance(raw, dict) else None
            if value is None:
                continue
            values.append(PicklistValue(
                value=value,
                label=_str(raw.get("label")) or str(value),
                sort_order=_int(raw.get("sortOrder")) or 0,
                is_active=raw.get("isActive") is not False,
                is_default=raw.get("isDefaultValue") is True,
                is_system=raw.get("isSystem") is True,
                parent_value=_int(raw.get("parentValue")),
            ))
        out[info["name"].lower()] = values
    return out


@dataclass
class Lookups:
    """What turning ticket JSON into DTOs needs besides the ticket: picklists (by lower-case field name),
    and the companies, contacts, resources and secondary resources the tickets refer to, by id."""

    picklists: dict[str, list[PicklistValue]] = field(default_factory=dict)
    companies: dict[int, dict] = field(default_factory=dict)
    contacts: dict[int, dict] = field(default_factory=dict)
    resources: dict[int, dict] = field(default_factory=dict)
    secondaries: dict[int, list[dict]] = field(default_factory=dict)  # ticket id -> secondary rows, by id
    configuration_items: dict[int, dict] = field(default_factory=dict)

    def value(self, picklist: str, value: Any) -> PicklistValue | None:
        number = _int(value)
        if number is None:
            return None
        return next((v for v in self.picklists.get(picklist.lower(), []) if v.value == number), None)

    def label(self, picklist: str, value: Any) -> str | None:
        found = self.value(picklist, value)
        return found.label if found else None


def board(value: PicklistValue) -> PSABoard:
    return PSABoard(id=value.value, name=value.label)


def status(value: PicklistValue, board_id: int | None = None) -> PSAStatus:
    return PSAStatus(
        id=value.value,
        name=value.label,
        board_id=board_id,
        sort_order=value.sort_order,
        closed=value.value == COMPLETE_STATUS,
        inactive=not value.is_active,
    )


def priority(value: PicklistValue) -> PSAPriority:
    return PSAPriority(
        id=value.value,
        name=value.label,
        sort=value.sort_order,
        level=value.label if value.label in LEVELS else None,
    )


def resource_name(r: dict[str, Any]) -> str:
    name = " ".join(part for part in (_str(r.get("firstName")), _str(r.get("lastName"))) if part)
    return name or _str(r.get("userName")) or f"Resource {r.get('id')}"


def member(r: dict[str, Any]) -> PSAMember:
    return PSAMember(id=int(r["id"]), identifier=_str(r.get("userName")) or "", name=resource_name(r))


def resource(r: dict[str, Any]) -> PSAResource:
    return PSAResource(member_id=int(r["id"]), member_name=resource_name(r), member_identifier=_str(r.get("userName")) or "")


def company(c: dict[str, Any]) -> PSACompany:
    return PSACompany(id=int(c["id"]), identifier=_str(c.get("companyNumber")) or "", name=_str(c.get("companyName")) or "")


def contact_name(c: dict[str, Any] | None) -> str | None:
    if not c:
        return None
    return " ".join(part for part in (_str(c.get("firstName")), _str(c.get("lastName"))) if part) or None


def note_kind(publish: Any) -> NoteKind:
    return "discussion" if _int(publish) == PUBLISH_ALL_USERS else "internal"


def note(n: dict[str, Any], ticket_id: int, resources: dict[int, dict]) -> PSANote:
    title, description = _str(n.get("title")), n.get("description") if isinstance(n.get("description"), str) else ""
    text = description.strip()
    first_line = text.splitlines()[0].strip() if text else ""
    repeats = first_line == title or bool(title and title.endswith("…") and first_line.startswith(title[:-1]))
    if title and not repeats:  # a title that is not the text's first line (ours are) is shown above it
        text = f"{title}\n\n{text}" if text else title
    author_id = _int(n.get("creatorResourceID"))
    author = resources.get(author_id if author_id is not None else -1)
    return PSANote(
        id=int(n["id"]),
        ticket_id=_int(n.get("ticketID")) or ticket_id,
        text=text,
        kind=note_kind(n.get("publish")),
        author=resource_name(author) if author else None,
        created_at=parse_datetime(n.get("createDateTime")),
        # Newer DTO fields (ignored by a PSANote without them: the DTOs drop unknown fields).
        author_member_id=author_id,
        author_identifier=_str(author.get("userName")) if author else None,
    )


def ticket_resources(t: dict[str, Any], lookups: Lookups) -> list[PSAResource]:
    """Primary resource first, then the secondary resources (by row id), one entry per resource."""
    ids: list[int] = []
    primary = _int(t.get("assignedResourceID"))
    if primary is not None:
        ids.append(primary)
    for row in sorted(lookups.secondaries.get(int(t["id"]), []), key=lambda r: _int(r.get("id")) or 0):
        rid = _int(row.get("resourceID"))
        if rid is not None and rid not in ids:
            ids.append(rid)
    out = []
    for rid in ids:
        r = lookups.resources.get(rid)
        entry = resource(r) if r else PSAResource(member_id=rid, member_name=f"Resource {rid}", member_identifier="")
        entry.is_primary = rid == primary
        out.append(entry)
    return out


def sla_target(t: dict[str, Any]) -> dict[str, Any]:
    """The next SLA milestone not reached yet (first response, resolution plan, resolved) and its due date."""
    if _int(t.get("status")) == COMPLETE_STATUS:
        return {}
    for stage, done, due in (("Respond", "firstResponseDateTime", "firstResponseDueDateTime"),
                             ("Plan", "resolutionPlanDateTime", "resolutionPlanDueDateTime"),
                             ("Resolve", "resolvedDateTime", "resolvedDueDateTime")):
        if t.get(done) is None and parse_datetime(t.get(due)) is not None:
            return {"sla_stage": stage, "sla_due": parse_datetime(t.get(due))}
    return {}


def _row_fields(t: dict[str, Any], lookups: Lookups) -> dict[str, Any]:
    queue = lookups.value("queueID", t.get("queueID"))
    status_value = lookups.value("status", t.get("status"))
    priority_value = lookups.value("priority", t.get("priority"))
    company_row = lookups.companies.get(_int(t.get("companyID")) or -1)
    met = t.get("serviceLevelAgreementHasBeenMet")
    return {
        "id": int(t["id"]),
        "summary": t.get("title") or "",
        "board_id": _int(t.get("queueID")),
        "board_name": queue.label if queue else None,
        "status_id": _int(t.get("status")),
        "status_name": status_value.label if status_value else None,
        "priority_id": _int(t.get("priority")),
        "priority_name": priority_value.label if priority_value else None,
        "priority_sort": priority_value.sort_order if priority_value else None,
        "company_id": _int(t.get("companyID")),
        "company_name": _str(company_row.get("companyName")) if company_row else None,
        "contact_name": contact_name(lookups.contacts.get(_int(t.get("contactID")) or -1)),
        "resources": [r.member_identifier or r.member_name for r in ticket_resources(t, lookups)],
        "date_entered": parse_datetime(t.get("createDate")),
        "closed": _int(t.get("status")) == COMPLETE_STATUS,
        **sla_target(t),
        "is_in_sla": met if isinstance(met, bool) else None,
    }


def ticket_row(t: dict[str, Any], lookups: Lookups) -> PSATicketSearchResult:
    return PSATicketSearchResult(**_row_fields(t, lookups))


def _minutes(start: Any, end: Any) -> int | None:
    a, b = parse_datetime(start), parse_datetime(end)
    if a is None or b is None:
        return None
    return max(0, int((b - a).total_seconds() // 60))


def ticket_detail(t: dict[str, Any], lookups: Lookups) -> PSATicketDetail:
    contact = lookups.contacts.get(_int(t.get("contactID")) or -1) or {}
    owner = lookups.resources.get(_int(t.get("assignedResourceID")) or -1)
    updater = lookups.resources.get(_int(t.get("lastActivityResourceID")) or -1)
    issue, sub_issue = lookups.label("issueType", t.get("issueType")), lookups.label("subIssueType", t.get("subIssueType"))
    return PSATicketDetail(
        **_row_fields(t, lookups),
        contact_id=_int(t.get("contactID")),
        contact_email=_str(contact.get("emailAddress")),
        contact_phone=_str(contact.get("phone")) or _str(contact.get("mobilePhone")),
        owner_identifier=_str(owner.get("userName")) if owner else None,
        type_name=issue or lookups.label("ticketType", t.get("ticketType")),
        # issue type / sub-issue type play ConnectWise's type / subtype (newer DTO fields; ignored without them)
        type_id=_int(t.get("issueType")),
        subtype_id=_int(t.get("subIssueType")),
        subtype_name=sub_issue,
        updated_by=_str(updater.get("userName")) if updater else None,
        parent_ticket_id=_int(t.get("problemTicketId")),
        required_date=parse_datetime(t.get("dueDateTime")),
        sla_name=lookups.label("serviceLevelAgreementID", t.get("serviceLevelAgreementID")),
        respond_minutes=_minutes(t.get("createDate"), t.get("firstResponseDateTime")),
        res_plan_minutes=_minutes(t.get("createDate"), t.get("resolutionPlanDateTime")),
        resolve_minutes=_minutes(t.get("createDate"), t.get("resolvedDateTime")),
        date_responded=parse_datetime(t.get("firstResponseDateTime")),
        date_resplan=parse_datetime(t.get("resolutionPlanDateTime")),
        date_resolved=parse_datetime(t.get("resolvedDateTime")),
        last_updated=parse_datetime(t.get("lastActivityDate")),
    )


def ticket_created(ticket_id: int, summary: str, lookups: Lookups, *, queue_id: int, status_id: int, priority_id: int,
                   company: dict | None, resources: list[PSAResource]) -> PSATicketCreated:
    return PSATicketCreated(
        id=ticket_id,
        summary=summary,
        board_name=lookups.label("queueID", queue_id) or "",
        status_name=lookups.label("status", status_id) or "",
        priority_name=lookups.label("priority", priority_id) or "",
        company_name=(_str(company.get("companyName")) if company else None) or "",
        resources=resources,
    )


def configuration(ci: dict[str, Any], lookups: Lookups) -> PSAConfiguration:
    cid = int(ci["id"])
    return PSAConfiguration(
        id=cid,
        name=_str(ci.get("referenceTitle")) or _str(ci.get("rmmDeviceAuditHostname")) or f"Configuration item {cid}",
        type_name=lookups.label("configurationItemType", ci.get("configurationItemType")),
        status_name=None if ci.get("isActive") is None else ("Active" if ci.get("isActive") else "Inactive"),
        serial_number=_str(ci.get("serialNumber")),
        model_number=_str(ci.get("referenceNumber")),
        ip_address=_str(ci.get("rmmDeviceAuditIPAddress")),
        os_info=_str(ci.get("rmmDeviceAuditOperatingSystem")),
        last_login_name=_str(ci.get("rmmDeviceAuditLastUser")),
    )


def system_info(version: dict[str, Any], zone_name: str | None, threshold: Any = None) -> PSASystemInfo:
    """``/V1.0/Version`` (``majorVersion``, ``minorVersion``, ``build``): the Autotask product version; with
    ``/V1.0/ThresholdInformation`` (``currentTimeframeRequestCount`` of ``externalRequestThreshold`` in
    ``requestThresholdTimeframe`` minutes) when it answered with numbers."""
    parts = [_str(version.get(key)) or (str(version[key]) if isinstance(version.get(key), int) else None)
             for key in ("majorVersion", "minorVersion", "build")]
    text = ".".join(part for part in parts if part) or None
    usage: dict[str, int | None] = {}
    if isinstance(threshold, dict):
        used, limit = _int(threshold.get("currentTimeframeRequestCount")), _int(threshold.get("externalRequestThreshold"))
        if used is not None and limit:
            usage = {"api_requests_used": used, "api_requests_limit": limit,
                     "api_window_minutes": _int(threshold.get("requestThresholdTimeframe"))}
    return PSASystemInfo(version=text, is_cloud=True, server_time_zone="UTC", cloud_region=zone_name, **usage)
