"""Personal API tokens: create (shown once), list, revoke, and find the token a request bears.

A token is 32 random bytes, URL-safe, after a ``mt_`` prefix that secret scanners can spot.
Only its SHA-256 digest is stored: the secret has 256 bits of entropy, so a slow password hash
would add nothing but latency to every API request. An organisation member's token is scoped
to one organisation they belong to; other roles' tokens have no organisation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matcher import audit
from matcher.models import ApiToken, Membership, Role, utcnow
from matcher.services.access import load_actor, membership_of
from matcher.services.errors import NotFound
from matcher.services.text import has_hidden_characters, hidden_characters_message
from matcher.services.validation import ValidationFailed

TOKEN_PREFIX = "mt_"
NAME_MAX = 80
TOKENS_PER_PERSON_MAX = 20
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def digest(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    actor_id: int,
    name: str,
    *,
    organisation_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for the actor; returns the row and the secret, which is never seen again."""
    actor = load_actor(session, actor_id)
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Enter a name for the token"
    elif has_hidden_characters(name):
        errors["name"] = hidden_characters_message("Name")
    elif len(name) > NAME_MAX:
        errors["name"] = f"Name must be {NAME_MAX} characters or fewer"
    if actor.role == Role.ORGANISATION_MEMBER:
        if organisation_id is None:
            errors["organisation_id"] = "Select the organisation the token acts for"
        elif membership_of(session, actor.id, organisation_id) is None:
            errors["organisation_id"] = "Select an organisation you belong to"
    elif organisation_id is not None:
        errors["organisation_id"] = "Only organisation members' tokens act for an organisation"
    if expires_at is not None and expires_at <= utcnow():
        errors["expires_at"] = "Expiry must be in the future"
    live = select(ApiToken.id).where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
    if len(session.scalars(live).all()) >= TOKENS_PER_PERSON_MAX:
        errors["name"] = f"You have {TOKENS_PER_PERSON_MAX} tokens: revoke one first"
    if errors:
        raise ValidationFailed(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        organisation_id=organisation_id,
        name=name,
        prefix=secret[:10],
        token_digest=digest(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor.id, "api_token.created", "api_token", token.id, {"name": name})
    return token, secret


def list_tokens(session: Session, actor_id: int) -> list[ApiToken]:
    """The actor's tokens that still work, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, actor_id: int, token_id: int) -> ApiToken:
    """Stop one of the actor's tokens working; NotFound for anyone else's."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor_id or token.revoked_at is not None:
        raise NotFound(f"api token {token_id} does not exist")
    token.revoked_at = utcnow()
    audit.record(session, actor_id, "api_token.revoked", "api_token", token.id, {})
    return token


def token_for_secret(session: Session, secret: str) -> ApiToken | None:
    """The usable token with this secret, its last use noted; None for anything else.

    A member's token stops working when they leave the organisation it acts for.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = session.scalars(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_digest == digest(secret))
    ).first()
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    if token.organisation_id is not None:
        member = select(Membership.id).where(
            Membership.user_id == token.user_id,
            Membership.organisation_id == token.organisation_id,
        )
        if session.scalar(member) is None:
            return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token
