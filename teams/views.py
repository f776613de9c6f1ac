"""Team pages: first-run setup, the team (members, roles, invitations), joining from an invitation.

``teams.services`` owns the rules (last admin, one team per user, single-use links); views parse,
call and render. The team page is one template whose sections (``members``, ``invitations``) are
also its htmx partials.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from psa.web import toast
from teams import services
from teams.forms import InviteForm, JoinForm, SetupForm
from teams.models import Invitation

logger = logging.getLogger(__name__)

TEAM_PAGE = "teams/team.html"


def no_team(request, status: int = 403):
    """The page for a signed-in user who belongs to no account (every URL shows it; see the middleware)."""
    return render(request, "teams/no_team.html", status=status)


@require_http_methods(["GET", "POST"])
def setup(request):
    """First run: name the team; the user becomes its admin and goes on to connect ConnectWise."""
    if request.tenant.account is not None:
        return redirect("integrations")
    if not services.setup_is_open():
        return no_team(request)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_account(request.user, form.cleaned_data["name"])
        except services.TeamError as error:
            form.add_error(None, error.message)
        else:
            logger.info("Account %s created by user=%s (first-run setup)", account.pk, request.user.pk)
            messages.success(request, f"Team {account.name} created. Next: connect ConnectWise.")
            return redirect("integrations")
    return render(request, "teams/setup.html", {"form": form}, status=422 if form.errors else 200)


# --- the team page ----------------------------------------------------------------------------


def _account(request):
    account = request.tenant.account
    if account is None:
        raise Http404("No account")
    return account


def _require_admin(request):
    if not request.tenant.is_admin:
        raise PermissionDenied("Only account admins can change the team")


def _team_context(request, **extra) -> dict:
    account = _account(request)
    is_admin = request.tenant.is_admin
    context = {
        "members": services.members(account),
        "is_admin": is_admin,
        "roles": Invitation._meta.get_field("role").choices,
        "email_configured": settings.EMAIL_CONFIGURED,
    }
    if is_admin:
        context["invitations"] = services.pending_invitations(account)
        context.setdefault("invite_form", InviteForm())
    context.update(extra)
    return context


def _render_section(request, section: str, *, status: int = 200, message: str | None = None, **extra):
    template = f"{TEAM_PAGE}#{section}" if request.htmx else TEAM_PAGE
    response = render(request, template, _team_context(request, **extra), status=status)
    return toast(response, message) if message else response


@require_GET
@vary_on_headers("HX-Request")
def team(request):
    return render(request, TEAM_PAGE, _team_context(request))


@require_POST
def invite(request):
    """Admins: a single-use invitation. Mailed when email is configured and an address given;
    otherwise (and always, once) the link is shown to copy."""
    account = _account(request)
    _require_admin(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _render_section(request, "invitations", status=422, invite_form=form)
    try:
        sent = services.invite(account, by=request.user, email=form.cleaned_data["email"],
                               role=form.cleaned_data["role"], build_absolute_uri=request.build_absolute_uri)
    except services.TeamError as error:
        form.add_error("email", error.message)
        return _render_section(request, "invitations", status=422, invite_form=form)
    logger.info("Invitation %s to account=%s by user=%s (emailed=%s)", sent.invitation.pk, account.pk,
                request.user.pk, sent.emailed)
    who = sent.invitation.email or "a colleague"
    message = f"Invitation emailed to {who}" if sent.emailed else f"Invitation link for {who} created: copy it now"
    return _render_section(request, "invitations", message=message, new_invitation=sent)


@require_POST
def revoke_invitation(request, invitation_id: int):
    account = _account(request)
    _require_admin(request)
    try:
        invitation = services.revoke_invitation(account, invitation_id)
    except services.TeamError as error:
        return _render_section(request, "invitations", status=422, invitations_error=error.message)
    return _render_section(request, "invitations", message=f"Invitation for {invitation.email or 'a link'} withdrawn")


@require_POST
def member_role(request, membership_id: int):
    account = _account(request)
    _require_admin(request)
    try:
        membership = services.change_role(account, membership_id, request.POST.get("role", ""))
    except services.TeamError as error:
        return _render_section(request, "members", status=422, members_error=error.message)
    return _render_section(request, "members",
                           message=f"{membership.user.get_username()} is now {membership.get_role_display().lower()}")


@require_POST
def member_remove(request, membership_id: int):
    account = _account(request)
    _require_admin(request)
    try:
        removal = services.remove_member(account, membership_id, by=request.user)
    except services.TeamError as error:
        return _render_section(request, "members", status=422, members_error=error.message)
    logger.info("User %s removed from account=%s by user=%s: %d tokens revoked, %d sessions ended",
                removal.username, account.pk, request.user.pk, removal.tokens_revoked, removal.sessions_ended)
    return _render_section(request, "members", message=f"{removal.username} removed from the team; signed out everywhere")


@require_POST
def member_password_reset(request, membership_id: int):
    """Admins: a password reset link for a member, shown once to copy (or mailed when email works)."""
    account = _account(request)
    _require_admin(request)
    membership = next((m for m in services.members(account) if m.pk == membership_id), None)
    if membership is None:
        return _render_section(request, "members", status=422, members_error="That person is not in your team (any more).")
    link = services.password_reset_link(membership.user, request.build_absolute_uri)
    return _render_section(request, "members", reset_link={"membership": membership, "link": link})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset by email — only where email is configured. Elsewhere the page says to ask
    an admin for a link (Team page), instead of accepting an address and sending nothing."""

    template_name = "teams/password_reset_form.html"
    email_template_name = "teams/password_reset_email.txt"
    subject_template_name = "teams/password_reset_subject.txt"

    @method_decorator(login_not_required)
    def dispatch(self, request, *args, **kwargs):
        if not settings.EMAIL_CONFIGURED:
            return render(request, self.template_name, {"email_off": True})
        return super().dispatch(request, *args, **kwargs)


# --- joining from an invitation ---------------------------------------------------------------


def _invitation_problem(request, message: str, status: int):
    return render(request, "teams/accept.html", {"problem": message}, status=status)


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token: str):
    """The invitation link. Signed in: join with this user. Not signed in: create a user, or sign in."""
    invitation = Invitation.for_token(token)
    if invitation is None:
        return _invitation_problem(request, "This invitation link is not valid. Check that you copied all of it.", 404)
    if not invitation.is_pending:
        return _invitation_problem(request, services.INVITATION_PROBLEMS[invitation.state], 410)
    context = {"invitation": invitation, "account": None}
    if request.user.is_authenticated:
        current = request.tenant.account
        if current is not None:
            context["problem"] = (f"You are signed in as {request.user.get_username()}, who is already in "
                                  f"{current.name}. Sign out and open the link again to join as someone else.")
            return render(request, "teams/accept.html", context, status=409)
        if request.method == "POST":
            try:
                joined = services.accept_invitation(token, request.user)
            except services.TeamError as error:
                context["problem"] = error.message
                return render(request, "teams/accept.html", context, status=409)
            messages.success(request, f"Welcome to {joined.name}.")
            return redirect("ticket_list")
        return render(request, "teams/accept.html", context)

    form = JoinForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                joined = services.accept_invitation(token, user)
        except services.TeamError as error:  # used or withdrawn meanwhile: no user was created
            form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {joined.name}.")
            return redirect("ticket_list")
    context["form"] = form
    return render(request, "teams/accept.html", context, status=422 if form.errors else 200)
