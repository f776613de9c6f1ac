from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache


def home(request):
    """QuickStart page (widgets load as their own HTMX requests)."""
    return render(request, "home.html")


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
