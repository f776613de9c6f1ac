"""The ticket queue: filters in the product's words -> the provider's search query -> one page."""

from __future__ import annotations

from dataclasses import dataclass

from psa.reference import Reference
from psa.schemas import PSACompany, TicketListResponse, TicketSearchQuery
from psa.tenancy import Tenant
from tickets.service.errors import InvalidInput

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000  # 10,000 pages of 100 is a million tickets; beyond that a page number is a mistake
SEARCH_MAX = 200  # search text; longer text cannot be a ticket summary (100) or company name
ID_MAX = 2**31 - 1  # ConnectWise record ids are 32-bit integers


@dataclass
class TicketFilters:
    """The queue's filters, already within their limits (the filter bar and the API schema check them)."""

    search: str = ""
    board: int | None = None
    status: int | None = None
    priority: int | None = None
    company: int | None = None
    assigned: str = "all"  # "me" | "unassigned" | "all" | "<member id>"
    closed: bool = False

    def reference_parts(self) -> list[str]:
        """The reference data parts that turning these filters into a query needs (ids to check or translate)."""
        parts = []
        if self.board is not None or self.status is not None:
            parts.append("boards")
        if self.priority is not None:
            parts.append("priorities")
        if (self.assigned or "").strip().isdigit():
            parts.append("members")
        return parts


def search_query(tenant: Tenant, filters: TicketFilters, reference: Reference | None = None) -> TicketSearchQuery:
    """The provider query for ``filters``; ``InvalidInput`` for an id the account's PSA does not have.

    A status without its board (or of another board) searches for the same-named status on every
    board. ``assigned=me`` goes through the user's member mapping (``MemberMappingRequired``).
    """
    query = TicketSearchQuery(
        search=(filters.search or "").strip() or None,
        company_id=filters.company,
        include_closed=bool(filters.closed),
    )
    if reference is None and filters.reference_parts():
        reference = tenant.reference(*filters.reference_parts())  # started together
    if filters.board is not None:
        if reference.board(filters.board) is None:
            raise InvalidInput(f"Unknown board id {filters.board}", field="board")
        query.board_id = filters.board
    if filters.status is not None:
        status = reference.status(filters.status)
        if status is None:
            raise InvalidInput(f"Unknown status id {filters.status}", field="status")
        if filters.board is not None and status.board_id == filters.board:
            query.status_id = status.id
        else:
            query.status_name = status.name
    if filters.priority is not None:
        if reference.priority(filters.priority) is None:
            raise InvalidInput(f"Unknown priority id {filters.priority}", field="priority")
        query.priority_id = filters.priority

    assigned = (filters.assigned or "all").strip().lower()
    if assigned == "me":
        query.assigned_identifier = tenant.require_mapping().identifier
    elif assigned == "unassigned":
        query.unassigned = True
    elif assigned.isascii() and assigned.isdigit():  # not str.isdigit alone: "²" is a digit to Python
        member = reference.member(int(assigned)) if len(assigned) <= 10 else None
        if member is None:
            raise InvalidInput(f"Unknown member id {assigned}", field="assigned")
        query.assigned_identifier = member.identifier
    elif assigned not in ("all", ""):
        raise InvalidInput('assigned must be "me", "unassigned", "all" or a member id', field="assigned")
    return query


def search_tickets(tenant: Tenant, filters: TicketFilters, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE,
                   reference: Reference | None = None) -> TicketListResponse:
    """One page of tickets, most urgent first then newest; ``total`` counts every match."""
    query = search_query(tenant, filters, reference)
    result = tenant.provider.search_tickets(query, page=page, page_size=page_size)
    return TicketListResponse(items=result.items, total=result.total, page=page, page_size=page_size)


def search_companies(tenant: Tenant, search: str = "", limit: int = 25) -> list[PSACompany]:
    return tenant.provider.search_companies((search or "").strip() or None, limit=limit)
