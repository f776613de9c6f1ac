"""Configuration is documented once and cannot drift: every environment variable the code reads is
listed, at the code's default, in ``.env.example`` and in the README's Configuration table. The optional
``.env`` file is read at start-up, the real environment wins over it, a malformed line stops start-up
with the file and line, and tests never read a developer's ``.env``. ``EMAIL_URL`` configures email."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from rf_project.env import dotenv_file, email_settings, load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEV_DIRS = ("tests", "bench")
# The app's packages (psa, tickets, assist, rf_project, and any app added later), found on disk.
APP_DIRS = tuple(sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in DEV_DIRS))
# Read by the code but not ResolutionFlow configuration, so neither .env.example nor the README lists them.
NOT_CONFIGURATION = {
    "DJANGO_SETTINGS_MODULE": "Django's own: manage.py, wsgi.py and asgi.py set it to rf_project.settings",
    "PYTEST_CURRENT_TEST": "set by pytest: a process a test started does not read .env",
}
# The typed helpers of rf_project/env.py: their second argument is the variable's effective default.
TYPED_READERS = {"envstr", "envbool", "envint", "envfloat", "envlist"}
VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")
NO_DEFAULT = object()  # computed at start-up (depends on RF_ENV, the CPU count, the project path ...)


# --- what the code reads ----------------------------------------------------------------------------------


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"


def _literal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE.fullmatch(node.value):
        return node.value
    return None


def _reads(tree: ast.AST):
    """(variable, default node or None) for every read of an environment variable named by a literal."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            name = _literal_name(node.args[0])
            if name is None:
                continue
            if re.match(r"_?env", called):  # envstr, envbool, ..., envsecret, the sandbox's _env_number
                default = node.args[1] if len(node.args) > 1 else next(
                    (kw.value for kw in node.keywords if kw.arg == "default"), None)
                yield name, default if called in TYPED_READERS else None
            elif (isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault", "pop"} and _is_os_environ(func.value)) or (
                isinstance(func, ast.Attribute) and func.attr == "getenv"
                and isinstance(func.value, ast.Name) and func.value.id == "os"
            ):
                yield name, None
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and (name := _literal_name(node.slice)):
            yield name, None
        elif isinstance(node, ast.Compare) and any(_is_os_environ(c) for c in node.comparators):
            if name := _literal_name(node.left):
                yield name, None


def _code_defaults() -> dict[str, object]:
    """Every variable the app reads -> its literal default (NO_DEFAULT when computed or not given)."""
    found: dict[str, set] = {}
    paths = [p for d in APP_DIRS for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts]
    for path in [*paths, ROOT / "manage.py"]:
        for name, default in _reads(ast.parse(path.read_text(), str(path))):
            value = NO_DEFAULT
            if default is not None:
                try:
                    value = ast.literal_eval(default)
                except ValueError:
                    pass
            found.setdefault(name, set()).add(repr(value) if value is not NO_DEFAULT else "computed")
    out = {}
    for name, defaults in found.items():
        if name in NOT_CONFIGURATION:
            continue
        literal = defaults - {"computed"}
        assert len(literal) <= 1, f"{name} is read with different defaults: {sorted(literal)}"
        out[name] = ast.literal_eval(literal.pop()) if literal else NO_DEFAULT
    return out


CODE = _code_defaults()


# --- what .env.example and the README say --------------------------------------------------------------------


def _env_example() -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate((ROOT / ".env.example").read_text().splitlines(), start=1):
        assert not line.strip() or line.startswith("#"), f".env.example line {number} is not commented out: {line!r}"
        if m := re.fullmatch(r"# ([A-Z][A-Z0-9_]*)=(.*)", line):
            assert m[1] not in out, f".env.example lists {m[1]} twice"
            out[m[1]] = m[2]
    return out


