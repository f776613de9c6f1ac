"""The JSON API under /integrations/psa/ (django-ninja; OpenAPI at /integrations/psa/openapi.json).

Thin endpoints over ``tickets.service``. Auth: the browser session (CSRF enforced on unsafe
methods) or a personal API token (``Authorization: Bearer rf_…``). Every error is JSON
``{"detail": "...", "errors": [{"field": ..., "message": ...}]}``; PSA failures map to
403/404/409/422/429/502/503/504, never to a 500, and bodies never carry a trace or a secret.
"""

from __future__ import annotations

import functools
import logging
import math

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponseNotAllowed
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Header, NinjaAPI, Path, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from psa.providers.base import (
    PSA_NAMES,
    PSAAuthError,
    PSAChoosePrimaryError,
    PSAConflictError,
    PSAError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSATimeoutError,
    PSAUnavailableError,
    PSAValidationError,
    psa_name,
)
from psa.reference import ALL_PARTS
from psa.schemas import (
    AiParseRequest,
    AiParseResponse,
    PSABoard,
    PSACompany,
    PSAMember,
    PSAPriority,
    PSAResource,
    PSAStatus,
    PSATicketCreated,
    PSATicketDetail,
    PSATicketStatusUpdate,
    TicketCreatePayload,
    TicketListResponse,
)
from psa.tenancy import Tenant, tenant_for
from tickets import service, validation
from tickets.ai_parse import AiRateLimited, count_ai_request, parse_ticket_prompt
from tickets.models import APIToken

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_SECONDS = 5
EMPTY_IDEMPOTENCY_KEY = (
    "The Idempotency-Key header is empty: send a unique value (e.g. a UUID) to make retries safe, "
    "or leave the header out"
)

# --- auth ---------------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; a present but unknown or revoked token is a 401."""

    def authenticate(self, request, token):
        api_token = APIToken.authenticate(token)
        if api_token is None:
            raise AuthenticationError(401, "Invalid or revoked API token")
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SessionCsrfAuth(SessionAuth):
    """The browser session; CSRF is checked on unsafe methods, and only for a signed-in user
    (so a request with no credentials at all gets 401, not a CSRF 403)."""

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


