from assist import services

HTMX = {"HX-Request": "true"}


def test_marking_done_removes_the_action_and_toasts(alice_client, session):
    services.post_message(session, "Outlook crashes. Also the fax machine is dead.")
    action = services.pending_actions(session).get()

    response = alice_client.post(f"/assist/{session.id}/actions/{action.id}/done", {"ticket_id": "1042"}, headers=HTMX)

    assert "Ticket #1042 created in ConnectWise" in response["HX-Trigger"]
    assert f'id="action-{action.id}"' not in response.content.decode()
    assert "Ticket #1042" in response.content.decode()
    assert services.pending_actions(session).count() == 0


def test_a_ticket_id_is_required(alice_client, session):
    services.post_message(session, "Outlook crashes. Also the fax machine is dead.")
    action = services.pending_actions(session).get()
    assert alice_client.post(f"/assist/{session.id}/actions/{action.id}/done", {}).status_code == 400


def test_charlie_cannot_complete_alices_action(charlie_client, session):
    services.post_message(session, "Outlook crashes. Also the fax machine is dead.")
    action = services.pending_actions(session).get()
    response = charlie_client.post(f"/assist/{session.id}/actions/{action.id}/done", {"ticket_id": "1"})
    assert response.status_code == 404
    assert services.pending_actions(session).count() == 1
