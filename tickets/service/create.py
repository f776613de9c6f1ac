"""Ticket creation that a retry can never turn into two tickets (the ``Idempotency-Key`` state machine)."""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from psa.providers.base import PSAError, PSAProvider, PSARateLimitedError, PSAUnavailableError
from psa.schemas import PSATicketCreated, PSATicketSearchResult, TicketCreatePayload
from psa.tenancy import Tenant
from tickets.models import IdempotencyRecord
from tickets.service.drawer import enrich_resources
from tickets.service.errors import IdempotencyInFlight, InvalidInput

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_MAX = 255
# An attempt still "in flight" after this long died with its process: treat it as unknown.
IN_FLIGHT_STALE_AFTER = timedelta(minutes=2)
# The mark a keyed create leaves on its ticket: this prefix and 64 hex digits (74 of the 100 characters
# ConnectWise's externalXRef holds).
EXTERNAL_REF_PREFIX = "rf-create:"
_EXTERNAL_REF_SALT = "tickets.service.create.external_ref"


def _enrich_created(tenant: Tenant, created: PSATicketCreated) -> PSATicketCreated:
    enrich_resources(tenant, created.resources)
    return created


def create_ticket(tenant: Tenant, payload: TicketCreatePayload, *, idempotency_key: str | None = None) -> PSATicketCreated:
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

    The payload's ids were checked at the boundary (the form or the API schema plus
    ``tickets.validation``); the PSA's own refusals arrive as ``PSAValidationError``.

    How an earlier attempt's ticket is found: every keyed create records ``external_ref(record)`` on
    the ticket itself (ConnectWise's ``externalXRef``), and a retry after an unknown outcome asks the
    PSA for the ticket carrying exactly that mark. Nothing about the summary matters (whitespace,
    quotes, Unicode, length), and no other request's ticket can match. The mark is an HMAC of
    account, user, key and record (never the raw ``Idempotency-Key``); a retry also tries the marks of
    ``SECRET_KEY_FALLBACKS``, so rotating ``SECRET_KEY`` between attempt and retry duplicates nothing.
    If the original attempt did not get to assign the requested member, it is assigned now.
    """
    provider = tenant.provider
    if not idempotency_key:
        return _enrich_created(tenant, provider.create_ticket(payload))

    key = idempotency_key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters", field="Idempotency-Key")
    user = tenant.user
    if user is None or not getattr(user, "pk", None):
        raise ValueError("An idempotency key needs the requesting user")
    request_hash = hashlib.sha256(payload.model_dump_json().encode()).hexdigest()

    record, is_new = _claim(tenant.account, user, key, request_hash)
    if isinstance(record, PSATicketCreated):
        return _enrich_created(tenant, record)
    if not is_new and record.state_before_claim == IdempotencyRecord.State.UNKNOWN:
        try:
            found = _find_created_ticket(provider, record, payload)
        except BaseException:
            set_state(record, IdempotencyRecord.State.UNKNOWN)
            raise
        if found is not None:
            return _finish(tenant, record, found)

    with recording_failure(record):
        created = provider.create_ticket(payload, external_ref=external_ref(record))
    return _finish(tenant, record, created)


@contextmanager
def recording_failure(record: IdempotencyRecord, *, refused: tuple[type[BaseException], ...] = ()):
    """Around a keyed PSA write (a ticket's create, a time entry's POST): when it raises, records what a
    retry with the same key may do. FAILED when the PSA surely applied nothing — it answered with a refusal
    (any ``PSAError`` but "unavailable", a rate limit included) or the input was refused (``refused``) — so
    the retry writes again; UNKNOWN when it may have (no definitive answer: a timeout, a 5xx, anything
    unexpected), so the retry first looks for the write it may have made."""
    try:
        yield
    except (PSARateLimitedError, *refused):  # a rate limit is an answer: nothing was written
        set_state(record, IdempotencyRecord.State.FAILED)
        raise
    except PSAUnavailableError:
        set_state(record, IdempotencyRecord.State.UNKNOWN)
        raise
    except PSAError:
        set_state(record, IdempotencyRecord.State.FAILED)
        raise
    except BaseException:
        set_state(record, IdempotencyRecord.State.UNKNOWN)
        raise


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


def set_state(record: IdempotencyRecord, state: str) -> None:
    record.state = state
    IdempotencyRecord.objects.filter(pk=record.pk).update(state=state)


def _finish(tenant: Tenant, record: IdempotencyRecord, created: PSATicketCreated) -> PSATicketCreated:
    record.state = IdempotencyRecord.State.DONE
    record.ticket_id = created.id
    record.response_json = created.model_dump(mode="json")
    record.save(update_fields=["state", "ticket_id", "response_json"])
    return _enrich_created(tenant, created)


def external_ref(record: IdempotencyRecord, secret: str | bytes | None = None) -> str:
    """The mark the ticket created for ``record`` carries in the PSA (``externalXRef``).

    An HMAC (keyed with ``SECRET_KEY``, or ``secret``) of account, user, key and record id: the same for
    every attempt of one request, different for any other key, user, account, deployment or record,
    and it does not reveal the ``Idempotency-Key``."""
    message = f"{record.account_id}:{record.user_id}:{record.pk}:{record.key}"
    digest = salted_hmac(_EXTERNAL_REF_SALT, message, secret=secret, algorithm="sha256").hexdigest()
    return EXTERNAL_REF_PREFIX + digest


def _find_created_ticket(provider: PSAProvider, record: IdempotencyRecord,
                         payload: TicketCreatePayload) -> PSATicketCreated | None:
    """The ticket an earlier attempt of ``record`` created, found by its mark (one GET; one more for
    each of ``SECRET_KEY_FALLBACKS`` while it is not found)."""
    secrets = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    refs = list(dict.fromkeys(external_ref(record, secret) for secret in secrets))
    for ref in refs:
        match = provider.find_ticket_by_external_ref(ref)
        if match is not None:
            logger.info("idempotent create: found ticket %s created by an earlier attempt", match.id)
            return _created_from_row(provider, match, payload)
    return None


def _created_from_row(provider: PSAProvider, row: PSATicketSearchResult, payload: TicketCreatePayload) -> PSATicketCreated:
    resources = provider.list_resources(row.id)
    if payload.assigned_member_id is not None and not any(r.member_id == payload.assigned_member_id for r in resources):
        resources.append(provider.add_resource(row.id, payload.assigned_member_id))
    return PSATicketCreated(
        id=row.id, summary=row.summary, board_name=row.board_name or "", status_name=row.status_name or "",
        priority_name=row.priority_name or "", company_name=row.company_name or "", resources=resources,
    )
