"""``PSAProvider`` for ConnectWise PSA (Manage) REST API 3.0, version 2025.8.

Wire details live in ``psa.connectwise``: ``conditions`` (query building with escaped user text),
``client`` (auth, headers, timeouts, retries, error mapping, call counting) and ``mapping``
(ConnectWise JSON -> DTOs). This module only decides which calls to make.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from psa import concurrency
from psa.capacity import CircuitBreaker
from psa.connectwise import mapping
from psa.connectwise.client import PAGE_SIZE_MAX, ConnectWiseClient
from psa.connectwise.conditions import C, Condition, as_int, has_text, literal, ticket_conditions
from psa.providers.base import (
    EXTERNAL_REF_MAX,
    ChangedTickets,
    FieldError,
    PooledProvider,
    PSAAuthError,
    PSAEditConflict,
    PSAError,
    PSAMalformedResponseError,
    PSANotFoundError,
    PSAUnknownCompanyError,
    PSAValidationError,
    TicketStamp,
    client_options,
    psa_errors_only,
)
from psa.schemas import (
    NOTE_MAX,
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
    PSATicketStatusUpdate,
    PSATicketUpdate,
    PSATimeEntry,
    PSAWorkRole,
    PSAWorkType,
    TicketChanges,
    TicketCreatePayload,
    TicketPage,
    TicketSearchQuery,
    TimeEntryCreate,
)

logger = logging.getLogger("psa.connectwise")

T = TypeVar("T")

# Most urgent first (lower priority sort = more urgent), then newest by id.
TICKET_ORDER = "priority/sort asc, id desc"
SERVICE_SCHEDULE_TYPE = "S"
ASSIGNMENT_DURATION = timedelta(hours=1)
CONFIGURATION_FIELDS = (
    "id,name,deviceIdentifier,type/name,status/name,serialNumber,modelNumber,ipAddress,osInfo,lastLoginName"
)
# What a change poll reads per ticket (``changed_tickets``) and what an open drawer compares (``ticket_stamp``).
CHANGED_FIELDS = "id,_info/lastUpdated"
STAMP_FIELDS = "id,status/id,resources,_info/lastUpdated"
ALSO_IDS_MAX = 100  # rows of one queue page (at most 100) that a change poll also watches
# Pickers (issue 17): the configuration fields a search looks in; at most this many words of a contact search.
CONFIGURATION_TEXT = ("name", "deviceIdentifier", "serialNumber")
SEARCH_WORDS_MAX = 3
COMPANY_PAGES_MAX = 50  # list_companies: 50,000 companies

def _updated_ticket(updated: Any, ticket_id: int) -> PSATicketDetail | None:
    """The ticket a PATCH answered with, or None when it cannot be mapped: the status did change,
    so a response we cannot read as a ticket must not turn the change into a failure."""
    if not isinstance(updated, dict) or _int_or_none(updated.get("id")) != ticket_id:
        return None
    try:
        return mapping.ticket_detail(updated)
    except (KeyError, TypeError, ValueError, AttributeError):  # pydantic's ValidationError is a ValueError
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# A response we cannot map (missing id, wrong type) is a malformed response, not a crash.
_psa_errors_only = psa_errors_only("ConnectWise", logger)


def _invalid(field: str, message: str) -> PSAValidationError:
    return PSAValidationError(message, field_errors=[FieldError(field=field, message=message)])


def _id(value: Any, field: str = "id") -> int:
    try:
        number = as_int(value)
    except ValueError:
        raise _invalid(field, f"{field} must be a whole number") from None
    if number <= 0:
        raise _invalid(field, f"{field} must be positive")
    return number


def _external_ref(value: Any) -> str:
    """A reference fit for ``externalXRef`` that an exact ``=`` condition finds again: 1 to 100
    printable characters (``quote`` would turn a control character into a space)."""
    if not isinstance(value, str) or not 0 < len(value) <= EXTERNAL_REF_MAX or not value.isprintable():
        raise _invalid("external_ref", f"external_ref must be 1 to {EXTERNAL_REF_MAX} printable characters")
    return value


def _cw_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Time charged to a ticket of the service queue (a project ticket would be "ProjectTicket").
TIME_CHARGE_TYPE = "ServiceTicket"
TICKET_CHARGE_TYPES = ("ServiceTicket", "ProjectTicket")
# Inline edits: TicketChanges field -> the Ticket field it patches, in the order the operations are sent
# (the board before its status, the type before its subtype and item).
EDIT_PATHS = {
    "summary": "summary", "priority_id": "priority", "board_id": "board", "status_id": "status",
    "type_id": "type", "subtype_id": "subType", "item_id": "item", "required_date": "requiredDate",
}
# Reference fields whose id the PATCH answer must show as sent (else ConnectWise did not take the change).
_CHECKED_REFS = {"priority_id": "priority", "board_id": "board", "status_id": "status"}


def _edit_operations(sent: dict[str, Any]) -> list[dict[str, Any]]:
    """The PatchOperation list of an inline edit: "replace" with ``{"id": n}`` for references, the text
    for the summary, a UTC date-time for the required date, "remove" for a cleared field."""
    operations = []
    for name, path in EDIT_PATHS.items():
        if name not in sent:
            continue
        value = sent[name]
        if value is None:
            operations.append({"op": "remove", "path": path})
        elif name == "summary":
            operations.append({"op": "replace", "path": path, "value": value})
        elif name == "required_date":
            operations.append({"op": "replace", "path": path, "value": _cw_datetime(value)})
        else:
            operations.append({"op": "replace", "path": path, "value": {"id": _id(value, name)}})
    return operations


def _time_entry_invalid(error: PSAValidationError) -> PSAValidationError:
    """ConnectWise's 400 for a time entry, its fields named as ``TimeEntryCreate`` names them."""
    fields = [FieldError(mapping.time_entry_field(e.field), e.message) for e in error.field_errors]
    return PSAValidationError(error.message, status=error.status, field_errors=fields)


