"""Use cases about a civil servant's profile: save it whole, read it back as answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.clock import london_today
from matcher.distances import km_to_miles
from matcher.events import PERSON_CHANGED
from matcher.models import (
    CivilServantProfile,
    Department,
    DigestFrequency,
    Grade,
    Hours,
    PlacementKind,
    Profession,
    Region,
    Role,
    Skill,
    Theme,
    User,
    WantedKind,
    utcnow,
)
from matcher.reference.postcodes import PostcodeError, lookup
from matcher.services.concurrency import check_version
from matcher.services.digest_preferences import set_digest_frequency
from matcher.services.errors import NotPermitted
from matcher.services.messages import message
from matcher.services.text import (
    has_hidden_characters,
    hidden_characters_message,
    plain_line_breaks,
)
from matcher.services.validation import ValidationFailed

ABOUT_MAX_LENGTH = 1000
TRAVEL_LIMIT_MAX_KM = 1000
# The most a person may say on the page, in miles, that still fits the kilometres stored.
TRAVEL_LIMIT_MAX_MILES = int(km_to_miles(TRAVEL_LIMIT_MAX_KM))


@dataclass(frozen=True)
class ProfileAnswers:
    """Every answer of the profile questions, as the person gave them."""

    department_id: int
    grade_rank: int
    profession_id: int
    theme_ids: tuple[int, ...]
    skill_ids: tuple[int, ...]
    postcode: str | None
    region_code: str | None
    travel_limit_km: int
    remote_ok: bool
    available_from: date
    available_until: date | None
    wanted_kinds: tuple[PlacementKind, ...]
    hours: Hours
    about: str
    discoverable: bool
    digest_frequency: DigestFrequency


def available_from_on(available_from: date, today: date) -> date:
    """The day a person is available from: a day already past means today.

    Someone who gives a start date that has passed (1 January 2020, say) means "I am free
    now"; storing the old date would show it back to them as if it mattered.
    """
    return max(available_from, today)


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def availability_words(
    available_from: date,
    available_until: date | None,
    *,
    as_given: bool = False,
    today: date | None = None,
) -> str:
    """When a person is available, as their profile summary says it; ``as_given`` for the
    check-answers page, which says why a date they gave that has passed reads as now."""
    today = today or london_today()
    if available_from <= today:
        start = "From now"
        if as_given and available_from < today:
            start += f" ({_day_words(available_from)} has passed, so we will save today)"
    else:
        start = f"From {_day_words(available_from)}"
    end = f"until {_day_words(available_until)}" if available_until else "with no end date"
    return f"{start}, {end}"


def check_profile(session: Session, answers: ProfileAnswers, today: date | None = None) -> None:
    """Raise ValidationFailed with a message per failing answer, as saving them would."""
    errors = _check(session, answers, today or london_today())
    if errors:
        raise ValidationFailed(errors)


def _check(session: Session, answers: ProfileAnswers, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if session.get(Department, answers.department_id) is None:
        errors["department_id"] = message("profile.department.missing")
    if session.scalar(select(Grade.rank).where(Grade.rank == answers.grade_rank)) is None:
        errors["grade_rank"] = message("profile.grade.missing")
    if session.get(Profession, answers.profession_id) is None:
        errors["profession_id"] = message("profile.profession.missing")
    # Retired themes and skills are no longer offered, as for placements.
    themes = session.scalars(
        select(Theme.id).where(Theme.id.in_(answers.theme_ids), Theme.active)
    ).all()
    if not answers.theme_ids or len(themes) != len(set(answers.theme_ids)):
        errors["theme_ids"] = message("profile.themes.missing")
    skills = session.scalars(
        select(Skill.id).where(Skill.id.in_(answers.skill_ids), Skill.active)
    ).all()
    if not answers.skill_ids or len(skills) != len(set(answers.skill_ids)):
        errors["skill_ids"] = message("profile.skills.missing")
    location = location_error(session, answers.postcode, answers.region_code)
    if location:
        errors["postcode"] = location
    travel = travel_limit_error(answers.travel_limit_km)
    if travel:
        errors["travel_limit_km"] = travel
    until = available_until_error(answers.available_from, answers.available_until, today)
    if until:
        errors["available_until"] = until
    if not answers.wanted_kinds:
        errors["wanted_kinds"] = message("profile.wanted_kinds.missing")
    about = about_error(answers.about)
    if about:
        errors["about"] = about
    return errors


# The rules of single answers, which the question pages ask one or two at a time.


def location_error(session: Session, postcode: str | None, region_code: str | None) -> str | None:
    """What is wrong with a home postcode, or a region given instead of one."""
    if postcode:
        try:
            lookup(postcode)
        except PostcodeError as error:
            return error.message
        return None
    if not region_code:
        return message("profile.location.missing")
    if session.get(Region, region_code) is None:
        return message("profile.region.unknown")
    return None


def travel_limit_error(km: int, *, in_miles: bool = False) -> str | None:
    """What is wrong with how far a person could travel; ``in_miles`` if they said it in miles."""
    if 0 <= km <= TRAVEL_LIMIT_MAX_KM:
        return None
    if in_miles:
        return message("profile.travel_limit.range", most=TRAVEL_LIMIT_MAX_MILES, unit="miles")
    return message("profile.travel_limit.range", most=TRAVEL_LIMIT_MAX_KM, unit="kilometres")


def available_until_error(
    available_from: date, available_until: date | None, today: date
) -> str | None:
    """What is wrong with the last day a person is available."""
    if available_until is None:
        return None
    if available_until < available_from:
        return message("profile.available_until.order")
    if available_until < today:
        return message("profile.available_until.past")
    return None


def about_error(about: str) -> str | None:
    """What is wrong with what a person says about themselves."""
    if len(about) > ABOUT_MAX_LENGTH:
        return message("text.too_long", label="About you", most=ABOUT_MAX_LENGTH)
    if has_hidden_characters(plain_line_breaks(about), multiline=True):
        return hidden_characters_message("About you", multiline=True)
    return None


def save_profile(
    session: Session,
    *,
    user_id: int,
    answers: ProfileAnswers,
    expected_version: int | None = None,
    today: date | None = None,
) -> CivilServantProfile:
    """Create or replace a civil servant's profile and ask the matching engine to re-score them.

    StaleObject if ``expected_version`` is given and the saved profile is at another version;
    a person with no profile yet is at version 0. An available-from date already past is
    saved as ``today`` (the UK date unless given).
    """
    today = today or london_today()
    user = session.get(User, user_id)
    if user is None or user.role != Role.CIVIL_SERVANT:
        raise NotPermitted("only a civil servant has a profile")
    current = user.profile.version_id if user.profile is not None else 0
    check_version("profile", user.id, expected_version, current)
    errors = _check(session, answers, today)
    if errors:
        raise ValidationFailed(errors)
    location = lookup(answers.postcode) if answers.postcode is not None else None

    profile = user.profile
    created = profile is None
    if profile is None:
        profile = CivilServantProfile(user_id=user.id)
        session.add(profile)
    before = profile_as_data(profile) if not created else {}

    profile.department_id = answers.department_id
    profile.grade_rank = answers.grade_rank
    profile.profession_id = answers.profession_id
    profile.themes = list(session.scalars(select(Theme).where(Theme.id.in_(answers.theme_ids))))
    profile.skills = list(session.scalars(select(Skill).where(Skill.id.in_(answers.skill_ids))))
    if location is not None:
        profile.home_postcode = location.postcode
        profile.local_authority_code = location.local_authority_code
        profile.region_code = location.region_code
        profile.easting = location.easting
        profile.northing = location.northing
    else:
        profile.home_postcode = None
        profile.local_authority_code = None
        profile.region_code = answers.region_code
        profile.easting = None
        profile.northing = None
    profile.travel_limit_km = answers.travel_limit_km
    profile.remote_ok = answers.remote_ok
    profile.available_from = available_from_on(answers.available_from, today)
    profile.available_until = answers.available_until
    wanted = set(answers.wanted_kinds)
    profile.wanted_kinds = [k for k in profile.wanted_kinds if k.kind in wanted] + [
        WantedKind(kind=kind) for kind in sorted(wanted - {k.kind for k in profile.wanted_kinds})
    ]
    profile.hours = answers.hours
    profile.about = plain_line_breaks(answers.about).strip()
    profile.discoverable = answers.discoverable
    frequency_changed = created or profile.digest_frequency != answers.digest_frequency
    profile.digest_frequency = answers.digest_frequency
    if profile.completed_at is None:
        profile.completed_at = utcnow()
    if frequency_changed:
        # Asking for digests again lifts an earlier unsubscribe; choosing none records one.
        set_digest_frequency(session, user, answers.digest_frequency)
    after = profile_as_data(profile)
    changed = sorted(key for key in after if before.get(key) != after[key])
    if changed and not created:
        # Themes, skills and kinds live in other tables: touching the row makes any change
        # bump version_id (the ETag) and updated_at, not only changes to its own columns.
        profile.updated_at = utcnow()
    session.flush()

    audit.record(
        session,
        user.id,
        "profile.created" if created else "profile.updated",
        "profile",
        user.id,
        {"fields": changed},
    )
    outbox.record_event(session, PERSON_CHANGED, {"person_id": user.id})
    return profile


def answers_from_profile(profile: CivilServantProfile) -> dict[str, Any]:
    """A saved profile as the answers its question pages start from (JSON-friendly)."""
    return {
        "department_id": profile.department_id,
        "grade_rank": profile.grade_rank,
        "profession_id": profile.profession_id,
        "theme_ids": sorted(theme.id for theme in profile.themes),
        "skill_ids": sorted(skill.id for skill in profile.skills),
        "postcode": profile.home_postcode,
        "region_code": None if profile.home_postcode else profile.region_code,
        "travel_limit_km": profile.travel_limit_km,
        "remote_ok": profile.remote_ok,
        "available_from": _iso(profile.available_from),
        "available_until": _iso(profile.available_until),
        "wanted_kinds": sorted(kind.kind.value for kind in profile.wanted_kinds),
        "hours": profile.hours.value,
        "about": profile.about,
        "discoverable": profile.discoverable,
        "digest_frequency": profile.digest_frequency.value,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def profile_as_data(profile: CivilServantProfile) -> dict[str, Any]:
    """A profile as plain data with names, for exports and for spotting changed fields."""
    return {
        "department_id": profile.department_id,
        "grade_rank": profile.grade_rank,
        "profession_id": profile.profession_id,
        "themes": sorted(theme.name for theme in profile.themes),
        "skills": sorted(skill.name for skill in profile.skills),
        "home_postcode": profile.home_postcode,
        "local_authority_code": profile.local_authority_code,
        "region_code": profile.region_code,
        "travel_limit_km": profile.travel_limit_km,
        "remote_ok": profile.remote_ok,
        "available_from": _iso(profile.available_from),
        "available_until": _iso(profile.available_until),
        "wanted_kinds": sorted(kind.kind.value for kind in profile.wanted_kinds),
        "hours": profile.hours.value if profile.hours else None,
        "about": profile.about,
        "discoverable": profile.discoverable,
        "digest_frequency": profile.digest_frequency.value if profile.digest_frequency else None,
        "completed_at": profile.completed_at.isoformat() if profile.completed_at else None,
    }
