"""/account/... pages: the PSA integration settings."""

from django.urls import path

from psa import views

urlpatterns = [
    path("integrations", views.integrations, name="integrations"),
    path("integrations/test", views.test_connection, name="integrations_test"),
    path("integrations/mappings", views.mappings, name="integrations_mappings"),
    path("integrations/mappings/me", views.map_me, name="integrations_map_me"),
    path("integrations/mappings/me/unmap", views.unmap_me, name="integrations_unmap_me"),
    path("integrations/mappings/<int:member_id>", views.member_mapping, name="integrations_member_mapping"),
]