class ConnectWiseProvider(PooledProvider):
    def __init__(
        self,
        *,
        base_url: str,
        company_id: str,
        public_key: str,
        private_key: str,
        client_id: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        get_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
        capacity_key: object = None,
        breaker: CircuitBreaker | None = None,
    ):
        super().__init__(capacity_key)
        self.client = ConnectWiseClient(
            base_url=base_url, company_id=company_id, public_key=public_key, private_key=private_key,
            client_id=client_id, transport=transport,
            **client_options(timeout=timeout, connect_timeout=connect_timeout, get_retries=get_retries, sleep=sleep,
                             breaker=breaker),
        )
        self.company_id = company_id
        self._schedule_type_id: int | None = None
        self._schedule_type_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ConnectWiseProvider {self.client.base_url}>"

    # --- tickets ---------------------------------------------------------------------------

    @_psa_errors_only
    def search_tickets(self, query: TicketSearchQuery, page: int = 1, page_size: int = 25) -> TicketPage:
        page = max(1, int(page))
        page_size = min(max(1, int(page_size)), PAGE_SIZE_MAX)
        try:
            conditions = ticket_conditions(query)
        except ValueError as exc:
            raise _invalid("assigned", str(exc)) from None
        count_params = {"conditions": conditions}
        page_params = {"conditions": conditions, "orderBy": TICKET_ORDER, "fields": mapping.TICKET_ROW_FIELDS,
                       "page": page, "pageSize": page_size}
        if self.client.send_early("/service/tickets/count", count_params):
            # Both in flight from this thread: the count sent first, the page sent and read, then the count
            # read (psa.wire.StdlibTransport.send_early); no hand-off to the call pool.
            try:
                rows_json = self.client.get("/service/tickets", page_params)
                count_json = self.client.get("/service/tickets/count", count_params)
            finally:
                self.client.discard_early()
        else:
            count = self._submit(self.client.get, "/service/tickets/count", count_params)
            # The page in this thread while the count runs in the pool: one thread hand-off per list, not two.
            try:
                rows_json = self.client.get("/service/tickets", page_params)
            except BaseException:
                count.exception()  # wait for it, so no call is left running unobserved
                raise
            count_json = count.result()
        return TicketPage(items=[mapping.ticket_row(t) for t in rows_json], total=int(count_json["count"]))

    @_psa_errors_only
    def count_tickets(self, query: TicketSearchQuery) -> int:
        """One ``/service/tickets/count`` with the queue's conditions."""
        count = self.client.get("/service/tickets/count", {"conditions": self._conditions(query)})
        return int(count["count"])

    def _conditions(self, query: TicketSearchQuery) -> str:
        try:
            return ticket_conditions(query)
        except ValueError as exc:
            raise _invalid("assigned", str(exc)) from None

    @_psa_errors_only
    def changed_tickets(self, query: TicketSearchQuery, since: datetime, *, also_ids: tuple[int, ...] = (),
                        limit: int = 200) -> ChangedTickets:
        """One GET: ``lastUpdated > [since] and (<the queue's conditions> or id in (<also_ids>))`` asking only
        for ``id`` and ``_info/lastUpdated``. The ``/count`` is asked only when a full page came back (then
        the page is not all of them); otherwise the page's length is the count."""
        limit = min(max(1, int(limit)), PAGE_SIZE_MAX)
        ids = list(dict.fromkeys(_id(ticket_id, "also_ids") for ticket_id in also_ids))[:ALSO_IDS_MAX]
        matching = self._conditions(query)
        condition = Condition(f"lastUpdated > {literal(since)}")
        if matching:  # no conditions at all (closed included, nothing chosen) already covers every row
            scope = Condition(f"({matching})")
            if ids:
                scope = scope | Condition(f"id in ({', '.join(str(i) for i in ids)})")
            condition = condition & scope
        conditions = str(condition)
        rows = self.client.get(
            "/service/tickets",
            {"conditions": conditions, "fields": CHANGED_FIELDS, "orderBy": "id desc", "pageSize": limit},
        )
        if not isinstance(rows, list):
            raise PSAMalformedResponseError()
        changes = tuple(
            (int(row["id"]), mapping.parse_datetime((row.get("_info") or {}).get("lastUpdated"))) for row in rows
        )
        total = len(changes)
        if total >= limit:
            total = int(self.client.get("/service/tickets/count", {"conditions": conditions})["count"])
        return ChangedTickets(changes=changes, total=max(total, len(changes)))

    @_psa_errors_only
    def ticket_stamp(self, ticket_id: int) -> TicketStamp:
        """One GET of the ticket asking only for its status id, resources and ``_info/lastUpdated``."""
        ticket_id = _id(ticket_id, "ticket_id")
        row = self.client.get(f"/service/tickets/{ticket_id}", {"fields": STAMP_FIELDS})
        return TicketStamp(
            ticket_id=int(row["id"]),
            last_updated=mapping.parse_datetime((row.get("_info") or {}).get("lastUpdated")),
            status_id=_int_or_none((row.get("status") or {}).get("id")),
            resources=tuple(mapping.split_resources(row.get("resources"))),
        )

    @_psa_errors_only
    def get_ticket(self, ticket_id: int) -> PSATicketDetail:
        return mapping.ticket_detail(self.client.get(f"/service/tickets/{_id(ticket_id)}"))

    @_psa_errors_only
    def create_ticket(self, payload: TicketCreatePayload, external_ref: str | None = None) -> PSATicketCreated:
        """POST the ticket, then assign ``assigned_member_id`` through a schedule entry.

        ``external_ref`` goes into the ticket's ``externalXRef`` (ConnectWise's cross-reference field,
        max 100 characters), where ``find_ticket_by_external_ref`` looks for it.

        If the assignment fails after the ticket exists, the ticket is not lost: it is returned
        with empty ``resources`` and a warning is logged (the ticket is real in ConnectWise, so
        reporting the whole create as failed would invite a duplicate).
        """
        body: dict[str, Any] = {
            "summary": payload.summary,
            "company": {"id": payload.company_id},
            "board": {"id": payload.board_id},
            "status": {"id": payload.status_id},
            "priority": {"id": payload.priority_id},
        }
        if payload.description:
            body["initialDescription"] = payload.description
        if payload.contact_id:
            body["contact"] = {"id": _id(payload.contact_id, "contact_id")}
        if external_ref is not None:
            body["externalXRef"] = _external_ref(external_ref)
        member_id = _id(payload.assigned_member_id, "assigned_member_id") if payload.assigned_member_id else None
        # The schedule type id (looked up once per client) is fetched while the ticket is being posted.
        type_id = self._submit(self._service_type_id) if member_id else None
        ticket = self.client.post("/service/tickets", body)
        ticket_id = int(ticket["id"])
        resources: list[PSAResource] = []
        if member_id:
            try:
                # A ticket created a moment ago has no schedule entries: assign without looking first
                # (one round trip instead of two; add_resource's check is for existing tickets).
                resources = [self._create_entry(ticket_id, member_id, type_id.result())]
            except (PSAError, KeyError, TypeError, ValueError, AttributeError) as exc:  # the ticket exists: keep it
                logger.warning(
                    "ConnectWise ticket %s was created but assigning member %s failed: %s",
                    ticket_id,
                    payload.assigned_member_id,
                    type(exc).__name__,
                )
        return mapping.ticket_created(ticket, resources)

    @_psa_errors_only
    def find_ticket_by_external_ref(self, external_ref: str) -> PSATicketSearchResult | None:
        """One GET: tickets whose ``externalXRef`` equals the reference, oldest first. ConnectWise
        compares strings the way its database does (case- and trailing-space-insensitive), so only a
        row whose reference is exactly the same counts."""
        ref = _external_ref(external_ref)
        rows = self.client.get(
            "/service/tickets",
            {
                "conditions": str(C.eq("externalXRef", ref)),
                "orderBy": "id asc",
                "fields": mapping.TICKET_ROW_FIELDS + ",externalXRef",
                "pageSize": 25,
            },
        )
        return next((mapping.ticket_row(row) for row in rows if row.get("externalXRef") == ref), None)

    @_psa_errors_only
    def update_status(self, ticket_id: int, status_id: int) -> PSATicketStatusUpdate:
        ticket_id, status_id = _id(ticket_id, "ticket_id"), _id(status_id, "status_id")
        current = self.client.get(f"/service/tickets/{ticket_id}", {"fields": "id,status,board"})
        previous = (current.get("status") or {}).get("name") or ""
        updated = self.client.patch(
            f"/service/tickets/{ticket_id}", [{"op": "replace", "path": "status", "value": {"id": status_id}}]
        )
        new_status = (updated or {}).get("status") or {}
        if new_status.get("id") != status_id:
            raise _invalid("status_id", "ConnectWise did not accept that status for this ticket")
        return PSATicketStatusUpdate(
            ticket_id=ticket_id,
            previous_status=previous,
            new_status=new_status.get("name") or "",
            ticket=_updated_ticket(updated, ticket_id),
        )

    @_psa_errors_only
    def update_ticket(self, ticket_id: int, changes: TicketChanges,
                      expected_last_updated: datetime | None = None) -> PSATicketUpdate:
        """A GET of the editable fields and ``_info`` (the concurrent-edit check), then one PATCH.

        ConnectWise has no conditional write (no ETag, no If-Match): a change made between the GET and the
        PATCH (one round trip) is not detected. A ticket whose ``lastUpdated`` is not the expected one is
        left alone: ``PSAEditConflict`` with the ticket as it is now. The PATCH answer is the whole ticket;
        one that does not show the sent board, status or priority is refused as ConnectWise's own."""
        ticket_id = _id(ticket_id, "ticket_id")
        sent = changes.sent
        operations = _edit_operations(sent)
        if not operations:
            raise _invalid("changes", "Nothing to change")
        previous = mapping.ticket_detail(
            self.client.get(f"/service/tickets/{ticket_id}", {"fields": mapping.TICKET_EDIT_FIELDS})
        )
        if (expected_last_updated is not None and previous.last_updated is not None
                and previous.last_updated != expected_last_updated):
            raise PSAEditConflict(ticket_id, previous, last_updated=previous.last_updated,
                                  updated_by=previous.updated_by)
        updated = self.client.patch(f"/service/tickets/{ticket_id}", operations)
        ticket = _updated_ticket(updated, ticket_id)
        if ticket is None:  # it may well have changed: say "not confirmed", not "failed"
            raise PSAMalformedResponseError()
        for name, path in _CHECKED_REFS.items():
            if name in sent and getattr(ticket, name) != sent[name]:
                raise _invalid(name, f"ConnectWise did not accept that {path} for this ticket")
        return PSATicketUpdate(ticket_id=ticket_id, previous=previous, ticket=ticket)

    @_psa_errors_only
    def list_related_tickets(
        self, ticket_id: int, company_id: int | None, parent_ticket_id: int | None = None, limit: int = 10
    ) -> list[PSATicketSearchResult]:
        ticket_id = _id(ticket_id, "ticket_id")
        limit = min(max(1, int(limit)), 100)
        params = {"orderBy": TICKET_ORDER, "fields": mapping.TICKET_ROW_FIELDS + ",parentTicketId", "pageSize": limit}
        family = C.eq("parentTicketId", ticket_id)
        if parent_ticket_id:
            family = C.eq("id", _id(parent_ticket_id, "parent_ticket_id")) | family
        jobs = [
            self._submit(self.client.get, "/service/tickets", {**params, "conditions": str(C.ne("id", ticket_id) & family)})
        ]
        if company_id:
            same_company = C.all(
                C.eq("company/id", _id(company_id, "company_id")), C.eq("closedFlag", False), C.ne("id", ticket_id)
            )
            jobs.append(self._submit(self.client.get, "/service/tickets", {**params, "conditions": str(same_company)}))
        results = concurrency.gather(jobs)
        family_rows = sorted(results[0], key=lambda t: (t.get("id") != parent_ticket_id,))  # parent first
        seen: set[int] = set()
        related: list[PSATicketSearchResult] = []
        for row in [*family_rows, *(results[1] if len(results) > 1 else [])]:
            if row["id"] in seen or row["id"] == ticket_id:
                continue
            seen.add(row["id"])
            related.append(mapping.ticket_row(row))
        return related[:limit]

    # --- resources (assignees) ----------------------------------------------------------------
    #
    # The spec's ``/service/tickets/{id}/members`` does not exist in ConnectWise (not in the 2025.8
    # API: "members" endpoints exist only for project and sales teams). A service ticket's
    # assignees are its open schedule entries of type "S" (``objectId`` = ticket id); ConnectWise
    # derives the ticket's read-only ``resources`` string from them. The method names of the
    # spec (list/add/remove_resource) are kept because the product and its API speak of
    # "resources"; only the wire calls differ.

    def _service_entries(self, ticket_id: int, member_id: int | None = None) -> list[dict[str, Any]]:
        condition = C.all(
            C.eq("type/identifier", SERVICE_SCHEDULE_TYPE), C.eq("objectId", ticket_id), C.eq("doneFlag", False)
        )
        if member_id is not None:
            condition = condition & C.eq("member/id", member_id)
        return self.client.get_all(
            "/schedule/entries",
            {"conditions": str(condition), "fields": mapping.SCHEDULE_ENTRY_FIELDS, "orderBy": "id asc"},
        )

    def _service_type_id(self) -> int:
        """The id of schedule type "S" (differs per ConnectWise instance); looked up once per client."""
        with self._schedule_type_lock:
            if self._schedule_type_id is None:
                types = self.client.get(
                    "/schedule/types",
                    {"conditions": str(C.eq("identifier", SERVICE_SCHEDULE_TYPE)), "fields": "id,identifier,name"},
                )
                if not types:
                    raise PSAValidationError('ConnectWise has no Service schedule type (identifier "S")')
                self._schedule_type_id = int(types[0]["id"])
            return self._schedule_type_id

    @_psa_errors_only
    def list_resources(self, ticket_id: int) -> list[PSAResource]:
        """The ticket's assignees: members of its open "S" schedule entries, one per member."""
        resources: dict[int, PSAResource] = {}
        for entry in self._service_entries(_id(ticket_id, "ticket_id")):
            resource = mapping.resource_from_entry(entry)
            if resource is not None and resource.member_id not in resources:
                resources[resource.member_id] = resource
        return list(resources.values())

    @_psa_errors_only
    def add_resource(self, ticket_id: int, member_id: int) -> PSAResource:
        """Assign by creating an "S" schedule entry (now, one hour). Already assigned -> the existing one."""
        ticket_id, member_id = _id(ticket_id, "ticket_id"), _id(member_id, "member_id")
        for entry in self._service_entries(ticket_id, member_id):
            resource = mapping.resource_from_entry(entry)
            if resource is not None:
                return resource
        return self._create_entry(ticket_id, member_id, self._service_type_id())

    def _create_entry(self, ticket_id: int, member_id: int, type_id: int) -> PSAResource:
        """POST an open "S" schedule entry (now, one hour) assigning ``member_id`` to the ticket."""
        start = datetime.now(UTC).replace(microsecond=0)
        entry = self.client.post(
            "/schedule/entries",
            {
                "objectId": ticket_id,
                "type": {"id": type_id, "identifier": SERVICE_SCHEDULE_TYPE},
                "member": {"id": member_id},
                "dateStart": _cw_datetime(start),
                "dateEnd": _cw_datetime(start + ASSIGNMENT_DURATION),
                "allowScheduleConflictsFlag": True,
            },
        )
        resource = mapping.resource_from_entry(entry or {})
        if resource is None:
            raise PSAMalformedResponseError()
        return resource

    @_psa_errors_only
    def remove_resource(self, ticket_id: int, member_id: int, *, new_primary_id: int | None = None) -> None:
        """Delete that member's open "S" entries on the ticket; not assigned -> ``PSANotFoundError``.
        (ConnectWise's assignees are equals: there is no primary to hand on, so ``new_primary_id`` is unused.)"""
        ticket_id, member_id = _id(ticket_id, "ticket_id"), _id(member_id, "member_id")
        entries = self._service_entries(ticket_id, member_id)
        if not entries:
            raise PSANotFoundError("That member is not assigned to this ticket")
        for entry in entries:
            self.client.delete(f"/schedule/entries/{int(entry['id'])}")

    # --- notes and configurations ----------------------------------------------------------------

    @_psa_errors_only
    def list_notes(self, ticket_id: int) -> list[PSANote]:
        ticket_id = _id(ticket_id, "ticket_id")
        rows = self.client.get_all(f"/service/tickets/{ticket_id}/notes", {"orderBy": "id asc"})
        notes = [mapping.note(n, ticket_id) for n in rows]
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(notes, key=lambda n: (n.created_at or epoch, n.id))

    @_psa_errors_only
    def add_note(self, ticket_id: int, text: str, kind: NoteKind = "internal") -> PSANote:
        ticket_id = _id(ticket_id, "ticket_id")
        if kind not in mapping.NOTE_FLAGS:
            raise _invalid("kind", "Note type must be discussion, internal or resolution")
        text = (text or "").strip()
        if not text:
            raise _invalid("text", "The note is empty")
        if len(text) > NOTE_MAX:
            raise _invalid("text", f"The note is longer than {NOTE_MAX} characters")
        body: dict[str, Any] = {"text": text, **{flag: name == kind for name, flag in mapping.NOTE_FLAGS.items()}}
        return mapping.note(self.client.post(f"/service/tickets/{ticket_id}/notes", body), ticket_id)

    @_psa_errors_only
    def list_configurations(self, ticket_id: int) -> list[PSAConfiguration]:
        """The ticket's configuration references, each read in full (in parallel) for its details."""
        return self.get_configurations([ref.id for ref in self.list_configuration_refs(ticket_id)])

    @_psa_errors_only
    def list_configuration_refs(self, ticket_id: int) -> list[PSAConfiguration]:
        """The ticket's configurations as references only (id, name, type): one call, no facts."""
        refs = self.client.get_all(f"/service/tickets/{_id(ticket_id, 'ticket_id')}/configurations")
        unique: dict[int, dict[str, Any]] = {}
        for ref in refs:
            if isinstance(ref, dict) and ref.get("id"):
                unique.setdefault(int(ref["id"]), ref)
        return [mapping.configuration_ref(ref) for ref in unique.values()]

    @_psa_errors_only
    def get_configurations(self, config_ids: list[int]) -> list[PSAConfiguration]:
        """Each configuration read in full (serial, IP, OS, type, status), all in parallel: one round
        trip. Configurations deleted since they were attached are skipped."""
        ids = list(dict.fromkeys(_id(config_id, "config_id") for config_id in config_ids))
        jobs = [self._submit(self._configuration, config_id) for config_id in ids]
        return [config for config in concurrency.gather(jobs) if config is not None]

    def _configuration(self, config_id: int) -> PSAConfiguration | None:
        try:
            return mapping.configuration(
                self.client.get(f"/company/configurations/{config_id}", {"fields": CONFIGURATION_FIELDS})
            )
        except PSANotFoundError:
            return None  # deleted since it was attached: skip it

    # --- reference data ----------------------------------------------------------------------------

    @_psa_errors_only
    def list_boards(self) -> list[PSABoard]:
        rows = self.client.get_all(
            "/service/boards",
            {"conditions": str(C.eq("inactiveFlag", False)), "orderBy": "name asc", "fields": "id,name,inactiveFlag"},
        )
        return [mapping.board(b) for b in rows if not b.get("inactiveFlag")]

    @_psa_errors_only
    def get_ticket_statuses(self, board_id: int) -> list[PSAStatus]:
        board_id = _id(board_id, "board_id")
        rows = self.client.get_all(
            f"/service/boards/{board_id}/statuses",
            {"orderBy": "sortOrder asc", "fields": "id,name,board/id,sortOrder,closedStatus,inactive"},
        )
        statuses = [mapping.status(s, board_id) for s in rows]
        return sorted((s for s in statuses if not s.inactive), key=lambda s: (s.sort_order, s.id))

    @_psa_errors_only
    def list_priorities(self) -> list[PSAPriority]:
        rows = self.client.get_all(
            "/service/priorities", {"orderBy": "sortOrder asc", "fields": "id,name,sortOrder,level,color"}
        )
        return sorted((mapping.priority(p) for p in rows), key=lambda p: (p.sort, p.id))

    @_psa_errors_only
    def list_members(self) -> list[PSAMember]:
        rows = self.client.get_all(
            "/system/members",
            {
                "conditions": str(C.eq("inactiveFlag", False)),
                "orderBy": "id asc",
                "fields": "id,identifier,firstName,lastName,inactiveFlag,timeZone",
            },
            page_size=PAGE_SIZE_MAX,
        )
        return [mapping.member(m) for m in rows if not m.get("inactiveFlag")]

    @_psa_errors_only
    def search_companies(self, search: str | None = None, limit: int = 25) -> list[PSACompany]:
        """One GET of a small page: ``name``/``identifier`` ``like`` the text (its wildcards neutralised,
        ``C.like_text``), then only the rows that really contain it."""
        condition: Condition = C.eq("deletedFlag", False)
        text = " ".join((search or "").split())
        if text:
            condition = condition & (C.like_text("name", text) | C.like_text("identifier", text))
        rows = self.client.get(
            "/company/companies",
            {
                "conditions": str(condition),
                "orderBy": "name asc",
                "fields": "id,identifier,name",
                "pageSize": min(max(1, int(limit)), PAGE_SIZE_MAX),
            },
        )
        companies = [mapping.company(c) for c in rows]
        return [c for c in companies if has_text(c.name, text) or has_text(c.identifier, text)] if text else companies

    @_psa_errors_only
    def list_companies(self) -> list[PSACompany]:
        """Every active company, by id (for matching names). One page of 1,000 when that holds them all; else
        the count, then the other pages in parallel: three rounds, however many companies."""
        params = {"conditions": str(C.eq("deletedFlag", False)), "orderBy": "id asc", "fields": "id,identifier,name"}
        rows = self.client.get("/company/companies", {**params, "page": 1, "pageSize": PAGE_SIZE_MAX})
        if not isinstance(rows, list):
            raise PSAMalformedResponseError()
        if len(rows) >= PAGE_SIZE_MAX:
            total = int(self.client.get("/company/companies/count", {"conditions": params["conditions"]})["count"])
            pages = range(2, min(-(-total // PAGE_SIZE_MAX), COMPANY_PAGES_MAX) + 1)
            for batch in concurrency.gather([self._submit(self.client.get, "/company/companies",
                                               {**params, "page": page, "pageSize": PAGE_SIZE_MAX}) for page in pages]):
                if not isinstance(batch, list):
                    raise PSAMalformedResponseError()
                rows += batch
        unique = {int(c["id"]): c for c in rows}  # a company created meanwhile may shift one onto two pages
        return [mapping.company(c) for c in unique.values()]

    @_psa_errors_only
    def search_contacts(self, company_id: int | None, search: str | None = None, limit: int = 25) -> list[PSAContact]:
        """One GET: the company's active contacts whose first or last name is ``like`` each word (at most
        three), then only those whose names really contain every word."""
        condition: Condition = C.eq("inactiveFlag", False)
        if company_id is not None:
            condition = condition & C.eq("company/id", _id(company_id, "company_id"))
        words = " ".join((search or "").split()).split(" ")[:SEARCH_WORDS_MAX] if (search or "").strip() else []
        for word in words:
            condition = condition & (C.like_text("firstName", word) | C.like_text("lastName", word))
        rows = self.client.get(
            "/company/contacts",
            {"conditions": str(condition), "orderBy": "firstName asc, lastName asc, id asc",
             "fields": mapping.CONTACT_FIELDS, "pageSize": min(max(1, int(limit)), PAGE_SIZE_MAX)},
        )
        return [mapping.contact(c) for c in rows
                if all(has_text(c.get("firstName"), w) or has_text(c.get("lastName"), w) for w in words)]

    @_psa_errors_only
    def search_configurations(self, company_id: int | None, search: str | None = None,
                              limit: int = 25) -> list[PSAConfiguration]:
        """One GET: the company's active configurations whose name, device identifier or serial number is
        ``like`` the text, then only those that really contain it."""
        condition: Condition = C.eq("activeFlag", True)
        if company_id is not None:
            condition = condition & C.eq("company/id", _id(company_id, "company_id"))
        text = " ".join((search or "").split())
        if text:
            condition = condition & C.any(*(C.like_text(path, text) for path in CONFIGURATION_TEXT))
        rows = self.client.get(
            "/company/configurations",
            {"conditions": str(condition), "orderBy": "name asc, id asc", "fields": CONFIGURATION_FIELDS,
             "pageSize": min(max(1, int(limit)), PAGE_SIZE_MAX)},
        )
        return [mapping.configuration(c) for c in rows if not text or any(has_text(c.get(p), text) for p in CONFIGURATION_TEXT)]

    @_psa_errors_only
    def get_company(self, company_id: int) -> PSACompany:
        # /company/companies/{id} is not part of the API subset we rely on: filter the list by id.
        rows = self.client.get(
            "/company/companies",
            {"conditions": str(C.eq("id", _id(company_id, "company_id"))), "fields": "id,identifier,name"},
        )
        if not rows:
            raise PSANotFoundError("Company not found in ConnectWise")
        return mapping.company(rows[0])

    # --- time entries ------------------------------------------------------------------------------
    #
    # Time on a ticket is a time entry charged to it (chargeToType "ServiceTicket", chargeToId = the
    # ticket). /service/tickets/{id}/timeentries answers references only ({id, _info}), so the entries
    # are read from /time/entries filtered by the charge, as ConnectWise's own summary of that route says.

    @_psa_errors_only
    def list_time_entries(self, ticket_id: int) -> list[PSATimeEntry]:
        """One GET (the fields the Time section shows), oldest first."""
        ticket_id = _id(ticket_id, "ticket_id")
        charge = C.eq("chargeToType", TICKET_CHARGE_TYPES[0]) | C.eq("chargeToType", TICKET_CHARGE_TYPES[1])
        rows = self.client.get_all(
            "/time/entries",
            {"conditions": str(charge & C.eq("chargeToId", ticket_id)), "orderBy": "timeStart asc, id asc",
             "fields": mapping.TIME_ENTRY_FIELDS},
        )
        return [mapping.time_entry(row) for row in rows]

    @_psa_errors_only
    def add_time_entry(self, ticket_id: int, payload: TimeEntryCreate) -> PSATimeEntry:
        """One POST /time/entries charged to the ticket, never retried (a write). Work type, work role and
        billable option are sent only when chosen: ConnectWise fills in its own defaults otherwise (the
        member's, board's or work type's). The three "add to" flags are always sent, as ConnectWise's
        time screen does."""
        ticket_id = _id(ticket_id, "ticket_id")
        if payload.end <= payload.start:
            raise _invalid("end", "The end must be after the start")
        body: dict[str, Any] = {
            "chargeToType": TIME_CHARGE_TYPE,
            "chargeToId": ticket_id,
            "member": {"id": _id(payload.member_id, "member_id")},
            "timeStart": _cw_datetime(payload.start),
            "timeEnd": _cw_datetime(payload.end),
            "addToDetailDescriptionFlag": payload.add_to_discussion,
            "addToInternalAnalysisFlag": payload.add_to_internal,
            "addToResolutionFlag": payload.add_to_resolution,
        }
        if payload.notes.strip():
            body["notes"] = payload.notes.strip()
        if payload.work_type_id is not None:
            body["workType"] = {"id": _id(payload.work_type_id, "work_type_id")}
        if payload.work_role_id is not None:
            body["workRole"] = {"id": _id(payload.work_role_id, "work_role_id")}
        if payload.billable is not None:
            body["billableOption"] = mapping.BILLABLE_TO_CW[payload.billable]
        try:
            created = self.client.post("/time/entries", body)
        except PSAValidationError as error:
            raise _time_entry_invalid(error) from None
        return mapping.time_entry(created)

    @_psa_errors_only
    def list_work_types(self) -> list[PSAWorkType]:
        rows = self.client.get_all(
            "/time/workTypes",
            {"conditions": str(C.eq("inactiveFlag", False)), "orderBy": "name asc",
             "fields": "id,name,billTime,overallDefaultFlag,inactiveFlag"},
        )
        return [mapping.work_type(w) for w in rows if not w.get("inactiveFlag")]

    @_psa_errors_only
    def list_work_roles(self) -> list[PSAWorkRole]:
        rows = self.client.get_all(
            "/time/workRoles",
            {"conditions": str(C.eq("inactiveFlag", False)), "orderBy": "name asc", "fields": "id,name,inactiveFlag"},
        )
        return [mapping.work_role(r) for r in rows if not r.get("inactiveFlag")]

    # --- a board's ticket types, subtypes and items (the inline edit's selects) -----------------------

    @_psa_errors_only
    def list_board_types(self, board_id: int) -> list[PSABoardType]:
        rows = self.client.get_all(
            f"/service/boards/{_id(board_id, 'board_id')}/types",
            {"orderBy": "name asc", "fields": "id,name,defaultFlag,inactiveFlag"},
        )
        return [mapping.board_type(t) for t in rows if not t.get("inactiveFlag")]

    @_psa_errors_only
    def list_board_subtypes(self, board_id: int) -> list[PSABoardSubtype]:
        rows = self.client.get_all(
            f"/service/boards/{_id(board_id, 'board_id')}/subtypes",
            {"orderBy": "name asc", "fields": "id,name,typeAssociationIds,inactiveFlag"},
        )
        return [mapping.board_subtype(s) for s in rows if not s.get("inactiveFlag")]

    @_psa_errors_only
    def list_board_items(self, board_id: int) -> list[PSABoardItem]:
        rows = self.client.get_all(
            f"/service/boards/{_id(board_id, 'board_id')}/items",
            {"orderBy": "name asc", "fields": "id,name,inactiveFlag"},
        )
        return [mapping.board_item(i) for i in rows if not i.get("inactiveFlag")]

    # --- connection ----------------------------------------------------------------------------------

    @_psa_errors_only
    def system_info(self) -> PSASystemInfo:
        """``/system/info``; a 401 is told apart into "unknown company" and "bad credentials"
        through ConnectWise's unauthenticated company lookup."""
        try:
            return mapping.system_info(self.client.get("/system/info") or {})
        except PSAAuthError as auth_error:
            try:
                known = self.client.company_info(self.company_id) is not None
            except PSAError:
                raise auth_error from None  # the lookup itself failed: keep the original answer
            if not known:
                raise PSAUnknownCompanyError(status=401) from None
            raise
