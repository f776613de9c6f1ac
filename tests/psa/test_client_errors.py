"""The ConnectWise HTTP client: URLs, headers, retries, and ConnectWise failures as typed PSA errors.

Most tests use ``httpx.MockTransport`` to script exact responses; the sandbox-driven checks of the
same behaviour live at the bottom (fault injection through ``sandbox.inject``).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time

import httpx
import pytest

from psa.connectwise.client import (
    ACCEPT,
    ConnectWiseClient,
    base_url_for_site,
    get_call_count,
    parse_retry_after,
    reset_call_count,
)
from psa.providers.base import (
    PSAAuthError,
    PSAConflictError,
    PSAError,
    PSAMalformedResponseError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitedError,
    PSATimeoutError,
    PSAUnavailableError,
    PSAValidationError,
)

MALFORMED = PSAMalformedResponseError.default_message
PRIVATE_KEY = "s3cr3t-PRIVATE-key"


class Script:
    """A MockTransport handler that plays responses in order and records requests."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


def make_client(script, *, get_retries=2, sleeps=None, **kwargs):
    return ConnectWiseClient(
        base_url="https://api-na.myconnectwise.net/v4_6_release/apis/3.0",
        company_id="acme",
        public_key="pub",
        private_key=PRIVATE_KEY,
        client_id="client-guid",
        transport=httpx.MockTransport(script),
        get_retries=get_retries,
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def ok(body=None, status=200, **kwargs):
    return httpx.Response(status, json=body if body is not None else [], **kwargs)


def cw_error(status, code="Error", message="Something went wrong", errors=None, headers=None):
    body = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers=headers or {})


# --- URL and headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "base_url"),
    [
        ("sandbox", "https://sandbox.local/v4_6_release/apis/3.0"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/v4_6_release/apis/3.0"),
        ("http://localhost:8765/", "http://localhost:8765/v4_6_release/apis/3.0"),
        ("na.myconnectwise.net", "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"),
        ("eu.myconnectwise.net", "https://api-eu.myconnectwise.net/v4_6_release/apis/3.0"),
        ("aus.myconnectwise.net", "https://api-aus.myconnectwise.net/v4_6_release/apis/3.0"),
        ("staging.connectwisedev.com", "https://api-staging.connectwisedev.com/v4_6_release/apis/3.0"),
        ("cw.example-msp.com", "https://cw.example-msp.com/v4_6_release/apis/3.0"),
    ],
)
def test_the_site_maps_to_the_api_base_url(site, base_url):
    assert base_url_for_site(site) == base_url


def test_every_request_carries_basic_auth_client_id_and_the_versioned_accept_header():
    script = Script(ok([{"id": 1}]))
    client = make_client(script)
    client.get("/service/tickets", {"conditions": 'summary contains "a b"', "pageSize": 5})
    request = script.requests[0]
    assert request.url.path == "/v4_6_release/apis/3.0/service/tickets"
    assert request.url.params["conditions"] == 'summary contains "a b"'
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"acme+pub:{PRIVATE_KEY}".encode()).decode()
    assert request.headers["clientid"] == "client-guid"
    assert request.headers["accept"] == ACCEPT == "application/vnd.connectwise.com+json; version=2025.8"
    assert request.headers["content-type"] == "application/json"


def test_the_request_sent_straight_to_the_transport_is_the_one_httpx_client_would_send():
    script = Script(ok({"id": 9}))
    client = make_client(script, timeout=7.0, connect_timeout=2.0)
    client.post("/service/tickets", {"summary": "Printer offline"})
    sent = script.requests[0]
    built = httpx.Client(
        headers={"Accept": ACCEPT, "Content-Type": "application/json", "clientId": "client-guid"},
        auth=httpx.BasicAuth("acme+pub", PRIVATE_KEY),
    ).build_request("POST", str(sent.url), content=b'{"summary": "Printer offline"}')
    built.headers["Authorization"] = httpx.BasicAuth("acme+pub", PRIVATE_KEY)._auth_header  # added when httpx sends
    assert sorted(sent.headers.multi_items()) == sorted(built.headers.multi_items())
    assert sent.read() == b'{"summary": "Printer offline"}'
    assert sent.extensions["timeout"] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}


