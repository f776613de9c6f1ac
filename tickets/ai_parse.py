"""AI ticket parse: a sentence in, a pre-filled (never created) ticket draft out.

    parse_ticket_prompt(tenant, "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")
    -> AiParseResponse(summary="Outlook not syncing", company_id=250, priority_id=2, assigned_member_id=101,
                       board_id=None, status_id=None, missing_fields=["board_id", "status_id"],
                       warnings=["Could not determine board from context"])

An engine extracts *words* (``tickets.ai.extract`` offline, ``tickets.ai.anthropic_engine`` when
``ANTHROPIC_API_KEY`` is set); ``tickets.ai.resolve`` turns them into IDs against the account's PSA
reference data (``tenant.reference()``, cached per account). Parsing only reads: it never
creates a ticket. The JSON endpoint and the HTML Quick Create both call ``parse_ticket_prompt``.

Importing this module (or the Anthropic engine's) does not import the ``anthropic`` SDK (about two seconds):
only building a client does, so with the offline engine no parse ever pays for it.

Every AI entry point — this parse (API and Quick Create) and Assist's chat messages and retries — is
guarded by one limit, :func:`count_ai_request`: per user and per account, counted in the shared cache
(with an Anthropic key each request is a paid call).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings

from psa.ratelimit import RateLimit
from psa.reference import Reference
from psa.schemas import PROMPT_MAX, AiParseResponse, PSABoard, PSACompany, PSAMember, PSAPriority
from psa.tenancy import Tenant
from tickets.ai.anthropic_engine import FALLBACK_WARNING, AnthropicEngine
from tickets.ai.extract import Extraction, OfflineEngine, extract_offline, split_summary
from tickets.ai.resolve import NO_MAPPING_WARNING, REQUIRED_FIELDS, ParseReference, resolve

EMPTY_PROMPT_MESSAGE = "Describe the ticket in a sentence or two"
TOO_LONG_MESSAGE = f"Keep the description under {PROMPT_MAX:,} characters"
AI_USER_REQUESTS_PER_MINUTE_DEFAULT = 20
AI_ACCOUNT_REQUESTS_PER_MINUTE_DEFAULT = 60
AI_WINDOW_SECONDS = 60


class Engine(Protocol):
    """Reads a prompt into words. A model engine also gets the priorities and members to choose among."""

    name: str

    def extract(self, prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = (), *,
                priorities: Sequence[PSAPriority] = (), members: Sequence[PSAMember] = ()) -> Extraction:
        ...


def engine_from_settings() -> Engine:
    """Anthropic when ``ANTHROPIC_API_KEY`` is set (its client is pooled per configuration), else offline."""
    api_key = getattr(settings, "ANTHROPIC_API_KEY", "") or ""
    if not api_key:
        return OfflineEngine()
    return AnthropicEngine(api_key=api_key, model=settings.ANTHROPIC_MODEL,
                           timeout=float(settings.ANTHROPIC_TIMEOUT_SECONDS))


def _chooses_among_names(engine: Engine) -> bool:
    """Whether the engine takes the priorities and members to choose among (the Anthropic engine does); the
    offline engine, and a wrapper that declares only (prompt, companies, boards), do not, and the priorities
    and members are then read only when the prompt names a priority or someone."""
    if isinstance(engine, OfflineEngine):
        return False
    return _declares_candidates(type(engine))


@functools.lru_cache(maxsize=32)
def _declares_candidates(engine_type: type) -> bool:
    parameters = inspect.signature(engine_type.extract).parameters
    return "priorities" in parameters and "members" in parameters


class AiRateLimited(Exception):
    """Too many AI requests: ``message`` is fit for the user, ``retry_after`` is in seconds (HTTP 429)."""

    def __init__(self, retry_after: int, message: str):
        self.retry_after = retry_after
        self.message = message
        super().__init__(message)


def count_ai_request(user, account) -> None:
    """Count one AI request (a parse, an Assist message or retry) for ``user`` and for ``account``; raise
    ``AiRateLimited`` when either is over its limit for the minute.

    Limits: ``AI_USER_REQUESTS_PER_MINUTE`` (20) per user, ``AI_ACCOUNT_REQUESTS_PER_MINUTE`` (60) per account,
    all users of the account together, so one account's users cannot run up an unbounded bill. Call it before
    the engine: a refused request costs nothing.
    """
    per_user = getattr(settings, "AI_USER_REQUESTS_PER_MINUTE", AI_USER_REQUESTS_PER_MINUTE_DEFAULT)
    wait = RateLimit("ai-user", limit=per_user, window_seconds=AI_WINDOW_SECONDS).hit(user.pk)
    if wait:
        raise AiRateLimited(wait, f"Too many AI requests: you can make {per_user} a minute (Quick Create and Assist "
                                  f"together). Try again in {_seconds(wait)}.")
    if account is None:
        return
    per_account = getattr(settings, "AI_ACCOUNT_REQUESTS_PER_MINUTE", AI_ACCOUNT_REQUESTS_PER_MINUTE_DEFAULT)
    wait = RateLimit("ai-account", limit=per_account, window_seconds=AI_WINDOW_SECONDS).hit(account.pk)
    if wait:
        raise AiRateLimited(wait, f"Too many AI requests from your account: its users can make {per_account} a minute "
                                  f"together. Try again in {_seconds(wait)}.")


def _seconds(wait: int) -> str:
    return f"{wait} second{'s' if wait != 1 else ''}"


def validate_prompt(prompt: object) -> str:
    """The stripped prompt, or ``ValueError`` with a message fit for the user (API: 422)."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(EMPTY_PROMPT_MESSAGE)
    if len(prompt) > PROMPT_MAX:
        raise ValueError(TOO_LONG_MESSAGE)
    return prompt.strip()


def parse_ticket_prompt(tenant: Tenant, prompt: str, *, engine: Engine | None = None,
                        reference: Reference | None = None) -> AiParseResponse:
    """Parse ``prompt`` into a ticket draft for the tenant's account. Raises ``ValueError`` for an empty,
    whitespace-only or over-long prompt, ``NoPSAConnection`` without a connection, and ``PSAError``
    subclasses when the PSA reference data cannot be read. With the offline engine, priorities and members
    are read only when the prompt names a priority or someone; a model engine gets them to choose among."""
    prompt = validate_prompt(prompt)
    engine = engine or engine_from_settings()
    reference = reference or tenant.reference("boards", "companies")
    if _chooses_among_names(engine):  # a model: it gets the priorities and members too (from the cached reference)
        extraction = engine.extract(prompt, reference.companies, reference.boards,
                                    priorities=reference.priorities, members=reference.members)
    else:
        extraction = engine.extract(prompt, reference.companies, reference.boards)
    mapping = tenant.mapping
    return resolve(extraction, reference, me_member_id=mapping.psa_member_id if mapping else None)


__all__ = [
    "AI_ACCOUNT_REQUESTS_PER_MINUTE_DEFAULT", "AI_USER_REQUESTS_PER_MINUTE_DEFAULT", "AiParseResponse", "AiRateLimited",
    "AnthropicEngine", "EMPTY_PROMPT_MESSAGE", "Engine", "Extraction", "FALLBACK_WARNING", "NO_MAPPING_WARNING",
    "OfflineEngine", "ParseReference", "REQUIRED_FIELDS", "TOO_LONG_MESSAGE", "count_ai_request", "engine_from_settings",
    "extract_offline", "parse_ticket_prompt", "resolve", "split_summary", "validate_prompt",
]
