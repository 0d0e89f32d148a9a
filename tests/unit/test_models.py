"""Constraints live in the schema: the database itself refuses rows that break the rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import column, insert, table
from sqlalchemy.exc import IntegrityError

from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    DigestDelivery,
    Grade,
    Interest,
    Match,
    Membership,
    Organisation,
    Placement,
    User,
)

TODAY = date(2026, 11, 25)


def add_user(email: str = "someone@cabinetoffice.gov.uk", **values: Any) -> int:
    row = {
        "email": email,
        "password_hash": "argon2-hash",
        "role": "civil_servant",
        "display_name": "Someone",
        **values,
    }
    return db.session.execute(insert(User).values(**row).returning(User.id)).scalar_one()


def add_grades() -> None:
    db.session.execute(
        insert(Grade),
        [
            {"code": "EO", "name": "Executive Officer", "rank": 3},
            {"code": "HEO", "name": "Higher Executive Officer", "rank": 4},
            {"code": "G7", "name": "Grade 7", "rank": 6},
        ],
    )


def add_organisation(**values: Any) -> int:
    row = {"name": "Cumbria Constabulary", "kind": "police_force", **values}
    return db.session.execute(
        insert(Organisation).values(**row).returning(Organisation.id)
    ).scalar_one()


def placement_row(owner_id: int, **values: Any) -> dict[str, Any]:
    return {
        "organisation_id": owner_id,
        "title": "Rural access to services",
        "summary": "Help redesign how rural residents reach services.",
        "description": "A six-month secondment.",
        "kind": "secondment",
        "grade_min_rank": 3,
        "grade_max_rank": 6,
        "remote_possible": True,
        "start_date": TODAY + timedelta(days=60),
        "duration_weeks": 26,
        "hours": "full_time",
        "capacity": 1,
        "closing_date": TODAY + timedelta(days=30),
        "status": "draft",
        **values,
    }


def untyped_insert(model: type, values: dict[str, Any]):
    """An INSERT that skips SQLAlchemy's own enum checks, so only the database can refuse it."""
    columns = model.__table__.columns
    stamped = {
        name: "2026-11-25 09:00:00"
        for name in ("created_at", "updated_at")
        if name in columns and name not in values
    }
    row = {
        **{
            c.name: c.default.arg
            for c in columns
            if c.default is not None and not callable(c.default.arg)
        },
        **stamped,
        **values,
    }
    return insert(table(model.__tablename__, *(column(name) for name in row))).values(**row)


def refused(statement) -> bool:
    """Run ``statement`` in a savepoint; report whether the database refused it."""
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
    except IntegrityError:
        return True
    return False


def test_a_valid_placement_is_accepted(app):
    add_grades()
    organisation_id = add_organisation()

    assert not refused(insert(Placement).values(**placement_row(organisation_id)))


@pytest.mark.parametrize(
    "broken",
    [
        {"grade_min_rank": 6, "grade_max_rank": 3},
        {"capacity": 0},
        {"duration_weeks": 0},
        {"start_date": TODAY + timedelta(days=10)},
        {"remote_possible": False, "location_postcode": None},
        {"easting": 350000.0, "northing": None},
        {"status": "open", "published_at": None},
        {"grade_max_rank": 99},
        {"organisation_id": 999_999},
    ],
    ids=lambda broken: ",".join(broken),
)
def test_placement_rules_are_enforced_by_the_database(app, broken: dict[str, Any]):
    add_grades()
    organisation_id = add_organisation()

    assert refused(insert(Placement).values(**placement_row(organisation_id, **broken)))


@pytest.mark.parametrize("broken", [{"kind": "internship"}, {"status": "archived"}])
def test_placement_enumerations_are_enforced_by_the_database(app, broken: dict[str, Any]):
    add_grades()
    organisation_id = add_organisation()

    assert not refused(untyped_insert(Placement, placement_row(organisation_id)))
    assert refused(untyped_insert(Placement, placement_row(organisation_id, **broken)))


def test_user_email_is_unique_and_lowercase(app):
    add_user("someone@cabinetoffice.gov.uk")

    assert refused(
        insert(User).values(
            email="someone@cabinetoffice.gov.uk",
            password_hash="x",
            role="civil_servant",
            display_name="Twin",
        )
    )
    assert refused(
        insert(User).values(
            email="Other@CabinetOffice.gov.uk",
            password_hash="x",
            role="civil_servant",
            display_name="Shouty",
        )
    )
    assert refused(
        untyped_insert(
            User,
            {
                "email": "x@cabinetoffice.gov.uk",
                "password_hash": "x",
                "role": "superuser",
                "display_name": "X",
            },
        )
    )


def test_profile_rules_are_enforced_by_the_database(app):
    user_id = add_user()

    assert refused(insert(CivilServantProfile).values(user_id=user_id, travel_limit_km=-1))
    assert refused(
        insert(CivilServantProfile).values(
            user_id=user_id, available_from=TODAY, available_until=TODAY - timedelta(days=1)
        )
    )
    assert refused(
        untyped_insert(CivilServantProfile, {"user_id": user_id, "digest_frequency": "hourly"})
    )
    assert not refused(insert(CivilServantProfile).values(user_id=user_id))


def test_councils_need_an_ons_code_and_verification_needs_a_timestamp(app):
    assert refused(insert(Organisation).values(name="Somewhere Council", kind="council"))
    assert refused(
        insert(Organisation).values(
            name="Unverified Partnership", kind="regional_partnership", status="verified"
        )
    )
    assert not refused(
        insert(Organisation).values(
            name="Cumbria County Council", kind="council", ons_code="E10000006"
        )
    )


def test_one_membership_per_person_and_organisation(app):
    user_id = add_user(role="organisation_member")
    organisation_id = add_organisation()
    db.session.execute(insert(Membership).values(user_id=user_id, organisation_id=organisation_id))

    assert refused(insert(Membership).values(user_id=user_id, organisation_id=organisation_id))


def test_one_match_and_one_interest_per_person_and_placement(app):
    add_grades()
    person_id = add_user()
    placement_id = db.session.execute(
        insert(Placement).values(**placement_row(add_organisation())).returning(Placement.id)
    ).scalar_one()
    match = {
        "person_id": person_id,
        "placement_id": placement_id,
        "score": 0.5,
        "rank": 1,
        "reasons": [],
        "engine_version": "test",
    }
    db.session.execute(insert(Match).values(**match))
    db.session.execute(insert(Interest).values(person_id=person_id, placement_id=placement_id))

    assert refused(insert(Match).values(**match))
    assert refused(
        insert(Match).values(**{**match, "person_id": add_user("b@dwp.gov.uk"), "rank": 0})
    )
    assert refused(insert(Interest).values(person_id=person_id, placement_id=placement_id))


def test_one_digest_per_recipient_kind_and_period(app):
    recipient_id = add_user()
    delivery = {"recipient_id": recipient_id, "kind": "weekly", "period": "2026-W48"}
    db.session.execute(insert(DigestDelivery).values(**delivery))

    assert refused(insert(DigestDelivery).values(**delivery))
    assert refused(
        insert(DigestDelivery).values(
            recipient_id=recipient_id, kind="weekly", period="2026-W49", status="sent"
        )
    )
    assert not refused(
        insert(DigestDelivery).values(recipient_id=recipient_id, kind="daily", period="2026-11-25")
    )
