"""Personal API tokens and idempotency records for ticket creation.

* ``APIToken``: a personal token for the JSON API (``Authorization: Bearer rf_…``). Only a SHA-256
  hash is stored; the raw token is shown once, at creation. A token acts as its user, inside that
  user's account, until ``revoked_at`` is set.
* ``IdempotencyRecord``: one row per (account, user, Idempotency-Key) for ticket creation; see
  ``tickets.service.create_ticket`` for the state machine.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "rf_"
PREFIX_LENGTH = 10  # shown in lists ("rf_AbCdEfG") so a user can tell tokens apart
LAST_USED_RESOLUTION = timedelta(minutes=1)  # avoid a write on every request


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class APIToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.user}, {state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[APIToken, str]:
        """Creates a token and returns it with the raw value (the only time the raw value exists)."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:PREFIX_LENGTH], token_hash=hash_token(raw))
        return token, raw

    @classmethod
    def authenticate(cls, raw: str | None) -> APIToken | None:
        """The active token for ``raw`` (and touches ``last_used``), or None."""
        if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        token = (
            cls.objects.select_related("user")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            cls.objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class IdempotencyRecord(models.Model):
    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"
        FAILED = "failed", "Failed (the PSA refused; safe to retry)"
        UNKNOWN = "unknown", "Unknown (the PSA did not answer; the ticket may exist)"

    account = models.ForeignKey("psa.Account", on_delete=models.CASCADE, related_name="idempotency_records")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    ticket_id = models.IntegerField(null=True, blank=True)
    response_json = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    attempt_started = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user", "key"], name="one_record_per_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state}, ticket {self.ticket_id})"
