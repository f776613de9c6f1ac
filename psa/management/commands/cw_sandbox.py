"""Serve the ConnectWise sandbox over HTTP: ``python manage.py cw_sandbox --port 8765``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from psa.sandbox import API_PREFIX, SCALE_NAMES, CWSandbox
from psa.sandbox.server import (  # the server both sandboxes share; importable from here (tests, bench)
    _Handler,  # noqa: F401
    _RequestHandler,  # noqa: F401
    _ThreadingWSGIServer,  # noqa: F401
    make_sandbox_server,
)


class Command(BaseCommand):
    help = "Serve the ConnectWise-compatible sandbox (threaded WSGI server) for benchmarks and manual use."
    requires_system_checks = []  # the sandbox does not use the project's URLs, models or templates

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--scale", choices=SCALE_NAMES, default="default",
                            help="default: the README's seed (23 companies, 640 tickets); large: an MSP of 5,000 "
                                 "companies, 300 members and 200,000 tickets (a few seconds to generate)")
        parser.add_argument("--company", default="sandbox")
        parser.add_argument("--public-key", default="sandbox-public")
        parser.add_argument("--private-key", default="sandbox-private")
        parser.add_argument("--latency-ms", type=float, default=None, help="fixed latency per API request")
        parser.add_argument("--jitter-ms", type=float, default=None, help="extra random latency, 0..N ms")
        parser.add_argument("--error-rate", type=float, default=None, help="share of requests answered 500/503")
        parser.add_argument("--rate-429", type=float, default=None, help="share of requests answered 429")
        parser.add_argument("--timeout-rate", type=float, default=None, help="share of requests that hang")
        parser.add_argument("--timeout-sleep", type=float, default=35.0, help="seconds a 'timeout' fault hangs")
        parser.add_argument("--quiet", action="store_true", help="do not log every request")

    def handle(self, *args, **opts):
        sandbox = CWSandbox(seed=opts["seed"], company_id=opts["company"], public_key=opts["public_key"],
                            private_key=opts["private_key"], from_env=True, scale=opts["scale"])
        overrides = {"latency_ms": opts["latency_ms"], "jitter_ms": opts["jitter_ms"],
                     "error_rate": opts["error_rate"], "rate_429": opts["rate_429"],
                     "timeout_rate": opts["timeout_rate"]}
        for name, value in overrides.items():
            if value is not None:
                setattr(sandbox, name, value)  # command-line options win over CW_SANDBOX_* variables
        sandbox.timeout_sleep_s = opts["timeout_sleep"]
        server = make_sandbox_server(sandbox, opts["host"], opts["port"], quiet=opts["quiet"])
        host, port = server.server_address[:2]
        out = self.stdout
        out.write(f"ConnectWise sandbox on http://{host}:{port}{API_PREFIX}/")
        out.write(f"  codebase discovery: http://{host}:{port}/login/companyinfo/{sandbox.company_id}")
        out.write(f"  company id: {sandbox.company_id}  public key: {sandbox.public_key}  "
                  f"private key: {sandbox.private_key}  clientId: any non-empty value")
        out.write(f"  faults: latency {sandbox.latency_ms} ms, jitter {sandbox.jitter_ms} ms, "
                  f"error rate {sandbox.error_rate}, 429 rate {sandbox.rate_429}, timeout rate {sandbox.timeout_rate}")
        out.write(f"  {sandbox.ticket_count():,} tickets, {len(sandbox.state['companies']):,} companies "
                  f"(scale {opts['scale']}). Ctrl+C to stop.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
