"""The PSA clients' HTTP/1.1 wire: an httpx transport over the standard library's ``http.client``.

httpx stays the PSA clients' API (timeouts, auth, cookies; ``WSGITransport`` for the in-process
sandboxes, ``MockTransport`` in tests); only the last step, bytes to and from the PSA's socket, is done
here instead of by httpcore + h11. Why: a queue render makes two PSA calls (the page and its count),
and for the same request on the same kept-alive connection httpx's own transport costs about twice the
CPU of ``http.client`` (README, "Performance": the largest single cost left in a list render).

What it keeps from httpcore:

* connections kept alive per origin (scheme, address, port, TLS name), at most
  ``limits.max_keepalive_connections`` idle in all, each closed after ``limits.keepalive_expiry`` idle
  seconds;
* a kept connection the server closed meanwhile is noticed before it is used (an idle connection that
  turns readable has been closed or sent garbage), so a request is never written into a dead socket:
  nothing is sent twice, and no write is repeated by this layer;
* TLS with the certificate checked against the name: ``sni_hostname`` (what ``PinnedTransport`` sets
  when it connects to a checked address) or the URL's host;
* httpx's timeouts (connect, write, and read per socket read) and its exception types, which
  ``ConnectWiseClient`` and ``AutotaskClient`` turn into PSA errors (``ConnectError``,
  ``ConnectTimeout``, ``ReadTimeout``, ``RemoteProtocolError`` "Server disconnected..." or "...complete
  message body", ...).

Not kept, because the PSA clients use none of it: HTTP/2, proxies, streaming bodies (a request body is
sent whole, with its Content-Length), a cap on open connections (``psa.concurrency`` caps PSA calls per
connection and process).
"""

from __future__ import annotations

import http.client
import json
import select
import ssl
import threading
import time

import httpx
import orjson

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=32, keepalive_expiry=30)


class _Connection(http.client.HTTPConnection):
    """One kept-alive connection to an address; TLS (when ``tls``) checks the certificate against
    ``server_hostname``, not the address connected to."""

    def __init__(self, host: str, port: int, *, timeout: float | None, tls: ssl.SSLContext | None,
                 server_hostname: str | None):
        super().__init__(host, port, timeout=timeout)
        self._tls, self._server_hostname = tls, server_hostname
        self.idle_since = 0.0

    def connect(self) -> None:
        super().connect()  # socket.create_connection with the connect timeout, TCP_NODELAY
        if self._tls is not None:
            self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_hostname)


