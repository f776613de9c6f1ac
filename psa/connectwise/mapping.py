"""ConnectWise JSON -> provider-neutral DTOs (``psa.schemas``).

ConnectWise omits null fields and, with ``fields=``, everything not asked for, so every read here
tolerates missing keys. Dates arrive as ``2024-05-01T10:00:00Z`` strings (``ServiceNote.dateCreated``
and the ``_info`` map are plain strings); unparsable ones become ``None``.
"""

from __future__ import annotations

import re
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
    "board": "board_id", "board/id": "board_id", "boardid": "board_id",
    "status": "status_id", "status/id": "status_id", "statusid": "status_id",
    "priority": "priority_id", "priority/id": "priority_id", "priorityid": "priority_id",
    "member": "assigned_member_id", "member/id": "assigned_member_id", "owner": "assigned_member_id",
    "owner/id": "assigned_member_id", "resources": "assigned_member_id",
    "initialdescription": "description", "description": "description",
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
    if not isinstance(value, str) or not value.strip():
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


def _row_fields(t: dict[str, Any]) -> dict[str, Any]:
    board, status, priority = _ref(t, "board"), _ref(t, "status"), _ref(t, "priority")
    company, contact = _ref(t, "company"), _ref(t, "contact")
    return {
        "id": int(t["id"]),
        "summary": t.get("summary") or "",
        "board_id": _int(board.get("id")),
        "board_name": _str(board.get("name")),
        "status_id": _int(status.get("id")),
        "status_name": _str(status.get("name")),
        "priority_id": _int(priority.get("id")),
        "priority_name": _str(priority.get("name")),
        "priority_sort": _int(priority.get("sort")),
        "company_id": _int(company.get("id")),
        "company_name": _str(company.get("name")),
        "contact_name": _str(contact.get("name")) or _str(t.get("contactName")),
        "resources": split_resources(t.get("resources")),
        "date_entered": parse_datetime(_info(t, "dateEntered")),
        "closed": bool(t.get("closedFlag")),
        **sla_target(_str(t.get("slaStatus"))),
        "is_in_sla": t.get("isInSla") if isinstance(t.get("isInSla"), bool) else None,
    }


# ConnectWise's slaStatus names the next SLA stage and when it is due ("Respond by 2026-11-24T21:32:00Z").
_SLA_STAGE = re.compile(r"^\s*(Respond|Plan|Resolve)\s+by\s+(.+?)\s*$", re.IGNORECASE)


def sla_target(sla_status: str | None) -> dict[str, Any]:
    """``slaStatus`` as the DTO's ``sla_stage``/``sla_due``/``sla_text``.

    "Respond by <ISO date>" -> stage and due; a date ConnectWise wrote in another format -> stage and
    its text; any other status ("Waiting") -> text only.
    """
    if not sla_status:
        return {}
    stage = _SLA_STAGE.match(sla_status)
    if not stage:
        return {"sla_text": sla_status}
    due = parse_datetime(stage.group(2))
    return {"sla_stage": stage.group(1).capitalize(), "sla_due": due, "sla_text": None if due else stage.group(2)}


def ticket_row(t: dict[str, Any]) -> PSATicketSearchResult:
    return PSATicketSearchResult(**_row_fields(t))


def ticket_detail(t: dict[str, Any]) -> PSATicketDetail:
    contact, owner, ttype, sla = _ref(t, "contact"), _ref(t, "owner"), _ref(t, "type"), _ref(t, "sla")
    return PSATicketDetail(
        **_row_fields(t),
        contact_id=_int(contact.get("id")),
        contact_email=_str(t.get("contactEmailAddress")),
        contact_phone=_str(t.get("contactPhoneNumber")),
        owner_identifier=_str(owner.get("identifier")),
        type_name=_str(ttype.get("name")),
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
    member = _ref(n, "member")
    return PSANote(
        id=int(n["id"]),
        ticket_id=_int(n.get("ticketId")) or ticket_id,
        text=n.get("text") or "",
        kind=note_kind(n),
        author=_str(member.get("name")) or _str(n.get("createdBy")),
        created_at=parse_datetime(n.get("dateCreated")) or parse_datetime(_info(n, "dateEntered")),
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
    return PSAPriority(
        id=int(p["id"]),
        name=p.get("name") or "",
        sort=_int(p.get("sortOrder")) or 0,
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
    return PSAMember(id=int(m["id"]), identifier=m.get("identifier") or "", name=name)


def company(c: dict[str, Any]) -> PSACompany:
    return PSACompany(id=int(c["id"]), identifier=c.get("identifier") or "", name=c.get("name") or "")


def system_info(i: dict[str, Any]) -> PSASystemInfo:
    return PSASystemInfo(
        version=_str(i.get("version")),
        is_cloud=i.get("isCloud") if isinstance(i.get("isCloud"), bool) else None,
        server_time_zone=_str(i.get("serverTimeZone")),
        cloud_region=_str(i.get("cloudRegion")),
    )
