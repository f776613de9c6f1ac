"""``manage.py setup``: a team and its first admin from the command line, scripted or interactive."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from psa.models import Account, PSAConnection


def run(*args) -> str:
    out = io.StringIO()
    call_command("setup", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text("a-long-passphrase-77\n")
    return str(path)


def test_a_scripted_setup_creates_the_team_and_its_admin(db, password_file):
    output = run("--no-input", "--team", "Acme MSP", "--username", "alice", "--email", "alice@acme.example",
                 "--password-file", password_file)

    alice = User.objects.get(username="alice")
    assert alice.check_password("a-long-passphrase-77")
    assert alice.membership.account.name == "Acme MSP"
    assert alice.membership.is_admin
    assert "Team 'Acme MSP'" in output
    assert "Account > Integrations" in output


def test_the_password_can_come_from_stdin(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-passphrase-77\n"))

    run("--no-input", "--team", "Acme MSP", "--username", "alice", "--password-file", "-")

    assert User.objects.get(username="alice").check_password("a-long-passphrase-77")


def test_an_existing_user_becomes_admin_and_keeps_their_password(db):
    User.objects.create_superuser("root", "root@example.com", "pw-root")

    run("--no-input", "--team", "Acme MSP", "--username", "root")

    root = User.objects.get(username="root")
    assert root.check_password("pw-root")
    assert root.membership.account.name == "Acme MSP"


def test_sandbox_connects_the_new_team_to_the_built_in_sandbox(db, password_file):
    run("--no-input", "--team", "Acme MSP", "--username", "alice", "--password-file", password_file, "--sandbox")

    connection = PSAConnection.objects.get(account__name="Acme MSP")
    assert connection.site == PSAConnection.SANDBOX_SITE
    assert connection.get_private_key() == "sandbox-private"


def test_sandbox_is_refused_where_private_hosts_are_not_allowed(db, password_file, settings):
    settings.PSA_ALLOW_PRIVATE_HOSTS = False

    with pytest.raises(CommandError, match="--sandbox is for local use"):
        run("--no-input", "--team", "Acme MSP", "--username", "alice", "--password-file", password_file, "--sandbox")
    assert not Account.objects.exists()


def test_a_user_already_in_a_team_is_refused_and_nothing_is_created(alice):
    with pytest.raises(CommandError, match="already in a team"):
        run("--no-input", "--team", "Second MSP", "--username", "alice")
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme MSP"]


@pytest.mark.parametrize(("args", "message"), [
    (["--username", "alice"], "--team is required"),
    (["--team", "Acme MSP"], "--username is required"),
    (["--team", "Acme MSP", "--username", "alice"], "--password-file is required"),
])
def test_no_input_names_the_missing_flag(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("--no-input", *args)
    assert not User.objects.exists()


def test_a_weak_password_is_refused_with_the_validators_words(db, tmp_path, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}]
    weak = tmp_path / "weak"
    weak.write_text("abc\n")

    with pytest.raises(CommandError, match="too short"):
        run("--no-input", "--team", "Acme MSP", "--username", "alice", "--password-file", str(weak))
    assert not User.objects.exists()


def test_a_missing_password_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        run("--no-input", "--team", "Acme MSP", "--username", "alice", "--password-file", "/nonexistent/pw")


def test_interactive_setup_prompts_for_what_is_missing(db, monkeypatch):
    answers = iter(["Acme MSP", "alice", "alice@acme.example"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-long-passphrase-77")

    run()

    alice = User.objects.get(username="alice")
    assert alice.email == "alice@acme.example"
    assert alice.membership.account.name == "Acme MSP"
