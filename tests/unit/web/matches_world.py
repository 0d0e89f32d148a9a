"""A world for page tests of matches, interests and administration, with signed-in browsers."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from matcher.extensions import db
from matcher.models import Match, Placement, User, utcnow
from matcher.security.tokens import fingerprint
from tests.unit.services.world import World


def browser_of(app: Flask, user: User | None) -> FlaskClient:
    """A test client signed in as ``user`` (or signed out for None)."""
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["user_id"] = user.id
            session["password_digest"] = fingerprint(app.config["SECRET_KEY"], user.password_hash)
            session["signed_in_at"] = int(time.time())
            session["session_id"] = secrets.token_urlsafe(32)
    return client


def confirm_everyone() -> None:
    """Mark every account's email as confirmed, so sessions are accepted."""
    db.session.execute(update(User).values(email_confirmed_at=utcnow()))
    db.session.commit()


def complete_profile(user: User) -> None:
    """Mark the user's profile as completed."""
    assert user.profile is not None
    user.profile.completed_at = utcnow()
    db.session.commit()


def stored_reasons(world: World, theme: int = 0, distance_km: float = 18.2) -> list[Any]:
    """Reasons the engine would write: one of the world's themes shared, and a distance."""
    return [
        {
            "component": "themes",
            "contribution": 0.5,
            "evidence": {"shared_theme_ids": world.theme_ids[theme : theme + 1]},
        },
        {"component": "distance", "contribution": 0.2, "evidence": {"distance_km": distance_km}},
    ]


def stored_match(
    world: World,
    person: User,
    placement: Placement,
    rank: int,
    reasons: list[Any] | None = None,
    **extra: Any,
) -> Match:
    """A stored match with ``reasons``, by default ``stored_reasons(world)`` (unit tests only)."""
    reasons = stored_reasons(world) if reasons is None else reasons
    match = Match(
        person_id=person.id,
        placement_id=placement.id,
        score=1.0 / rank,
        rank=rank,
        reasons=reasons,
        engine_version="test",
        **extra,
    )
    db.session.add(match)
    db.session.commit()
    return match
