"""AutotaskClient: zone, headers, error mapping (validation vs outage), retries, the thread limit, call counting.

Scripted answers go through ``httpx.MockTransport``; Autotask's own behaviour through the sandbox in-process.
"""

from __future__ import annotations

import json
import logging
import threading

import httpx
import pytest

from psa.autotask.client import (
    SANDBOX_ROOT,
    VENDOR_ROOT,
    AutotaskClient,
    AutotaskHourlyLimitError,
    AutotaskThreadLimitError,
    AutotaskUnknownUserError,
    endpoint_of,
    error_for,
    root_for_site,
)
from psa.autotask.query import F
from psa.metrics import psa_call_counter
from psa.providers.base import (
    PSAAuthError,
    PSAMalformedResponseError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSATimeoutError,
    PSAUnavailableError,
    PSAValidationError,
)

from .conftest import calls, make_client

SECRET = "s3cr3t-value-123"
CODE = "INTEGRATIONCODE42"
ZONE = "https://webservices14.autotask.net/ATServicesRest/"


def scripted(answers, seen=None, zone_url=ZONE):
    """A transport answering the zone lookup, then ``answers`` in order (a response or an exception)."""
    answers = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.path.lower().endswith("/zoneinformation"):
            return httpx.Response(200, json={"zoneName": "AE02", "url": zone_url, "webUrl": "https://ww14.autotask.net/", "ci": 0})
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def vendor_client(answers, seen=None, **kwargs):
    return AutotaskClient(username="api@msp.example", integration_code=CODE, secret=SECRET,
                          transport=scripted(answers, seen, kwargs.pop("zone_url", ZONE)), sleep=lambda s: None, **kwargs)


def errors(*texts, status=500):
    return httpx.Response(status, json={"errors": list(texts)})


# --- where the API is ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("site", "root"), [
    ("", VENDOR_ROOT), ("autotask", VENDOR_ROOT), ("sandbox", SANDBOX_ROOT),
    ("http://127.0.0.1:8766", "http://127.0.0.1:8766/ATServicesRest/"),
    ("https://at.example:8443/anything", "https://at.example:8443/ATServicesRest/"),
    ("webservices14.autotask.net", "https://webservices14.autotask.net/ATServicesRest/"),
])
def test_a_site_names_where_the_zone_is_looked_up(site, root):
    assert root_for_site(site) == root


def test_the_zone_is_looked_up_once_without_credentials_and_calls_go_to_it():
    seen = []
    client = vendor_client([httpx.Response(200, json={"queryCount": 3})] * 2, seen)
    assert client.count("Tickets", [F.match_all()]) == 3
    assert client.count("Tickets", [F.match_all()]) == 3
    lookup, first, second = seen
    assert str(lookup.url) == f"{VENDOR_ROOT}V1.0/zoneInformation?user=api%40msp.example"
    assert not {"secret", "username", "apiintegrationcode"} & {k.lower() for k in lookup.headers}
    assert str(first.url).startswith(ZONE + "V1.0/Tickets/query/count?search=")
    assert (first.headers["ApiIntegrationCode"], first.headers["UserName"], first.headers["Secret"]) == (
        CODE, "api@msp.example", SECRET)
    assert "authorization" not in {k.lower() for k in first.headers}
    assert client.zone().name == "AE02"


@pytest.mark.parametrize("zone_url", [
    "http://webservices14.autotask.net/ATServicesRest/",  # not https
    "https://webservices14.autotask.net.evil.example/ATServicesRest/",
    "https://169.254.169.254/ATServicesRest/",
])
def test_a_zone_url_off_autotask_is_refused_before_the_secret_is_sent(zone_url):
    seen = []
    client = vendor_client([], seen, zone_url=zone_url)
    with pytest.raises(PSAMalformedResponseError):
        client.count("Tickets", [F.match_all()])
    assert len(seen) == 1  # the lookup only


