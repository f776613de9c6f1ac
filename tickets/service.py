"""The ticket service (the spec's ``ticket_service``): the one place views and the API go through.

It resolves the account's PSA connection to a provider, scopes everything by account, enriches PSA
data from the ORM (``is_rf_user`` from member mappings, ``assigned=me`` through the user's
mapping), caches PSA reference data, and makes ticket creation idempotent. Views never see
ConnectWise details; providers never see the ORM.

Caching: boards, statuses per board, priorities, members and all companies are cached in Django's
cache per account and connection version (``connection.updated``; saving the connection starts a
fresh cache) for ``PSA_REFERENCE_CACHE_SECONDS``. Ticket mutations do not change reference data,
and member-mapping enrichment (``is_rf_user``) is applied after the cache, so no mutation needs to
invalidate anything. A load already running in this process is awaited rather than repeated, and
``prefetch_reference`` starts every missing list at once (the /tickets page calls it first).

Errors: PSA failures propagate as ``psa.providers.base.PSAError`` subclasses. Bad input found here
(unknown board/status/priority/member ids, bad filters) raises ``InvalidInput``, which is both a
``PSAValidationError`` (same field-error shape as the PSA's own validation errors) and a
``ValueError``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from psa.metrics import submit_in_context
from psa.models import MemberMapping, PSAConnection
from psa.providers.base import (
    FieldError,
    PSAError,
    PSAProvider,
    PSARateLimitedError,
    PSAUnavailableError,
    PSAValidationError,
)
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
    PSATicketStatusUpdate,
    TicketCreatePayload,
    TicketListResponse,
    TicketSearchQuery,
)
from tickets.models import IdempotencyRecord

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000  # 10,000 pages of 100 is a million tickets; beyond that a page number is a mistake
SEARCH_MAX = 200  # search text; longer text cannot be a ticket summary (100) or company name
ID_MAX = 2**31 - 1  # ConnectWise record ids are 32-bit integers
IDEMPOTENCY_KEY_MAX = 255
# An attempt still "in flight" after this long died with its process: treat it as unknown.
IN_FLIGHT_STALE_AFTER = timedelta(minutes=2)
# Clock skew allowed between us and the PSA when looking for a ticket an earlier attempt created.
CREATED_SKEW = timedelta(minutes=5)

# Drawer sections and the status fan-out run PSA calls in these threads. They only call the
# provider (no ORM), so they need no database connection handling.
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="psa-service")
# Reference-data loads started by ``prefetch_reference``. Its tasks never wait on other tasks (a
# board's statuses are submitted, not awaited), so anything may wait on them without deadlock.
_reference_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="psa-reference")
MAX_CONFIGURATION_IDS = 50  # configurations attached to one ticket; more is not a drawer request


# --- errors and value types ----------------------------------------------------------------------


class NoPSAConnection(Exception):
    """The account has no PSA connection (API: 409)."""

    def __init__(self, message: str = "This account has no PSA connection. An admin can add one under Account > Integrations."):
        self.message = message
        super().__init__(message)


class MemberMappingRequired(Exception):
    """``assigned=me`` but the user is not mapped to a PSA member (API: 422)."""

    def __init__(self, message: str = "Your user is not mapped to a ConnectWise member, so \"Assigned to me\" is unavailable. "
                                      "An admin can map you under Account > Integrations."):
        self.message = message
        super().__init__(message)


class IdempotencyInFlight(Exception):
    """The same Idempotency-Key is still being processed (API: 409)."""

    def __init__(self, message: str = "A request with this Idempotency-Key is still being processed; retry shortly."):
        self.message = message
        super().__init__(message)


class InvalidInput(PSAValidationError, ValueError):
    """Input rejected by the service before it reached the PSA (API: 422 with field errors)."""

    def __init__(self, message: str, *, field: str | None = None, field_errors: list[FieldError] | None = None):
        errors = field_errors if field_errors is not None else [FieldError(field, message)]
        super().__init__(message, status=None, field_errors=errors)


@dataclass
class TicketFilters:
    search: str = ""
    board: int | None = None
    status: int | None = None
    priority: int | None = None
    company: int | None = None
    assigned: str = "all"  # "me" | "unassigned" | "all" | "<member id>"
    closed: bool = False


@dataclass
class Section:
    """One drawer section: a value, or the PSA error that stopped it."""

    value: object = None
    error: PSAError | None = None


@dataclass
class TicketPanel:
    detail: Section
    notes: Section
    configurations: Section
    related: Section


# --- connection, mappings ------------------------------------------------------------------------


def _connection(account) -> PSAConnection:
    connection = PSAConnection.objects.filter(account_id=account.pk).first()
    if connection is None:
        raise NoPSAConnection()
    return connection


def _provider(account) -> PSAProvider:
    from psa.registry import provider_for

    return provider_for(_connection(account))


def has_connection(account) -> bool:
    return account is not None and PSAConnection.objects.filter(account_id=account.pk).exists()


def mapping_for(account, user) -> MemberMapping | None:
    if account is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return MemberMapping.objects.filter(account_id=account.pk, user_id=user.pk).first()


def list_mappings(account) -> list[MemberMapping]:
    return list(MemberMapping.objects.filter(account_id=account.pk).select_related("user").order_by("identifier"))


def _mapped_member_ids(account) -> set[int]:
    return set(MemberMapping.objects.filter(account_id=account.pk).values_list("psa_member_id", flat=True))


def _enrich_resources(account, resources: list[PSAResource]) -> list[PSAResource]:
    mapped = _mapped_member_ids(account)
    for resource in resources:
        resource.is_rf_user = resource.member_id in mapped
    return resources


# --- reference data (cached) -----------------------------------------------------------------------


# Loads in progress in this process, by cache key: a second caller (another thread of the same
# request, another request, the prefetch) waits for the running load instead of fetching again.
_loading: dict[str, Future] = {}
_loading_lock = threading.Lock()


def _key(connection: PSAConnection, name: str) -> str:
    return f"psa-ref:{connection.account_id}:{connection.updated.timestamp():.6f}:{name}"


def _claim_load(key: str) -> tuple[Future, bool]:
    """The running load of ``key`` and False, or a new one that the caller must run and True."""
    with _loading_lock:
        future = _loading.get(key)
        if future is not None:
            return future, False
        future = _loading[key] = Future()
        return future, True


def _run_load(connection: PSAConnection, key: str, fetch, future: Future) -> list[dict]:
    """Fetch, cache and publish one claimed load (its waiters get the data or the same PSAError)."""
    try:
        data = cache.get(key)  # finished by someone else between our cache miss and the claim
        if data is None:
            from psa.registry import provider_for

            data = [item.model_dump(mode="json") for item in fetch(provider_for(connection))]
            cache.set(key, data, settings.PSA_REFERENCE_CACHE_SECONDS)
    except BaseException as exc:
        future.set_exception(exc)
        raise
    else:
        future.set_result(data)
        return data
    finally:
        with _loading_lock:
            if _loading.get(key) is future:
                del _loading[key]


def _cached(connection: PSAConnection, name: str, model, fetch):
    """Cache a list of DTOs per account and connection version (a changed connection means new keys).

    Takes the connection (not the account) so it can run in worker threads without touching the ORM.
    A load of the same key already running in this process is awaited, not repeated.
    """
    key = _key(connection, name)
    data = cache.get(key)
    if data is None:
        future, mine = _claim_load(key)
        data = _run_load(connection, key, fetch, future) if mine else future.result()
    return [model.model_validate(item) for item in data]


def _fetch_boards(provider: PSAProvider):
    return provider.list_boards()


def _fetch_statuses(board_id: int):
    return lambda provider: provider.get_ticket_statuses(int(board_id))


_REFERENCE_FETCHES = {
    "priorities": lambda provider: provider.list_priorities(),
    "members": lambda provider: provider.list_members(),
    "companies": lambda provider: provider.search_companies(None, limit=1000),
}


def prefetch_reference(account) -> bool:
    """Start loading every reference list that is not cached, all at once, and return at once.

    Boards, priorities, members and companies start together; each board's statuses start as soon
    as the boards are back: two round trips in all, instead of one after the other as the filter
    bar asks for them. ``list_boards`` and friends then wait for these loads instead of repeating
    them. With a warm cache nothing is started (no PSA call). Returns whether anything was started.
    PSA errors surface where the data is used, not here.
    """
    connection = _connection(account)
    names = ["boards", *_REFERENCE_FETCHES]
    keys = {name: _key(connection, name) for name in names}
    cached = cache.get_many(list(keys.values()))
    started = False
    for name in _REFERENCE_FETCHES:
        if keys[name] not in cached:
            started |= _start_load(connection, keys[name], _REFERENCE_FETCHES[name])
    if keys["boards"] in cached:
        started |= _start_status_loads(connection, [b["id"] for b in cached[keys["boards"]]])
    else:
        future, mine = _claim_load(keys["boards"])
        if mine:
            submit_in_context(_reference_pool, _load_boards_then_statuses, connection, keys["boards"], future)
            started = True
        else:  # someone else is loading the boards: chain the statuses onto their load
            future.add_done_callback(lambda done: _statuses_after(connection, done))
    return started


def _start_load(connection: PSAConnection, key: str, fetch) -> bool:
    future, mine = _claim_load(key)
    if mine:
        submit_in_context(_reference_pool, _swallow, _run_load, connection, key, fetch, future)
    return mine


def _start_status_loads(connection: PSAConnection, board_ids) -> bool:
    status_keys = {int(b): _key(connection, f"statuses:{int(b)}") for b in board_ids}
    cached = cache.get_many(list(status_keys.values()))
    started = False
    for board_id, key in status_keys.items():
        if key not in cached:
            started |= _start_load(connection, key, _fetch_statuses(board_id))
    return started


def _load_boards_then_statuses(connection: PSAConnection, key: str, future: Future) -> None:
    try:
        boards = _run_load(connection, key, _fetch_boards, future)
    except Exception:  # noqa: BLE001 - the error reaches whoever waits for the boards
        return
    _start_status_loads(connection, [b["id"] for b in boards])


def _statuses_after(connection: PSAConnection, boards: Future) -> None:
    if not boards.cancelled() and boards.exception() is None:
        _start_status_loads(connection, [b["id"] for b in boards.result()])


def _swallow(call, *args) -> None:
    """Run a prefetch load; its error is delivered to the waiters through the load's future."""
    try:
        call(*args)
    except Exception:  # noqa: BLE001
        pass


