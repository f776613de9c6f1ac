"""ConnectWise JSON -> provider-neutral DTOs (``psa.schemas``).

ConnectWise omits null fields and, with ``fields=``, everything not asked for, so every read here
tolerates missing keys. Dates arrive as ``2024-05-01T10:00:00Z`` strings (``ServiceNote.dateCreated``
and the ``_info`` map are plain strings); unparsable ones become ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from psa.schemas import (
    PRIORITY_SORT_LAST,
    BillableOption,
    NoteKind,
    PSABoard,
    PSABoardItem,
    PSABoardSubtype,
    PSABoardType,
    PSACompany,
    PSAConfiguration,
    PSAContact,
    PSAMember,
    PSANote,
    PSAPriority,
    PSAResource,
    PSAStatus,
    PSASystemInfo,
    PSATicketCreated,
    PSATicketDetail,
    PSATicketSearchResult,
    PSATimeEntry,
    PSAWorkRole,
    PSAWorkType,
)

# What a queue row shows: list calls ask ConnectWise for these fields only.
TICKET_ROW_FIELDS = (
    "id,summary,board/id,board/name,status/id,status/name,priority/id,priority/name,priority/sort,"
    "company/id,company/name,contact/name,resources,closedFlag,slaStatus,isInSla,_info/dateEntered"
)
# The entry fields list_resources needs.
SCHEDULE_ENTRY_FIELDS = "id,objectId,member/id,member/identifier,member/name,type/identifier,doneFlag"


# ConnectWise's field names in 400 errors ("company/id", "initialDescription", ...) -> the DTOs'
# field names (``TicketCreatePayload``), so nothing above the provider knows ConnectWise's spelling.
_DTO_FIELDS = {
    "summary": "summary",
    "company": "company_id", "company/id": "company_id", "companyid": "company_id",
    "contact": "contact_id", "contact/id": "contact_id", "contactid": "contact_id",
    "board": "board_id", "board/id": "board_id", "boardid": "board_id",
    "status": "status_id", "status/id": "status_id", "statusid": "status_id",
    "priority": "priority_id", "priority/id": "priority_id", "priorityid": "priority_id",
    "member": "assigned_member_id", "member/id": "assigned_member_id", "owner": "assigned_member_id",
    "owner/id": "assigned_member_id", "resources": "assigned_member_id",
    "initialdescription": "description", "description": "description",
    # inline edits (``TicketChanges``)
    "type": "type_id", "type/id": "type_id", "subtype": "subtype_id", "subtype/id": "subtype_id",
    "item": "item_id", "item/id": "item_id", "requireddate": "required_date",
}


def dto_field(name: str | None) -> str | None:
    """The DTO field a ConnectWise error field names (unknown names pass through unchanged)."""
    if not name:
        return name
    return _DTO_FIELDS.get(name.strip().lower(), name)


def _ref(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return _parse_datetime_text(value)


@lru_cache(maxsize=4096)
def _parse_datetime_text(value: str) -> datetime | None:
    """``parse_datetime`` of a text, remembered (a datetime is immutable): a queue's rows come back on every
    visit and poll with the same dates."""
    if not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def split_resources(value: Any) -> list[str]:
    """``"jsmith, agarcia"`` -> ``["jsmith", "agarcia"]``."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _info(obj: dict[str, Any], key: str) -> Any:
    info = obj.get("_info")
    return info.get(key) if isinstance(info, dict) else None


def _order(ref: dict[str, Any]) -> int | None:
    """A priority's urgency order: ``sort`` on a PriorityReference, ``sortOrder`` on a full Priority."""
    value = _int(ref.get("sort"))
    return value if value is not None else _int(ref.get("sortOrder"))


