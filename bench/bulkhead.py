"""The bulkhead, measured: another account's drawer while one account's ConnectWise hangs.

    .venv/bin/python bench/bulkhead.py [--drawers 20] [--samples 30] [--latency-ms 50]

Account A talks to the ConnectWise sandbox server (``bench/sandbox_server.py``, a separate process,
``--latency-ms`` per call); account B's site is a loopback listener that accepts connections and
never answers. Three phases, each printed as p50/p95 of A's drawer detail (the four sections in one
parallel round, ``tickets.service.get_ticket_panel``):

1. baseline: A alone;
2. bulkhead: while 20 request threads each open a drawer of B (each under the 12 s request deadline);
3. without lanes (``PSA_MAX_CALLS_PER_CONNECTION`` unlimited, the old shared pool): the same, a few
   samples only (each waits for B's calls to give up).

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawers", type=int, default=20, help="concurrent drawers of the hanging account")
    parser.add_argument("--samples", type=int, default=30, help="drawers of the healthy account per phase")
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()

    print(f"Bulkhead: {args.drawers} hanging drawers, {args.samples} samples, sandbox latency {args.latency_ms:g} ms; "
          f"machine {h.machine_info()['cpu']}, load avg {h.loadavg()}")
    db_dir = h.temp_dir("rf-bulkhead-")
    with h.SandboxServer(latency_ms=args.latency_ms, max_seconds=600) as sandbox_server:
        h.configure_django(db_dir / "db.sqlite3")
        from django.conf import settings

        from psa import capacity
        from psa.sandbox import default_sandbox
        from psa.tenancy import tenant_for
        from tickets import service

        member = default_sandbox().members()[0]
        healthy = tenant_for(h.setup_tenant("Healthy MSP", "healthy", sandbox_server.url, member).user)
        hanging_server = h.HangingServer()
        hanging = tenant_for(h.setup_tenant("Hanging MSP", "hanging", f"http://127.0.0.1:{hanging_server.port}",
                                            member).user)
        row = service.search_tickets(healthy, service.TicketFilters(), page=1, page_size=1).items[0]

        def healthy_drawers(n: int) -> list[float]:
            times = []
            for _ in range(n):
                started = time.perf_counter()
                with capacity.deadline(settings.PSA_REQUEST_DEADLINE_SECONDS):
                    panel = service.get_ticket_panel(healthy, row.id, row.company_id)
                times.append((time.perf_counter() - started) * 1000)
                assert panel.detail.error is None, panel.detail.error
            return times

        def hanging_drawers() -> list[threading.Thread]:
            def drawer(i):
                with capacity.deadline(settings.PSA_REQUEST_DEADLINE_SECONDS):
                    service.get_ticket_panel(hanging, 1000 + i, None)

            threads = [threading.Thread(target=drawer, args=(i,), daemon=True) for i in range(args.drawers)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # let them reach the hanging server
            return threads

        settings.PSA_GET_RETRIES = 0
        healthy_drawers(3)  # warm: connections, templates, caches
        baseline = healthy_drawers(args.samples)
        threads = hanging_drawers()
        with_lanes = healthy_drawers(args.samples)
        for thread in threads:
            thread.join(settings.PSA_REQUEST_DEADLINE_SECONDS + 5)
        from django.core.cache import cache

        cache.clear()  # the hanging account's breaker opened; the next phase starts from a closed one
        settings.PSA_MAX_CALLS_PER_CONNECTION = 10_000
        threads = hanging_drawers()
        without_lanes = healthy_drawers(3)
        hanging_server.close()
        for thread in threads:
            thread.join(settings.PSA_REQUEST_DEADLINE_SECONDS + 5)

    rows = [
        ["A alone (baseline)", len(baseline), h.median(baseline), h.percentile(baseline, 95)],
        [f"A beside {args.drawers} hanging drawers of B", len(with_lanes), h.median(with_lanes),
         h.percentile(with_lanes, 95)],
        ["the same without lanes (old shared pool)", len(without_lanes), h.median(without_lanes),
         h.percentile(without_lanes, 95)],
    ]
    print(h.table("Account A's drawer detail (ms)", ["phase", "n", "p50", "p95"], rows,
                  note=f"p95 beside the hanging account / baseline: {h.percentile(with_lanes, 95) / h.percentile(baseline, 95):.2f}x"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