def list_boards(account) -> list[PSABoard]:
    return _cached(_connection(account), "boards", PSABoard, _fetch_boards)


def _statuses(connection: PSAConnection, board_id: int) -> list[PSAStatus]:
    return _cached(connection, f"statuses:{int(board_id)}", PSAStatus, _fetch_statuses(board_id))


def list_statuses(account, board_id: int) -> list[PSAStatus]:
    return _statuses(_connection(account), board_id)


def list_all_statuses(account) -> list[PSAStatus]:
    """Every board's statuses (board order), for "status by name" when no board is chosen."""
    connection = _connection(account)
    boards = _cached(connection, "boards", PSABoard, _fetch_boards)
    per_board = [f.result() for f in [submit_in_context(_pool, _statuses, connection, b.id) for b in boards]]
    return [status for statuses in per_board for status in statuses]


def list_priorities(account) -> list[PSAPriority]:
    return _cached(_connection(account), "priorities", PSAPriority, _REFERENCE_FETCHES["priorities"])


def list_members(account) -> list[PSAMember]:
    """All PSA members, those mapped to ResolutionFlow users first (``is_rf_user`` set)."""
    members = _cached(_connection(account), "members", PSAMember, _REFERENCE_FETCHES["members"])
    mapped = _mapped_member_ids(account)
    for member in members:
        member.is_rf_user = member.id in mapped
    return sorted(members, key=lambda m: not m.is_rf_user)  # stable: PSA order within each group


