from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams: setup, invitations, members"

    def ready(self):
        # Remember which sessions belong to whom, so removing a member can end them (teams.sessions).
        from teams import sessions  # noqa: F401
