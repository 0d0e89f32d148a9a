"""On PostgreSQL: a reader never sees half a rebuild, nor a match of someone or something deleted
while it was building; a real worker recomputes after a commit."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from psycopg import errors
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from matcher.events import PERSON_CHANGED
from matcher.extensions import db
from matcher.models import CivilServantProfile, Match, Placement
from matcher.outbox import record_event
from matcher.services.accounts import delete_account
from matcher.stored_matches.publishing import build_table, publish_run, start_run
from matcher.stored_matches.rebuild import finish_rebuild, plan_rebuild, rebuild_sync, run_chunk
from matcher.stored_matches.snapshot import current_snapshot
from matcher.stored_matches.storing import stage_rows
from tests.unit.stored_matches.helpers import seed, stored
from tests.unit.stored_matches.placement_edits import edit_one_placement_every_way
from tests.waiting import wait_until

DEADLINE_SECONDS = 60


def _shape_of_matches() -> set[tuple[str, ...]]:
    indexes = db.session.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'matches'")
    )
    constraints = db.session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid), contype::text FROM pg_constraint "
            "WHERE conrelid = 'matches'::regclass"
        )
    )
    return {tuple(row) for row in indexes} | {tuple(row) for row in constraints}


def test_a_reader_sees_the_old_set_until_the_publish_commits(pg_app: Flask) -> None:
    settings = pg_app.config["MATCHER_SETTINGS"]
    seed(db.session, people=40, placements=30)
    shape = _shape_of_matches()
    rebuild_sync(db.session, settings)
    # The swapped-in table has every index and constraint of the migrated one, by name.
    assert _shape_of_matches() == shape
    old = db.session.scalar(select(func.count()).select_from(Match))
    snapshot = current_snapshot(db.session, settings)
    half = snapshot.engine.top_placements_for_people(
        snapshot.engine.person_indices(snapshot.people.ids[:5])
    )
    run_id = start_run(db.session, 5, 1).id
    db.session.commit()
    stage_rows(db.session, run_id, half)
    db.session.commit()
    published = publish_run(db.session, run_id)  # not yet committed
    with db.engine.connect() as reader:
        # The swap holds ``matches`` until the commit: a reader waits, or sees the old set.
        reader.execute(text("SET lock_timeout = '300ms'"))
        try:
            seen = reader.execute(text("SELECT count(*) FROM matches")).scalar_one()
        except OperationalError as error:
            assert isinstance(error.orig, errors.LockNotAvailable)
        else:
            assert seen == old
    db.session.commit()
    with db.engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM matches")).scalar_one() == published
    assert published == len(half) != old


def test_a_worker_recomputes_a_person_after_their_profile_commits(
    service_app: Callable[..., Flask], redis_server, celery_worker_process
) -> None:
    app = service_app(CELERY_BROKER_URL=redis_server.url)
    with app.app_context():
        seed(db.session, people=40, placements=30)
        rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
        person = db.session.scalar(select(Match.person_id).order_by(Match.person_id).limit(1))
        before = {k: v for k, v in stored(db.session).items() if k[0] == person}
        celery_worker_process(
            DATABASE_URL=str(db.engine.url.render_as_string(hide_password=False)),
            CELERY_BROKER_URL=redis_server.url,
        )
        # Nothing to travel to and no remote work: every placement drops out of their list.
        db.session.execute(
            update(CivilServantProfile)
            .where(CivilServantProfile.user_id == person)
            .values(travel_limit_km=0, remote_ok=False, easting=None, northing=None)
        )
        record_event(db.session, PERSON_CHANGED, {"person_id": person})
        db.session.commit()

        def recomputed() -> bool:
            db.session.rollback()
            return {k: v for k, v in stored(db.session).items() if k[0] == person} != before

        wait_until(recomputed, DEADLINE_SECONDS, "the worker to recompute the person")
        now = {k: v for k, v in stored(db.session).items() if k[0] == person}
        assert before and now == {}


def test_placement_edits_merge_into_the_engines_full_lists_on_postgres(pg_app: Flask) -> None:
    steps = edit_one_placement_every_way(db.session, pg_app.config["MATCHER_SETTINGS"])
    assert {step.name: step.problems for step in steps if step.problems} == {}
    assert sum(step.entered for step in steps) > 0
    assert sum(step.left for step in steps) > 0
    assert sum(step.moved_up for step in steps) > 0
    assert sum(step.moved_down for step in steps) > 0


def test_a_publish_leaves_out_people_and_placements_deleted_while_the_run_was_building(
    pg_app: Flask,
) -> None:
    settings = pg_app.config["MATCHER_SETTINGS"]
    seed(db.session, people=40, placements=30)
    plan = plan_rebuild(db.session, settings)
    for index, ids in enumerate(plan.chunks):
        run_chunk(db.session, settings, plan.run_id, index, ids)
    staged = db.session.execute(
        text(f'SELECT person_id, placement_id FROM "{build_table(plan.run_id)}"')
    ).all()
    person_id, placement_id = staged[0]
    placement_id = next(q for p, q in staged if p != person_id)
    delete_account(db.session, user_id=person_id)
    db.session.delete(db.session.get(Placement, placement_id))
    db.session.commit()

    published = finish_rebuild(db.session, settings, plan.run_id)

    kept = {(p, q) for p, q in staged if p != person_id and q != placement_id}
    assert set(stored(db.session)) == kept
    assert published.rows == len(kept) < len(staged)
    unchecked = db.session.scalar(
        text(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'matches'::regclass "
            "AND contype = 'f' AND NOT convalidated"
        )
    )
    assert unchecked == 0
