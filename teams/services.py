"""Teams: the first account, invitations, roles and removal. Views call these; they own the rules.

Rules an MSP expects (and the tests hold):

* First-run setup exists only while the deployment has no account at all: on a shared deployment a
  stranger who signs in must not be able to open a team of their own (operators add further
  accounts with ``manage.py setup``).
* A user belongs to at most one account (``Membership.user`` is unique); an invitation for someone
  already in a team is refused with a clear message, not silently moved.
* An account always keeps an admin: the last admin can be neither demoted nor removed.
* Removing a member deletes their membership and member mapping, revokes their API tokens and ends
  their sessions; their Assist sessions stay with the account (they are the team's history).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psa.models import Account, MemberMapping, Membership
from teams.models import Invitation, hash_token
from teams.sessions import end_sessions
from tickets.models import APIToken


class TeamError(Exception):
    """A team change that the rules refuse; ``message`` is shown to the user as is."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def setup_is_open() -> bool:
    """First-run setup: only while no account exists."""
    return not Account.objects.exists()


def create_account(user, name: str) -> Account:
    """A new account named ``name`` with ``user`` as its admin."""
    name = (name or "").strip()
    if not name:
        raise TeamError("Enter your team's name (usually the MSP's name).")
    with transaction.atomic():
        if Membership.objects.filter(user=user).exists():
            raise TeamError("You are already in a team.")
        account = Account.objects.create(name=name)
        try:
            Membership.objects.create(account=account, user=user, role=Membership.Role.ADMIN)
        except IntegrityError:  # joined another team meanwhile (Membership.user is unique)
            raise TeamError("You are already in a team.") from None
    return account


# --- members ----------------------------------------------------------------------------------


def members(account: Account) -> list[Membership]:
    """The account's members, admins first, with their user and PSA mapping (two queries)."""
    memberships = list(
        Membership.objects.filter(account=account).select_related("user").order_by("role", "user__username")
    )
    mapped = {m.user_id: m for m in MemberMapping.objects.filter(account=account)}
    for membership in memberships:
        membership.mapping = mapped.get(membership.user_id)
    return memberships


def _membership(account: Account, membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(account=account, pk=membership_id).first()
    if membership is None:
        raise TeamError("That person is not in your team (any more).")
    return membership


def _other_admins(account: Account, membership: Membership) -> bool:
    return Membership.objects.filter(account=account, role=Membership.Role.ADMIN).exclude(pk=membership.pk).exists()


def change_role(account: Account, membership_id: int, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise TeamError("Choose a role: Admin or Member.")
    with transaction.atomic():
        membership = _membership(account, membership_id)
        # Lock the account's admin rows so two admins demoting each other cannot both succeed.
        list(Membership.objects.select_for_update().filter(account=account, role=Membership.Role.ADMIN))
        if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN and not _other_admins(account, membership):
            raise TeamError("A team needs at least one admin: make someone else an admin first.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@dataclass(frozen=True)
class Removal:
    username: str
    tokens_revoked: int
    sessions_ended: int


def remove_member(account: Account, membership_id: int, *, by) -> Removal:
    """Takes a member out of the account: membership, mapping, API tokens and sessions."""
    with transaction.atomic():
        membership = _membership(account, membership_id)
        if membership.user_id == by.pk:
            raise TeamError("You cannot remove yourself. Another admin can.")
        list(Membership.objects.select_for_update().filter(account=account, role=Membership.Role.ADMIN))
        if membership.role == Membership.Role.ADMIN and not _other_admins(account, membership):
            raise TeamError("A team needs at least one admin.")
        user = membership.user
        MemberMapping.objects.filter(account=account, user=user).delete()
        membership.delete()
        tokens = APIToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    sessions = end_sessions(user)
    return Removal(user.get_username(), tokens, sessions)


# --- invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    link: str  # the absolute accept link, shown to the admin once
    emailed: bool


def pending_invitations(account: Account) -> list[Invitation]:
    now = timezone.now()
    return list(
        Invitation.objects.filter(account=account, accepted_at__isnull=True, revoked_at__isnull=True, expires__gt=now)
        .select_related("created_by")
    )


def invite(account: Account, *, by, email: str, role: str, build_absolute_uri) -> InvitationSent:
    """A single-use invitation; mailed when an email backend is configured and an address was given."""
    email = (email or "").strip()
    if role not in Membership.Role.values:
        raise TeamError("Choose a role: Admin or Member.")
    if email and Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise TeamError(f"{email} is already in your team.")
    invitation, raw = Invitation.issue(account, by=by, email=email, role=role)
    link = build_absolute_uri(reverse("accept_invitation", args=[raw]))
    emailed = False
    if email and settings.EMAIL_CONFIGURED:
        send_mail(
            f"Join {account.name} on ResolutionFlow",
            f"{by.get_full_name() or by.get_username()} invited you to {account.name} on ResolutionFlow.\n\n"
            f"Accept the invitation (valid for 7 days, single use):\n{link}\n",
            None,
            [email],
        )
        emailed = True
    return InvitationSent(invitation, link, emailed)


def revoke_invitation(account: Account, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.filter(account=account, pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        raise TeamError("That invitation is no longer pending.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


INVITATION_PROBLEMS = {
    Invitation.State.ACCEPTED: "This invitation has already been used. Ask your admin for a new one if you still need to join.",
    Invitation.State.REVOKED: "This invitation was withdrawn by your admin. Ask them for a new one.",
    Invitation.State.EXPIRED: "This invitation has expired. Ask your admin for a new one.",
}


def accept_invitation(raw: str, user) -> Account:
    """``user`` joins the invitation's account with its role; the invitation is used up."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("account").filter(
            token_hash=hash_token(raw or "")).first()
        if invitation is None:
            raise TeamError("This invitation link is not valid. Check that you copied all of it.")
        if not invitation.is_pending:
            raise TeamError(INVITATION_PROBLEMS[invitation.state])
        current = Membership.objects.filter(user=user).select_related("account").first()
        if current is not None:
            raise TeamError(f"You are already in {current.account.name}. Sign in as another user to join "
                            f"{invitation.account.name}, or ask an admin of {current.account.name} to remove you first.")
        Membership.objects.create(account=invitation.account, user=user, role=invitation.role)
        if invitation.email and not user.email:
            user.email = invitation.email
            user.save(update_fields=["email"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation.account


# --- password reset links ---------------------------------------------------------------------


def password_reset_link(user, build_absolute_uri) -> str:
    """Django's own password reset link for ``user`` (valid for PASSWORD_RESET_TIMEOUT, single use)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return build_absolute_uri(reverse("password_reset_confirm", args=[uid, token]))
