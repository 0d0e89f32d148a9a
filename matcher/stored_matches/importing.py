"""Import people and placements from JSON Lines: every line checked, all or nothing.

Each line is one JSON object with ``"type": "person"`` or ``"type": "placement"`` (the fields
are documented in README, "Data formats"). The rules are the services' own: a person's profile
goes through ``save_profile`` and a placement through the placement validation, so an import
accepts exactly what the forms accept. A bad line is
reported with its number, and if any line is bad the whole transaction is rolled back. (No
savepoints: a line is checked before it writes, and SQLite's driver mishandles them.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matcher import outbox
from matcher.clock import london_today
from matcher.events import PLACEMENT_CHANGED
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    Organisation,
    Placement,
    PlacementKind,
    PlacementStatus,
    Profession,
    Role,
    Skill,
    Theme,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.services import placements as placement_service
from matcher.services.accounts import (
    GOVERNMENT_EMAIL_MESSAGE,
    checked_display_name,
    domain_of,
    normalise_email,
    within_domains,
)
from matcher.services.profiles import ProfileAnswers, save_profile
from matcher.services.validation import ValidationFailed

# Imported people sign in after resetting their password: this is not a valid hash.
NO_PASSWORD = "!imported"
PLACEMENT_STATUSES = ("open", "draft")


class BadLine(ValueError):
    """A line that cannot be imported; the message says why."""


@dataclass
class ImportResult:
    """What an import did, or why it did nothing."""

    people: int = 0
    placements: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _required(record: dict[str, Any], name: str) -> Any:
    if record.get(name) in (None, ""):
        raise BadLine(f"{name} is missing")
    return record[name]


def _date(record: dict[str, Any], name: str, required: bool = True) -> date | None:
    raw = record.get(name)
    if raw in (None, ""):
        if required:
            raise BadLine(f"{name} is missing")
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise BadLine(f"{name} must be a date like 2027-01-31; got {raw!r}") from None


def _list(record: dict[str, Any], name: str) -> list[str]:
    raw = record.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise BadLine(f"{name} must be a list of names")
    return raw


def _terms(
    session: Session, model: type[Theme] | type[Skill], names: list[str], what: str
) -> list[int]:
    ids = []
    for name in names:
        found = session.scalar(
            select(model.id).where(or_(func.lower(model.name) == name.lower(), model.slug == name))
        )
        if found is None:
            raise BadLine(f"unknown {what} {name!r}")
        ids.append(found)
    return ids


def _named(session: Session, model: Any, name: str, what: str) -> int:
    found = session.scalar(select(model.id).where(func.lower(model.name) == name.lower()))
    if found is None:
        raise BadLine(f"unknown {what} {name!r}")
    return int(found)


def _flag(record: dict[str, Any], name: str, default: bool) -> bool:
    value = record.get(name, default)
    if not isinstance(value, bool):
        raise BadLine(f"{name} must be true or false")
    return value


def _integer(record: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = record.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadLine(f"{name} must be a whole number")
    return value


def _person(session: Session, record: dict[str, Any], seen: set[str]) -> None:
    domains = current_app.config["MATCHER_SETTINGS"].government_email_domains
    email = normalise_email(str(_required(record, "email")))
    if "@" not in email or not within_domains(domain_of(email), domains):
        raise BadLine(f"email: {GOVERNMENT_EMAIL_MESSAGE}")
    if email in seen or session.scalar(select(User.id).where(User.email == email)) is not None:
        raise BadLine("email already has an account")
    grade = session.scalar(
        select(Grade.rank).where(Grade.code == str(_required(record, "grade")).upper())
    )
    if grade is None:
        raise BadLine(f"unknown grade {record['grade']!r}")
    try:
        kinds = tuple(PlacementKind(kind) for kind in _list(record, "wanted_kinds"))
        hours = Hours(record.get("hours", "flexible"))
        frequency = DigestFrequency(record.get("digest_frequency", "weekly"))
    except ValueError as error:
        raise BadLine(str(error)) from None
    answers = ProfileAnswers(
        department_id=_named(
            session, Department, str(_required(record, "department")), "department"
        ),
        grade_rank=int(grade),
        profession_id=_named(
            session, Profession, str(_required(record, "profession")), "profession"
        ),
        theme_ids=tuple(_terms(session, Theme, _list(record, "themes"), "theme")),
        skill_ids=tuple(_terms(session, Skill, _list(record, "skills"), "skill")),
        postcode=record.get("postcode") or None,
        region_code=record.get("region") or None,
        travel_limit_km=_integer(record, "travel_limit_km", 50) or 0,
        remote_ok=_flag(record, "remote_ok", True),
        available_from=_date(record, "available_from") or date.min,
        available_until=_date(record, "available_until", required=False),
        wanted_kinds=kinds,
        hours=hours,
        about=str(record.get("about", "")),
        discoverable=_flag(record, "discoverable", False),
        digest_frequency=frequency,
    )
    try:
        display_name = checked_display_name(str(_required(record, "name")))
    except ValidationFailed as refused:
        raise BadLine(f"name: {refused.errors['display_name']}") from None
    user = User(
        email=email,
        password_hash=NO_PASSWORD,
        role=Role.CIVIL_SERVANT,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    seen.add(email)
    try:
        save_profile(session, user_id=user.id, answers=answers)
    except ValidationFailed:
        # save_profile checks before it writes: only the account has to go again.
        session.delete(user)
        session.flush()
        raise


def _placement(session: Session, record: dict[str, Any]) -> None:
    reference = str(_required(record, "organisation"))
    organisation = session.scalar(
        select(Organisation).where(
            or_(
                func.lower(Organisation.name) == reference.lower(),
                Organisation.ons_code == reference,
            )
        )
    )
    if organisation is None:
        raise BadLine(f"unknown organisation {reference!r} (give its name or ONS code)")
    if organisation.status != VerificationStatus.VERIFIED:
        raise BadLine(f"organisation {reference!r} is not verified")
    status = record.get("status", "open")
    if status not in PLACEMENT_STATUSES:
        raise BadLine(f"status must be one of {', '.join(PLACEMENT_STATUSES)}")
    data = placement_service.PlacementData(
        title=str(record.get("title", "")),
        summary=str(record.get("summary", "")),
        description=str(record.get("description", "")),
        kind=str(record.get("kind", "")),
        theme_ids=_terms(session, Theme, _list(record, "themes"), "theme"),
        skill_ids=_terms(session, Skill, _list(record, "skills"), "skill"),
        grade_min=str(record.get("grade_min", "")),
        grade_max=str(record.get("grade_max", "")),
        remote_possible=_flag(record, "remote_possible", False),
        location_postcode=str(record.get("postcode") or ""),
        start_date=_date(record, "start_date"),
        duration_weeks=_integer(record, "duration_weeks"),
        hours=str(record.get("hours", "")),
        capacity=_integer(record, "capacity", 1),
        closing_date=_date(record, "closing_date"),
    )
    valid = placement_service._validate(
        session, data, check_closing_date=True, today=london_today()
    )
    placement = Placement(
        organisation_id=organisation.id, status=PlacementStatus(status), themes=[], skills=[]
    )
    placement_service._apply(session, placement, valid)
    if placement.status == PlacementStatus.OPEN:
        placement.published_at = utcnow()
    session.add(placement)
    session.flush()
    if placement.status == PlacementStatus.OPEN:
        outbox.record_event(session, PLACEMENT_CHANGED, {"placement_id": placement.id})


def _describe(error: ValidationFailed) -> str:
    errors = getattr(error, "errors", None) or {}
    if isinstance(errors, dict) and errors:
        return "; ".join(f"{name}: {message}" for name, message in errors.items())
    return str(error)


def import_lines(
    session: Session, lines: Iterable[str], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import every line in one transaction; commit only if every line is good."""
    advance = progress or (lambda _: None)
    result = ImportResult()
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        advance(1)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            result.errors.append((number, f"not valid JSON: {error.msg}"))
            continue
        if not isinstance(record, dict) or record.get("type") not in ("person", "placement"):
            result.errors.append((number, 'type must be "person" or "placement"'))
            continue
        try:
            if record["type"] == "person":
                _person(session, record, seen)
                result.people += 1
            else:
                _placement(session, record)
                result.placements += 1
        except BadLine as error:
            result.errors.append((number, str(error)))
        except ValidationFailed as error:
            result.errors.append((number, _describe(error)))
    if result.errors:
        session.rollback()
        result.people = result.placements = 0
    else:
        session.commit()
    return result