def test_a_cookie_the_psa_sets_is_sent_with_the_next_requests():
    script = Script(ok([], headers={"Set-Cookie": "AWSALB=sticky-1; Path=/"}), ok([]))
    client = make_client(script)
    client.get("/service/tickets")
    client.get("/service/boards")
    client.get("/service/priorities")
    assert "cookie" not in script.requests[0].headers
    assert script.requests[1].headers["cookie"] == script.requests[2].headers["cookie"] == "AWSALB=sticky-1"


def test_a_repeated_request_goes_to_the_same_url_and_a_full_url_memory_starts_again(monkeypatch):
    monkeypatch.setattr("psa.connectwise.client.PARSED_URLS_MAX", 3)
    script = Script(ok([]))
    client = make_client(script)
    params = {"conditions": 'board/id in (1,2) and summary contains "50% off & more"', "pageSize": 25}
    client.get("/service/tickets", params)
    client.get("/service/tickets", params)
    for n in range(5):  # more distinct URLs than the client keeps
        client.get("/service/tickets", {**params, "page": n + 2})
    client.get("/service/tickets", params)
    urls = [str(r.url) for r in script.requests]
    assert urls[0] == urls[1] == urls[-1] == str(httpx.URL(
        "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/service/tickets", params=params))
    assert [r.url.params.get("page") for r in script.requests[2:7]] == ["2", "3", "4", "5", "6"]
    assert len(client._parsed_urls) <= 3


def test_remembered_urls_keep_each_parameters_own_spelling():
    script = Script(ok([]))
    client = make_client(script)
    client.get("/company/contacts", {"childConditions": True})
    client.get("/company/contacts", {"childConditions": 1})
    client.get("/company/contacts", {"fields": ["id", "name"]})  # a repeated parameter: sent, not remembered
    client.get("/company/contacts", {"fields": ["id", "name"]})
    assert [r.url.query.decode() for r in script.requests] == [
        "childConditions=true", "childConditions=1", "fields=id&fields=name", "fields=id&fields=name"]


def test_the_client_has_explicit_timeouts():
    client = make_client(Script(ok()), timeout=7.0, connect_timeout=2.0)
    assert client._http.timeout.read == 7.0
    assert client._http.timeout.connect == 2.0


def test_get_all_walks_pages_until_a_short_page():
    script = Script(ok([{"id": 1}, {"id": 2}]), ok([{"id": 3}, {"id": 4}]), ok([{"id": 5}]))
    rows = make_client(script).get_all("/system/members", page_size=2)
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r.url.params["page"] for r in script.requests] == ["1", "2", "3"]


def test_delete_with_204_returns_nothing():
    assert make_client(Script(httpx.Response(204))).delete("/schedule/entries/5") is None


# --- error mapping -----------------------------------------------------------------------------------


def test_400_is_a_validation_error_with_field_errors_in_the_dtos_names():
    script = Script(
        cw_error(
            400,
            "InvalidObject",
            "ticket object is invalid",
            errors=[
                {"code": "NullValue", "message": "Summary may not be empty", "resource": "ticket", "field": "summary"},
                {"code": "InvalidObject", "message": "Company not found", "field": "company"},
            ],
        )
    )
    with pytest.raises(PSAValidationError) as caught:
        make_client(script).post("/service/tickets", {"summary": ""})
    error = caught.value
    assert error.status == 400
    assert error.message == "ticket object is invalid"
    assert [(f.field, f.message) for f in error.field_errors] == [
        ("summary", "Summary may not be empty"),
        ("company_id", "Company not found"),  # ConnectWise's "company" is the DTO's company_id
    ]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, PSAAuthError),
        (403, PSAPermissionError),
        (404, PSANotFoundError),
        (409, PSAConflictError),
        (429, PSARateLimitedError),
        (500, PSAUnavailableError),
        (502, PSAUnavailableError),
        (503, PSAUnavailableError),
        (504, PSAUnavailableError),
    ],
)
def test_each_status_becomes_its_typed_error(status, error_class):
    with pytest.raises(error_class) as caught:
        make_client(Script(cw_error(status)), get_retries=0).get("/service/tickets/1")
    assert caught.value.status == status


