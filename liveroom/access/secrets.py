"""Passwords (argon2) and bearer secrets (random, stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of no one's password: checked for unknown users, so that they take as long
    to refuse as known ones (no telling which usernames exist by the time it takes)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def new_secret(prefix: str) -> str:
    """A bearer secret that says what it is (`lr_kiosk_…`), 256 random bits."""
    return f"lr_{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