def _closed_while_idle(sock) -> bool:
    """An idle kept-alive socket with something to read: the server closed it (EOF) or broke protocol."""
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        poller = select.poll()  # not select.select: a busy process may have descriptors above 1024
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class StdlibTransport(httpx.BaseTransport):
    """An ``httpx.BaseTransport`` sending each request over a kept-alive ``http.client`` connection."""

    def __init__(self, *, verify: ssl.SSLContext | str | bool = True, limits: httpx.Limits = DEFAULT_LIMITS):
        self._verify = verify
        self._tls: ssl.SSLContext | None = None
        self._max_idle = limits.max_keepalive_connections if limits.max_keepalive_connections is not None else 32
        self._expiry = limits.keepalive_expiry
        self._idle: dict[tuple, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._early = threading.local()  # (key, connection) of requests this thread sent early (send_early)

    # --- the request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin, headers, body, timeouts = self._prepared(request)
        connection = self._take_early(request, headers, body)
        if connection is None:
            connection = self._open(request, origin, timeouts)
            try:
                self._send(connection, request, headers, body, timeouts)
            except BaseException:
                connection.close()
                raise
        try:
            response, content = self._receive(connection, request, timeouts)
        except BaseException:
            connection.close()
            raise
        if response.will_close or connection.sock is None:
            connection.close()
        else:
            self._checkin(origin, connection)
        return httpx.Response(
            response.status,
            headers=response.getheaders(),
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    def _prepared(self, request: httpx.Request):
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{url.scheme}://'.",
                                            request=request)
        https = url.scheme == "https"
        port = url.port or (443 if https else 80)
        server_hostname = (request.extensions.get("sni_hostname") or url.host) if https else None
        body = request.read()
        origin = (url.scheme, url.host, port, server_hostname)
        return origin, _wire_headers(request, body), body, request.extensions.get("timeout") or {}

    # --- a request sent early, its answer read later (a queue's count beside its page)

    def send_early(self, request: httpx.Request) -> bool:
        """Write ``request`` now; this thread's next ``handle_request`` of the same request (method, URL,
        headers, body) reads its answer instead of sending it. So one thread has two requests in flight
        without handing one to another thread: ``ConnectWiseProvider.search_tickets`` sends the count, then
        sends and reads the page, then reads the count. False if nothing was sent (no connection: the
        later request goes the usual way and reports the failure). ``discard_early`` closes what this thread
        sent early and never read."""
        try:
            origin, headers, body, timeouts = self._prepared(request)
            connection = self._open(request, origin, timeouts)
        except httpx.HTTPError:
            return False
        try:
            self._send(connection, request, headers, body, timeouts)
        except httpx.HTTPError:
            connection.close()
            return False
        self._sent_early().append((_early_key(request, headers, body), connection))
        return True

    def discard_early(self) -> None:
        """Close the connections of requests this thread sent early and did not read (their answers are lost)."""
        sent = self._sent_early()
        while sent:
            sent.pop()[1].close()

    def _sent_early(self) -> list:
        sent = getattr(self._early, "sent", None)
        if sent is None:
            sent = self._early.sent = []
        return sent

    def _take_early(self, request: httpx.Request, headers, body: bytes) -> _Connection | None:
        sent = getattr(self._early, "sent", None)
        if not sent:
            return None
        key = _early_key(request, headers, body)
        for index, (sent_key, connection) in enumerate(sent):
            if sent_key == key:
                del sent[index]
                return connection
        return None

    def _open(self, request: httpx.Request, origin: tuple, timeouts) -> _Connection:
        """A kept-alive connection to ``origin`` if one is idle, else a new one."""
        connection = self._checkout(origin)
        if connection is None:
            connection = self._connect(request, origin[1], origin[2], origin[3], timeouts.get("connect"))
        return connection

    def _connect(self, request: httpx.Request, host: str, port: int, server_hostname: str | None,
                 timeout: float | None) -> _Connection:
        tls = self._tls_context() if server_hostname is not None else None
        connection = _Connection(host, port, timeout=timeout, tls=tls, server_hostname=server_hostname)
        try:
            connection.connect()
        except TimeoutError as error:
            connection.close()
            raise httpx.ConnectTimeout(str(error) or "timed out", request=request) from error
        except (OSError, ssl.SSLError) as error:  # refused, unreachable, certificate
            connection.close()
            raise httpx.ConnectError(str(error), request=request) from error
        return connection

    @staticmethod
    def _send(connection: _Connection, request: httpx.Request, headers, body: bytes, timeouts) -> None:
        try:
            connection.sock.settimeout(timeouts.get("write"))
            connection.putrequest(request.method, request.url.raw_path.decode("ascii"), skip_host=True,
                                  skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
        except TimeoutError as error:
            raise httpx.WriteTimeout(str(error) or "timed out", request=request) from error
        except OSError as error:
            raise httpx.WriteError(str(error), request=request) from error

    @staticmethod
    def _receive(connection: _Connection, request: httpx.Request, timeouts):
        try:
            connection.sock.settimeout(timeouts.get("read"))
            response = connection.getresponse()
            content = response.read()
        except TimeoutError as error:
            raise httpx.ReadTimeout(str(error) or "timed out", request=request) from error
        except http.client.IncompleteRead as error:
            raise httpx.RemoteProtocolError(
                f"peer closed connection without sending complete message body ({error!r})", request=request
            ) from error
        except http.client.RemoteDisconnected as error:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request) from error
        except http.client.HTTPException as error:  # a malformed status line or headers
            raise httpx.RemoteProtocolError(f"malformed response: {error!r}", request=request) from error
        except OSError as error:  # reset by the peer
            raise httpx.ReadError(str(error), request=request) from error
        return response, content

    # --- kept-alive connections

    def _checkout(self, origin: tuple) -> _Connection | None:
        now = time.monotonic()
        while True:
            with self._lock:
                kept = self._idle.get(origin)
                connection = kept.pop() if kept else None
            if connection is None:
                return None
            expired = self._expiry is not None and now - connection.idle_since >= self._expiry
            if not expired and not _closed_while_idle(connection.sock):
                return connection
            connection.close()

    def _checkin(self, origin: tuple, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        with self._lock:
            if sum(len(kept) for kept in self._idle.values()) < self._max_idle:
                self._idle.setdefault(origin, []).append(connection)
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx.create_ssl_context(verify=self._verify)
        return self._tls

    def close(self) -> None:
        with self._lock:
            kept, self._idle = self._idle, {}
        for connections in kept.values():
            for connection in connections:
                connection.close()


def _early_key(request: httpx.Request, headers, body: bytes) -> tuple:
    """What makes a later request the one sent early: the same method, URL (the checked address), headers and body."""
    url = request.url
    return request.method, url.scheme, url.raw_host, url.port, url.raw_path, tuple(sorted(headers)), body


def _wire_headers(request: httpx.Request, body: bytes) -> list[tuple[bytes, bytes]]:
    """The request's headers as sent: the body goes whole, so with its length and never chunked."""
    headers = [(name, value) for name, value in request.headers.raw if name.lower() != b"transfer-encoding"]
    if body and not any(name.lower() == b"content-length" for name, _ in headers):
        headers.append((b"Content-Length", str(len(body)).encode("ascii")))
    return headers


def decode_json(content: bytes):
    """A PSA answer's JSON body as Python values, ``ValueError`` (``json.JSONDecodeError``) if it is not JSON.

    orjson reads a 25-ticket page several times faster than ``json`` (README, "List render cost"); what orjson
    refuses and the standard library reads (``NaN``, an unpaired surrogate escape) is read by ``json`` as before,
    so no answer the clients took before becomes "malformed" now. One silent difference: an integer past 64 bits
    becomes a float (no PSA field holds one: ids and counts are 32-bit).
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)