def test_an_unknown_username_is_told_apart_from_bad_credentials(client, at_sandbox):
    stranger = make_client(at_sandbox, username="nobody@msp.example")
    with pytest.raises(AutotaskUnknownUserError) as error:
        stranger.get("Version")
    assert "username" in error.value.message
    wrong_secret = make_client(at_sandbox, secret="wrong")
    with pytest.raises(PSAAuthError) as error:
        wrong_secret.get("Version")
    assert not isinstance(error.value, AutotaskUnknownUserError) and error.value.status == 401


def test_a_401_looks_the_zone_up_again_and_retries_on_the_new_zone():
    seen = []
    zones = iter(["https://webservices14.autotask.net/ATServicesRest/", "https://webservices5.autotask.net/ATServicesRest/"])

    def handler(request):
        seen.append(request)
        if request.url.path.lower().endswith("/zoneinformation"):
            return httpx.Response(200, json={"zoneName": "Z", "url": next(zones)})
        if request.url.host == "webservices14.autotask.net":
            return httpx.Response(401)
        return httpx.Response(200, json={"queryCount": 1})

    client = AutotaskClient(username="u", integration_code=CODE, secret=SECRET, transport=httpx.MockTransport(handler))
    assert client.count("Tickets", [F.match_all()]) == 1
    assert [r.url.host for r in seen] == ["webservices.autotask.net", "webservices14.autotask.net",
                                          "webservices.autotask.net", "webservices5.autotask.net"]


def test_a_401_on_the_same_zone_is_an_auth_error():
    client = vendor_client([httpx.Response(401)])
    with pytest.raises(PSAAuthError):
        client.get("Version")


@pytest.mark.parametrize(("path", "endpoint"), [
    ("Tickets/query", "tickets"), ("Tickets/7", "tickets"), ("Tickets/7/Notes", "ticketnotes"),
    ("Tickets/7/SecondaryResources/9", "ticketsecondaryresources"), ("TicketNotes/query/count", "ticketnotes"),
    ("Companies/3/Contacts", "contacts"), ("Version", "version"),
])
def test_requests_count_against_their_object_endpoint(path, endpoint):
    assert endpoint_of(path) == endpoint


# --- error mapping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "payload", "error_type", "field"), [
    (500, {"errors": ["When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."]},
     PSAValidationError, "assigned_member_id"),
    (500, {"errors": ["Value does not reference an existing entity for priority . "]}, PSAValidationError, "priority_id"),
    (500, {"errors": ["title must be less than or equal to 255 characters"]}, PSAValidationError, "summary"),
    (500, {"errors": ["Unable to find companyName in the Contact Entity."]}, PSAValidationError, "companyName"),
    (400, {"errors": ["Conversion failed when converting the varchar value 'x' to data type int."]}, PSAValidationError, None),
    (500, {"errors": ["The logged in Resource does not have the adequate permissions to update this entity type."]},
     PSAPermissionError, None),
    (500, {"errors": ["No matching records found. The logged in Resource may not have the required permissions to delete the data."]},
     PSANotFoundError, None),
    (500, {"errors": ["IntegrationCode is invalid."]}, PSAAuthError, None),
    (500, None, PSAUnavailableError, None),  # an outage: no errors array
    (500, {"Message": "An error has occurred."}, PSAUnavailableError, None),
    (502, None, PSAUnavailableError, None),
    (503, None, PSAUnavailableError, None),
    (504, None, PSAUnavailableError, None),
    (401, None, PSAAuthError, None),
    (403, None, PSAPermissionError, None),
    (404, {"errors": ["Resource not found: Not Found"]}, PSANotFoundError, None),
    (429, None, PSARateLimitedError, None),
    (429, {"errors": ["Itgenatr005 Thread Threshold Exceeded: The Autotask API thread threshold of 3 threads has been exceeded."]},
     AutotaskThreadLimitError, None),
    (500, {"errors": ["Thread Threshold Exceeded - the thread threshold of 3 threads has been exceeded"]},
     AutotaskThreadLimitError, None),
    (500, {"errors": ["The API request threshold of 10000 requests per hour has been exceeded for this database."]},
     AutotaskHourlyLimitError, None),
    (200, {"errors": ["Value does not reference an existing entity for status . "]}, PSAValidationError, "status_id"),
])
def test_autotask_answers_become_typed_errors(status, payload, error_type, field):
    error = error_for(status, payload)
    assert type(error) is error_type
    if field is not None:
        assert [f.field for f in error.field_errors] == [field]


