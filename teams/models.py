"""Invitations into an account, and which sessions belong to whom.

The account and its memberships live in ``psa.models`` (tenancy is resolved there on every request);
this app adds how people get in and out: an admin invites a colleague with a single-use link, and
removing a member ends their sessions (``UserSession``) and revokes their API tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from psa.models import Account, Membership

INVITATION_LIFETIME = timedelta(days=7)
TOKEN_BYTES = 32


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use link into ``account``. Only the token's hash is stored: the link is shown (or
    mailed) once, when it is made, and cannot be recovered from the database."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True, default="")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Invitation to {self.account} for {self.email or 'a link'} ({self.state})"

    @classmethod
    def issue(cls, account: Account, *, by, email: str = "", role: str = Membership.Role.MEMBER) -> tuple[Invitation, str]:
        """A new pending invitation and its raw token (the only time the raw token exists)."""
        raw = secrets.token_urlsafe(TOKEN_BYTES)
        invitation = cls.objects.create(
            account=account, email=email, role=role, token_hash=hash_token(raw), created_by=by,
            expires=timezone.now() + INVITATION_LIFETIME,
        )
        return invitation, raw

    @classmethod
    def for_token(cls, raw: str) -> Invitation | None:
        """The invitation a link points at, whatever its state; None for a token nobody issued."""
        if not raw or len(raw) > 100:
            return None
        return cls.objects.select_related("account").filter(token_hash=hash_token(raw)).first()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING


class UserSession(models.Model):
    """A signed-in session of a user (recorded at sign-in), so removing a member can end it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Session of {self.user} since {self.created:%Y-%m-%d %H:%M}"  # never the key itself
