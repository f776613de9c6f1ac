"""A short soak in CI: gunicorn + the sandbox server with 5% injected PSA failures, 16 users for ~15 s.

Runs ``bench/soak.py`` as a subprocess (it starts and stops its own sandbox server and gunicorn on
free loopback ports, with a throwaway SQLite DB) and checks its JSON figures: no unexpected 5xx,
no duplicate tickets, no transport errors, no tracebacks. The 2-minute, 32-user figures are in
the README's Performance > Soak test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    out = tmp_path_factory.mktemp("soak") / "soak.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--seconds", "15", "--users", "16", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), (
        f"soak.py wrote no figures (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )
    return run, json.loads(out.read_text())


def test_the_short_soak_passes_all_its_targets(soak):
    run, figures = soak
    assert run.returncode == 0, f"{figures['failures']}\n{run.stdout[-3000:]}"


def test_injected_psa_failures_never_become_unexpected_server_errors(soak):
    _, figures = soak
    assert figures["injected"] > 0  # the sandbox really failed some calls
    assert figures["unexpected_5xx"] == 0
    assert figures["transport_errors"] == {}
    assert figures["tracebacks"] == 0


def test_retried_and_concurrent_creates_never_duplicate_a_ticket(soak):
    _, figures = soak
    assert figures["keys"] > 0
    assert figures["duplicate_tickets"] == 0
    assert figures["answered_mismatch"] == 0