def test_a_validation_500_says_what_autotask_said_and_is_not_retried():
    seen = []
    client = vendor_client([errors("Value does not reference an existing entity for priority . ")], seen)
    with pytest.raises(PSAValidationError) as error:
        client.count("Tickets", [F.match_all()])
    assert "Value does not reference an existing entity for priority" in error.value.message
    assert len(seen) == 2  # lookup + one attempt


def test_an_outage_500_on_a_read_is_retried_and_then_succeeds():
    seen = []
    client = vendor_client([httpx.Response(500, text="<html>Server Error</html>"), httpx.Response(503),
                            httpx.Response(200, json={"queryCount": 9})], seen)
    assert client.count("Tickets", [F.match_all()]) == 9
    assert len(seen) == 4


def test_writes_are_never_retried_not_even_after_an_outage():
    seen = []
    client = vendor_client([httpx.Response(503), httpx.Response(200, json={"itemId": 5})], seen)
    with pytest.raises(PSAUnavailableError):
        client.create("Tickets", {"title": "x"})
    assert len(seen) == 2


def test_a_timeout_on_a_write_is_a_timeout_whose_outcome_is_unknown():
    client = vendor_client([httpx.ReadTimeout("slow")])
    with pytest.raises(PSATimeoutError) as error:
        client.update("Tickets", {"id": 1, "status": 5})
    assert error.value.outcome_unknown and "Autotask" in error.value.message


def test_the_thread_limit_answer_is_retried_and_the_hourly_limit_is_not():
    client = vendor_client([errors("Itgenatr005 Thread Threshold Exceeded", status=500), httpx.Response(200, json={"queryCount": 2})])
    assert client.count("Tickets", [F.match_all()]) == 2
    seen = []
    client = vendor_client([errors("The API request threshold of 10000 requests per hour has been exceeded.",
                                   status=429)] * 3, seen)
    with pytest.raises(AutotaskHourlyLimitError) as error:
        client.count("Tickets", [F.match_all()])
    assert "10,000" in error.value.message and len(seen) == 2


def test_a_long_retry_after_gives_up_at_once_with_the_wait():
    client = vendor_client([httpx.Response(429, headers={"Retry-After": "30"})] * 3)
    with pytest.raises(PSARateLimitedError) as error:
        client.get("Version")
    assert error.value.retry_after == 30


def test_no_secret_reaches_a_message_or_the_log(caplog):
    caplog.set_level(logging.DEBUG, logger="psa.autotask")
    client = vendor_client([errors(f"Bad value {SECRET} for code {CODE}")])
    with pytest.raises(PSAValidationError) as error:
        client.count("Tickets", [F.contains("title", "printer")])
    assert SECRET not in error.value.message and CODE not in error.value.message
    assert SECRET not in caplog.text and CODE not in caplog.text and "printer" not in caplog.text
    assert "Autotask GET /Tickets/query/count failed: 500" in caplog.text


def test_a_200_that_is_not_json_is_malformed():
    client = vendor_client([httpx.Response(200, text="<html>oops</html>")])
    with pytest.raises(PSAMalformedResponseError):
        client.get("Version")


def test_a_missing_record_is_none_whether_autotask_says_null_or_404():
    client = vendor_client([httpx.Response(200, json={"item": None}), httpx.Response(404)])
    assert client.get_item("Tickets", 1) is None
    assert client.get_item("Tickets", 2) is None


# --- paging and counting ----------------------------------------------------------------------------------