class _JsonNinjaAPI(NinjaAPI):
    """NinjaAPI whose URL space answers JSON everywhere: a wrong method on a known path is a JSON 405
    (django-ninja answers plain text) and an unknown path under the prefix is a JSON 404 (Django
    would render its HTML page)."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _json_method_not_allowed(pattern.callback)
        return [*patterns, re_path(r"^.*$", _unknown_path, name="unknown_path")], app_name, namespace


def _json_method_not_allowed(view):
    @functools.wraps(view)  # keeps csrf_exempt and friends
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return _json_response(405, f"{request.method} is not allowed here; use {allowed}", headers={"Allow": allowed})
        return response

    return wrapper


@csrf_exempt
def _unknown_path(request):
    return _json_response(404, f"No API endpoint at {request.path}")


def _json_response(status: int, detail: str, headers=None):
    from django.http import JsonResponse

    response = JsonResponse({"detail": detail, "errors": []}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


api = _JsonNinjaAPI(
    title="ResolutionFlow PSA API",
    version="1.0.0",
    description="Tickets and reference data from the account's PSA (ConnectWise). "
    "Authenticate with the browser session (send the CSRF token on unsafe methods) or `Authorization: Bearer <token>` "
    "(create one with `python manage.py create_api_token <username>`).",
    urls_namespace="psa_api",
    auth=[TokenAuth(), SessionCsrfAuth()],
)


# --- schemas local to the API ----------------------------------------------------------------


class FieldErrorOut(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


# ConnectWise record ids are 32-bit; a larger number is a typo, not a ticket.
TicketId = Path(..., gt=0, le=service.ID_MAX)
MemberId = Path(..., gt=0, le=service.ID_MAX)
BoardId = Path(..., gt=0, le=service.ID_MAX)


class StatusUpdateIn(Schema):
    status_id: int = Field(..., gt=0, le=service.ID_MAX)


class ResourceIn(Schema):
    member_id: int = Field(..., gt=0, le=service.ID_MAX)


class MemberMappingOut(Schema):
    user_id: int
    username: str
    psa_member_id: int
    identifier: str
    name: str


class MemberMappingsOut(Schema):
    mappings: list[MemberMappingOut]
    current_user_mapped: bool
    current_user_mapping: MemberMappingOut | None = None


_ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504)}


def _responses(**ok):
    return {**_ERRORS, **{int(code[1:]): schema for code, schema in ok.items()}}


# --- error contract --------------------------------------------------------------------------

# What each operation was doing, so a PSA failure names it ("Loading tickets failed: ConnectWise ...").
_ACTIONS = {
    "search_tickets": "Loading tickets",
    "ai_parse": "Reading the PSA's reference data for AI parse",
    "get_ticket": "Loading the ticket",
    "create_ticket": "Creating the ticket",
    "update_status": "Changing the ticket's status",
    "list_resources": "Loading the ticket's assignees",
    "add_resource": "Assigning the member",
    "remove_resource": "Removing the assignee",
    "list_boards": "Loading boards",
    "list_statuses": "Loading the board's statuses",
    "list_priorities": "Loading priorities",
    "list_members": "Loading members",
    "search_companies": "Loading companies",
    "member_mappings": "Loading member mappings",
}


def _record_operation(view_func):
    """Notes the running operation on the request (for :func:`_psa_message`)."""

    @functools.wraps(view_func)
    def wrapper(request, *args, **kwargs):
        request.rf_operation = view_func.__name__
        return view_func(request, *args, **kwargs)

    return wrapper


api.add_decorator(_record_operation, mode="operation")


def _psa_message(request, exc: PSAError) -> str:
    """``"<what we were doing> failed: <what ConnectWise did>"``; our own input errors stay as they are."""
    if isinstance(exc, service.InvalidInput):
        return exc.message
    action = _ACTIONS.get(getattr(request, "rf_operation", ""), "The request")
    message = exc.message
    if exc.status is not None and not any(name in message for name in PSA_NAMES.values()):
        # The PSA's own wording (e.g. a 400 body's message): say who said it.
        tenant = getattr(request, "tenant", None)
        connection = tenant.connection if tenant is not None else None
        message = f"{psa_name(connection.provider if connection else None)} answered: {message}"
    return f"{action} failed: {message}"


def _error(request, status: int, detail: str, errors=None, headers=None):
    response = api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(PSAError)
def _psa_error(request, exc: PSAError):
    """PSA failure -> status (the README's "What a ConnectWise failure becomes"). The message names the
    operation and what ConnectWise did; the PSA's own 401 is never passed on as the caller's 401."""
    message = _psa_message(request, exc)
    if isinstance(exc, PSAValidationError):
        # Field names are the API's own: the provider reports the PSA's field errors in DTO names.
        errors = [{"field": e.field, "message": e.message} for e in exc.field_errors]
        return _error(request, 422, message, errors or [{"field": None, "message": exc.message}])
    if isinstance(exc, PSANotFoundError):
        return _error(request, 404, message)
    if isinstance(exc, PSAPermissionError):
        # The caller is allowed; the PSA's API member is not. Still a 403: retrying cannot help.
        return _error(request, 403, message)
    if isinstance(exc, PSAConflictError):
        return _error(request, 409, message)
    if isinstance(exc, PSARateLimitedError):
        seconds = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER_SECONDS
        return _error(request, 429, message, headers={"Retry-After": str(max(1, math.ceil(seconds)))})
    if isinstance(exc, PSATimeoutError):
        return _error(request, 504, message)
    if isinstance(exc, PSAUnavailableError):
        # The PSA answered with a server error -> bad gateway; no (usable) answer at all, or 503 -> unavailable.
        status = 503 if exc.status in (None, 503) else 502
        retry_after = getattr(exc, "retry_after", None)  # an open circuit breaker says when it retries
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
        return _error(request, status, message, headers=headers)
    if isinstance(exc, PSAAuthError):
        return _error(request, 502, message)  # our stored credentials are wrong: not the caller's 401
    return _error(request, 502, message)


@api.exception_handler(service.NoPSAConnection)
def _no_connection(request, exc):
    return _error(request, 409, exc.message)


@api.exception_handler(service.IdempotencyInFlight)
def _in_flight(request, exc):
    return _error(request, 409, exc.message, headers={"Retry-After": "1"})


@api.exception_handler(service.MemberMappingRequired)
def _mapping_required(request, exc):
    return _error(request, 422, exc.message, [{"field": "assigned", "message": exc.message}])


def _loc_field(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "data", "filters")]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        message = str(error.get("msg", "Invalid value"))
        message = message.removeprefix("Value error, ")
        errors.append({"field": _loc_field(error.get("loc", ())), "message": message})
    summary = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return _error(request, 422, f"Invalid input: {summary}" if summary else "Invalid input", errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc: AuthenticationError):
    detail = exc.message if exc.message != "Unauthorized" else "Authentication required: sign in or send Authorization: Bearer <token>"
    return _error(request, 401, detail, headers={"WWW-Authenticate": "Bearer"})


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "Not found")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _error(request, 413, "The request body is too large")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return _error(request, 400, "The request could not be read")


@api.exception_handler(UnicodeDecodeError)
def _undecodable(request, exc):
    return _error(request, 400, "The request body is not valid UTF-8")


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return _error(request, 500, "Internal error")


# --- helpers -------------------------------------------------------------------------------


def _tenant(request) -> Tenant:
    """The caller's tenant (session or token user); 403 when the user belongs to no account.

    A session caller's tenant is the one the middleware resolved; a token caller is only known
    after authentication, so theirs is resolved here (once per request)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.user is None or tenant.user.pk != request.auth.pk:
        tenant = request.tenant = tenant_for(request.auth)
    if tenant.account is None:
        raise HttpError(403, "Your user does not belong to an account")
    return tenant


# --- tickets -----------------------------------------------------------------------------------


class TicketQuery(Schema):
    search: str = Field("", max_length=service.SEARCH_MAX)
    board: int | None = Field(None, gt=0, le=service.ID_MAX)
    status: int | None = Field(None, gt=0, le=service.ID_MAX)
    priority: int | None = Field(None, gt=0, le=service.ID_MAX)
    company: int | None = Field(None, gt=0, le=service.ID_MAX)
    assigned: str = Field("all", max_length=20, description='"me", "unassigned", "all" or a member id')
    closed: bool = False
    page: int = Field(1, ge=1, le=service.MAX_PAGE)
    page_size: int = Field(service.DEFAULT_PAGE_SIZE, ge=1, le=service.MAX_PAGE_SIZE)


@api.get("/tickets", response=_responses(_200=TicketListResponse), tags=["tickets"])
def search_tickets(request, filters: Query[TicketQuery]):
    """Search tickets: most urgent first, then newest; `total` counts every match."""
    ticket_filters = service.TicketFilters(
        search=filters.search, board=filters.board, status=filters.status, priority=filters.priority,
        company=filters.company, assigned=filters.assigned, closed=filters.closed,
    )
    return service.search_tickets(_tenant(request), ticket_filters, page=filters.page, page_size=filters.page_size)


@api.post("/tickets/ai-parse", response=_responses(_200=AiParseResponse), tags=["tickets"])
def ai_parse(request, data: AiParseRequest):
    """Pre-fill a ticket from a free-text prompt (never creates a ticket)."""
    tenant = _tenant(request)
    try:
        count_ai_request(request.auth, tenant.account)  # the limit every AI entry point shares
    except AiRateLimited as limited:
        return _error(request, 429, limited.message, headers={"Retry-After": str(limited.retry_after)})
    try:
        return parse_ticket_prompt(tenant, data.prompt)
    except ValueError as exc:
        return _error(request, 422, str(exc), [{"field": "prompt", "message": str(exc)}])


@api.get("/tickets/{ticket_id}", response=_responses(_200=PSATicketDetail), tags=["tickets"])
def get_ticket(request, ticket_id: int = TicketId):
    return service.get_ticket(_tenant(request), ticket_id)


@api.post("/tickets", response=_responses(_201=PSATicketCreated), tags=["tickets"])
def create_ticket(request, payload: TicketCreatePayload,
                  idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    """Create a ticket. Send an `Idempotency-Key` header to make retries safe: the same key returns the
    first result; a retry while the first attempt is still running gets 409. An empty key is a 400."""
    if idempotency_key is not None and not idempotency_key.strip():
        # A client that sends the header means to be protected from duplicates: creating without that
        # protection (as if no key were sent) would silently break the promise it asked for.
        return _error(request, 400, EMPTY_IDEMPOTENCY_KEY, [{"field": "Idempotency-Key", "message": EMPTY_IDEMPOTENCY_KEY}])
    tenant = _tenant(request)
    validation.check_create(tenant.reference(*ALL_PARTS), payload)
    return Status(201, service.create_ticket(tenant, payload, idempotency_key=idempotency_key))


@api.patch("/tickets/{ticket_id}/status", response=_responses(_200=PSATicketStatusUpdate), tags=["tickets"])
def update_status(request, data: StatusUpdateIn, ticket_id: int = TicketId):
    tenant = _tenant(request)
    validation.check_status(tenant.reference("boards"), data.status_id)
    return service.update_status(tenant, ticket_id, data.status_id)


@api.get("/tickets/{ticket_id}/resources", response=_responses(_200=list[PSAResource]), tags=["tickets"])
def list_resources(request, ticket_id: int = TicketId):
    return service.list_resources(_tenant(request), ticket_id)


@api.post("/tickets/{ticket_id}/resources", response=_responses(_201=PSAResource), tags=["tickets"])
def add_resource(request, data: ResourceIn, ticket_id: int = TicketId):
    tenant = _tenant(request)
    validation.check_member(tenant.reference("members"), data.member_id)
    return Status(201, service.add_resource(tenant, ticket_id, data.member_id))


@api.delete("/tickets/{ticket_id}/resources/{member_id}", response=_responses(_204=None), tags=["tickets"])
def remove_resource(request, ticket_id: int = TicketId, member_id: int = MemberId,
                    new_primary_id: int | None = Query(None, gt=0, le=service.ID_MAX)):
    """Unassign a member. On Autotask, removing the primary resource of a ticket others are assigned to
    answers 409 (nothing changed) with one error per resource that may become primary
    (``{"field": "new_primary_id", "message": "<member id>: <name>"}``); repeat with ``?new_primary_id=``."""
    try:
        service.remove_resource(_tenant(request), ticket_id, member_id, new_primary_id=new_primary_id)
    except PSAChoosePrimaryError as ask:
        errors = [{"field": "new_primary_id", "message": f"{c.member_id}: {c.member_name}"} for c in ask.candidates]
        return _error(request, 409, ask.message, errors)
    return Status(204, None)


# --- reference data ----------------------------------------------------------------------------


@api.get("/boards", response=_responses(_200=list[PSABoard]), tags=["reference data"])
def list_boards(request):
    return _tenant(request).reference("boards").boards


@api.get("/boards/{board_id}/statuses", response=_responses(_200=list[PSAStatus]), tags=["reference data"])
def list_statuses(request, board_id: int = BoardId):
    reference = _tenant(request).reference("boards")
    if reference.board(board_id) is None:
        return _error(request, 404, f"Unknown board id {board_id}")
    return reference.statuses(board_id)


@api.get("/priorities", response=_responses(_200=list[PSAPriority]), tags=["reference data"])
def list_priorities(request):
    return _tenant(request).reference("priorities").priorities


@api.get("/members", response=_responses(_200=list[PSAMember]), tags=["reference data"])
def list_members(request):
    """PSA members; those mapped to ResolutionFlow users first (`is_rf_user`)."""
    return _tenant(request).reference("members").members


@api.get("/companies", response=_responses(_200=list[PSACompany]), tags=["reference data"])
def search_companies(request, search: str = Query("", max_length=service.SEARCH_MAX), limit: int = Query(25, ge=1, le=service.MAX_PAGE_SIZE)):
    return service.search_companies(_tenant(request), search, limit)


@api.get("/member-mappings", response=_responses(_200=MemberMappingsOut), tags=["reference data"])
def member_mappings(request):
    """The account's user -> PSA member mappings, and whether the current user is mapped."""
    tenant = _tenant(request)
    mappings = [
        MemberMappingOut(user_id=m.user_id, username=m.user.get_username(), psa_member_id=m.psa_member_id,
                         identifier=m.identifier, name=m.name)
        for m in tenant.mappings
    ]
    mine = next((m for m in mappings if m.user_id == request.auth.pk), None)
    return MemberMappingsOut(mappings=mappings, current_user_mapped=mine is not None, current_user_mapping=mine)


api.add_router("/", "tickets.api_views.router")  # saved views and spin-off back-links (tickets/api_views.py)
api.add_router("", "tickets.api_work.router")  # time entries, timer, inline edits (issue 19): tickets/api_work.py
