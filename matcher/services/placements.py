"""Use cases about placements: drafting, editing, the status lifecycle, and the read queries.

Lifecycle (``STATUS_CHANGES``): a draft is published (open) once its organisation is verified
and every field is valid, closing date still ahead; an open placement is closed (no more
interest), filled or withdrawn; a closed one is reopened (only while its closing date is still
ahead), filled or withdrawn. A draft that will never go live is discarded (deleted:
the schema keeps "withdrawn" for placements that were published). Filled and withdrawn are
final. A platform administrator may unpublish an open or closed placement with a
reason, which withdraws it. Drafts and open placements may be edited; closed, filled and
withdrawn ones may not.

Every change is audited with the names of the fields it changed. A change that alters what
people can be matched with (publishing, reopening, editing an open placement, and any move
away from open) records ``matching.placement_changed`` so the engine adds or removes matches.
Authorisation: only members (any role) of the placement's organisation create, edit and move
it; see ``matcher.services.access`` for when a refusal is NotFound and when NotPermitted. An
operator importing at the command line (``matcher.services.imports``) acts with no actor
(``actor_id`` None) on create, update and publish: access to the server authorises them, and the
audit log records the change as the service's own.

Every rule is checked here, in the words of ``matcher.services.messages``: the web form shows
``check_placement``'s verdict, and the API and the imports get the same from the use cases.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from matcher import audit, outbox
from matcher.clock import london_today
from matcher.database import ID_MAX
from matcher.events import PLACEMENT_CHANGED
from matcher.models import (
    Grade,
    Hours,
    Interest,
    InterestStatus,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementKind,
    PlacementStatus,
    Skill,
    Theme,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.reference.postcodes import PostcodeError, PostcodeLocation, lookup
from matcher.services.access import (
    load_actor,
    load_placement,
    load_placement_for_member,
    require_member,
    require_platform_admin,
)
from matcher.services.concurrency import check_version, flush_versioned
from matcher.services.errors import InvalidState, NotFound
from matcher.services.messages import message
from matcher.services.taxonomies import checked_terms
from matcher.services.text import checked_reason, checked_text
from matcher.services.validation import ValidationFailed

TITLE_MAX = 150
SUMMARY_MAX = 300
DESCRIPTION_MAX = 10_000
REASON_MAX = 2_000
DURATION_WEEKS_MAX = 260
CAPACITY_MAX = 100
THEMES_MAX = 10
SKILLS_MAX = 20
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100

S = PlacementStatus
# Every allowed status change: action -> (statuses it may start from, status it leads to).
STATUS_CHANGES: dict[str, tuple[frozenset[PlacementStatus], PlacementStatus]] = {
    "publish": (frozenset({S.DRAFT}), S.OPEN),
    "reopen": (frozenset({S.CLOSED}), S.OPEN),
    "close": (frozenset({S.OPEN}), S.CLOSED),
    "mark_filled": (frozenset({S.OPEN, S.CLOSED}), S.FILLED),
    "withdraw": (frozenset({S.OPEN, S.CLOSED}), S.WITHDRAWN),
    "unpublish": (frozenset({S.OPEN, S.CLOSED}), S.WITHDRAWN),
}
EDITABLE = frozenset({S.DRAFT, S.OPEN})

_Choice = TypeVar("_Choice", PlacementKind, Hours)
_Kind = TypeVar("_Kind", PlacementKind, OrganisationKind)


@dataclass(frozen=True)
class PlacementData:
    """What a member types about a placement; ``grade_min``/``grade_max`` are grade codes."""

    title: str = ""
    summary: str = ""
    description: str = ""
    kind: str = ""
    theme_ids: Sequence[int] = ()
    skill_ids: Sequence[int] = ()
    grade_min: str = ""
    grade_max: str = ""
    remote_possible: bool = False
    location_postcode: str = ""
    start_date: date | None = None
    duration_weeks: int | None = None
    hours: str = ""
    capacity: int | None = 1
    closing_date: date | None = None


@dataclass
class _Valid:
    """PlacementData checked and resolved to the values the row stores."""

    title: str
    summary: str
    description: str
    kind: PlacementKind
    hours: Hours
    grade_min_rank: int
    grade_max_rank: int
    remote_possible: bool
    location: PostcodeLocation | None
    start_date: date
    duration_weeks: int
    capacity: int
    closing_date: date
    themes: list[Theme] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)


def placement_data(placement: Placement) -> PlacementData:
    """The stored placement as input data: the base for a partial update (``replace``)."""
    grades = {grade.rank: grade.code for grade in placement_grades(placement)}
    return PlacementData(
        title=placement.title,
        summary=placement.summary,
        description=placement.description,
        kind=placement.kind.value,
        theme_ids=tuple(sorted(theme.id for theme in placement.themes)),
        skill_ids=tuple(sorted(skill.id for skill in placement.skills)),
        grade_min=grades[placement.grade_min_rank],
        grade_max=grades[placement.grade_max_rank],
        remote_possible=placement.remote_possible,
        location_postcode=placement.location_postcode or "",
        start_date=placement.start_date,
        duration_weeks=placement.duration_weeks,
        hours=placement.hours.value,
        capacity=placement.capacity,
        closing_date=placement.closing_date,
    )


def placement_grades(placement: Placement) -> list[Grade]:
    """The grades at the two ends of the placement's range."""
    session = Session.object_session(placement)
    assert session is not None
    return list(
        session.scalars(
            select(Grade).where(
                Grade.rank.in_({placement.grade_min_rank, placement.grade_max_rank})
            )
        )
    )