def test_429_carries_retry_after():
    with pytest.raises(PSARateLimitedError) as caught:
        make_client(Script(cw_error(429, headers={"Retry-After": "3"})), get_retries=0).get("/system/info")
    assert caught.value.retry_after == 3.0


def test_a_timeout_is_a_timeout_error():
    script = Script(httpx.ReadTimeout("read timed out"))
    with pytest.raises(PSATimeoutError):
        make_client(script, get_retries=0).get("/system/info")


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("connection refused"), httpx.ConnectError("[Errno -2] Name or service not known")]
)
def test_connection_failures_are_unavailable_errors(exc):
    with pytest.raises(PSAUnavailableError) as caught:
        make_client(Script(exc), get_retries=0).get("/system/info")
    assert not isinstance(caught.value, PSATimeoutError)


@pytest.mark.parametrize("body", [b"{not json", b'[{"id": 1}, {"id": 2', b"<html>Service Unavailable</html>"])
def test_malformed_or_truncated_json_is_an_unavailable_error(body):
    script = Script(httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    with pytest.raises(PSAUnavailableError) as caught:
        make_client(script).get("/service/tickets")
    assert caught.value.message == MALFORMED == "ConnectWise sent a malformed response"


def test_a_body_cut_short_is_a_malformed_response():
    script = Script(
        httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body: received 135 bytes, expected 270"
        )
    )
    with pytest.raises(PSAUnavailableError, match="malformed"):
        make_client(script).get("/x")
    assert len(script.requests) == 1


def test_a_server_that_hangs_up_without_answering_is_unavailable_and_a_get_is_retried():
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."), ok({"version": "v"}))
    assert make_client(script).get("/system/info") == {"version": "v"}
    with pytest.raises(PSAUnavailableError) as caught:
        make_client(
            Script(httpx.RemoteProtocolError("Server disconnected without sending a response.")), get_retries=0
        ).get("/x")
    assert caught.value.message != MALFORMED


@pytest.mark.parametrize(("value", "seconds"), [("2", 2.0), ("0.5", 0.5), (None, None), ("soon", None), ("-3", 0.0)])
def test_retry_after_is_parsed_as_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


def test_retry_after_can_be_an_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


# --- retries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        cw_error(500),
        cw_error(502),
        cw_error(503),
        cw_error(504),
        cw_error(429),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
    ],
)
def test_a_get_is_retried_after_a_transient_failure(first):
    sleeps = []
    script = Script(first, ok({"version": "v2025.8"}))
    assert make_client(script, sleeps=sleeps).get("/system/info") == {"version": "v2025.8"}
    assert len(script.requests) == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] < 1


def test_get_retries_back_off_exponentially_and_then_give_up():
    sleeps = []
    script = Script(cw_error(503))
    with pytest.raises(PSAUnavailableError):
        make_client(script, get_retries=3, sleeps=sleeps).get("/system/info")
    assert len(script.requests) == 4
    assert len(sleeps) == 3
    assert sleeps[0] < sleeps[1] < sleeps[2]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(status):
    script = Script(cw_error(status))
    with pytest.raises(PSAError):
        make_client(script).get("/system/info")
    assert len(script.requests) == 1