def list_all_companies(account) -> list[PSACompany]:
    return _cached(_connection(account), "companies", PSACompany, _REFERENCE_FETCHES["companies"])


def search_companies(account, search: str = "", limit: int = 25) -> list[PSACompany]:
    if len(search or "") > SEARCH_MAX:
        raise InvalidInput(f"search must be at most {SEARCH_MAX} characters", field="search")
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    return _provider(account).search_companies((search or "").strip() or None, limit=limit)


def get_company(account, company_id: int) -> PSACompany:
    return _provider(account).get_company(company_id)


def test_connection(account) -> PSASystemInfo:
    return _provider(account).system_info()


# --- search ---------------------------------------------------------------------------------------


def _resolve_filters(account, user, filters: TicketFilters) -> TicketSearchQuery:
    if len(filters.search or "") > SEARCH_MAX:
        raise InvalidInput(f"search must be at most {SEARCH_MAX} characters", field="search")
    query = TicketSearchQuery(
        search=(filters.search or "").strip() or None,
        company_id=filters.company,
        include_closed=bool(filters.closed),
    )
    if filters.board is not None:
        if not any(b.id == filters.board for b in list_boards(account)):
            raise InvalidInput(f"Unknown board id {filters.board}", field="board")
        query.board_id = filters.board
    if filters.status is not None:
        status = next((s for s in list_all_statuses(account) if s.id == filters.status), None)
        if status is None:
            raise InvalidInput(f"Unknown status id {filters.status}", field="status")
        if filters.board is not None and status.board_id == filters.board:
            query.status_id = status.id
        else:
            # No board chosen (or a status of another board): same-named status on every board.
            query.status_name = status.name
    if filters.priority is not None:
        if not any(p.id == filters.priority for p in list_priorities(account)):
            raise InvalidInput(f"Unknown priority id {filters.priority}", field="priority")
        query.priority_id = filters.priority

    assigned = (filters.assigned or "all").strip().lower()
    if assigned == "me":
        mapping = mapping_for(account, user)
        if mapping is None:
            raise MemberMappingRequired()
        query.assigned_identifier = mapping.identifier
    elif assigned == "unassigned":
        query.unassigned = True
    elif assigned.isascii() and assigned.isdigit():  # not str.isdigit alone: "²" is a digit to Python
        member_id = int(assigned) if len(assigned) <= 10 else None
        member = next((m for m in list_members(account) if m.id == member_id), None)
        if member is None:
            raise InvalidInput(f"Unknown member id {assigned}", field="assigned")
        query.assigned_identifier = member.identifier
    elif assigned not in ("all", ""):
        raise InvalidInput('assigned must be "me", "unassigned", "all" or a member id', field="assigned")
    return query


