"""HTML views for ResolutionAssist: the sessions list and the session page (chat + TaskLane).

Thin function views: parse input, call ``assist.services``, render the page or the partial htmx
asked for. Every session is loaded through ``services.get_session`` (404 for anyone but its owner).
Chat failures render inline with Retry (200, so htmx swaps them); the engineer's message stays.
Over the AI limit the reply fails the same way, with ``Retry-After``; a plain form post (no htmx) then
gets the whole page with HTTP 429 instead of the usual redirect, so the message and the wait are shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from assist import chat, services
from assist.actions import CREATE_SPIN_OFF_TICKET
from assist.chat import ChatError
from psa.providers.base import PSAError
from psa.web import toast
from tickets import service as ticket_service
from tickets.service import NoPSAConnection, TicketFilters

TICKET_SEARCH_PAGE_SIZE = 8


def _session(request, session_id):
    return services.get_session(request.account, request.user, session_id)


def _new_ticket_url(session, *, tab: str, prompt: str = "", action_id: int | None = None) -> str:
    """Link for the New Ticket modal (wired by the modal's JS through ``data-new-ticket``)."""
    initial = services.initial_ticket_values(session)
    params = [("tab", tab)]
    if prompt:
        params.append(("prompt", prompt))
    if "company_id" in initial:
        params.append(("company", initial["company_id"]))
    if "board_id" in initial:
        params.append(("board", initial["board_id"]))
    if action_id is not None:
        params.append(("action", action_id))
    params.append(("session", session.id))
    return f"{reverse('ticket_new')}?{urlencode(params)}"


def _tasklane(session) -> list[dict]:
    lane = []
    for action in services.pending_actions(session):
        url = None
        if action.type == CREATE_SPIN_OFF_TICKET:
            url = _new_ticket_url(session, tab="quick", prompt=action.summary_hint or action.label, action_id=action.id)
        lane.append({"action": action, "url": url})
    return lane


def _context(session, **extra) -> dict:
    return {
        "session": session,
        "chat_messages": services.messages_for(session),
        "awaiting": services.awaiting_reply(session),
        "tasklane": _tasklane(session),
        "done_actions": services.done_actions(session),
        "new_ticket_url": _new_ticket_url(session, tab="full"),
        "engine_label": "Offline assistant" if chat.is_offline() else "Claude",
        **extra,
    }


def _chat_response(request, session, **extra):
    """The #chat partial for htmx (with the TaskLane out of band), else back to the page (or, over the AI
    limit, the page itself with 429)."""
    error = extra.get("chat_error")
    limited = error if isinstance(error, services.ChatRateLimited) else None
    if request.htmx:
        response = render(request, "assist/session.html#chat", _context(session, tasklane_oob=True, **extra))
    elif limited:
        response = render(request, "assist/session.html", _context(session, **extra), status=429)
    else:
        return redirect("assist_session", session.id)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


@require_GET
def session_list(request):
    sessions = services.list_sessions(request.account, request.user) if request.account else []
    return render(request, "assist/list.html", {"sessions": sessions})


@require_POST
def session_create(request):
    if request.account is None:
        return HttpResponse("Your user does not belong to an account.", status=403)
    session = services.create_session(request.account, request.user, request.POST.get("title", ""))
    url = reverse("assist_session", args=[session.id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@vary_on_headers("HX-Request")
def session_detail(request, session_id: int):
    session = _session(request, session_id)
    template = "assist/session.html"
    if request.htmx and not request.htmx.history_restore_request and request.GET.get("part") == "tasklane":
        template += "#tasklane"
    return render(request, template, _context(session))


@require_POST
def message_post(request, session_id: int):
    session = _session(request, session_id)
    try:
        _, reply = services.post_message(session, request.POST.get("text", ""))
    except ValueError as error:
        return _chat_response(request, session, form_error=str(error), draft=request.POST.get("text", "")[:4000])
    error = reply if isinstance(reply, ChatError) else None
    return _chat_response(request, session, chat_error=error)


@require_POST
def message_retry(request, session_id: int):
    session = _session(request, session_id)
    reply = services.retry_reply(session)
    return _chat_response(request, session, chat_error=reply if isinstance(reply, ChatError) else None)


@require_POST
def ticket_link(request, session_id: int):
    session = _session(request, session_id)
    raw = request.POST.get("ticket_id", "").strip().lstrip("#")
    link_error = None
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= ticket_service.ID_MAX):  # "²" is a digit too
        link_error = "Enter a ticket number."
    else:
        try:
            services.link_ticket(session, int(raw), tenant=request.tenant)
        except NoPSAConnection:
            link_error = "Connect ConnectWise first (Account > Integrations)."
        except PSAError as error:
            link_error = f"Could not link ticket #{raw}: {error}"
    if not request.htmx:
        return redirect("assist_session", session.id)
    response = render(request, "assist/session.html#session-head", _context(session, link_error=link_error))
    return response if link_error else toast(response, f"Linked ticket #{session.linked_ticket_id}")


@require_GET
def ticket_search(request, session_id: int):
    """Open tickets matching ``q`` as buttons that link one (htmx partial under the search box).

    Empty text renders nothing; PSA failures render an inline message (200, so htmx swaps it).
    """
    session = _session(request, session_id)
    text = " ".join(request.GET.get("q", "").split())[:ticket_service.SEARCH_MAX]
    if not text:
        return HttpResponse("")
    context = {"session": session, "q": text, "search_error": None, "found": []}
    try:
        result = ticket_service.search_tickets(request.tenant, TicketFilters(search=text), page_size=TICKET_SEARCH_PAGE_SIZE)
        context["found"] = result.items
    except NoPSAConnection:
        context["search_error"] = "Connect ConnectWise first (Account > Integrations)."
    except PSAError as error:
        context["search_error"] = f"Could not search tickets: {error.message}"
    return render(request, "assist/session.html#ticket-search", context)


@require_POST
def ticket_unlink(request, session_id: int):
    session = services.unlink_ticket(_session(request, session_id))
    if not request.htmx:
        return redirect("assist_session", session.id)
    return render(request, "assist/session.html#session-head", _context(session))

