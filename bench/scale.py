"""The main screens at the default and the large scale, side by side (issue 17, item 5).

    .venv/bin/python bench/scale.py [--latency-ms 100] [--requests 20] [--cpu-requests 200] [--json FILE]

Two ConnectWise sandbox servers (``bench/sandbox_server.py``, each its own process): the default seed (23
companies, 11 members, 4 boards, 640 tickets) and ``--scale large`` (5,000 companies, 20,000 contacts, 300
members, 12 boards, 200,000 tickets). One throwaway SQLite DB holds a tenant connected to each. The app runs in
this process through ``django.test.Client`` (full middleware stack), as in ``bench/run.py``. Loopback only;
everything stops by itself.

For each scale and screen:

* **L-ratio**: median wall time / L with the sandbox answering after L (``--latency-ms``), ``--requests`` each;
* **PSA calls and bytes** from the sandbox's request log (the last request of the screen);
* **HTML bytes** of the answer;
* **app CPU per request**: with L = 0, this process's CPU time (every thread: the app and its PSA pool; the
  sandbox is another process) per request, median over ``--cpu-requests`` for the list; beside it the
  **sandbox's CPU** per request (its process's, from /proc, a mean over the same requests): what the PSA's
  side costs on this machine's shared cores, inside the L-ratios;
* **ai-parse**: the offline engine, warm (no PSA call): p50 and p95 wall over the eval prompts, and the first
  parse of an account (every company read once, in parallel pages).

"First visit" rows: *cold* = nothing cached (the first request after a deploy or a cache expiry: the
reference data load in parallel rounds, each board's statuses after the boards); *a user's first visit* = the account's reference data cached by
a colleague, the company in the URL not yet looked up (list, count and one company look-up).

Targets (issue 17) at the large scale: /tickets HTML <= 60 KB; CPU per list render within 20% of the default
scale; a user's first visit <= 3 PSA calls; typeahead <= 1.3 L; ai-parse p95 <= 50 ms (offline engine). The
exit status is 1 when one is missed. Tests never time anything: the figures come from here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h  # noqa: E402

SCALES = ("default", "large")
HX = {"HX-Request": "true"}
HTML_MAX = 60 * 1024
CPU_MARGIN = 1.20
FIRST_VISIT_CALLS_MAX = 3
TYPEAHEAD_RATIO_MAX = 1.3
AI_P95_MAX_MS = 50.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency-ms", type=float, default=100.0)
    p.add_argument("--requests", type=int, default=20, help="requests per screen for the L-ratio")
    p.add_argument("--cpu-requests", type=int, default=200, help="list renders per scale for the CPU figure")
    p.add_argument("--ai-runs", type=int, default=100, help="warm ai-parse requests per scale")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    args.requests = max(1, min(args.requests, 500))
    args.cpu_requests = max(10, min(args.cpu_requests, 5000))
    args.ai_runs = max(5, min(args.ai_runs, 2000))
    return args


class Side:
    """One scale: its sandbox server, its tenant, a signed-in client, what a screen's request cost."""

    def __init__(self, scale: str, server: h.SandboxServer, tenant):
        from django.test import Client

        self.scale, self.server, self.tenant = scale, server, tenant
        self.client = Client()
        self.client.force_login(tenant.user)
        self.bearer = {"Authorization": f"Bearer {tenant.token}"}
        self.figures: dict[str, dict] = {}

    def request(self, method: str, path: str, **kwargs) -> tuple[object, float, list]:
        """(response, wall seconds, the sandbox log entries it caused)."""
        cursor = self.server.log_size()
        began = time.perf_counter()
        response = getattr(self.client, method)(path, **kwargs)
        wall = time.perf_counter() - began
        _, entries = self.server.log_since(cursor)
        if response.status_code >= 400:
            raise RuntimeError(f"{self.scale}: {method.upper()} {path} -> {response.status_code}")
        return response, wall, entries


def clear_cache() -> None:
    from django.core.cache import cache

    from psa import reference

    cache.clear()
    with reference._built_lock:
        reference._built.clear()


def last_company(side: Side) -> int:
    """The company last by name: beyond the first page of suggestions at the large scale."""
    import httpx

    rows = httpx.get(f"{side.server.url}/v4_6_release/apis/3.0/company/companies",
                     params={"orderBy": "name desc", "pageSize": 1, "fields": "id"},
                     auth=("sandbox+sandbox-public", "sandbox-private"), headers={"clientId": "rf-bench"}).json()
    return rows[0]["id"]


