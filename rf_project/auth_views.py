"""Sign-in with a limit on failed attempts (issue 8: login rate limit).

``RateLimitedLoginView`` is Django's ``LoginView`` plus a counter of failed attempts per client IP and
username in Django's cache: after ``LOGIN_MAX_FAILURES`` failures (default 10) within
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

import hashlib
import math
import time

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 300
LOCKED_STATUS = 429


def _key(request, username: str) -> str:
    ip = request.META.get("REMOTE_ADDR", "") or "unknown"
    # Hashed: cache keys must be short and printable, and usernames may be neither.
    digest = hashlib.sha256(f"{ip}|{username.strip().lower()}".encode()).hexdigest()[:32]
    return f"rf:login-failures:{digest}"


class RateLimitedLoginView(LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    @property
    def max_failures(self) -> int:
        return int(getattr(settings, "LOGIN_MAX_FAILURES", DEFAULT_MAX_FAILURES))

    @property
    def window_seconds(self) -> int:
        return int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))

    def post(self, request, *args, **kwargs):
        self._limit_key = _key(request, request.POST.get("username", ""))
        wait = self._locked_for()
        if wait:
            return self._locked_response(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        cache.delete_many([self._limit_key, self._limit_key + ":start"])
        return super().form_valid(form)

    def form_invalid(self, form):
        self._record_failure()
        return super().form_invalid(form)

    # --- the counter

    def _record_failure(self) -> None:
        window = self.window_seconds
        cache.add(self._limit_key + ":start", time.time(), window)
        cache.add(self._limit_key, 0, window)
        try:
            cache.incr(self._limit_key)
        except ValueError:  # expired between add and incr: a new window
            cache.set(self._limit_key, 1, window)

    def _locked_for(self) -> int:
        """Seconds until the next attempt is allowed (0 = allowed now)."""
        failures = cache.get(self._limit_key, 0)
        if failures < self.max_failures:
            return 0
        started = cache.get(self._limit_key + ":start") or time.time()
        return max(1, math.ceil(started + self.window_seconds - time.time()))

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