def _row_fields(t: dict[str, Any]) -> dict[str, Any]:
    board, status, priority = _ref(t, "board"), _ref(t, "status"), _ref(t, "priority")
    company, contact = _ref(t, "company"), _ref(t, "contact")
    sla_status = _str(t.get("slaStatus"))
    return {
        "id": int(t["id"]),
        "summary": t.get("summary") or "",
        "board_id": _int(board.get("id")),
        "board_name": _str(board.get("name")),
        "status_id": _int(status.get("id")),
        "status_name": _str(status.get("name")),
        "priority_id": _int(priority.get("id")),
        "priority_name": _str(priority.get("name")),
        "priority_sort": _order(priority),
        "company_id": _int(company.get("id")),
        "company_name": _str(company.get("name")),
        # The ticket's own contact name first (it goes with contactEmailAddress/contactPhoneNumber); queue
        # rows ask only for contact/name.
        "contact_name": _str(t.get("contactName")) or _str(contact.get("name")),
        "resources": split_resources(t.get("resources")),
        "date_entered": parse_datetime(_info(t, "dateEntered")),
        "closed": bool(t.get("closedFlag")),
        **sla_target(sla_status),
        # isInSla without an slaStatus says nothing (captured payloads: false on tickets with no SLA
        # running): unknown, never "breached".
        "is_in_sla": t.get("isInSla") if isinstance(t.get("isInSla"), bool) and sla_status else None,
    }


# ConnectWise's slaStatus names the next SLA stage and when it is due ("Respond by 2026-11-24T21:32:00Z").
_SLA_STAGE = re.compile(r"^\s*(Respond|Plan|Resolve)\s+by\s+(.+?)\s*$", re.IGNORECASE)


def sla_target(sla_status: str | None) -> Mapping[str, Any]:
    """``slaStatus`` as the DTO's ``sla_stage``/``sla_due``/``sla_text`` (read-only: remembered per text, as the
    same statuses come back on every visit of a queue).

    "Respond by <ISO date>" -> stage and due; a date ConnectWise wrote in another format -> stage and
    its text; any other status ("Waiting") -> text only.
    """
    if not sla_status:
        return _NO_SLA
    return _sla_target(sla_status)


_NO_SLA: Mapping[str, Any] = MappingProxyType({})


@lru_cache(maxsize=4096)
def _sla_target(sla_status: str) -> Mapping[str, Any]:
    stage = _SLA_STAGE.match(sla_status)
    if not stage:
        return MappingProxyType({"sla_text": sla_status})
    due = parse_datetime(stage.group(2))
    return MappingProxyType(
        {"sla_stage": stage.group(1).capitalize(), "sla_due": due, "sla_text": None if due else stage.group(2)})


def ticket_row(t: dict[str, Any]) -> PSATicketSearchResult:
    return PSATicketSearchResult(**_row_fields(t))


def _contact(t: dict[str, Any]) -> dict[str, Any]:
    """The ticket's contact as one person: contactName, contactEmailAddress and contactPhoneNumber belong
    together (ConnectWise keeps them on the ticket, and they may differ from the contact record). The
    contact record's name is used only when the ticket carries none of the three."""
    own = {"contact_name": _str(t.get("contactName")), "contact_email": _str(t.get("contactEmailAddress")),
           "contact_phone": _str(t.get("contactPhoneNumber"))}
    if not any(own.values()):
        own["contact_name"] = _str(_ref(t, "contact").get("name"))
    return own


def ticket_detail(t: dict[str, Any]) -> PSATicketDetail:
    contact, owner, ttype, sla = _ref(t, "contact"), _ref(t, "owner"), _ref(t, "type"), _ref(t, "sla")
    subtype, item = _ref(t, "subType"), _ref(t, "item")
    return PSATicketDetail(
        **{**_row_fields(t), **_contact(t)},
        contact_id=_int(contact.get("id")),
        owner_identifier=_str(owner.get("identifier")),
        type_id=_int(ttype.get("id")),
        type_name=_str(ttype.get("name")),
        subtype_id=_int(subtype.get("id")),
        subtype_name=_str(subtype.get("name")),
        item_id=_int(item.get("id")),
        item_name=_str(item.get("name")),
        severity=_str(t.get("severity")),
        impact=_str(t.get("impact")),
        parent_ticket_id=_int(t.get("parentTicketId")),
        has_child_ticket=bool(t.get("hasChildTicket")),
        required_date=parse_datetime(t.get("requiredDate")),
        sla_name=_str(sla.get("name")),
        respond_minutes=_int(t.get("respondMinutes")),
        res_plan_minutes=_int(t.get("resPlanMinutes")),
        resolve_minutes=_int(t.get("resolveMinutes")),
        date_responded=parse_datetime(t.get("dateResponded")),
        date_resplan=parse_datetime(t.get("dateResplan")),
        date_resolved=parse_datetime(t.get("dateResolved")),
        last_updated=parse_datetime(_info(t, "lastUpdated")),
        updated_by=_str(_info(t, "updatedBy")),
    )


