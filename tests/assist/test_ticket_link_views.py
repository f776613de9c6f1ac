from assist import services

HTMX = {"HX-Request": "true"}


def test_linking_a_sandbox_ticket_keeps_its_company_and_board(alice_client, session, connection, sandbox):
    from psa.tenancy import tenant_for_account
    from tickets import service as ticket_service

    ticket = ticket_service.get_ticket(tenant_for_account(session.account), 1000)
    response = alice_client.post(f"/assist/{session.id}/link", {"ticket_id": "#1000"}, headers=HTMX)

    session.refresh_from_db()
    assert response.status_code == 200
    assert (session.linked_ticket_id, session.linked_company_id, session.linked_board_id) == (
        1000, ticket.company_id, ticket.board_id)
    assert "Linked ticket #1000" in response["HX-Trigger"]


def test_an_unknown_ticket_shows_an_error(alice_client, session, connection, sandbox):
    response = alice_client.post(f"/assist/{session.id}/link", {"ticket_id": "99999999"}, headers=HTMX)
    assert b"Could not link ticket #99999999" in response.content
    session.refresh_from_db()
    assert session.linked_ticket_id is None


def test_linking_without_a_connection_explains_why(alice_client, session):
    response = alice_client.post(f"/assist/{session.id}/link", {"ticket_id": "1000"}, headers=HTMX)
    assert b"Connect ConnectWise first" in response.content


def test_unlinking_clears_the_ticket(alice_client, linked_session):
    alice_client.post(f"/assist/{linked_session.id}/unlink", headers=HTMX)
    linked_session.refresh_from_db()
    assert services.initial_ticket_values(linked_session) == {}


def test_a_number_that_is_not_a_ticket_number_is_refused_plainly(alice_client, session, connection, sandbox):
    for raw in ("²", "12345678901234567890", "0"):  # a Unicode digit; beyond any ticket id; zero
        response = alice_client.post(f"/assist/{session.id}/link", {"ticket_id": raw}, headers=HTMX)

        assert response.status_code == 200 and b"Enter a ticket number." in response.content, raw
    session.refresh_from_db()
    assert session.linked_ticket_id is None
