"""JSON API mounted at /integrations/psa/ (django-ninja; see tickets/api.py)."""

urlpatterns: list = []
