"""The PSA provider interface and its typed errors.

Providers speak provider-neutral DTOs (``psa.schemas``) and raise only ``PSAError`` subclasses;
they never touch the ORM or the request. Methods are synchronous (Django views are); callers that
need parallel PSA calls run them in threads (see ``tickets.service``).

Error messages are safe to show to a user: they never contain credentials, auth headers or
request URLs with secrets.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings

from psa import concurrency
from psa.schemas import (
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
    TicketFieldChange,
    TicketPage,
    TicketSearchQuery,
    TimeEntryCreate,
)

# The PSAs' names as users read them (``PSAConnection.provider`` -> name); a message that names neither is the
# PSA's own wording, which callers attribute with ``psa_name``.
PSA_NAMES = {"connectwise": "ConnectWise", "autotask": "Autotask"}


def psa_name(provider: str | None) -> str:
    """The name of a connection's PSA (ConnectWise when unknown: the product's first PSA)."""
    return PSA_NAMES.get(provider or "", "ConnectWise")


@dataclass
class FieldError:
    field: str | None
    message: str


class PSAError(Exception):
    """Base of every PSA failure. ``message`` is user-safe; ``status`` is the PSA HTTP status if any."""

    default_message = "The PSA request failed"
    retryable = False  # whether retrying the same request later may succeed
    # Whether a write may have happened although it failed (no clear answer came back): the UI must
    # then say "not confirmed" rather than invite a second, duplicate attempt.
    outcome_unknown = False

    def __init__(self, message: str | None = None, *, status: int | None = None):
        self.message = message or self.default_message
        self.status = status
        super().__init__(self.message)


class PSAAuthError(PSAError):
    default_message = "ConnectWise rejected the API credentials (check company id, public and private key)"


class PSAUnknownCompanyError(PSAAuthError):
    default_message = "ConnectWise does not know this company id"


class PSAPermissionError(PSAError):
    default_message = "The ConnectWise API member is not allowed to do this (security role)"


class PSANotFoundError(PSAError):
    default_message = "Not found in ConnectWise"


class PSAConflictError(PSAError):
    default_message = "ConnectWise reported a conflict (the record changed or is in use)"


class PSAChoosePrimaryError(PSAConflictError):
    """Removing a ticket's primary resource while others are assigned, on a PSA that keeps one primary
    (Autotask): the provider does not pick the next primary by itself. Nothing was changed.

    ``candidates`` (``PSAResource``) may become primary: ask the engineer, then call
    ``remove_resource(ticket_id, member_id, new_primary_id=<a candidate's member_id>)``."""

    def __init__(self, message: str, *, ticket_id: int, member_id: int, member_name: str, candidates: list):
        super().__init__(message, status=None)
        self.ticket_id, self.member_id, self.member_name, self.candidates = ticket_id, member_id, member_name, candidates


class PSAValidationError(PSAError):
    default_message = "ConnectWise rejected the request as invalid"

    def __init__(self, message: str | None = None, *, status: int | None = 400, field_errors: list[FieldError] | None = None):
        super().__init__(message, status=status)
        self.field_errors: list[FieldError] = field_errors or []


class PSARateLimitedError(PSAError):
    default_message = "ConnectWise is rate limiting requests"
    retryable = True

    def __init__(self, message: str | None = None, *, status: int | None = 429, retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PSAUnavailableError(PSAError):
    """5xx, connection refused, unreachable host, or a malformed/truncated response."""

    default_message = "ConnectWise is unavailable right now"
    retryable = True


class PSATimeoutError(PSAUnavailableError):
    default_message = "ConnectWise did not answer in time"
    outcome_unknown = True


class PSAMalformedResponseError(PSAUnavailableError):
    """ConnectWise answered, but the body was cut short or was not the JSON it should be."""

    default_message = "ConnectWise sent a malformed response"
    outcome_unknown = True


class PSANotSupportedError(PSAError):
    """This PSA (or this provider of it) has no such operation; nothing was sent. The methods added to
    ``PSAProvider`` for time entries and ticket edits raise it until a provider implements them."""

    default_message = "This operation is not supported by this PSA"

    def __init__(self, operation: str | None = None, *, status: int | None = None):
        super().__init__(f"{operation} is not supported by this PSA" if operation else None, status=status)
        self.operation = operation


class PSAEditConflict(PSAConflictError):
    """The ticket changed in the PSA since the caller loaded it (its last-updated time differs), so an
    edit was not applied. ``current`` is the ticket as it is now, ``updated_by``/``last_updated`` who
    changed it last and when. ``changes`` (filled by the ticket service when it knows what the caller
    loaded) lists the fields that differ, with their values now. To re-apply, send the edit again with
    ``last_updated`` as the expected time; to discard, show ``current``."""

    default_message = "The ticket was changed in the PSA since you loaded it"

    def __init__(self, ticket_id: int, current: PSATicketDetail, *, last_updated: datetime | None,
                 updated_by: str | None, psa: str = "ConnectWise"):
        who = f" by {updated_by}" if updated_by else ""
        super().__init__(f"Ticket #{ticket_id} was changed in {psa}{who} since you loaded it")
        self.ticket_id = ticket_id
        self.psa = psa  # the PSA's name, for messages built from these parts
        self.current = current
        self.last_updated = last_updated
        self.updated_by = updated_by
        self.updated_by_name: str | None = None  # the member's name, when the service could look it up
        self.changes: list[TicketFieldChange] = []


@dataclass(frozen=True)
class ChangedTickets:
    """Tickets updated after a moment (``PSAProvider.changed_tickets``), most recently updated first.

    ``changes`` holds ``(ticket id, last updated)`` of at most ``limit`` tickets; ``total`` counts them all
    (more than ``len(changes)`` when the limit cut the list short)."""

    changes: tuple[tuple[int, datetime | None], ...]
    total: int


@dataclass(frozen=True)
class TicketStamp:
    """What changes on a ticket that an open drawer shows, read as cheaply as the PSA allows."""

    ticket_id: int
    last_updated: datetime | None
    status_id: int | None = None
    resources: tuple[str, ...] = field(default_factory=tuple)  # assignee member identifiers


T = TypeVar("T")


def psa_errors_only(psa: str, logger: logging.Logger,
                    message: str | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A decorator for a provider's methods: a response it cannot map (a missing id, a wrong type) is a malformed
    response (``PSAMalformedResponseError(message)``, logged with the method's name), not a crash."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except PSAError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning("%s response could not be read in %s: %s", psa, method.__name__, type(exc).__name__)
                raise PSAMalformedResponseError(message) from exc

        return wrapper

    return decorate


# Longest ``external_ref`` a provider must store (ConnectWise ``Ticket.externalXRef``: max 100).
EXTERNAL_REF_MAX = 100


class PSAProvider(ABC):
    """What the product needs from a PSA. Keep it to what the product calls."""

    # The note types this PSA keeps (ConnectWise's three flags); the composers offer only these.
    note_kinds: tuple[str, ...] = ("internal", "discussion", "resolution")

    # --- tickets
    @abstractmethod
    def search_tickets(self, query: TicketSearchQuery, page: int = 1, page_size: int = 25) -> TicketPage:
        """Most urgent first, then newest; ``total`` counts all matches."""

    @abstractmethod
    def get_ticket(self, ticket_id: int) -> PSATicketDetail: ...

    # Optional capabilities (not abstract: a provider without them still works, the feature degrades).
    def count_tickets(self, query: TicketSearchQuery) -> int:
        """How many tickets match ``query`` (one cheap count call: saved views' open-ticket counts)."""
        raise PSANotSupportedError("Counting tickets")

    def changed_tickets(self, query: TicketSearchQuery, since: datetime, *, also_ids: tuple[int, ...] = (),
                        limit: int = 200) -> ChangedTickets:
        """Tickets last updated after ``since`` that match ``query`` or are one of ``also_ids`` (the rows
        a queue shows, which may have left the filter), most recently updated first: one cheap query."""
        raise PSANotSupportedError("Listing changed tickets")

    def ticket_stamp(self, ticket_id: int) -> TicketStamp:
        """The ticket's last update, status and assignees (an open drawer asks whether it changed).
        Default: read from the whole ticket; a provider can ask for just these fields."""
        ticket = self.get_ticket(ticket_id)
        return TicketStamp(ticket_id=ticket.id, last_updated=ticket.last_updated, status_id=ticket.status_id,
                           resources=tuple(ticket.resources))

    @abstractmethod
    def create_ticket(self, payload: TicketCreatePayload, external_ref: str | None = None) -> PSATicketCreated:
        """Creates the ticket and, when ``assigned_member_id`` is set, assigns that member.

        ``external_ref`` (1 to ``EXTERNAL_REF_MAX`` printable characters) is recorded on the ticket
        itself, so ``find_ticket_by_external_ref`` can find it after the answer to this call was lost."""

    @abstractmethod
    def find_ticket_by_external_ref(self, external_ref: str) -> PSATicketSearchResult | None:
        """The earliest ticket (open or closed) created with exactly this ``external_ref``, or None."""

    @abstractmethod
    def update_status(self, ticket_id: int, status_id: int) -> PSATicketStatusUpdate: ...

    @abstractmethod
    def list_related_tickets(self, ticket_id: int, company_id: int | None, parent_ticket_id: int | None = None, limit: int = 10) -> list[PSATicketSearchResult]:
        """Other open tickets of the same company, plus the parent and children of the ticket."""

    # --- resources (assignees)
    @abstractmethod
    def list_resources(self, ticket_id: int) -> list[PSAResource]: ...

    @abstractmethod
    def add_resource(self, ticket_id: int, member_id: int) -> PSAResource: ...

    @abstractmethod
    def remove_resource(self, ticket_id: int, member_id: int, *, new_primary_id: int | None = None) -> None:
        """Unassign ``member_id``. A PSA that keeps one primary resource (Autotask) raises
        :class:`PSAChoosePrimaryError` for the primary of a ticket others are assigned to, unless
        ``new_primary_id`` names which of them becomes primary; other PSAs ignore ``new_primary_id``."""

    # --- notes and configurations
    @abstractmethod
    def list_notes(self, ticket_id: int) -> list[PSANote]:
        """Chronological (oldest first)."""

    @abstractmethod
    def add_note(self, ticket_id: int, text: str, kind: NoteKind = "internal") -> PSANote: ...

    @abstractmethod
    def list_configurations(self, ticket_id: int) -> list[PSAConfiguration]:
        """The ticket's configurations with their facts (serial, IP, OS, type, status)."""

    def list_configuration_refs(self, ticket_id: int) -> list[PSAConfiguration]:
        """The ticket's configurations as cheaply as the PSA allows (at least id and name), for the
        drawer's first paint; ``get_configurations`` fills in the facts. Default: the full list."""
        return self.list_configurations(ticket_id)

    def get_configurations(self, config_ids: list[int]) -> list[PSAConfiguration]:
        """These configurations with their facts, in the given order; unknown ids are skipped."""
        raise NotImplementedError(f"{type(self).__name__} cannot read configurations by id")

    # --- reference data
    @abstractmethod
    def list_boards(self) -> list[PSABoard]: ...

    @abstractmethod
    def get_ticket_statuses(self, board_id: int) -> list[PSAStatus]: ...

    @abstractmethod
    def list_priorities(self) -> list[PSAPriority]: ...

    @abstractmethod
    def list_members(self) -> list[PSAMember]: ...

    @abstractmethod
    def search_companies(self, search: str | None = None, limit: int = 25) -> list[PSACompany]:
        """Active companies whose name or identifier contains ``search`` (all when empty), by name."""

    @abstractmethod
    def get_company(self, company_id: int) -> PSACompany: ...

    # --- look-ups and pickers at MSP scale (issue 17). Not abstract: a provider without them degrades.

    def list_companies(self) -> list[PSACompany]:
        """Every active company (id, identifier, name), for matching names in a note (the AI parse).
        Default: the first page of ``search_companies``."""
        return self.search_companies(None, limit=1000)

    def search_contacts(self, company_id: int | None, search: str | None = None, limit: int = 25) -> list[PSAContact]:
        """Active contacts of ``company_id`` (of every company when None) whose first or last name contains
        each word of ``search``, by name: a picker's page."""
        raise PSANotSupportedError("Searching contacts")

    def search_configurations(self, company_id: int | None, search: str | None = None,
                              limit: int = 25) -> list[PSAConfiguration]:
        """Active configurations of ``company_id`` whose name, device identifier or serial number contains
        ``search``, by name: a picker's page."""
        raise PSANotSupportedError("Searching configurations")

    # --- time entries and ticket edits (issue 19). Not abstract, so a provider written before them still
    # instantiates: until it implements them, each raises PSANotSupportedError and sends nothing.

    def list_time_entries(self, ticket_id: int) -> list[PSATimeEntry]:
        """The time entries charged to the ticket, oldest first."""
        raise PSANotSupportedError("Listing time entries")

    def add_time_entry(self, ticket_id: int, payload: TimeEntryCreate) -> PSATimeEntry:
        """Charges time to the ticket as ``payload.member_id``; work type, work role and billable option
        left out (None) take the PSA's defaults. The PSA's validation errors name ``TimeEntryCreate``'s
        fields (``start``, ``end``, ``member_id``, ``work_type_id``, ...)."""
        raise PSANotSupportedError("Logging time")

    def list_work_types(self) -> list[PSAWorkType]:
        """Active work types, by name."""
        raise PSANotSupportedError("Work types")

    def list_work_roles(self) -> list[PSAWorkRole]:
        """Active work roles, by name."""
        raise PSANotSupportedError("Work roles")

    def update_ticket(self, ticket_id: int, changes: TicketChanges,
                      expected_last_updated: datetime | None = None) -> PSATicketUpdate:
        """Applies the fields sent in ``changes`` (``TicketChanges.sent``). With ``expected_last_updated``
        (the ticket's ``last_updated`` as the caller loaded it), a ticket changed since then is left alone
        and ``PSAEditConflict`` is raised instead."""
        raise PSANotSupportedError("Editing tickets")

    def list_board_types(self, board_id: int) -> list[PSABoardType]:
        """The board's active ticket types."""
        raise PSANotSupportedError("Ticket types")

    def list_board_subtypes(self, board_id: int) -> list[PSABoardSubtype]:
        """The board's active ticket subtypes, each with the types it may be used with."""
        raise PSANotSupportedError("Ticket subtypes")

    def list_board_items(self, board_id: int) -> list[PSABoardItem]:
        """The board's active ticket items."""
        raise PSANotSupportedError("Ticket items")

    # --- connection
    @abstractmethod
    def system_info(self) -> PSASystemInfo:
        """Cheap authenticated call used by "Test connection"."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release pooled connections."""


# --- what every provider over one PSA client shares ----------------------------------------------------------


def client_options(*, timeout: float | None = None, connect_timeout: float | None = None,
                   get_retries: int | None = None, sleep: Callable[[float], None] | None = None,
                   breaker: Any = None) -> dict[str, Any]:
    """The settings a provider passes to its PSA client: the caller's, else the deployment's (``PSA_*``)."""
    options: dict[str, Any] = {
        "timeout": settings.PSA_TIMEOUT_SECONDS if timeout is None else timeout,
        "connect_timeout": settings.PSA_CONNECT_TIMEOUT_SECONDS if connect_timeout is None else connect_timeout,
        "get_retries": settings.PSA_GET_RETRIES if get_retries is None else get_retries,
        "breaker": breaker,
    }
    if sleep is not None:
        options["sleep"] = sleep
    return options


class PooledProvider(PSAProvider):
    """A provider over one PSA client (``self.client``) whose side-by-side calls (a drawer's sections; a list's
    count when the transport cannot send it early, see ``ConnectWiseClient.send_early``) run in its
    connection's lane of the shared call pool (``psa.concurrency``)."""

    client: Any

    def __init__(self, capacity_key: object = None):
        # The connection's lane in the shared pools; a provider built on its own (tests, tools) gets its own.
        self.capacity_key = capacity_key if capacity_key is not None else f"provider-{id(self)}"

    def _submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """One call beside others, in the connection's lane of the call pool, whose tasks never wait on each other."""
        return concurrency.call(fn, *args, key=self.capacity_key, **kwargs)

    def close(self) -> None:
        self.client.close()

