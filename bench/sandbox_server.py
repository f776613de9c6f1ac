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
"""

from __future__ import annotations

import argparse
import json
import os
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (printed as READY <port>)")
    parser.add_argument("--seed", type=int, default=7)
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

    from psa.management.commands.cw_sandbox import _RequestHandler, _ThreadingWSGIServer

    sandbox = CWSandbox(seed=opts.seed)
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
    sandbox.timeout_sleep_s = 35.0
    _RequestHandler.quiet = opts.quiet
    server = make_server(opts.host, opts.port, app, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler)
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
