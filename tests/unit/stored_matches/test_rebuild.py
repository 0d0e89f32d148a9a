"""Full rebuild: hard filters hold for every stored row, the publish is atomic, runs count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import CivilServantProfile, Match, MatchRun, MatchRunStatus, Placement
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import forget_snapshots
from tests.unit.stored_matches.helpers import seed, violations


@pytest.fixture(params=["app", "pg_app"], ids=["sqlite", "postgresql"])
def either_app(request: pytest.FixtureRequest) -> Flask:
    """The app on SQLite, then on PostgreSQL: the hard filters must hold on both."""
    return request.getfixturevalue(request.param)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    grades=st.lists(st.integers(1, 11), min_size=5, max_size=5),
    limits=st.lists(st.integers(0, 300), min_size=5, max_size=5),
    remote=st.booleans(),
    shift_days=st.integers(-400, 400),
    window_days=st.one_of(st.none(), st.integers(0, 400)),
    close_first=st.booleans(),
)
def test_no_stored_match_breaks_a_hard_filter(
    either_app: Flask,
    grades: list[int],
    limits: list[int],
    remote: bool,
    shift_days: int,
    window_days: int | None,
    close_first: bool,
) -> None:
    if not db.session.scalar(select(func.count()).select_from(Placement)):
        seed(db.session)
    people = db.session.scalars(
        select(CivilServantProfile.user_id).order_by(CivilServantProfile.user_id).limit(5)
    ).all()
    available_from = london_today() + timedelta(days=shift_days)
    for person_id, grade, limit in zip(people, grades, limits, strict=False):
        db.session.execute(
            update(CivilServantProfile)
            .where(CivilServantProfile.user_id == person_id)
            .values(
                grade_rank=grade,
                travel_limit_km=limit,
                remote_ok=remote,
                available_from=available_from,
                available_until=(
                    None if window_days is None else available_from + timedelta(days=window_days)
                ),
            )
        )
    if close_first:
        first = db.session.scalar(select(Placement.id).where(Placement.status == "open"))
        db.session.execute(update(Placement).where(Placement.id == first).values(status="closed"))
    db.session.commit()
    forget_snapshots()
    rebuild_sync(db.session, either_app.config["MATCHER_SETTINGS"])
    assert db.session.scalar(select(func.count()).select_from(Match)) > 0
    assert violations(db.session) == []


def test_runs_are_recorded_and_the_older_one_is_superseded(app: Flask) -> None:
    seed(db.session, people=20, placements=15)
    first = rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    second = rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    runs = {run.id: run.status for run in db.session.scalars(select(MatchRun))}
    assert runs == {
        first.run_id: MatchRunStatus.SUPERSEDED,
        second.run_id: MatchRunStatus.PUBLISHED,
    }
    assert first.rows == second.rows == db.session.scalar(select(func.count()).select_from(Match))
