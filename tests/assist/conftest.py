import pytest


@pytest.fixture
def session(account, alice):
    from assist import services

    return services.create_session(account, alice, "Outlook crashes for the CFO")


@pytest.fixture
def linked_session(session):
    from assist import services
    from psa.schemas import PSATicketDetail

    ticket = PSATicketDetail(id=1042, summary="Outlook crashes on launch", company_id=251, board_id=1)
    return services.link_ticket(session, 1042, ticket=ticket)
