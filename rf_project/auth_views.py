"""Sign-in with a limit on attempts (issue 8: login rate limit; issue 13: lockout bypasses).

``RateLimitedLoginView`` is Django's ``LoginView`` plus a counter of sign-in attempts per client IP
and username (``psa.ratelimit.RateLimit``, in Django's cache). Each attempt is counted *before* the
password is checked, in one atomic increment: after ``LOGIN_MAX_FAILURES`` attempts (default 10)
within ``LOGIN_FAILURE_WINDOW_SECONDS`` (default 300) further attempts for that IP+username are
refused *without checking the password* — the form shows a clear error, the status is 429 and
``Retry-After`` says when to try again. Forty wrong passwords sent at once therefore get exactly ten
password checks, not forty (counting after the check let every attempt already in flight through).
A successful sign-in clears the counter. The window starts at the first attempt and does not slide,
so a locked-out user is never kept out longer than one window.

The username in the key is the one Django checks the password for: stripped and NFKC-normalised
exactly as ``AuthenticationForm`` does, then case-folded. So ``ｂob`` (a full-width b, which Django
signs in as ``bob``), ``BOB`` and ``bob`` share one counter.

Keyed by IP *and* username: one address guessing many accounts is limited per account, and one
account attacked from many addresses does not lock its owner out everywhere. The IP is
``REMOTE_ADDR``: behind a reverse proxy that is the proxy's address (the limit then applies per
username), unless the deployment rewrites ``REMOTE_ADDR`` from a trusted forwarding header.

Why not django-axes: it checks the lock in its authentication backend and counts the failure in a
``user_login_failed`` receiver, i.e. after the password check — the check-then-count race this view
exists to close (jazzband/django-axes#592, "known issue, won't fix"). It would also add three models,
a middleware and a backend for what is one cache counter here, shared with the AI rate limit.
"""

from __future__ import annotations

import math
import unicodedata

from django.conf import settings
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError

from psa.ratelimit import RateLimit

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 300
LOCKED_STATUS = 429
# Usernames are at most 150 characters; a longer one cannot sign in, and normalising megabytes of
# text on every attempt would be work for an attacker to make us do.
USERNAME_KEY_MAX = 300


def attempts() -> RateLimit:
    """Sign-in attempts per IP and username, with the limit and window from the settings."""
    return RateLimit(
        "login-attempts",
        limit=getattr(settings, "LOGIN_MAX_FAILURES", DEFAULT_MAX_FAILURES),
        window_seconds=getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS),
    )


def login_key(ip: str, username: str) -> str:
    """The counter's key: the IP and the username as Django checks it (stripped, NFKC), case-folded."""
    name = UsernameField().to_python((username or "")[:USERNAME_KEY_MAX])
    return f"{ip or 'unknown'}|{unicodedata.normalize('NFKC', name.casefold())}"


class RateLimitedLoginView(LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        self._limit_key = login_key(request.META.get("REMOTE_ADDR", ""), request.POST.get("username", ""))
        wait = attempts().hit(self._limit_key)  # counted now, before the password is checked
        if wait:
            return self._locked_response(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        attempts().clear(self._limit_key)
        return super().form_valid(form)

    def _locked_response(self, wait: int):
        minutes = max(1, math.ceil(wait / 60))
        message = (f"Too many failed sign-in attempts for this username. "
                   f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")

        class LockedForm(self.get_form_class()):
            def clean(self):  # replaces AuthenticationForm.clean: the password is not even checked
                raise ValidationError(message, code="rate_limited")

        form = LockedForm(request=self.request, data=self.request.POST)
        form.is_valid()  # fills the errors; the typed username stays in the form
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = LOCKED_STATUS
        response["Retry-After"] = str(wait)
        return response
