from assist.chat import ChatUnavailable
from assist.models import Message

HTMX = {"HX-Request": "true"}


def test_posting_with_htmx_returns_the_chat_and_the_tasklane_out_of_band(alice_client, session):
    response = alice_client.post(f"/assist/{session.id}/messages",
                                 {"text": "Outlook crashes. Also the fax machine is dead."}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="chat"')
    assert 'id="tasklane" class="tasklane" aria-label="TaskLane" hx-swap-oob="true"' in content
    assert "The fax machine is dead" in content
    assert session.messages.count() == 2


def test_posting_without_htmx_redirects_back(alice_client, session):
    response = alice_client.post(f"/assist/{session.id}/messages", {"text": "hello"})
    assert response.status_code == 302


def test_an_empty_message_shows_an_error_and_stores_nothing(alice_client, session):
    response = alice_client.post(f"/assist/{session.id}/messages", {"text": "  "}, headers=HTMX)
    assert b"Type a message first." in response.content
    assert session.messages.count() == 0


def test_a_failed_reply_shows_retry_and_keeps_the_message(alice_client, session, monkeypatch):
    def fail(session, user_text=None, *, engine=None):
        raise ChatUnavailable()

    monkeypatch.setattr("assist.chat.reply", fail)
    response = alice_client.post(f"/assist/{session.id}/messages", {"text": "VPN down"}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert "VPN down" in content
    assert "Retry" in content
    assert list(session.messages.values_list("role", flat=True)) == ["user"]

    monkeypatch.undo()
    response = alice_client.post(f"/assist/{session.id}/retry", headers=HTMX)
    assert "Retry" not in response.content.decode()
    assert list(session.messages.values_list("role", flat=True)) == ["user", "assistant"]


def test_the_page_still_offers_retry_after_a_reload(alice_client, session):
    Message.objects.create(session=session, role="user", text="VPN down", failed=True)
    assert b"/retry" in alice_client.get(f"/assist/{session.id}/").content


def test_bob_cannot_post_into_alices_session(bob_client, session):
    assert bob_client.post(f"/assist/{session.id}/messages", {"text": "hi"}).status_code == 404
    assert session.messages.count() == 0
