"""The PSA clients' HTTP/1.1 wire (psa.wire.StdlibTransport) against a real loopback server.

The server is scripted per request: what it sends back (raw bytes, so a test can send a truncated body
or nothing at all) and whether it then closes the connection. It records every connection it accepts and
every request it reads, so "sent once" and "one connection" are facts. No test reads a clock: a test that
needs the server to have closed a connection waits for the server to say so.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading

import httpx
import pytest

from psa.connectwise.client import ConnectWiseClient
from psa.providers.base import PSAMalformedResponseError, PSATimeoutError, PSAUnavailableError
from psa.wire import StdlibTransport, decode_json


def ok(body: dict, *, extra: bytes = b"") -> bytes:
    payload = json.dumps(body).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode() + b"\r\n" + extra + b"\r\n" + payload)


class ScriptedServer:
    """Answers the n-th request it reads with ``script(n, request)`` -> (raw answer or None, then close?)."""

    def __init__(self, script):
        self.script = script
        self.requests: list[dict] = []
        self.connections = 0
        self.closed = threading.Event()  # set each time the server closes a connection itself
        self.release = threading.Event()  # a "never answers" script waits for this
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        buffer = b""
        with sock:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
                length = int(headers.get("content-length", 0))
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    n = len(self.requests)
                    self.requests.append({"line": lines[0], "headers": headers, "body": body})
                answer, close = self.script(n, self)
                if answer:
                    sock.sendall(answer)
                if close:
                    sock.shutdown(socket.SHUT_RDWR)
                    self.closed.set()
                    return

    def close(self):
        self.release.set()
        self._listener.close()


@pytest.fixture
def server():
    servers: list[ScriptedServer] = []

    def start(script):
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for each in servers:
        each.close()


def _client(url: str, **limits) -> httpx.Client:
    return httpx.Client(base_url=url, transport=StdlibTransport(limits=httpx.Limits(**limits)), timeout=5)


def _cw_client(url: str, transport=None, **kwargs) -> ConnectWiseClient:
    return ConnectWiseClient(base_url=url, company_id="acme", public_key="pub", private_key="priv", client_id="rf",
                             transport=transport or StdlibTransport(), sleep=lambda _seconds: None, **kwargs)


def test_two_requests_share_one_kept_alive_connection(server):
    srv = server(lambda n, _s: (ok({"n": n}), False))

    with _client(srv.url) as client:
        assert client.get("/a").json() == {"n": 0}
        assert client.get("/b?x=1").json() == {"n": 1}

    assert srv.connections == 1
    assert [r["line"] for r in srv.requests] == ["GET /a HTTP/1.1", "GET /b?x=1 HTTP/1.1"]


def test_a_kept_connection_the_server_closed_is_replaced_and_the_request_is_sent_once(server):
    srv = server(lambda n, _s: (ok({"n": n}), n == 0))  # closes after the first answer, without saying so

    with _client(srv.url) as client:
        assert client.get("/first").json() == {"n": 0}
        assert srv.closed.wait(10)
        assert client.post("/second", json={"summary": "Printer down"}).json() == {"n": 1}

    assert srv.connections == 2
    assert [r["line"] for r in srv.requests] == ["GET /first HTTP/1.1", "POST /second HTTP/1.1"]


def test_a_post_arrives_whole_with_its_length_and_the_callers_headers(server):
    srv = server(lambda n, _s: (ok({"id": 7}), False))

    with _client(srv.url) as client:
        response = client.post("/service/tickets", json={"summary": "VPN down"}, headers={"clientId": "rf"})

    assert response.status_code == 200 and response.json() == {"id": 7}
    sent = srv.requests[0]
    assert json.loads(sent["body"]) == {"summary": "VPN down"}
    assert sent["headers"]["content-length"] == str(len(sent["body"]))
    assert sent["headers"]["clientid"] == "rf"
    assert sent["headers"]["host"] == f"127.0.0.1:{srv.port}"
    assert "transfer-encoding" not in sent["headers"]


def test_a_chunked_gzip_answer_is_decoded(server):
    payload = gzip.compress(json.dumps([{"id": 1, "summary": "Café Wi-Fi"}]).encode())
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    srv = server(lambda n, _s: (answer, False))

    with _client(srv.url) as client:
        assert client.get("/service/tickets").json() == [{"id": 1, "summary": "Café Wi-Fi"}]


def test_an_answer_saying_connection_close_is_not_reused(server):
    srv = server(lambda n, _s: (ok({"n": n}, extra=b"Connection: close\r\n"), False))

    with _client(srv.url) as client:
        client.get("/a")
        client.get("/b")

    assert srv.connections == 2


def test_nothing_is_kept_when_no_idle_connection_is_allowed(server):
    srv = server(lambda n, _s: (ok({"n": n}), False))

    with _client(srv.url, max_keepalive_connections=0) as client:
        client.get("/a")
        client.get("/b")

    assert srv.connections == 2


def test_an_idle_connection_past_its_expiry_is_not_reused(server):
    srv = server(lambda n, _s: (ok({"n": n}), False))

    with _client(srv.url, keepalive_expiry=0) as client:
        client.get("/a")
        client.get("/b")

    assert srv.connections == 2


# --- failures, as the ConnectWise client reports them ------------------------------------------------------


@pytest.mark.parametrize(("answer", "wire_says", "psa_error", "sent"), [
    # A cut-short answer is malformed and not asked for again: one request each.
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{\"id\": 1", "complete message body", PSAMalformedResponseError, 1 + 1),
    # No answer at all is an outage: the ConnectWise client retries a GET twice.
    (None, "Server disconnected", PSAUnavailableError, 1 + 3),
], ids=["truncated-body", "hang-up"])
def test_a_broken_answer_is_the_httpx_error_the_psa_clients_map(server, answer, wire_says, psa_error, sent):
    srv = server(lambda n, _s: (answer, True))

    with _client(srv.url) as client, pytest.raises(httpx.RemoteProtocolError, match=wire_says):
        client.get("/service/tickets")
    with pytest.raises(psa_error):
        _cw_client(srv.url, get_retries=2).get("/service/tickets")

    assert len(srv.requests) == sent


def test_an_answer_that_never_comes_is_a_read_timeout(server):
    srv = server(lambda n, s: (s.release.wait(30) and None, True))

    transport = StdlibTransport()
    with httpx.Client(base_url=srv.url, transport=transport, timeout=httpx.Timeout(5, read=0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/service/tickets")
    with pytest.raises(PSATimeoutError):
        _cw_client(srv.url, timeout=0.2, get_retries=0).get("/service/tickets")


def test_a_refused_connection_is_a_connect_error():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now

    with _client(f"http://127.0.0.1:{port}") as client, pytest.raises(httpx.ConnectError):
        client.get("/")
    with pytest.raises(PSAUnavailableError):
        _cw_client(f"http://127.0.0.1:{port}", get_retries=0).get("/")


def test_an_unsupported_scheme_is_refused_before_anything_is_sent():
    with httpx.Client(transport=StdlibTransport()) as client, pytest.raises(httpx.UnsupportedProtocol):
        client.get("ftp://127.0.0.1/")


# --- JSON bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": 7, "summary": "Printer \\u00e9 \xe2\x9c\x93", "company": {"id": 2, "name": "A&B"}, "_info": {}}]',
        b'{"count": 143}',
        b"null",
        b'{"odd": NaN}',
        b'{"half": "\\ud800 alone"}',  # an unpaired surrogate escape
        b'  {"a": [1, 2.5, true, false, null]}  ',
    ],
)
def test_a_json_body_reads_as_the_standard_library_reads_it(body):
    expected, got = json.loads(body), decode_json(body)
    assert repr(got) == repr(expected)  # repr: NaN != NaN


def test_an_integer_past_64_bits_is_read_as_a_number_close_to_it():
    # orjson's one silent difference from json (a float): no PSA field holds one (ids and counts are 32-bit)
    assert decode_json(b'{"big": 123456789012345678901234567890}')["big"] == pytest.approx(1.2345678901234568e29)


@pytest.mark.parametrize("body", [b"", b"{", b"<html>Bad gateway</html>", b'{"a": 1} trailing', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_value_error(body):
    with pytest.raises(ValueError):
        decode_json(body)