def ticket_created(t: dict[str, Any], resources: list[PSAResource]) -> PSATicketCreated:
    return PSATicketCreated(
        id=int(t["id"]),
        summary=t.get("summary") or "",
        board_name=_ref(t, "board").get("name") or "",
        status_name=_ref(t, "status").get("name") or "",
        priority_name=_ref(t, "priority").get("name") or "",
        company_name=_ref(t, "company").get("name") or "",
        resources=resources,
    )


def resource_from_entry(entry: dict[str, Any]) -> PSAResource | None:
    member = _ref(entry, "member")
    member_id = _int(member.get("id"))
    if member_id is None:
        return None
    identifier = member.get("identifier") or ""
    return PSAResource(member_id=member_id, member_identifier=identifier, member_name=member.get("name") or identifier)


def note_kind(n: dict[str, Any]) -> NoteKind:
    if n.get("resolutionFlag"):
        return "resolution"
    if n.get("internalAnalysisFlag"):
        return "internal"
    return "discussion"


NOTE_FLAGS: dict[str, str] = {
    "discussion": "detailDescriptionFlag",
    "internal": "internalAnalysisFlag",
    "resolution": "resolutionFlag",
}


def note(n: dict[str, Any], ticket_id: int) -> PSANote:
    """The author is the note's member (its name; its identifier when the reference lacks the name, for
    ``tickets.service`` to look up), else its contact (a customer's reply). ``createdBy`` is who saved the
    record (the API member, for a note written through an integration), so it names the author only when
    the note has neither."""
    member, contact = _ref(n, "member"), _ref(n, "contact")
    member_id, identifier = _int(member.get("id")), _str(member.get("identifier"))
    if member_id is not None or identifier:
        author = _str(member.get("name")) or identifier
    elif contact:
        author = _str(contact.get("name"))
    else:
        author = _str(n.get("createdBy"))
    return PSANote(
        id=int(n["id"]),
        ticket_id=_int(n.get("ticketId")) or ticket_id,
        text=n.get("text") or "",
        kind=note_kind(n),
        author=author,
        created_at=parse_datetime(n.get("dateCreated")) or parse_datetime(_info(n, "dateEntered")),
        author_member_id=member_id,
        author_identifier=identifier,
    )


def configuration(c: dict[str, Any]) -> PSAConfiguration:
    return PSAConfiguration(
        id=int(c["id"]),
        name=c.get("name") or c.get("deviceIdentifier") or f"Configuration {c['id']}",
        type_name=_str(_ref(c, "type").get("name")),
        status_name=_str(_ref(c, "status").get("name")),
        serial_number=_str(c.get("serialNumber")),
        model_number=_str(c.get("modelNumber")),
        ip_address=_str(c.get("ipAddress")),
        os_info=_str(c.get("osInfo")),
        last_login_name=_str(c.get("lastLoginName")),
    )


def configuration_ref(r: dict[str, Any]) -> PSAConfiguration:
    """A ticket's configuration reference (``/service/tickets/{id}/configurations``): id,
    deviceIdentifier and, in ``_info``, the name and type name. No facts (serial, IP, OS, status)."""
    name = _str(_info(r, "name")) or _str(r.get("name")) or _str(r.get("deviceIdentifier"))
    type_name = _info(r, "type")
    if isinstance(type_name, dict):
        type_name = type_name.get("name")
    return PSAConfiguration(
        id=int(r["id"]), name=name or f"Configuration {r['id']}", type_name=_str(type_name) if type_name else None
    )


