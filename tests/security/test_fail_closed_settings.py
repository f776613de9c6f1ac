"""Settings fail closed (issue 13, finding 8): DEBUG only when asked for, static files still served without
it, and in production an encryption key too weak to protect the PSA keys stops start-up."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from tests.test_settings_production import PRODUCTION_ENV, _manage

DEVELOPMENT_ENV = {"RF_ENV": "development", "DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"]}
SHOW = ("import json; from django.conf import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'SERVER_TIMING': s.SERVER_TIMING}))")


def _settings(env):
    result = _manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_unless_asked_for_even_outside_production():
    assert _settings(DEVELOPMENT_ENV)["DEBUG"] is False
    assert _settings({**DEVELOPMENT_ENV, "DEBUG": "1"})["DEBUG"] is True


def test_static_files_are_served_with_debug_off(client, settings):
    settings.DEBUG = False
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.mark.parametrize("weak", [
    "short-key",
    "dev-only-encryption-key-but-made-much-longer-0123",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
])
def test_production_refuses_a_weak_encryption_key_without_printing_it(weak):
    result = _manage("check", env={**PRODUCTION_ENV, "RF_ENCRYPTION_KEY": weak})
    assert result.returncode != 0
    assert "RF_ENCRYPTION_KEY is too weak for RF_ENV=production" in result.stderr
    assert "Fernet.generate_key()" in result.stderr  # says how to make a good one
    assert weak not in result.stdout + result.stderr


def test_production_accepts_a_fernet_key():
    result = _manage("check", env={**PRODUCTION_ENV, "RF_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    assert result.returncode == 0, result.stderr


def test_server_timing_is_for_staff_by_default_in_production():
    assert _settings(PRODUCTION_ENV)["SERVER_TIMING"] == "staff"
