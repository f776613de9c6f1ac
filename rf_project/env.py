"""Tiny helpers that read settings from the environment and fail loudly on bad values.

Modelled on healthchecks' ``envbool``/``envint``: a typo in a deployment variable must stop the
process at start-up with a message naming the variable, not surface later as odd behaviour.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(name: str, *, production: bool, dev_default: str) -> str:
    """A secret that must be set in production; a fixed, clearly-marked default for local use."""
    value = os.environ.get(name, "")
    if value:
        return value
    if production:
        raise ImproperlyConfigured(
            f"{name} is required when RF_ENV=production (set it in the environment)"
        )
    return dev_default


# Values that must never encrypt production secrets: the development default and obvious placeholders.
_WEAK_ENCRYPTION_KEY_MARKERS = ("dev-only", "change-me", "changeme", "example", "secret", "password")
MIN_ENCRYPTION_PASSPHRASE = 32


def encryption_key_problem(value: str) -> str | None:
    """Why ``value`` is too weak to encrypt PSA secrets in production, or None if it is fine.

    Accepted: a Fernet key (``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``),
    or a passphrase of 32+ characters, not a placeholder, with at least 12 distinct characters.
    """
    import base64
    import binascii

    try:
        if len(value) == 44 and len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32:
            return None
    except (binascii.Error, ValueError, UnicodeEncodeError):
        pass
    if len(value) < MIN_ENCRYPTION_PASSPHRASE:
        return f"it is {len(value)} characters long; use a Fernet key or a passphrase of {MIN_ENCRYPTION_PASSPHRASE}+ characters"
    lowered = value.lower()
    if any(marker in lowered for marker in _WEAK_ENCRYPTION_KEY_MARKERS):
        return "it looks like a placeholder"
    if len(set(value)) < 12:
        return "it repeats too few characters to be random"
    return None


def envencryptionkey(name: str, *, production: bool, dev_default: str) -> str:
    """The PSA-secrets encryption key: required and strong in production (the message never shows it)."""
    value = envsecret(name, production=production, dev_default=dev_default)
    if production:
        problem = encryption_key_problem(value)
        if problem:
            raise ImproperlyConfigured(
                f"{name} is too weak for RF_ENV=production: {problem}. Generate one with "
                "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""
            )
    return value