def test_retry_after_is_honoured():
    sleeps = []
    script = Script(cw_error(429, headers={"Retry-After": "2"}), ok({}))
    make_client(script, sleeps=sleeps).get("/system/info")
    assert sleeps[0] >= 2.0 and len(script.requests) == 2


def test_a_retry_after_beyond_the_cap_gives_up_at_once():
    sleeps = []
    script = Script(cw_error(429, headers={"Retry-After": "120"}), ok({}))
    with pytest.raises(PSARateLimitedError) as caught:
        make_client(script, sleeps=sleeps).get("/system/info")
    assert caught.value.retry_after == 120.0
    assert sleeps == [] and len(script.requests) == 1


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "failure",
    [
        cw_error(503),
        cw_error(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
)
def test_writes_are_never_retried(method, failure):
    script = Script(failure, ok({"id": 1}, status=201))
    with pytest.raises(PSAError):
        make_client(script).request(method, "/service/tickets", json_body={"summary": "x"})
    assert len(script.requests) == 1


# --- counting and secrecy -------------------------------------------------------------------------------


def test_every_http_attempt_is_counted():
    reset_call_count()
    client = make_client(Script(cw_error(503), ok({})))
    client.get("/system/info")
    assert get_call_count() == 2
    reset_call_count()
    assert get_call_count() == 0


def test_failures_are_logged_with_method_path_and_status_but_no_secrets(caplog):
    caplog.set_level(logging.DEBUG)
    script = Script(cw_error(401, message=f"bad key {PRIVATE_KEY}"))
    with pytest.raises(PSAAuthError) as caught:
        make_client(script).get("/service/tickets", {"conditions": 'summary contains "secret search"'})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "psa.connectwise"]
    assert [r.getMessage() for r in warnings] == ["ConnectWise GET /service/tickets failed: 401"]
    everything = caplog.text + str(caught.value) + repr(caught.value)
    for secret in (PRIVATE_KEY, "Basic ", "secret search", "acme+pub"):
        assert secret not in everything


@pytest.mark.parametrize(
    "failure",
    [
        cw_error(400, message="bad"),
        cw_error(500),
        httpx.ConnectError(f"https://acme+pub:{PRIVATE_KEY}@x"),
        httpx.ReadTimeout(f"timeout {PRIVATE_KEY}"),
        httpx.Response(200, content=b"{"),
    ],
)
def test_error_messages_never_contain_the_private_key_or_the_url(failure, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PSAError) as caught:
        make_client(Script(failure), get_retries=0).get("/service/tickets", {"conditions": "id = 1"})
    assert PRIVATE_KEY not in str(caught.value) + repr(caught.value) + caplog.text
    # Our own log lines and messages carry no URL or query string (httpx's INFO request log does:
    # the settings keep the "httpx" logger at WARNING).
    ours = (
        str(caught.value)
        + repr(caught.value)
        + "".join(r.getMessage() for r in caplog.records if r.name.startswith("psa"))
    )
    assert "myconnectwise.net" not in ours and "conditions" not in ours


def test_the_client_repr_has_no_secrets():
    assert PRIVATE_KEY not in repr(make_client(Script(ok())))


def test_request_bodies_are_json():
    script = Script(ok({"id": 9}, status=201))
    make_client(script).post("/service/tickets", {"summary": "Printer down", "company": {"id": 250}})
    assert json.loads(script.requests[0].content) == {"summary": "Printer down", "company": {"id": 250}}


# --- the same behaviour against the sandbox (fault injection) --------------------------------------------


@pytest.fixture
def sleeps():
    """The waits the provider asked for between attempts (recorded; nothing sleeps)."""
    return []


@pytest.fixture
def sandbox_provider(sandbox, sleeps):
    from psa.providers.connectwise import ConnectWiseProvider

    p = ConnectWiseProvider(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key="sandbox-private",
        client_id="rf-tests",
        transport=httpx.WSGITransport(app=sandbox),
        sleep=sleeps.append,
    )
    yield p
    p.close()


