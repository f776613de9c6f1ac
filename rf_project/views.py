"""The QuickStart page (``/``), its two dashboard widgets, and the health check.

The page itself makes no PSA call: each widget is its own htmx request (``hx-trigger="load"``), so a
slow or failing PSA never delays the page. Whether My Queue exists at all is decided here, in the
page view (no PSA connection: not rendered), never by a template ``{% if %}`` around the partial.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assist.services import list_sessions
from psa.providers.base import PSAError
from tickets import service

logger = logging.getLogger(__name__)

QUEUE_SIZE = 5  # compact rows in My Queue
SESSIONS_SIZE = 5  # recent Assist sessions


@require_GET
def home(request):
    """QuickStart: the Dashboard section with My Queue (when connected) and Active sessions."""
    return render(request, "home.html", {"show_queue": request.tenant.has_connection})


@require_GET
def my_queue(request):
    """My Queue: Prompt (no member mapping), Populated, Empty, or Error (logged, shown as a bare Empty).

    The mapping is read from the member mappings, never inferred from an empty ticket result.
    """
    tenant = request.tenant
    if not tenant.has_connection:
        return HttpResponse("")  # Hidden: the swap removes the widget's placeholder
    context = {"state": "prompt"}
    if tenant.mapping is not None:
        filters = service.TicketFilters(assigned="me")  # open tickets only; most urgent first, then newest
        try:
            result = service.search_tickets(tenant, filters, page=1, page_size=QUEUE_SIZE)
        except service.NoPSAConnection:
            return HttpResponse("")
        except service.MemberMappingRequired:
            pass  # unmapped between the two reads: the prompt is right
        except PSAError as error:
            # Silent by design (no toast, no message): the widget shows an empty box; the log says why.
            logger.warning("My Queue: PSA fetch failed for account=%s user=%s: %s (%s)",
                           request.account.pk, request.user.pk, error.message, type(error).__name__)
            context = {"state": "error"}
        else:
            context = {"state": "populated" if result.items else "empty", "tickets": result.items, "total": result.total}
    return render(request, "home.html#my_queue", context)


@require_GET
def active_sessions(request):
    """The user's most recently active ResolutionAssist sessions."""
    sessions = list_sessions(request.account, request.user)[:SESSIONS_SIZE] if request.account else []
    return render(request, "home.html#active_sessions", {"sessions": sessions})


@login_not_required
def healthz(request):
    """Liveness for a load balancer: database and cache. PSA reachability is not part of it."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - report, never raise, from a health check
        checks["database"] = "error"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception:  # noqa: BLE001
        checks["cache"] = "error"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
