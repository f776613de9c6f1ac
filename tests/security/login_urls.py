"""The project's URLs with the rate-limited login view wired in (as the lead will in rf_project/urls.py)."""

from django.urls import path

from rf_project.auth_views import RateLimitedLoginView
from rf_project.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    *[p for p in project_urlpatterns if getattr(p, "name", None) != "login"],
]