def logged(sandbox, method, path_end):
    return [r for r in sandbox.request_log if r.method == method and r.path.rstrip("/").endswith(path_end)]


@pytest.mark.parametrize(
    ("kind", "error_class"),
    [
        ("400", PSAValidationError),
        ("401", PSAAuthError),
        ("403", PSAPermissionError),
        ("404", PSANotFoundError),
        ("409", PSAConflictError),
        ("429", PSARateLimitedError),
        ("500", PSAUnavailableError),
        ("503", PSAUnavailableError),
        ("refused", PSAUnavailableError),
        ("timeout", PSATimeoutError),
        ("malformed", PSAUnavailableError),
        ("truncated", PSAUnavailableError),
    ],
)
def test_each_injected_fault_becomes_its_typed_error(sandbox, sandbox_provider, kind, error_class):
    sandbox.inject(kind, path=r"system/info", retry_after=60)
    with pytest.raises(error_class) as caught:
        sandbox_provider.system_info()
    if kind in ("malformed", "truncated"):
        assert caught.value.message == MALFORMED
    if kind == "429":
        assert caught.value.retry_after == 60


def test_the_sandbox_rejects_a_wrong_private_key_as_an_auth_error(sandbox, caplog):
    from psa.providers.connectwise import ConnectWiseProvider

    caplog.set_level(logging.DEBUG)
    wrong = ConnectWiseProvider(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key=PRIVATE_KEY,
        client_id="rf-tests",
        transport=httpx.WSGITransport(app=sandbox),
    )
    with pytest.raises(PSAAuthError) as caught:
        wrong.list_boards()
    assert PRIVATE_KEY not in caplog.text + str(caught.value) + repr(caught.value) + repr(wrong)


def test_a_get_is_retried_after_an_injected_503(sandbox, sandbox_provider):
    sandbox.inject("503", method="GET", path=r"system/info", times=1)
    assert sandbox_provider.system_info().version
    assert [r.status for r in logged(sandbox, "GET", "/system/info")] == [503, 200]


def test_a_get_gives_up_after_the_configured_retries(sandbox, sandbox_provider, settings):
    sandbox.inject("500", method="GET", path=r"system/info")
    with pytest.raises(PSAUnavailableError):
        sandbox_provider.system_info()
    assert len(logged(sandbox, "GET", "/system/info")) == 1 + settings.PSA_GET_RETRIES


def test_an_injected_timeout_on_a_get_is_retried(sandbox, sandbox_provider):
    sandbox.inject("timeout", method="GET", path=r"system/info", times=1)
    assert sandbox_provider.system_info().version


def test_retry_after_from_the_sandbox_is_honoured(sandbox, sandbox_provider, sleeps):
    sandbox.inject("429", method="GET", path=r"system/info", times=1, retry_after=1)
    assert sandbox_provider.system_info().version
    assert [r.status for r in logged(sandbox, "GET", "/system/info")] == [429, 200]
    assert sleeps == [1.0]  # the 1 s the sandbox asked for (longer than the client's own backoff)


def test_a_retry_after_beyond_the_cap_is_raised_without_waiting(sandbox, sandbox_provider, sleeps):
    sandbox.inject("429", method="GET", path=r"system/info", retry_after=30)
    with pytest.raises(PSARateLimitedError) as caught:
        sandbox_provider.system_info()
    assert caught.value.retry_after == 30
    assert len(logged(sandbox, "GET", "/system/info")) == 1
    assert sleeps == []


def test_a_ticket_post_is_never_retried(sandbox, sandbox_provider):
    from psa.schemas import TicketCreatePayload

    before = sandbox.ticket_count()
    sandbox.inject("503", method="POST", path=r"service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        sandbox_provider.create_ticket(
            TicketCreatePayload(summary="Printer down", company_id=250, board_id=1, status_id=11, priority_id=3)
        )
    assert sandbox.ticket_count() == before
    assert len(logged(sandbox, "POST", "/service/tickets")) == 1


