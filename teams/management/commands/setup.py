"""``python manage.py setup``: create a team (an account) and its first admin — interactive or scripted.

Interactive (prompts for what the flags leave out)::

    python manage.py setup

Scripted (no prompts; the password is read from a file, or ``-`` for stdin, never from argv where
``ps`` would show it)::

    printf '%s\n' "$ADMIN_PASSWORD" | python manage.py setup --no-input --team "Acme MSP" \
        --username alice --email alice@acme.example --password-file -

An existing user (``createsuperuser``'s, say) is made the admin of the new team and keeps their
password. ``--sandbox`` also connects the team to the built-in ConnectWise sandbox (local use; refused
where the site policy refuses it). Unlike first-run setup in the browser, which exists only while no
account exists, this command can add further accounts to a shared deployment.
"""

from __future__ import annotations

import getpass
import sys

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from psa.models import PSAConnection
from teams import services


class Command(BaseCommand):
    help = "Create a team (account) with its first admin user; optionally connect it to the ConnectWise sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="The team's name (usually the MSP's name)")
        parser.add_argument("--username", help="The admin's username (an existing user is reused)")
        parser.add_argument("--email", default=None, help="The admin's email address (new users)")
        parser.add_argument("--password-file", help="Read the new user's password from this file ('-': stdin)")
        parser.add_argument("--sandbox", action="store_true", help="Connect the team to the built-in ConnectWise sandbox")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="Never prompt; fail on missing values")

    def handle(self, *args, team, username, email, password_file, sandbox, interactive, **options):
        team = self._value(team, "Team name (your MSP's name)", interactive, "--team")
        username = self._value(username, "Admin username", interactive, "--username")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            if email is None and interactive:
                email = input("Admin email address (optional): ").strip()
            password = self._password(password_file, interactive, User(username=username, email=email or ""))
        if sandbox and not settings.PSA_ALLOW_PRIVATE_HOSTS:
            raise CommandError("--sandbox is for local use: it needs PSA_ALLOW_PRIVATE_HOSTS (off in production).")

        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(username=username, email=email or "", password=password)
                made = "created"
            else:
                made = "existing user"
            try:
                account = services.create_account(user, team)
            except services.TeamError as error:
                raise CommandError(f"{username}: {error.message}") from None
            if sandbox:
                connection = PSAConnection(account=account, site=PSAConnection.SANDBOX_SITE, company_id="sandbox",
                                           public_key="sandbox-public")
                connection.set_private_key("sandbox-private")
                connection.save()

        self.stdout.write(self.style.SUCCESS(f"Team {account.name!r} (id {account.pk}) with admin {username} ({made})."))
        next_step = "map yourself" if sandbox else "connect ConnectWise and map yourself"
        self.stdout.write(f"Next: sign in as {username}, open Account > Integrations to {next_step}, "
                          f"then Account > Team to invite colleagues.")

    def _value(self, value, prompt, interactive, flag):
        if value:
            return value.strip()
        if not interactive:
            raise CommandError(f"{flag} is required with --no-input.")
        while True:
            answer = input(f"{prompt}: ").strip()
            if answer:
                return answer
            self.stderr.write("This value is required.")

    def _password(self, password_file, interactive, user):
        if password_file:
            if password_file == "-":
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                try:
                    with open(password_file, encoding="utf-8") as stream:
                        password = stream.readline().rstrip("\r\n")
                except OSError as error:
                    raise CommandError(f"Cannot read the password file: {error.strerror}") from None
        elif interactive:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords did not match.")
        else:
            raise CommandError("--password-file is required with --no-input for a new user.")
        if not password:
            raise CommandError("The password is empty.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        return password

