"""Gunicorn settings for production and benchmarks: ``gunicorn -c rf_project/gunicorn.conf.py rf_project.wsgi``.

The app is I/O-bound (every screen waits on ConnectWise), so each worker runs threads: while one
request waits for the PSA, the others render. Workers = cores + 1: one process runs Python on one core at a
time (the GIL), so with exactly one worker per core a core idles whenever its worker's runnable threads all
queue for that worker's GIL while the other worker waits on ConnectWise. Measured on 2 cores (README, "List
render cost"), 32 clients: the ticket list served 6-10% more requests a second with 3 workers than with 2
(median latency 94 -> 82-87 ms) and ``/healthz`` the same (-1%); 5 workers (gunicorn's generic 2 x cores + 1)
added little to the list and cost ``/healthz`` 6%. Threads and workers from the environment (or .env).
"""

import gc
import os
import sys
from pathlib import Path

# Gunicorn reads this file before it puts the working directory on sys.path: make the project importable.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from rf_project.python_version import require_supported_python  # noqa: E402

require_supported_python()  # in the master, before any worker imports Django

from rf_project.env import default_workers, envint, envstr, load_dotenv  # noqa: E402

load_dotenv(Path(_ROOT) / ".env")  # GUNICORN_* may come from .env too (real variables win); a typo stops start-up naming it

bind = envstr("GUNICORN_BIND", "127.0.0.1:8000")
workers = envint("GUNICORN_WORKERS", default_workers())
worker_class = "gthread"
threads = envint("GUNICORN_THREADS", 16)
timeout = envint("GUNICORN_TIMEOUT", 60)
graceful_timeout = 20
keepalive = 5
max_requests = envint("GUNICORN_MAX_REQUESTS", 5000)  # a leak guard
max_requests_jitter = 500
accesslog = None  # rf.request logs one structured line per request instead
errorlog = "-"
# The worker's heartbeat file is touched on every turn of its event loop (several times per request):
# on a disk file system that is an inode update each time; tmpfs keeps it in memory (gunicorn's docs
# recommend /dev/shm for the same reason under Docker, where /tmp may even block).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker):
    """Freeze what the worker's start-up built (Django, the URLconf, the templates: ~130,000 objects) out of the
    garbage collector's sight. Every request leaves reference cycles behind (Django's template context and
    request object are cyclic by design: ~110 objects a ticket list, ~45 a ``/healthz``), so the collector runs
    every few requests, and each of its full collections walked all of those long-lived objects again: 60 ms a
    time, 0.17-0.31 s of a worker's CPU per 10 s under load, 0.02-0.08 s frozen (README, "List render cost"). Frozen objects are still freed when
    unreferenced; only the cycle search skips them (``gc.freeze``, the standard library's tool for this)."""
    gc.freeze()
