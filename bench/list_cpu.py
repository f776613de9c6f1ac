"""The ticket list's cost under gunicorn, before and after a change, side by side (issue 12, item 7).

    .venv/bin/python bench/list_cpu.py [--before /tmp/baseline | --before <git ref>] [--after .]
                                       [--requests 300] [--tp-requests 2000] [--json FILE]

"before" is an app directory (default ``/tmp/baseline`` when it exists, else ``HEAD``) or a git ref,
checked out into a temporary worktree that is removed afterwards; "after" is this tree. Each side gets
its own throwaway SQLite DB, tenant and session (made by a subprocess that imports *that side's*
``bench.harness`` and models) and its own gunicorn (``rf_project/gunicorn.conf.py``, run from that
side's directory). One ConnectWise sandbox server (``bench/sandbox_server.py``, its own process, demo
seed data) serves both, so PSA waiting never counts as app CPU. Loopback only; every loop is bounded.

a. **App CPU per 25-row htmx list render** (``GET /tickets`` with ``HX-Request: true``, warm cache,
   sandbox L = 0): gunicorn with 1 worker (threads from the config), one request at a time. The
   worker's CPU is read before and after each request. ``/proc/<pid>/stat`` utime+stime count 10 ms
   clock ticks, too coarse for one request, so the per-request figure (p50, p95) is the sum of
   ``/proc/<pid>/task/*/schedstat`` (the same scheduler runtime, in ns, every thread of the worker:
   gthread's accept loop, the request thread and the app's PSA pool); the utime+stime delta over the
   whole loop, divided by the number of requests, is printed next to it as a cross-check. The two sides
   take turns in blocks of ``--block`` requests (before, after, after, before, ...), so both see the same
   machine load, and each renders lists back to back as a serving worker does (``measure_cpu`` says why
   not every request: ``--block 1`` measures each render with caches the other side has emptied).
b. **Throughput**: the list partial's req/s as a % of ``/healthz``'s, each side under the project's
   gunicorn config (workers = nproc + 1, this tree's default for both sides, 16 threads, ``GUNICORN_MAX_REQUESTS=0``), sandbox L = 50 ms,
   ``--tp-clients`` closed-loop clients (threads + httpx, like ``bench/run.py``'s throughput phase)
   spread over ``--tp-accounts`` accounts (each with its own PSA connection, as on a server many MSPs
   share: one connection may run only ``PSA_MAX_CALLS_PER_CONNECTION`` PSA calls at once per worker,
   so a single account measures that fairness cap rather than the list's cost),
   ``--tp-requests`` requests per target and side (at most ``--tp-seconds``), split into
   ``--tp-rounds`` rounds that alternate the sides (both gunicorns stay up; the idle one costs nothing).

The two cores are shared with whatever else runs: for phases a and b the table shows the CPU the rest
of the machine used meanwhile (``/proc/stat`` minus the gunicorns, the sandbox and this process), in
cores, next to the load average.
c. **List page latency / L** at L = 200 ms (``--latency-ms``), warm: the full page ``/tickets`` and the
   htmx partial through the 1-worker gunicorn, median and p95 over ``--latency-requests`` requests
   (alternating sides).

Targets (issue 12): CPU p50 <= 6 ms; list throughput >= 35% of ``/healthz``; list page <= 1.25 L.
Exit status 1 if "after" misses one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BEFORE = "/tmp/baseline"
HX = {"HX-Request": "true"}

TARGET_CPU_P50_MS = 6.0
TARGET_THROUGHPUT = 0.35
TARGET_L_RATIO = 1.25


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default=None, help="app dir or git ref (default /tmp/baseline if it exists, else HEAD)")
    p.add_argument("--after", default=str(ROOT), help="app dir (default: this tree)")
    p.add_argument("--requests", type=int, default=300, help="measured list renders per side for CPU (>= 200)")
    p.add_argument("--warmup", type=int, default=40, help="unrecorded requests per side first")
    p.add_argument("--block", type=int, default=25, help="phase a: the sides take turns every BLOCK requests")
    p.add_argument("--tp-requests", type=int, default=3000, help="requests per throughput target and side")
    p.add_argument("--tp-seconds", type=float, default=120.0, help="time bound per throughput target and side")
    p.add_argument("--tp-rounds", type=int, default=2, help="rounds per target, alternating sides")
    p.add_argument("--tp-clients", type=int, default=32)
    p.add_argument("--tp-latency-ms", type=float, default=50.0)
    p.add_argument(
        "--tp-accounts",
        type=int,
        default=8,
        help="accounts the throughput clients are spread over (round robin); each PSA connection may run "
        "PSA_MAX_CALLS_PER_CONNECTION calls at once per worker, so one account alone measures that cap",
    )
    p.add_argument("--latency-ms", type=float, default=200.0, help="L for the latency ratio")
    p.add_argument("--latency-requests", type=int, default=20)
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--json", type=Path, default=None)
    # internal: prepare one side's DB/tenant/session in that side's code
    p.add_argument("--setup-side", default=None, help=argparse.SUPPRESS)
    p.add_argument("--sandbox-url", default=None, help=argparse.SUPPRESS)
    p.add_argument("--db", default=None, help=argparse.SUPPRESS)
    p.add_argument("--accounts", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.requests = max(1, min(args.requests, 5000))
    args.warmup = max(0, min(args.warmup, 1000))
    args.tp_requests = max(1, min(args.tp_requests, 100_000))
    args.tp_seconds = max(1.0, min(args.tp_seconds, 600.0))
    args.tp_rounds = max(1, min(args.tp_rounds, 20))
    args.tp_accounts = max(1, min(args.tp_accounts, 64))
    args.latency_requests = max(1, min(args.latency_requests, 500))
    return args


# --- one side's setup, run in a subprocess with that side's code on sys.path -----------------------------


def setup_side(appdir: str, sandbox_url: str, db: str, accounts: int = 1) -> None:
    """Migrate a fresh DB, create ``accounts`` tenants like ``bench/run.py`` does (each its own account,
    user and PSA connection to the sandbox), print JSON with their session cookies."""
    sys.path.insert(0, appdir)
    for name in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
        del sys.modules[name]  # this file's own package must not shadow the side's bench.harness
    from bench import harness  # the side's harness: matches the side's models

    harness.configure_django(Path(db))
    from psa.sandbox import default_sandbox

    member = default_sandbox().members()[0]
    cookies = []
    for n in range(max(1, accounts)):
        suffix = "" if n == 0 else f" {n + 1}"
        tenant = harness.setup_tenant(f"Bench MSP{suffix}", f"bench{suffix.strip()}", sandbox_url, member)
        cookies.append(harness.session_cookie(tenant.user))
    print(json.dumps({"cookie": cookies[0], "cookies": cookies}))


# --- the orchestrator -------------------------------------------------------------------------------------


class Side:
    def __init__(self, name: str, appdir: Path, label: str):
        self.name, self.appdir, self.label = name, appdir, label
        self.db = None
        self.cookie = ""  # the first account's session (phases a and c)
        self.cookies: list[str] = []  # one session per account (phase b)
        self.app = None  # 1-worker gunicorn
        self.http = None
        self.worker = 0
        self.cpu_ns: list[int] = []
        self.healthz_ns: list[int] = []
        self.ticks_per_request = float("nan")
        self.html = b""
        self.walls: dict[str, list[float]] = {"page": [], "partial": []}
        self.throughput: dict[str, dict] = {}


def resolve_before(spec: str | None, workdir: Path) -> tuple[Path, str, Path | None]:
    """(app dir, label, worktree to remove afterwards)."""
    if spec is None:
        spec = DEFAULT_BEFORE if Path(DEFAULT_BEFORE).is_dir() else "HEAD"
    if Path(spec).is_dir():
        path = Path(spec).resolve()
        return path, f"{path} ({_describe(path)})", None
    target = workdir / "before"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(target), spec],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target, f"{spec} ({_git(target, 'rev-parse', '--short', 'HEAD')}, temp worktree)", target


def _describe(path: Path) -> str:
    """ "<commit>" or "<commit> + working tree changes" (or "no git")."""
    commit = _git(path, "rev-parse", "--short", "HEAD")
    if not commit:
        return "no git"
    return f"{commit} + working tree changes" if _git(path, "status", "--porcelain", "--untracked-files=no") else commit


def _git(path: Path, *args) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def prepare(side: Side, sandbox_url: str, workdir: Path, accounts: int) -> None:
    side.db = workdir / f"{side.name}.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--setup-side",
            str(side.appdir),
            "--sandbox-url",
            sandbox_url,
            "--db",
            str(side.db),
            "--accounts",
            str(accounts),
        ],
        cwd=side.appdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"setting up {side.name} ({side.appdir}) failed:\n{out.stderr[-3000:]}")
    made = json.loads(out.stdout.strip().splitlines()[-1])
    side.cookie, side.cookies = made["cookie"], made["cookies"]


def worker_cpu_ns(side: Side) -> int:
    from bench import harness as h

    return h.thread_cpu_ns(side.worker)


def timed_get(side: Side, path: str, headers=None):
    began = time.perf_counter()
    response = side.http.get(path, headers=headers or {})
    return response, time.perf_counter() - began


class OtherCpu:
    """CPU the rest of the machine used while a phase ran: every process's CPU (``/proc/stat``) minus
    ours (the gunicorns, the sandbox server, this process: the requests it sends, the load generator),
    in cores (CPU seconds per wall second). The cores are shared; this says how much they were."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.others = self.wall = 0.0

    def ours(self) -> float:
        from bench import harness as h

        return sum(h.cpu_seconds(pid) for pid in self.pids) + time.process_time()

    def __enter__(self):
        from bench import harness as h

        self._start = (h.cpu_busy_seconds(), self.ours(), time.monotonic())
        return self

    def __exit__(self, *exc):
        from bench import harness as h

        busy, ours, began = self._start
        self.others += max(0.0, (h.cpu_busy_seconds() - busy) - (self.ours() - ours))
        self.wall += time.monotonic() - began

    @property
    def cores(self) -> float:
        return self.others / self.wall if self.wall else float("nan")