def _text(
    errors: dict[str, str],
    name: str,
    value: str,
    label: str,
    limit: int,
    *,
    multiline: bool = False,
) -> str:
    missing = message(f"placement.{name}.missing")
    return checked_text(
        errors, name, value, label=label, limit=limit, missing=missing, multiline=multiline
    )


def _choice(errors: dict[str, str], name: str, value: str, enum: type[_Choice]) -> _Choice | None:
    try:
        return enum(value)
    except ValueError:
        errors[name] = message(f"placement.{name}.missing")
        return None


def _validate(
    session: Session, data: PlacementData, *, check_closing_date: bool, today: date
) -> _Valid:
    """Check every field; raise ValidationFailed with a message per failing field."""
    errors: dict[str, str] = {}
    title = _text(errors, "title", data.title, "Title", TITLE_MAX)
    summary = _text(errors, "summary", data.summary, "Summary", SUMMARY_MAX)
    description = _text(
        errors, "description", data.description, "Description", DESCRIPTION_MAX, multiline=True
    )
    kind = _choice(errors, "kind", data.kind, PlacementKind)
    themes = checked_terms(
        session, errors, "theme_ids", data.theme_ids, Theme, "themes", THEMES_MAX
    )
    if not data.theme_ids and "theme_ids" not in errors:
        errors["theme_ids"] = message("placement.themes.missing")
    skills = checked_terms(
        session, errors, "skill_ids", data.skill_ids, Skill, "skills", SKILLS_MAX
    )

    ranks = dict(session.execute(select(Grade.code, Grade.rank)).tuples().all())
    grade_min = ranks.get((data.grade_min or "").strip().upper())
    grade_max = ranks.get((data.grade_max or "").strip().upper())
    if grade_min is None:
        errors["grade_min"] = message("placement.grade_min.missing")
    if grade_max is None:
        errors["grade_max"] = message("placement.grade_max.missing")
    if grade_min is not None and grade_max is not None and grade_min > grade_max:
        errors["grade_min"] = message("placement.grades.order")

    location = None
    if (data.location_postcode or "").strip():
        try:
            location = lookup(data.location_postcode)
        except PostcodeError as error:
            errors["location_postcode"] = error.message
    elif not data.remote_possible:
        errors["location_postcode"] = message("placement.postcode.missing")

    if data.closing_date is None:
        errors["closing_date"] = message("placement.closing_date.missing")
    elif check_closing_date and data.closing_date <= today:
        errors["closing_date"] = message("placement.closing_date.past")
    if data.start_date is None:
        errors["start_date"] = message("placement.start_date.missing")
    elif data.closing_date is not None and data.start_date <= data.closing_date:
        errors["start_date"] = message("placement.start_date.order")

    if data.duration_weeks is None:
        errors["duration_weeks"] = message("placement.duration_weeks.missing")
    elif not 1 <= data.duration_weeks <= DURATION_WEEKS_MAX:
        errors["duration_weeks"] = message(
            "placement.duration_weeks.range", most=DURATION_WEEKS_MAX
        )
    hours = _choice(errors, "hours", data.hours, Hours)
    if data.capacity is None:
        errors["capacity"] = message("placement.capacity.missing")
    elif not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = message("placement.capacity.range", most=CAPACITY_MAX)

    if errors:
        raise ValidationFailed(errors)
    assert kind is not None and hours is not None and grade_min is not None
    assert grade_max is not None and data.start_date is not None
    assert data.closing_date is not None and data.duration_weeks is not None
    assert data.capacity is not None
    return _Valid(
        title=title,
        summary=summary,
        description=description,
        kind=kind,
        hours=hours,
        grade_min_rank=grade_min,
        grade_max_rank=grade_max,
        remote_possible=bool(data.remote_possible),
        location=location,
        start_date=data.start_date,
        duration_weeks=data.duration_weeks,
        capacity=data.capacity,
        closing_date=data.closing_date,
        themes=themes,
        skills=skills,
    )


