"""Soak test (issue 8 item 4): the app under gunicorn against a failing, slow ConnectWise sandbox.

    .venv/bin/python bench/soak.py [--seconds 120] [--users 32] [--error-rate 0.05] [--latency-ms 50] [--json out.json]

The sandbox server (``bench/sandbox_server.py``) answers 5% of API requests with an injected 500/503
and every request after 50 ms. ``--users`` simulated engineers (threads + httpx, each with a session
cookie and CSRF token) loop for ``--seconds`` over: the queue (htmx partial, sometimes filtered), drawer
open, drawer detail, resources, status changes, notes, My Queue, and a few ticket creates through the
JSON API with ``Idempotency-Key`` - some retried with the same key afterwards, some sent twice at once.

Reported: requests, statuses per operation, unexpected 5xx (must be 0: a PSA failure must surface as
a handled 4xx, an API 502/503/504 with a JSON body, or an inline error in a 200/422 partial), handled
failures, duplicate creates (tickets in the sandbox per key: must be at most 1), worker RSS (VmRSS from
/proc) at the start and end, tracebacks in the server log. Gunicorn runs ``rf_project/gunicorn.conf.py``
with ``GUNICORN_MAX_REQUESTS=0`` so a worker is never recycled mid-run (recycling would hide a leak).
Exit status 1 if a target fails.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h  # noqa: E402

HANDLED_API_5XX = (502, 503, 504)
RSS_GROWTH_LIMIT_KIB = 16 * 1024  # per worker, from the first-quarter sample to the end (after caches fill)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Soak test: gunicorn + a sandbox with injected failures.")
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--error-rate", type=float, default=0.05)
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: nproc)")
    p.add_argument("--create-share", type=float, default=0.04, help="share of operations that create a ticket")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    args.seconds = max(2.0, min(args.seconds, 1800.0))
    args.users = max(1, min(args.users, 256))
    return args


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_op: dict[str, Counter] = defaultdict(Counter)
        self.unexpected: list[tuple[str, int, str]] = []
        self.unexpected_count = 0
        self.handled_api_5xx = 0
        self.inline_errors = 0
        self.transport_errors: Counter = Counter()
        self.latencies: list[float] = []
        self.keys: dict[str, str] = {}  # idempotency key -> summary
        self.created: dict[str, set[int]] = defaultdict(set)  # key -> ticket ids answered

    def record(self, op: str, response, elapsed: float, *, api: bool = False):
        status = response.status_code
        with self.lock:
            self.by_op[op][status] += 1
            self.latencies.append(elapsed)
            if status >= 500:
                handled = api and status in HANDLED_API_5XX and _json_detail(response)
                if handled:
                    self.handled_api_5xx += 1
                else:
                    self.unexpected_count += 1
                    if len(self.unexpected) < 10:
                        self.unexpected.append((op, status, response.text[:300]))
            elif not api and (status == 422 or b'role="alert"' in response.content or b"Retry" in response.content):
                self.inline_errors += 1

    def transport(self, op: str, exc: Exception):
        with self.lock:
            self.transport_errors[f"{op}: {type(exc).__name__}"] += 1


def _json_detail(response) -> bool:
    try:
        return isinstance(response.json().get("detail"), str)
    except ValueError:
        return False


class User:
    """One simulated engineer: a session, a CSRF token, and a random walk over the screens."""

    def __init__(self, index, base_url, cookie, token, rows, member_id, tally, run_id, create_share, seed):
        import httpx

        self.index = index
        self.rng = random.Random(seed * 1000 + index)
        csrf = secrets.token_hex(16)  # 32 chars: Django accepts the unmasked secret in the header
        self.http = httpx.Client(
            base_url=base_url,
            timeout=30.0,
            cookies={"sessionid": cookie, "csrftoken": csrf},
            headers={"X-CSRFToken": csrf, "HX-Request": "true"},
        )
        self.api = httpx.Client(base_url=base_url, timeout=30.0, headers={"Authorization": f"Bearer {token}"})
        self.rows, self.member_id, self.tally = rows, member_id, tally
        self.run_id, self.create_share = run_id, create_share
        self.creates = 0

    def close(self):
        self.http.close()
        self.api.close()

    def timed(self, op, fn, *, api=False):
        import httpx

        began = time.perf_counter()
        try:
            response = fn()
        except httpx.HTTPError as exc:
            self.tally.transport(op, exc)
            return None
        self.tally.record(op, response, time.perf_counter() - began, api=api)
        return response

    def step(self):
        roll = self.rng.random()
        row = self.rng.choice(self.rows)
        if roll < self.create_share:
            return self.create()
        roll = (roll - self.create_share) / (1 - self.create_share)
        if roll < 0.30:
            query = self.rng.choice(["", "", "?board=1", "?assigned=me", "?priority=2", "?search=printer", "?page=2"])
            self.timed("list", lambda: self.http.get(f"/tickets{query}"))
        elif roll < 0.40:
            self.timed(
                "drawer open",
                lambda: self.http.get(f"/tickets/{row.id}/panel?summary=x&company_id={row.company_id or ''}"),
            )
        elif roll < 0.62:
            self.timed(
                "drawer detail", lambda: self.http.get(f"/tickets/{row.id}/detail?company={row.company_id or ''}")
            )
        elif roll < 0.74:
            self.timed("resources", lambda: self.http.get(f"/tickets/{row.id}/resources"))
        elif roll < 0.84:
            status = row.board_id * 10 + self.rng.choice([2, 3, 4])
            self.timed(
                "status change",
                lambda: self.http.post(
                    f"/tickets/{row.id}/status",
                    data={
                        "status": status,
                        "board": row.board_id,
                        "current": row.status_id,
                        "current_name": row.status_name,
                    },
                ),
            )
        elif roll < 0.94:
            self.timed(
                "add note",
                lambda: self.http.post(
                    f"/tickets/{row.id}/notes", data={"text": f"Soak note from user {self.index}", "kind": "internal"}
                ),
            )
        else:
            self.timed("my queue", lambda: self.http.get("/dashboard/my-queue"))

    def create(self):
        self.creates += 1
        key = f"soak-{self.run_id}-{self.index}-{self.creates}"
        summary = f"Soak {self.run_id} u{self.index} #{self.creates}"
        payload = {
            "summary": summary,
            "company_id": 250 + self.rng.randrange(20),
            "board_id": 1,
            "status_id": 11,
            "priority_id": 3,
        }
        if self.rng.random() < 0.5:
            payload["assigned_member_id"] = self.member_id
        with self.tally.lock:
            self.tally.keys[key] = summary
        body = json.dumps(payload)
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}

        def send():
            return self.api.post("/integrations/psa/tickets", content=body, headers=headers)

        def note_created(response):
            if response is not None and response.status_code == 201:
                with self.tally.lock:
                    self.tally.created[key].add(response.json()["id"])

        mode = self.rng.random()
        if mode < 0.2:  # a double click: the same key twice at once
            other: list = []
            t = threading.Thread(target=lambda: other.append(self.timed("create (concurrent dup)", send, api=True)))
            t.start()
            note_created(self.timed("create", send, api=True))
            t.join(35)
            if other:
                note_created(other[0])
        else:
            note_created(self.timed("create", send, api=True))
        # Retry the same key: always after a failure (as a client should), sometimes after a success.
        for _ in range(3):
            with self.tally.lock:
                done = bool(self.tally.created.get(key))
            if done and self.rng.random() < 0.7:
                break
            time.sleep(0.2)
            note_created(self.timed("create (retry same key)", send, api=True))
            if done:
                break


def sandbox_tickets_by_summary(server, run_id: int) -> dict[str, list[int]]:
    import httpx

    found: dict[str, list[int]] = defaultdict(list)
    with httpx.Client(
        base_url=f"{server.url}/v4_6_release/apis/3.0",
        auth=("sandbox+sandbox-public", "sandbox-private"),
        headers={"clientId": "rf-soak"},
        timeout=30,
    ) as client:
        server.configure(error_rate=0, latency_ms=0)
        for page in range(1, 50):
            rows = client.get(
                "/service/tickets",
                params={
                    "conditions": f'summary like "Soak {run_id} %"',
                    "fields": "id,summary",
                    "pageSize": 1000,
                    "page": page,
                },
            ).json()
            for row in rows:
                found[row["summary"]].append(row["id"])
            if len(rows) < 1000:
                break
    return found


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = h.temp_dir("rf-soak-")
    db_path = workdir / "soak.sqlite3"
    info = h.machine_info()
    run_id = int(time.time())
    print(
        f"Soak: {args.users} users x {args.seconds:.0f} s, sandbox latency {args.latency_ms:.0f} ms, "
        f"injected error rate {args.error_rate:.0%}; machine {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"load avg {info['load']}",
        flush=True,
    )
    tally = Tally()
    out: dict = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}}
    with h.SandboxServer(latency_ms=args.latency_ms, error_rate=0, max_seconds=args.seconds + 600) as server:
        h.configure_django(db_path)
        from psa.sandbox import default_sandbox
        from psa.tenancy import tenant_for
        from tickets import service

        member = default_sandbox().members()[0]
        tenant = h.setup_tenant("Soak MSP", "soak", server.url, member)
        rows = service.search_tickets(tenant_for(tenant.user), service.TicketFilters(), page=1, page_size=25).items
        cookie = h.session_cookie(tenant.user)
        workers = args.workers or info["nproc"] or 1
        with h.Gunicorn(
            db_path, workers=workers, threads=args.threads, log_path=workdir / "gunicorn.log", max_requests=0
        ) as app:
            # Warm-up without faults: each worker's reference-data cache and connection pool.
            warm_users = [
                User(i, app.url, cookie, tenant.token, rows, member["id"], Tally(), run_id, 0.0, args.seed)
                for i in range(16)
            ]
            threads = [threading.Thread(target=lambda u=u: [u.step() for _ in range(15)]) for u in warm_users]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            for u in warm_users:
                u.close()
            pids_start = app.worker_pids()
            rss_start = app.worker_rss()
            server.configure(error_rate=args.error_rate)
            log_start = server.log_size()
            print(
                f"  gunicorn {workers} workers x {args.threads} threads; worker RSS after warm-up: "
                + ", ".join(f"{pid}: {kib / 1024:.1f} MiB" for pid, kib in rss_start.items()),
                flush=True,
            )

            users = [
                User(i, app.url, cookie, tenant.token, rows, member["id"], tally, run_id, args.create_share, args.seed)
                for i in range(args.users)
            ]
            deadline = time.monotonic() + args.seconds
            rss_samples = []

            def run(user):
                while time.monotonic() < deadline:
                    user.step()

            threads = [threading.Thread(target=run, args=(u,), daemon=True) for u in users]
            started = time.monotonic()
            for t in threads:
                t.start()
            next_sample = started
            while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 120:
                if time.monotonic() >= next_sample:
                    rss_samples.append((round(time.monotonic() - started), app.worker_rss()))
                    next_sample += max(5.0, args.seconds / 12)
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            for u in users:
                u.close()
            rss_end = app.worker_rss()
            pids_end = app.worker_pids()
            _, entries = server.log_since(log_start)
        log_text = (workdir / "gunicorn.log").read_text(errors="replace")
        tickets = sandbox_tickets_by_summary(server, run_id)

    injected = sum(1 for e in entries if e[3] in (500, 503))
    total = sum(sum(c.values()) for c in tally.by_op.values())
    keys_with_ticket = sum(1 for s in tally.keys.values() if tickets.get(s))
    duplicate_tickets = sum(len(ids) - 1 for ids in tickets.values() if len(ids) > 1)
    answered_mismatch = sum(1 for k, ids in tally.created.items() if len(ids) > 1)
    tracebacks = log_text.count("Traceback")

    rows_out = []
    for op, counts in sorted(tally.by_op.items()):
        rows_out.append([op, sum(counts.values()), " ".join(f"{s}x{n}" for s, n in sorted(counts.items()))])
    print()
    print(
        h.table(
            f"Soak: requests per operation ({elapsed:.0f} s, {args.users} users)",
            ["operation", "requests", "HTTP statuses"],
            rows_out,
        )
    )
    growth = {pid: rss_end.get(pid, 0) - kib for pid, kib in rss_start.items()}
    # "Flat": compare the end with the first sample taken at or after a quarter of the run.
    quarter = next((s for t, s in rss_samples if t >= elapsed / 4), rss_start)
    late_growth = {pid: rss_end.get(pid, 0) - kib for pid, kib in quarter.items()}
    summary = [
        ["requests (total)", total],
        ["requests/s", total / elapsed if elapsed else 0.0],
        [
            "p50 / p95 latency ms",
            f"{h.percentile(tally.latencies, 50) * 1000:.0f} / {h.percentile(tally.latencies, 95) * 1000:.0f}",
        ],
        ["PSA requests (sandbox log)", len(entries)],
        ["injected PSA 500/503 answers", injected],
        ["unexpected 5xx (must be 0)", tally.unexpected_count],
        ["handled API 502/503/504 (JSON detail)", tally.handled_api_5xx],
        ["inline errors in HTML partials (200/422)", tally.inline_errors],
        ["client transport errors (must be 0)", sum(tally.transport_errors.values())],
        ["idempotency keys used", len(tally.keys)],
        ["keys with a ticket in the sandbox", keys_with_ticket],
        ["duplicate tickets (must be 0)", duplicate_tickets],
        ["keys answered with two different ids", answered_mismatch],
        ["worker RSS start (MiB)", ", ".join(f"{k / 1024:.1f}" for k in rss_start.values())],
        ["worker RSS end (MiB)", ", ".join(f"{k / 1024:.1f}" for k in rss_end.values())],
        ["worker RSS growth (MiB)", ", ".join(f"{g / 1024:+.1f}" for g in growth.values())],
        [
            "worker RSS growth after the first quarter (MiB)",
            ", ".join(f"{g / 1024:+.1f}" for g in late_growth.values()),
        ],
        ["workers replaced", len(set(pids_start) - set(pids_end))],
        ["tracebacks in server log (must be 0)", tracebacks],
        ["load avg at end", h.loadavg()],
    ]
    print(h.table("Soak: figures", ["figure", "value"], summary))
    if rss_samples:
        print(
            h.table(
                "Worker RSS over time (MiB)",
                ["t (s)", "per worker"],
                [[t, ", ".join(f"{k / 1024:.1f}" for k in s.values())] for t, s in rss_samples],
            )
        )
    for sample in tally.unexpected:
        print(f"  unexpected: {sample}")
    for name, n in tally.transport_errors.items():
        print(f"  transport error: {name} x{n}")

    failures = []
    if tally.unexpected_count:
        failures.append(f"{tally.unexpected_count} unexpected 5xx")
    if duplicate_tickets or answered_mismatch:
        failures.append(f"{duplicate_tickets} duplicate tickets, {answered_mismatch} keys with two ids")
    if sum(tally.transport_errors.values()):
        failures.append("client transport errors")
    if tracebacks:
        failures.append(f"{tracebacks} tracebacks in the server log")
    if pids_start != pids_end:
        failures.append("a worker was restarted")
    if any(g > RSS_GROWTH_LIMIT_KIB for g in late_growth.values()):
        failures.append(f"worker RSS grew more than {RSS_GROWTH_LIMIT_KIB // 1024} MiB after the first quarter")
    if total == 0:
        failures.append("no requests were made")
    print("RESULT:", "PASS" if not failures else "FAIL - " + "; ".join(failures))
    print(f"scratch dir (DB, gunicorn.log): {workdir}")
    out.update(
        total=total,
        elapsed=elapsed,
        by_op={k: dict(v) for k, v in tally.by_op.items()},
        unexpected_5xx=tally.unexpected_count,
        handled_api_5xx=tally.handled_api_5xx,
        inline_errors=tally.inline_errors,
        transport_errors=dict(tally.transport_errors),
        injected=injected,
        psa_requests=len(entries),
        keys=len(tally.keys),
        keys_with_ticket=keys_with_ticket,
        duplicate_tickets=duplicate_tickets,
        answered_mismatch=answered_mismatch,
        rss_start=rss_start,
        rss_end=rss_end,
        rss_late_growth=late_growth,
        tracebacks=tracebacks,
        failures=failures,
    )
    if args.json:
        h.dump_json(args.json, out)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
