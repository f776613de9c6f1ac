"""The PSA secrets' encryption key can be rotated (newest encrypts, every listed key decrypts), and a key
nobody kept turns every PSA page into a clear "re-enter the keys" message instead of a 500."""

from __future__ import annotations

from html import unescape

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
UNREADABLE = "The stored ConnectWise credentials can't be read (the encryption key changed)"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def saved_under_old_key(settings, connection):
    """The sandbox connection, its private key encrypted under ``OLD_KEY``."""
    from psa import registry

    settings.RF_ENCRYPTION_KEY, settings.RF_ENCRYPTION_KEY_FALLBACKS = OLD_KEY, []
    connection.set_private_key("sandbox-private")
    connection.save()
    registry.forget()
    yield connection
    registry.forget()


def _fresh(connection):
    from psa.models import PSAConnection

    return PSAConnection.objects.get(pk=connection.pk)


def test_a_secret_saved_under_the_old_key_still_reads_after_rotation_and_new_ones_use_the_new_key(
    settings, saved_under_old_key
):
    settings.RF_ENCRYPTION_KEY, settings.RF_ENCRYPTION_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert _fresh(saved_under_old_key).get_private_key() == "sandbox-private"

    connection = _fresh(saved_under_old_key)
    connection.set_private_key("rotated-private")
    connection.save()
    settings.RF_ENCRYPTION_KEY_FALLBACKS = []  # the old key retired: the new secret needs only the new key
    assert _fresh(connection).get_private_key() == "rotated-private"


def test_a_secret_saved_by_the_single_key_release_still_reads(settings, connection):
    """Upgrading from the SHA-256 derivation of a passphrase loses nothing."""
    import base64
    import hashlib

    passphrase = "a-long-deployment-passphrase-0123456789"
    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(("rf-psa-secrets:" + passphrase).encode()).digest()))
    connection.private_key_encrypted = legacy.encrypt(b"sandbox-private").decode()
    connection.save()
    settings.RF_ENCRYPTION_KEY = passphrase
    assert _fresh(connection).get_private_key() == "sandbox-private"


def test_a_key_nobody_kept_raises_a_psa_error_that_names_the_fix(settings, saved_under_old_key):
    from psa.crypto import PSACredentialsUnreadable
    from psa.providers.base import PSAError

    settings.RF_ENCRYPTION_KEY = NEW_KEY
    with pytest.raises(PSACredentialsUnreadable) as raised:
        _fresh(saved_under_old_key).get_private_key()
    assert isinstance(raised.value, PSAError)
    assert UNREADABLE in raised.value.message and "re-enter the keys" in raised.value.message
    assert OLD_KEY not in str(raised.value) and NEW_KEY not in str(raised.value)


def test_after_a_key_change_the_psa_pages_say_so_instead_of_failing(settings, saved_under_old_key, alice_client, sandbox):
    settings.RF_ENCRYPTION_KEY = NEW_KEY
    ticket = next(iter(sandbox.state["tickets"]))
    for url in ("/tickets", f"/tickets/{ticket}/detail"):
        # (the drawer itself is a shell: its sections, such as detail, call ConnectWise)
        response = alice_client.get(url, **HX)
        assert response.status_code < 500, url
        assert UNREADABLE in unescape(response.content.decode()), url

    tested = alice_client.post("/account/integrations/test", **HX)
    assert tested.status_code < 500 and UNREADABLE in unescape(tested.content.decode())


def test_re_entering_the_private_key_makes_the_connection_work_again(settings, saved_under_old_key, alice_client):
    settings.RF_ENCRYPTION_KEY = NEW_KEY
    assert alice_client.get("/account/integrations").status_code == 200
    saved = alice_client.post("/account/integrations", {
        "site": "sandbox", "company_id": "sandbox", "public_key": "sandbox-public",
        "private_key": "sandbox-private", "client_id": "rf-tests"}, **HX)
    assert saved.status_code == 200
    assert _fresh(saved_under_old_key).get_private_key() == "sandbox-private"
    tested = alice_client.post("/account/integrations/test", **HX)
    assert "Connected to ConnectWise" in tested.content.decode()


# --- manage.py reencrypt_psa_keys ---------------------------------------------------------------


def _reencrypt(*args):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("reencrypt_psa_keys", *args, stdout=out)
    return out.getvalue()


def test_reencrypting_lets_the_old_key_be_dropped_at_once(settings, saved_under_old_key, other_connection):
    settings.RF_ENCRYPTION_KEY, settings.RF_ENCRYPTION_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    updated_before = _fresh(saved_under_old_key).updated

    output = _reencrypt()

    assert "re-encrypted 2 PSA private key(s)" in output
    settings.RF_ENCRYPTION_KEY_FALLBACKS = []  # the old key retired right after the command
    assert _fresh(saved_under_old_key).get_private_key() == "sandbox-private"
    assert _fresh(other_connection).get_private_key() == "sandbox-private"
    assert _fresh(saved_under_old_key).updated == updated_before


def test_a_dry_run_changes_nothing(settings, saved_under_old_key):
    settings.RF_ENCRYPTION_KEY, settings.RF_ENCRYPTION_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    before = _fresh(saved_under_old_key).private_key_encrypted

    assert "would re-encrypt 1 PSA private key(s)" in _reencrypt("--dry-run")
    assert _fresh(saved_under_old_key).private_key_encrypted == before


def test_a_key_nobody_can_read_is_reported_by_account_and_left_alone(settings, saved_under_old_key):
    from django.core.management import CommandError

    settings.RF_ENCRYPTION_KEY, settings.RF_ENCRYPTION_KEY_FALLBACKS = NEW_KEY, []  # the old key was lost
    before = _fresh(saved_under_old_key).private_key_encrypted

    with pytest.raises(CommandError, match=rf"can't be read with any configured key \(accounts {saved_under_old_key.account_id}\)"):
        _reencrypt()
    assert _fresh(saved_under_old_key).private_key_encrypted == before
