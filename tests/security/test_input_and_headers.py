"""The JSON API refuses what the HTML form refuses (NUL and control characters), and the Server-Timing
header (PSA call counts) is shown only to whom ``SERVER_TIMING`` allows (issue 13, finding 9)."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import API

pytestmark = pytest.mark.django_db

VALID = {"summary": "Printer offline", "company_id": 250, "board_id": 1, "status_id": 11, "priority_id": 3}


@pytest.mark.parametrize("field, value", [
    ("summary", "Printer\x00offline"),
    ("summary", "Printer\x1boffline"),
    ("description", "line one\x00line two"),
])
def test_the_api_refuses_control_characters_naming_the_field(api, connection, sandbox, field, value):
    before = len(sandbox.state["tickets"])
    response = api.post(f"{API}/tickets", {**VALID, field: value}, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    assert "Control characters" in response.json()["detail"]
    assert len(sandbox.state["tickets"]) == before


def test_tabs_and_line_breaks_are_still_text(api, connection, sandbox):
    response = api.post(f"{API}/tickets", {**VALID, "summary": "Printer\toffline", "description": "a\r\nb"},
                        content_type="application/json")
    assert response.status_code != 422, response.content


def test_server_timing_is_hidden_from_users_who_are_not_staff(settings, alice_client, alice, connection):
    settings.SERVER_TIMING = "staff"
    assert "Server-Timing" not in alice_client.get("/tickets", HTTP_HX_REQUEST="true").headers
    alice.is_staff = True
    alice.save()
    assert "psa" in alice_client.get("/tickets", HTTP_HX_REQUEST="true").headers["Server-Timing"]


def test_server_timing_is_hidden_from_anonymous_clients_and_can_be_off(settings, client, alice_client, alice):
    settings.SERVER_TIMING = "staff"
    assert "Server-Timing" not in client.get("/healthz").headers
    settings.SERVER_TIMING = "nobody"
    alice.is_staff = True
    alice.save()
    assert "Server-Timing" not in alice_client.get("/healthz").headers
