"""/account/... pages: the PSA integration settings."""

urlpatterns: list = []
