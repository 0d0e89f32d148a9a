"""Full rebuild: hard filters hold for every stored row, the publish is atomic, runs count,
and chunks scored by other processes from the shared snapshot store what one process does."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from config import Settings
from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import CivilServantProfile, Match, MatchRun, MatchRunStatus, Placement
from matcher.stored_matches.publishing import fail_run
from matcher.stored_matches.rebuild import (
    finish_rebuild,
    plan_rebuild,
    rebuild_sync,
    run_chunk,
    share_snapshot,
    shared_snapshot_path,
)
from matcher.stored_matches.snapshot import forget_snapshots
from tests.unit.stored_matches.helpers import seed, stored, violations


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


def _rebuild_in_shards(settings: Settings, caplog: pytest.LogCaptureFixture) -> Path:
    """A rebuild as the workers run it: one process shares the snapshot, and each chunk is
    scored by a process that has none of its own; returns where the snapshot was shared."""
    plan = plan_rebuild(db.session, settings)
    assert len(plan.chunks) > 1
    path = share_snapshot(db.session, settings, plan.run_id)
    db.session.commit()
    assert path.exists()
    with caplog.at_level(logging.WARNING, logger="matcher.stored_matches.snapshot"):
        for index, ids in enumerate(plan.chunks):
            forget_snapshots()  # another worker process
            run_chunk(db.session, settings, plan.run_id, index, ids)
    finish_rebuild(db.session, settings, plan.run_id)
    return path


def test_shards_scored_from_the_shared_snapshot_store_what_one_process_does(
    either_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(either_app.config["MATCHER_SETTINGS"], match_chunk_size=25)
    seed(db.session, people=60, placements=40)
    forget_snapshots()
    rebuild_sync(db.session, settings)
    alone = stored(db.session)
    path = _rebuild_in_shards(settings, caplog)
    assert stored(db.session) == alone != {}
    # Every chunk read the shared snapshot instead of fitting its own, and it is gone now.
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not path.exists()


def test_a_worker_without_the_shared_snapshot_fits_its_own(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(app.config["MATCHER_SETTINGS"], match_chunk_size=25)
    seed(db.session, people=60, placements=40)
    forget_snapshots()
    rebuild_sync(db.session, settings)
    alone = stored(db.session)
    plan = plan_rebuild(db.session, settings)
    with caplog.at_level(logging.WARNING, logger="matcher.stored_matches.snapshot"):
        for index, ids in enumerate(plan.chunks):
            forget_snapshots()
            run_chunk(db.session, settings, plan.run_id, index, ids)
    finish_rebuild(db.session, settings, plan.run_id)
    assert stored(db.session) == alone
    assert any("fitting one here" in r.message for r in caplog.records)


def test_a_new_rebuild_deletes_the_snapshots_of_runs_that_stopped(app: Flask) -> None:
    settings = app.config["MATCHER_SETTINGS"]
    seed(db.session, people=20, placements=15)
    crashed = plan_rebuild(db.session, settings)
    left_behind = share_snapshot(db.session, settings, crashed.run_id)
    db.session.commit()
    fail_run(db.session, crashed.run_id)
    db.session.commit()
    building = plan_rebuild(db.session, settings)
    shared = share_snapshot(db.session, settings, building.run_id)
    db.session.commit()
    assert not left_behind.exists()
    assert shared == shared_snapshot_path(db.session, settings, building.run_id)
    assert shared.exists()