def _apply(session: Session, placement: Placement, valid: _Valid) -> list[str]:
    """Write validated values onto the placement; return the names of the fields that changed."""
    # Loading the old themes must not flush the new title first: one edit, one UPDATE, one
    # version.
    with session.no_autoflush:
        return _apply_values(placement, valid)


def _apply_values(placement: Placement, valid: _Valid) -> list[str]:
    location = valid.location
    values = {
        "title": valid.title,
        "summary": valid.summary,
        "description": valid.description,
        "kind": valid.kind,
        "hours": valid.hours,
        "grade_min_rank": valid.grade_min_rank,
        "grade_max_rank": valid.grade_max_rank,
        "remote_possible": valid.remote_possible,
        "location_postcode": location.postcode if location else None,
        "local_authority_code": location.local_authority_code if location else None,
        "region_code": location.region_code if location else None,
        "easting": location.easting if location else None,
        "northing": location.northing if location else None,
        "start_date": valid.start_date,
        "duration_weeks": valid.duration_weeks,
        "capacity": valid.capacity,
        "closing_date": valid.closing_date,
    }
    changed = [name for name, value in values.items() if getattr(placement, name) != value]
    for name in changed:
        setattr(placement, name, values[name])
    if {theme.id for theme in placement.themes} != {theme.id for theme in valid.themes}:
        placement.themes = valid.themes
        changed.append("themes")
    if {skill.id for skill in placement.skills} != {skill.id for skill in valid.skills}:
        placement.skills = valid.skills
        changed.append("skills")
    return changed


def _usable_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return organisation


def check_placement(
    session: Session, data: PlacementData, *, stored_closing_date: date | None = None
) -> None:
    """Raise ValidationFailed with a message per failing field, as saving ``data`` would.

    A closing date unchanged from ``stored_closing_date`` may have passed: an edit that leaves
    it alone is not refused for it.
    """
    _validate(
        session,
        data,
        check_closing_date=data.closing_date != stored_closing_date,
        today=london_today(),
    )


def _acting_member(session: Session, actor_id: int | None, organisation_id: int) -> User | None:
    """The member acting for the organisation, or None for an operator at the command line
    (``flask data import``), whom access to the server already authorises."""
    if actor_id is None:
        return None
    actor = load_actor(session, actor_id)
    require_member(session, actor, organisation_id)
    return actor


def _placement_to_change(
    session: Session, actor_id: int | None, placement_id: int
) -> tuple[User | None, Placement]:
    """The acting member (None for an operator) and the placement, locked for the change."""
    if actor_id is None:
        placement = session.get(
            Placement, placement_id, with_for_update=True, populate_existing=True
        )
        if placement is None:
            raise NotFound(f"placement {placement_id} does not exist")
        return None, placement
    actor = load_actor(session, actor_id)
    return actor, load_placement_for_member(session, actor, placement_id, lock=True)