def search_tickets(account, user, filters: TicketFilters, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> TicketListResponse:
    """One page of tickets, most urgent first then newest; ``total`` counts every match."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE:,}", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    provider = _provider(account)
    query = _resolve_filters(account, user, filters)
    result = provider.search_tickets(query, page=page, page_size=page_size)
    return TicketListResponse(items=result.items, total=result.total, page=page, page_size=page_size)


# --- one ticket -----------------------------------------------------------------------------------


def get_ticket(account, ticket_id: int) -> PSATicketDetail:
    return _provider(account).get_ticket(ticket_id)


def get_ticket_panel(account, ticket_id: int, company_id: int | None) -> TicketPanel:
    """Detail, notes, configurations and related tickets, fetched in parallel; each may fail alone.

    Configurations are the references only (id, name, type: one call); their facts come from
    ``get_configurations`` in a section of their own, so the panel is one round trip.
    """
    provider = _provider(account)

    def section(call, *args):
        try:
            return Section(value=call(*args))
        except PSAError as exc:
            return Section(error=exc)

    futures = [
        submit_in_context(_pool, section, provider.get_ticket, ticket_id),
        submit_in_context(_pool, section, provider.list_notes, ticket_id),
        submit_in_context(_pool, section, provider.list_configuration_refs, ticket_id),
        submit_in_context(_pool, section, provider.list_related_tickets, ticket_id, company_id),
    ]
    detail, notes, configurations, related = (f.result() for f in futures)
    return TicketPanel(detail=detail, notes=notes, configurations=configurations, related=related)


def get_configurations(account, ticket_id: int, config_ids: list[int] | None = None) -> list[PSAConfiguration]:
    """Facts (serial, IP, OS, type, status) of a ticket's configurations.

    ``config_ids`` are the references the drawer already has (one parallel round of reads);
    without them the ticket's references are read first (two round trips).
    """
    provider = _provider(account)
    if config_ids is None:
        config_ids = [ref.id for ref in provider.list_configuration_refs(ticket_id)]
    if len(config_ids) > MAX_CONFIGURATION_IDS:
        raise InvalidInput(f"At most {MAX_CONFIGURATION_IDS} configurations at a time", field="ids")
    if any(not 1 <= config_id <= ID_MAX for config_id in config_ids):
        raise InvalidInput("Configuration ids must be positive 32-bit integers", field="ids")
    return provider.get_configurations(list(config_ids)) if config_ids else []


def list_notes(account, ticket_id: int) -> list[PSANote]:
    return _provider(account).list_notes(ticket_id)


def add_note(account, ticket_id: int, text: str, kind: NoteKind = "internal") -> PSANote:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Note text is required", field="text")
    return _provider(account).add_note(ticket_id, text, kind)


def update_status(account, ticket_id: int, status_id: int) -> PSATicketStatusUpdate:
    provider = _provider(account)
    if not any(s.id == status_id for s in list_all_statuses(account)):
        raise InvalidInput(f"Unknown status id {status_id}", field="status_id")
    return provider.update_status(ticket_id, status_id)


# --- resources (assignees) ------------------------------------------------------------------------


def list_resources(account, ticket_id: int) -> list[PSAResource]:
    return _enrich_resources(account, _provider(account).list_resources(ticket_id))


def add_resource(account, ticket_id: int, member_id: int) -> PSAResource:
    provider = _provider(account)
    if not any(m.id == member_id for m in list_members(account)):
        raise InvalidInput(f"Unknown member id {member_id}", field="member_id")
    return _enrich_resources(account, [provider.add_resource(ticket_id, member_id)])[0]


def remove_resource(account, ticket_id: int, member_id: int) -> None:
    _provider(account).remove_resource(ticket_id, member_id)


# --- create (idempotent) --------------------------------------------------------------------------


def _validate_create(account, payload: TicketCreatePayload) -> None:
    """Checks ids against the (cached) reference data so bad ids get field errors, not a PSA 400."""
    errors: list[FieldError] = []
    if not any(b.id == payload.board_id for b in list_boards(account)):
        errors.append(FieldError("board_id", f"Unknown board id {payload.board_id}"))
    elif not any(s.id == payload.status_id for s in list_statuses(account, payload.board_id)):
        errors.append(FieldError("status_id", f"Status {payload.status_id} does not belong to board {payload.board_id}"))
    if not any(p.id == payload.priority_id for p in list_priorities(account)):
        errors.append(FieldError("priority_id", f"Unknown priority id {payload.priority_id}"))
    if payload.assigned_member_id is not None and not any(m.id == payload.assigned_member_id for m in list_members(account)):
        errors.append(FieldError("assigned_member_id", f"Unknown member id {payload.assigned_member_id}"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), field_errors=errors)


def _enrich_created(account, created: PSATicketCreated) -> PSATicketCreated:
    _enrich_resources(account, created.resources)
    return created


def create_ticket(account, payload: TicketCreatePayload, *, user=None, idempotency_key: str | None = None) -> PSATicketCreated:
    """Creates a ticket; with an ``idempotency_key`` a retried request never creates a second ticket.

    Idempotency (per account + user + key; ``IdempotencyRecord``):

    * First request: insert the record ``in_flight`` (a unique constraint makes the insert the lock),
      call the PSA, then store the result as ``done`` (with the created ticket as JSON).
    * Same key again: ``done`` -> the stored ticket (same id); ``in_flight`` -> ``IdempotencyInFlight``
      (409; never a second ticket); a different payload under the same key -> ``InvalidInput``.
    * ``failed``: the PSA gave a definitive refusal (4xx, including 429), so nothing was created and a
      retry simply runs again.
    * ``unknown``: the PSA did not give a definitive answer (timeout, unreachable, 5xx, a malformed
      or truncated response) — the ticket may exist in ConnectWise. A retry first looks for a ticket
      created for this request before creating again. An attempt left ``in_flight`` for longer than
      ``IN_FLIGHT_STALE_AFTER`` (its process died) is treated the same way.

    How an earlier attempt's ticket is found: ConnectWise tickets have an ``externalXRef`` field
    (max 100 chars) that would be the exact mark, but the provider interface does not expose it
    yet. When a provider offers ``create_ticket_with_external_ref(payload, external_ref)`` and
    ``find_ticket_by_external_ref(external_ref) -> PSATicketSearchResult | None`` they are used
    (the reference is a hash of account, user and key, never the raw key). Otherwise the service
    searches the PSA for a ticket with exactly the same summary, company, board and priority entered
    since the record was created (minus ``CREATED_SKEW``), and takes the earliest such ticket;
    if the original attempt did not get to assign the requested member, it is assigned now.
    """
    provider = _provider(account)
    _validate_create(account, payload)
    if not idempotency_key:
        return _enrich_created(account, provider.create_ticket(payload))

    key = idempotency_key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters", field="Idempotency-Key")
    if user is None or not getattr(user, "pk", None):
        raise ValueError("An idempotency key needs the requesting user")
    request_hash = hashlib.sha256(payload.model_dump_json().encode()).hexdigest()
    external_ref = "rf-idem-" + hashlib.sha256(f"{account.pk}:{user.pk}:{key}".encode()).hexdigest()[:40]

    record, is_new = _claim(account, user, key, request_hash)
    if isinstance(record, PSATicketCreated):
        return _enrich_created(account, record)
    if not is_new and record.state_before_claim == IdempotencyRecord.State.UNKNOWN:
        try:
            found = _find_created_ticket(provider, record, payload, external_ref)
        except PSAError:
            _set_state(record, IdempotencyRecord.State.UNKNOWN)
            raise
        if found is not None:
            return _finish(account, record, found)

    try:
        creator = getattr(provider, "create_ticket_with_external_ref", None)
        created = creator(payload, external_ref) if callable(creator) else provider.create_ticket(payload)
    except PSARateLimitedError:
        _set_state(record, IdempotencyRecord.State.FAILED)
        raise
    except PSAUnavailableError:
        _set_state(record, IdempotencyRecord.State.UNKNOWN)
        raise
    except PSAError:
        _set_state(record, IdempotencyRecord.State.FAILED)
        raise
    except BaseException:
        _set_state(record, IdempotencyRecord.State.UNKNOWN)
        raise
    return _finish(account, record, created)


def _claim(account, user, key: str, request_hash: str):
    """Returns (record, is_new) with the record now ``in_flight`` for us, or (stored ticket, False)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                account=account, user=user, key=key, request_hash=request_hash,
                state=IdempotencyRecord.State.IN_FLIGHT, created=now, attempt_started=now,
            )
        record.state_before_claim = None
        return record, True
    except IntegrityError:
        record = IdempotencyRecord.objects.get(account=account, user=user, key=key)

    if record.request_hash != request_hash:
        raise InvalidInput("This Idempotency-Key was already used for a different request", field="Idempotency-Key")
    if record.state == IdempotencyRecord.State.DONE:
        return PSATicketCreated.model_validate(record.response_json), False
    previous = record.state
    if previous == IdempotencyRecord.State.IN_FLIGHT:
        if now - record.attempt_started < IN_FLIGHT_STALE_AFTER:
            raise IdempotencyInFlight()
        previous = IdempotencyRecord.State.UNKNOWN  # the attempt's process died mid-call
    # Claim it atomically: only one retry may run at a time.
    claimed = IdempotencyRecord.objects.filter(
        pk=record.pk, state=record.state, attempt_started=record.attempt_started
    ).update(state=IdempotencyRecord.State.IN_FLIGHT, attempt_started=now)
    if not claimed:
        raise IdempotencyInFlight()
    record.state = IdempotencyRecord.State.IN_FLIGHT
    record.attempt_started = now
    record.state_before_claim = previous
    return record, False


