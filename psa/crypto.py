"""Encryption at rest for PSA secrets (Fernet), with key rotation.

Keys come from two settings:

* ``RF_ENCRYPTION_KEY``: the current key. It encrypts every secret saved from now on (and decrypts).
* ``RF_ENCRYPTION_KEY_FALLBACKS``: older keys, comma-separated, newest first. They only decrypt, so
  secrets saved under a previous key stay readable while the deployment rotates.

A key is either a Fernet key (``Fernet.generate_key()``: 32 random bytes, url-safe base64), used as is,
or a passphrase of 32 characters or more, stretched with PBKDF2-HMAC-SHA256. A passphrase also decrypts
what the earlier single-key release wrote (a SHA-256 of the passphrase), so upgrading loses nothing.
``rf_project.env.encryption_key`` refuses weak keys at start-up in production.

When no configured key can decrypt a stored secret (the key changed and the old one was not kept as a
fallback), :func:`decrypt` raises :class:`PSACredentialsUnreadable`: a ``PSAError``, so every page and
section that shows a PSA failure shows this one too ("an admin must re-enter the keys"), never a 500.
Saving the connection again with the private key re-encrypts it under the current key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

import httpx
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from psa.providers.base import PSAError

_PBKDF2_SALT = b"resolutionflow/psa-secrets/v2"
_PBKDF2_ITERATIONS = 100_000  # a long passphrase (32+ characters) is required anyway


class PSACredentialsUnreadable(PSAError):
    """No configured encryption key can decrypt the stored private key (the key changed)."""

    default_message = (
        "The stored ConnectWise credentials can't be read (the encryption key changed): "
        "an admin must re-enter the keys under Account > Integrations."
    )


def is_fernet_key(value: str) -> bool:
    """Whether ``value`` is a Fernet key: url-safe base64 of exactly 32 bytes."""
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32 and len(value) == 44
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _legacy_fernet(passphrase: str) -> Fernet:
    """The single-key release's derivation (SHA-256, no stretching): decrypt-only."""
    digest = hashlib.sha256(("rf-psa-secrets:" + passphrase).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernets(key: str) -> list[Fernet]:
    if is_fernet_key(key):
        return [Fernet(key.encode("ascii"))]
    derived = hashlib.pbkdf2_hmac("sha256", key.encode(), _PBKDF2_SALT, _PBKDF2_ITERATIONS)
    return [Fernet(base64.urlsafe_b64encode(derived)), _legacy_fernet(key)]


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    # The first Fernet of the first key encrypts; every one decrypts, in order.
    return MultiFernet([fernet for key in keys for fernet in _fernets(key)])


def configured_keys() -> tuple[str, ...]:
    fallbacks = getattr(settings, "RF_ENCRYPTION_KEY_FALLBACKS", ()) or ()
    if isinstance(fallbacks, str):
        fallbacks = [item.strip() for item in fallbacks.split(",")]
    return (settings.RF_ENCRYPTION_KEY, *(key for key in fallbacks if key))


def encrypt(plaintext: str) -> str:
    return _multi(configured_keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _multi(configured_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        # Never include the token or key material in the message.
        raise PSACredentialsUnreadable() from None


def rotate(token: str) -> str:
    """``token`` re-encrypted under the current key (raises :class:`PSACredentialsUnreadable`)."""
    try:
        return _multi(configured_keys()).rotate(token.encode()).decode()
    except InvalidToken:
        raise PSACredentialsUnreadable() from None


class UnreadableCredentialsTransport(httpx.BaseTransport):
    """The transport of a connection whose private key can't be decrypted: every request fails with
    :class:`PSACredentialsUnreadable` and nothing is sent. The provider can still be built, so the message
    surfaces where PSA errors are already shown (a section's inline error, the API's error body)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise PSACredentialsUnreadable()