def create_draft(
    session: Session,
    actor_id: int | None,
    organisation_id: int,
    data: PlacementData,
    *,
    external_id: str | None = None,
) -> Placement:
    """Save a new draft placement for the actor's organisation (any member may).

    ``external_id`` is the id the organisation's HR system knows it by, for imports.
    """
    organisation = _usable_organisation(session, organisation_id)
    actor = _acting_member(session, actor_id, organisation.id)
    if organisation.status == VerificationStatus.REJECTED:
        raise InvalidState(f"organisation {organisation.id} was rejected")
    valid = _validate(session, data, check_closing_date=True, today=london_today())
    placement = Placement(
        organisation_id=organisation.id,
        status=PlacementStatus.DRAFT,
        created_by_id=actor.id if actor else None,
        external_id=external_id,
        themes=[],
        skills=[],
    )
    fields = _apply(session, placement, valid)
    session.add(placement)
    session.flush()
    audit.record(
        session,
        actor.id if actor else None,
        "placement.created",
        "placement",
        placement.id,
        {"fields": fields},
    )
    return placement


def update_placement(
    session: Session,
    actor_id: int | None,
    placement_id: int,
    data: PlacementData,
    *,
    expected_version: int | None = None,
) -> Placement:
    """Replace a draft or open placement's fields; StaleObject if ``expected_version`` is old.

    For a partial change, start from ``placement_data(placement)`` and ``dataclasses.replace``
    the changed fields. The closing date must be in the future only if it changes.
    """
    actor, placement = _placement_to_change(session, actor_id, placement_id)
    check_version("placement", placement.id, expected_version, placement.version_id)
    if placement.status not in EDITABLE:
        raise InvalidState(f"placement {placement.id} is {placement.status.value}: not editable")
    check_closing_date = data.closing_date != placement.closing_date
    valid = _validate(session, data, check_closing_date=check_closing_date, today=london_today())
    changed = _apply(session, placement, valid)
    if not changed:
        return placement
    # Relationship-only changes do not UPDATE the row; touching it bumps the version anyway.
    placement.updated_at = utcnow()
    flush_versioned(session, placement, "placement")
    audit.record(
        session,
        actor.id if actor else None,
        "placement.updated",
        "placement",
        placement.id,
        {"fields": changed},
    )
    if placement.status == PlacementStatus.OPEN:
        outbox.record_event(session, PLACEMENT_CHANGED, {"placement_id": placement.id})
    return placement


def _change_status(
    session: Session,
    actor: User | None,
    placement: Placement,
    action: str,
    expected_version: int | None,
    details: dict[str, object] | None = None,
) -> Placement:
    """Move the placement as ``action`` allows, stamp it, audit it and tell matching."""
    check_version("placement", placement.id, expected_version, placement.version_id)
    sources, target = STATUS_CHANGES[action]
    before = placement.status
    if before not in sources:
        raise InvalidState(f"placement {placement.id} is {before.value}: cannot {action}")
    now = utcnow()
    placement.status = target
    if target == PlacementStatus.OPEN:
        placement.published_at = placement.published_at or now
        placement.closed_at = None
    elif target == PlacementStatus.CLOSED:
        placement.closed_at = now
    elif target == PlacementStatus.FILLED:
        placement.filled_at = now
    elif target == PlacementStatus.WITHDRAWN:
        placement.withdrawn_at = now
    flush_versioned(session, placement, "placement")
    audit.record(
        session,
        actor.id if actor else None,
        f"placement.{action}",
        "placement",
        placement.id,
        {"status": {"from": before.value, "to": target.value}, **(details or {})},
    )
    if PlacementStatus.OPEN in (before, target):
        outbox.record_event(session, PLACEMENT_CHANGED, {"placement_id": placement.id})
    return placement


def publish(
    session: Session,
    actor_id: int | None,
    placement_id: int,
    *,
    expected_version: int | None = None,
) -> Placement:
    """Put a draft live: its organisation must be verified and every field valid."""
    actor, placement = _placement_to_change(session, actor_id, placement_id)
    require_live_organisation(placement.organisation)
    if placement.status in STATUS_CHANGES["publish"][0]:
        _validate(session, placement_data(placement), check_closing_date=True, today=london_today())
    return _change_status(session, actor, placement, "publish", expected_version)


def reopen(
    session: Session, actor_id: int, placement_id: int, *, expected_version: int | None = None
) -> Placement:
    """Open a closed placement again, while its closing date is still ahead."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id, lock=True)
    require_live_organisation(placement.organisation)
    if placement.status == PlacementStatus.CLOSED and placement.closing_date <= london_today():
        raise ValidationFailed({"closing_date": message("placement.closing_date.past")})
    return _change_status(session, actor, placement, "reopen", expected_version)


def require_live_organisation(organisation: Organisation) -> None:
    """InvalidState unless the organisation is verified: nothing it writes goes live before."""
    if organisation.status != VerificationStatus.VERIFIED:
        raise InvalidState(
            f"organisation {organisation.id} is not verified: "
            "a platform administrator verifies it before its placements and notes go live"
        )


def close(
    session: Session, actor_id: int, placement_id: int, *, expected_version: int | None = None
) -> Placement:
    """Stop taking interest in an open placement."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id, lock=True)
    return _change_status(session, actor, placement, "close", expected_version)


