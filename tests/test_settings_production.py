"""Production settings (RF_ENV=production): secrets required, secure cookies, HSTS, frame options,
and ``manage.py check --deploy`` clean. Each check runs manage.py in a subprocess with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "RF_ENV": "production",
    "SECRET_KEY": "prod-test-3f9c1d7e8a2b4c6d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    "RF_ENCRYPTION_KEY": "prod-test-encryption-key-7a6b5c4d3e2f1a0b",
    "ALLOWED_HOSTS": "rf.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://rf.example.com",
    "DATABASE_URL": "sqlite:////tmp/rf-production-settings-test.sqlite3",
}


def _manage(*args, env=PRODUCTION_ENV):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RF_", "DJANGO_", "SECRET_KEY", "DEBUG"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_the_security_checks_of_check_deploy_are_clean():
    result = _manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_are_strict():
    code = ("import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k, None) for k in ["
            "'DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SECURE_HSTS_SECONDS',"
            "'SECURE_HSTS_INCLUDE_SUBDOMAINS','SECURE_SSL_REDIRECT','X_FRAME_OPTIONS','SECURE_CONTENT_TYPE_NOSNIFF']}))")
    result = _manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY", "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_production_refuses_to_start_with_debug_on():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "1"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG=1 is refused when RF_ENV=production" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "RF_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is required when RF_ENV=production" in result.stderr
    assert PRODUCTION_ENV["SECRET_KEY"] not in result.stderr + result.stdout
