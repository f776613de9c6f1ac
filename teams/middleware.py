"""A signed-in user who belongs to no account sees one clear page on every URL, never a 500.

While the deployment has no account at all, that user is sent to first-run setup instead. The JSON
API keeps its own answer (409 with a JSON body), and the pages someone without a team needs —
signing in and out, setup, invitation links, password reset, the health check, the admin — stay open.
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from teams.services import setup_is_open
from teams.views import no_team

OPEN_URL_NAMES = frozenset({
    "login", "logout", "setup", "accept_invitation", "healthz",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
})
OPEN_PREFIXES = ("/static/", "/admin/", "/integrations/psa/")


class NoTeamMiddleware:
    """After ``psa.tenancy.TenancyMiddleware``: answers for a user in no account before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.tenant.account is not None:
            return None
        match = request.resolver_match
        if (match and match.url_name in OPEN_URL_NAMES) or request.path.startswith(OPEN_PREFIXES):
            return None
        if setup_is_open():
            target = reverse("setup")
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
        if request.htmx:
            # A swap target is a fragment of a page this user can no longer use: show the whole page.
            return HttpResponseClientRedirect(reverse("home"))
        return no_team(request)
