"""The cache a deployment shares, for the rate-limit and lockout tests: a real Redis, and a second app process.

Give the tests a Redis with ``RF_TEST_REDIS_URL=redis://127.0.0.1:PORT/DB`` — a database they may
flush (``.ci/run`` starts a private one). Without it the tests that need Redis are skipped, saying so. Under
pytest-xdist each worker uses the next database number (``_worker_database``).

    from tests.security.shared_cache import each_cache, redis_cache, run_second_app_process  # noqa: F401

* ``each_cache`` runs a test twice: with the project's in-process cache and with Redis, configured
  exactly as ``rf_project/settings.py`` configures it from ``REDIS_URL``.
* ``redis_cache`` runs it with Redis only.
* ``run_second_app_process(script)`` runs ``script`` in another Python process set up like a second
  app server of the same deployment — the project settings with ``REDIS_URL`` and this test's database —
  and returns what the script passed to ``report(...)``. Tests that use it need
  ``django_db(transaction=True)`` so the other process sees their rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker takes its own Redis database (the URL's + the worker's number).

    The tests flush their database before and after; workers sharing one would flush each other's keys
    mid-test. Redis has 16 databases by default: enough for ``-n 2`` on any base below 14.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... ; unset without xdist
    if not url or not worker:
        return url
    base, _, database = url.rpartition("/")
    return f"{base}/{int(database or 0) + int(worker.removeprefix('gw'))}"


REDIS_URL = _worker_database(os.environ.get("RF_TEST_REDIS_URL", ""))
NO_REDIS = ("needs a Redis the tests may flush: set RF_TEST_REDIS_URL=redis://127.0.0.1:PORT/DB "
            "(.ci/run starts one and sets it)")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason=NO_REDIS)
ROOT = Path(__file__).resolve().parents[2]
SECOND_PROCESS_TIMEOUT_SECONDS = 120  # a guard against a hung child, not a measurement


@pytest.fixture
def redis_cache(settings):
    """Django's cache is the shared Redis for this test (flushed before and after)."""
    if not REDIS_URL:
        pytest.skip(NO_REDIS)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture(params=["locmem", pytest.param("redis", marks=needs_redis)])
def each_cache(request):
    """The test runs once with the in-process cache and once with the shared Redis."""
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    from django.core.cache import cache

    return cache


_PRELUDE = """
import json, os, sys
import django

django.setup()
from django.test.utils import override_settings, setup_test_environment

setup_test_environment()  # the test client's host is allowed, as in the first process
override_settings(**json.loads(os.environ["RF_SECOND_PROCESS_SETTINGS"])).enable()


def report(value):
    print("RF-REPORT " + json.dumps(value))

"""


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_second_app_process(script: str, **settings_overrides):
    """Run ``script`` in a second app process sharing this test's Redis and database; return its ``report(...)``.

    ``settings_overrides`` apply there as ``override_settings`` (pass the limits the test set here). The
    passwords hasher is the tests' fast one, as in this process.
    """
    if not REDIS_URL:
        pytest.skip(NO_REDIS)
    overrides = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"], **settings_overrides}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rf_project.settings",
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": _database_url(),
        "ANTHROPIC_API_KEY": "",
        "RF_SECOND_PROCESS_SETTINGS": json.dumps(overrides),
    }
    done = subprocess.run([sys.executable, "-c", _PRELUDE + script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=SECOND_PROCESS_TIMEOUT_SECONDS)
    assert done.returncode == 0, done.stderr
    reports = [line[len("RF-REPORT "):] for line in done.stdout.splitlines() if line.startswith("RF-REPORT ")]
    assert reports, f"the second process reported nothing:\n{done.stdout}\n{done.stderr}"
    return json.loads(reports[-1])
