"""Team URLs: setup, the team page under /account/team, invitation links, password reset."""

from django.contrib.auth import views as auth_views
from django.urls import path

from teams import views

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("account/team", views.team, name="team"),
    path("account/team/invitations", views.invite, name="team_invite"),
    path("account/team/invitations/<int:invitation_id>/revoke", views.revoke_invitation, name="team_revoke_invitation"),
    path("account/team/members/<int:membership_id>/role", views.member_role, name="team_member_role"),
    path("account/team/members/<int:membership_id>/remove", views.member_remove, name="team_member_remove"),
    path("account/team/members/<int:membership_id>/password-reset", views.member_password_reset,
         name="team_member_password_reset"),
    path("invite/<str:token>", views.accept_invitation, name="accept_invitation"),
    # Django's password reset, in our layout (mailed when email is configured; admins can also copy a link).
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent", auth_views.PasswordResetDoneView.as_view(template_name="teams/password_reset_done.html"),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(template_name="teams/password_reset_confirm.html"),
         name="password_reset_confirm"),
    path("reset/done", auth_views.PasswordResetCompleteView.as_view(template_name="teams/password_reset_complete.html"),
         name="password_reset_complete"),
]
