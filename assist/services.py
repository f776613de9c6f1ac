"""ResolutionAssist session operations. Views call these; nothing else touches the assist models.

Sessions are personal: every lookup is scoped by account AND user, and anything else is a 404.
Posting a message stores the engineer's message first, then asks the chat engine; a failed reply
stores nothing for the assistant, flags the user message (``failed``) and returns the ``ChatError``
so the page can offer Retry with the message still there.

Every reply (a new message or a Retry) first counts against the AI limit every AI entry point shares
(``tickets.ai_parse.count_ai_request``, per user and per account): over it, the engine is not asked
(nothing is paid for) and the reply fails like any other, as ``ChatRateLimited`` saying when to retry.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from assist import chat
from assist.actions import parse_actions
from assist.chat import ChatError
from assist.models import TITLE_MAX, AssistSession, Message, SessionAction
from psa.tenancy import Tenant, tenant_for_account
from tickets import service as ticket_service
from tickets.ai_parse import AiRateLimited, count_ai_request

MESSAGE_MAX = 4000
DEFAULT_TITLE = "New session"


class ChatRateLimited(ChatError):
    """Too many AI requests: the engine was not asked. ``retry_after`` is in seconds (HTTP ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def create_session(account, user, title: str = "") -> AssistSession:
    title = " ".join((title or "").split())[:TITLE_MAX] or DEFAULT_TITLE
    return AssistSession.objects.create(account=account, user=user, title=title)


def list_sessions(account, user):
    return AssistSession.objects.filter(account=account, user=user).order_by("-updated", "-id")


def get_session(account, user, session_id) -> AssistSession:
    """The user's own session, or Http404 (other users and other accounts alike)."""
    if account is None or user is None or not getattr(user, "is_authenticated", False):
        raise Http404("No such session")
    try:
        return AssistSession.objects.get(pk=int(session_id), account=account, user=user)
    except (AssistSession.DoesNotExist, TypeError, ValueError):
        raise Http404("No such session") from None


def messages_for(session: AssistSession):
    return session.messages.order_by("created", "id")


def pending_actions(session: AssistSession):
    return session.actions.filter(status=SessionAction.Status.PENDING).order_by("created", "id")


def done_actions(session: AssistSession):
    return session.actions.filter(status=SessionAction.Status.DONE).order_by("-completed", "-id")


def post_message(session: AssistSession, text: str, *, engine=None) -> tuple[Message, Message | ChatError]:
    """Store the engineer's message, then get the reply.

    Returns ``(user_message, assistant_message)`` or ``(user_message, ChatError)``; the user message is
    kept in both cases. Raises ``ValueError`` for an empty or too long message (nothing stored).
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("Type a message first.")
    if len(text) > MESSAGE_MAX:
        raise ValueError(f"Messages are limited to {MESSAGE_MAX} characters.")
    user_message = Message.objects.create(session=session, role=Message.Role.USER, text=text, raw_text=text)
    if session.title == DEFAULT_TITLE:
        session.title = _title_from(text)
    session.save(update_fields=["title", "updated"])
    return user_message, _reply(session, user_message, engine)


def awaiting_reply(session: AssistSession) -> Message | None:
    """The latest user message if its reply failed (what Retry answers), else None."""
    last = session.messages.order_by("-created", "-id").first()
    if last is not None and last.role == Message.Role.USER and last.failed:
        return last
    return None


def retry_reply(session: AssistSession, *, engine=None) -> Message | ChatError:
    """Ask again for a reply to the latest user message whose reply failed."""
    user_message = awaiting_reply(session)
    if user_message is None:
        return ChatError("There is no failed reply to retry.")
    return _reply(session, user_message, engine)


def _reply(session: AssistSession, user_message: Message, engine) -> Message | ChatError:
    try:
        _count_ai_request(session)
        raw = chat.reply(session, engine=engine)
    except ChatError as error:
        if not user_message.failed:
            user_message.failed = True
            user_message.save(update_fields=["failed"])
        return error
    display, parsed = parse_actions(raw)
    with transaction.atomic():
        if user_message.failed:
            user_message.failed = False
            user_message.save(update_fields=["failed"])
        assistant = Message.objects.create(
            session=session, role=Message.Role.ASSISTANT, text=display or "(no text)", raw_text=raw
        )
        SessionAction.objects.bulk_create(
            SessionAction(session=session, message=assistant, type=a.type, label=a.label,
                          summary_hint=a.summary_hint or "")
            for a in parsed
        )
        session.save(update_fields=["updated"])
    return assistant


def _count_ai_request(session: AssistSession) -> None:
    try:
        count_ai_request(session.user, session.account)
    except AiRateLimited as limited:
        raise ChatRateLimited(limited.message, retry_after=limited.retry_after) from None


def _title_from(text: str) -> str:
    first_line = " ".join(text.split())
    return first_line if len(first_line) <= 60 else first_line[:59].rsplit(" ", 1)[0] + "\u2026"


def link_ticket(session: AssistSession, ticket_id: int, *, ticket=None, tenant: Tenant | None = None) -> AssistSession:
    """Link a PSA ticket to the session and keep its company, board and summary.

    ``ticket`` is a ``PSATicketDetail``/``PSATicketSearchResult`` already in hand; without it the
    ticket is fetched through ``tickets.service.get_ticket`` with ``tenant`` (the request's; by
    default the session owner's), and PSA errors propagate.
    """
    if ticket is None:
        tenant = tenant or tenant_for_account(session.account, session.user)
        ticket = ticket_service.get_ticket(tenant, int(ticket_id))
    session.linked_ticket_id = ticket.id
    session.linked_company_id = ticket.company_id
    session.linked_board_id = ticket.board_id
    session.linked_ticket_summary = (ticket.summary or "")[:200]
    session.save(update_fields=["linked_ticket_id", "linked_company_id", "linked_board_id",
                                "linked_ticket_summary", "updated"])
    return session


def unlink_ticket(session: AssistSession) -> AssistSession:
    session.linked_ticket_id = session.linked_company_id = session.linked_board_id = None
    session.linked_ticket_summary = ""
    session.save(update_fields=["linked_ticket_id", "linked_company_id", "linked_board_id",
                                "linked_ticket_summary", "updated"])
    return session


def get_action(session: AssistSession, action_id) -> SessionAction:
    try:
        return session.actions.get(pk=int(action_id))
    except (SessionAction.DoesNotExist, TypeError, ValueError):
        raise Http404("No such action") from None


def mark_action_done(session: AssistSession, action_id, ticket_id: int) -> SessionAction:
    """Record that the action produced ticket ``ticket_id``; it leaves the TaskLane. Idempotent."""
    action = get_action(session, action_id)
    if action.status != SessionAction.Status.DONE:
        action.status = SessionAction.Status.DONE
        action.created_ticket_id = int(ticket_id)
        action.completed = timezone.now()
        action.save(update_fields=["status", "created_ticket_id", "completed"])
    return action


def initial_ticket_values(session: AssistSession) -> dict:
    """New Ticket modal pre-fill: the linked ticket's company and board, or {} (no silent defaults)."""
    if session.linked_ticket_id is None:
        return {}
    values = {}
    if session.linked_company_id is not None:
        values["company_id"] = session.linked_company_id
    if session.linked_board_id is not None:
        values["board_id"] = session.linked_board_id
    return values
