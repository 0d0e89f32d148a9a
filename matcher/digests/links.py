"""Absolute links in digests, and the signed token behind one-click unsubscribe."""

from __future__ import annotations

from functools import cache

from itsdangerous import URLSafeTimedSerializer

from config import Settings
from matcher.models import Role
from matcher.notifications.links import email_link
from matcher.security.tokens import InvalidToken, read_token

UNSUBSCRIBE = "matcher.digest-unsubscribe"
# Unsubscribe links must keep working in old emails; RFC 8058 gives no expiry, we give two years.
UNSUBSCRIBE_MAX_AGE = 2 * 365 * 24 * 3600


@cache
def _unsubscribe_serializer(secret_key: str) -> URLSafeTimedSerializer:
    # What make_token builds for every call, built once: one token per digest adds up.
    return URLSafeTimedSerializer(secret_key, salt=UNSUBSCRIBE)


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    """A token that unsubscribes ``user_id`` from digests, and nothing else.

    The same token ``make_token(secret_key, UNSUBSCRIBE, {"u": user_id})`` makes.
    """
    return _unsubscribe_serializer(secret_key).dumps({"u": user_id})


def user_from_unsubscribe_token(secret_key: str, token: str) -> int:
    """The user an unsubscribe token was made for; InvalidToken if tampered with or too old."""
    payload = read_token(secret_key, UNSUBSCRIBE, token, max_age=UNSUBSCRIBE_MAX_AGE)
    user_id = payload.get("u")
    if not isinstance(user_id, int):
        raise InvalidToken(expired=False)
    return user_id


def unsubscribe_url(settings: Settings, secret_key: str, user_id: int) -> str:
    """The one-click unsubscribe address for List-Unsubscribe and the footer link."""
    token = unsubscribe_token(secret_key, user_id)
    return email_link(settings, "digests.confirm_unsubscribe", token=token)


def digest_url(settings: Settings, delivery_id: int | None = None) -> str:
    """The signed-in page that shows this digest as sent (``delivery_id``), or the next one."""
    if delivery_id is None:
        return email_link(settings, "digests.preview")
    return email_link(settings, "digests.sent", delivery_id=delivery_id)


def placement_url(settings: Settings, placement_id: int) -> str:
    """The placement's own page, where a recipient reads it in full and says they are interested."""
    return email_link(settings, "placements.show", placement_id=placement_id)


def practice_note_url(settings: Settings, note_id: int) -> str:
    """A practice note's public page in the practice library."""
    return email_link(settings, "practice_notes.show", note_id=note_id)


def follow_themes_url(settings: Settings) -> str:
    """The page where a civil servant chooses the themes whose new practice notes they hear of."""
    return email_link(settings, "practice_notes.follow")


def interest_url(settings: Settings, interest_id: int) -> str:
    """The person's page for one of their interests: its status, the offer and what to do next."""
    return email_link(settings, "matches.interest", interest_id=interest_id)


def placement_people_url(settings: Settings, placement_id: int) -> str:
    """The organisation's page of interested and recommended people for one of its placements."""
    return email_link(settings, "candidates.placement_interests", placement_id=placement_id)


def preferences_url(settings: Settings, role: Role) -> str:
    """Where the recipient changes how often they get digests (any role: members have no
    profile, so the email preferences page serves everyone)."""
    return email_link(settings, "digests.preferences")
