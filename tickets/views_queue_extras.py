"""HTML views around the queue (issue 20): saved views (sidebar list, Save view dialog, manage page, the
default of a bare /tickets) and calm live updates (the queue's and the drawer's background checks).

Thin function views over ``tickets.service.saved_views`` and ``tickets.service.live``: parse input, call the
service, pick a partial of ``tickets/saved_views.html`` or ``tickets/live.html``. A change answers with an
HX-Trigger: ``savedViewsChanged`` (the sidebar list reloads itself), ``closeModal`` and a toast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from psa.providers.base import PSAError
from psa.web import to_int, toast
from tickets import views
from tickets.filters import TicketFilterSet, parts_to_check
from tickets.service import NoPSAConnection, live
from tickets.service import saved_views as saved
from tickets.service.saved_views import SavedViewForbidden, SavedViewNotFound

LIVE_KEYS = ("since", "ids", "reset", "company")  # the poll's own parameters, never filters


# --- the default view of a bare /tickets --------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def ticket_list(request):
    """``/tickets``: a bare full-page visit opens the user's default view; everything else is the queue."""
    if not request.GET and not request.htmx:
        query = saved.default_query(request.tenant)
        if query:
            return redirect(f"{reverse('ticket_list')}?{query}")
    return views.ticket_list(request)


# --- saved views ----------------------------------------------------------------------------------


def _current_query(request) -> str:
    """The queue filter the Save view dialog saves: ``query`` when given, else the page's URL (htmx)."""
    if "query" in request.GET or "query" in request.POST:
        return (request.POST.get("query") or request.GET.get("query") or "").lstrip("?")
    if request.htmx and request.htmx.current_url:
        split = urlsplit(request.htmx.current_url)
        if split.path == reverse("ticket_list"):
            return split.query
    return ""


def _changed(response, message: str | None = None):
    trigger_client_event(response, "savedViewsChanged", {})
    return toast(response, message) if message else response


@require_GET
def saved_views_nav(request):
    """The sidebar's "Views" list with each view's open-ticket count (loaded after the page)."""
    views_list = saved.list_views(request.tenant)
    counts = saved.open_counts(request.tenant, views_list) if request.tenant.has_connection else {}
    default = saved.default_view(request.tenant)
    items = [{"view": view, "count": counts.get(view.pk), "default": default is not None and default.pk == view.pk}
             for view in views_list]
    return render(request, "tickets/saved_views.html#nav", {"items": items, "tickets_url": reverse("ticket_list")})


@require_http_methods(["GET", "POST"])
def saved_view_new(request):
    """The Save view dialog (GET) and its form (POST): name, share with my team, make it my default."""
    query = _current_query(request)
    context = {"query": query, "name": "", "shared": False, "make_default": False}
    if request.method == "POST":
        context.update(name=request.POST.get("name", ""), shared=bool(request.POST.get("shared")),
                       make_default=bool(request.POST.get("default")))
        try:
            view = saved.create_view(request.tenant, context["name"], query, shared=context["shared"])
            if context["make_default"]:
                saved.set_default(request.tenant, view.pk)
        except (PSAError, SavedViewForbidden) as error:
            context["error"] = error.message
            return render(request, "tickets/saved_views.html#save_form", context, status=422)
        if not request.htmx:
            return redirect(f"{reverse('ticket_list')}?{view.query}")
        response = HttpResponse(status=204)
        trigger_client_event(response, "closeModal", {})
        return _changed(response, f"View “{view.name}” saved")
    template = "tickets/saved_views.html#save_dialog" if request.htmx else "tickets/saved_views.html"
    return render(request, template, {**context, "page": "save"})


def _swapped(ids: list[int], i: int, j: int) -> str:
    """The group's order with places ``i`` and ``j`` exchanged (what an Up/Down button posts)."""
    order = list(ids)
    order[i], order[j] = order[j], order[i]
    return ",".join(str(view_id) for view_id in order)


def _manage_context(request, **extra) -> dict:
    tenant = request.tenant
    views_list = saved.list_views(tenant)
    default = saved.default_view(tenant)
    personal = [v for v in views_list if not v.shared]
    shared = [v for v in views_list if v.shared]
    rows = []
    for group in (personal, shared):
        ids = [view.pk for view in group]
        for index, view in enumerate(group):
            rows.append({
                "view": view,
                "manage": saved.can_manage(tenant, view),
                "reorder": not view.shared or tenant.is_admin,
                "up": _swapped(ids, index, index - 1) if index else None,
                "down": _swapped(ids, index, index + 1) if index + 1 < len(ids) else None,
                "default": default is not None and default.pk == view.pk,
            })
    return {"rows": rows, "has_default": default is not None, "page": "manage", **extra}


