"""The Anthropic path, through the real SDK, with HTTP replaced at one point (an httpx2 MockTransport)."""

import json

import httpx2
import pytest

from assist import services
from assist.chat import AnthropicChat, ChatRejected, ChatUnavailable, OfflineAssistant, get_engine
from assist.models import Message, SessionAction

MARKED_REPLY = (
    "Rebuild the Outlook profile first.\n\n"
    '[ACTIONS]\ncreate_spin_off_ticket: "Printer offline on 2nd floor"\n[/ACTIONS]'
)


def message_body(text):
    return {
        "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


class FakeAnthropic:
    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        status, body = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return httpx2.Response(status, json=body)

    def engine(self, **kwargs):
        client = httpx2.Client(transport=httpx2.MockTransport(self))
        return AnthropicChat(api_key="test-key", model="claude-test", http_client=client, max_retries=0, **kwargs)

    def sent(self, index=-1):
        return json.loads(self.requests[index].content)


def test_a_key_selects_the_anthropic_engine(settings):
    settings.ANTHROPIC_API_KEY = "sk-test"
    assert isinstance(get_engine(), AnthropicChat)
    settings.ANTHROPIC_API_KEY = ""
    assert isinstance(get_engine(), OfflineAssistant)


def test_a_reply_with_a_marker_stores_the_action(linked_session):
    fake = FakeAnthropic((200, message_body(MARKED_REPLY)))
    user_message, reply = services.post_message(linked_session, "Outlook crashes and the printer is down too",
                                                engine=fake.engine())

    assert isinstance(reply, Message)
    assert reply.text == "Rebuild the Outlook profile first."
    assert reply.raw_text == MARKED_REPLY
    action = SessionAction.objects.get(session=linked_session)
    assert (action.type, action.label, action.summary_hint, action.status, action.message_id) == (
        "create_spin_off_ticket", "Printer offline on 2nd floor", "Printer offline on 2nd floor", "pending", reply.id)


def test_it_sends_the_system_prompt_history_and_model(linked_session):
    fake = FakeAnthropic((200, message_body("First answer")), (200, message_body("Second answer")))
    services.post_message(linked_session, "Outlook crashes", engine=fake.engine())
    services.post_message(linked_session, "Still crashing", engine=fake.engine())

    sent = fake.sent()
    assert fake.requests[-1].url.path == "/v1/messages"
    headers = fake.requests[-1].headers
    assert "test-key" in (headers.get("x-api-key", "") + headers.get("authorization", ""))
    assert headers["x-stainless-read-timeout"] == "20.0"  # settings.ANTHROPIC_TIMEOUT_SECONDS, not 10 minutes
    assert sent["model"] == "claude-test"
    assert "create_spin_off_ticket" in sent["system"]
    assert "#1042" in sent["system"]
    assert sent["messages"] == [
        {"role": "user", "content": "Outlook crashes"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "Still crashing"},
    ]


def test_the_history_sends_the_raw_reply_with_its_marker(session):
    fake = FakeAnthropic((200, message_body(MARKED_REPLY)), (200, message_body("ok")))
    services.post_message(session, "one", engine=fake.engine())
    services.post_message(session, "two", engine=fake.engine())
    assert fake.sent()["messages"][1]["content"] == MARKED_REPLY


def test_the_client_has_an_explicit_timeout_and_retries(settings):
    settings.ANTHROPIC_TIMEOUT_SECONDS = 7.5
    client = AnthropicChat(api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(lambda r: None)))._client()
    assert client.timeout.read == 7.5
    assert client.timeout.connect == 5.0
    assert client.max_retries == 1


@pytest.mark.parametrize(("status", "error"), [(500, ChatUnavailable), (529, ChatUnavailable), (429, ChatUnavailable),
                                               (401, ChatRejected), (400, ChatRejected)])
def test_a_failed_reply_keeps_the_user_message_and_stores_no_assistant_message(session, status, error):
    fake = FakeAnthropic((status, {"type": "error", "error": {"type": "api_error", "message": "boom"}}))
    user_message, reply = services.post_message(session, "Outlook crashes", engine=fake.engine())

    assert isinstance(reply, error)
    assert reply.retryable is (error is ChatUnavailable)
    assert list(session.messages.values_list("role", "text", "failed")) == [("user", "Outlook crashes", True)]


def test_a_timeout_is_a_retryable_error(session):
    def timeout(request):
        raise httpx2.ReadTimeout("slow", request=request)

    engine = AnthropicChat(api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(timeout)), max_retries=0)
    _, reply = services.post_message(session, "hello", engine=engine)
    assert isinstance(reply, ChatUnavailable)
    assert "too long" in reply.message


def test_retry_answers_the_kept_message(session):
    fake = FakeAnthropic((503, {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}),
                         (200, message_body(MARKED_REPLY)))
    user_message, error = services.post_message(session, "Outlook crashes", engine=fake.engine())
    assert isinstance(error, ChatUnavailable)

    reply = services.retry_reply(session, engine=fake.engine())

    assert isinstance(reply, Message)
    user_message.refresh_from_db()
    assert user_message.failed is False
    assert [m.role for m in session.messages.all()] == ["user", "assistant"]
    assert fake.sent()["messages"] == [{"role": "user", "content": "Outlook crashes"}]
    assert session.actions.count() == 1


def test_an_empty_reply_is_an_error(session):
    fake = FakeAnthropic((200, message_body("   ")))
    _, reply = services.post_message(session, "hello", engine=fake.engine())
    assert isinstance(reply, ChatUnavailable)


@pytest.mark.parametrize("body", [b"", b'{"id": "msg_1", "content": [', b'{"id": "msg_\xff\xfe"}'],
                         ids=["empty", "truncated-json", "invalid-utf8"])
def test_an_unreadable_reply_is_a_retryable_error_and_keeps_the_message(session, body):
    def unreadable(request):
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    engine = AnthropicChat(api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(unreadable)),
                           max_retries=0)
    _, reply = services.post_message(session, "hello", engine=engine)

    assert isinstance(reply, ChatUnavailable) and reply.retryable
    assert list(session.messages.values_list("role", "text", "failed")) == [("user", "hello", True)]


def test_a_refused_key_is_reported_on_the_integrations_page(session, settings):
    from tickets.ai.client import engine_status

    settings.ANTHROPIC_API_KEY = "test-key"
    fake = FakeAnthropic((401, {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}))
    services.post_message(session, "Outlook crashes", engine=fake.engine())

    status = engine_status()
    assert status.message == "The Anthropic API key was refused (401): an operator must set a valid ANTHROPIC_API_KEY"

    fake.responses = [(200, message_body("Try safe mode"))]
    services.post_message(session, "Still crashing", engine=fake.engine())
    assert engine_status().problem is None
