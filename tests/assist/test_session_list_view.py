from assist import services
from assist.models import AssistSession


def test_it_lists_only_my_sessions(alice_client, account, alice, bob):
    services.create_session(account, alice, "Outlook for the CFO")
    services.create_session(account, bob, "Bob's printer")
    response = alice_client.get("/assist/")
    assert response.status_code == 200
    assert b"Outlook for the CFO" in response.content
    assert b"Bob&#x27;s printer" not in response.content


def test_it_labels_the_offline_assistant(alice_client):
    assert b"Offline assistant" in alice_client.get("/assist/").content


def test_creating_a_session_redirects_to_it(alice_client, alice):
    response = alice_client.post("/assist/new", {"title": "VPN drops"})
    session = AssistSession.objects.get(user=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/assist/{session.id}/"
    assert session.title == "VPN drops"


def test_creating_with_htmx_uses_a_client_redirect(alice_client, alice):
    response = alice_client.post("/assist/new", {"title": "x"}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == f"/assist/{AssistSession.objects.get(user=alice).id}/"


def test_anonymous_users_are_sent_to_login(client):
    assert client.get("/assist/").status_code == 302
