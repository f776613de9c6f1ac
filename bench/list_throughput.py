"""Phase b of ``bench/list_cpu.py`` alone, on this tree, with the gunicorn shape as a parameter.

    .venv/bin/python bench/list_throughput.py [--workers 2,3,5] [--threads 16] [--seconds 10] [--rounds 2]
                                              [--profile DIR]

For each worker count: one gunicorn (``rf_project/gunicorn.conf.py``, ``--threads`` threads) over a throwaway
SQLite DB with 8 accounts, the ConnectWise sandbox server at L = 50 ms, 32 closed-loop clients (threads +
httpx, as in ``list_cpu.py``), first the htmx list partial then ``/healthz`` for ``--seconds`` each, repeated
``--rounds`` times. Per target it prints req/s, the median latency, the CPU per request of gunicorn (master +
workers), the sandbox and this load generator, and how busy the whole machine was (``/proc/stat``, in cores):
a target whose processes leave a core idle is bound by something else than CPU (GIL queueing, threads);
each worker's share of the cores shows whether the clients' kept-alive connections spread evenly.

``--profile DIR`` records each gunicorn worker with ``py-spy record --gil`` during the list's first round
(``.venv/bin/pip install py-spy`` first; a profiling aid, not a requirement) into ``DIR/list-<pid>.txt``
(py-spy's "raw" folded stacks: one line per stack, its sample count last).

This is the tool behind the README's worker-count table ("List render cost"); ``list_cpu.py`` stays the
before/after yardstick (both sides under the same gunicorn, the issue's targets).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench import harness as h  # noqa: E402
from bench import list_cpu  # noqa: E402

HX = {"HX-Request": "true"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", default="2,3,5", help="comma-separated worker counts to measure")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0, help="per target and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--accounts", type=int, default=8)
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--profile", type=Path, default=None, help="py-spy each worker during the first list round")
    return p.parse_args(argv)


def listing(client, index, iteration):
    return "list", client.get("/tickets", headers=HX)


def trivial(client, index, iteration):
    return "healthz", client.get("/healthz")


def measure(app, server_pid: int, cookies: list[str], step, clients: int, seconds: float) -> dict:
    busy0, cpu0, sb0, lg0 = h.cpu_busy_seconds(), app.cpu(), h.cpu_seconds(server_pid), time.process_time()
    workers0 = {pid: h.cpu_seconds(pid) for pid in app.worker_pids()}
    result = h.load(app.url, cookies, step, clients=clients, seconds=seconds, max_requests=10**7)
    n = max(result.total, 1)
    return {
        # each worker's share of the cores: uneven shares mean the clients' kept-alive connections landed
        # unevenly on the workers (a closed-loop client stays with the worker that accepted it)
        "worker_cores": sorted((h.cpu_seconds(pid) - t0) / result.seconds for pid, t0 in workers0.items()),
        "rps": result.total / result.seconds,
        "p50_ms": h.percentile(result.latencies, 50) * 1000,
        "gunicorn_ms": (app.cpu() - cpu0) * 1000 / n,
        "sandbox_ms": (h.cpu_seconds(server_pid) - sb0) * 1000 / n,
        "loadgen_ms": (time.process_time() - lg0) * 1000 / n,
        "busy_cores": (h.cpu_busy_seconds() - busy0) / result.seconds,
        "errors": result.errors + result.count(lambda s: s >= 300),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rf-listtp-"))
    side = list_cpu.Side("this", ROOT, str(ROOT))
    info = h.machine_info()
    print(f"List throughput by gunicorn shape  machine: {info['nproc']} x {info['cpu']}, load avg {info['load']}")
    rows = []
    try:
        with h.SandboxServer(latency_ms=0, max_seconds=3600) as server:
            list_cpu.prepare(side, server.url, workdir, args.accounts)
            server.configure(latency_ms=args.latency_ms)
            for workers in [int(w) for w in args.workers.split(",")]:
                with h.Gunicorn(side.db, workers=workers, threads=args.threads, log_path=workdir / f"w{workers}.log",
                                max_requests=0) as app:
                    # every worker's reference cache and PSA connections warm (several requests per worker)
                    h.load(app.url, side.cookies, listing, clients=8, seconds=5, max_requests=40 * workers)
                    for round_no in range(args.rounds):
                        spies = []
                        if args.profile is not None and round_no == 0:
                            args.profile.mkdir(parents=True, exist_ok=True)
                            spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
                            spies = [subprocess.Popen(
                                [spy, "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", "250",
                                 "--duration", str(int(args.seconds)), "--format", "raw",
                                 "--output", str(args.profile / f"list-{pid}.txt")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in app.worker_pids()]
                        figures = {"list": measure(app, server.pid, side.cookies, listing, args.clients, args.seconds)}
                        for spy_process in spies:
                            spy_process.wait(timeout=args.seconds + 60)
                        figures["healthz"] = measure(app, server.pid, side.cookies, trivial, args.clients,
                                                     args.seconds)
                        ratio = figures["list"]["rps"] / figures["healthz"]["rps"] if figures["healthz"]["rps"] else 0
                        for target in ("list", "healthz"):
                            f = figures[target]
                            rows.append([f"{workers} x {args.threads}", round_no + 1, target, f"{f['rps']:.0f}",
                                         f"{f['p50_ms']:.1f}", f"{f['gunicorn_ms']:.2f}", f"{f['sandbox_ms']:.2f}",
                                         f"{f['loadgen_ms']:.2f}", f"{f['busy_cores']:.2f}",
                                         " ".join(f"{c:.2f}" for c in f["worker_cores"]), f["errors"],
                                         f"{ratio:.0%}" if target == "list" else ""])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(h.table(
        "List partial and /healthz under one gunicorn",
        ["gunicorn", "round", "target", "req/s", "p50 ms", "gunicorn ms/req", "sandbox ms/req", "load gen ms/req",
         "machine busy (cores)", "each worker (cores)", "errors", "list % of healthz"],
        rows,
        note=f"{args.clients} clients over {args.accounts} accounts, sandbox L = {args.latency_ms:g} ms, "
             f"{args.seconds:g} s per target and round",
    ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