@pytest.mark.parametrize("kind", ["refused", "timeout"])
def test_a_ticket_post_is_not_retried_after_a_connection_failure_either(sandbox, sandbox_provider, kind):
    from psa.schemas import TicketCreatePayload

    before = sandbox.ticket_count()
    sandbox.inject(kind, method="POST", path=r"service/tickets$", times=1)
    with pytest.raises(PSAUnavailableError):
        sandbox_provider.create_ticket(
            TicketCreatePayload(summary="Printer down", company_id=250, board_id=1, status_id=11, priority_id=3)
        )
    assert sandbox.ticket_count() == before
    assert len(logged(sandbox, "POST", "/service/tickets")) <= 1


def test_sandbox_failures_log_no_secrets(sandbox, sandbox_provider, caplog):
    caplog.set_level(logging.DEBUG)
    for kind in ("400", "401", "500", "malformed"):
        sandbox.clear_faults()
        sandbox.inject(kind, path=r"service/tickets")
        with pytest.raises(PSAError) as caught:
            sandbox_provider.get_ticket(1000)
        assert "sandbox-private" not in str(caught.value) + repr(caught.value)
    assert "sandbox-private" not in caplog.text
    assert "c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU" not in caplog.text  # base64 of the credentials


# --- and against the sandbox as a real HTTP server on loopback (sockets dropped, bodies cut short) ------


class HeldUntilReleased:
    """The sandbox module's ``time`` while it is served: a "timeout" fault holds its request (the
    sandbox's ``sleep``) until the test is over, so it times out whatever the client's read timeout."""

    def __init__(self):
        self.released = threading.Event()

    def sleep(self, seconds: float) -> None:
        self.released.wait(timeout=60)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def served_sandbox(monkeypatch):
    from wsgiref.simple_server import make_server

    from psa.management.commands.cw_sandbox import _RequestHandler, _ThreadingWSGIServer
    from psa.sandbox import CWSandbox

    sb = CWSandbox(seed=7)
    sb.serving = True
    held = HeldUntilReleased()
    monkeypatch.setattr("psa.sandbox.app.time", held)
    server = make_server("127.0.0.1", 0, sb, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sb, f"http://127.0.0.1:{server.server_address[1]}"
    held.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_provider(served_sandbox):
    """Connects a provider (no retries) to the served sandbox. The read timeout is generous unless a
    test asks for a short one: on a loaded machine a slow answer must not pass for a timeout."""
    from psa.providers.connectwise import ConnectWiseProvider

    _, site = served_sandbox
    providers = []

    def connect(read_timeout: float = 10.0):
        provider = ConnectWiseProvider(
            base_url=base_url_for_site(site),
            company_id="sandbox",
            public_key="sandbox-public",
            private_key="sandbox-private",
            client_id="rf-tests",
            timeout=read_timeout,
            get_retries=0,
        )
        providers.append(provider)
        return provider

    yield connect
    for provider in providers:
        provider.close()


@pytest.mark.parametrize(
    ("kind", "error_class", "message"),
    [
        ("refused", PSAUnavailableError, PSAUnavailableError.default_message),
        ("timeout", PSATimeoutError, PSATimeoutError.default_message),
        ("truncated", PSAUnavailableError, MALFORMED),
        ("malformed", PSAUnavailableError, MALFORMED),
    ],
)
def test_faults_of_a_real_server_become_typed_errors(served_sandbox, served_provider, kind, error_class, message):
    sandbox, _ = served_sandbox
    sandbox.inject(kind, path=r"system/info", times=1)
    # A held request never answers: a short read timeout sees it time out as surely as a long one.
    provider = served_provider(read_timeout=0.5) if kind == "timeout" else served_provider()
    with pytest.raises(error_class) as caught:
        provider.system_info()
    assert caught.value.message == message
    assert served_provider().system_info().version  # the fault was one-off
