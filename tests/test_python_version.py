"""On a Python older than 3.11 every entry point stops at once with one clear line, before Django loads
(on 3.10 Django 5.2 imports, and the app then fails with "cannot import name 'UTC'")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from rf_project.python_version import MINIMUM, require_supported_python, unsupported_python_message

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = ["manage.py", "rf_project/wsgi.py", "rf_project/asgi.py", "rf_project/gunicorn.conf.py"]


def test_python_3_10_gets_one_line_that_names_the_required_and_the_running_version():
    message = unsupported_python_message((3, 10, 12, "final", 0))
    assert message.startswith("ResolutionFlow needs Python 3.11 or newer; this is Python 3.10.12 (")
    assert "python3.11 -m venv .venv" in message
    assert "\n" not in message


@pytest.mark.parametrize("version", [(3, 11, 0, "final", 0), (3, 12, 4, "final", 0), (3, 14, 0, "beta", 1), (4, 0, 0)])
def test_python_3_11_and_newer_start(version):
    assert unsupported_python_message(version) is None


def test_an_old_python_exits_with_the_message_as_its_error():
    with pytest.raises(SystemExit) as exited:
        require_supported_python((3, 9, 18, "final", 0))
    assert "needs Python 3.11 or newer; this is Python 3.9.18" in str(exited.value.code)


def test_the_required_version_is_the_one_pyproject_declares():
    assert f'requires-python = ">={MINIMUM[0]}.{MINIMUM[1]}"' in (ROOT / "pyproject.toml").read_text()


def test_the_check_itself_parses_on_old_pythons():
    ast.parse((ROOT / "rf_project/python_version.py").read_text(), feature_version=(3, 7))


# A Python that calls itself 3.10.12 runs each entry point: it must exit 1 with the message on
# stderr, and Django must not have been imported yet.
_RUN_AS_PYTHON_3_10 = """
import runpy, sys
sys.version_info = (3, 10, 12, "final", 0)
try:
    if {path!r}.endswith("asgi.py") or {path!r}.endswith("wsgi.py"):
        runpy.run_module({module!r}, run_name="entry")
    else:
        runpy.run_path({path!r}, run_name="__main__")
finally:
    print("django imported:", "django" in sys.modules)
"""


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_every_entry_point_refuses_an_old_python_before_it_imports_django(path):
    module = path.removesuffix(".py").replace("/", ".")
    result = subprocess.run([sys.executable, "-c", _RUN_AS_PYTHON_3_10.format(path=path, module=module), "check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [unsupported_python_message((3, 10, 12))]
    assert result.stdout.strip() == "django imported: False"