@require_GET
@vary_on_headers("HX-Request")
def saved_views_manage(request):
    """Rename, reorder, share, delete and choose the default: one page, every action a small form."""
    template = "tickets/saved_views.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#manage"
    return render(request, template, _manage_context(request))


def _manage_answer(request, message: str, error: str | None = None):
    if not request.htmx:
        return redirect("saved_views_manage")
    response = render(request, "tickets/saved_views.html#manage", _manage_context(request, error=error),
                      status=422 if error else 200)
    if error:
        return toast(response, error, "error")
    return _changed(response, message)


@require_POST
def saved_view_action(request, view_id: int, action: str):
    """One change to one view: rename, share, unshare, delete, default, up, down."""
    tenant = request.tenant
    try:
        if action == "rename":
            view = saved.update_view(tenant, view_id, name=request.POST.get("name", ""))
            message = f"Renamed to “{view.name}”"
        elif action in ("share", "unshare"):
            view = saved.update_view(tenant, view_id, shared=action == "share")
            message = f"“{view.name}” is {'shared with your team' if view.shared else 'yours alone'} now"
        elif action == "delete":
            name = saved.get_view(tenant, view_id).name
            saved.delete_view(tenant, view_id)
            message = f"View “{name}” deleted"
        elif action == "default":
            view = saved.set_default(tenant, view_id)
            message = f"Tickets opens “{view.name}” now"
        elif action in ("up", "down"):
            ids = [to_int(i) for i in request.POST.get("order", "").split(",")]
            saved.reorder_views(tenant, ids)
            message = "Views reordered"
        else:
            raise SavedViewNotFound("No such action")
    except SavedViewNotFound as error:
        return _manage_answer(request, "", error.message)
    except (PSAError, SavedViewForbidden) as error:
        return _manage_answer(request, "", error.message)
    return _manage_answer(request, message)


@require_POST
def saved_view_no_default(request):
    saved.set_default(request.tenant, None)
    return _manage_answer(request, "Tickets opens the plain queue now")


# --- calm live updates -------------------------------------------------------------------------------


def _since(request) -> datetime | None:
    stamp = to_int(request.GET.get("since"))
    if stamp is None or stamp <= 0:
        return None
    try:
        return datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _now_stamp() -> int:
    return int(timezone.now().timestamp())


@require_GET
def queue_changes(request):
    """The queue's background check: "N tickets changed — Refresh", or nothing. Never changes the rows."""
    filter_pairs = [(k, v) for k, v in parse_qsl(request.GET.urlencode()) if k not in LIVE_KEYS]
    data = QueryDict(urlencode(filter_pairs))
    since = _since(request)
    context = {"changes": None, "refresh_url": f"{reverse('ticket_list')}?{urlencode(filter_pairs)}".rstrip("?")}
    if since is not None:
        ids = [i for i in (to_int(part) for part in request.GET.get("ids", "").split(",")) if i]
        try:
            reference = request.tenant.reference(*parts_to_check(data))
            filters, _page = TicketFilterSet(data, reference=reference).cleaned()
            changes = live.changes_since(request.tenant, filters, since, visible_ids=ids)
        except (NoPSAConnection, PSAError):
            changes = None  # the queue itself shows why; the check stays quiet and asks again next time
        if changes is not None and changes.checked and changes.count:
            context["changes"] = changes
            context["changed_ids"] = ",".join(str(i) for i in changes.ticket_ids)
    return render(request, "tickets/live.html#queue_notice", context)


@require_GET
def ticket_changes(request, ticket_id: int):
    """The open drawer's background check: which part of its ticket changed, with a Reload for that part.

    ``reset=1`` (after the drawer's own change or a Reload) starts watching again from now."""
    context = {"ticket_id": ticket_id, "company_id": to_int(request.GET.get("company")), "now": _now_stamp(),
               "change": None}
    since = _since(request)
    if request.GET.get("reset") or since is None:
        context["reset"] = True
    else:
        try:
            change = live.ticket_changed_since(request.tenant, ticket_id, since)
        except (NoPSAConnection, PSAError):
            change = None
        if change is not None and change.checked and change.changed:
            context["change"] = change
            context["detail"] = bool({"status", "notes"} & set(change.aspects))
            context["assignees"] = "assignees" in change.aspects
    return render(request, "tickets/live.html#drawer_notice", context)