def mark_filled(
    session: Session, actor_id: int, placement_id: int, *, expected_version: int | None = None
) -> Placement:
    """Record that an open or closed placement has been filled."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id, lock=True)
    return _change_status(session, actor, placement, "mark_filled", expected_version)


def fill_when_full(session: Session, placement: Placement, interest_id: int) -> bool:
    """Mark a locked placement filled once its accepted interests reach its capacity.

    Called by the interest workflow in the transaction that accepts ``interest_id``; the audit
    entry has no actor, because the service did it, and names the acceptance that filled it.
    """
    if placement.status not in STATUS_CHANGES["mark_filled"][0]:
        return False
    accepted = session.scalar(
        select(func.count())
        .select_from(Interest)
        .where(Interest.placement_id == placement.id, Interest.status == InterestStatus.ACCEPTED)
    )
    if (accepted or 0) < placement.capacity:
        return False
    _change_status(
        session,
        None,
        placement,
        "mark_filled",
        None,
        {"because": "accepted interests reached capacity", "interest_id": interest_id},
    )
    return True


def withdraw(
    session: Session, actor_id: int, placement_id: int, *, expected_version: int | None = None
) -> Placement:
    """Withdraw an open or closed placement for good."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id, lock=True)
    return _change_status(session, actor, placement, "withdraw", expected_version)


def discard_draft(
    session: Session, actor_id: int, placement_id: int, *, expected_version: int | None = None
) -> None:
    """Delete a draft that will never be published; its audit entries remain."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id, lock=True)
    check_version("placement", placement.id, expected_version, placement.version_id)
    if placement.status != PlacementStatus.DRAFT:
        raise InvalidState(f"placement {placement.id} is {placement.status.value}, not a draft")
    audit.record(session, actor.id, "placement.discarded", "placement", placement.id, {})
    session.delete(placement)
    session.flush()


def unpublish_by_admin(
    session: Session, actor_id: int, placement_id: int, reason: str
) -> Placement:
    """Take an open or closed placement down as a platform administrator, saying why."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, "unpublish a placement")
    placement = load_placement(session, actor, placement_id, lock=True)
    reason = checked_reason(reason, message("placement.unpublish_reason.missing"), REASON_MAX)
    placement.unpublished_reason = reason
    # The reason is free text, so the audit log notes only that one was given.
    return _change_status(
        session, actor, placement, "unpublish", None, {"fields": ["unpublished_reason"]}
    )


# Read queries: data access for pages and API handlers; they never change anything.


@dataclass(frozen=True)
class PlacementSearch:
    """Filters for the public list of open placements; empty values do not filter."""

    theme: str | None = None
    kind: str | None = None
    organisation_kind: str | None = None
    region_code: str | None = None
    remote: bool | None = None
    text: str | None = None


_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Page(Generic[_Item]):
    """One page of an offset-paginated list and the total across all pages."""

    items: list[_Item]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CursorPage:
    """One page of a keyset-paginated list; ``next_cursor`` is None on the last page."""

    items: list[Placement]
    next_cursor: str | None


def page_size(limit: int) -> int:
    """``limit`` held between 1 and ``PAGE_SIZE_MAX``: how many items a page of a list holds."""
    return max(1, min(int(limit), PAGE_SIZE_MAX))