def _set_state(record: IdempotencyRecord, state: str) -> None:
    record.state = state
    IdempotencyRecord.objects.filter(pk=record.pk).update(state=state)


def _finish(account, record: IdempotencyRecord, created: PSATicketCreated) -> PSATicketCreated:
    record.state = IdempotencyRecord.State.DONE
    record.ticket_id = created.id
    record.response_json = created.model_dump(mode="json")
    record.save(update_fields=["state", "ticket_id", "response_json"])
    return _enrich_created(account, created)


def _find_created_ticket(provider: PSAProvider, record: IdempotencyRecord, payload: TicketCreatePayload,
                         external_ref: str) -> PSATicketCreated | None:
    finder = getattr(provider, "find_ticket_by_external_ref", None)
    if callable(finder):
        match = finder(external_ref)
    else:
        since = record.created - CREATED_SKEW
        page = provider.search_tickets(
            TicketSearchQuery(search=payload.summary, company_id=payload.company_id, board_id=payload.board_id,
                              priority_id=payload.priority_id, include_closed=True),
            page=1, page_size=MAX_PAGE_SIZE,
        )
        candidates = [
            t for t in page.items
            if t.summary == payload.summary and t.date_entered is not None and t.date_entered >= since
        ]
        match = min(candidates, key=lambda t: t.id) if candidates else None
    if match is None:
        return None
    logger.info("idempotent create: found ticket %s created by an earlier attempt", match.id)
    return _created_from_row(provider, match, payload)


def _created_from_row(provider: PSAProvider, row: PSATicketSearchResult, payload: TicketCreatePayload) -> PSATicketCreated:
    resources = provider.list_resources(row.id)
    if payload.assigned_member_id is not None and not any(r.member_id == payload.assigned_member_id for r in resources):
        resources.append(provider.add_resource(row.id, payload.assigned_member_id))
    return PSATicketCreated(
        id=row.id, summary=row.summary, board_name=row.board_name or "", status_name=row.status_name or "",
        priority_name=row.priority_name or "", company_name=row.company_name or "", resources=resources,
    )
