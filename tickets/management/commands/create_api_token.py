"""``python manage.py create_api_token <username> [--name NAME]``: prints a new personal API token.

The raw token is printed once, as the last line of output; only its SHA-256 hash is stored.
Revoke tokens in the admin (API tokens > "Revoke selected tokens").
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from psa.tenancy import tenant_for
from tickets.models import APIToken


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (last line of output)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to tell tokens apart")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}") from exc
        account = tenant_for(user).account
        if account is None:
            raise CommandError(f"User {username!r} does not belong to an account")
        token, raw = APIToken.issue(user, name=name)
        self.stdout.write(f"Created API token {token.prefix}… for {username} (account {account.name}).")
        self.stdout.write("Store it now: it is not shown again. Use it as: Authorization: Bearer <token>")
        self.stdout.write(raw)
