"""The ConnectWise sandbox as a real threaded HTTP server, plus a loopback-only debug endpoint for benchmarks.

    .venv/bin/python bench/sandbox_server.py --port 0 --latency-ms 100 [--error-rate 0.05] [--quiet]

Serves ``CWSandbox`` exactly like ``manage.py cw_sandbox`` (same server and request handler classes)
and adds, outside the ConnectWise URL space:

* ``GET  /__log?since=N`` -> ``{"next": M, "entries": [[method, path, query, status, bytes], ...]}``:
  the sandbox's request log from entry N on (the log only grows between resets);
* ``GET  /__stats``       -> ``{"tickets": n, "log": m}``;
* ``POST /__config?latency_ms=&jitter_ms=&error_rate=&rate_429=`` -> change the injected faults live;
* ``POST /__reset``       -> ``CWSandbox.reset()`` (seed data back, log cleared, faults from the options).

The debug endpoints answer only loopback clients. The first line printed on stdout is
``READY <port>`` once the socket is listening (the benchmark reads the port from it).
psa/sandbox is not changed: this is a wrapper around its public interface.

Connections are kept alive (HTTP/1.1, every response has a ``Content-Length``), as ConnectWise's API
does: the app's pooled ``httpx.Client`` reuses its connections, so a benchmark does not charge the app
a TCP connect and teardown per PSA call that production does not pay. (wsgiref, which the
``cw_sandbox`` command serves with, answers HTTP/1.0 and closes every connection.) A connection is
closed after a response whose body is shorter than its ``Content-Length`` (the "truncated" fault), a
dropped request ("refused"/"timeout" faults), a request body sent chunked, or 60 s idle.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import struct
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from psa.sandbox import CWSandbox  # noqa: E402  (no Django needed)

_FAULT_FIELDS = ("latency_ms", "jitter_ms", "error_rate", "rate_429", "timeout_rate")


class DebugWrapper:
    """WSGI: ``/__*`` debug endpoints (loopback only), everything else to the sandbox."""

    def __init__(self, sandbox: CWSandbox, faults: dict):
        self.sandbox = sandbox
        self.faults = dict(faults)
        self._lock = threading.Lock()

    def apply_faults(self):
        for name, value in self.faults.items():
            setattr(self.sandbox, name, value)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/__"):
            return self.sandbox(environ, start_response)
        if environ.get("REMOTE_ADDR") not in ("127.0.0.1", "::1"):
            return self._json(start_response, 403, {"detail": "loopback only"})
        method = environ.get("REQUEST_METHOD", "GET")
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        sb = self.sandbox
        if path == "/__log" and method == "GET":
            since = int(params.get("since", 0))
            with sb._lock:  # the sandbox appends under this lock; copy a consistent slice
                log = list(sb.request_log)
            entries = [[e.method, e.path, e.query, e.status, e.bytes] for e in log[since:]]
            return self._json(start_response, 200, {"next": len(log), "entries": entries})
        if path == "/__stats" and method == "GET":
            return self._json(start_response, 200, {"tickets": sb.ticket_count(), "log": len(sb.request_log)})
        if path == "/__config" and method == "POST":
            with self._lock:
                for name in _FAULT_FIELDS:
                    if name in params:
                        self.faults[name] = float(params[name])
                self.apply_faults()
            return self._json(start_response, 200, self.faults)
        if path == "/__reset" and method == "POST":
            with self._lock:
                sb.reset()
                self.apply_faults()
            return self._json(start_response, 200, {"tickets": sb.ticket_count()})
        return self._json(start_response, 404, {"detail": "unknown debug endpoint"})

    @staticmethod
    def _json(start_response, status, payload):
        body = json.dumps(payload).encode()
        reason = {200: "OK", 403: "Forbidden", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def keep_alive_handler():
    """The ``cw_sandbox`` command's request handler, serving many requests per connection (HTTP/1.1).

    A request is read and answered here, not through ``http.server``'s ``parse_request`` and wsgiref's
    ``ServerHandler``: those parse the headers with the ``email`` package and write the answer in pieces,
    two thirds of this process's CPU per PSA call (py-spy, README "List render cost"), and this process shares
    the benchmark's cores with the app it stands in for a remote ConnectWise of. What the app sees is what
    wsgiref gives it (``PATH_INFO`` unquoted as latin-1, ``QUERY_STRING``, ``CONTENT_*``, ``HTTP_*``,
    ``wsgi.*``, the server's base environ); the faults that need the socket behave as before.
    """
    from urllib.parse import unquote

    from psa.management.commands.cw_sandbox import _RequestHandler
    from psa.sandbox.faults import DropConnection

    class KeepAliveRequestHandler(_RequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # an idle kept-alive connection is closed after this long
        disable_nagle_algorithm = True  # a response is one write; never wait for the client's ACK

        def handle(self):
            self.close_connection = True
            while True:
                try:
                    self.handle_one()
                except (TimeoutError, ConnectionError):
                    self.close_connection = True
                if self.close_connection:
                    return

        def _answer(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
            head = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            self.wfile.flush()

        def handle_one(self):
            line = self.rfile.readline(65537)
            if not line:
                self.close_connection = True
                return
            parts = line.decode("latin-1").split()
            if len(line) > 65536 or len(parts) != 3 or not parts[2].startswith("HTTP/"):
                self.close_connection = True
                self._answer("400 Bad Request", [("Content-Length", "0"), ("Connection", "close")], b"")
                return
            method, target, version = parts
            self.requestline, self.command = line.decode("latin-1").rstrip("\r\n"), method  # for log_request
            headers: dict[str, str] = {}
            while True:
                raw = self.rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                key = name.strip().lower()
                headers[key] = f"{headers[key]},{value.strip()}" if key in headers else value.strip()
            connection = headers.get("connection", "").lower()
            self.close_connection = version != "HTTP/1.1" or connection == "close"
            if "transfer-encoding" in headers:
                self.close_connection = True  # the app reads Content-Length bytes only: do not reuse
                body = self.rfile
            else:
                try:
                    length = int(headers.get("content-length") or 0)
                except ValueError:
                    length = 0
                # read the whole body now, so that the next request starts where this one ends
                body = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
            path, _, query = target.partition("?")
            environ = dict(self.server.base_environ)
            environ.update({
                "SERVER_PROTOCOL": version, "REQUEST_METHOD": method, "PATH_INFO": unquote(path, "iso-8859-1"),
                "QUERY_STRING": query, "REMOTE_ADDR": self.client_address[0],
                "CONTENT_TYPE": headers.get("content-type", "text/plain"), "CONTENT_LENGTH": headers.get("content-length", ""),
                "wsgi.input": body, "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
                "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            })
            for key, value in headers.items():
                if key not in ("content-type", "content-length"):
                    environ["HTTP_" + key.upper().replace("-", "_")] = value
            answer: dict = {}

            def start_response(status, response_headers, exc_info=None):
                answer["status"], answer["headers"] = status, list(response_headers)

            try:
                chunks = self.server.get_app()(environ, start_response)
                content = b"".join(chunks)
            except DropConnection:  # fault "refused"/"timeout": answer nothing, RST instead of FIN
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                return
            except Exception:  # noqa: BLE001 - a sandbox bug: a 500, as wsgiref answers it
                self.close_connection = True
                message = b"A server error occurred."
                self._answer("500 Internal Server Error", [("Content-Type", "text/plain"),
                                                           ("Content-Length", str(len(message))),
                                                           ("Connection", "close")], message)
                return
            response_headers = answer["headers"]
            declared = next((v for k, v in response_headers if k.lower() == "content-length"), None)
            if declared is None:
                response_headers.append(("Content-Length", str(len(content))))
            elif int(declared) != len(content):
                self.close_connection = True  # fault "truncated": a body shorter than its length, then close
            if self.close_connection:
                response_headers.append(("Connection", "close"))
            self._answer(answer["status"], response_headers, content)
            if not self.quiet:
                self.log_request(answer["status"].split()[0], len(content))

    return KeepAliveRequestHandler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (printed as READY <port>)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="default", help="default or large (psa/sandbox/scale.py)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--jitter-ms", type=float, default=0)
    parser.add_argument("--error-rate", type=float, default=0)
    parser.add_argument("--rate-429", type=float, default=0)
    parser.add_argument("--max-seconds", type=float, default=3600, help="stop by itself after this long")
    parser.add_argument("--quiet", action="store_true")
    opts = parser.parse_args(argv)
    if opts.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the benchmark sandbox listens on loopback only")

    # Reuse the management command's server classes (threaded, can drop connections for faults).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
    from wsgiref.simple_server import make_server

    from psa.management.commands.cw_sandbox import _ThreadingWSGIServer

    sandbox = CWSandbox(seed=opts.seed, scale=opts.scale)
    faults = {
        "latency_ms": opts.latency_ms,
        "jitter_ms": opts.jitter_ms,
        "error_rate": opts.error_rate,
        "rate_429": opts.rate_429,
        "timeout_rate": 0.0,
    }
    app = DebugWrapper(sandbox, faults)
    app.apply_faults()
    sandbox.serving = True
    sandbox.memoize = True  # state changes only through HTTP here: list/count answers remembered until a write
    sandbox.timeout_sleep_s = 35.0
    handler_class = keep_alive_handler()
    handler_class.quiet = opts.quiet
    server = make_server(opts.host, opts.port, app, server_class=_ThreadingWSGIServer, handler_class=handler_class)
    print(f"READY {server.server_address[1]}", flush=True)
    timer = threading.Timer(opts.max_seconds, server.shutdown)  # never outlive the benchmark by much
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
