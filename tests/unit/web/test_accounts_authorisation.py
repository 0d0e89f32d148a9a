"""Every mutating route of accounts, profile and digest preferences against every kind of user.

Roles: signed out, a civil servant (self), another civil servant, an organisation member and a
platform administrator. A route either acts on the signed-in user's own account ("actor"), on
the account a link's token names ("self", whoever follows it), or on no existing account. After
each request every account in the world is compared with before: only the expected one changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from matcher.clock import london_today
from matcher.digests.links import unsubscribe_token
from matcher.extensions import db
from matcher.models import (
    ApiToken,
    CivilServantProfile,
    Department,
    DigestFrequency,
    Grade,
    Hours,
    OutboxEvent,
    PlacementKind,
    Profession,
    SuppressedAddress,
    User,
)
from matcher.security.passwords import hash_password
from matcher.services import drafts
from matcher.services.accounts import email_change_token, password_reset_token
from matcher.services.api_tokens import create_token
from matcher.services.profiles import ProfileAnswers, answers_from_profile, save_profile
from tests.unit.services.world import World, build_world
from tests.unit.web.matches_world import browser_of
from tests.web import PASSWORD

ROLES = ("signed_out", "self", "other_person", "org_member", "platform_admin")
SIGN_IN = "sign-in"
NEW_PASSWORD = "a different and longer passphrase"


@dataclass
class Case:
    """A route, what each role gets, and whose account it may change."""

    name: str
    url: Callable[[Flask, World], str]
    expected: dict[str, int | str]
    target: str | None
    data: Callable[[User | None], dict[str, str]] = lambda user: {}
    method: str = "post"
    draft: bool = False


def _user(world: World, role: str) -> User | None:
    return {
        "signed_out": None,
        "self": world.person,
        "other_person": world.other_person,
        "org_member": world.member_a,
        "platform_admin": world.platform_admin,
    }[role]


SIGNED_IN = {role: 302 for role in ROLES} | {"signed_out": SIGN_IN}
CIVIL_SERVANTS = SIGNED_IN | {"org_member": 403, "platform_admin": 403}
# The page that answers a new token shows its secret, rather than redirecting.
SHOWN = {role: 200 for role in ROLES} | {"signed_out": SIGN_IN}
# Only a token's owner may know it exists.
OWNER = {role: 404 for role in ROLES} | {"signed_out": SIGN_IN, "self": 302}
ANYONE = {role: 302 for role in ROLES}


def _fixed(path: str) -> Callable[[Flask, World], str]:
    return lambda app, world: path


def _new_email(user: User | None) -> dict[str, str]:
    email = user.email if user is not None else "nobody@example.gov.uk"
    return {"email": f"renamed.{email}", "password": PASSWORD}


CASES = [
    Case(
        "change password",
        _fixed("/account/password"),
        SIGNED_IN,
        "actor",
        lambda user: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    ),
    Case("change email", _fixed("/account/email"), SIGNED_IN, "actor", _new_email),
    Case("delete account", _fixed("/account/delete"), SIGNED_IN, "actor"),
    Case(
        "digest preferences",
        _fixed("/digest/preferences"),
        SIGNED_IN,
        "actor",
        lambda user: {"frequency": DigestFrequency.NEVER.value},
    ),
    Case("save profile", _fixed("/profile/check"), CIVIL_SERVANTS, "actor", draft=True),
    # A question page keeps its answer in the session draft only: no account changes.
    Case(
        "answer a profile question",
        _fixed("/profile/about"),
        CIVIL_SERVANTS,
        None,
        lambda user: {"about": "Changed words about me."},
    ),
    Case(
        "create an API token",
        _fixed("/account/api-tokens/new"),
        SHOWN,
        "actor",
        lambda user: {"name": "Matrix"},
    ),
    Case(
        "revoke an API token",
        lambda app, world: (
            "/account/api-tokens/"
            f"{db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.person.id))}"
            "/revoke"
        ),
        OWNER,
        "self",
    ),
    Case("sign out", _fixed("/sign-out"), ANYONE, None),
    Case(
        "sign in",
        _fixed("/sign-in"),
        ANYONE,
        None,
        lambda user: {"email": "__self__", "password": PASSWORD},
    ),
    # Without the unconfirmed account's id in the session there is nobody to send a link to.
    Case("resend confirmation", _fixed("/sign-in/confirm-your-email"), ANYONE, None),
    Case(
        "register",
        _fixed("/register"),
        ANYONE,
        None,
        lambda user: {
            "role": "civil_servant",
            "display_name": "Newcomer",
            "email": "newcomer@cabinetoffice.gov.uk",
            "password": PASSWORD,
        },
    ),
    Case(
        "request a reset link",
        _fixed("/reset-password"),
        ANYONE,
        "self",
        lambda user: {"email": "__self__"},
    ),
    Case(
        "reset password by link",
        lambda app, world: (
            f"/reset-password/{password_reset_token(app.config['SECRET_KEY'], world.person)}"
        ),
        ANYONE,
        "self",
        lambda user: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    Case(
        "confirm an email change by link",
        lambda app, world: (
            "/account/email/confirm/"
            + email_change_token(
                app.config["SECRET_KEY"], world.person, "moved@cabinetoffice.gov.uk"
            )
        ),
        ANYONE,
        "self",
        method="get",
    ),
    Case(
        "unsubscribe by link",
        lambda app, world: (
            f"/digests/unsubscribe/{unsubscribe_token(app.config['SECRET_KEY'], world.person.id)}"
        ),
        {role: 200 for role in ROLES},
        "self",
    ),
]


def _complete(user: User, world: World) -> None:
    grade = db.session.scalar(select(Grade.rank).where(Grade.code == "HEO"))
    save_profile(
        db.session,
        user_id=user.id,
        answers=ProfileAnswers(
            department_id=db.session.scalar(select(Department.id).order_by(Department.id)),
            grade_rank=grade,
            profession_id=db.session.scalar(select(Profession.id).order_by(Profession.id)),
            theme_ids=tuple(world.theme_ids[:1]),
            skill_ids=tuple(world.skill_ids[:1]),
            postcode=None,
            region_code="E12000003",
            travel_limit_km=30,
            remote_ok=True,
            available_from=london_today() + timedelta(days=30),
            available_until=None,
            wanted_kinds=(PlacementKind.SECONDMENT,),
            hours=Hours.FULL_TIME,
            about="Housing policy.",
            discoverable=True,
            digest_frequency=DigestFrequency.WEEKLY,
        ),
    )


def _state(user_id: int) -> tuple[Any, ...]:
    """Everything about an account a route of these blueprints may change."""
    user = db.session.get(User, user_id)
    if user is None:
        return ("deleted",)
    profile = db.session.get(CivilServantProfile, user_id)
    events = [
        event.task_name
        for event in db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        if user_id in (event.payload.get("user_id"), event.payload.get("person_id"))
    ]
    return (
        user.email,
        user.password_hash,
        profile and (profile.about, profile.digest_frequency, profile.completed_at),
        db.session.get(SuppressedAddress, user.email.lower()) is not None,
        events,
        [
            (token.id, token.revoked_at is None)
            for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id))
        ],
    )


def _world() -> World:
    world = build_world(db.session)
    db.session.execute(
        update(User).values(password_hash=hash_password(PASSWORD), email_confirmed_at=func.now())
    )
    db.session.commit()
    for person in (world.person, world.other_person):
        _complete(person, world)
    create_token(db.session, world.person.id, "Existing")
    db.session.commit()
    return world


def _with_draft(client: FlaskClient, user: User | None) -> None:
    profile = db.session.get(CivilServantProfile, user.id) if user is not None else None
    draft = answers_from_profile(profile) if profile is not None else {}
    if user is not None:
        drafts.keep(db.session, user.id, drafts.PROFILE, {**draft, "about": "Rewritten."})
        db.session.commit()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_role_is_allowed_or_denied(site: Flask, case: Case, role: str):
    # CSRF is covered by the page tests; here every request is a fresh, well-formed one.
    site.config["WTF_CSRF_ENABLED"] = False
    world = _world()
    actor = _user(world, role)
    everyone = [world.person, world.other_person, world.member_a, world.platform_admin]
    ids = {user.id: user for user in everyone}
    before = {user_id: _state(user_id) for user_id in ids}
    users_before = db.session.scalar(select(func.count()).select_from(User))
    url = case.url(site, world)
    data = {"submission": f"{case.name}-{role}", **case.data(actor)}
    if data.get("email") == "__self__":
        data["email"] = world.person.email
    client = browser_of(site, actor)
    if case.draft:
        _with_draft(client, actor)
    db.session.rollback()

    response = getattr(client, case.method)(url, data=data)

    expected = case.expected[role]
    if expected == SIGN_IN:
        assert response.status_code == 302, response.status_code
        assert "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.status_code
    allowed = expected in (200, 302) and expected != SIGN_IN
    target = {"actor": actor, "self": world.person, None: None}[case.target]
    db.session.rollback()
    for user_id, user in ids.items():
        changed = _state(user_id) != before[user_id]
        should = allowed and target is not None and target.id == user_id
        assert changed == should, f"{case.name} by {role}: {user.email} changed={changed}"
    users_after = db.session.scalar(select(func.count()).select_from(User))
    created = case.name == "register" and allowed
    deleted = case.name == "delete account" and allowed and actor is not None
    assert users_after == users_before + int(created) - int(deleted)