def _open_placements(search: PlacementSearch, today: date) -> Select[tuple[Placement]]:
    query = (
        select(Placement)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .where(
            Placement.status == PlacementStatus.OPEN,
            Placement.closing_date >= today,
            Organisation.status == VerificationStatus.VERIFIED,
        )
    )
    conditions: list[ColumnElement[bool]] = []
    if search.theme:
        conditions.append(Placement.themes.any(Theme.slug == search.theme))
    if search.kind:
        conditions.append(Placement.kind == _enum_or_validation(PlacementKind, "kind", search.kind))
    if search.organisation_kind:
        conditions.append(
            Organisation.kind
            == _enum_or_validation(OrganisationKind, "organisation_kind", search.organisation_kind)
        )
    if search.region_code:
        # A remote placement with no postcode is in its organisation's region.
        region = func.coalesce(Placement.region_code, Organisation.region_code)
        conditions.append(region == search.region_code)
    if search.remote is not None:
        conditions.append(Placement.remote_possible.is_(search.remote))
    for word in (search.text or "").split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Placement.title.ilike(pattern, escape="\\"),
                Placement.summary.ilike(pattern, escape="\\"),
                Placement.description.ilike(pattern, escape="\\"),
                Organisation.name.ilike(pattern, escape="\\"),
            )
        )
    return query.where(*conditions).options(
        selectinload(Placement.themes),
        selectinload(Placement.skills),
        selectinload(Placement.organisation),
    )


def _enum_or_validation(enum: type[_Kind], name: str, value: str) -> _Kind:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed({name: "Select a value from the list"}) from None


_NEWEST_FIRST = (Placement.published_at.desc(), Placement.id.desc())


def search_open_placements(
    session: Session, search: PlacementSearch, *, limit: int = PAGE_SIZE_DEFAULT, offset: int = 0
) -> Page[Placement]:
    """Open placements matching ``search``, newest first, one offset page at a time."""
    query = _open_placements(search, london_today())
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    limit, offset = page_size(limit), max(0, int(offset))
    items = list(session.scalars(query.order_by(*_NEWEST_FIRST).limit(limit).offset(offset)))
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


def encode_cursor(placement: Placement) -> str:
    """An opaque cursor that resumes the list after ``placement``."""
    assert placement.published_at is not None
    raw = json.dumps([placement.published_at.isoformat(), placement.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (published_at, id) a cursor resumes after; ValidationFailed if it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        published, placement_id = json.loads(raw)
        at = datetime.fromisoformat(published)
        if at.tzinfo is None or not isinstance(placement_id, int):
            raise ValueError(cursor)
        # A cursor is ours only if it names a row that could exist: an id in range, and a
        # moment that stays within the calendar in UTC (0001-01-01 at +14:00 does not).
        if not 1 <= placement_id <= ID_MAX:
            raise ValueError(cursor)
        at = at.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed({"cursor": "The page link is not valid"}) from None
    return at, placement_id


def search_open_placements_by_cursor(
    session: Session,
    search: PlacementSearch,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE_DEFAULT,
) -> CursorPage:
    """Open placements matching ``search`` by (published_at desc, id desc), after ``cursor``."""
    query = _open_placements(search, london_today())
    if cursor:
        published_at, placement_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Placement.published_at < published_at,
                and_(Placement.published_at == published_at, Placement.id < placement_id),
            )
        )
    limit = page_size(limit)
    rows = list(session.scalars(query.order_by(*_NEWEST_FIRST).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return CursorPage(items=items, next_cursor=next_cursor)


def list_organisation_placements(
    session: Session,
    actor_id: int,
    organisation_id: int,
    *,
    status: PlacementStatus | None = None,
    limit: int = PAGE_SIZE_DEFAULT,
    offset: int = 0,
) -> Page[Placement]:
    """An organisation's placements in every status (or one), for its members; newest first."""
    actor = load_actor(session, actor_id)
    _usable_organisation(session, organisation_id)
    require_member(session, actor, organisation_id)
    query = select(Placement).where(Placement.organisation_id == organisation_id)
    if status is not None:
        query = query.where(Placement.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    limit, offset = page_size(limit), max(0, int(offset))
    items = list(
        session.scalars(
            query.options(selectinload(Placement.themes), selectinload(Placement.skills))
            .order_by(Placement.updated_at.desc(), Placement.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


def get_placement(
    session: Session,
    viewer_id: int | None,
    placement_id: int,
    acting_for: int | None = None,
) -> Placement:
    """One placement as ``viewer_id`` (None when signed out) may see it; NotFound otherwise.

    Open placements are public; other statuses only to the organisation's members and platform
    administrators. ``acting_for`` narrows a member to the one organisation their token acts for.
    """
    viewer = load_actor(session, viewer_id) if viewer_id is not None else None
    return load_placement(session, viewer, placement_id, acting_for=acting_for)
