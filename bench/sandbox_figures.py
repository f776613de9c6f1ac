"""The ConnectWise sandbox's and client's timing figures: what the test suite no longer asserts by the clock.

    .venv/bin/python -m bench.sandbox_figures [--resets 30] [--requests 20] [--json FILE]

Tests must not read a clock (CI runs them on two loaded cores), so the suite asserts *what is asked
for* - the delay the sandbox's latency requests, the wait the client's retry asks for, that a reset
does not rebuild the seed, that parallel requests can all be in their latency at once - and this
script measures *how long it takes* on this machine. In-process (``httpx.WSGITransport``), no
sockets, no Django; every loop is bounded.

1. **Reset**: ``CWSandbox.reset()`` (once per test) - median and p95 over ``--resets`` resets, next to
   building the seed from scratch once (what a reset avoids by unpickling a snapshot). The suite's
   old bound was a median under 50 ms.
2. **Latency and jitter**: ``GET /system/info`` with latency 60 ms and jitter 20 ms, ``--requests``
   times: wall time per request (expected 60-80 ms plus the sandbox's own work).
3. **Parallel latency**: 8 requests at once with latency 200 ms: the batch's wall time against the
   1.6 s it would take if the latency slept under the sandbox's lock (the old bound: under 0.96 s).
4. **Retry-After**: a GET answered 429 with ``Retry-After: 1`` and then 200, through
   ``ConnectWiseClient`` and its real sleep: wall time (at least 1 s; the old bound: 1-5 s).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h  # noqa: E402

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
AUTH = ("sandbox+sandbox-public", "sandbox-private")
PARALLEL = 8


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resets", type=int, default=30, help="resets to time (default 30)")
    p.add_argument("--requests", type=int, default=20, help="requests per latency figure (default 20)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    return p.parse_args(argv)


def _ms(seconds: list[float]) -> tuple[float, float, float, float]:
    """min, median, p95, max in ms."""
    values = [s * 1000 for s in seconds]
    return min(values), h.median(values), h.percentile(values, 95), max(values)


def _client(sandbox):
    import httpx

    return httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=AUTH, headers={"clientId": "rf-bench"}
    )


def reset_figures(resets: int) -> dict:
    from psa.sandbox import CWSandbox

    started = time.perf_counter()
    sandbox = CWSandbox(seed=7)  # builds the seed once, then resets
    construct = time.perf_counter() - started
    timings = []
    for _ in range(resets):
        started = time.perf_counter()
        sandbox.reset()
        timings.append(time.perf_counter() - started)
    return {"construct_s": construct, "reset_s": timings}


def latency_figures(requests: int) -> dict:
    from psa.sandbox import CWSandbox

    sandbox = CWSandbox(seed=7, latency_ms=60, jitter_ms=20)
    walls = []
    with _client(sandbox) as cw:
        for _ in range(requests):
            started = time.perf_counter()
            cw.get("/system/info").raise_for_status()
            walls.append(time.perf_counter() - started)
    return {"latency_ms": 60, "jitter_ms": 20, "wall_s": walls}


def parallel_figures(batches: int) -> dict:
    from psa.sandbox import CWSandbox

    sandbox = CWSandbox(seed=7, latency_ms=200)
    walls = []
    with _client(sandbox) as cw, ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for _ in range(batches):
            started = time.perf_counter()
            statuses = list(pool.map(lambda _: cw.get("/service/tickets/count").status_code, range(PARALLEL)))
            walls.append(time.perf_counter() - started)
            assert statuses == [200] * PARALLEL, statuses
    return {"latency_ms": 200, "parallel": PARALLEL, "serial_s": PARALLEL * 0.2, "wall_s": walls}


def retry_after_figures(requests: int) -> dict:
    import httpx

    from psa.connectwise.client import ConnectWiseClient, base_url_for_site
    from psa.sandbox import CWSandbox

    logging.getLogger("psa.connectwise").setLevel(logging.ERROR)  # each 429 is logged as a warning
    sandbox = CWSandbox(seed=7)
    client = ConnectWiseClient(
        base_url=base_url_for_site("sandbox"),
        company_id="sandbox",
        public_key="sandbox-public",
        private_key="sandbox-private",
        client_id="rf-bench",
        transport=httpx.WSGITransport(app=sandbox),
        get_retries=2,
    )
    walls = []
    try:
        for _ in range(requests):
            sandbox.inject("429", method="GET", path=r"system/info", times=1, retry_after=1)
            started = time.perf_counter()
            client.get("/system/info")
            walls.append(time.perf_counter() - started)
    finally:
        client.close()
    return {"retry_after_s": 1, "wall_s": walls}


def main(argv=None) -> int:
    args = parse_args(argv)
    resets, requests = max(1, args.resets), max(1, args.requests)
    info = h.machine_info()
    print(
        f"ConnectWise sandbox figures  resets={resets} requests={requests}; machine: {info['nproc']} x "
        f"{info['cpu']}, Python {info['python']}, load avg {info['load']}\n"
    )

    reset = reset_figures(resets)
    latency = latency_figures(requests)
    parallel = parallel_figures(max(1, requests // 4))
    retry = retry_after_figures(max(1, requests // 4))

    headers = ["figure", "n", "min ms", "median ms", "p95 ms", "max ms", "reference"]
    rows = [
        ["sandbox reset()", resets, *_ms(reset["reset_s"]), "old test bound: median < 50 ms"],
        ["CWSandbox() (builds the seed)", 1, *_ms([reset["construct_s"]]), "what a reset avoids"],
        ["GET, latency 60 + jitter 20 ms", requests, *_ms(latency["wall_s"]), "asks for 60-80 ms"],
        [
            f"{PARALLEL} parallel GETs, latency 200 ms",
            len(parallel["wall_s"]),
            *_ms(parallel["wall_s"]),
            f"serial would be {parallel['serial_s'] * 1000:.0f} ms; old bound < 960 ms",
        ],
        [
            "GET after 429 Retry-After: 1",
            len(retry["wall_s"]),
            *_ms(retry["wall_s"]),
            "at least 1000 ms; old bound < 5000",
        ],
    ]
    print(
        h.table(
            "Sandbox and client timing (in-process, wall time)",
            headers,
            rows,
            note="The suite asserts the requested delays and call counts; these are the measured times.",
        )
    )
    if args.json:
        h.dump_json(
            args.json, {"machine": info, "reset": reset, "latency": latency, "parallel": parallel, "retry_after": retry}
        )
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
