"""Autotask's "most urgent first, then newest" without a server-side sort, measured on 5,000 open tickets.

    .venv/bin/python bench/autotask_sort.py [--open 5000] [--reps 5] [--latency-ms 0] [--json FILE]

The Autotask sandbox (in-process, ``httpx.WSGITransport``, no sockets) is seeded with ``--open`` open
tickets; ``AutotaskProvider.search_tickets`` pages through the open queue with 25 rows a page. For a
spread of pages (the first, pages that start or straddle a priority bucket, deep pages, the last):

* PSA calls per page, split into ``query/count`` (one per priority bucket + the cut search's probes),
  ticket fetches (``query`` + ``query/next``) and the row look-ups (companies, contacts, secondary
  resources), counted from the sandbox's request log;
* wall time per page (median of ``--reps``), with ``--latency-ms`` of sandbox latency per request to
  stand in for Autotask's round trip (the provider runs counts and look-ups in parallel, at most 3 at a
  time per endpoint: Autotask's thread limit);
* whether the page is exactly right: compared with a plain sort of the sandbox's own tickets.

Then the same with a cold provider (no ticket id seen yet, so the cut search starts from a guess), and
the naive strategy for contrast: read the id and priority of every open ticket (500 a page) and sort.
Reference data (picklists, resources) is loaded before timing: it is cached per provider.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402

from bench import harness as h  # noqa: E402
from psa.autotask.client import SANDBOX_ROOT  # noqa: E402
from psa.autotask.query import F  # noqa: E402
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME, ATSandbox  # noqa: E402
from psa.providers.autotask import AutotaskProvider  # noqa: E402
from psa.schemas import TicketSearchQuery  # noqa: E402

PAGE_SIZE = 25


def provider_for(sandbox: ATSandbox) -> AutotaskProvider:
    return AutotaskProvider(username=API_USERNAME, integration_code=API_INTEGRATION_CODE, secret=API_SECRET,
                            root=SANDBOX_ROOT, transport=httpx.WSGITransport(app=sandbox), sleep=lambda s: None)


def expected_order(sandbox: ATSandbox) -> list[int]:
    sort = {int(v["value"]): v["sortOrder"] for v in sandbox.state["picklists"]["Tickets"]["priority"]}
    rows = [t for t in sandbox.state["tickets"].values() if t["status"] != 5]
    return [t["id"] for t in sorted(rows, key=lambda t: (sort.get(t["priority"], 1 << 30), -t["id"]))]


def kind(path: str) -> str:
    low = path.lower()
    if low.endswith("/query/count"):
        return "counts"
    if "/tickets/query" in low:
        return "fetches"
    return "look-ups"


def measure(sandbox: ATSandbox, provider: AutotaskProvider, page: int, reps: int, expected: list[int]) -> dict:
    times, calls, right = [], None, True
    for _ in range(reps):
        sandbox.clear_log()
        started = time.perf_counter()
        result = provider.search_tickets(TicketSearchQuery(), page=page, page_size=PAGE_SIZE)
        times.append(time.perf_counter() - started)
        split = {"counts": 0, "fetches": 0, "look-ups": 0}
        for entry in sandbox.request_log:
            split[kind(entry.path)] += 1
        calls = split
        want = expected[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        right = right and [t.id for t in result.items] == want and result.total == len(expected)
    return {"page": page, "calls": sum(calls.values()), **calls, "ms": statistics.median(times) * 1000, "right": right}


def naive(sandbox: ATSandbox, provider: AutotaskProvider, reps: int) -> dict:
    times, calls = [], 0
    for _ in range(reps):
        sandbox.clear_log()
        started = time.perf_counter()
        rows = provider.client.query_all("Tickets", [F.noteq("status", 5)], include_fields=["id", "priority"])
        rows.sort(key=lambda t: -t["id"])
        times.append(time.perf_counter() - started)
        calls = len(sandbox.request_log)
    return {"calls": calls, "ms": statistics.median(times) * 1000, "rows": len(rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=5000, help="open tickets in the sandbox (default 5000)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per page (median time)")
    parser.add_argument("--latency-ms", type=float, default=0, help="sandbox latency per request")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args()

    started = time.perf_counter()
    sandbox = ATSandbox(open_target=args.open)
    build_s = time.perf_counter() - started
    expected = expected_order(sandbox)
    sort = {int(v["value"]): (v["sortOrder"], v["label"]) for v in sandbox.state["picklists"]["Tickets"]["priority"]}
    buckets = {}
    for t in sandbox.state["tickets"].values():
        if t["status"] != 5:
            buckets[sort[t["priority"]]] = buckets.get(sort[t["priority"]], 0) + 1
    sizes = ", ".join(f"{label} {n}" for (_, label), n in sorted(buckets.items()))
    print(f"Autotask sort: {len(expected)} open of {sandbox.ticket_count()} tickets ({sizes}); page size {PAGE_SIZE}; "
          f"sandbox latency {args.latency_ms:g} ms; seed built in {build_s:.1f} s; machine {h.machine_info()['cpu']}, "
          f"load avg {h.loadavg()}\n")

    last = -(-len(expected) // PAGE_SIZE)
    edges, start = [], 0
    for _, n in sorted(buckets.items()):
        start += n
        edges.append(start // PAGE_SIZE + 1)  # the page that holds the bucket's last / the next bucket's first
    pages = sorted({1, 2, *edges, last // 2, last - 1, last} - {0})
    pages = [p for p in pages if 1 <= p <= last]

    figures: dict = {"open": len(expected), "buckets": sizes, "latency_ms": args.latency_ms, "warm": [], "cold": []}
    sandbox.latency_ms = 0
    warm = provider_for(sandbox)
    warm.list_priorities(), warm.list_members()  # reference data: cached per provider
    warm.search_tickets(TicketSearchQuery(), page=1, page_size=PAGE_SIZE)  # sees the newest ids (the cut's hint)
    sandbox.latency_ms = args.latency_ms
    rows = []
    for page in pages:
        result = measure(sandbox, warm, page, args.reps, expected)
        figures["warm"].append(result)
        rows.append([page, result["calls"], result["counts"], result["fetches"], result["look-ups"], result["ms"],
                     "yes" if result["right"] else "NO"])
    print(h.table("Warm provider (has seen the newest ticket ids)",
                  ["page", "PSA calls", "counts", "fetches", "look-ups", "ms (median)", "exact"], rows))

    rows = []
    for page in pages:
        sandbox.latency_ms = 0
        cold = provider_for(sandbox)
        cold._id_hint = None  # as a process that has not seen this database's tickets yet
        cold.list_priorities(), cold.list_members()
        sandbox.latency_ms = args.latency_ms
        result = measure(sandbox, cold, page, 1, expected)
        figures["cold"].append(result)
        rows.append([page, result["calls"], result["counts"], result["fetches"], result["look-ups"], result["ms"],
                     "yes" if result["right"] else "NO"])
        cold.close()
    print(h.table("Cold provider (first search of a new provider: the cut search starts from a guess)",
                  ["page", "PSA calls", "counts", "fetches", "look-ups", "ms", "exact"], rows))

    result = naive(sandbox, warm, args.reps)
    figures["naive"] = result
    print(h.table("For contrast: read every open ticket's id and priority, then sort (any page)",
                  ["PSA calls", "ms (median)", "rows read"], [[result["calls"], result["ms"], result["rows"]]],
                  "(plus the page's 3 look-ups; grows by one call per 500 open tickets)"))
    warm.close()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if all(r["right"] for r in figures["warm"] + figures["cold"]) else 1


if __name__ == "__main__":
    sys.exit(main())