def board(b: dict[str, Any]) -> PSABoard:
    return PSABoard(id=int(b["id"]), name=b.get("name") or "")


def status(s: dict[str, Any], board_id: int | None = None) -> PSAStatus:
    return PSAStatus(
        id=int(s["id"]),
        name=s.get("name") or "",
        board_id=_int(_ref(s, "board").get("id")) or board_id,
        sort_order=_int(s.get("sortOrder")) or 0,
        closed=bool(s.get("closedStatus")),
        inactive=bool(s.get("inactive")),
    )


def priority(p: dict[str, Any]) -> PSAPriority:
    order = _order(p)
    return PSAPriority(
        id=int(p["id"]),
        name=p.get("name") or "",
        sort=PRIORITY_SORT_LAST if order is None else order,  # no order: after every ordered one
        level=_str(p.get("level")),
        color=_str(p.get("color")),
    )


def member(m: dict[str, Any]) -> PSAMember:
    name = (
        " ".join(part for part in (m.get("firstName"), m.get("lastName")) if part)
        or m.get("name")
        or m.get("identifier")
        or ""
    )
    zone = m.get("timeZone")
    return PSAMember(id=int(m["id"]), identifier=m.get("identifier") or "", name=name,
                     time_zone=_str(zone.get("name")) if isinstance(zone, dict) else None)


def company(c: dict[str, Any]) -> PSACompany:
    return PSACompany(id=int(c["id"]), identifier=c.get("identifier") or "", name=c.get("name") or "")


# The contact fields a picker shows.
CONTACT_FIELDS = "id,firstName,lastName,title,company/id,company/name"


def contact(c: dict[str, Any]) -> PSAContact:
    name = " ".join(part for part in (_str(c.get("firstName")), _str(c.get("lastName"))) if part)
    company_ref = _ref(c, "company")
    return PSAContact(id=int(c["id"]), name=name or f"Contact {c['id']}", company_id=_int(company_ref.get("id")),
                      company_name=_str(company_ref.get("name")), title=_str(c.get("title")))


def system_info(i: dict[str, Any]) -> PSASystemInfo:
    return PSASystemInfo(
        version=_str(i.get("version")),
        is_cloud=i.get("isCloud") if isinstance(i.get("isCloud"), bool) else None,
        server_time_zone=_str(i.get("serverTimeZone")),
        cloud_region=_str(i.get("cloudRegion")),
    )


# --- time entries (issue 19) -------------------------------------------------------------------------

BILLABLE_FROM_CW: dict[str, BillableOption] = {
    "Billable": "billable", "DoNotBill": "do_not_bill", "NoCharge": "no_charge", "NoDefault": "no_default",
}
BILLABLE_TO_CW: dict[str, str] = {ours: theirs for theirs, ours in BILLABLE_FROM_CW.items()}
# The time-entry fields the drawer's Time section shows: list calls ask ConnectWise for these only.
TIME_ENTRY_FIELDS = (
    "id,chargeToId,chargeToType,member/id,member/identifier,member/name,timeStart,timeEnd,hoursDeduct,"
    "actualHours,billableOption,notes,workType/id,workType/name,workRole/id,workRole/name,"
    "addToDetailDescriptionFlag,addToInternalAnalysisFlag,addToResolutionFlag"
)

# ConnectWise's field names in a time entry's 400 errors -> ``TimeEntryCreate``'s. The client has already
# passed every name through ``dto_field`` (made for tickets), so "member" arrives as "assigned_member_id".
_TIME_ENTRY_DTO_FIELDS = {
    "timestart": "start", "timeend": "end", "actualhours": "end", "hoursdeduct": "end",
    "member": "member_id", "member/id": "member_id", "member/identifier": "member_id",
    "assigned_member_id": "member_id",
    "worktype": "work_type_id", "worktype/id": "work_type_id", "worktype/name": "work_type_id",
    "workrole": "work_role_id", "workrole/id": "work_role_id", "workrole/name": "work_role_id",
    "billableoption": "billable", "notes": "notes", "internalnotes": "notes",
    "chargetoid": "ticket_id", "chargetotype": "ticket_id",
    "adddetaildescriptionflag": "add_to_discussion", "addtointernalanalysisflag": "add_to_internal",
    "addtoresolutionflag": "add_to_resolution",
}