def measure_cpu(sides: list[Side], path: str, headers: dict, n: int, attr: str, warmup: int, block: int) -> None:
    """``n`` requests per side, CPU of the 1-worker gunicorn around each; the sides take turns in blocks of
    ``block`` requests (ABBA: before, after, after, before, ...).

    Blocks, not single requests: a worker serving lists runs them back to back, with its code and data
    in the CPU's caches. Alternating every request instead runs each request just after the other
    gunicorn's, which may have pushed them out (``--block 1`` measures that way). Blocks of 25 still
    share out any change in the machine's load."""
    from bench import harness as h

    for side in sides:
        for _ in range(warmup):
            side.http.get(path, headers=headers).raise_for_status()
    ticks0 = {s.name: h.cpu_seconds(s.worker) for s in sides}
    block = max(1, block)
    for b in range(-(-n // block)):
        order = sides if b % 2 == 0 else list(reversed(sides))
        for side in order:
            for _ in range(min(block, n - b * block)):
                before = worker_cpu_ns(side)
                response = side.http.get(path, headers=headers)
                time.sleep(0.003)  # let the worker finish the request (close, log line) before reading
                after = worker_cpu_ns(side)
                if response.status_code != 200:
                    raise RuntimeError(f"{side.name}: GET {path} -> {response.status_code}")
                getattr(side, attr).append(after - before)
                if attr == "cpu_ns":
                    side.html = response.content
    if attr == "cpu_ns":
        for side in sides:
            side.ticks_per_request = (h.cpu_seconds(side.worker) - ticks0[side.name]) * 1000 / n


def measure_latency(sides: list[Side], n: int) -> None:
    for side in sides:  # warm connections and caches at this latency
        side.http.get("/tickets").raise_for_status()
        side.http.get("/tickets", headers=HX).raise_for_status()
    for i in range(n):
        order = sides if i % 2 == 0 else list(reversed(sides))
        for side in order:
            for key, headers in (("page", {}), ("partial", HX)):
                response, wall = timed_get(side, "/tickets", headers)
                response.raise_for_status()
                side.walls[key].append(wall)


def measure_throughput(sides: list[Side], args, workdir: Path, sandbox_pid: int) -> None:
    """Both sides' gunicorns up at once (idle when not loaded); each target runs in ``--tp-rounds``
    rounds that alternate sides (before, after, after, before, ...), so a change in the machine's load
    during the run weighs on both sides alike. req/s = requests / seconds summed over the rounds."""
    from contextlib import ExitStack

    from bench import harness as h
    from rf_project.env import default_workers

    workers = default_workers()  # the project's gunicorn default: cores + 1
    per_round = max(1, args.tp_requests // args.tp_rounds)
    seconds_per_round = max(1.0, args.tp_seconds / args.tp_rounds)

    def trivial(client, index, iteration):
        return "healthz", client.get("/healthz")

    def listing(client, index, iteration):
        return "list", client.get("/tickets", headers=HX)

    with ExitStack() as stack:
        apps = {}
        for side in sides:
            apps[side.name] = stack.enter_context(
                h.Gunicorn(
                    side.db,
                    workers=workers,
                    threads=16,
                    log_path=workdir / f"{side.name}-tp.log",
                    max_requests=0,
                    root=side.appdir,
                )
            )
            # Warm every worker's reference cache (locmem is per process) and the PSA connection pools.
            h.load(apps[side.name].url, side.cookies, listing, clients=8, seconds=5, max_requests=80)
        totals = {
            (s.name, t): {
                "requests": 0,
                "seconds": 0.0,
                "errors": 0,
                "non_2xx": 0,
                "cpu": 0.0,
                "sb": 0.0,
                "lg": 0.0,
                "lat": [],
                "others": None,
            }
            for s in sides
            for t in ("healthz", "list")
        }
        loads = []
        ours = [sandbox_pid] + [pid for app in apps.values() for pid in (app.proc.pid, *app.worker_pids())]
        for total in totals.values():
            total["others"] = OtherCpu(ours)
        for round_no in range(args.tp_rounds):
            for name, step in (("healthz", trivial), ("list", listing)):
                for side in sides if round_no % 2 == 0 else list(reversed(sides)):
                    app = apps[side.name]
                    loads.append(h.loadavg().split()[0])
                    total = totals[(side.name, name)]
                    cpu0, sb0, lg0 = app.cpu(), h.cpu_seconds(sandbox_pid), time.process_time()
                    with total["others"]:
                        result = h.load(
                            app.url,
                            side.cookies,
                            step,
                            clients=args.tp_clients,
                            seconds=seconds_per_round,
                            max_requests=per_round,
                        )
                    total["requests"] += result.total
                    total["seconds"] += result.seconds
                    total["errors"] += result.errors
                    total["non_2xx"] += result.count(lambda s: s >= 300)
                    total["cpu"] += app.cpu() - cpu0
                    total["sb"] += h.cpu_seconds(sandbox_pid) - sb0
                    total["lg"] += time.process_time() - lg0
                    total["lat"].extend(result.latencies)
    for side in sides:
        for name in ("healthz", "list"):
            total = totals[(side.name, name)]
            side.throughput[name] = {
                "requests": total["requests"],
                "seconds": total["seconds"],
                "rps": total["requests"] / total["seconds"] if total["seconds"] else 0.0,
                "p50_ms": h.percentile(total["lat"], 50) * 1000,
                "errors": total["errors"],
                "non_2xx": total["non_2xx"],
                "app_cpu_ms_per_req": total["cpu"] * 1000 / max(total["requests"], 1),
                "sandbox_cpu_ms_per_req": total["sb"] * 1000 / max(total["requests"], 1),
                "loadgen_cpu_ms_per_req": total["lg"] * 1000 / max(total["requests"], 1),
                "other_processes_cores": total["others"].cores,
            }
        side.throughput["workers"] = workers
        side.throughput["accounts"] = len(side.cookies)
        side.throughput["load_1min_before_each_round"] = " ".join(loads)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.setup_side:
        setup_side(args.setup_side, args.sandbox_url, args.db, args.accounts)
        return 0

    sys.path.insert(0, str(ROOT))
    import httpx

    from bench import harness as h

    workdir = Path(tempfile.mkdtemp(prefix="rf-listcpu-"))
    started = time.monotonic()
    info = h.machine_info()
    before_dir, before_label, worktree = resolve_before(args.before, workdir)
    after_dir = Path(args.after).resolve()
    sides = [
        Side("before", before_dir, before_label),
        Side("after", after_dir, f"{after_dir} ({_describe(after_dir)})"),
    ]
    print(
        f"List render cost, before vs after  machine: {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"load avg {info['load']}\n  before: {sides[0].label}\n  after:  {sides[1].label}\n"
    )
    out: dict = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}}
    try:
        with h.SandboxServer(latency_ms=0, max_seconds=3600) as server:
            for side in sides:
                prepare(side, server.url, workdir, 1 if args.no_throughput else args.tp_accounts)
            opened = []
            try:
                for side in sides:
                    side.app = h.Gunicorn(
                        side.db,
                        workers=1,
                        threads=16,
                        log_path=workdir / f"{side.name}.log",
                        max_requests=0,
                        root=side.appdir,
                    ).__enter__()
                    opened.append(side.app)
                    workers = side.app.worker_pids()
                    if len(workers) != 1:
                        raise RuntimeError(f"{side.name}: expected 1 gunicorn worker, found {workers}")
                    side.worker = workers[0]
                    side.http = httpx.Client(base_url=side.app.url, cookies={"sessionid": side.cookie}, timeout=30)

                # a. CPU per render (L = 0: PSA wait is not CPU, and keeps the run short)
                load_a = h.loadavg()
                other_a = OtherCpu([server.pid] + [pid for s in sides for pid in (s.app.proc.pid, s.worker)])
                with other_a:
                    measure_cpu(sides, "/tickets", HX, args.requests, "cpu_ns", args.warmup, args.block)
                    measure_cpu(sides, "/healthz", {}, max(50, args.requests // 3), "healthz_ns", 10, args.block)
                # c. latency ratio at L
                server.configure(latency_ms=args.latency_ms)
                load_c = h.loadavg()
                measure_latency(sides, args.latency_requests)
            finally:
                for side in sides:
                    if side.http is not None:
                        side.http.close()
                for app in opened:
                    app.__exit__(None, None, None)
            # b. throughput (rounds alternating sides)
            if not args.no_throughput:
                server.configure(latency_ms=args.tp_latency_ms)
                measure_throughput(sides, args, workdir, server.pid)
    finally:
        if worktree is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                capture_output=True,
                timeout=120,
            )

    L = args.latency_ms / 1000

    def ms(values, pct):
        return h.percentile(values, pct) / 1e6

    def rows_of(html: bytes) -> int:
        return len(re.findall(rb'id="ticket-row-\d+"', html))

    table = [
        ["a. list render CPU p50 (ms)"] + [ms(s.cpu_ns, 50) for s in sides] + [f"<= {TARGET_CPU_P50_MS:.0f}"],
        ["a. list render CPU p95 (ms)"] + [ms(s.cpu_ns, 95) for s in sides] + ["-"],
        ["a. list render CPU mean, schedstat (ms)"] + [sum(s.cpu_ns) / len(s.cpu_ns) / 1e6 for s in sides] + ["-"],
        ["a. same, utime+stime over the loop (ms)"] + [s.ticks_per_request for s in sides] + ["-"],
        [
            "   after / before, p50 (same run, same machine state)",
            "",
            ms(sides[1].cpu_ns, 50) / ms(sides[0].cpu_ns, 50),
            "-",
        ],
        ["   /healthz CPU p50 (ms)"] + [ms(s.healthz_ns, 50) for s in sides] + ["-"],
        ["   list CPU p50 / healthz CPU p50"] + [ms(s.cpu_ns, 50) / ms(s.healthz_ns, 50) for s in sides] + ["-"],
        ["   rows / HTML bytes of the partial"] + [f"{rows_of(s.html)} / {len(s.html)}" for s in sides] + ["-"],
        ["   other processes' CPU during a (cores)", f"{other_a.cores:.2f} (both sides)", "", "-"],
    ]
    if not args.no_throughput:
        for s in sides:
            s.throughput["ratio"] = s.throughput["list"]["rps"] / max(s.throughput["healthz"]["rps"], 1e-9)
        table += [
            ["b. /healthz req/s"] + [s.throughput["healthz"]["rps"] for s in sides] + ["-"],
            ["b. list partial req/s"] + [s.throughput["list"]["rps"] for s in sides] + ["-"],
            ["b. list throughput, % of /healthz"]
            + [f"{s.throughput['ratio']:.0%}" for s in sides]
            + [f">= {TARGET_THROUGHPUT:.0%}"],
            ["   sandbox CPU ms/req: healthz, list"]
            + [
                f"{s.throughput['healthz']['sandbox_cpu_ms_per_req']:.1f}, {s.throughput['list']['sandbox_cpu_ms_per_req']:.1f}"
                for s in sides
            ]
            + ["-"],
            ["   load-generator CPU ms/req: healthz, list"]
            + [
                f"{s.throughput['healthz']['loadgen_cpu_ms_per_req']:.1f}, {s.throughput['list']['loadgen_cpu_ms_per_req']:.1f}"
                for s in sides
            ]
            + ["-"],
            ["   other processes' CPU (cores): healthz, list"]
            + [
                f"{s.throughput['healthz']['other_processes_cores']:.2f}, "
                f"{s.throughput['list']['other_processes_cores']:.2f}"
                for s in sides
            ]
            + ["-"],
            ["   gunicorn CPU ms/req: healthz, list"]
            + [
                f"{s.throughput['healthz']['app_cpu_ms_per_req']:.1f}, {s.throughput['list']['app_cpu_ms_per_req']:.1f}"
                for s in sides
            ]
            + ["-"],
            ["   5xx+transport errors"]
            + [s.throughput["healthz"]["errors"] + s.throughput["list"]["errors"] for s in sides]
            + ["0"],
        ]
    table += [
        [f"c. list page median / L (L = {args.latency_ms:.0f} ms)"]
        + [h.median(s.walls["page"]) / L for s in sides]
        + [f"<= {TARGET_L_RATIO}"],
        ["c. list page p95 / L"] + [h.percentile(s.walls["page"], 95) / L for s in sides] + ["-"],
        ["c. list partial median / L"] + [h.median(s.walls["partial"]) / L for s in sides] + ["-"],
    ]
    note = (
        f"a: 1 gunicorn worker x 16 threads, {args.requests} htmx list renders per side after {args.warmup} warm-up, "
        f"sandbox L = 0 in its own process, sides taking turns every {args.block} requests; load avg before: {load_a}. "
        f"c: {args.latency_requests} requests per screen per side; load avg before: {load_c}."
    )
    if not args.no_throughput:
        s0 = sides[0].throughput
        note += (
            f"\nb: gunicorn {s0['workers']} workers x 16 threads, {args.tp_clients} clients over {s0['accounts']} "
            f"accounts, sandbox L = "
            f"{args.tp_latency_ms:.0f} ms, {args.tp_requests} requests per target and side (<= {args.tp_seconds:.0f} s) "
            f"in {args.tp_rounds} rounds alternating sides; 1-min load avg before each round: "
            f"{s0['load_1min_before_each_round']}."
        )
    print(h.table("Ticket list: before vs after", ["figure", "before", "after", "target"], table, note=note))

    after = sides[1]
    checks = [
        ("CPU per list render p50 <= 6 ms", ms(after.cpu_ns, 50) <= TARGET_CPU_P50_MS),
        (f"list page <= {TARGET_L_RATIO} L", h.median(after.walls["page"]) / L <= TARGET_L_RATIO),
    ]
    if not args.no_throughput:
        checks.append(("list throughput >= 35% of /healthz", after.throughput["ratio"] >= TARGET_THROUGHPUT))
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    same = sides[0].html == sides[1].html
    print(f"  (the last list partial rendered by both sides is {'byte-identical' if same else 'not byte-identical'})")
    print(f"finished in {time.monotonic() - started:.0f} s; load avg now {h.loadavg()}; scratch dir {workdir}")

    out["other_processes_cores_a"] = other_a.cores
    out["sides"] = {
        s.name: {
            "dir": str(s.appdir),
            "label": s.label,
            "cpu_ms": {
                "p50": ms(s.cpu_ns, 50),
                "p95": ms(s.cpu_ns, 95),
                "mean": sum(s.cpu_ns) / len(s.cpu_ns) / 1e6,
                "ticks_mean": s.ticks_per_request,
            },
            "healthz_cpu_ms_p50": ms(s.healthz_ns, 50),
            "throughput": s.throughput,
            "l_ratio": {k: {"median": h.median(v) / L, "p95": h.percentile(v, 95) / L} for k, v in s.walls.items()},
            "html_bytes": len(s.html),
        }
        for s in sides
    }
    if args.json:
        h.dump_json(args.json, out)
    shutil.rmtree(workdir / "before", ignore_errors=True)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
