"""Session operations: messages, the action lifecycle and the New Ticket pre-fill."""

import pytest
from django.http import Http404

from assist import services
from assist.chat import ChatError
from assist.models import Message, SessionAction
from psa.schemas import PSATicketDetail

SPIN_OFF_MESSAGE = "Outlook keeps crashing for the CFO. Also, the printer on the 2nd floor is offline."


class ScriptedEngine:
    """A chat engine that returns fixed replies (or raises), for service-level tests."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = 0

    def reply(self, session, turns):
        self.calls += 1
        value = self.replies.pop(0)
        if isinstance(value, Exception):
            raise value
        return value


def test_creating_a_session_uses_a_default_title(account, alice):
    assert services.create_session(account, alice, "  ").title == "New session"


def test_the_first_message_names_an_untitled_session(account, alice):
    session = services.create_session(account, alice)
    services.post_message(session, "Outlook keeps crashing")
    session.refresh_from_db()
    assert session.title == "Outlook keeps crashing"


def test_posting_stores_both_messages_offline(session):
    user_message, reply = services.post_message(session, "The VPN drops every hour")
    assert (user_message.role, reply.role) == ("user", "assistant")
    assert "VPN" in reply.text
    assert [m.role for m in services.messages_for(session)] == ["user", "assistant"]


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_an_empty_or_huge_message_is_refused_and_not_stored(session, text):
    with pytest.raises(ValueError):
        services.post_message(session, text)
    assert session.messages.count() == 0


def test_the_user_message_is_stored_before_the_engine_runs(session):
    seen = []

    class Spy:
        def reply(self, session, turns):
            seen.append(list(session.messages.values_list("text", flat=True)))
            return "ok"

    services.post_message(session, "hello", engine=Spy())
    assert seen == [["hello"]]


def test_a_failed_reply_keeps_the_message_and_retry_answers_it(session):
    engine = ScriptedEngine(ChatError("down"), "Try safe mode.")
    user_message, error = services.post_message(session, "Outlook crashes", engine=engine)
    assert isinstance(error, ChatError)
    assert services.awaiting_reply(session) == user_message

    reply = services.retry_reply(session, engine=engine)

    assert reply.text == "Try safe mode."
    assert services.awaiting_reply(session) is None
    assert list(session.messages.values_list("role", "failed")) == [("user", False), ("assistant", False)]


def test_retry_without_a_failed_reply_is_an_error(session):
    services.post_message(session, "hello")
    assert isinstance(services.retry_reply(session, engine=ScriptedEngine("never")), ChatError)


# --- lifecycle -------------------------------------------------------------------------------------


def test_a_reply_with_a_marker_creates_a_pending_action(session):
    _, reply = services.post_message(session, SPIN_OFF_MESSAGE)
    action = services.pending_actions(session).get()
    assert (action.type, action.label, action.summary_hint) == (
        "create_spin_off_ticket", "The printer on the 2nd floor is offline", "The printer on the 2nd floor is offline")
    assert action.message == reply
    assert "[ACTIONS]" not in reply.text and "[ACTIONS]" in reply.raw_text


def test_the_action_stays_pending_until_a_ticket_is_created(session):
    services.post_message(session, SPIN_OFF_MESSAGE)
    action = services.pending_actions(session).get()
    # Opening or dismissing the modal touches nothing on the server: it is still pending on reload.
    services.get_session(session.account, session.user, session.id)
    assert list(services.pending_actions(session)) == [action]


def test_marking_done_records_the_ticket_and_leaves_the_pending_list(session):
    services.post_message(session, SPIN_OFF_MESSAGE)
    action = services.pending_actions(session).get()

    done = services.mark_action_done(session, action.id, 1042)

    assert (done.status, done.created_ticket_id) == ("done", 1042)
    assert done.completed is not None
    assert services.pending_actions(session).count() == 0
    assert list(services.done_actions(session)) == [done]


def test_marking_done_twice_keeps_the_first_ticket(session):
    services.post_message(session, SPIN_OFF_MESSAGE)
    action = services.pending_actions(session).get()
    services.mark_action_done(session, action.id, 1042)
    assert services.mark_action_done(session, action.id, 9999).created_ticket_id == 1042


def test_another_sessions_action_cannot_be_marked_done(session, account, alice):
    services.post_message(session, SPIN_OFF_MESSAGE)
    action = services.pending_actions(session).get()
    other = services.create_session(account, alice, "Other")
    with pytest.raises(Http404):
        services.mark_action_done(other, action.id, 1042)
    action.refresh_from_db()
    assert action.status == SessionAction.Status.PENDING


# --- initial values for the New Ticket modal -------------------------------------------------------


def test_initial_values_come_from_the_linked_ticket(linked_session):
    assert services.initial_ticket_values(linked_session) == {"company_id": 251, "board_id": 1}


def test_initial_values_are_empty_without_a_linked_ticket(session):
    assert services.initial_ticket_values(session) == {}


def test_unlinking_clears_the_initial_values(linked_session):
    services.unlink_ticket(linked_session)
    assert services.initial_ticket_values(linked_session) == {}
    assert linked_session.linked_ticket_summary == ""


def test_linking_by_number_fetches_the_ticket_through_the_ticket_service(session, monkeypatch):
    from tickets import service as ticket_service

    calls = []

    def fake_get_ticket(tenant, ticket_id):
        calls.append((tenant.account, tenant.user, ticket_id))
        return PSATicketDetail(id=ticket_id, summary="Mail flow stopped", company_id=252, board_id=2)

    monkeypatch.setattr(ticket_service, "get_ticket", fake_get_ticket, raising=False)
    services.link_ticket(session, "1077")

    session.refresh_from_db()
    assert calls == [(session.account, session.user, 1077)]  # by default as the session's owner
    assert (session.linked_ticket_id, session.linked_company_id, session.linked_board_id,
            session.linked_ticket_summary) == (1077, 252, 2, "Mail flow stopped")


def test_messages_show_oldest_first(session):
    services.post_message(session, "one")
    services.post_message(session, "two")
    assert [m.text for m in services.messages_for(session) if m.role == Message.Role.USER] == ["one", "two"]
