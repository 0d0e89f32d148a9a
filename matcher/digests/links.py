"""Absolute links in digests, and the signed token behind one-click unsubscribe."""

from __future__ import annotations

from config import Settings
from matcher.models import Role
from matcher.security.tokens import InvalidToken, make_token, read_token

UNSUBSCRIBE = "matcher.digest-unsubscribe"
# Unsubscribe links must keep working in old emails; RFC 8058 gives no expiry, we give two years.
UNSUBSCRIBE_MAX_AGE = 2 * 365 * 24 * 3600


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    """A token that unsubscribes ``user_id`` from digests, and nothing else."""
    return make_token(secret_key, UNSUBSCRIBE, {"u": user_id})


def user_from_unsubscribe_token(secret_key: str, token: str) -> int:
    """The user an unsubscribe token was made for; InvalidToken if tampered with or too old."""
    payload = read_token(secret_key, UNSUBSCRIBE, token, max_age=UNSUBSCRIBE_MAX_AGE)
    user_id = payload.get("u")
    if not isinstance(user_id, int):
        raise InvalidToken(expired=False)
    return user_id


def unsubscribe_url(settings: Settings, secret_key: str, user_id: int) -> str:
    """The one-click unsubscribe address for List-Unsubscribe and the footer link."""
    return f"{settings.base_url}/digests/unsubscribe/{unsubscribe_token(secret_key, user_id)}"


def digest_url(settings: Settings) -> str:
    """The signed-in page that shows the recipient's digest on the web."""
    return f"{settings.base_url}/digest"


def item_url(settings: Settings, anchor: str) -> str:
    """Where a line of the digest leads: its entry on the digest page.

    Placement and person pages belong to another part of the service; once they exist, this
    is the one place to point digest lines at them.
    """
    return f"{settings.base_url}/digest#{anchor}"


def preferences_url(settings: Settings, role: Role) -> str:
    """Where the recipient changes how often they get digests."""
    path = "/profile" if role == Role.CIVIL_SERVANT else "/account"
    return f"{settings.base_url}{path}"
