"""ResolutionFlow settings: one file, everything from the environment (or an optional ``.env`` file).

Every variable, its default and meaning: README "Configuration" and ``.env.example`` (a test keeps
both in step with the code). Local use needs no variables at all (SQLite, locmem cache, the
in-process ConnectWise sandbox, the offline AI engine). ``RF_ENV=production`` turns on the
production checks: required secrets must be set (and the encryption key strong), cookies are secure
and HSTS is sent. DEBUG is off unless DEBUG=1.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rf_project.env import (
    email_settings,
    envbool,
    envencryptionkey,
    envfloat,
    envint,
    envlist,
    envsecret,
    envstr,
    load_dotenv,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Variables not in the real environment come from <project>/.env (or the file RF_DOTENV names), if it
# exists; never under pytest (rf_project/env.py dotenv_file). A malformed line stops start-up.
load_dotenv(BASE_DIR / ".env")

RF_ENV = envstr("RF_ENV", "development")
PRODUCTION = RF_ENV == "production"

SECRET_KEY = envsecret(
    "SECRET_KEY", production=PRODUCTION, dev_default="dev-only-insecure-secret-key-change-me-0123456789"
)
# Key for encrypting PSA private keys at rest (psa/crypto.py): a Fernet key, or a passphrase of 32+
# characters (stretched with PBKDF2); weak values stop start-up in production. Separate from SECRET_KEY so
# that rotating sessions does not make stored PSA credentials unreadable. To rotate it, move the old key to
# RF_ENCRYPTION_KEY_FALLBACKS (comma-separated, decrypt only) and set the new one here.
RF_ENCRYPTION_KEY = envencryptionkey(
    "RF_ENCRYPTION_KEY", production=PRODUCTION, dev_default="dev-only-encryption-key"
)
RF_ENCRYPTION_KEY_FALLBACKS = envlist("RF_ENCRYPTION_KEY_FALLBACKS", [])
# Opt-in everywhere (DEBUG=1): a debug 404 lists every URL and django-ninja logs request headers.
DEBUG = envbool("DEBUG", False)
if DEBUG and PRODUCTION:
    # A debug page shows settings and local variables (PSA keys in flight) to anyone who triggers an error.
    raise ImproperlyConfigured("DEBUG=1 is refused when RF_ENV=production: unset DEBUG (debug pages expose "
                               "settings and request data to every visitor)")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_filters",
    "ninja",
    "psa",
    "tickets",
    "assist",
    "teams",  # first-run setup, invitations, members
    "rf_project",  # wires the apps together: the demo command
]

MIDDLEWARE = [
    "rf_project.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "rf_project.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "psa.tenancy.TenancyMiddleware",
    "tickets.timezones.ViewerTimeZoneMiddleware",  # dates and times in the viewer's zone
    "teams.middleware.NoTeamMiddleware",  # a user in no account: setup or the "not in a team" page
    "psa.capacity.DeadlineMiddleware",
]

ROOT_URLCONF = "rf_project.urls"
WSGI_APPLICATION = "rf_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rf_project.context_processors.app",
            ],
            "builtins": ["template_partials.templatetags.partials", "django_htmx.templatetags.django_htmx"],
            # Partials over Django's cached loader (templates parsed once per process; the dev
            # server's autoreloader resets it when a template changes). Listing loaders turns off
            # Django's automatic caching, so it is named here: it cuts list-page CPU by a third.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=envint("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests on SQLite use a file, not Django's shared-cache in-memory database: the browser tests'
    # live server writes from another thread, and shared-cache locks fail at once ("database table is
    # locked") where a file database waits for the lock. RF_TEST_DB moves it, so two test runs in one
    # checkout do not share (and break) one file.
    DATABASES["default"]["TEST"] = {"NAME": envstr("RF_TEST_DB", str(BASE_DIR / ".test-db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rf"}}

AUTH_PASSWORD_VALIDATORS = (
    [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ]
    if PRODUCTION
    else []
)

# The first loads a signed-in user with their membership, account and PSA connection (one query, not two);
# ModelBackend keeps sessions it signed in valid (and teams' invitation sign-in, which names it).
AUTHENTICATION_BACKENDS = ["psa.tenancy.TenantUserBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production WhiteNoise serves straight from static/ (no collectstatic needed); in production
# it serves the hashed, compressed files of collectstatic with a one-year, immutable cache header.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # STATIC_ROOT: no collectstatic here
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security: safe defaults everywhere, strict ones in production.
SESSION_ENGINE = "rf_project.sessions"  # Django's database sessions, read with one plain SELECT
# Flash messages ("Team created", "Dates and times are now shown in ...") ride in the session every request
# loads anyway; the default (a signed cookie, falling back to the session) builds a cookie signer on every
# request, messages or not (~1% of a list render's CPU under load).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Who gets the Server-Timing header (app time and PSA call count): "everyone", "staff" or "nobody".
SERVER_TIMING = envstr("SERVER_TIMING", "staff" if PRODUCTION else "everyone")
if SERVER_TIMING not in {"everyone", "staff", "nobody"}:
    raise ImproperlyConfigured(f"SERVER_TIMING must be everyone, staff or nobody, got {SERVER_TIMING!r}")

# PSA behaviour.
PSA_TIMEOUT_SECONDS = envfloat("PSA_TIMEOUT_SECONDS", 10.0)
PSA_CONNECT_TIMEOUT_SECONDS = envfloat("PSA_CONNECT_TIMEOUT_SECONDS", 3.0)
PSA_GET_RETRIES = envint("PSA_GET_RETRIES", 2)
PSA_REFERENCE_CACHE_SECONDS = envint("PSA_REFERENCE_CACHE_SECONDS", 300)
# Capacity isolation per PSA connection (psa/capacity.py): tasks of one connection in the shared pools,
# the circuit breaker, and the PSA time budget of one interactive request (retries included).
PSA_MAX_CALLS_PER_CONNECTION = envint("PSA_MAX_CALLS_PER_CONNECTION", 8)
PSA_BREAKER_FAILURES = envint("PSA_BREAKER_FAILURES", 5)
PSA_BREAKER_WINDOW_SECONDS = envint("PSA_BREAKER_WINDOW_SECONDS", 30)
PSA_BREAKER_COOLDOWN_SECONDS = envint("PSA_BREAKER_COOLDOWN_SECONDS", 30)
PSA_REQUEST_DEADLINE_SECONDS = envfloat("PSA_REQUEST_DEADLINE_SECONDS", 12.0)
CW_CLIENT_ID = envstr("CW_CLIENT_ID", "resolutionflow-local-dev")
# Local/demo mode for PSA sites (psa.site_policy): plain http:// and hosts on loopback, private,
# link-local or reserved addresses. Off in production, where any account admin could otherwise point
# the server (and the API keys it sends) at internal addresses. The built-in `sandbox` site also
# needs it, and is refused in production whatever it says.
PSA_ALLOW_PRIVATE_HOSTS = envbool("PSA_ALLOW_PRIVATE_HOSTS", not PRODUCTION)

# AI.
ANTHROPIC_API_KEY = envstr("ANTHROPIC_API_KEY", "")
ANTHROPIC_MODEL = envstr("ANTHROPIC_MODEL", "claude-sonnet-4-6")
ANTHROPIC_TIMEOUT_SECONDS = envfloat("ANTHROPIC_TIMEOUT_SECONDS", 20.0)

# Email (invitations, password reset). EMAIL_URL configures the backend, e.g.
# smtp+tls://user:password@smtp.example.com:587 or consolemail:// (rf_project/env.py email_settings);
# EMAIL_BACKEND names a backend class instead (one configured by its own settings). Without either,
# EMAIL_CONFIGURED is False: the app shows invitation and reset links instead of sending them, and
# nothing is handed to Django's default backend (SMTP on localhost:25): mail printed to the console
# outside production, dropped in production (a reset link must not land in the logs).
_email_url = envstr("EMAIL_URL", "")  # not a setting: it holds the password
_email_backend = envstr("EMAIL_BACKEND", "")
EMAIL_CONFIGURED = bool(_email_url or _email_backend)
_email = email_settings(_email_url) if _email_url else {}
EMAIL_BACKEND = _email_backend or _email.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.dummy.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 10)
if "EMAIL_FILE_PATH" in _email:
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "webmaster@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL with its query string at INFO: that holds search text.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
