"""AI ticket parse: a sentence in, a pre-filled (never created) ticket draft out.

    parse_ticket_prompt(tenant, "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")
    -> AiParseResponse(summary="Outlook not syncing", company_id=250, priority_id=2, assigned_member_id=101,
                       board_id=None, status_id=None, missing_fields=["board_id", "status_id"],
                       warnings=["Could not determine board from context"])

An engine extracts *words* (``tickets.ai.extract`` offline, ``tickets.ai.anthropic_engine`` when
``ANTHROPIC_API_KEY`` is set); ``tickets.ai.resolve`` turns them into IDs against the account's PSA
reference data (``tenant.reference()``, cached per account). Parsing only reads: it never
creates a ticket. The JSON endpoint and the HTML Quick Create both call ``parse_ticket_prompt``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings

from psa.ratelimit import RateLimit
from psa.reference import Reference
from psa.schemas import PROMPT_MAX, AiParseResponse, PSABoard, PSACompany
from psa.tenancy import Tenant
from tickets.ai.anthropic_engine import FALLBACK_WARNING, AnthropicEngine
from tickets.ai.extract import Extraction, OfflineEngine, extract_offline, split_summary
from tickets.ai.resolve import NO_MAPPING_WARNING, REQUIRED_FIELDS, ParseReference, resolve

EMPTY_PROMPT_MESSAGE = "Describe the ticket in a sentence or two"
TOO_LONG_MESSAGE = f"Keep the description under {PROMPT_MAX:,} characters"
AI_PARSE_PER_MINUTE_DEFAULT = 20


class Engine(Protocol):
    name: str

    def extract(self, prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = ()) -> Extraction:
        ...


def engine_from_settings() -> Engine:
    """Anthropic when ``ANTHROPIC_API_KEY`` is set (its client is pooled per configuration), else offline."""
    api_key = getattr(settings, "ANTHROPIC_API_KEY", "") or ""
    if not api_key:
        return OfflineEngine()
    return AnthropicEngine(api_key=api_key, model=settings.ANTHROPIC_MODEL,
                           timeout=float(settings.ANTHROPIC_TIMEOUT_SECONDS))


def parse_retry_after(user) -> int:
    """Count one parse for ``user``: the seconds to wait when it is over ``AI_PARSE_PER_MINUTE`` (default 20)
    in a minute, else 0."""
    per_minute = getattr(settings, "AI_PARSE_PER_MINUTE", AI_PARSE_PER_MINUTE_DEFAULT)
    return RateLimit("ai-parse", limit=per_minute, window_seconds=60).hit(user.pk)


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
    subclasses when the PSA reference data cannot be read. Priorities and members are read only when
    the prompt names a priority or someone."""
    prompt = validate_prompt(prompt)
    engine = engine or engine_from_settings()
    reference = reference or tenant.reference("boards", "companies")
    extraction = engine.extract(prompt, reference.companies, reference.boards)
    mapping = tenant.mapping
    return resolve(extraction, reference, me_member_id=mapping.psa_member_id if mapping else None)


def _names_someone(extraction: Extraction) -> bool:
    ref = (extraction.assignee_ref or "").strip().lower()
    return bool(ref) and ref not in ("me", "myself", "mine", "i")


__all__ = [
    "AI_PARSE_PER_MINUTE_DEFAULT", "AiParseResponse", "AnthropicEngine", "EMPTY_PROMPT_MESSAGE", "Engine", "Extraction",
    "FALLBACK_WARNING", "NO_MAPPING_WARNING", "OfflineEngine", "ParseReference", "REQUIRED_FIELDS", "TOO_LONG_MESSAGE",
    "engine_from_settings", "extract_offline", "parse_retry_after", "parse_ticket_prompt", "resolve", "split_summary",
    "validate_prompt",
]