def test_pages_are_followed_through_next_page_url_with_the_first_requests_method(client, at_sandbox):
    rows = client.query_all("Tickets", [F.noteq("status", 5)], include_fields=["id"])
    assert [r["id"] for r in rows] == sorted(t["id"] for t in at_sandbox.state["tickets"].values() if t["status"] != 5)
    page = client.query("Tickets", [F.match_all()], max_records=100, include_fields=["id"])
    second = client.next_page(page)
    assert [r["id"] for r in second.items][0] > page.items[-1]["id"]
    assert [r.method for r in calls(at_sandbox, path_end="/query/next")] == ["GET"] * (len(calls(at_sandbox, path_end="/query/next")))


def test_a_long_filter_goes_as_a_post_and_its_next_page_posts_the_same_body(client, at_sandbox):
    ids = sorted(at_sandbox.state["tickets"])[:400]
    rows = client.query_all("Tickets", [F.in_("id", ids)], include_fields=["id"])
    assert [r["id"] for r in rows] == ids
    page = client.query("Tickets", [F.in_("id", ids)], max_records=150, include_fields=["id"])
    nxt = client.next_page(page)
    posts = calls(at_sandbox, "POST", "/query/next")
    assert nxt.items[0]["id"] == ids[150] and posts and json.loads(posts[-1].body) == page.body


def test_a_next_page_on_another_host_is_refused(client):
    from psa.autotask.client import Page

    with pytest.raises(PSAMalformedResponseError):
        client.next_page(Page(items=[], next_url="https://evil.example/ATServicesRest/V1.0/Tickets/query/next", method="GET"))


def test_every_attempt_is_counted_the_zone_lookup_too():
    with psa_call_counter() as counter:
        client = vendor_client([httpx.Response(503), httpx.Response(200, json={"queryCount": 1})])
        client.count("Tickets", [F.match_all()])
    assert counter.count == 3


# --- the thread limit ------------------------------------------------------------------------------------------


def test_the_client_never_runs_more_than_three_requests_per_endpoint_at_once(at_sandbox):
    """Six threads query Tickets at once; the sandbox holds each request until released. The sandbox sees
    three, the others wait in the client (not refused), then all six succeed."""
    arrived = threading.Semaphore(0)
    release = threading.Event()

    def hold(method, path):
        if "/tickets/query" in path.lower():
            arrived.release()
            assert release.wait(30), "never released"

    at_sandbox.before_request = hold
    client = make_client(at_sandbox, username=at_sandbox.username)
    client.zone()
    results, failures = [], []

    def run():
        try:
            results.append(client.count("Tickets", [F.match_all()]))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert arrived.acquire(timeout=30)
    assert at_sandbox.in_flight("tickets") == 3  # three held in the sandbox; the other three wait in the client
    release.set()
    for t in threads:
        t.join(30)
    assert failures == [] and len(results) == 6
    assert at_sandbox.max_in_flight["tickets"] == 3


def test_the_sandbox_refuses_a_fourth_concurrent_request_with_the_thread_limit_error(at_sandbox):
    release = threading.Event()
    arrived = threading.Semaphore(0)

    def hold(method, path):
        arrived.release()
        assert release.wait(30)

    at_sandbox.before_request = hold
    headers = {"ApiIntegrationCode": at_sandbox.integration_code, "UserName": at_sandbox.username, "Secret": at_sandbox.secret}
    raw = httpx.Client(transport=httpx.WSGITransport(app=at_sandbox), base_url="https://at-sandbox.local/ATServicesRest/V1.0/",
                       headers=headers)
    threads = [threading.Thread(target=raw.get, args=("Version",)) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert arrived.acquire(timeout=30)
    fourth = raw.get("Version")
    release.set()
    for t in threads:
        t.join(30)
    assert fourth.status_code == 429 and "thread threshold of 3 threads" in fourth.json()["errors"][0]
    assert type(error_for(fourth.status_code, fourth.json())) is AutotaskThreadLimitError
