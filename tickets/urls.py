"""HTML URLs under /tickets (mounted without a trailing slash so /tickets?board=1 works)."""

from django.urls import path

from tickets import views

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("/new", views.new_ticket, name="ticket_new"),
    path("/<int:ticket_id>/panel", views.ticket_panel, name="ticket_panel"),
    path("/<int:ticket_id>/detail", views.ticket_detail, name="ticket_detail"),
    path("/<int:ticket_id>/status", views.ticket_status, name="ticket_status"),
    path("/<int:ticket_id>/notes", views.ticket_note_add, name="ticket_note_add"),
    path("/<int:ticket_id>/resources", views.ticket_resources, name="ticket_resources"),
    path("/<int:ticket_id>/resources/<int:member_id>/remove", views.ticket_resource_remove, name="ticket_resource_remove"),
]