def _readme_table() -> dict[str, str]:
    """Variable -> the README Configuration table's default cell (backticks removed)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    out: dict[str, str] = {}
    for row in re.findall(r"^\|(.+)\|$", section, re.M):
        first, default, *_ = (cell.strip() for cell in row.split("|"))
        if first in {"variable", "---"}:
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", first):
            assert name not in out, f"the README Configuration table lists {name} twice"
            out[name] = default.replace("`", "")
    return out


def _as_env_value(default) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, list):
        return ",".join(default)
    return str(default)


def _same_value(text: str, default) -> bool:
    if isinstance(default, int | float) and not isinstance(default, bool):
        return any(float(number) == default for number in re.findall(r"\d+(?:\.\d+)?", text))
    return _as_env_value(default) in text


def test_code_reads_the_variables_everyone_expects_to_configure():
    """The walker itself finds reads in settings, gunicorn.conf.py and the sandbox (all three forms)."""
    expected = {"RF_ENV", "SECRET_KEY", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS", "CW_CLIENT_ID", "LOG_LEVEL",
                "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DB_CONN_MAX_AGE", "PSA_CONNECT_TIMEOUT_SECONDS",
                "GUNICORN_WORKERS", "ANTHROPIC_TIMEOUT_SECONDS", "CW_SANDBOX_TIMEOUT_RATE", "EMAIL_URL",
                "DEFAULT_FROM_EMAIL", "RF_DOTENV"}
    assert expected <= set(CODE)
    assert CODE["PSA_TIMEOUT_SECONDS"] == 10.0 and CODE["CSRF_TRUSTED_ORIGINS"] == [] and CODE["ALLOWED_HOSTS"] is NO_DEFAULT


def test_env_example_lists_exactly_the_variables_the_code_reads():
    listed = set(_env_example())
    assert {"missing": sorted(set(CODE) - listed), "not read by the code": sorted(listed - set(CODE))} == {
        "missing": [], "not read by the code": []}


def test_the_readme_configuration_table_lists_exactly_the_variables_the_code_reads():
    listed = set(_readme_table())
    assert {"missing": sorted(set(CODE) - listed), "not read by the code": sorted(listed - set(CODE))} == {
        "missing": [], "not read by the code": []}


def test_env_example_shows_each_variable_at_the_codes_default():
    example = _env_example()
    wrong = {name: (example.get(name), _as_env_value(default)) for name, default in CODE.items()
             if default is not NO_DEFAULT and not (
                 example.get(name) == _as_env_value(default)
                 or (isinstance(default, float) and example.get(name) and float(example[name]) == default))}
    assert wrong == {}, "(.env.example, code)"


def test_the_readme_shows_each_variable_at_the_codes_default():
    table = _readme_table()
    wrong = {}
    for name, default in CODE.items():
        if default is NO_DEFAULT or name not in table:
            continue
        cell = table[name]
        ok = cell.startswith("empty") if _as_env_value(default) == "" else _same_value(cell, default)
        if not ok:
            wrong[name] = (cell, _as_env_value(default))
    assert wrong == {}, "(README, code)"


def test_the_readme_no_longer_claims_localhost_is_the_default_of_csrf_trusted_origins_or_production_hosts():
    table = _readme_table()
    assert table["CSRF_TRUSTED_ORIGINS"].startswith("empty")
    assert "empty in production" in table["ALLOWED_HOSTS"] and "localhost,127.0.0.1,[::1],testserver" in table["ALLOWED_HOSTS"]


def test_dot_env_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "--quiet", ".env"], cwd=ROOT)
    assert ignored.returncode == 0
    assert subprocess.run(["git", "check-ignore", "--quiet", ".env.example"], cwd=ROOT).returncode == 1


# --- the .env loader ----------------------------------------------------------------------------------------

NAMES = ("RF_TEST_DOTENV_A", "RF_TEST_DOTENV_B", "RF_TEST_DOTENV_C", "RF_TEST_DOTENV_D")


@pytest.fixture
def environment(monkeypatch):
    """os.environ as it was, afterwards (the loader writes into it); RF_DOTENV unset to start with."""
    monkeypatch.delenv("RF_DOTENV", raising=False)
    yield monkeypatch
    for name in NAMES:
        os.environ.pop(name, None)


def _dotenv(tmp_path, text: str) -> Path:
    path = tmp_path / "settings.env"
    path.write_text(text)
    return path


def test_a_value_in_the_dotenv_file_is_read_and_the_real_environment_wins(environment, tmp_path):
    path = _dotenv(tmp_path, "# a comment\n\nRF_TEST_DOTENV_A=from-file\nexport RF_TEST_DOTENV_B='quoted value'\n"
                             'RF_TEST_DOTENV_C="x#y"\nRF_TEST_DOTENV_D=from-file\n')
    environment.setenv("RF_TEST_DOTENV_D", "from-environment")
    environment.setenv("RF_DOTENV", str(path))
    assert load_dotenv(tmp_path / "not-this-one.env") == path
    assert [os.environ[name] for name in NAMES] == ["from-file", "quoted value", "x#y", "from-environment"]


@pytest.mark.parametrize(("line", "says"), [
    ("RF_TEST_DOTENV_A = spaced", "line 2: expected NAME=value ('RF_TEST_DOTENV_A' is not a variable name"),
    ("RF-TEST-DOTENV=1", "line 2: expected NAME=value ('RF-TEST-DOTENV' is not a variable name"),
    ("sk-ant-this-is-not-an-assignment", "line 2: expected NAME=value. Fix the line or comment it out with #."),
    ("  RF_TEST_DOTENV_A=indented", "line 2: expected NAME=value"),
])
def test_a_malformed_line_stops_start_up_naming_the_file_and_line_without_showing_it(environment, tmp_path, line, says):
    path = _dotenv(tmp_path, f"RF_TEST_DOTENV_B=fine\n{line}\n")
    environment.setenv("RF_DOTENV", str(path))
    with pytest.raises(ImproperlyConfigured) as error:
        load_dotenv(tmp_path / "unused.env")
    assert str(error.value).startswith(f"{path}, {says}")
    assert "sk-ant" not in str(error.value) and "spaced" not in str(error.value)
    assert "RF_TEST_DOTENV_B" not in os.environ  # nothing of a refused file is used


def test_rf_dotenv_naming_a_missing_file_stops_start_up(environment, tmp_path):
    environment.setenv("RF_DOTENV", str(tmp_path / "missing.env"))
    with pytest.raises(ImproperlyConfigured, match="RF_DOTENV names .*missing.env, which is not a file"):
        load_dotenv(tmp_path / "unused.env")


def test_a_missing_default_dotenv_file_is_fine_and_off_reads_none(environment, tmp_path):
    path = _dotenv(tmp_path, "RF_TEST_DOTENV_A=1\n")
    environment.setenv("RF_DOTENV", "off")
    assert dotenv_file(path) is None


def test_the_test_process_never_reads_the_projects_dotenv(environment, tmp_path):
    assert "pytest" in sys.modules
    assert dotenv_file(_dotenv(tmp_path, "RF_TEST_DOTENV_A=1\n")) is None


@pytest.mark.parametrize(("pytest_started_it", "reads"), [(True, False), (False, True)])
def test_a_process_a_test_started_does_not_read_dotenv_and_any_other_does(tmp_path, pytest_started_it, reads):
    path = _dotenv(tmp_path, "RF_TEST_DOTENV_A=1\n")
    env = {k: v for k, v in os.environ.items() if k not in {"RF_DOTENV", "PYTEST_CURRENT_TEST"}}
    if pytest_started_it:
        env["PYTEST_CURRENT_TEST"] = os.environ["PYTEST_CURRENT_TEST"]
    code = f"from pathlib import Path; from rf_project.env import dotenv_file; print(dotenv_file(Path({str(path)!r})))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (str(path) if reads else "None")


def _manage(*args, env: dict):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RF_", "DJANGO_", "SECRET_KEY", "DEBUG", "EMAIL_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_manage_py_takes_settings_from_the_dotenv_file_and_the_environment_over_it(tmp_path):
    path = _dotenv(tmp_path, "CW_CLIENT_ID=client-from-dotenv\nANTHROPIC_MODEL=model-from-dotenv\n")
    code = "from django.conf import settings as s; print(s.CW_CLIENT_ID, s.ANTHROPIC_MODEL)"
    result = _manage("shell", "-c", code, env={"RF_DOTENV": str(path), "ANTHROPIC_MODEL": "model-from-environment"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["client-from-dotenv", "model-from-environment"]


def test_manage_py_refuses_to_start_on_a_malformed_dotenv_line(tmp_path):
    path = _dotenv(tmp_path, "LOG_LEVEL=INFO\nSECRET_KEY hunter2\n")
    result = _manage("check", env={"RF_DOTENV": str(path)})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {path}, line 2: expected NAME=value" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


# --- email -------------------------------------------------------------------------------------------------


def _settings(monkeypatch, **env) -> dict:
    """The settings module's values for this environment (settings.py run afresh, in this process)."""
    for name in ("RF_ENV", "EMAIL_URL", "EMAIL_BACKEND", "DEFAULT_FROM_EMAIL", "SECRET_KEY", "RF_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "rf_project" / "settings.py"))


def test_without_email_url_email_is_not_configured_and_nothing_goes_to_smtp_on_localhost(monkeypatch):
    development = _settings(monkeypatch)
    assert development["EMAIL_CONFIGURED"] is False
    assert development["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    production = _settings(monkeypatch, RF_ENV="production", SECRET_KEY="s" * 50,
                           RF_ENCRYPTION_KEY="Zq8!vR2#kL5@wN9$tB4%yH7^mC3&xJ6*")
    assert production["EMAIL_CONFIGURED"] is False
    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"  # no reset link in the logs


def test_an_smtp_email_url_configures_djangos_email_settings(monkeypatch):
    values = _settings(monkeypatch, EMAIL_URL="smtp+tls://alerts%40msp.example:p%40ss%2Fw0rd@smtp.example.com:587",
                       DEFAULT_FROM_EMAIL="ResolutionFlow <noreply@msp.example>")
    assert values["EMAIL_CONFIGURED"] is True
    assert {k: values[k] for k in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
                                   "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL")} == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587, "EMAIL_HOST_USER": "alerts@msp.example", "EMAIL_HOST_PASSWORD": "p@ss/w0rd",
        "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": "ResolutionFlow <noreply@msp.example>",
    }
    assert "EMAIL_URL" not in values  # the URL, password included, is not a setting (debug pages list settings)


