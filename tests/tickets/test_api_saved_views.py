"""Saved views through the JSON API: the same rules as the service, with the API's error conventions."""

from __future__ import annotations

import pytest
from django.test import Client

from tickets.models import APIToken

API = "/integrations/psa"


def _client(user) -> Client:
    _, raw = APIToken.issue(user, name="tests")
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def alice_api(alice, connection):
    return _client(alice)


@pytest.fixture
def bob_api(bob, connection):
    return _client(bob)


@pytest.fixture
def charlie_api(charlie, other_connection):
    return _client(charlie)


def _create(client, **body):
    response = client.post(f"{API}/views", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_view_is_created_from_the_queue_url_and_listed_with_its_count(alice_api, sandbox):
    created = _create(alice_api, name="Service Desk / New", query="board=1&status=11&page=4")

    assert (created["query"], created["url"]) == ("board=1&status=11", "/tickets?board=1&status=11")
    listed = alice_api.get(f"{API}/views").json()
    assert [(v["name"], v["shared"], v["can_manage"]) for v in listed] == [("Service Desk / New", False, True)]
    expected = sum(1 for t in sandbox.state["tickets"].values()  # each sandbox's own fields (Autotask: queueID, status)
                   if ((t["board"]["id"], t["status"]["id"], t["closedFlag"]) if "_info" in t
                       else (t["queueID"], t["status"], False)) == (1, 11, False))
    assert listed[0]["open_count"] == expected and listed[0]["warnings"] == []


def test_a_shared_view_appears_for_a_colleague_and_not_for_another_account(alice_api, bob_api, charlie_api):
    created = _create(alice_api, name="Team desk", query="board=1", shared=True)

    assert [v["name"] for v in bob_api.get(f"{API}/views?counts=false").json()] == ["Team desk"]
    assert charlie_api.get(f"{API}/views?counts=false").json() == []
    assert charlie_api.get(f"{API}/views/{created['id']}").status_code == 404


def test_a_colleague_may_not_change_a_shared_view_and_is_told_so(alice_api, bob_api):
    created = _create(alice_api, name="Team desk", query="board=1", shared=True)

    response = bob_api.patch(f"{API}/views/{created['id']}", {"name": "Mine now"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only the view's creator or an account admin")
    assert bob_api.delete(f"{API}/views/{created['id']}").status_code == 403


def test_renaming_and_deleting_a_view(alice_api):
    created = _create(alice_api, name="Desk", query="board=1")

    renamed = alice_api.patch(f"{API}/views/{created['id']}", {"name": "Desk (all)", "query": "board=1&closed=true"},
                              content_type="application/json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["query"]) == ("Desk (all)", "board=1&closed=true")
    assert alice_api.delete(f"{API}/views/{created['id']}").status_code == 204
    assert alice_api.get(f"{API}/views/{created['id']}").status_code == 404


def test_a_malformed_filter_is_a_422_naming_the_parameter(alice_api):
    response = alice_api.post(f"{API}/views", {"name": "Bad", "query": "board=abc"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "board", "message": "board must be an id (a positive whole number)"}]


def test_a_duplicate_name_is_a_422_on_the_name(alice_api):
    _create(alice_api, name="Desk", query="board=1")

    response = alice_api.post(f"{API}/views", {"name": "desk", "query": "board=2"}, content_type="application/json")

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "name"


def test_reordering_and_the_default_view(alice_api):
    first = _create(alice_api, name="A", query="board=1")
    second = _create(alice_api, name="B", query="board=2")

    ordered = alice_api.put(f"{API}/views/order", {"ids": [second["id"], first["id"]]}, content_type="application/json")
    assert [v["name"] for v in ordered.json()] == ["B", "A"]

    chosen = alice_api.put(f"{API}/views/default", {"view_id": first["id"]}, content_type="application/json")
    assert chosen.json() == {"view_id": first["id"], "url": "/tickets?board=1"}
    assert [v["is_default"] for v in alice_api.get(f"{API}/views?counts=false").json()] == [False, True]
    cleared = alice_api.put(f"{API}/views/default", {"view_id": None}, content_type="application/json")
    assert cleared.json() == {"view_id": None, "url": "/tickets"}


def test_a_member_reordering_the_shared_views_is_refused(alice_api, bob_api):
    first = _create(alice_api, name="A", query="board=1", shared=True)
    second = _create(alice_api, name="B", query="board=2", shared=True)

    response = bob_api.put(f"{API}/views/order", {"ids": [second["id"], first["id"]]}, content_type="application/json")

    assert response.status_code == 403


def test_a_view_whose_board_is_gone_names_it_in_its_warnings(alice_api, sandbox):
    created = _create(alice_api, name="Projects", query="board=3")
    sandbox.state["boards"][3]["inactiveFlag"] = True

    view = alice_api.get(f"{API}/views/{created['id']}").json()

    assert view["warnings"] and "Ignored board “3”" in view["warnings"][0]
    assert view["open_count"] == sum(1 for t in sandbox.state["tickets"].values() if not t["closedFlag"])


def test_a_failing_count_is_reported_in_the_view_not_as_an_error(alice_api, sandbox, psa_kind):
    _create(alice_api, name="Desk", query="board=1")
    count_path = {"connectwise": r"/service/tickets/count$", "autotask": r"/Tickets/query/count$"}[psa_kind]
    sandbox.inject("503", method="GET", path=count_path)

    response = alice_api.get(f"{API}/views")

    assert response.status_code == 200
    assert response.json()[0]["open_count"] is None and response.json()[0]["count_error"]


def test_the_views_need_authentication(client, db):
    response = client.get(f"{API}/views")

    assert response.status_code == 401 and response.json()["detail"]


def test_the_session_needs_the_csrf_token_to_create_a_view(alice, connection):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(f"{API}/views", {"name": "A", "query": ""}, content_type="application/json")

    assert response.status_code == 403
