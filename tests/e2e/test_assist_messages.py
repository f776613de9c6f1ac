"""The engineer's message shows at once in a ResolutionAssist session, and stays after a failed reply."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settled

pytestmark = pytest.mark.e2e


@pytest.fixture
def session(alice_mapping):
    from assist import services

    return services.create_session(alice_mapping.account, alice_mapping.user, "VPN trouble")


class GatedAssistant:
    """The offline assistant, but each reply waits until the test opens the gate."""

    def __init__(self):
        from assist.chat import OfflineAssistant

        self.gate = threading.Event()
        self.inner = OfflineAssistant()

    def reply(self, session, turns):
        self.gate.wait(timeout=15)
        return self.inner.reply(session, turns)


class BrokenAssistant:
    def reply(self, session, turns):
        from assist.chat import ChatUnavailable

        raise ChatUnavailable()


def send(page, text: str):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def test_the_message_shows_before_the_reply_arrives(logged_in_page, session, monkeypatch):
    engine = GatedAssistant()
    monkeypatch.setattr("assist.chat.get_engine", lambda: engine)  # the live server runs in this process
    page = logged_in_page
    page.goto(f"/assist/{session.id}/")
    conversation = page.get_by_role("region", name="Conversation")
    text = "VPN drops every <b>10</b> minutes"
    try:
        send(page, text)
        pending = conversation.locator(".message-pending")
        expect(pending).to_have_text(f"You{text}")  # shown at once, as text (no markup)
        expect(pending.locator("b")).to_have_count(0)
        expect(page.locator("#typing")).to_be_visible()
        expect(conversation.locator(".message-assistant")).to_have_count(0)
    finally:
        engine.gate.set()

    expect(conversation.locator(".message-assistant")).to_have_count(1)
    expect(conversation.locator(".message-pending")).to_have_count(0)
    expect(conversation.locator(".message-user")).to_have_count(1)
    expect(conversation.locator(".message-user")).to_contain_text(text)


def test_after_a_failed_reply_the_message_stays_with_retry(logged_in_page, session, monkeypatch):
    monkeypatch.setattr("assist.chat.get_engine", BrokenAssistant)
    page = logged_in_page
    page.goto(f"/assist/{session.id}/")
    conversation = page.get_by_role("region", name="Conversation")

    send(page, "Outlook will not open for the CFO")

    expect(conversation.get_by_text("The assistant did not reply.")).to_be_visible()
    expect(conversation.locator(".message-user")).to_have_count(1)
    expect(conversation.locator(".message-user")).to_contain_text("Outlook will not open for the CFO")
    expect(conversation.locator(".message-pending")).to_have_count(0)
    retry = conversation.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    settled(page)  # the conversation was swapped in: Retry posts through htmx once it is bound

    monkeypatch.undo()  # the assistant is back
    retry.click()
    expect(conversation.locator(".message-assistant")).to_have_count(1)
    expect(conversation.get_by_role("button", name="Retry")).to_have_count(0)
    expect(conversation.locator(".message-user")).to_have_count(1)
