"""HTML views for an engineer's daily ticket work beyond the drawer's basics: bulk actions on the queue,
and the profile page (the viewer's time zone).

Thin function views over ``tickets.service.bulk``: parse the form, run, render a partial of
``tickets/bulk.html``. Failures are shown where the request came from (422, which htmx swaps), and
nothing the engineer typed is in the swapped part, so it survives every failure.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from psa.providers.base import PSAError
from psa.web import to_int, toast
from tickets import service, timezones
from tickets.service.bulk import BULK_MAX, BulkInputError, run_bulk
from tickets.views import _list_query

BULK = "tickets/bulk.html"
PROFILE = "tickets/profile.html"
NOTE_KINDS = (("internal", "Internal"), ("discussion", "Discussion"), ("resolution", "Resolution"))


def _bulk_choices(tenant) -> dict:
    """The bar's choices: every status name once (the status each ticket gets is the same-named one on its
    own board), and the members (ResolutionFlow users first). Cached reference data."""
    reference = tenant.reference("boards", "members", "priorities")
    names = list(dict.fromkeys(status.name for status in reference.all_statuses))
    return {"status_names": names, "members": reference.members, "priorities": reference.priorities}


def _bulk_failed(request, message: str, *, status: int = 422):
    response = render(request, f"{BULK}#bulk_result", {"bulk_error": message}, status=status)
    return toast(response, message, "error")


@require_http_methods(["GET", "POST"])
def ticket_bulk(request):
    """GET: the bulk bar of the queue (loaded once by /tickets). POST ``action`` (status | priority | assign |
    note), ``ids`` (the selected tickets), ``status`` (a status name), ``priority`` or ``member`` (an id),
    ``text`` and ``kind`` (a note): runs it on every ticket and answers the per-ticket result, with the rows that changed."""
    if request.method == "GET":
        try:
            context = {"choices": _bulk_choices(request.tenant), "note_kinds": NOTE_KINDS, "bulk_max": BULK_MAX}
        except (service.NoPSAConnection, PSAError):
            context = {"unavailable": True}
        return render(request, f"{BULK}#bulk_bar", context)

    action = request.POST.get("action", "")
    ids = [to_int(raw) for raw in request.POST.getlist("ids")]
    if any(ticket_id is None or ticket_id <= 0 for ticket_id in ids):
        return _bulk_failed(request, "The selection is not valid: reload the page")
    field = {"assign": "member", "priority": "priority"}.get(action, "status")
    raw_value = request.POST.get(field, "")
    value = to_int(raw_value) if field != "status" else raw_value
    try:
        result = run_bulk(request.tenant, action, ids, value=value, text=request.POST.get("text", ""),
                          kind=request.POST.get("kind", "internal"))
    except BulkInputError as error:
        return _bulk_failed(request, str(error))
    except service.NoPSAConnection:
        return _bulk_failed(request, "No PSA connection")
    except PSAError as error:
        return _bulk_failed(request, f"Nothing was changed: {error.message}")
    context = {
        "result": result,
        "retry": {"action": action, "field": field, "value": raw_value, "text": request.POST.get("text", ""),
                  "kind": request.POST.get("kind", "internal")},
        "list_query": _list_query(request),
    }
    response = render(request, f"{BULK}#bulk_result", context)
    level = "error" if result.failed else "success"
    return toast(response, _summary(result), level)


def _summary(result) -> str:
    parts = [f"{len(result.done)} done"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if result.skipped:
        parts.append(f"{len(result.skipped)} skipped")
    return f"{len(result.outcomes)} of {len(result.outcomes)} tickets processed: " + ", ".join(parts)


# --- the profile page: the viewer's time zone ----------------------------------------------------


@require_http_methods(["GET", "POST"])
def profile(request):
    """/account/profile: which zone dates and times are shown in. POST ``zone``: an IANA name, or empty for
    automatic (the browser's). Kept in a year-long cookie (``tickets.timezones``)."""
    context = {"zones": timezones.zone_names(), "picked": request.COOKIES.get(timezones.PICKED_COOKIE, ""),
               "source": getattr(request, "viewer_zone_source", "default"),
               "browser": request.COOKIES.get(timezones.BROWSER_COOKIE, "")}
    if request.method == "GET":
        return render(request, PROFILE, context)
    name = request.POST.get("zone", "").strip()
    if name and timezones.zone(name) is None:
        context.update(picked=name[:timezones.ZONE_NAME_MAX], error="Choose a time zone from the list")
        return render(request, PROFILE, context, status=422)
    response = redirect("profile")
    if name:
        response.set_cookie(timezones.PICKED_COOKIE, name, max_age=timezones.COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=request.is_secure())
        messages.success(request, f"Dates and times are now shown in {name}.")
    else:
        response.delete_cookie(timezones.PICKED_COOKIE, samesite="Lax")
        messages.success(request, "Dates and times now follow your browser's time zone.")
    return response
