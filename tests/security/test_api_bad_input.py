"""Bad input through the JSON API: every 4xx is the JSON error body with a clear message, and no input
causes a 500. Oversize input gets a 4xx that says what is too big."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import API

pytestmark = pytest.mark.django_db

VALID = {"summary": "Printer offline", "company_id": 250, "board_id": 1, "status_id": 11, "priority_id": 3}
JSON = "application/json"

# (name, method, path, body or query, content type, status, field named in errors or None, text in detail)
CASES = [
    ("summary over 100", "post", "/tickets", {**VALID, "summary": "s" * 101}, JSON, 422, "summary", "100"),
    ("description over 10,000", "post", "/tickets", {**VALID, "description": "d" * 10_001}, JSON, 422, "description", "10000"),
    ("prompt over 2,000", "post", "/tickets/ai-parse", {"prompt": "p" * 2_001}, JSON, 422, "prompt", "2,000"),
    ("page 10**12", "get", "/tickets", {"page": 10**12}, None, 422, "page", "page"),
    ("page_size 10**6", "get", "/tickets", {"page_size": 10**6}, None, 422, "page_size", "page_size"),
    ("search of 10,000 chars", "get", "/tickets", {"search": "x" * 10_000}, None, 422, "search", "200"),
    ("company search of 10,000 chars", "get", "/companies", {"search": "x" * 10_000}, None, 422, "search", "200"),
    ("companies limit 10**6", "get", "/companies", {"limit": 10**6}, None, 422, "limit", "limit"),
    ("ticket id past 32 bits", "get", "/tickets/" + "9" * 40, None, None, 422, "ticket_id", "ticket_id"),
    ("negative ticket id", "get", "/tickets/-5", None, None, 422, "ticket_id", "ticket_id"),
    ("ticket id zero", "get", "/tickets/0/resources", None, None, 422, "ticket_id", "ticket_id"),
    ("status id past 32 bits", "patch", "/tickets/1000/status", {"status_id": 10**30}, JSON, 422, "status_id", "status_id"),
    ("member id as text", "post", "/tickets/1000/resources", {"member_id": "bob"}, JSON, 422, "member_id", "member_id"),
    ("unicode digit as assignee", "get", "/tickets", {"assigned": "²"}, None, 422, "assigned", "assigned"),
    ("assignee of 5,000 digits", "get", "/tickets", {"assigned": "9" * 5000}, None, 422, "assigned", "assigned"),
    ("board as text", "get", "/tickets", {"board": "one"}, None, 422, "board", "board"),
    ("closed as text", "get", "/tickets", {"closed": "maybe"}, None, 422, "closed", "closed"),
    ("body not JSON", "post", "/tickets", "{not json", JSON, 400, None, "parse"),
    ("body not UTF-8", "post", "/tickets/ai-parse", b"\xff\xfe\xfa", JSON, 400, None, "parse"),
    ("body a JSON list", "post", "/tickets", [], JSON, 422, None, "Invalid input"),
    ("body JSON null", "post", "/tickets/ai-parse", None, JSON, 422, None, "Invalid input"),
    ("empty body", "patch", "/tickets/1000/status", "", JSON, 422, None, "Invalid input"),
    ("wrong types everywhere", "post", "/tickets", {k: [1] for k in VALID}, JSON, 422, "summary", "Invalid input"),
    ("body over the upload limit", "post", "/tickets/ai-parse", b'{"prompt": "' + b"a" * 3_000_000 + b'"}', JSON, 413, None, "too large"),
    ("unknown path", "get", "/tickets/1000/notes", None, None, 404, None, "No API endpoint"),
    ("trailing slash", "get", "/tickets/", None, None, 404, None, "No API endpoint"),
    ("wrong method", "put", "/tickets", {}, JSON, 405, None, "not allowed"),
    ("TRACE", "trace", "/boards", None, None, 405, None, "not allowed"),
]


def _send(api, method, path, body, content_type):
    url = API + path
    if method in ("get", "trace"):
        return getattr(api, method)(url, body) if method == "get" else api.generic("TRACE", url)
    if body is None and content_type == JSON:
        body = b"null"
    if isinstance(body, (dict, list)):
        return getattr(api, method)(url, body, content_type=content_type)
    return getattr(api, method)(url, body, content_type=content_type)


@pytest.mark.parametrize("name, method, path, body, content_type, status, field, text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_json_4xx(api, connection, name, method, path, body, content_type, status, field, text):
    response = _send(api, method, path, body, content_type)
    assert response.status_code == status, response.content[:500]
    payload = response.json()
    assert set(payload) == {"detail", "errors"}
    assert text in payload["detail"] or any(text in e["message"] for e in payload["errors"]), payload
    if field:
        assert field in [e["field"] for e in payload["errors"]], payload
    assert "Traceback" not in response.content.decode(errors="replace")


def test_a_wrong_method_names_the_allowed_ones(api, connection):
    response = api.delete(f"{API}/boards")
    assert response.status_code == 405 and response["Allow"] == "GET"


def test_an_overlong_idempotency_key_is_422_and_creates_nothing(api, connection, sandbox):
    before = sandbox.ticket_count()
    response = api.post(f"{API}/tickets", VALID, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert sandbox.ticket_count() == before


def test_a_note_over_10000_characters_is_refused_before_the_psa(account, connection, sandbox):
    """Notes have no JSON endpoint; an oversize note is refused with a field error before any PSA call."""
    from psa.providers.base import PSAValidationError
    from psa.tenancy import tenant_for_account
    from tickets import service

    sandbox.clear_log()
    with pytest.raises(PSAValidationError) as caught:
        service.add_note(tenant_for_account(account), 1000, "n" * 10_001)
    assert "10000" in caught.value.message and caught.value.field_errors[0].field == "text"
    assert not [r for r in sandbox.request_log if r.method == "POST"]


def test_a_search_of_only_control_characters_is_no_search(api, connection):
    unfiltered = api.get(f"{API}/tickets").json()["total"]
    response = api.get(f"{API}/tickets", {"search": "\x00\x01"})
    assert response.status_code == 200, response.content
    assert response.json()["total"] == unfiltered


@pytest.mark.parametrize("text", ["'; DROP TABLE tickets; --", '" or 1=1 or summary contains "', "<script>alert(1)</script>",
                                  "🙂" * 50, "%", "\\"])
def test_odd_search_text_is_searched_for_not_an_error(api, connection, text):
    response = api.get(f"{API}/tickets", {"search": text})
    assert response.status_code == 200, response.content
    for row in response.json()["items"]:  # literal matches only (a "%" finds "100% CPU", not everything)
        assert text.lower() in (row["summary"] + " " + (row["company_name"] or "")).lower()
