"""Serve the Autotask sandbox over HTTP: ``python manage.py at_sandbox --port 8766``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from psa.autotask_sandbox import API_ROOT, ATSandbox
from psa.autotask_sandbox.server import make_sandbox_server


class Command(BaseCommand):
    help = "Serve the Autotask-compatible sandbox (threaded WSGI server) for the demo, benchmarks and manual use."
    requires_system_checks = []  # the sandbox does not use the project's URLs, models or templates

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--open-tickets", type=int, default=None,
                            help="seed this many open tickets (default: the usual ~640 tickets)")
        parser.add_argument("--latency-ms", type=float, default=None, help="fixed latency per API request")
        parser.add_argument("--jitter-ms", type=float, default=None, help="extra random latency, 0..N ms")
        parser.add_argument("--error-rate", type=float, default=None, help="share of requests answered 500/503")
        parser.add_argument("--rate-429", type=float, default=None, help="share of requests answered 429")
        parser.add_argument("--timeout-rate", type=float, default=None, help="share of requests that hang")
        parser.add_argument("--timeout-sleep", type=float, default=35.0, help="seconds a 'timeout' fault hangs")
        parser.add_argument("--hourly-limit", type=int, default=10_000, help="requests per rolling hour")
        parser.add_argument("--state-file", default=None,
                            help="keep the state (tickets, notes, resources, id counters) in this JSON file across "
                                 "restarts; delete it to start from the seed again (default: in memory only)")
        parser.add_argument("--quiet", action="store_true", help="do not log every request")

    def handle(self, *args, **opts):
        sandbox = ATSandbox(seed=opts["seed"], from_env=True, open_target=opts["open_tickets"],
                            hourly_limit=opts["hourly_limit"])
        overrides = {"latency_ms": opts["latency_ms"], "jitter_ms": opts["jitter_ms"], "error_rate": opts["error_rate"],
                     "rate_429": opts["rate_429"], "timeout_rate": opts["timeout_rate"]}
        for name, value in overrides.items():
            if value is not None:
                setattr(sandbox, name, value)  # command-line options win over AT_SANDBOX_* variables
        sandbox.timeout_sleep_s = opts["timeout_sleep"]
        outcome = None
        if opts["state_file"]:
            try:
                outcome = sandbox.remember_in(opts["state_file"])
            except OSError as error:
                raise CommandError(f"Cannot keep the sandbox's state in {opts['state_file']}: {error}") from error
        server = make_sandbox_server(sandbox, opts["host"], opts["port"], quiet=opts["quiet"])
        host, port = server.server_address[:2]
        out = self.stdout
        out.write(f"Autotask sandbox on http://{host}:{port}{API_ROOT}/")
        out.write(f"  site for a connection: http://{host}:{port}  (zone lookup: "
                  f"http://{host}:{port}{API_ROOT}/V1.0/zoneInformation?user={sandbox.username})")
        out.write(f"  username: {sandbox.username}  secret: {sandbox.secret}  integration code: {sandbox.integration_code}")
        out.write(f"  faults: latency {sandbox.latency_ms} ms, jitter {sandbox.jitter_ms} ms, error rate "
                  f"{sandbox.error_rate}, 429 rate {sandbox.rate_429}, timeout rate {sandbox.timeout_rate}; "
                  f"thread limit {sandbox.thread_limit}, hourly limit {sandbox.hourly_limit}")
        if outcome is not None:
            out.write(f"  state: {opts['state_file']} ({outcome}; kept across restarts, delete it to start fresh)")
        out.write(f"  {sandbox.ticket_count()} tickets ({sandbox.open_ticket_count()} open). Ctrl+C to stop.")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
