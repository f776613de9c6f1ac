"""Encryption at rest for PSA secrets (Fernet, key derived from settings.RF_ENCRYPTION_KEY)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(("rf-psa-secrets:" + settings.RF_ENCRYPTION_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never include the token or key material in the message.
        raise ValueError("stored PSA secret cannot be decrypted with the configured RF_ENCRYPTION_KEY") from None
