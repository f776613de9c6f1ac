"""HTML views for an engineer's daily ticket work beyond the drawer's basics: bulk actions on the queue,
and the profile page (the viewer's time zone).

Thin function views over ``tickets.service.bulk``: parse the form, record the job, render a partial of
``tickets/bulk.html``; the job then runs a chunk per request (``ticket_bulk_next``, which htmx asks for again
until the job is finished), so the ``role=status`` region says "7 of 20 done" while it runs. Failures are shown where the request came from (422, which htmx swaps), and
nothing the engineer typed is in the swapped part, so it survives every failure.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from psa.providers.base import PSAError
from psa.web import to_int, toast
from tickets import service, timezones
from tickets.models import BulkJob
from tickets.service.bulk import BULK_MAX, BulkInputError, get_job, job_result, run_chunk, start_bulk
from tickets.views import _list_query, note_kinds

BULK = "tickets/bulk.html"
PROFILE = "tickets/profile.html"


def _bulk_choices(tenant) -> dict:
    """The bar's choices: every status name once (the status each ticket gets is the same-named one on its
    own board), and the priorities. Cached reference data; members are a typeahead (``pick_member``), loaded
    here only so an Assign's member is validated from the cache."""
    reference = tenant.reference("boards", "members", "priorities")
    names = list(dict.fromkeys(status.name for status in reference.all_statuses))
    return {"status_names": names, "priorities": reference.priorities}


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
            context = {"choices": _bulk_choices(request.tenant), "note_kinds": note_kinds(request.tenant), "bulk_max": BULK_MAX}
        except (service.NoPSAConnection, PSAError):
            context = {"unavailable": True}
        return render(request, f"{BULK}#bulk_bar", context)

    action = request.POST.get("action", "")
    ids = [to_int(raw) for raw in request.POST.getlist("ids")]
    if any(ticket_id is None or ticket_id <= 0 for ticket_id in ids):
        return _bulk_failed(request, "The selection is not valid: reload the page")
    field = _FIELD.get(action, "status")
    raw_value = request.POST.get(field, "")
    value = to_int(raw_value) if field != "status" else raw_value
    try:
        job = start_bulk(request.tenant, action, ids, value=value, text=request.POST.get("text", ""),
                         kind=request.POST.get("kind", "internal"))
    except BulkInputError as error:
        return _bulk_failed(request, str(error))
    except service.NoPSAConnection:
        return _bulk_failed(request, "No PSA connection")
    except PSAError as error:
        return _bulk_failed(request, f"Nothing was changed: {error.message}")
    return render(request, f"{BULK}#bulk_progress", {"job": job, "finished": 0, "total": len(job.ticket_ids)})


@require_http_methods(["POST"])
def ticket_bulk_next(request, job_id):
    """Runs the job's next chunk; answers the progress ("7 of 20 done", asking for the next chunk) with the
    chunk's rows redrawn, or, once every ticket is finished, the per-ticket result."""
    try:
        job, outcomes = run_chunk(request.tenant, job_id)
    except BulkJob.DoesNotExist:
        raise Http404("No such bulk action") from None
    except service.NoPSAConnection:
        return _bulk_failed(request, "No PSA connection")
    except PSAError as error:  # the chunk as a whole (nothing of it applied): it can be run again
        job = get_job(request.tenant, job_id)
        context = {"job": job, "finished": len(job.outcomes), "total": len(job.ticket_ids),
                   "paused": f"Paused: {error.message}"}
        return toast(render(request, f"{BULK}#bulk_progress", context, status=422), context["paused"], "error")
    rows = [outcome.ticket for outcome in outcomes if outcome.outcome == "done" and outcome.ticket is not None]
    assigned = [outcome for outcome in outcomes if outcome.outcome == "done" and outcome.assignees is not None]
    context = {"job": job, "rows": rows, "assigned": assigned, "finished": len(job.outcomes), "total": len(job.ticket_ids),
               "list_query": _list_query(request)}
    if not job.finished:
        return render(request, f"{BULK}#bulk_progress", context)
    result = job_result(job)
    context.update(result=result, retry={"action": job.action, "field": _FIELD.get(job.action, "status"),
                                         "value": job.value, "text": job.text, "kind": job.kind})
    response = render(request, f"{BULK}#bulk_result", context)
    return toast(response, _summary(result), "error" if result.failed else "success")


_FIELD = {"assign": "member", "priority": "priority"}


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
    automatic (the member's, else the browser's, else the team's). Kept on the user's membership, so every
    device they sign in on shows it (``tickets.timezones``). POST ``team_zone`` (admins): the account's
    default zone."""
    tenant = request.tenant
    account = tenant.account
    member = timezones.member_zone(tenant)
    context = {"zones": timezones.zone_names(), "picked": tenant.time_zone,
               "source": getattr(request, "viewer_zone_source", "default"),
               "browser": request.COOKIES.get(timezones.BROWSER_COOKIE, ""),
               "member_zone": str(member) if member else "",
               "team_zone": account.time_zone if account is not None else "", "is_admin": tenant.is_admin}
    if request.method == "GET":
        return render(request, PROFILE, context)
    if "team_zone" in request.POST:
        return _save_team_zone(request, context)
    name = request.POST.get("zone", "").strip()
    if name and timezones.zone(name) is None:
        context.update(picked=name[:timezones.ZONE_NAME_MAX], error="Choose a time zone from the list")
        return render(request, PROFILE, context, status=422)
    timezones.save_picked_zone(tenant, name)
    if name:
        messages.success(request, f"Dates and times are now shown in {name}.")
    else:
        words = tenant.psa_words  # Autotask: your Autotask resource's
        messages.success(request, f"Dates and times now follow your {words.get('ConnectWise', 'ConnectWise')} "
                                  f"{words.get('member', 'member')}'s or your browser's time zone.")
    return redirect("profile")


def _save_team_zone(request, context):
    """An admin sets (or, empty, clears) the team's default zone."""
    account = request.tenant.account
    if account is None or not request.tenant.is_admin:
        raise PermissionDenied("Only an admin of the team sets its time zone")
    name = request.POST.get("team_zone", "").strip()
    if name and timezones.zone(name) is None:
        context.update(team_zone=name[:timezones.ZONE_NAME_MAX], team_error="Choose a time zone from the list")
        return render(request, PROFILE, context, status=422)
    account.time_zone = name
    account.save(update_fields=["time_zone"])
    messages.success(request, f"The team's default time zone is now {name}." if name
                     else "The team has no default time zone now.")
    return redirect("profile")
