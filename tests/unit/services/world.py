"""A small world for service tests: two verified organisations, their members and people."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.models import (
    CivilServantProfile,
    Interest,
    InterestStatus,
    MembershipRole,
    Organisation,
    Placement,
    PracticeNote,
    Role,
    Skill,
    Theme,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.reference.loader import load_reference_data
from matcher.services import interests, placements, practice_notes
from matcher.services.placements import PlacementData
from matcher.services.practice_notes import NoteData
from tests import builders


@dataclass
class World:
    """Organisation A (admin, member), B (admin), two civil servants and a platform admin."""

    platform_admin: User
    org_a: Organisation
    admin_a: User
    member_a: User
    org_b: Organisation
    admin_b: User
    person: User
    other_person: User
    theme_ids: list[int]
    skill_ids: list[int]


def verified_organisation(session: Session, **fields: Any) -> Organisation:
    """A verified organisation with an email domain."""
    values: dict[str, Any] = {"status": VerificationStatus.VERIFIED, "verified_at": utcnow()}
    values.update(fields)
    return builders.organisation(session, **values)


def civil_servant(session: Session, *, discoverable: bool = True) -> User:
    """A civil servant with a profile."""
    person = builders.user(session, role=Role.CIVIL_SERVANT)
    session.add(CivilServantProfile(user_id=person.id, discoverable=discoverable))
    session.flush()
    return person


def build_world(session: Session) -> World:
    """Load the reference data and make the world; committed, so other sessions see it."""
    load_reference_data(session)
    org_a = verified_organisation(session, email_domain="a-police.example.gov.uk")
    org_b = verified_organisation(session, email_domain="b-police.example.gov.uk")
    admin_a = builders.user(
        session, role=Role.ORGANISATION_MEMBER, email="admin@a-police.example.gov.uk"
    )
    member_a = builders.user(
        session, role=Role.ORGANISATION_MEMBER, email="member@a-police.example.gov.uk"
    )
    admin_b = builders.user(
        session, role=Role.ORGANISATION_MEMBER, email="admin@b-police.example.gov.uk"
    )
    builders.membership(session, admin_a, org_a, MembershipRole.ADMIN)
    builders.membership(session, member_a, org_a)
    builders.membership(session, admin_b, org_b, MembershipRole.ADMIN)
    world = World(
        platform_admin=builders.user(session, role=Role.ADMINISTRATOR),
        org_a=org_a,
        admin_a=admin_a,
        member_a=member_a,
        org_b=org_b,
        admin_b=admin_b,
        person=civil_servant(session),
        other_person=civil_servant(session),
        theme_ids=list(session.scalars(select(Theme.id).order_by(Theme.id).limit(2))),
        skill_ids=list(session.scalars(select(Skill.id).order_by(Skill.id).limit(2))),
    )
    session.commit()
    return world


def valid_data(world: World, **changes: Any) -> PlacementData:
    """Placement input that passes every rule."""
    today = london_today()
    data = PlacementData(
        title="Rural transport secondment",
        summary="Help a county council redesign its demand-responsive buses.",
        description="Six months with the transport team, working with parish councils.",
        kind="secondment",
        theme_ids=tuple(world.theme_ids[:1]),
        skill_ids=tuple(world.skill_ids[:1]),
        grade_min="EO",
        grade_max="G7",
        remote_possible=False,
        location_postcode="LS1 1UR",
        start_date=today + timedelta(days=60),
        duration_weeks=26,
        hours="full_time",
        capacity=1,
        closing_date=today + timedelta(days=30),
    )
    return replace(data, **changes)


def draft(
    session: Session, world: World, *, member: User | None = None, **changes: Any
) -> Placement:
    """A draft placement of the member's organisation (organisation A by default)."""
    member = member or world.member_a
    organisation_id = world.org_b.id if member is world.admin_b else world.org_a.id
    return placements.create_draft(
        session, member.id, organisation_id, valid_data(world, **changes)
    )


def open_placement(
    session: Session, world: World, *, member: User | None = None, **changes: Any
) -> Placement:
    """A published placement (organisation A's by default)."""
    placement = draft(session, world, member=member, **changes)
    return placements.publish(session, (member or world.member_a).id, placement.id)


# The route from nothing to each status: (action, actor attribute on World).
PATHS: dict[InterestStatus, list[str]] = {
    InterestStatus.INTERESTED: [],
    InterestStatus.SHORTLISTED: ["shortlist"],
    InterestStatus.OFFERED: ["shortlist", "offer"],
    InterestStatus.ACCEPTED: ["shortlist", "offer", "accept"],
    InterestStatus.DECLINED: ["shortlist", "offer", "decline"],
    InterestStatus.WITHDRAWN: ["withdraw"],
    InterestStatus.REJECTED: ["reject"],
}


def interest_in(
    session: Session, world: World, placement: Placement, status: InterestStatus
) -> Interest:
    """The world's person's interest in ``placement``, walked to ``status`` through the services."""
    interest = interests.express_interest(session, world.person.id, placement.id)
    for action in PATHS[status]:
        side = interests.ACTION_SIDE[interests.Action(action)]
        actor = world.person if side == interests.Side.PERSON else world.member_a
        interests.transition(session, actor.id, interest.id, interests.Action(action))
    assert interest.status == status
    return interest


def note_data(world: World, **changes: Any) -> NoteData:
    """Practice-note input of organisation A that passes every rule for publishing."""
    data = NoteData(
        title="Mobile library hubs",
        problem="Villages lost their banks, post offices and bus routes.",
        what_changed="Library vans now carry council, benefits and NHS advice desks.",
        evidence="Visits doubled in a year; 1,200 benefit claims started on board.",
        evidence_links=(("https://www.example.gov.uk/hubs-evaluation", "Evaluation report"),),
        theme_ids=tuple(world.theme_ids[:1]),
        region_code="E12000002",
        contact_user_id=world.member_a.id,
    )
    return replace(data, **changes)


def published_note(session: Session, world: World, **changes: Any) -> PracticeNote:
    """Organisation A's practice note, written by its member and published through the
    services; committed, so other sessions see it."""
    note = practice_notes.create_draft(
        session, world.member_a.id, world.org_a.id, note_data(world, **changes)
    )
    practice_notes.publish(session, world.member_a.id, note.id)
    session.commit()
    return note
