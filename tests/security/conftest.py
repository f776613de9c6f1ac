"""Fixtures for the security tests (the API client mirrors tests/reliability)."""

from tests.reliability.conftest import api, api_token, create_payload, psa_sleeps, secrets_in_play  # noqa: F401
