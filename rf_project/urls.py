from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rf_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/my-queue", views.my_queue, name="dashboard_my_queue"),
    path("dashboard/sessions", views.active_sessions, name="dashboard_sessions"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("integrations/psa/", include("tickets.api_urls")),
    path("tickets", include("tickets.urls")),
    path("assist/", include("assist.urls")),
    path("account/", include("psa.urls")),
]
