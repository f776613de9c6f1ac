"""HTML URLs under /tickets (mounted without a trailing slash so /tickets?board=1 works)."""

from django.urls import path

urlpatterns: list = []
