"""Profile the warm 25-row htmx list partial (``GET /tickets``, ``HX-Request: true``) in this process.

    .venv/bin/python bench/profile_list.py [--app DIR] [--requests 200] [--top 25] [--no-cprofile]
                                           [--pyinstrument] [--dump FILE.prof]

The sandbox runs in its own process (``bench/sandbox_server.py``, L = 0); the app runs here through
``django.test.Client`` (full middleware stack, ``DEBUG=false``, cached template loader) on a throwaway
SQLite DB, after warm-up (reference data cached). Every thread pool runs its tasks inline (the list and
count calls otherwise run in pool threads, which neither a per-thread clock nor a profiler of this
thread sees). What it prints, per render:

1. **CPU per render** (``time.thread_time``, no profiler): p50 and p95.
2. **SQL queries** per render, grouped by statement.
3. **CPU breakdown**: the thread CPU time spent inside a few functions (``BREAKDOWN``: the template
   render, the row view-models, SQL, the PSA HTTP calls, the filter set, the cache, the session...),
   measured by wrapping them with ``time.thread_time`` (a handful of clock reads per request, so the
   figures are undistorted). "self" excludes time inside another measured function; a function the
   profiled tree does not have is left out.
4. **cProfile**: the top functions by own and by cumulative time (wall clock; with the sandbox at L = 0
   waiting for it shows up as socket calls, counted apart). cProfile adds a large overhead per call, so
   its milliseconds are inflated; read it for shares and call counts.
5. ``--pyinstrument``: a pyinstrument call tree (``.venv/bin/pip install pyinstrument`` first; a
   profiling aid only, not a requirement of the project).

``--app DIR`` profiles another checkout (e.g. ``/tmp/baseline``) with its own code and harness.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (label, "module:Qualified.name"), outermost first. Thread CPU inside each, per render.
BREAKDOWN = [
    ("the view, template included (tickets.views.ticket_list)", "url:ticket_list"),
    ("template render (the #results partial)", "django.template.backends.django:Template.render"),
    ("  row view-models (tickets.rows.rows_for)", "tickets.rows:rows_for"),
    ("  row HTML (tickets.rows.rows_html)", "tickets.rows:rows_html"),
    ("  django.shortcuts.render: context, template lookup", "tickets.views:render"),
    ("queue service (tickets.service.queue.search_tickets)", "tickets.service:search_tickets"),
    ("  filters -> provider query (search_query)", "tickets.service.queue:search_query"),
    ("  provider search (list + count, JSON -> DTOs)", "psa.providers.connectwise:ConnectWiseProvider.search_tickets"),
    ("  ConnectWise conditions text (ticket_conditions)", "psa.providers.connectwise:ticket_conditions"),
    ("  count handed to the PSA call pool (psa.concurrency submit)", "psa.concurrency:_LanedPool.submit"),
    ("view helper: the list query string (tickets.views._list_query)", "tickets.views:_list_query"),
    ("  parts to check (tickets.filters.parts_to_check)", "tickets.views:parts_to_check"),
    ("filter set construction (TicketFilterSet.__init__)", "tickets.filters:TicketFilterSet.__init__"),
    ("filter set validation (TicketFilterSet.cleaned)", "tickets.filters:TicketFilterSet.cleaned"),
    ("reference data: cache read, loads started (Reference.start)", "psa.reference:Reference.start"),
    ("reference data: cached dicts -> DTOs (Reference._build)", "psa.reference:Reference._build"),
    ("PSA HTTP calls (httpx.Client.request: URL + request, send, parse; no waiting)", "httpx:Client.request"),
    ("  of which building the request (httpx.Client.build_request: URL parsing)", "httpx:Client.build_request"),
    ("  site policy transport (PinnedTransport.handle_request)", "psa.site_policy:PinnedTransport.handle_request"),
    ("PSA circuit breaker check (cache read)", "psa.capacity:CircuitBreaker.check"),
    ("tenancy: user's account + connection (psa.tenancy.tenant_for)", "psa.tenancy:tenant_for"),
    ("PSA JSON -> row DTOs (mapping.ticket_row)", "psa.connectwise.mapping:ticket_row"),
    ("user + membership + account + connection, SQL compiled once (psa.tenancy)", "psa.tenancy:_CompiledUserQuery.get"),
    ("SQL (QuerySet._fetch_all: compile, execute, objects)", "django.db.models.query:QuerySet._fetch_all"),
    ("cache reads (get)", "django.core.cache.backends.locmem:LocMemCache.get"),
    ("cache reads (get_many)", "django.core.cache.backends.base:BaseCache.get_many"),
    ("session load", "django.contrib.sessions.backends.db:SessionStore.load"),
    ("session load (rf_project.sessions: one SELECT)", "rf_project.sessions:SessionStore.load"),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", default=str(HERE.parent), help="app directory to profile (default: this tree)")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--no-cprofile", action="store_true")
    p.add_argument("--pyinstrument", action="store_true")
    p.add_argument("--dump", type=Path, default=None, help="write the cProfile stats here")
    args = p.parse_args(argv)
    args.requests = max(1, min(args.requests, 5000))
    args.warmup = max(1, min(args.warmup, 1000))
    return args


def run_inline(pool, fn, /, *args, **kwargs):
    """``ThreadPoolExecutor.submit`` that runs the task now, in the caller's thread."""
    future: Future = Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - delivered through the future, as a pool does
        future.set_exception(exc)
    return future


