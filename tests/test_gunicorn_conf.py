"""``rf_project/gunicorn.conf.py``: the worker shape and what each worker does once it has loaded the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a child: gunicorn.conf.py reads .env and the hook changes the garbage collector of its process.
CHILD = """
import gc, runpy
config = runpy.run_path("rf_project/gunicorn.conf.py")
before = gc.get_freeze_count()
config["post_worker_init"](None)
print(config["worker_class"], before, gc.get_freeze_count())
"""


def test_a_started_worker_freezes_its_start_up_objects_out_of_the_collectors_full_sweeps():
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "RF_DOTENV": "off"})
    assert out.returncode == 0, out.stderr
    worker_class, before, after = out.stdout.split()
    assert worker_class == "gthread"
    assert int(before) == 0 and int(after) > 1000
