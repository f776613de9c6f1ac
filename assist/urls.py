from django.urls import path

from assist import views

urlpatterns = [
    path("", views.session_list, name="assist_list"),
    path("new", views.session_create, name="assist_create"),
    path("<int:session_id>/", views.session_detail, name="assist_session"),
    path("<int:session_id>/messages", views.message_post, name="assist_message"),
    path("<int:session_id>/retry", views.message_retry, name="assist_retry"),
    path("<int:session_id>/link", views.ticket_link, name="assist_link"),
    path("<int:session_id>/tickets/search", views.ticket_search, name="assist_ticket_search"),
    path("<int:session_id>/unlink", views.ticket_unlink, name="assist_unlink"),
]
