"""HTML URLs of the tickets page. ``/tickets`` has no trailing slash so ``/tickets?board=1`` reads well."""

from django.urls import path

from tickets import views, views_work

urlpatterns = [
    path("tickets", views.ticket_list, name="ticket_list"),
    path("tickets/new", views.new_ticket, name="ticket_new"),
    path("tickets/bulk", views_work.ticket_bulk, name="ticket_bulk"),
    path("account/profile", views_work.profile, name="profile"),
    path("tickets/<int:ticket_id>/panel", views.ticket_panel, name="ticket_panel"),
    path("tickets/<int:ticket_id>/detail", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/configurations", views.ticket_configurations, name="ticket_configurations"),
    path("tickets/<int:ticket_id>/status", views.ticket_status, name="ticket_status"),
    path("tickets/<int:ticket_id>/notes", views.ticket_note_add, name="ticket_note_add"),
    path("tickets/<int:ticket_id>/resources", views.ticket_resources, name="ticket_resources"),
    path("tickets/<int:ticket_id>/resources/<int:member_id>/remove", views.ticket_resource_remove, name="ticket_resource_remove"),
    path("tickets/ai/status", views.ai_engine_status, name="ai_engine_status"),
]
