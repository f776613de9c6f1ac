"""Labels follow the connection's PSA: Autotask says Queue and Resource where ConnectWise says Board and Member."""

import pytest

from psa import registry
from psa.models import PSAConnection
from psa.vocabulary import words_for

HX = {"HX-Request": "true"}


@pytest.fixture
def autotask_connection(account, alice):
    from psa.autotask_sandbox import default_at_sandbox
    from psa.autotask_sandbox.seed import API_INTEGRATION_CODE, API_SECRET, API_USERNAME

    default_at_sandbox().reset()
    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    yield connection
    registry.forget(connection)


def test_connectwise_keeps_the_products_own_words():
    assert words_for("connectwise") == {}
    assert words_for(None) == {}


def test_the_queue_of_an_autotask_account_says_queue(alice_client, autotask_connection):
    body = alice_client.get("/tickets").content.decode()

    assert '>Queue</label>' in body
    assert "Any queue" in body
    assert '>Board</label>' not in body


def test_the_queue_of_a_connectwise_account_says_board(alice_client, connection):
    body = alice_client.get("/tickets").content.decode()

    assert '>Board</label>' in body
    assert '>Queue</label>' not in body


def test_the_drawers_resources_of_an_autotask_ticket_say_resource(alice_client, autotask_connection):
    from psa.autotask_sandbox import default_at_sandbox

    ticket_id = next(t["id"] for t in default_at_sandbox().state["tickets"].values() if t.get("assignedResourceID"))
    body = alice_client.get(f"/tickets/{ticket_id}/resources", headers=HX).content.decode()

    assert ">Add resource</label>" in body
    assert 'aria-label="Assigned resources"' in body
    assert "Add member" not in body


@pytest.mark.connectwise_only("the shared connection is Autotask in this run; Autotask's words: the test above")
def test_the_drawers_resources_of_a_connectwise_ticket_say_member(alice_client, connection):
    body = alice_client.get("/tickets/1042/resources", headers=HX).content.decode()

    assert ">Add member</label>" in body
    assert 'aria-label="Assigned members"' in body


def test_the_profile_of_an_autotask_user_names_their_autotask_resource(alice_client, autotask_connection):
    body = alice_client.get("/account/profile").content.decode()

    assert "Automatic: your Autotask resource's time zone when it has one" in body
    assert "ConnectWise" not in body


def test_the_bulk_bar_of_an_autotask_account_assigns_a_resource(alice_client, autotask_connection):
    body = alice_client.get("/tickets/bulk", headers=HX).content.decode()

    assert ">Assign resource</button>" in body
    assert ">Resource</label>" in body
    assert "Assign member" not in body


def test_an_autotask_user_back_on_automatic_zones_is_told_their_resources_zone_comes_first(alice_client,
                                                                                        autotask_connection):
    body = alice_client.post("/account/profile", {"zone": ""}, follow=True).content.decode()

    assert "Dates and times now follow your Autotask resource&#x27;s or your browser&#x27;s time zone." in body
