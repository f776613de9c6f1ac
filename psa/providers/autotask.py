"""``PSAProvider`` for Autotask PSA (Datto/Kaseya) REST API 1.0.

Wire details live in ``psa.autotask``: ``client`` (zone, auth headers, timeouts, retries, thread limit, error
mapping, call counting), ``query`` (filter JSON), ``ordering`` (most urgent first, then newest, without a
server-side sort) and ``mapping`` (Autotask JSON -> DTOs). This module only decides which calls to make.

Autotask semantics on the product's interface (README "Autotask (provider and sandbox)"):

* Boards are queues (the ``queueID`` picklist); statuses are one account-wide picklist, the same for every
  board, and only *Complete* (5) is closed; priority urgency is the picklist's ``sortOrder``.
* Picklists come from ``Tickets/entityInformation/fields`` (and ``TicketNotes``/``ConfigurationItems``), the
  resources from ``Resources``: both cached in the provider for ``PSA_REFERENCE_CACHE_SECONDS``.
* A ticket's resources are its primary resource (``assignedResourceID`` + ``assignedResourceRoleID``) and its
  secondary resources. :meth:`AutotaskProvider.add_resource` makes a resource primary when the ticket has
  none, secondary otherwise (with the resource's default service-desk role). Removing the primary never
  promotes anybody by itself: :class:`AutotaskChoosePrimaryError` asks the caller to choose.
* Notes: ``publish`` 1 (all Autotask users) is *discussion*, 2 is *internal*. A ticket's description is a
  ticket field in Autotask, not a note: ``list_notes`` shows it first (note id 0), as ConnectWise shows its
  initial description note.
* The idempotency mark of a keyed create goes into ``externalID`` (string, 50 characters).

Defensive where the reference notes are unsure (marked [L]/[M] there): a missing record is ``{"item": null}``
or a 404; a validation error is a 500 with ``errors``; the thread limit may come with any status; queries
always carry a filter and never more than 500 records a page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from django.conf import settings

from psa import concurrency
from psa.autotask import mapping, ordering
from psa.autotask.client import VENDOR_ROOT, AutotaskClient
from psa.autotask.mapping import COMPLETE_STATUS, TICKET_ROW_FIELDS, Lookups, PicklistValue
from psa.autotask.query import F, Filter, query_body
from psa.capacity import CircuitBreaker
from psa.providers.base import (
    EXTERNAL_REF_MAX,
    ChangedTickets,
    FieldError,
    PooledProvider,
    PSAChoosePrimaryError,
    PSAEditConflict,
    PSAError,
    PSAMalformedResponseError,
    PSANotFoundError,
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
    TicketChanges,
    TicketCreatePayload,
    TicketPage,
    TicketSearchQuery,
)

logger = logging.getLogger("psa.autotask")

T = TypeVar("T")

PAGE_SIZE_MAX = 1000  # as ConnectWise: a page wider than Autotask's 500 is read in two fetches
CHANGED_MAX = 500  # changed tickets one poll reads: one page of Autotask's
ALSO_IDS_MAX = 100  # rows of one queue page (at most 100) that a change poll also watches (as ConnectWise)
EXTERNAL_ID_MAX = 50  # Tickets.externalID length (SOAP-era field metadata [M])
DESCRIPTION_MAX = 8000  # Tickets.description length [M]
NOTE_TITLE_MAX = 250  # TicketNotes.title length [M]
COMPANY_PAGES_MAX = 20  # 10,000 companies
TICKET_NUMBER = re.compile(r"^T\d{8}\.\d{4}(\.\d{1,4})?$", re.I)
RESOURCE_FIELDS = ["id", "firstName", "lastName", "userName", "email", "isActive", "defaultServiceDeskRoleID"]
# An inline edit's fields (``TicketChanges``) -> the Autotask ticket fields they PATCH.
EDIT_FIELDS = {"summary": "title", "priority_id": "priority", "type_id": "issueType", "subtype_id": "subIssueType",
               "required_date": "dueDateTime", "board_id": "queueID", "status_id": "status"}
# Sent picklist values an edit must find on the ticket afterwards (else Autotask did not take them).
_CHECKED_EDITS = {"priority_id": "priority", "type_id": "issue type", "subtype_id": "sub-issue type",
                  "board_id": "queue", "status_id": "status"}
ASK = object()  # remove_resource's default: ask which secondary becomes primary
# A search expected to match few tickets (the drawer's "company's other open tickets") reads up to this many in
# one call and sorts them here (psa.autotask.ordering's buckets cost a count each, then reads).
FEW_TICKETS = 100
MANY_REMEMBERED = 1000  # searches remembered as matching more (per provider: per connection); then forgotten at once
# The highest ticket id seen per Autotask database (zone lookup root + API user), shared by the providers of
# this process: a provider rebuilt after its connection was saved starts its cut searches from it.
_id_hints: dict[tuple[str, str], int] = {}


class AutotaskChoosePrimaryError(PSAChoosePrimaryError):
    """Removing a ticket's primary resource while it has secondary resources: Autotask keeps one primary
    (with a role), and the provider does not pick the next one by itself.

    ``candidates`` are the secondary resources that can become primary. Answer by calling
    ``remove_resource(ticket_id, member_id, new_primary_id=<a candidate's member_id>)``: that candidate
    stops being secondary and becomes primary (with the role it had as secondary), and ``member_id`` is
    removed. Nothing was changed in Autotask when this is raised. (A ticket without secondary resources
    simply loses its primary: there is nobody to choose.)"""

    def __init__(self, *, ticket_id: int, member_id: int, member_name: str, candidates: list[PSAResource]):
        names = ", ".join(c.member_name for c in candidates)
        super().__init__(
            f"{member_name} is this ticket's primary resource. Choose who becomes primary ({names}) "
            "before removing them.",
            ticket_id=ticket_id, member_id=member_id, member_name=member_name, candidates=candidates,
        )


# A response we cannot map (missing id, wrong type) is a malformed response, not a crash.
_psa_errors_only = psa_errors_only("Autotask", logger, "Autotask sent a malformed response")


def _autotask_datetime(value: datetime) -> str:
    """A datetime as Autotask's ISO 8601 in UTC (``2026-12-02T15:00:00Z``); a naive one is taken as UTC."""
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(field: str, message: str) -> PSAValidationError:
    return PSAValidationError(message, field_errors=[FieldError(field=field, message=message)])


def _id(value: Any, field: str = "id") -> int:
    if isinstance(value, bool):
        raise _invalid(field, f"{field} must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(field, f"{field} must be a whole number") from None
    if number <= 0:
        raise _invalid(field, f"{field} must be positive")
    return number


def stored_external_ref(value: Any) -> str:
    """What ``externalID`` holds for a reference: the reference itself when it fits Autotask's 50
    characters, else ``rf#`` + 44 hex digits of its SHA-256 (the product's marks are 74 characters). Hex, so
    the comparison does not depend on whether Autotask compares strings case-sensitively (unverified)."""
    if not isinstance(value, str) or not 0 < len(value) <= EXTERNAL_REF_MAX or not value.isprintable():
        raise _invalid("external_ref", f"external_ref must be 1 to {EXTERNAL_REF_MAX} printable characters")
    if len(value) <= EXTERNAL_ID_MAX:
        return value
    return "rf#" + hashlib.sha256(value.encode()).hexdigest()[:44]


class AutotaskProvider(PooledProvider):
    # Publish types: internal or all users; a ticket's resolution is a field of the ticket, not a note.
    note_kinds = ("internal", "discussion")

    def __init__(
        self,
        *,
        username: str,
        integration_code: str,
        secret: str,
        root: str = VENDOR_ROOT,
        zone_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        get_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
        capacity_key: object = None,
        breaker: CircuitBreaker | None = None,
    ):
        super().__init__(capacity_key)
        self.client = AutotaskClient(
            username=username, integration_code=integration_code, secret=secret, root=root, zone_url=zone_url,
            transport=transport,
            **client_options(timeout=timeout, connect_timeout=connect_timeout, get_retries=get_retries, sleep=sleep,
                             breaker=breaker),
        )
        self._cache: dict[str, tuple[float, Any]] = {}
        self._cache_locks: dict[str, threading.Lock] = {}
        self._cache_lock = threading.Lock()
        self._hint_key = (self.client.root, self.client.username.casefold())
        self._id_hint: int | None = _id_hints.get(self._hint_key)  # the highest ticket id seen: where a cut search starts
        self._many: set[str] = set()  # searches that matched more than FEW_TICKETS (see _few_ordered)

    def __repr__(self) -> str:
        return f"<AutotaskProvider {self.client.root} user={self.client.username}>"

    # --- cached reference data ----------------------------------------------------------------------

    def _cached(self, key: str, load: Callable[[], T], *, fresh: bool = False) -> T:
        """``load()`` once per ``PSA_REFERENCE_CACHE_SECONDS`` (one load at a time per key)."""
        with self._cache_lock:
            lock = self._cache_locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._cache.get(key)
            if hit is not None and not fresh and time.monotonic() - hit[0] < settings.PSA_REFERENCE_CACHE_SECONDS:
                return hit[1]
            value = load()
            self._cache[key] = (time.monotonic(), value)
            return value

    def _picklists(self, entity: str) -> dict[str, list[PicklistValue]]:
        return self._cached(f"fields:{entity}", lambda: mapping.picklists(self.client.get(f"{entity}/entityInformation/fields")))

    def _resources(self, *, fresh: bool = False) -> dict[int, dict]:
        def load() -> dict[int, dict]:
            rows = self.client.query_all("Resources", [F.match_all()], include_fields=RESOURCE_FIELDS)
            return {int(r["id"]): r for r in rows}

        return self._cached("resources", load, fresh=fresh)

    def _resource(self, member_id: int) -> dict | None:
        """A resource by id; one fresh load when the cached list does not know it (a new hire)."""
        found = self._resources().get(member_id)
        return found if found is not None else self._resources(fresh=True).get(member_id)

    def _lookups(self) -> Lookups:
        return Lookups(picklists=self._picklists("Tickets"), resources=self._resources())

    def _seen(self, *ids: int) -> None:
        for ticket_id in ids:
            if self._id_hint is None or ticket_id > self._id_hint:
                self._id_hint = _id_hints[self._hint_key] = ticket_id

    # --- rows: tickets with their names -------------------------------------------------------------

    def _enrich_start(self, tickets: list[dict]) -> dict[str, Future]:
        """Start reading these tickets' companies, contacts and secondary resources, in parallel."""
        company_ids = sorted({int(t["companyID"]) for t in tickets if t.get("companyID") is not None})
        contact_ids = sorted({int(t["contactID"]) for t in tickets if t.get("contactID") is not None})
        ticket_ids = sorted({int(t["id"]) for t in tickets})
        jobs: dict[str, Future] = {}
        if company_ids:
            jobs["companies"] = self._submit(self.client.query_all, "Companies", [F.in_("id", company_ids)],
                                             include_fields=["id", "companyName", "companyNumber"])
        if contact_ids:
            jobs["contacts"] = self._submit(self.client.query_all, "Contacts", [F.in_("id", contact_ids)],
                                            include_fields=["id", "firstName", "lastName", "emailAddress", "phone",
                                                            "mobilePhone"])
        if ticket_ids:
            jobs["secondaries"] = self._submit(self.client.query_all, "TicketSecondaryResources",
                                               [F.in_("ticketID", ticket_ids)])
        return jobs

    @staticmethod
    def _enrich_finish(jobs: dict[str, Future], lookups: Lookups) -> Lookups:
        results = dict(zip(jobs, concurrency.gather(list(jobs.values())), strict=True))
        lookups.companies = {int(c["id"]): c for c in results.get("companies", [])}
        lookups.contacts = {int(c["id"]): c for c in results.get("contacts", [])}
        lookups.secondaries = {}
        for row in results.get("secondaries", []):
            lookups.secondaries.setdefault(int(row["ticketID"]), []).append(row)
        return lookups

    def _enriched(self, tickets: list[dict]) -> Lookups:
        """Lookups for these tickets: picklists and resources (cached), their companies, contacts and
        secondary resources (three queries at once)."""
        lookups = self._lookups()
        return self._enrich_finish(self._enrich_start(tickets), lookups)

    def _rows(self, tickets: list[dict]) -> list[PSATicketSearchResult]:
        if not tickets:
            return []
        lookups = self._enriched(tickets)
        self._seen(*(int(t["id"]) for t in tickets))
        return [mapping.ticket_row(t, lookups) for t in tickets]

    # --- search ----------------------------------------------------------------------------------------

    def _search_filters(self, query: TicketSearchQuery, picklists: dict[str, list[PicklistValue]]) -> list[Filter] | None:
        """The query as Autotask filters (ANDed), or None when nothing can match (an unknown status name
        or assignee)."""
        filters: list[Filter] = []
        if not query.include_closed:
            filters.append(F.noteq("status", COMPLETE_STATUS))
        if query.board_id:
            filters.append(F.eq("queueID", _id(query.board_id, "board_id")))
        if query.status_id:
            filters.append(F.eq("status", _id(query.status_id, "status_id")))
        elif query.status_name:
            name = query.status_name.strip().casefold()
            values = [v.value for v in picklists.get("status", []) if v.label.casefold() == name]
            if not values:
                return None
            filters.append(F.in_("status", values))
        if query.priority_id:
            filters.append(F.eq("priority", _id(query.priority_id, "priority_id")))
        if query.company_id:
            filters.append(F.eq("companyID", _id(query.company_id, "company_id")))
        if query.exclude_ticket_id:
            filters.append(F.noteq("id", _id(query.exclude_ticket_id, "exclude_ticket_id")))
        if query.parent_ticket_id:
            filters.append(F.eq("problemTicketId", _id(query.parent_ticket_id, "parent_ticket_id")))
        if query.unassigned:
            # No primary resource. The provider never leaves secondary resources without a primary
            # (remove_resource asks first), so a ticket without a primary has nobody assigned.
            filters.append(F.not_exist("assignedResourceID"))
        jobs: dict[str, Future] = {}
        # Control characters carry no meaning in a search box: drop them (as ConnectWise's search_text does),
        # so a search of only control characters is no search rather than one that matches nothing.
        text = " ".join("".join(ch for ch in (query.search or "") if ch.isprintable() or ch.isspace()).split())
        if text:
            jobs["companies"] = self._submit(
                self.client.query_all, "Companies", [F.contains("companyName", text)], include_fields=["id"], limit=500
            )
        if query.assigned_identifier:
            wanted = query.assigned_identifier.strip().casefold()
            resource_id = next((rid for rid, r in self._resources().items()
                                if (r.get("userName") or "").casefold() == wanted), None)
            if resource_id is None:
                for future in jobs.values():
                    future.exception()
                return None
            jobs["secondary"] = self._submit(self.client.query_all, "TicketSecondaryResources",
                                             [F.eq("resourceID", resource_id)], include_fields=["id", "ticketID"])
        results = dict(zip(jobs, concurrency.gather(list(jobs.values())), strict=True))
        if query.assigned_identifier:
            ticket_ids = sorted({int(r["ticketID"]) for r in results["secondary"]})
            primary = F.eq("assignedResourceID", resource_id)
            filters.append(F.any(primary, F.in_("id", ticket_ids)) if ticket_ids else primary)
        if text:
            alternatives = [F.contains("title", text)]
            company_ids = sorted({int(c["id"]) for c in results["companies"]})
            if company_ids:
                alternatives.append(F.in_("companyID", company_ids))
            if text.isdigit() and len(text) < 19:
                alternatives.append(F.eq("id", int(text)))
            if TICKET_NUMBER.match(text):
                alternatives.append(F.eq("ticketNumber", text.upper()))
            filters.append(F.any(*alternatives))
        return filters or [F.match_all()]

    def _buckets(self, filters: list[Filter], picklists: dict[str, list[PicklistValue]],
                 priority_id: int | None) -> list[ordering.Bucket]:
        """One bucket per priority sort order, most urgent first, and one for any other priority."""
        values = picklists.get("priority", [])
        if priority_id:
            known = next((v for v in values if v.value == priority_id), None)
            return [ordering.Bucket(filters=filters, sort=known.sort_order if known else None)]
        by_sort: dict[int, list[int]] = {}
        for value in sorted(values, key=lambda v: (v.sort_order, v.value)):
            by_sort.setdefault(value.sort_order, []).append(value.value)
        buckets = [
            ordering.Bucket(filters=[*filters, F.eq("priority", group[0]) if len(group) == 1 else F.in_("priority", group)],
                            sort=sort)
            for sort, group in by_sort.items()
        ]
        all_values = [v.value for v in values]
        buckets.append(ordering.Bucket(filters=[*filters, F.not_in("priority", all_values)] if all_values else filters))
        return buckets

    def _fetch_rows(self, filters: list[Filter], limit: int) -> list[dict]:
        return self.client.query_all("Tickets", filters, include_fields=TICKET_ROW_FIELDS, limit=limit)

    def _count_tickets(self, filters: list[Filter]) -> int:
        return self.client.count("Tickets", filters)

    def _ordered(self, filters: list[Filter], picklists: dict[str, list[PicklistValue]], priority_id: int | None,
                 offset: int, limit: int, stats: list | None = None) -> tuple[list[dict], int]:
        """The tickets at ``[offset, offset+limit)`` in urgency-then-newest order, and the total."""
        buckets = self._buckets(filters, picklists, priority_id)
        counts = concurrency.gather([self._submit(self._count_tickets, bucket.filters) for bucket in buckets])
        for bucket, n in zip(buckets, counts, strict=True):
            bucket.count = n
        total = sum(counts)
        plan = ordering.window(buckets, offset, limit)
        slices = []
        for bucket, a, b in plan:
            slice_stats = ordering.SliceStats()
            if stats is not None:
                stats.append(slice_stats)
            slices.append(self._submit(ordering.newest_slice, bucket, a, b, count=self._count_tickets,
                                       fetch=self._fetch_rows, hint=self._id_hint, stats=slice_stats))
        rows = [row for part in concurrency.gather(slices) for row in part]
        return rows, total

    def _few_ordered(self, filters: list[Filter], picklists: dict[str, list[PicklistValue]], priority_id: int | None,
                     offset: int, limit: int) -> tuple[list[dict], int]:
        """:meth:`_ordered`'s answer (the tickets at ``[offset, offset+limit)`` in urgency-then-newest order, and
        the total) for a search that matched few tickets last time: one read of up to :data:`FEW_TICKETS` + 1,
        sorted here, instead of a count per priority bucket and a read per bucket touched. A search that
        matches more goes by the buckets, and is remembered (``_many``) so that it goes straight there next
        time, until the buckets count :data:`FEW_TICKETS` or fewer again."""
        key = json.dumps(query_body(filters), sort_keys=True, separators=(",", ":"))
        if key not in self._many:
            rows = self._fetch_rows(filters, FEW_TICKETS + 1)
            if len(rows) <= FEW_TICKETS:
                sort = {v.value: v.sort_order for v in picklists.get("priority", [])}
                rows.sort(key=lambda t: (sort.get(t.get("priority"), 1 << 30), -int(t["id"])))  # the buckets' order
                return rows[offset:offset + limit], len(rows)
            if len(self._many) >= MANY_REMEMBERED:
                self._many.clear()
            self._many.add(key)
        rows, total = self._ordered(filters, picklists, priority_id, offset, limit)
        if total <= FEW_TICKETS:
            self._many.discard(key)
        return rows, total

    @_psa_errors_only
    def search_tickets(self, query: TicketSearchQuery, page: int = 1, page_size: int = 25) -> TicketPage:
        """Most urgent first, then newest; ``total`` counts all matches. See ``psa.autotask.ordering``."""
        page = max(1, int(page))
        page_size = min(max(1, int(page_size)), PAGE_SIZE_MAX)
        picklists = self._picklists("Tickets")
        filters = self._search_filters(query, picklists)
        if filters is None:
            return TicketPage(items=[], total=0)
        rows, total = self._few_ordered(filters, picklists, query.priority_id, (page - 1) * page_size, page_size)
        return TicketPage(items=self._rows(rows), total=total)

    @_psa_errors_only
    def count_tickets(self, query: TicketSearchQuery) -> int:
        """How many tickets match: one ``query/count`` (after the look-ups a filter may need)."""
        filters = self._search_filters(query, self._picklists("Tickets"))
        return 0 if filters is None else self.client.count("Tickets", filters)

    @_psa_errors_only
    def changed_tickets(self, query: TicketSearchQuery, since: datetime, *, also_ids: tuple[int, ...] = (),
                        limit: int = 200) -> ChangedTickets:
        """One query (after the look-ups a filter may need, as the search's): ``lastActivityDate gt since`` and
        (the queue's filters, or ``id in also_ids``), asking only for ``id`` and ``lastActivityDate``.
        Autotask has no sort: the page read (at most ``limit``, in ascending id) is sorted here, most recently
        updated first; a full page is then counted (``query/count``), so the caller knows it was cut short."""
        limit = min(max(1, int(limit)), CHANGED_MAX)
        ids = list(dict.fromkeys(_id(ticket_id, "also_ids") for ticket_id in also_ids))[:ALSO_IDS_MAX]
        matching = self._search_filters(query, self._picklists("Tickets"))
        if matching == [F.match_all()]:
            matching = []  # no filter at all (closed included, nothing chosen) already covers every row
        elif matching is None and not ids:
            return ChangedTickets(changes=(), total=0)  # nothing can match (an unknown status or assignee)
        filters = [F.gt("lastActivityDate", _autotask_datetime(since))]
        if matching is None:
            filters.append(F.in_("id", ids))
        elif matching:
            scope = F.all(*matching) if len(matching) > 1 else matching[0]
            filters.append(F.any(scope, F.in_("id", ids)) if ids else scope)
        rows = self.client.query_all("Tickets", filters, include_fields=["id", "lastActivityDate"], limit=limit)
        changes = sorted(((int(row["id"]), mapping.parse_datetime(row.get("lastActivityDate"))) for row in rows),
                         key=lambda change: (change[1] is not None, change[1] or datetime.min.replace(tzinfo=UTC),
                                             change[0]), reverse=True)
        total = len(changes)
        if total >= limit:
            total = self.client.count("Tickets", filters)
        return ChangedTickets(changes=tuple(changes), total=max(total, len(changes)))

    @_psa_errors_only
    def ticket_stamp(self, ticket_id: int) -> TicketStamp:
        """An open drawer's change check: the ticket's ``lastActivityDate``, status and primary resource (one query
        asking for just those) beside its secondary resources (one query); names from the cached resources.
        Two calls instead of ``get_ticket``'s five (the ticket, its company, contact, secondaries, children)."""
        ticket_id = _id(ticket_id, "ticket_id")
        secondaries = self._submit(self.client.query_all, "TicketSecondaryResources", [F.eq("ticketID", ticket_id)],
                                   include_fields=["id", "resourceID"])
        try:
            rows = self.client.query_all("Tickets", [F.eq("id", ticket_id)],
                                         include_fields=["id", "lastActivityDate", "status", "assignedResourceID"],
                                         limit=1)
        finally:
            secondaries.exception()
        if not rows:
            raise PSANotFoundError("Ticket not found in Autotask")
        row = rows[0]
        lookups = Lookups(resources=self._resources(), secondaries={ticket_id: secondaries.result()})
        status = row.get("status")
        return TicketStamp(
            ticket_id=int(row["id"]),
            last_updated=mapping.parse_datetime(row.get("lastActivityDate")),
            status_id=int(status) if status is not None else None,
            resources=tuple(r.member_identifier or r.member_name for r in mapping.ticket_resources(row, lookups)),
        )

    # --- tickets ------------------------------------------------------------------------------------------

    def _ticket(self, ticket_id: int) -> dict:
        ticket = self.client.get_item("Tickets", ticket_id)
        if ticket is None:
            raise PSANotFoundError("Ticket not found in Autotask")
        return ticket

    @_psa_errors_only
    def get_ticket(self, ticket_id: int) -> PSATicketDetail:
        ticket_id = _id(ticket_id, "ticket_id")
        children = self._submit(self.client.count, "Tickets", [F.eq("problemTicketId", ticket_id)])
        try:
            ticket = self._ticket(ticket_id)
        finally:
            children.exception()
        detail = mapping.ticket_detail(ticket, self._enriched([ticket]))
        detail.has_child_ticket = children.result() > 0
        self._seen(ticket_id)
        return detail

    @_psa_errors_only
    def create_ticket(self, payload: TicketCreatePayload, external_ref: str | None = None) -> PSATicketCreated:
        """One ``POST /Tickets`` (``{"itemId": N}``); an assignee becomes the primary resource in the same
        call, with the resource's default service-desk role, so create + assign cannot half-fail.

        ``external_ref`` goes into ``externalID`` (see :func:`stored_external_ref`)."""
        if payload.description and len(payload.description) > DESCRIPTION_MAX:
            raise _invalid("description", f"Autotask keeps at most {DESCRIPTION_MAX} characters of description")
        body: dict[str, Any] = {
            "title": payload.summary,
            "description": payload.description or None,
            "companyID": payload.company_id,
            "queueID": payload.board_id,
            "status": payload.status_id,
            "priority": payload.priority_id,
        }
        if payload.contact_id:
            body["contactID"] = payload.contact_id
        if external_ref is not None:
            body["externalID"] = stored_external_ref(external_ref)
        resources: list[PSAResource] = []
        if payload.assigned_member_id:
            member = self._assignable(_id(payload.assigned_member_id, "assigned_member_id"), "assigned_member_id")
            body["assignedResourceID"] = int(member["id"])
            body["assignedResourceRoleID"] = int(member["defaultServiceDeskRoleID"])
            resources = [mapping.resource(member).model_copy(update={"is_primary": True})]
        lookups = self._lookups()
        company = self._submit(self.client.get_item, "Companies", payload.company_id)  # beside the POST
        try:
            ticket_id = self.client.create("Tickets", body)
        finally:
            company.exception()
        self._seen(ticket_id)
        try:
            company_row = company.result()
        except PSAError:
            company_row = None  # the ticket exists: a name we could not read must not fail the create
        return mapping.ticket_created(ticket_id, payload.summary, lookups, queue_id=payload.board_id,
                                      status_id=payload.status_id, priority_id=payload.priority_id,
                                      company=company_row, resources=resources)

    def _assignable(self, member_id: int, field: str) -> dict:
        member = self._resource(member_id)
        if member is None or member.get("isActive") is False:
            raise _invalid(field, f"Autotask has no active resource with id {member_id}")
        if member.get("defaultServiceDeskRoleID") is None:
            raise _invalid(field, f"{mapping.resource_name(member)} has no default service desk role in Autotask "
                                  "(a ticket's resource needs one)")
        return member

    @_psa_errors_only
    def find_ticket_by_external_ref(self, external_ref: str) -> PSATicketSearchResult | None:
        """One query: tickets whose ``externalID`` is the stored mark, oldest (lowest id) first; only an
        exact match counts (Autotask probably compares case-insensitively)."""
        stored = stored_external_ref(external_ref)
        rows = self.client.query_all("Tickets", [F.eq("externalID", stored)],
                                     include_fields=[*TICKET_ROW_FIELDS, "externalID"], limit=25)
        match = next((row for row in sorted(rows, key=lambda r: int(r["id"])) if row.get("externalID") == stored), None)
        return self._rows([match])[0] if match is not None else None

    @_psa_errors_only
    def update_status(self, ticket_id: int, status_id: int) -> PSATicketStatusUpdate:
        """``GET`` the ticket (its previous status), then ``PATCH /Tickets {"id", "status"}`` while the
        ticket's names are read: the answer carries the updated row without a second ``GET``."""
        ticket_id, status_id = _id(ticket_id, "ticket_id"), _id(status_id, "status_id")
        current = self._ticket(ticket_id)
        lookups = self._lookups()
        names = self._enrich_start([current])
        try:
            self.client.update("Tickets", {"id": ticket_id, "status": status_id})
        finally:
            for future in names.values():
                future.exception()
        updated_ticket: PSATicketDetail | None = None
        try:
            updated_ticket = mapping.ticket_detail({**current, "status": status_id}, self._enrich_finish(names, lookups))
        except (PSAError, KeyError, TypeError, ValueError):
            pass  # the status changed: a row we cannot build is re-read by the caller
        return PSATicketStatusUpdate(
            ticket_id=ticket_id,
            previous_status=lookups.label("status", current.get("status")) or "",
            new_status=lookups.label("status", status_id) or "",
            ticket=updated_ticket,
        )

    @_psa_errors_only
    def update_ticket(self, ticket_id: int, changes: TicketChanges,
                      expected_last_updated: datetime | None = None) -> PSATicketUpdate:
        """``GET`` the ticket (the concurrent-edit check: its ``lastActivityDate``), then one sparse
        ``PATCH /Tickets`` with the id in the body, then ``GET`` it again (a PATCH answers only the id).

        Autotask has no conditional write either: a change between the GET and the PATCH is not detected. A
        ticket whose ``lastActivityDate`` is not the expected one is left alone (``PSAEditConflict``). Type
        and subtype are the issue type and sub-issue type; Autotask has no third level, so an item is refused.
        A cleared required date is sent as null [L: some clients clear with ""; the sandbox takes both]."""
        ticket_id = _id(ticket_id, "ticket_id")
        sent = changes.sent
        if sent.get("item_id") is not None:
            raise _invalid("item_id", "Autotask tickets have no item (only an issue type and a sub-issue type)")
        body: dict[str, Any] = {}
        for name, value in sent.items():
            if name in EDIT_FIELDS:
                body[EDIT_FIELDS[name]] = _autotask_datetime(value) if isinstance(value, datetime) else value
        if not body:
            raise _invalid("changes", "Nothing to change")
        current = self._ticket(ticket_id)
        lookups = self._lookups()
        stamp = mapping.ticket_detail(current, lookups)  # enough for the check: cached names only
        if (expected_last_updated is not None and stamp.last_updated is not None
                and stamp.last_updated != expected_last_updated):
            # The ticket as it is now, named from the cached picklists and resources (what an edit shows).
            raise PSAEditConflict(ticket_id, stamp, last_updated=stamp.last_updated, updated_by=stamp.updated_by,
                                  psa="Autotask")
        names = self._enrich_start([current])  # the row's names, read while the PATCH is under way
        try:
            self.client.update("Tickets", {"id": ticket_id, **body})
        finally:
            for future in names.values():
                future.exception()
        try:
            after = self._ticket(ticket_id)
        except PSAError:
            # The edit was applied (Autotask answered its id); the row is rebuilt from what was sent.
            after = {**current, **body, "lastActivityDate": None}
        try:
            lookups = self._enrich_finish(names, lookups)
        except PSAError:
            pass  # the edit was applied: rows without a company or contact name rather than a failure
        previous, ticket = mapping.ticket_detail(current, lookups), mapping.ticket_detail(after, lookups)
        for name, label in _CHECKED_EDITS.items():
            if name in sent and getattr(ticket, name) != sent[name]:
                raise _invalid(name, f"Autotask did not accept that {label} for this ticket")
        self._seen(ticket_id)
        return PSATicketUpdate(ticket_id=ticket_id, previous=previous, ticket=ticket)

    @_psa_errors_only
    def list_related_tickets(self, ticket_id: int, company_id: int | None, parent_ticket_id: int | None = None,
                             limit: int = 10) -> list[PSATicketSearchResult]:
        """The parent (a problem ticket) and the children (incidents whose ``problemTicketId`` is this
        ticket), then the company's other open tickets, most urgent first."""
        ticket_id = _id(ticket_id, "ticket_id")
        limit = min(max(1, int(limit)), 100)
        family_filter = F.eq("problemTicketId", ticket_id)
        if parent_ticket_id:
            family_filter = F.any(F.eq("id", _id(parent_ticket_id, "parent_ticket_id")), family_filter)
        family = self._submit(self._fetch_rows, [F.noteq("id", ticket_id), family_filter], 100)
        company_rows: list[dict] = []
        try:
            if company_id:
                picklists = self._picklists("Tickets")
                filters = [F.eq("companyID", _id(company_id, "company_id")), F.noteq("status", COMPLETE_STATUS),
                           F.noteq("id", ticket_id)]
                company_rows, _ = self._few_ordered(filters, picklists, None, 0, limit)
        finally:
            family.exception()
        sort = {v.value: v.sort_order for v in self._picklists("Tickets").get("priority", [])}
        family_rows = sorted(family.result(), key=lambda t: (int(t["id"]) != parent_ticket_id,
                                                             sort.get(t.get("priority"), 1 << 30), -int(t["id"])))
        seen: set[int] = set()
        related: list[dict] = []
        for row in [*family_rows, *company_rows]:
            if int(row["id"]) in seen or int(row["id"]) == ticket_id:
                continue
            seen.add(int(row["id"]))
            related.append(row)
        return self._rows(related[:limit])

    # --- resources (primary + secondary) ----------------------------------------------------------------

    def _assignment(self, ticket_id: int) -> tuple[int | None, int | None, list[dict]]:
        """The ticket's primary resource and role, and its secondary resource rows (two queries at once)."""
        secondaries = self._submit(self.client.query_all, "TicketSecondaryResources", [F.eq("ticketID", ticket_id)])
        try:
            rows = self.client.query_all("Tickets", [F.eq("id", ticket_id)],
                                         include_fields=["id", "assignedResourceID", "assignedResourceRoleID"], limit=1)
        finally:
            secondaries.exception()
        if not rows:
            raise PSANotFoundError("Ticket not found in Autotask")
        ticket = rows[0]
        primary = ticket.get("assignedResourceID")
        role = ticket.get("assignedResourceRoleID")
        return (int(primary) if primary is not None else None, int(role) if role is not None else None,
                sorted(secondaries.result(), key=lambda r: int(r["id"])))

    @_psa_errors_only
    def list_resources(self, ticket_id: int) -> list[PSAResource]:
        """The primary resource first, then the secondary resources."""
        ticket_id = _id(ticket_id, "ticket_id")
        primary, _, secondaries = self._assignment(ticket_id)
        lookups = Lookups(resources=self._resources(), secondaries={ticket_id: secondaries})
        return mapping.ticket_resources({"id": ticket_id, "assignedResourceID": primary}, lookups)

    @_psa_errors_only
    def add_resource(self, ticket_id: int, member_id: int) -> PSAResource:
        """No primary resource yet -> ``PATCH`` it in as primary; otherwise ``POST`` a secondary resource.
        Either way with the resource's default service-desk role. Already assigned -> returned as is."""
        ticket_id, member_id = _id(ticket_id, "ticket_id"), _id(member_id, "member_id")
        member = self._assignable(member_id, "member_id")
        primary, _, secondaries = self._assignment(ticket_id)
        if member_id == primary or any(int(r["resourceID"]) == member_id for r in secondaries):
            return mapping.resource(member).model_copy(update={"is_primary": member_id == primary})
        role = int(member["defaultServiceDeskRoleID"])
        if primary is None:
            self.client.update("Tickets", {"id": ticket_id, "assignedResourceID": member_id,
                                           "assignedResourceRoleID": role})
        else:
            self.client.create(f"Tickets/{ticket_id}/SecondaryResources",
                               {"ticketID": ticket_id, "resourceID": member_id, "roleID": role})
        return mapping.resource(member).model_copy(update={"is_primary": primary is None})

    @_psa_errors_only
    def remove_resource(self, ticket_id: int, member_id: int, *, new_primary_id: Any = ASK) -> None:
        """Remove a secondary resource (``DELETE /Tickets/{t}/SecondaryResources/{row}``), or the primary.

        The primary of a ticket with secondary resources is removed only with ``new_primary_id`` (one of
        them): without it :class:`AutotaskChoosePrimaryError` lists the candidates and nothing changes. The
        chosen one leaves the secondary list first (Autotask refuses a primary that is also secondary), then
        becomes primary with its role; should that ``PATCH`` fail, it is put back as secondary."""
        ticket_id, member_id = _id(ticket_id, "ticket_id"), _id(member_id, "member_id")
        primary, _, secondaries = self._assignment(ticket_id)
        if member_id != primary:
            rows = [r for r in secondaries if int(r["resourceID"]) == member_id]
            if not rows:
                raise PSANotFoundError("That resource is not assigned to this ticket")
            for row in rows:
                self.client.delete(f"Tickets/{ticket_id}/SecondaryResources/{int(row['id'])}")
            return
        if not secondaries:
            self.client.update("Tickets", {"id": ticket_id, "assignedResourceID": None, "assignedResourceRoleID": None})
            return
        if new_primary_id is ASK or new_primary_id is None:  # nobody chosen: ask
            resources = self._resources()
            candidates = mapping.ticket_resources({"id": ticket_id, "assignedResourceID": None},
                                                  Lookups(resources=resources, secondaries={ticket_id: secondaries}))
            current = resources.get(member_id)
            raise AutotaskChoosePrimaryError(ticket_id=ticket_id, member_id=member_id, candidates=candidates,
                                             member_name=mapping.resource_name(current) if current else f"Resource {member_id}")
        new_primary_id = _id(new_primary_id, "new_primary_id")
        chosen = next((r for r in secondaries if int(r["resourceID"]) == new_primary_id), None)
        if chosen is None:
            raise _invalid("new_primary_id", "The new primary resource must be one of the ticket's secondary resources")
        self.client.delete(f"Tickets/{ticket_id}/SecondaryResources/{int(chosen['id'])}")
        try:
            self.client.update("Tickets", {"id": ticket_id, "assignedResourceID": new_primary_id,
                                           "assignedResourceRoleID": int(chosen["roleID"])})
        except PSAError:
            try:  # put the chosen resource back where it was
                self.client.create(f"Tickets/{ticket_id}/SecondaryResources",
                                   {"ticketID": ticket_id, "resourceID": new_primary_id, "roleID": int(chosen["roleID"])})
            except PSAError:
                logger.warning("Autotask ticket %s: resource %s left the secondary resources but did not become "
                               "primary, and could not be put back", ticket_id, new_primary_id)
            raise

    # --- notes and configurations ---------------------------------------------------------------------

    @_psa_errors_only
    def list_notes(self, ticket_id: int) -> list[PSANote]:
        """The ticket's description (note id 0, when it has one), then its notes, oldest first."""
        ticket_id = _id(ticket_id, "ticket_id")
        notes = self._submit(self.client.query_all, "TicketNotes", [F.eq("ticketID", ticket_id)])
        try:
            rows = self.client.query_all("Tickets", [F.eq("id", ticket_id)], limit=1,
                                         include_fields=["id", "description", "createDate", "creatorResourceID"])
        finally:
            notes.exception()
        if not rows:
            raise PSANotFoundError("Ticket not found in Autotask")
        resources = self._resources()
        out = [mapping.note(n, ticket_id, resources) for n in notes.result()]
        epoch = datetime.min.replace(tzinfo=UTC)
        out.sort(key=lambda n: (n.created_at or epoch, n.id))
        ticket = rows[0]
        if isinstance(ticket.get("description"), str) and ticket["description"].strip():
            description = mapping.note({"id": 0, "ticketID": ticket_id, "description": ticket["description"],
                                        "publish": mapping.PUBLISH_ALL_USERS, "createDateTime": ticket.get("createDate"),
                                        "creatorResourceID": ticket.get("creatorResourceID")}, ticket_id, resources)
            out.insert(0, description)
        return out

    def _publish_value(self, kind: NoteKind) -> int:
        """``publish`` for a note kind, from the TicketNotes picklist when it names them (1 / 2 otherwise)."""
        values = self._picklists("TicketNotes").get("publish", [])
        if kind == "discussion":
            found = next((v for v in values if "all" in v.label.casefold()), None)
            return found.value if found else mapping.PUBLISH_ALL_USERS
        found = next((v for v in values if v.label.casefold().startswith("internal")), None)
        return found.value if found else mapping.PUBLISH_INTERNAL

    def _note_type(self) -> int:
        """The database's default note type (an instance picklist), else its first active non-system one."""
        values = [v for v in self._picklists("TicketNotes").get("notetype", []) if v.is_active]
        chosen = next((v for v in values if v.is_default), None) or next((v for v in values if not v.is_system), None)
        return chosen.value if chosen else 1

    @_psa_errors_only
    def add_note(self, ticket_id: int, text: str, kind: NoteKind = "internal") -> PSANote:
        ticket_id = _id(ticket_id, "ticket_id")
        if kind == "resolution":
            raise _invalid("kind", "Autotask keeps a ticket's resolution in the ticket, not in a note: "
                                   "choose Internal or Discussion")
        if kind not in ("internal", "discussion"):
            raise _invalid("kind", "Note type must be discussion or internal")
        text = (text or "").strip()
        if not text:
            raise _invalid("text", "The note is empty")
        if len(text) > NOTE_MAX:
            raise _invalid("text", f"The note is longer than {NOTE_MAX} characters")
        title = text.splitlines()[0].strip()
        if len(title) > NOTE_TITLE_MAX:
            title = title[: NOTE_TITLE_MAX - 1].rstrip() + "…"
        publish = self._publish_value(kind)
        note_id = self.client.create(f"Tickets/{ticket_id}/Notes", {
            "ticketID": ticket_id, "title": title, "description": text, "noteType": self._note_type(),
            "publish": publish,
        })
        me = next((r for r in self._resources().values()
                   if (r.get("userName") or "").casefold() == self.client.username.casefold()), None)
        return PSANote(id=note_id, ticket_id=ticket_id, text=text, kind=mapping.note_kind(publish),
                       author=mapping.resource_name(me) if me else None, created_at=datetime.now(UTC).replace(microsecond=0))

    @_psa_errors_only
    def list_configurations(self, ticket_id: int) -> list[PSAConfiguration]:
        """The ticket's configuration item (``configurationItemID``) with its facts."""
        ticket_id = _id(ticket_id, "ticket_id")
        rows = self.client.query_all("Tickets", [F.eq("id", ticket_id)], include_fields=["id", "configurationItemID"],
                                     limit=1)
        if not rows:
            raise PSANotFoundError("Ticket not found in Autotask")
        item = rows[0].get("configurationItemID")
        return self.get_configurations([int(item)]) if item is not None else []

    @_psa_errors_only
    def get_configurations(self, config_ids: list[int]) -> list[PSAConfiguration]:
        ids = list(dict.fromkeys(_id(config_id, "config_id") for config_id in config_ids))
        if not ids:
            return []
        rows = self.client.query_all("ConfigurationItems", [F.in_("id", ids)])
        lookups = Lookups(picklists=self._picklists("ConfigurationItems"))
        by_id = {int(r["id"]): r for r in rows}
        return [mapping.configuration(by_id[i], lookups) for i in ids if i in by_id]

    # --- reference data ---------------------------------------------------------------------------------

    @_psa_errors_only
    def list_boards(self) -> list[PSABoard]:
        values = [v for v in self._picklists("Tickets").get("queueid", []) if v.is_active]
        return [mapping.board(v) for v in sorted(values, key=lambda v: (v.label.casefold(), v.value))]

    @_psa_errors_only
    def get_ticket_statuses(self, board_id: int) -> list[PSAStatus]:
        """The account-wide statuses (Autotask's statuses do not belong to a queue), active ones only."""
        board_id = _id(board_id, "board_id")
        values = [v for v in self._picklists("Tickets").get("status", []) if v.is_active]
        return [mapping.status(v, board_id) for v in sorted(values, key=lambda v: (v.sort_order, v.value))]

    @_psa_errors_only
    def list_priorities(self) -> list[PSAPriority]:
        values = [v for v in self._picklists("Tickets").get("priority", []) if v.is_active]
        return [mapping.priority(v) for v in sorted(values, key=lambda v: (v.sort_order, v.value))]

    @_psa_errors_only
    def list_board_types(self, board_id: int) -> list[PSABoardType]:
        """The active issue types (the ``issueType`` picklist: account-wide, the same for every queue)."""
        _id(board_id, "board_id")
        values = [v for v in self._picklists("Tickets").get("issuetype", []) if v.is_active]
        return [PSABoardType(id=v.value, name=v.label, is_default=v.is_default)
                for v in sorted(values, key=lambda v: (v.sort_order, v.label.casefold(), v.value))]

    @_psa_errors_only
    def list_board_subtypes(self, board_id: int) -> list[PSABoardSubtype]:
        """The active sub-issue types, each with its issue type (the picklist's ``parentValue``)."""
        _id(board_id, "board_id")
        values = [v for v in self._picklists("Tickets").get("subissuetype", []) if v.is_active]
        return [PSABoardSubtype(id=v.value, name=v.label, type_ids=[v.parent_value] if v.parent_value is not None else [])
                for v in sorted(values, key=lambda v: (v.sort_order, v.label.casefold(), v.value))]

    def list_board_items(self, board_id: int) -> list[PSABoardItem]:
        """None: Autotask has no third level under issue type and sub-issue type (no call is made)."""
        _id(board_id, "board_id")
        return []

    @_psa_errors_only
    def list_members(self) -> list[PSAMember]:
        """Active resources, the API user itself left out (an API-only user cannot be assigned)."""
        me = self.client.username.casefold()
        return [mapping.member(r) for _, r in sorted(self._resources().items())
                if r.get("isActive") is not False and me not in {(r.get("userName") or "").casefold(),
                                                                  (r.get("email") or "").casefold()}]

    @_psa_errors_only
    def search_companies(self, search: str | None = None, limit: int = 25) -> list[PSACompany]:
        """Active companies whose name or number contains ``search``, by name. Autotask cannot sort, so every
        match is read (500 a page, up to 10,000) and sorted here."""
        filters: list[Filter] = [F.eq("isActive", True)]
        text = " ".join((search or "").split())
        if text:
            filters.append(F.any(F.contains("companyName", text), F.contains("companyNumber", text)))
        rows = self.client.query_all("Companies", filters, include_fields=["id", "companyName", "companyNumber"],
                                     max_pages=COMPANY_PAGES_MAX)
        companies = sorted((mapping.company(c) for c in rows), key=lambda c: (c.name.casefold(), c.id))
        return companies[: min(max(1, int(limit)), PAGE_SIZE_MAX)]

    @_psa_errors_only
    def get_company(self, company_id: int) -> PSACompany:
        company = self.client.get_item("Companies", _id(company_id, "company_id"))
        if company is None:
            raise PSANotFoundError("Company not found in Autotask")
        return mapping.company(company)

    # --- connection -------------------------------------------------------------------------------------

    @_psa_errors_only
    def system_info(self) -> PSASystemInfo:
        """The zone lookup (an unknown username fails here, as ``AutotaskUnknownUserError``), then
        ``GET /V1.0/Version``: the Autotask version, with the zone as the region; beside it
        ``GET /V1.0/ThresholdInformation``, the database's API requests this hour of its limit (10,000), left
        out when it fails (the version says whether the connection works; the usage is extra)."""
        zone = self.client.zone()
        threshold = self._submit(self.client.get, "ThresholdInformation")
        try:
            version = self.client.get("Version")
        finally:
            try:  # waited for either way, so no call is left running unobserved
                usage = threshold.result()
            except PSAError:
                usage = None
        if not isinstance(version, dict):
            raise PSAMalformedResponseError("Autotask sent a malformed response")
        return mapping.system_info(version, zone.name or None, usage)