def time_entry_field(name: str | None) -> str | None:
    """The ``TimeEntryCreate`` field a ConnectWise time-entry error names (unknown names pass through)."""
    if not name:
        return name
    return _TIME_ENTRY_DTO_FIELDS.get(name.strip().lower(), name)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def time_entry(e: dict[str, Any]) -> PSATimeEntry:
    member, work_type, work_role = _ref(e, "member"), _ref(e, "workType"), _ref(e, "workRole")
    start, end = parse_datetime(e.get("timeStart")), parse_datetime(e.get("timeEnd"))
    hours = _float(e.get("actualHours"))
    if hours is None and start is not None and end is not None:  # not sent back: what ConnectWise derives
        hours = max((end - start).total_seconds() / 3600 - (_float(e.get("hoursDeduct")) or 0.0), 0.0)
    identifier = _str(member.get("identifier"))
    charged_to_ticket = e.get("chargeToType") in ("ServiceTicket", "ProjectTicket")
    return PSATimeEntry(
        id=int(e["id"]),
        ticket_id=_int(e.get("chargeToId")) if charged_to_ticket else None,
        member_id=_int(member.get("id")),
        member_identifier=identifier,
        member_name=_str(member.get("name")) or identifier,
        start=start,
        end=end,
        hours=round(hours or 0.0, 2),
        billable=BILLABLE_FROM_CW.get(e.get("billableOption")),
        notes=e.get("notes") if isinstance(e.get("notes"), str) else "",
        work_type_id=_int(work_type.get("id")),
        work_type_name=_str(work_type.get("name")),
        work_role_id=_int(work_role.get("id")),
        work_role_name=_str(work_role.get("name")),
        add_to_discussion=e.get("addToDetailDescriptionFlag") is True,
        add_to_internal=e.get("addToInternalAnalysisFlag") is True,
        add_to_resolution=e.get("addToResolutionFlag") is True,
    )


def work_type(w: dict[str, Any]) -> PSAWorkType:
    return PSAWorkType(id=int(w["id"]), name=w.get("name") or "", billable=BILLABLE_FROM_CW.get(w.get("billTime")),
                       is_default=w.get("overallDefaultFlag") is True)


def work_role(r: dict[str, Any]) -> PSAWorkRole:
    return PSAWorkRole(id=int(r["id"]), name=r.get("name") or "")


# --- ticket editing (issue 19) -----------------------------------------------------------------------

# What the concurrent-edit check reads before an inline edit: the editable fields (with the names a
# conflict shows) and who changed the ticket last, when.
TICKET_EDIT_FIELDS = (
    "id,summary,board/id,board/name,status/id,status/name,priority/id,priority/name,priority/sort,"
    "type/id,type/name,subType/id,subType/name,item/id,item/name,requiredDate,closedFlag,"
    "_info/lastUpdated,_info/updatedBy"
)


def board_type(t: dict[str, Any]) -> PSABoardType:
    return PSABoardType(id=int(t["id"]), name=t.get("name") or "", is_default=t.get("defaultFlag") is True)


def board_subtype(s: dict[str, Any]) -> PSABoardSubtype:
    ids = s.get("typeAssociationIds")
    type_ids = [i for i in (_int(v) for v in ids) if i is not None] if isinstance(ids, list) else []
    return PSABoardSubtype(id=int(s["id"]), name=s.get("name") or "", type_ids=type_ids)


def board_item(i: dict[str, Any]) -> PSABoardItem:
    return PSABoardItem(id=int(i["id"]), name=i.get("name") or "")
