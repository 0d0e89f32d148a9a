"""Every mutating route of matches, candidates and administration against every kind of user.

Roles: signed out, the civil servant the interest belongs to (self), another civil servant, a
member of the organisation that owns the placement, a member of another organisation, and a
platform administrator. Denied users run first and must change nothing; then the allowed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    Dismissal,
    Interest,
    InterestInvitation,
    InterestStatus,
    Organisation,
    Placement,
    PlacementStatus,
    Skill,
    Theme,
    VerificationStatus,
)
from tests import builders
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.unit.web.matches_world import browser_of, complete_profile, confirm_everyone

ROLES = ("signed_out", "self", "other_person", "owner_member", "other_org", "platform_admin")
SIGN_IN = 302


@dataclass
class Case:
    """A route, how to set up its object, what each role gets, and how to see it happened."""

    name: str
    setup: Callable[[World], dict[str, Any]]
    url: str
    expected: dict[str, int]
    happened: Callable[[dict[str, Any]], bool]
    data: dict[str, str] | None = None


def _user(world: World, role: str) -> Any:
    return {
        "signed_out": None,
        "self": world.person,
        "other_person": world.other_person,
        "owner_member": world.member_a,
        "other_org": world.admin_b,
        "platform_admin": world.platform_admin,
    }[role]


def _placement(world: World) -> dict[str, Any]:
    return {"placement": open_placement(db.session, world)}


def _interest(status: InterestStatus) -> Callable[[World], dict[str, Any]]:
    def setup(world: World) -> dict[str, Any]:
        placement = open_placement(db.session, world)
        return {
            "placement": placement,
            "interest": interest_in(db.session, world, placement, status),
        }

    return setup


def _status(objects: dict[str, Any], status: InterestStatus) -> bool:
    db.session.refresh(objects["interest"])
    return objects["interest"].status == status


def _proposed(world: World) -> dict[str, Any]:
    return {"organisation": builders.organisation(db.session, name="Proposed body")}


def _theme(world: World) -> dict[str, Any]:
    return {"theme": db.session.scalars(select(Theme).order_by(Theme.id)).first()}


PERSON_ONLY = {
    "signed_out": SIGN_IN,
    "self": 302,
    "other_person": 404,
    "owner_member": 403,
    "other_org": 404,
    "platform_admin": 404,
}
ORGANISATION_ONLY = {
    "signed_out": SIGN_IN,
    "self": 403,
    "other_person": 404,
    "owner_member": 302,
    "other_org": 404,
    "platform_admin": 404,
}
CIVIL_SERVANTS = {
    "signed_out": SIGN_IN,
    "self": 302,
    "other_person": 302,
    "owner_member": 403,
    "other_org": 403,
    "platform_admin": 403,
}
ADMIN_ONLY = {role: 403 for role in ROLES} | {"signed_out": SIGN_IN, "platform_admin": 302}


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


CASES = [
    Case(
        "express interest",
        _placement,
        "/matches/{placement.id}/interested",
        CIVIL_SERVANTS,
        lambda o: _count(Interest, Interest.placement_id == o["placement"].id) == 2,
    ),
    Case(
        "not for me",
        _placement,
        "/matches/{placement.id}/not-for-me",
        CIVIL_SERVANTS,
        lambda o: _count(Dismissal, Dismissal.placement_id == o["placement"].id) == 2,
    ),
    Case(
        "withdraw",
        _interest(InterestStatus.INTERESTED),
        "/interests/{interest.id}/withdraw",
        PERSON_ONLY,
        lambda o: _status(o, InterestStatus.WITHDRAWN),
    ),
    Case(
        "accept",
        _interest(InterestStatus.OFFERED),
        "/interests/{interest.id}/accept",
        PERSON_ONLY,
        lambda o: _status(o, InterestStatus.ACCEPTED),
    ),
    Case(
        "decline",
        _interest(InterestStatus.OFFERED),
        "/interests/{interest.id}/decline",
        PERSON_ONLY,
        lambda o: _status(o, InterestStatus.DECLINED),
    ),
    Case(
        "shortlist",
        _interest(InterestStatus.INTERESTED),
        "/placements/{placement.id}/interests/{interest.id}/shortlist",
        ORGANISATION_ONLY,
        lambda o: _status(o, InterestStatus.SHORTLISTED),
    ),
    Case(
        "offer",
        _interest(InterestStatus.SHORTLISTED),
        "/placements/{placement.id}/interests/{interest.id}/offer",
        ORGANISATION_ONLY,
        lambda o: _status(o, InterestStatus.OFFERED),
        data={"message": "Start on 1 March; call me on 0113 000 0000 with questions."},
    ),
    Case(
        "reject",
        _interest(InterestStatus.INTERESTED),
        "/placements/{placement.id}/interests/{interest.id}/reject",
        ORGANISATION_ONLY,
        lambda o: _status(o, InterestStatus.REJECTED),
    ),
    Case(
        "invite",
        _placement,
        "/placements/{placement.id}/recommended/{person_id}/invite",
        {
            "signed_out": SIGN_IN,
            "self": 403,
            "other_person": 403,
            "owner_member": 302,
            "other_org": 403,
            "platform_admin": 403,
        },
        lambda o: _count(InterestInvitation) == 1,
    ),
    Case(
        "verify organisation",
        _proposed,
        "/admin/organisations/{organisation.id}/verify",
        ADMIN_ONLY,
        lambda o: (
            db.session.get(Organisation, o["organisation"].id).status == VerificationStatus.VERIFIED
        ),
    ),
    Case(
        "reject organisation",
        _proposed,
        "/admin/organisations/{organisation.id}/reject",
        ADMIN_ONLY,
        lambda o: (
            db.session.get(Organisation, o["organisation"].id).status == VerificationStatus.REJECTED
        ),
    ),
    Case(
        "unpublish placement",
        _placement,
        "/admin/placements/{placement.id}/unpublish",
        ADMIN_ONLY,
        lambda o: db.session.get(Placement, o["placement"].id).status != PlacementStatus.OPEN,
        {"reason": "Not a placement."},
    ),
    Case(
        "add theme",
        _theme,
        "/admin/themes",
        ADMIN_ONLY,
        lambda o: _count(Theme, Theme.name == "Brand new theme") == 1,
        {"name": "Brand new theme"},
    ),
    Case(
        "rename theme",
        _theme,
        "/admin/themes/{theme.id}/rename",
        ADMIN_ONLY,
        lambda o: _count(Theme, Theme.name == "Renamed theme") == 1,
        {"name": "Renamed theme"},
    ),
    Case(
        "deactivate skill",
        lambda world: {"skill": db.session.scalars(select(Skill).order_by(Skill.id)).first()},
        "/admin/skills/{skill.id}/deactivate",
        ADMIN_ONLY,
        lambda o: _count(AuditEntry, AuditEntry.action == "skill.deactivated") == 1,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_role_is_allowed_or_denied(app: Flask, case: Case):
    # CSRF is covered by the page tests; here every request is a fresh, well-formed one.
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world(db.session)
    confirm_everyone()
    complete_profile(world.other_person)
    objects = case.setup(world)
    db.session.commit()
    url = case.url.format(person_id=world.other_person.id, **objects)
    order = sorted(ROLES, key=lambda role: case.expected[role] == 302 and role != "signed_out")

    for number, role in enumerate(order):
        allowed = case.expected[role] == 302 and role != "signed_out"
        if not allowed:
            assert not case.happened(objects), f"changed before {role} tried"
        data = {"submission": f"{case.name}-{number}", **(case.data or {})}
        response = browser_of(app, _user(world, role)).post(url, data=data)
        assert response.status_code == case.expected[role], role
        if role == "signed_out":
            assert "/sign-in" in response.headers["Location"]
        db.session.rollback()
    assert case.happened(objects)