def screens(side: Side) -> list[tuple[str, str, str, dict, object]]:
    """(key, label, method, kwargs, before) for each screen; ``before`` prepares the cache state."""
    company = last_company(side)

    def forget_company():
        from django.core.cache import cache

        from psa import reference

        cache.delete(reference.cache_key(side.tenant.connection, reference.company_part(company)))

    return [
        ("list_cold", "/tickets, first visit, nothing cached", "get", {"path": "/tickets"}, clear_cache),
        ("list_first", "/tickets?company=…, a user's first visit", "get", {"path": f"/tickets?company={company}"},
         forget_company),
        ("list_warm", "/tickets (warm)", "get", {"path": "/tickets"}, None),
        ("list_partial", "list partial (htmx, warm)", "get", {"path": "/tickets", "headers": HX}, None),
        ("new_ticket", "New ticket modal (warm)", "get", {"path": "/tickets/new?tab=full", "headers": HX}, None),
        ("pick_company", "company typeahead", "get", {"path": "/tickets/pick/company?q=dent", "headers": HX}, None),
        ("pick_contact", "contact typeahead", "get", {"path": "/tickets/pick/contact?company=250&q=a",
                                                      "headers": HX}, None),
        ("pick_member", "member typeahead", "get", {"path": "/tickets/pick/member?q=an", "headers": HX}, None),
        ("pick_configuration", "configuration typeahead", "get",
         {"path": "/tickets/pick/configuration?company=250&q=ws", "headers": HX}, None),
    ]


def measure_latency(side: Side, n: int, latency_s: float) -> None:
    side.server.configure(latency_ms=latency_s * 1000)
    side.request("get", "/tickets")  # the reference data cached, connections open
    for key, label, method, kwargs, before in screens(side):
        walls, last = [], None
        for _ in range(n):
            if before is not None:
                before()
            response, wall, entries = side.request(method, **kwargs)
            walls.append(wall)
            last = (response, entries)
        response, entries = last
        side.figures[key] = {"label": label, "l_ratio": h.median(walls) / latency_s,
                             "p95_ratio": h.percentile(walls, 95) / latency_s, "psa_calls": len(entries),
                             "psa_bytes": sum(e[4] for e in entries), "html_bytes": len(response.content),
                             "calls": sorted({f"{e[0]} {e[1]}" for e in entries})}


def measure_cpu(side: Side, n_list: int, n_other: int = 30) -> None:
    """CPU of this process per request at L = 0 (the sandbox is another process): the app and its threads."""
    side.server.configure(latency_ms=0)
    side.request("get", "/tickets")
    for key, _, method, kwargs, before in screens(side):
        n = n_list if key in ("list_partial", "list_warm") else n_other
        for _ in range(min(10, n)):
            if before is not None:
                before()
            getattr(side.client, method)(**kwargs)
        cpu = []
        sandbox_began = sandbox_cpu(side.server)
        for _ in range(n):
            if before is not None:
                before()
            began = time.process_time()
            getattr(side.client, method)(**kwargs)
            cpu.append(time.process_time() - began)
        side.figures[key]["sandbox_cpu_ms"] = (sandbox_cpu(side.server) - sandbox_began) / n * 1000
        side.figures[key]["cpu_ms"] = statistics.median(cpu) * 1000
        side.figures[key]["cpu_p95_ms"] = h.percentile(cpu, 95) * 1000