class CpuMeter:
    """Thread CPU inside wrapped functions: inclusive, and self (minus other wrapped functions inside)."""

    def __init__(self):
        self.incl: Counter = Counter()
        self.self: Counter = Counter()
        self.calls: Counter = Counter()
        self.local = threading.local()
        self.installed: list[tuple[str, object, str, object]] = []

    def wrap(self, label: str, target: str) -> bool:
        """``target``: "module:Qualified.name", or "url:<name>" for the view of a named URL pattern
        (URL patterns hold the view function itself, so patching its module would not reach them)."""
        module_name, _, qualname = target.partition(":")
        try:
            if module_name == "url":
                owner, name = _url_pattern(qualname), "callback"
            else:
                owner = importlib.import_module(module_name)
                *path, name = qualname.split(".")
                for part in path:
                    owner = getattr(owner, part)
            original = getattr(owner, name)
        except (ImportError, AttributeError, LookupError):
            return False
        meter = self

        def measured(*args, **kwargs):
            stack = meter.local.__dict__.setdefault("stack", [])
            stack.append(0.0)
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.thread_time() - began
                inner = stack.pop()
                if stack:
                    stack[-1] += elapsed
                meter.incl[label] += elapsed
                meter.self[label] += elapsed - inner
                meter.calls[label] += 1

        measured.__wrapped__ = original
        setattr(owner, name, measured)
        self.installed.append((label, owner, name, original))
        return True

    def uninstall(self):
        for _label, owner, name, original in reversed(self.installed):
            setattr(owner, name, original)
        self.installed.clear()

    def reset(self):
        self.incl.clear()
        self.self.clear()
        self.calls.clear()


def _url_pattern(name: str):
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found = walk(pattern.url_patterns)
                if found is not None:
                    return found
            elif isinstance(pattern, URLPattern) and pattern.name == name:
                return pattern
        return None

    found = walk(get_resolver().url_patterns)
    if found is None:
        raise LookupError(name)
    return found


SOCKET_WAITS = {
    "<method 'recv' of '_socket.socket' objects>",
    "<method 'recv_into' of '_socket.socket' objects>",
    "<method 'send' of '_socket.socket' objects>",
    "<method 'sendall' of '_socket.socket' objects>",
    "<method 'connect' of '_socket.socket' objects>",
    "<method 'poll' of 'select.poll' objects>",
    "<method 'select' of 'select.epoll' objects>",
    "<built-in method select.select>",
}


