"""Stop at start-up, with one clear line, on a Python older than ResolutionFlow supports.

manage.py, rf_project/wsgi.py, rf_project/asgi.py and rf_project/gunicorn.conf.py call
``require_supported_python()`` before they import Django: on Python 3.10, Django 5.2 installs and
imports, and the app then dies deep inside with "cannot import name 'UTC' from 'datetime'".
This module must itself load on old Pythons: standard library only, str.format, no f-strings, no annotations.
"""

import sys

MINIMUM = (3, 11)  # keep in step with requires-python in pyproject.toml


def unsupported_python_message(version_info=None):
    """The one-line message for an unsupported Python, or None when this one is supported."""
    version = tuple(sys.version_info if version_info is None else version_info)
    if version[:2] >= MINIMUM:
        return None
    return (
        "ResolutionFlow needs Python {}.{} or newer; this is Python {} ({}). "
        "Create the virtualenv with a newer Python (e.g. python3.11 -m venv .venv) and install the requirements again."
    ).format(MINIMUM[0], MINIMUM[1], ".".join(str(part) for part in version[:3]), sys.executable)


def require_supported_python(version_info=None):
    """Exit with the message (status 1, on stderr) on an unsupported Python."""
    message = unsupported_python_message(version_info)
    if message:
        sys.exit(message)
