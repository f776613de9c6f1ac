"""Project-wide middleware: the Content-Security-Policy header and one log line per request.

(Tenancy — ``request.tenant`` and ``request.account`` — is ``psa.tenancy.TenancyMiddleware``.)
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from psa.metrics import psa_call_counter

# Content-Security-Policy: scripts only from our own origin (htmx via django-htmx and static/app.js),
# no inline scripts or handlers anywhere. Styles allow inline attributes because badges and priority
# dots carry the PSA's colour; style injection cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Adds the CSP header to every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def _may_see_server_timing(request) -> bool:
    """``SERVER_TIMING``: "everyone" (default outside production), "staff" (default in production: PSA call
    counts and timings tell an outsider how a tenant's ConnectWise behaves) or "nobody"."""
    audience = settings.SERVER_TIMING
    if audience == "everyone":
        return True
    if audience == "staff":
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)
    return False


# URLs whose path carries a secret (invitation and password reset tokens): logged as their route.
SECRET_PATH_URL_NAMES = frozenset({"accept_invitation", "password_reset_confirm"})


def _loggable_path(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in SECRET_PATH_URL_NAMES:
        return "/" + match.route
    return request.path


class RequestLogMiddleware:
    """One structured log line per request: method, path, status, duration and PSA calls made.

    The query string is left out on purpose (search text can hold customer data).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.log = logging.getLogger("rf.request")
        self.clock = time.perf_counter

    def __call__(self, request):
        started = self.clock()
        with psa_call_counter() as counter:
            response = self.get_response(request)
        elapsed_ms = (self.clock() - started) * 1000
        if _may_see_server_timing(request):
            response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}, psa;desc=\"calls\";dur={counter.count}"
        if not request.path.startswith("/static/"):
            self.log.info(
                "request method=%s path=%s status=%s duration_ms=%.1f psa_calls=%d user=%s",
                request.method,
                _loggable_path(request),
                response.status_code,
                elapsed_ms,
                counter.count,
                getattr(getattr(request, "user", None), "pk", None),
            )
        return response
