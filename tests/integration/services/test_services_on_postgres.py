"""The concurrency paths of the services on real PostgreSQL: row locks and unique inserts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.extensions import db
from matcher.models import (
    Interest,
    InterestStatus,
    InterestTransition,
    JoinRequest,
    MembershipRole,
    Role,
)
from matcher.services import InvalidState, interests, memberships, placements
from matcher.services.concurrency import StaleObject
from matcher.services.placements import placement_data
from tests import builders
from tests.unit.services.world import World, build_world, open_placement

pytestmark = pytest.mark.integration


@pytest.fixture
def world(pg_app: Flask) -> World:
    return build_world(db.session)


def in_other_session(work: Callable[[Session], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start ``work(session)`` on its own connection in a thread; it commits if it succeeds."""
    outcome: list[Any] = []
    engine = db.engine
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context(), Session(engine) as session:
            try:
                outcome.append(work(session))
                session.commit()
            except Exception as error:
                session.rollback()
                outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_transition_waits_for_the_row_lock_and_then_sees_the_new_state(world: World):
    placement = open_placement(db.session, world)
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    db.session.commit()

    # This session shortlists and holds the row lock until it commits.
    interests.shortlist(db.session, world.member_a.id, interest.id)
    thread, outcome = in_other_session(
        lambda session: interests.shortlist(session, world.admin_a.id, interest.id).status
    )
    thread.join(1.0)
    assert thread.is_alive(), "the second shortlist should wait for the first one's lock"
    db.session.commit()
    thread.join(10)

    [result] = outcome
    assert isinstance(result, InvalidState)
    transitions = db.session.scalar(
        select(func.count())
        .select_from(InterestTransition)
        .where(InterestTransition.interest_id == interest.id)
    )
    assert transitions == 2  # expressed, shortlisted once


def test_two_concurrent_expressions_of_interest_make_one_interest(world: World):
    placement = open_placement(db.session, world)
    db.session.commit()

    first = interests.express_interest(db.session, world.person.id, placement.id)
    thread, outcome = in_other_session(
        lambda session: interests.express_interest(session, world.person.id, placement.id).id
    )
    thread.join(1.0)
    db.session.commit()
    thread.join(10)

    assert outcome == [first.id]
    assert db.session.scalar(select(func.count()).select_from(Interest)) == 1
    assert first.status == InterestStatus.INTERESTED


def test_two_admins_cannot_both_step_down_at_once(world: World):
    second_admin = memberships.change_member_role(
        db.session,
        world.admin_a.id,
        db.session.scalars(
            select(memberships.Membership.id).where(
                memberships.Membership.user_id == world.member_a.id
            )
        ).one(),
        MembershipRole.ADMIN,
    )
    db.session.commit()
    first_admin_id = db.session.scalars(
        select(memberships.Membership.id).where(memberships.Membership.user_id == world.admin_a.id)
    ).one()

    memberships.change_member_role(
        db.session, world.admin_a.id, first_admin_id, MembershipRole.MEMBER
    )
    thread, outcome = in_other_session(
        lambda session: memberships.change_member_role(
            session, world.member_a.id, second_admin.id, MembershipRole.MEMBER
        )
    )
    thread.join(1.0)
    db.session.commit()
    thread.join(10)
    assert isinstance(outcome[0], (InvalidState, memberships.NotPermitted))


def test_a_stale_edit_is_refused_on_postgres(world: World):
    placement = open_placement(db.session, world)
    db.session.commit()
    version = placement.version_id
    data = placement_data(placement)
    placements.update_placement(
        db.session, world.member_a.id, placement.id, replace(data, title="First")
    )
    db.session.commit()
    with pytest.raises(StaleObject):
        placements.update_placement(
            db.session,
            world.admin_a.id,
            placement.id,
            replace(data, title="Second"),
            expected_version=version,
        )


def test_two_concurrent_requests_to_join_make_one(world: World):
    asker = builders.user(
        db.session, role=Role.ORGANISATION_MEMBER, email="asker@elsewhere.example.org"
    )
    db.session.commit()

    first = memberships.request_to_join(db.session, asker.id, world.org_a.id, "first tab")
    # The second insert meets the first's uncommitted row in the one-pending-request index,
    # waits for it, then finds it instead of failing with an IntegrityError.
    thread, outcome = in_other_session(
        lambda session: (
            memberships.request_to_join(session, asker.id, world.org_a.id, "second tab").id
        )
    )
    thread.join(1.0)
    db.session.commit()
    thread.join(10)

    assert outcome == [first.id]
    assert db.session.scalar(select(func.count()).select_from(JoinRequest)) == 1