def main(argv=None) -> int:
    args = parse_args(argv)
    appdir = str(Path(args.app).resolve())
    sys.path.insert(0, appdir)
    for name in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
        del sys.modules[name]
    from bench import harness as h  # the profiled tree's harness (matches its models)

    workdir = h.temp_dir("rf-profile-")
    n = args.requests
    with h.SandboxServer(latency_ms=0, max_seconds=1800) as server:
        h.configure_django(workdir / "profile.sqlite3")
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from psa.sandbox import default_sandbox

        member = default_sandbox().members()[0]
        tenant = h.setup_tenant("Profile MSP", "profile", server.url, member)
        client = Client()
        client.force_login(tenant.user)
        hx = {"HX-Request": "true"}

        def render():
            response = client.get("/tickets", headers=hx)
            if response.status_code != 200:
                raise RuntimeError(f"GET /tickets -> {response.status_code}")
            return response

        for _ in range(args.warmup):  # warm caches and pools with the real pools
            render()
        ThreadPoolExecutor.submit = run_inline  # from here on every pool runs its tasks inline
        for _ in range(5):
            render()

        cpu = []
        for _ in range(n):
            began = time.thread_time()
            render()
            cpu.append(time.thread_time() - began)

        with CaptureQueriesContext(connection) as queries:
            html = render().content
        captured = list(queries.captured_queries)
        statements = Counter(q["sql"].split(" WHERE ")[0][:100] for q in captured)

        meter = CpuMeter()
        measured = [(label, target) for label, target in BREAKDOWN if meter.wrap(label, target)]
        total_cpu = 0.0
        for _ in range(n):
            began = time.thread_time()
            render()
            total_cpu += time.thread_time() - began
        meter.uninstall()

        profiler = None
        if not args.no_cprofile:
            profiler = cProfile.Profile()  # wall clock: thread_time would be a system call per event
            profiler.enable()
            for _ in range(n):
                render()
            profiler.disable()

        tree = None
        if args.pyinstrument:
            try:
                from pyinstrument import Profiler
            except ImportError:
                tree = "pyinstrument is not installed (.venv/bin/pip install pyinstrument): skipped"
            else:
                sampler = Profiler(interval=0.0005)
                sampler.start()
                for _ in range(n):
                    render()
                sampler.stop()
                tree = sampler.output_text(unicode=True, color=False)

    rows = html.count(b'id="ticket-row-')
    print(f"app: {appdir}   load avg now: {h.loadavg()}")
    print(
        f"\n1. CPU per render (thread time, no profiler, pools inline): p50 {h.median(cpu) * 1000:.2f} ms, "
        f"p95 {h.percentile(cpu, 95) * 1000:.2f} ms over {n}; HTML {len(html)} bytes, {rows} rows"
    )
    print(f"\n2. SQL queries per render: {len(captured)}")
    for sql, count in statements.most_common():
        print(f"  {count} x {sql}")

    print(f"\n3. CPU breakdown, ms per render (mean over {n}; total {total_cpu * 1000 / n:.2f} ms):")
    print(f"  {'incl':>6} {'self':>6} {'calls':>6}  what")
    accounted = 0.0
    for label, _target in measured:
        accounted += meter.self[label]
        print(
            f"  {meter.incl[label] * 1000 / n:6.2f} {meter.self[label] * 1000 / n:6.2f} "
            f"{meter.calls[label] / n:6.1f}  {label}"
        )
    print(
        f"  {'':>6} {(total_cpu - accounted) * 1000 / n:6.2f} {'':>6}  middleware, URL routing, test client (the rest)"
    )
    missing = [label.strip() for label, _ in BREAKDOWN if (label, _) not in measured]
    if missing:
        print(f"  (not in this tree: {', '.join(missing)})")

    if profiler is not None:
        stats = pstats.Stats(profiler)
        waits = sum(tt for (_f, _l, func), (_cc, _nc, tt, _ct, _c) in stats.stats.items() if func in SOCKET_WAITS)
        print(
            f"\n4. cProfile: {stats.total_tt * 1000 / n:.2f} ms per render with the profiler on, of which "
            f"{waits * 1000 / n:.2f} ms in socket calls (waiting for the sandbox)"
        )
        for sort in ("tottime", "cumulative"):
            ranked = sorted(stats.stats.items(), key=lambda kv: kv[1][2 if sort == "tottime" else 3], reverse=True)
            ranked = [kv for kv in ranked if kv[0][2] not in SOCKET_WAITS]
            print(f"\nTop {args.top} by {sort}, socket waits left out (ms per render, profiled; calls per render):")
            print(f"  {'own':>7} {'cum':>7} {'calls':>7}  function")
            for (filename, line, func), (_cc, nc, tt, ct, _callers) in ranked[: args.top]:
                short = filename.replace(appdir + "/", "").split("site-packages/")[-1]
                print(f"  {tt * 1000 / n:7.3f} {ct * 1000 / n:7.3f} {nc / n:7.1f}  {short}:{line}({func})")
        if args.dump:
            stats.dump_stats(str(args.dump))
            print(f"\ncProfile stats written to {args.dump}")
    if tree:
        print("\n5. pyinstrument (wall clock)\n" + tree)
    return 0


if __name__ == "__main__":
    sys.exit(main())
