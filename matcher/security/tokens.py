"""Signed, expiring tokens for links in emails: no table, one salt per purpose."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_EMAIL = "matcher.confirm-email"
RESET_PASSWORD = "matcher.reset-password"
CHANGE_EMAIL = "matcher.change-email"

# How long each kind of link works, in seconds.
MAX_AGE = {
    CONFIRM_EMAIL: 3 * 24 * 3600,
    RESET_PASSWORD: 3600,
    CHANGE_EMAIL: 24 * 3600,
}


class InvalidToken(ValueError):
    """A link's token was tampered with, made for another purpose, or has expired."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(secret_key: str, purpose: str, payload: dict[str, Any]) -> str:
    """Sign ``payload`` for one ``purpose``."""
    return URLSafeTimedSerializer(secret_key, salt=purpose).dumps(payload)


def read_token(
    secret_key: str, purpose: str, token: str, max_age: int | None = None
) -> dict[str, Any]:
    """The payload of a token made for ``purpose``; InvalidToken if it is bad or too old."""
    serializer = URLSafeTimedSerializer(secret_key, salt=purpose)
    try:
        payload = serializer.loads(token, max_age=MAX_AGE[purpose] if max_age is None else max_age)
    except SignatureExpired:
        raise InvalidToken(expired=True) from None
    except BadSignature:
        raise InvalidToken(expired=False) from None
    if not isinstance(payload, dict):
        raise InvalidToken(expired=False)
    return payload


def fingerprint(secret_key: str, value: str) -> str:
    """A short keyed digest of ``value``: it changes when the value does and reveals nothing."""
    digest = hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()
    return digest[:20]
