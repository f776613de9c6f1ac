"""HTML URLs of the tickets page. ``/tickets`` has no trailing slash so ``/tickets?board=1`` reads well."""

from django.urls import path

from tickets import pickers, views, views_edit, views_queue_extras, views_time, views_work

urlpatterns = [
    path("tickets", views_queue_extras.ticket_list, name="ticket_list"),  # a bare /tickets opens the default view
    path("tickets/views", views_queue_extras.saved_views_manage, name="saved_views_manage"),
    path("tickets/views/nav", views_queue_extras.saved_views_nav, name="saved_views_nav"),
    path("tickets/views/new", views_queue_extras.saved_view_new, name="saved_view_new"),
    path("tickets/views/no-default", views_queue_extras.saved_view_no_default, name="saved_view_no_default"),
    path("tickets/views/<int:view_id>/<slug:action>", views_queue_extras.saved_view_action, name="saved_view_action"),
    path("tickets/changes", views_queue_extras.queue_changes, name="queue_changes"),
    path("tickets/<int:ticket_id>/changes", views_queue_extras.ticket_changes, name="ticket_changes"),
    path("tickets/new", views.new_ticket, name="ticket_new"),
    path("tickets/bulk", views_work.ticket_bulk, name="ticket_bulk"),
    path("tickets/bulk/<uuid:job_id>", views_work.ticket_bulk_next, name="ticket_bulk_next"),
    path("account/profile", views_work.profile, name="profile"),
    path("tickets/timer", views_time.running_timer, name="running_timer"),
    path("tickets/<int:ticket_id>/time", views_time.ticket_time, name="ticket_time"),
    path("tickets/<int:ticket_id>/timer", views_time.ticket_timer, name="ticket_timer"),
    path("tickets/<int:ticket_id>/edit", views_edit.ticket_edit, name="ticket_edit"),
    path("tickets/<int:ticket_id>/panel", views.ticket_panel, name="ticket_panel"),
    path("tickets/<int:ticket_id>/detail", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/configurations", views.ticket_configurations, name="ticket_configurations"),
    path("tickets/<int:ticket_id>/status", views.ticket_status, name="ticket_status"),
    path("tickets/<int:ticket_id>/notes", views.ticket_note_add, name="ticket_note_add"),
    path("tickets/<int:ticket_id>/resources", views.ticket_resources, name="ticket_resources"),
    path("tickets/<int:ticket_id>/resources/<int:member_id>/remove", views.ticket_resource_remove, name="ticket_resource_remove"),
    path("tickets/ai/status", views.ai_engine_status, name="ai_engine_status"),
    path("tickets/pick/company", pickers.pick_company, name="pick_company"),
    path("tickets/pick/contact", pickers.pick_contact, name="pick_contact"),
    path("tickets/pick/member", pickers.pick_member, name="pick_member"),
    path("tickets/pick/configuration", pickers.pick_configuration, name="pick_configuration"),
]
