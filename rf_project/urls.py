from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rf_project import views
from rf_project.auth_views import RateLimitedLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/my-queue", views.my_queue, name="dashboard_my_queue"),
    path("dashboard/sessions", views.active_sessions, name="dashboard_sessions"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("integrations/psa/", include("tickets.api_urls")),
    path("", include("tickets.urls")),
    path("assist/", include("assist.urls")),
    path("account/", include("psa.urls")),
    path("", include("teams.urls")),
]
