"""JSON API mounted at /integrations/psa/ (django-ninja; see tickets/api.py).

The API does its own authentication (session or Bearer token) and answers 401 JSON, so every URL
is exempt from ``LoginRequiredMiddleware`` (which would redirect to the login page instead).
"""

from django.contrib.auth.decorators import login_not_required

from tickets.api import api

_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    login_not_required(_pattern.callback)

app_name = _namespace
urlpatterns = _patterns
