"""What an Autotask account reads when its PSA fails names Autotask, never ConnectWise: the API's messages,
the open circuit breaker, a stale edit (the errors' default wording is ConnectWise's, for its client)."""

from __future__ import annotations

import pytest
from django.test import Client

from psa import registry
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME
from psa.models import PSAConnection

pytestmark = pytest.mark.django_db

API = "/integrations/psa"


@pytest.fixture
def at_api(account, alice, at_sandbox, settings):
    from tickets.models import APIToken

    settings.PSA_GET_RETRIES = 0
    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    _, raw = APIToken.issue(alice, name="autotask messages")
    yield Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    registry.forget(connection)


def test_an_autotask_that_keeps_failing_opens_the_breaker_and_says_autotask(at_api, at_sandbox, settings):
    settings.PSA_BREAKER_FAILURES = 2
    settings.PSA_BREAKER_COOLDOWN_SECONDS = 60
    at_sandbox.inject("503", path=r"^/V1\.0/Resources/query$")
    details = [at_api.get(f"{API}/members").json()["detail"] for _ in range(3)]
    assert details[0] == "Loading members failed: Autotask is unavailable right now"
    assert details[2].startswith("Loading members failed: Autotask is not responding — retrying in")
    assert not any("ConnectWise" in detail for detail in details)


def test_a_refusal_in_autotasks_own_words_is_attributed_to_autotask(at_api, at_sandbox):
    at_sandbox.inject("validation", method="POST", path=r"^/V1\.0/Tickets$")
    response = at_api.post(f"{API}/tickets", {"summary": "Printer offline", "company_id": 250, "board_id": 1,
                                              "status_id": 1, "priority_id": 2}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == ("Creating the ticket failed: Autotask refused the request: Value does not "
                                         "reference an existing entity for priority .")


def test_a_ticket_created_on_the_new_ticket_form_is_announced_as_created_in_autotask(account, alice, at_sandbox):
    import json
    import re

    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    browser = Client()
    browser.force_login(alice)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/tickets"}
    try:
        form = browser.get("/tickets/new?tab=full", **hx).content.decode()
        token = re.search(r'name="token" value="([^"]+)"', form).group(1)
        created = browser.post("/tickets/new", {"summary": "Printer on 2nd floor offline", "company": "Acme Corp",
                                                "board_id": "1", "status_id": "1", "priority_id": "2",
                                                "tab": "full", "action": "create", "token": token}, **hx)
        assert created.status_code == 204, created.content.decode()[:2000]
        toast = json.loads(created["HX-Trigger"])["toast"]["message"]
        assert re.fullmatch(r"Ticket #\d+ created in Autotask", toast), toast
    finally:
        registry.forget(connection)


def test_assigned_to_me_without_a_mapping_asks_for_an_autotask_resource(at_api):
    response = at_api.get(f"{API}/tickets", {"assigned": "me"})
    assert response.status_code == 422
    assert "not mapped to an Autotask resource" in response.json()["detail"]
