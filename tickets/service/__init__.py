"""The ticket service (the spec's ``ticket_service``): the one way views and the API reach the PSA.

Every function takes the request's ``psa.tenancy.Tenant`` (account, PSA connection, member
mappings, resolved once per request) and input already checked at the boundary (forms, API schemas,
``tickets.validation``). One module per job:

* ``queue``: filters -> provider query -> one page of tickets.
* ``drawer``: one ticket's sections in one parallel round, status, notes, assignees.
* ``create``: ticket creation made idempotent by ``Idempotency-Key``.

PSA failures propagate as ``psa.providers.base.PSAError`` subclasses; ``errors`` has the rest.
Reference data (boards, statuses, priorities, members, companies) is ``tenant.reference()``.
"""

from tickets.service.create import create_ticket
from tickets.service.drawer import (
    Section,
    TicketPanel,
    add_note,
    add_resource,
    get_configurations,
    get_ticket,
    get_ticket_panel,
    list_resources,
    remove_resource,
    update_status,
)
from tickets.service.errors import IdempotencyInFlight, InvalidInput, MemberMappingRequired, NoPSAConnection
from tickets.service.queue import (
    DEFAULT_PAGE_SIZE,
    ID_MAX,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    SEARCH_MAX,
    TicketFilters,
    search_companies,
    search_query,
    search_tickets,
)

__all__ = [
    "DEFAULT_PAGE_SIZE", "ID_MAX", "MAX_PAGE", "MAX_PAGE_SIZE", "SEARCH_MAX",
    "IdempotencyInFlight", "InvalidInput", "MemberMappingRequired", "NoPSAConnection",
    "Section", "TicketFilters", "TicketPanel",
    "add_note", "add_resource", "create_ticket", "get_configurations", "get_ticket", "get_ticket_panel",
    "list_resources", "remove_resource", "search_companies", "search_query", "search_tickets", "update_status",
]
