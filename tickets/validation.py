"""Boundary checks of ids against the account's PSA reference data.

The HTML views and the JSON API call these once, on the way in, so ``tickets.service`` and the
provider receive ids that exist. Each raises ``InvalidInput`` (422 with field errors) naming the
field as the caller spelled it.
"""

from __future__ import annotations

from psa.providers.base import FieldError
from psa.reference import Reference
from psa.schemas import TicketCreatePayload
from tickets.service.drawer import MAX_CONFIGURATION_IDS
from tickets.service.errors import InvalidInput
from tickets.service.queue import ID_MAX


def check_create(reference: Reference, payload: TicketCreatePayload) -> None:
    """Every id of a new ticket, so bad ids get field errors instead of a PSA 400."""
    errors: list[FieldError] = []
    if reference.board(payload.board_id) is None:
        errors.append(FieldError("board_id", f"Unknown board id {payload.board_id}"))
    elif reference.status(payload.status_id, payload.board_id) is None:
        errors.append(FieldError("status_id", f"Status {payload.status_id} does not belong to board {payload.board_id}"))
    if reference.priority(payload.priority_id) is None:
        errors.append(FieldError("priority_id", f"Unknown priority id {payload.priority_id}"))
    if payload.assigned_member_id is not None and reference.member(payload.assigned_member_id) is None:
        errors.append(FieldError("assigned_member_id", f"Unknown member id {payload.assigned_member_id}"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), field_errors=errors)


def check_status(reference: Reference, status_id: int, field: str = "status_id") -> None:
    if reference.status(status_id) is None:
        raise InvalidInput(f"Unknown status id {status_id}", field=field)


def check_member(reference: Reference, member_id: int, field: str = "member_id") -> None:
    if reference.member(member_id) is None:
        raise InvalidInput(f"Unknown member id {member_id}", field=field)


def check_configuration_ids(config_ids: list[int]) -> None:
    if len(config_ids) > MAX_CONFIGURATION_IDS:
        raise InvalidInput(f"At most {MAX_CONFIGURATION_IDS} configurations at a time", field="ids")
    if any(not 1 <= config_id <= ID_MAX for config_id in config_ids):
        raise InvalidInput("Configuration ids must be positive 32-bit integers", field="ids")
