import os

from rf_project.python_version import require_supported_python

require_supported_python()  # before Django: on an old Python, one clear line instead of an ImportError deep inside

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after the Python version check)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
application = get_wsgi_application()

# Import every view module and build the API's routers now, in the worker's start-up, rather than in the
# first request it serves: that request would wait ~0.2 s for them (django-ninja builds its schemas then),
# once per worker and again after every recycling (gunicorn's max_requests).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - the attribute's evaluation is the point