def test_email_backend_alone_also_counts_as_configured(monkeypatch):
    values = _settings(monkeypatch, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    assert values["EMAIL_CONFIGURED"] is True
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://user:pw@mail.example.com:2525?tls=True",
     {"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 2525, "EMAIL_USE_TLS": True}),
    ("smtp://mail.example.com?ssl=true&timeout=4.5", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_TIMEOUT": 4.5}),
    ("smtp+ssl://mail.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
    ("smtp://mail.example.com", {"EMAIL_PORT": 25, "EMAIL_TIMEOUT": 10}),
    ("smtp://mail.example.com?tls=false", {"EMAIL_PORT": 25, "EMAIL_USE_TLS": False}),
    ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
])
def test_email_url_forms(url, expected):
    config = email_settings(url)
    assert {key: config.get(key) for key in expected} == expected


@pytest.mark.parametrize(("url", "says"), [
    ("smtpx://user:s3cret@mail.example.com", "EMAIL_URL must be a URL such as"),
    ("smtp://user:s3cret@mail.example.com:port", "EMAIL_URL must be a URL such as"),
    ("smtp://user:s3cret@mail.example.com?starttls=1", "EMAIL_URL has an unknown option 'starttls'"),
    ("smtp://user:s3cret@mail.example.com?tls=maybe", "EMAIL_URL option tls must be true or false"),
    ("smtp://user:s3cret@mail.example.com?tls=1&ssl=1", "EMAIL_URL asks for both tls and ssl"),
    ("smtp://user:s3cret@mail.example.com?timeout=0", "EMAIL_URL option timeout must be a number of seconds"),
])
def test_a_wrong_email_url_stops_start_up_without_showing_the_password(url, says):
    with pytest.raises(ImproperlyConfigured) as error:
        email_settings(url)
    assert str(error.value).startswith(says)
    assert "s3cret" not in str(error.value)