def sandbox_cpu(server) -> float:
    """The sandbox process's CPU seconds so far (user + system, /proc: 10 ms ticks, so a mean over many)."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_ai(side: Side, runs: int, latency_s: float) -> None:
    from tests.tickets.ai_eval_prompts import CASES

    def parse(prompt):
        return side.request("post", "/integrations/psa/tickets/ai-parse", data=json.dumps({"prompt": prompt}),
                            content_type="application/json", headers=side.bearer)

    side.server.configure(latency_ms=latency_s * 1000)
    side.request("get", "/tickets")  # boards, members… cached as after any visit; the companies not yet
    from django.core.cache import cache

    from psa import reference

    cache.delete(reference.cache_key(side.tenant.connection, "companies"))
    with reference._built_lock:
        reference._built.clear()
    _, first_wall, first_entries = parse("New ticket for Acme Corp, Outlook not syncing, high priority, assign to me")
    side.server.configure(latency_ms=0)
    walls = []
    for i in range(runs):
        _, wall, entries = parse(CASES[i % len(CASES)].prompt)
        if entries:
            raise RuntimeError(f"{side.scale}: a warm ai-parse called the PSA: {entries}")
        walls.append(wall)
    side.figures["ai_parse"] = {
        "label": "ai-parse (offline engine)", "first_l_ratio": first_wall / latency_s,
        "first_psa_calls": len(first_entries), "first_psa_bytes": sum(e[4] for e in first_entries),
        "p50_ms": h.median(walls) * 1000, "p95_ms": h.percentile(walls, 95) * 1000, "runs": runs,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = h.temp_dir("rf-scale-")
    started = time.monotonic()
    info = h.machine_info()
    latency_s = args.latency_ms / 1000
    print(f"ResolutionFlow at both scales  L={args.latency_ms:.0f} ms  requests/screen={args.requests}; machine: "
          f"{info['nproc']} x {info['cpu']}, Python {info['python']}, load avg {info['load']}\n")
    sides: dict[str, Side] = {}
    with h.SandboxServer(latency_ms=0, max_seconds=3600) as default_server, \
            h.SandboxServer(latency_ms=0, max_seconds=3600, scale="large") as large_server:
        h.configure_django(workdir / "scale.sqlite3")
        from django.conf import settings

        from psa.sandbox import CWSandbox

        settings.AI_USER_REQUESTS_PER_MINUTE = settings.AI_ACCOUNT_REQUESTS_PER_MINUTE = 1_000_000
        member = CWSandbox().members()[0]  # jsmith at both scales
        for scale, server in (("default", default_server), ("large", large_server)):
            tenant = h.setup_tenant(f"Scale {scale}", f"scale_{scale}", server.url, member)
            sides[scale] = Side(scale, server, tenant)
        for side in sides.values():
            measure_latency(side, args.requests, latency_s)
        for side in sides.values():
            measure_cpu(side, args.cpu_requests)
        for side in sides.values():
            measure_ai(side, args.ai_runs, latency_s)

    d, g = sides["default"].figures, sides["large"].figures
    rows = []
    for key in d:
        if key == "ai_parse":
            continue
        rows.append([d[key]["label"], *(f"{f[key]['l_ratio']:.2f}" for f in (d, g)),
                     *(f"{f[key]['cpu_ms']:.1f}" for f in (d, g)), *(f"{f[key]['sandbox_cpu_ms']:.1f}" for f in (d, g)),
                     *(f"{f[key]['psa_calls']}" for f in (d, g)),
                     *(f"{f[key]['psa_bytes']:,}" for f in (d, g)), *(f"{f[key]['html_bytes']:,}" for f in (d, g))])
    print(h.table(f"Screens at both scales (L-ratio: median of {args.requests} at L = {args.latency_ms:.0f} ms; "
                  f"CPU: app CPU ms per request at L = 0, median of {args.cpu_requests} for the list, 30 otherwise)",
                  ["screen", "L default", "L large", "CPU default", "CPU large", "sandbox CPU", "(large)", "PSA calls", "(large)", "PSA bytes",
                   "(large)", "HTML bytes", "(large)"], rows))
    ai_rows = [[s, f"{f['ai_parse']['p50_ms']:.1f}", f"{f['ai_parse']['p95_ms']:.1f}",
                f"{f['ai_parse']['first_l_ratio']:.2f} L", f['ai_parse']['first_psa_calls'],
                f"{f['ai_parse']['first_psa_bytes']:,}"] for s, f in (("default", d), ("large", g))]
    print(h.table(f"ai-parse, offline engine ({args.ai_runs} warm requests; the first of an account at L)",
                  ["scale", "warm p50 ms", "warm p95 ms", "first", "first PSA calls", "first PSA bytes"], ai_rows))

    typeahead = max(g[k]["l_ratio"] for k in ("pick_company", "pick_contact", "pick_member", "pick_configuration"))
    checks = [
        ("/tickets HTML <= 60 KB (large)", g["list_warm"]["html_bytes"] <= HTML_MAX,
         f"{g['list_warm']['html_bytes']:,} B (default {d['list_warm']['html_bytes']:,} B)"),
        ("CPU per list render within 20% of default", g["list_partial"]["cpu_ms"] <= d["list_partial"]["cpu_ms"] * CPU_MARGIN,
         f"{g['list_partial']['cpu_ms']:.2f} vs {d['list_partial']['cpu_ms']:.2f} ms (partial); "
         f"{g['list_warm']['cpu_ms']:.2f} vs {d['list_warm']['cpu_ms']:.2f} ms (page)"),
        ("a user's first visit <= 3 PSA calls (large)", g["list_first"]["psa_calls"] <= FIRST_VISIT_CALLS_MAX,
         f"{g['list_first']['psa_calls']} calls; nothing cached: {g['list_cold']['psa_calls']} calls "
         f"({g['list_cold']['l_ratio']:.2f} L)"),
        ("typeahead <= 1.3 L (large)", typeahead <= TYPEAHEAD_RATIO_MAX, f"slowest {typeahead:.2f} L"),
        ("ai-parse p95 <= 50 ms, offline (large)", g["ai_parse"]["p95_ms"] <= AI_P95_MAX_MS,
         f"{g['ai_parse']['p95_ms']:.1f} ms (default {d['ai_parse']['p95_ms']:.1f} ms)"),
    ]
    print(h.table("Targets (issue 17)", ["target", "result", "measured"],
                  [[name, "PASS" if ok else "FAIL", measured] for name, ok, measured in checks]))
    print(f"finished in {time.monotonic() - started:.0f} s; load avg now {h.loadavg()}")
    if args.json:
        h.dump_json(args.json, {"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
                                "default": d, "large": g, "targets": [[n, ok, m] for n, ok, m in checks]})
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
