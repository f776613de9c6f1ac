"""``python manage.py reencrypt_psa_keys``: re-encrypt every stored PSA private key under the current key.

Key rotation (README, Security > Encryption key rotation): set the new ``RF_ENCRYPTION_KEY``, move the
old one to ``RF_ENCRYPTION_KEY_FALLBACKS``, run this command, then drop the fallback. Without it the
old key had to stay listed until an admin saved each connection again. A connection whose key no
configured key can read is reported by account id (never its content) and left as is; the command
then exits with status 1 so a deployment script stops before the fallback is dropped.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from psa import crypto
from psa.models import PSAConnection


class Command(BaseCommand):
    help = "Re-encrypt every stored PSA private key under the current RF_ENCRYPTION_KEY (after a key rotation)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing")

    def handle(self, *args, dry_run, **options):
        rotated, unreadable = 0, []
        with transaction.atomic():
            connections = PSAConnection.objects.select_for_update().exclude(private_key_encrypted="").order_by("pk")
            for connection in connections:
                try:
                    token = crypto.rotate(connection.private_key_encrypted)
                except crypto.PSACredentialsUnreadable:
                    unreadable.append(connection.account_id)
                    continue
                rotated += 1
                if not dry_run:
                    # update(): the connection's ``updated`` stamp stays (nothing an admin did changed).
                    PSAConnection.objects.filter(pk=connection.pk).update(private_key_encrypted=token)
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"{verb} {rotated} PSA private key(s) under the current RF_ENCRYPTION_KEY.")
        if unreadable:
            accounts = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(f"{len(unreadable)} key(s) can't be read with any configured key (accounts {accounts}): "
                               "keep the old key in RF_ENCRYPTION_KEY_FALLBACKS, or have those admins re-enter the keys.")
