"""Tiny helpers that read settings from the environment and fail loudly on bad values.

Modelled on healthchecks' ``envbool``/``envint``: a typo in a deployment variable must stop the
process at start-up with a message naming the variable, not surface later as odd behaviour.
``load_dotenv`` first fills the environment from an optional ``.env`` file (real variables win);
``email_settings`` turns ``EMAIL_URL`` into Django's ``EMAIL_*`` settings. Both use django-environ.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Every helper below treats a variable set to nothing (NAME= in .env, or NAME="" in the environment) as
# not set: it gets its default, so uncommenting a "NAME=" line of .env.example changes nothing.


def envstr(name: str, default: str = "") -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
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


def default_workers() -> int:
    """gunicorn's worker processes when ``GUNICORN_WORKERS`` is not set: cores + 1 (``gunicorn.conf.py`` says why;
    ``bench/list_cpu.py`` serves its throughput phase with the same number)."""
    return (os.cpu_count() or 1) + 1


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
    if raw is None or raw.strip() == "":
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


# -- .env file ---------------------------------------------------------------------------------------

# What django-environ's reader accepts as an assignment (environ.Env.read_env): NAME=value, optionally
# after "export ", the value optionally in single or double quotes. Anything else it skips with only a
# log warning, which would leave a setting silently at its default: load_dotenv refuses such a file.
_DOTENV_ASSIGNMENT = re.compile(r"\A(?:export )?[A-Za-z_0-9]+=.*\Z")
_DOTENV_OFF = {"off", "0", "false", "no"}


def dotenv_file(default: Path) -> Path | None:
    """The .env file this process reads, or None.

    ``RF_DOTENV`` names another file, or turns the file off (``RF_DOTENV=off``). Without it the file is
    ``default`` (the project's ``.env``), except under pytest: tests never read a developer's .env,
    neither in the test process (the ``pytest`` module is loaded) nor in a process a test starts
    (pytest's ``PYTEST_CURRENT_TEST`` is in its environment). A test that wants a file names it.
    """
    named = os.environ.get("RF_DOTENV", "").strip()
    if named:
        return None if named.lower() in _DOTENV_OFF else Path(named)
    if "pytest" in sys.modules or "PYTEST_CURRENT_TEST" in os.environ:
        return None
    return default


def load_dotenv(default: Path) -> Path | None:
    """Put the .env file's variables into ``os.environ`` where the real environment has not set them.

    Returns the file read (None: no file). A line that is not ``NAME=value`` (or a comment or blank)
    stops start-up naming the file and line, without echoing the line (it may hold a secret).
    """
    path = dotenv_file(default)
    if path is None:
        return None
    if not path.is_file():
        if os.environ.get("RF_DOTENV", "").strip():
            raise ImproperlyConfigured(f"RF_DOTENV names {path}, which is not a file")
        return None
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(f"{path} cannot be read as UTF-8 text: {exc.__class__.__name__}") from None
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _DOTENV_ASSIGNMENT.match(line):
            name = line.split("=", 1)[0].strip()[:40] if "=" in line else ""
            hint = f" ({name!r} is not a variable name: letters, digits and _ only, no spaces around =)" if name else ""
            raise ImproperlyConfigured(
                f"{path}, line {number}: expected NAME=value{hint}. Fix the line or comment it out with #."
            )
    environ.Env.read_env(path, overwrite=False)
    return path


# -- email ---------------------------------------------------------------------------------------------

# Options EMAIL_URL takes in its query string, besides what its scheme says (smtp+tls://, smtp+ssl://).
_EMAIL_OPTIONS = {"tls": "EMAIL_USE_TLS", "ssl": "EMAIL_USE_SSL", "timeout": "EMAIL_TIMEOUT"}
_EMAIL_DEFAULT_PORTS = {"EMAIL_USE_SSL": 465, "EMAIL_USE_TLS": 587}
EMAIL_TIMEOUT_SECONDS = 10


def email_settings(url: str, name: str = "EMAIL_URL") -> dict:
    """Django's EMAIL_* settings for an email URL (the message never shows the URL: it holds a password).

    Schemes (django-environ's): ``smtp://``, ``smtp+tls://`` (STARTTLS), ``smtp+ssl://`` (implicit TLS),
    ``consolemail://``, ``filemail:///path``, ``memorymail://``, ``dummymail://``. Options:
    ``?tls=true``, ``?ssl=true``, ``?timeout=<seconds>`` (default 10, so a silent mail server cannot
    hold a request). User and password are percent-encoded (``@`` is ``%40``).
    """
    parts = urlsplit(url)
    options: dict = {}
    for key, raw in parse_qsl(parts.query, keep_blank_values=True):
        setting = _EMAIL_OPTIONS.get(key.lower())
        if setting is None:
            raise ImproperlyConfigured(f"{name} has an unknown option {key!r} (known: {', '.join(_EMAIL_OPTIONS)})")
        options[setting] = _parse_email_option(name, key, raw, setting)
    try:
        parsed = environ.Env.email_url_config(urlunsplit(parts._replace(query="")))
    except (ImproperlyConfigured, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be a URL such as smtp+tls://user:password@smtp.example.com:587 or consolemail:// "
            f"(scheme {parts.scheme or 'missing'!r} is not one of smtp, smtp+tls, smtp+ssl, consolemail, "
            "filemail, memorymail, dummymail, or the port is not a number)"
        ) from None
    config = {key: value for key, value in parsed.items() if value not in (None, "") and key != "OPTIONS"}
    if parts.scheme != "filemail":
        config.pop("EMAIL_FILE_PATH", None)
    config.update(options)
    if config.get("EMAIL_USE_TLS") and config.get("EMAIL_USE_SSL"):
        raise ImproperlyConfigured(f"{name} asks for both tls and ssl: use one (tls for port 587, ssl for 465)")
    if "EMAIL_PORT" not in config and parts.scheme.startswith("smtp"):
        config["EMAIL_PORT"] = next((port for key, port in _EMAIL_DEFAULT_PORTS.items() if config.get(key)), 25)
    config.setdefault("EMAIL_TIMEOUT", EMAIL_TIMEOUT_SECONDS)
    return config


def _parse_email_option(name: str, key: str, raw: str, setting: str):
    value = raw.strip().lower()
    if setting == "EMAIL_TIMEOUT":
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1
        if seconds <= 0:
            raise ImproperlyConfigured(f"{name} option {key} must be a number of seconds, got {raw!r}")
        return seconds
    if value in _TRUE:
        return True
    if value in _FALSE or value == "":
        return False
    raise ImproperlyConfigured(f"{name} option {key} must be true or false, got {raw!r}")
