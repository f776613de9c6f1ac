from urllib.parse import parse_qs, urlsplit

import pytest

from assist import services


@pytest.fixture
def spin_off_session(session):
    services.post_message(session, "Outlook keeps crashing. Also, the printer on the 2nd floor is offline.")
    return session


def new_ticket_links(content):
    import re

    return [dict(parse_qs(urlsplit(href.replace("&amp;", "&")).query)) for href in
            re.findall(r'href="(/tickets/new\?[^"]+)"', content.decode())]


def test_it_shows_the_conversation_and_the_tasklane(alice_client, spin_off_session):
    response = alice_client.get(f"/assist/{spin_off_session.id}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Outlook keeps crashing" in content
    assert 'id="tasklane"' in content
    assert "The printer on the 2nd floor is offline" in content
    assert "[ACTIONS]" not in content


def test_the_spin_off_link_opens_quick_create_with_the_hint_and_no_defaults(alice_client, spin_off_session):
    action = services.pending_actions(spin_off_session).get()
    links = new_ticket_links(alice_client.get(f"/assist/{spin_off_session.id}/").content)
    assert {"tab": ["quick"], "prompt": ["The printer on the 2nd floor is offline"], "action": [str(action.id)],
            "session": [str(spin_off_session.id)]} in links


def test_the_header_button_opens_the_full_form_with_the_linked_company_and_board(alice_client, linked_session):
    links = new_ticket_links(alice_client.get(f"/assist/{linked_session.id}/").content)
    assert {"tab": ["full"], "company": ["251"], "board": ["1"], "session": [str(linked_session.id)]} in links


def test_the_header_button_is_always_there_without_a_linked_ticket(alice_client, session):
    content = alice_client.get(f"/assist/{session.id}/").content
    assert b"data-new-ticket" in content
    assert {"tab": ["full"], "session": [str(session.id)]} in new_ticket_links(content)


def test_the_tasklane_partial_can_be_refreshed(alice_client, spin_off_session):
    response = alice_client.get(f"/assist/{spin_off_session.id}/?part=tasklane", headers={"HX-Request": "true"})
    assert response.content.decode().lstrip().startswith('<aside id="tasklane"')


@pytest.mark.parametrize("who", ["bob_client", "charlie_client"])
def test_other_people_get_a_404(request, session, who):
    assert request.getfixturevalue(who).get(f"/assist/{session.id}/").status_code == 404


def test_the_link_form_names_the_accounts_psa(alice_client, session, connection, psa_kind):
    psa = {"connectwise": "ConnectWise", "autotask": "Autotask"}[psa_kind]
    content = alice_client.get(f"/assist/{session.id}/").content.decode()
    assert f'<label for="link-ticket-id">Link a ticket from {psa}</label>' in content
