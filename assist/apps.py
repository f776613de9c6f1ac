from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = "ResolutionAssist"

    def ready(self):
        # tickets tells us about spin-off tickets through signals (it never imports assist).
        from assist import receivers  # noqa: F401 - connects the receivers
