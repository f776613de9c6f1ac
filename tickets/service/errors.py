"""Errors the ticket service raises besides the PSA's own (``psa.providers.base.PSAError``)."""

from __future__ import annotations

from psa.providers.base import FieldError, PSAValidationError
from psa.tenancy import MemberMappingRequired, NoPSAConnection

__all__ = ["IdempotencyInFlight", "InvalidInput", "MemberMappingRequired", "NoPSAConnection"]


class IdempotencyInFlight(Exception):
    """The same Idempotency-Key is still being processed (API: 409)."""

    def __init__(self, message: str = "A request with this Idempotency-Key is still being processed; retry shortly."):
        self.message = message
        super().__init__(message)


class InvalidInput(PSAValidationError, ValueError):
    """Input that names something the PSA does not have (API: 422 with field errors).

    Raised by the boundary checks (``tickets.service.checks``) and by filter resolution, with the
    same field-error shape as the PSA's own validation errors.
    """

    def __init__(self, message: str, *, field: str | None = None, field_errors: list[FieldError] | None = None):
        errors = field_errors if field_errors is not None else [FieldError(field, message)]
        super().__init__(message, status=None, field_errors=errors)
