"""Personal API tokens and idempotency records for ticket creation.

* ``APIToken``: a personal token for the JSON API (``Authorization: Bearer rf_…``). Only a SHA-256
  hash is stored; the raw token is shown once, at creation. A token acts as its user, inside that
  user's account, until ``revoked_at`` is set.
* ``IdempotencyRecord``: one row per (account, user, Idempotency-Key) for ticket creation; see
  ``tickets.service.create_ticket`` for the state machine.
* ``RunningTimer``: a user's running time-entry timer on a ticket (one per user, kept server-side so
  every tab and device sees it); see ``tickets.service.time``.
* ``SavedView`` / ``DefaultSavedView``: named queue filters, personal or shared with the account, and
  each user's default for ``/tickets``; see ``tickets.service.saved_views``.
* ``SpinOffLink``: the back-link notes between a ticket spun off from Assist and its original, so a
  failed note can be retried without ever writing it twice; see ``tickets.service.backlinks``.
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


SAVED_VIEW_NAME_MAX = 80
SAVED_VIEW_QUERY_MAX = 1000  # the normalised filter query string; every filter at its longest fits


class SavedView(models.Model):
    """A named queue filter: ``query`` is the /tickets query string, normalised (filters only, fixed order).

    Personal (``shared`` False: only the owner sees it) or shared with the account (every member sees it;
    the owner and the account's admins change it). ``position`` orders the owner's personal views, and
    the account's shared views, each group on its own."""

    account = models.ForeignKey("psa.Account", on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=SAVED_VIEW_NAME_MAX)
    query = models.CharField(max_length=SAVED_VIEW_QUERY_MAX, blank=True, default="")
    shared = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "owner", "name"], name="one_saved_view_name_per_owner"),
        ]
        indexes = [models.Index(fields=["account", "shared", "position"])]

    def __str__(self) -> str:
        return f"{self.name} ({'shared' if self.shared else 'personal'}: ?{self.query})"


class DefaultSavedView(models.Model):
    """The view a user's bare ``/tickets`` opens. A row of its own (not a flag on ``SavedView``): a user may
    choose a colleague's shared view, and each user has at most one; deleting the view deletes the choice."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="default_saved_view")
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="default_for")

    def __str__(self) -> str:
        return f"{self.user} -> {self.view_id}"


class SpinOffLink(models.Model):
    """A ticket spun off from an Assist session and the session's ticket, with the two back-link notes.

    A note id is set once its note is confirmed in the PSA; a retry writes only the missing ones (after
    looking for a note an unanswered attempt may have written), so neither ticket ever gets a note twice."""

    account = models.ForeignKey("psa.Account", on_delete=models.CASCADE, related_name="spin_off_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    original_ticket_id = models.PositiveIntegerField()
    spin_off_ticket_id = models.PositiveIntegerField()
    original_summary = models.CharField(max_length=200, blank=True, default="")
    spin_off_summary = models.CharField(max_length=200, blank=True, default="")
    origin_url = models.CharField(max_length=500, blank=True, default="")  # the Assist session's absolute link
    original_note_id = models.PositiveIntegerField(null=True, blank=True)  # "Spin-off #M created: ..." on #N
    spin_off_note_id = models.PositiveIntegerField(null=True, blank=True)  # "Spun off from #N ..." on #M
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "spin_off_ticket_id"], name="one_link_per_spin_off"),
        ]

    def __str__(self) -> str:
        return f"#{self.spin_off_ticket_id} spun off from #{self.original_ticket_id}"

    @property
    def complete(self) -> bool:
        return self.original_note_id is not None and self.spin_off_note_id is not None


class RunningTimer(models.Model):
    """The timer a user started on a ticket: one per user (starting another asks to stop this one first).

    ``account`` is the account it was started in: only that account's pages show it. ``summary`` is the
    ticket's summary when it was started, for the sidebar ("#1234 Printer offline") without a PSA call."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="running_timer")
    account = models.ForeignKey("psa.Account", on_delete=models.CASCADE, related_name="running_timers")
    ticket_id = models.PositiveIntegerField()
    summary = models.CharField(max_length=100, blank=True, default="")
    started = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} on #{self.ticket_id} since {self.started:%Y-%m-%d %H:%M}"


# --- bulk actions run in chunks (issue 19) -----------------------------------------------------------------


class BulkJob(models.Model):
    """A bulk action on the queue, run a chunk of tickets per request so the bar can say "7 of 20 done".

    ``ticket_ids`` in the order chosen; ``outcomes`` ``{"<id>": {"outcome", "message", "retryable"}}`` for
    the tickets finished; ``claimed`` ``{"<id>": "<ISO time>"}`` for the tickets a request is working on.
    ``version`` makes claiming and recording a compare-and-set, so two requests never run one ticket at
    once (and every operation skips what is already done, so nothing is applied twice). See
    ``tickets.service.bulk``."""

    id = models.UUIDField(primary_key=True)
    account = models.ForeignKey("psa.Account", on_delete=models.CASCADE, related_name="bulk_jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_jobs")
    action = models.CharField(max_length=16)
    value = models.CharField(max_length=200, blank=True, default="")
    text = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=16, blank=True, default="internal")
    ticket_ids = models.JSONField(default=list)
    outcomes = models.JSONField(default=dict)
    claimed = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.action} on {len(self.ticket_ids)} tickets ({len(self.outcomes)} done)"

    @property
    def finished(self) -> bool:
        return len(self.outcomes) >= len(self.ticket_ids)
