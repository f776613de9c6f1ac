"""Sign-in with a limit on failed attempts (issue 8: login rate limit).

``RateLimitedLoginView`` is Django's ``LoginView`` plus a counter of failed attempts per client IP and
username (``psa.ratelimit.RateLimit``, in Django's cache): after ``LOGIN_MAX_FAILURES`` failures (default 10) within
``LOGIN_FAILURE_WINDOW_SECONDS`` (default 300) further attempts for that IP+username are refused
*without checking the password* — the form shows a clear error, the status is 429 and
``Retry-After`` says when to try again. A successful sign-in clears the counter. The window starts
at the first failure and does not slide, so a locked-out user is never kept out longer than one
window.

Keyed by IP *and* username: one address guessing many accounts is limited per account, and one
account attacked from many addresses does not lock its owner out everywhere. The IP is
``REMOTE_ADDR``: behind a reverse proxy that is the proxy's address (the limit then applies per
username), unless the deployment rewrites ``REMOTE_ADDR`` from a trusted forwarding header.

Wire it in ``rf_project/urls.py``::

    path("login/", RateLimitedLoginView.as_view(), name="login"),
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError

from psa.ratelimit import RateLimit

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 300
LOCKED_STATUS = 429


def failures() -> RateLimit:
    """Failed sign-ins per IP and username, with the limit and window from the settings."""
    return RateLimit(
        "login-failures",
        limit=getattr(settings, "LOGIN_MAX_FAILURES", DEFAULT_MAX_FAILURES),
        window_seconds=getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS),
    )


class RateLimitedLoginView(LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        ip = request.META.get("REMOTE_ADDR", "") or "unknown"
        self._limit_key = f"{ip}|{request.POST.get('username', '').strip().lower()}"
        wait = failures().retry_after(self._limit_key)
        if wait:
            return self._locked_response(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        failures().clear(self._limit_key)
        return super().form_valid(form)

    def form_invalid(self, form):
        failures().hit(self._limit_key)
        return super().form_invalid(form)

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
