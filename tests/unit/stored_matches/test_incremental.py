"""Incremental updates give the rows a fresh full rebuild gives."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from matcher.clock import london_today
from matcher.events import PERSON_CHANGED, PLACEMENT_CHANGED
from matcher.extensions import db
from matcher.models import CivilServantProfile, Match, Placement, PlacementStatus, utcnow
from matcher.outbox import record_event
from matcher.stored_matches.incremental import placement_changed, recompute_people
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import current_snapshot, forget_snapshots
from tests.unit.stored_matches.helpers import seed, stored
from tests.unit.stored_matches.placement_edits import (
    differences,
    edit_one_placement_every_way,
    engine_rows,
    stored_rows,
)


def _close(a: dict, b: dict) -> bool:
    # Scores are float32 sums whose order depends on how people were blocked: equal to ~1 ulp.
    return a.keys() == b.keys() and all(
        abs(a[key][0] - b[key][0]) < 1e-5 and a[key][1] == b[key][1] for key in a
    )


def test_person_and_placement_changes_equal_a_full_rebuild(app: Flask) -> None:
    settings = app.config["MATCHER_SETTINGS"]
    seed(db.session, people=80, placements=50)
    forget_snapshots()
    rebuild_sync(db.session, settings)
    current_snapshot(db.session, settings)  # warm, so the changes below go through refresh

    person = db.session.scalars(
        select(Match.person_id).group_by(Match.person_id).order_by(Match.person_id)
    ).first()
    db.session.execute(
        update(CivilServantProfile)
        .where(CivilServantProfile.user_id == person)
        .values(travel_limit_km=400, remote_ok=True, grade_rank=5)
    )
    record_event(db.session, PERSON_CHANGED, {"person_id": person})
    draft = db.session.scalar(
        select(Placement.id).where(
            Placement.status == PlacementStatus.DRAFT, Placement.closing_date > london_today()
        )
    )
    assert draft is not None
    db.session.execute(
        update(Placement)
        .where(Placement.id == draft)
        .values(
            status=PlacementStatus.OPEN,
            published_at=utcnow(),
            remote_possible=True,
            grade_min_rank=1,
            grade_max_rank=11,
        )
    )
    record_event(db.session, PLACEMENT_CHANGED, {"placement_id": draft})
    db.session.commit()

    recompute_people(db.session, settings, [person])
    update_result = placement_changed(db.session, settings, draft)
    db.session.commit()
    incremental = stored(db.session)
    assert update_result.eligible_people > 0
    assert any(placement == draft for _, placement in incremental)

    forget_snapshots()
    rebuild_sync(db.session, settings)
    assert _close(incremental, stored(db.session))


def test_each_kind_of_placement_edit_gives_the_engines_full_lists(app: Flask) -> None:
    steps = edit_one_placement_every_way(db.session, app.config["MATCHER_SETTINGS"])
    assert {step.name: step.problems for step in steps if step.problems} == {}
    down, up, wider, unchanged, rewritten, closed = steps
    # Falling out of full lists lets the next placement in; getting its themes back, it returns.
    assert down.moved_down and down.left == down.update.left > 0
    assert up.moved_up and up.entered == up.update.entered > 0
    assert wider.entered == wider.update.entered > 0 and not wider.left
    assert unchanged.rows_changed == 0
    assert rewritten.moved_up + rewritten.moved_down + rewritten.entered + rewritten.left > 0
    assert closed.left == closed.update.left > 0 and closed.update.eligible_people == 0
    assert closed.update.entered == closed.update.kept == 0
    # The person who said "not for me" to it is recomputed whenever it changes.
    assert all(step.update.recomputed >= 1 for step in steps)


def test_a_list_with_a_gap_in_its_ranks_is_rewritten_rather_than_shifted(app: Flask) -> None:
    settings = app.config["MATCHER_SETTINGS"]
    seed(db.session, people=60, placements=60)
    forget_snapshots()
    rebuild_sync(db.session, settings)
    placement, person = db.session.execute(
        select(Match.placement_id, Match.person_id)
        .where(Match.rank == 2)
        .order_by(Match.placement_id, Match.person_id)
        .limit(1)
    ).one()
    db.session.execute(
        update(Match).where(Match.person_id == person, Match.rank >= 2).values(rank=Match.rank + 1)
    )
    db.session.commit()

    result = placement_changed(db.session, settings, placement)
    db.session.commit()

    assert result.recomputed == 1
    assert differences(stored_rows(db.session), engine_rows(db.session, settings)) == []
