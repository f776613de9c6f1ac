from django.apps import AppConfig


class PsaConfig(AppConfig):
    name = "psa"
    verbose_name = "PSA connections and tenancy"
