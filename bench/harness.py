"""Shared pieces of the benchmark and soak scripts (loopback only; every loop bounded in count and time).

* ``configure_django(db_path)``  - a throwaway SQLite DB (``DATABASE_URL``), DEBUG off, then ``django.setup()``.
* ``SandboxServer``               - ``bench/sandbox_server.py`` as a subprocess on a free port, with its debug log.
* ``setup_tenant(...)``           - account, user, PSA connection and member mapping (like ``manage.py demo``).
* ``Gunicorn``                    - the app under ``rf_project/gunicorn.conf.py`` on a free port; worker RSS.
* ``load(...)``                   - a threads + httpx closed-loop load generator with a session cookie.
* ``table(...)``                  - fixed-width text tables.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LOOPBACK = "127.0.0.1"


# --- small helpers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {LOOPBACK}:{port} after {timeout:.0f}s")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def table(title: str, headers: list[str], rows: list[list], note: str = "") -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [title, "-" * len(title)]
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i and _numeric(c) else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


def _numeric(text: str) -> bool:
    """Numbers (and "-" for none) are right-aligned; text is left-aligned."""
    return text == "-" or text.replace(".", "", 1).lstrip("+-").isdigit()


def _fmt(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0], "load": " ".join(load)}


def cpu_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (``/proc/stat``: user, nice, system,
    irq, softirq; not idle, iowait or time the hypervisor gave to other machines)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (fields + [0] * 7)[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB from /proc (psutil is not installed)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children are not included) in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def thread_cpu_ns(pid: int) -> int:
    """CPU time of every live thread of a process, in nanoseconds (``/proc/<pid>/task/*/schedstat``).

    ``utime``/``stime`` in ``/proc/<pid>/stat`` count clock ticks (10 ms here), too coarse for one
    request; schedstat's first field is the same scheduler runtime in ns. Threads that have exited
    are not counted, so measure a process whose threads live on (gunicorn's gthread pool does).
    """
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended between the listing and the read
    return total


def children_of(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            kids.extend(int(k) for k in text)
    except OSError:
        pass
    return kids


# --- Django in this process ----------------------------------------------------------------------------


SETTINGS = "rf_project.settings"


def configure_django(db_path: Path, *, debug: bool = False, settings_module: str = SETTINGS) -> None:
    """Point Django at a throwaway SQLite file and set it up (call once, before importing app code)."""
    if "django.conf" in sys.modules and getattr(sys.modules["django.conf"].settings, "configured", False):
        raise RuntimeError("Django is already configured: the benchmark DB must be set before any settings import")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DEBUG"] = "true" if debug else "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    for name in (
        "CW_SANDBOX_LATENCY_MS",
        "CW_SANDBOX_JITTER_MS",
        "CW_SANDBOX_ERROR_RATE",
        "CW_SANDBOX_429_RATE",
        "CW_SANDBOX_TIMEOUT_RATE",
        "REDIS_URL",
        "ANTHROPIC_API_KEY",
    ):
        os.environ.pop(name, None)  # the in-process sandbox has no faults; the offline AI engine
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


@dataclass
class Tenant:
    account: object
    user: object
    connection: object
    member: dict
    token: str  # raw API token (Bearer) for the JSON API


def setup_tenant(name: str, username: str, site: str, member: dict) -> Tenant:
    """Account, admin user, PSA connection to ``site`` and a mapping to ``member`` (like ``manage.py demo``)."""
    from django.contrib.auth import get_user_model

    from psa.models import Account, MemberMapping, Membership, PSAConnection
    from tickets.models import APIToken

    account = Account.objects.create(name=name)
    user = get_user_model().objects.create_user(
        username=username, password=f"pw-{username}", email=f"{username}@example.com"
    )
    Membership.objects.create(user=user, account=account, role=Membership.Role.ADMIN)
    connection = PSAConnection(
        account=account, site=site, company_id="sandbox", public_key="sandbox-public", client_id="rf-bench"
    )
    connection.set_private_key("sandbox-private")
    connection.save()
    MemberMapping.objects.create(
        account=account, user=user, psa_member_id=member["id"], identifier=member["identifier"], name=member["name"]
    )
    _, raw = APIToken.issue(user, name="bench")
    return Tenant(account, user, connection, member, raw)


def session_cookie(user) -> str:
    """A logged-in session id for ``user`` (stored in the DB, so gunicorn workers accept it)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


# --- a PSA that hangs -----------------------------------------------------------------------------------


class HangingServer:
    """A loopback listener that accepts connections and never answers, until closed (a hanging PSA)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self.accepted.append(conn)

    def close(self):
        with self._lock:
            self._closed = True
            try:  # wakes an accept() blocked in another thread (close() alone may not, on Linux)
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            for conn in self.accepted:
                conn.close()


# --- the sandbox server subprocess -------------------------------------------------------------------------


class SandboxServer:
    """``bench/sandbox_server.py`` on a free loopback port; ``log_since()`` reads its request log."""

    def __init__(self, *, latency_ms: float = 0, error_rate: float = 0, max_seconds: float = 3600,
                 scale: str = "default"):
        self.args = [
            PY,
            str(ROOT / "bench" / "sandbox_server.py"),
            "--quiet",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--error-rate",
            str(error_rate),
            "--max-seconds",
            str(max_seconds),
            "--scale",
            scale,
        ]
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self._http = None

    def __enter__(self):
        import httpx

        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY") or self.proc.poll() is not None:
                break
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError("the sandbox server did not start")
        self.port = int(line.split()[1])
        self._http = httpx.Client(base_url=self.url, timeout=10)
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_since(self, since: int) -> tuple[int, list[list]]:
        data = self._http.get("/__log", params={"since": since}).json()
        return data["next"], data["entries"]

    def log_size(self) -> int:
        return self._http.get("/__stats").json()["log"]

    def ticket_count(self) -> int:
        return self._http.get("/__stats").json()["tickets"]

    def configure(self, **faults) -> None:
        self._http.post("/__config", params=faults).raise_for_status()

    def reset(self) -> None:
        self._http.post("/__reset").raise_for_status()


# --- gunicorn -----------------------------------------------------------------------------------------------


class Gunicorn:
    """The app under ``gunicorn -c rf_project/gunicorn.conf.py rf_project.wsgi`` on a free loopback port."""

    def __init__(
        self,
        db_path: Path,
        *,
        workers: int,
        threads: int,
        log_path: Path,
        max_requests: int | None = None,
        redis_url: str = "",
        settings_module: str = SETTINGS,
        root: Path = ROOT,
    ):
        self.root = Path(root)  # the app directory to serve (another checkout for before/after runs)
        self.port = free_port()
        self.workers, self.threads = workers, threads
        env = {
            **os.environ,
            "GUNICORN_BIND": f"{LOOPBACK}:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "DATABASE_URL": f"sqlite:///{db_path}",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": settings_module,
        }
        if max_requests is not None:
            env["GUNICORN_MAX_REQUESTS"] = str(max_requests)
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        gunicorn = shutil.which("gunicorn", path=str(Path(PY).parent)) or "gunicorn"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [gunicorn, "-c", "rf_project/gunicorn.conf.py", "rf_project.wsgi"],
            cwd=self.root,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        wait_for_port(self.port, 60)
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its own workers
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc else []

    def worker_rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) or 0 for pid in self.worker_pids()}

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in [self.proc.pid, *self.worker_pids()])


class RedisServer:
    """A throwaway redis-server on a free loopback port (no persistence), when redis-server is installed."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 15)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"


# --- a closed-loop load generator (threads + httpx) ----------------------------------------------------------


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful (non-5xx, no transport error)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    by_label: dict[str, dict[int, int]] = field(default_factory=dict)
    samples: list[tuple[str, int, str]] = field(default_factory=list)  # (label, status, body head) of 5xx

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + self.transport_errors

    @property
    def rps(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.transport_errors + sum(n for s, n in self.statuses.items() if s >= 500)

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(n for s, n in self.statuses.items() if predicate(s))


Step = Callable[[Any, int, int], tuple[str, Any]]  # (httpx.Client, worker index, iteration) -> (label, response)


def load(
    base_url: str,
    cookie: str | list[str],
    step: Step,
    *,
    clients: int,
    seconds: float,
    max_requests: int = 1_000_000,
    csrf: str | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """``clients`` threads each call ``step(client, worker_index, iteration)`` until ``seconds`` have passed
    (or ``max_requests`` in total). ``step`` returns (label, response). The clock starts once every
    client is built (a barrier), so short runs are not charged for starting threads. ``cookie``: one
    session for every client, or a list (client ``i`` signs in with ``cookie[i % len(cookie)]``)."""
    import httpx

    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    budget = [max_requests]
    clock = {"start": time.monotonic(), "deadline": time.monotonic() + seconds}

    def go():  # run once, when every client is built: the clock starts then, not while threads start
        clock["start"] = time.monotonic()
        clock["deadline"] = clock["start"] + seconds

    ready = threading.Barrier(clients + 1, action=go)

    def worker(index: int):
        cookies = {"sessionid": cookie[index % len(cookie)] if isinstance(cookie, list) else cookie}
        headers = {}
        if csrf:
            cookies["csrftoken"] = csrf
            headers["X-CSRFToken"] = csrf
        with httpx.Client(base_url=base_url, cookies=cookies, headers=headers, timeout=timeout) as client:
            try:
                ready.wait(timeout=60)
            except threading.BrokenBarrierError:
                pass  # a client took too long to build: run anyway, against the deadline already set
            iteration = 0
            while time.monotonic() < clock["deadline"]:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                began = time.perf_counter()
                try:
                    label, response = step(client, index, iteration)
                except httpx.HTTPError:
                    with lock:
                        result.transport_errors += 1
                    iteration += 1
                    continue
                elapsed = time.perf_counter() - began
                with lock:
                    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
                    per = result.by_label.setdefault(label, {})
                    per[response.status_code] = per.get(response.status_code, 0) + 1
                    if response.status_code < 500:
                        result.latencies.append(elapsed)
                    elif len(result.samples) < 10:
                        result.samples.append((label, response.status_code, response.text[:300]))
                iteration += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        ready.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    for t in threads:
        t.join(timeout=max(1.0, clock["deadline"] - time.monotonic()) + timeout + 5)
    result.seconds = time.monotonic() - clock["start"]
    return result


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def dump_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=str))
