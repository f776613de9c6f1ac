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
    """The ``cw_sandbox`` command's request handler, serving many requests per connection (HTTP/1.1)."""
    from psa.management.commands.cw_sandbox import _Handler, _RequestHandler

    class _ServerHandler(_Handler):
        http_version = "1.1"
        complete = False  # a whole response went out: its body as long as its Content-Length

        def close(self):  # wsgiref clears status, headers and bytes_sent here: judge the response first
            declared = self.headers.get("Content-Length") if self.headers is not None else None
            self.complete = self.status is not None and declared is not None and int(declared) == self.bytes_sent
            super().close()

    class KeepAliveRequestHandler(_RequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # an idle kept-alive connection is closed after this long
        disable_nagle_algorithm = True  # a response is one write; never wait for the client's ACK
        wbufsize = 256 * 1024  # status line, headers and body leave in one send (flushed per response)

        def handle(self):
            self.close_connection = True
            while True:
                try:
                    self.handle_one()
                except (TimeoutError, ConnectionError):
                    self.close_connection = True
                if self.close_connection:
                    return

        def handle_one(self):
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.close_connection = True
                self.send_error(414)
                return
            if not self.parse_request():  # also decides close_connection (HTTP/1.0, "Connection: close")
                return
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True  # the app reads Content-Length bytes only: do not reuse
                body = self.rfile
            else:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = 0
                # read the whole body now, so that the next request starts where this one ends
                body = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
            handler = _ServerHandler(body, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
            handler.request_handler = self
            handler.run(self.server.get_app())
            self.wfile.flush()
            if handler.dropped or not handler.complete:
                self.close_connection = True
            if handler.dropped:
                try:  # RST instead of FIN: the client sees "connection reset"
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass

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
