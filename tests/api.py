"""Helpers for tests of the JSON API: tokens for each kind of caller, complete profiles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    PlacementKind,
    Profession,
    User,
)
from matcher.services.api_tokens import create_token
from matcher.services.profiles import ProfileAnswers, save_profile


def token_for(session: Session, user: User, organisation_id: int | None = None, **kw: Any) -> str:
    """A new token's secret for ``user`` (acting for ``organisation_id``), committed."""
    _, secret = create_token(
        session, user.id, f"test token {user.id}", organisation_id=organisation_id, **kw
    )
    session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header that carries ``secret``."""
    return {"Authorization": f"Bearer {secret}"}


def profile_body(session: Session, theme_ids: list[int], skill_ids: list[int]) -> dict[str, Any]:
    """A ``PUT /me/profile`` body that passes every rule."""
    return {
        "department_id": session.scalar(select(Department.id).order_by(Department.id)),
        "grade_rank": session.scalar(select(Grade.rank).where(Grade.code == "HEO")),
        "profession_id": session.scalar(select(Profession.id).order_by(Profession.id)),
        "theme_ids": theme_ids[:1],
        "skill_ids": skill_ids[:1],
        "postcode": None,
        "region_code": "E12000003",
        "travel_limit_km": 30,
        "remote_ok": True,
        "available_from": (london_today() + timedelta(days=30)).isoformat(),
        "available_until": None,
        "wanted_kinds": ["secondment"],
        "hours": "full_time",
        "about": "Housing policy.",
        "discoverable": True,
        "digest_frequency": "weekly",
    }


def complete_profile(
    session: Session, user: User, theme_ids: list[int], skill_ids: list[int]
) -> None:
    """Save a whole profile for ``user`` through the service, committed."""
    body = profile_body(session, theme_ids, skill_ids)
    save_profile(
        session,
        user_id=user.id,
        answers=ProfileAnswers(
            department_id=body["department_id"],
            grade_rank=body["grade_rank"],
            profession_id=body["profession_id"],
            theme_ids=tuple(body["theme_ids"]),
            skill_ids=tuple(body["skill_ids"]),
            postcode=None,
            region_code=body["region_code"],
            travel_limit_km=body["travel_limit_km"],
            remote_ok=True,
            available_from=london_today() + timedelta(days=30),
            available_until=None,
            wanted_kinds=(PlacementKind.SECONDMENT,),
            hours=Hours.FULL_TIME,
            about=body["about"],
            discoverable=True,
            digest_frequency=DigestFrequency.WEEKLY,
        ),
    )
    session.commit()
