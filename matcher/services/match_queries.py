"""Read-only queries for the matches and interests pages; they never change anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from matcher.clock import london_today
from matcher.models import (
    CivilServantProfile,
    Department,
    Dismissal,
    Grade,
    Interest,
    InterestInvitation,
    InterestStatus,
    Match,
    MatchRun,
    MatchRunStatus,
    Organisation,
    Placement,
    PlacementKind,
    PlacementStatus,
    Profession,
    Skill,
    Theme,
    User,
)
from matcher.models.users import profile_skills, profile_themes
from matcher.reasons import MatchFacts
from matcher.services.access import load_actor, load_placement_for_member, membership_of
from matcher.services.errors import NotFound
from matcher.services.practice_notes import NoteCitation, published_notes_for_placements


@dataclass(frozen=True)
class MatchedPlacement:
    """What a list of matches shows of a placement."""

    id: int
    title: str
    summary: str
    kind: PlacementKind
    closing_date: date
    organisation_name: str
    start_date: date
    remote_possible: bool
    organisation_kind: str


@dataclass(frozen=True)
class MatchRow:
    """One stored match: its placement, rank, score, reasons, the published practice notes
    linked to its placement (said after the reasons: "Work alongside ...") and the person's
    interest."""

    placement: MatchedPlacement
    rank: int
    score: float
    reasons: list[dict[str, Any]]
    facts: MatchFacts
    practice: tuple[NoteCitation, ...]
    interest: tuple[int, InterestStatus] | None


@dataclass(frozen=True)
class MatchPage:
    """One page of a person's matches, best first, and how many there are in all."""

    items: list[MatchRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class ProfileSummary:
    """What an organisation may read of a person's profile: never their name or contact."""

    grade: str | None
    department: str | None
    profession: str | None
    themes: tuple[str, ...]
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    """A discoverable person the engine matched with a placement, who has not responded.

    Organisations are promised they cannot see a person's name until the person says they are
    interested, so a recommendation carries an id to invite them by and their profile summary.
    """

    match: Match
    person_id: int
    profile: ProfileSummary
    facts: MatchFacts
    invited: bool


@dataclass(frozen=True)
class InterestedPerson:
    """Who expressed an interest, as the placement's organisation sees them: name and email too."""

    name: str
    email: str
    profile: ProfileSummary
    about: str


def _open_matches(person_id: int) -> Any:
    today = london_today()
    dismissed = select(Dismissal.placement_id).where(Dismissal.person_id == person_id)
    return (
        select(Match, Placement)
        .join(Placement, Placement.id == Match.placement_id)
        .where(
            Match.person_id == person_id,
            Placement.status == PlacementStatus.OPEN,
            Placement.closing_date >= today,
            Match.placement_id.not_in(dismissed),
        )
    )


def matches_for_person(session: Session, person_id: int, *, page: int, per_page: int) -> MatchPage:
    """The person's stored matches with open placements, best first, one page at a time.

    One statement for the matches, one for the kinds of organisation the person has worked
    with and one for the practice notes the page's placements cite: the API serves this on
    every request, so the total comes from a window count and the organisation, the profile and
    the person's interest are joined rather than fetched after.
    """
    today = london_today()
    interest = aliased(Interest)
    # Plain columns, not ORM objects: this is the API's busiest read and the page's too.
    rows = session.execute(
        _open_matches(person_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .join(CivilServantProfile, CivilServantProfile.user_id == Match.person_id)
        .outerjoin(
            interest,
            (interest.person_id == person_id) & (interest.placement_id == Placement.id),
        )
        .with_only_columns(
            Match.rank,
            Match.score,
            Match.reasons,
            CivilServantProfile.available_from,
            CivilServantProfile.remote_ok,
            Placement.id.label("placement_id"),
            Placement.title,
            Placement.summary,
            Placement.kind,
            Placement.closing_date,
            Organisation.name,
            Placement.start_date,
            Placement.remote_possible,
            Organisation.kind,
            interest.id,
            interest.status,
            func.count().over(),
        )
        .order_by(Match.rank, Match.placement_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = rows[0][-1]
    else:
        # Past the last page the window has nothing to count over.
        counted = select(func.count()).select_from(_open_matches(person_id).subquery())
        total = session.scalar(counted) or 0
    worked_with = organisation_kinds_worked_with(session, [person_id]) if rows else {}
    cited = published_notes_for_placements(session, [row.placement_id for row in rows])
    items = []
    for rank, score, reasons, available_from, remote_ok, *columns, interest_id, status, _ in rows:
        placement = MatchedPlacement(*columns)
        facts = MatchFacts(
            today=today,
            start_date=placement.start_date,
            available_from=available_from,
            remote=placement.remote_possible and remote_ok,
            organisation_kind=placement.organisation_kind,
            worked_with=worked_with[person_id],
        )
        items.append(
            MatchRow(
                placement=placement,
                rank=rank,
                score=score,
                reasons=reasons or [],
                facts=facts,
                practice=tuple(cited.get(placement.id, ())),
                interest=(interest_id, status) if interest_id else None,
            )
        )
    return MatchPage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
    )


def in_match_order(session: Session, person_id: int, placement_ids: Iterable[int]) -> list[int]:
    """Those of ``placement_ids`` the person has a stored match with, best match first.

    An allocation round pre-fills a participant's choices with it: the round's places in the
    order the engine ranks them for the person, not-for-me placements left out.
    """
    dismissed = select(Dismissal.placement_id).where(Dismissal.person_id == person_id)
    return list(
        session.scalars(
            select(Match.placement_id)
            .where(
                Match.person_id == person_id,
                Match.placement_id.in_(list(placement_ids)),
                Match.placement_id.not_in(dismissed),
            )
            .order_by(Match.rank, Match.placement_id)
        )
    )


def matched_since(session: Session, profile: CivilServantProfile) -> bool:
    """Whether a full matching run was published after the profile was last saved."""
    published = session.scalar(
        select(func.max(MatchRun.published_at)).where(
            MatchRun.status.in_([MatchRunStatus.PUBLISHED, MatchRunStatus.SUPERSEDED])
        )
    )
    return published is not None and published >= profile.updated_at


def profile_summaries(session: Session, person_ids: Iterable[int]) -> dict[int, ProfileSummary]:
    """The profile summaries of some people by id, in three queries whatever their number."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(CivilServantProfile.user_id, Grade.name, Department.name, Profession.name)
        .outerjoin(Grade, Grade.rank == CivilServantProfile.grade_rank)
        .outerjoin(Department, Department.id == CivilServantProfile.department_id)
        .outerjoin(Profession, Profession.id == CivilServantProfile.profession_id)
        .where(CivilServantProfile.user_id.in_(ids))
    ).all()
    themes: dict[int, list[str]] = {person_id: [] for person_id in ids}
    for person_id, name in session.execute(
        select(profile_themes.c.user_id, Theme.name)
        .join(Theme, Theme.id == profile_themes.c.theme_id)
        .where(profile_themes.c.user_id.in_(ids))
        .order_by(Theme.name)
    ):
        themes[person_id].append(name)
    skills: dict[int, list[str]] = {person_id: [] for person_id in ids}
    for person_id, name in session.execute(
        select(profile_skills.c.user_id, Skill.name)
        .join(Skill, Skill.id == profile_skills.c.skill_id)
        .where(profile_skills.c.user_id.in_(ids))
        .order_by(Skill.name)
    ):
        skills[person_id].append(name)
    return {
        person_id: ProfileSummary(
            grade=grade,
            department=department,
            profession=profession,
            themes=tuple(themes[person_id]),
            skills=tuple(skills[person_id]),
        )
        for person_id, grade, department, profession in rows
    }


def interested_person(session: Session, actor_id: int, interest_id: int) -> InterestedPerson:
    """The person behind an interest, for a member of the placement's organisation.

    They said they are interested, so the organisation may now see their name, email address
    and "about". NotFound for anyone not on the organisation's side of the interest.
    """
    actor = load_actor(session, actor_id)
    interest = session.get(Interest, interest_id)
    placement = session.get(Placement, interest.placement_id) if interest else None
    if (
        interest is None
        or placement is None
        or membership_of(session, actor.id, placement.organisation_id) is None
    ):
        raise NotFound(f"interest {interest_id} does not exist")
    person = session.get(User, interest.person_id)
    assert person is not None
    profile = session.get(CivilServantProfile, person.id)
    empty = ProfileSummary(None, None, None, (), ())
    return InterestedPerson(
        name=person.display_name,
        email=person.email,
        profile=profile_summaries(session, [person.id]).get(person.id, empty),
        about=profile.about if profile else "",
    )


@dataclass(frozen=True)
class Standing:
    """Where a civil servant stands with one placement: their interest, "not for me", invited."""

    interest: tuple[int, InterestStatus] | None
    dismissed: bool
    invited: bool


def standing_with(session: Session, person_id: int, placement_id: int) -> Standing:
    """The person's interest in, "not for me" of and invitation to a placement they can see."""
    interest = session.execute(
        select(Interest.id, Interest.status).where(
            Interest.person_id == person_id, Interest.placement_id == placement_id
        )
    ).one_or_none()
    return Standing(
        interest=(interest[0], interest[1]) if interest else None,
        dismissed=session.get(Dismissal, (person_id, placement_id)) is not None,
        invited=session.scalar(
            select(InterestInvitation.id).where(
                InterestInvitation.person_id == person_id,
                InterestInvitation.placement_id == placement_id,
            )
        )
        is not None,
    )


@dataclass(frozen=True)
class Contact:
    """Whom a person who accepted an offer should contact at the organisation."""

    name: str
    email: str
    organisation: str


def offer_contact(session: Session, actor_id: int, interest_id: int) -> Contact | None:
    """The officer who made the offer the actor accepted (or, if they have left, whoever posted
    the placement); None until the actor has accepted. NotFound unless it is the actor's own."""
    actor = load_actor(session, actor_id)
    interest = session.get(Interest, interest_id)
    if interest is None or interest.person_id != actor.id:
        raise NotFound(f"interest {interest_id} does not exist")
    if interest.status != InterestStatus.ACCEPTED:
        return None
    placement = session.get(Placement, interest.placement_id)
    assert placement is not None
    for user_id in (interest.offered_by_id, placement.created_by_id):
        officer = session.get(User, user_id) if user_id is not None else None
        if officer is not None:
            return Contact(officer.display_name, officer.email, placement.organisation.name)
    return None


def recommended_people(
    session: Session, actor_id: int, placement_id: int, *, limit: int = 20, offset: int = 0
) -> list[Recommendation]:
    """Discoverable people matched with the member's placement who have not responded; best first.

    People who said "not for me" or who already have an interest in the placement are left out.
    Pages and the API both show recommendations through this function, so neither can show a
    name or contact: a recommendation has neither. Only an open placement has any: nobody
    can be invited to one that is closed or filled. NotFound or NotPermitted as
    ``load_placement_for_member`` decides.
    """
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id)
    if placement.status != PlacementStatus.OPEN:
        return []
    responded = select(Interest.person_id).where(Interest.placement_id == placement.id)
    dismissed = select(Dismissal.person_id).where(Dismissal.placement_id == placement.id)
    rows = session.scalars(
        select(Match)
        .join(CivilServantProfile, CivilServantProfile.user_id == Match.person_id)
        .where(
            Match.placement_id == placement.id,
            CivilServantProfile.discoverable.is_(True),
            Match.person_id.not_in(responded),
            Match.person_id.not_in(dismissed),
        )
        .order_by(Match.score.desc(), Match.person_id)
        .limit(limit)
        .offset(offset)
    ).all()
    invited = set(
        session.scalars(
            select(InterestInvitation.person_id).where(
                InterestInvitation.placement_id == placement.id
            )
        )
    )
    if not rows:
        return []
    person_ids = [match.person_id for match in rows]
    summaries = profile_summaries(session, person_ids)
    worked_with = organisation_kinds_worked_with(session, person_ids)
    availability = {
        person_id: (available_from, remote_ok)
        for person_id, available_from, remote_ok in session.execute(
            select(
                CivilServantProfile.user_id,
                CivilServantProfile.available_from,
                CivilServantProfile.remote_ok,
            ).where(CivilServantProfile.user_id.in_(person_ids))
        )
    }
    today = london_today()
    recommendations = []
    for match in rows:
        available_from, remote_ok = availability[match.person_id]
        facts = MatchFacts(
            today=today,
            start_date=placement.start_date,
            available_from=available_from,
            remote=placement.remote_possible and remote_ok,
            organisation_kind=placement.organisation.kind,
            worked_with=worked_with[match.person_id],
        )
        recommendations.append(
            Recommendation(
                match=match,
                person_id=match.person_id,
                profile=summaries[match.person_id],
                facts=facts,
                invited=match.person_id in invited,
            )
        )
    return recommendations


def organisation_kinds_worked_with(
    session: Session, person_ids: Iterable[int]
) -> dict[int, frozenset[str]]:
    """The kinds of organisation each person has accepted a placement with, in one query."""
    ids = set(person_ids)
    kinds: dict[int, set[str]] = {person_id: set() for person_id in ids}
    if ids:
        for person_id, kind in session.execute(
            select(Interest.person_id, Organisation.kind)
            .distinct()
            .join(Placement, Placement.id == Interest.placement_id)
            .join(Organisation, Organisation.id == Placement.organisation_id)
            .where(Interest.person_id.in_(ids), Interest.status == InterestStatus.ACCEPTED)
        ):
            kinds[person_id].add(kind)
    return {person_id: frozenset(found) for person_id, found in kinds.items()}


def taxonomy_names(
    session: Session, reason_lists: Iterable[list[dict[str, Any]] | None]
) -> tuple[dict[int, str], dict[int, str]]:
    """The theme and skill names some matches' stored reasons mention, by id."""
    theme_ids: set[int] = set()
    skill_ids: set[int] = set()
    for reasons in reason_lists:
        for reason in reasons or []:
            evidence = reason.get("evidence") or {}
            theme_ids.update(evidence.get("shared_theme_ids", ()))
            skill_ids.update(evidence.get("shared_skill_ids", ()))
    themes: dict[int, str] = {}
    skills: dict[int, str] = {}
    if not theme_ids and not skill_ids:
        return themes, skills
    rows = session.execute(
        union_all(
            select(literal("theme"), Theme.id, Theme.name).where(Theme.id.in_(theme_ids)),
            select(literal("skill"), Skill.id, Skill.name).where(Skill.id.in_(skill_ids)),
        )
    )
    for kind, term_id, name in rows:
        (themes if kind == "theme" else skills)[term_id] = name
    return themes, skills


def names_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of users by id, for history rows."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    # .all(): a Result has keys(), so dict() would read it as a mapping of column names.
    return dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all()
    )
