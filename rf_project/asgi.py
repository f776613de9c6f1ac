import os

from rf_project.python_version import require_supported_python

require_supported_python()  # before Django: on an old Python, one clear line instead of an ImportError deep inside

from django.core.asgi import get_asgi_application  # noqa: E402  (after the Python version check)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
application = get_asgi_application()
