"""A small world for digest tests: one verified organisation, an open placement, matched people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matcher.models import (
    CivilServantProfile,
    DigestFrequency,
    Grade,
    Match,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementKind,
    PlacementStatus,
    Role,
    Theme,
    User,
    VerificationStatus,
    utcnow,
)

REASONS = [
    {"component": "themes", "contribution": 0.5, "evidence": {"shared_theme_ids": [1]}},
    {"component": "distance", "contribution": 0.2, "evidence": {"distance_km": 18.2}},
]


@dataclass
class DigestWorld:
    """Ids of what was made."""

    organisation_id: int
    placement_id: int
    member_id: int
    people: list[int]


def build(
    session: Session,
    people: int,
    *,
    today: date,
    frequency: DigestFrequency = DigestFrequency.WEEKLY,
) -> DigestWorld:
    """``people`` confirmed civil servants, each matched to one open placement; committed."""
    now = utcnow()
    session.add(Grade(code="HEO", name="Higher Executive Officer", rank=4))
    session.add(Theme(id=1, slug="social-care", name="social care"))
    organisation = Organisation(
        name="Cumbria County Council",
        kind=OrganisationKind.OTHER_PUBLIC_BODY,
        status=VerificationStatus.VERIFIED,
        verified_at=now,
    )
    session.add(organisation)
    session.flush()
    placement = Placement(
        organisation_id=organisation.id,
        title="Rural access to care",
        summary="Help redesign care visits",
        description="A secondment into adult social care.",
        kind=PlacementKind.SECONDMENT,
        grade_min_rank=4,
        grade_max_rank=4,
        remote_possible=True,
        start_date=today + timedelta(days=60),
        duration_weeks=12,
        hours="full_time",
        closing_date=today + timedelta(days=30),
        status=PlacementStatus.OPEN,
        published_at=now,
    )
    member = User(
        email="officer@cumbria.gov.uk",
        password_hash="x",
        role=Role.ORGANISATION_MEMBER,
        display_name="Officer",
        email_confirmed_at=now,
    )
    session.add_all([placement, member])
    session.flush()
    session.add(
        Membership(user_id=member.id, organisation_id=organisation.id, role=MembershipRole.ADMIN)
    )
    rows = [
        {
            "email": f"person{i}@example.gov.uk",
            "password_hash": "x",
            "role": Role.CIVIL_SERVANT.value,
            "display_name": f"Person {i}",
            "email_confirmed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(people)
    ]
    ids = list(session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    session.execute(
        insert(CivilServantProfile),
        [
            {
                "user_id": i,
                "grade_rank": 4,
                "digest_frequency": frequency.value,
                "discoverable": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Match),
        [
            {
                "person_id": i,
                "placement_id": placement.id,
                "score": 0.7,
                "rank": 1,
                "reasons": REASONS,
                "engine_version": "test",
                "computed_at": now,
            }
            for i in ids
        ],
    )
    session.commit()
    return DigestWorld(organisation.id, placement.id, member.id, ids)
