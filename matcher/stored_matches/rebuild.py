"""A full rebuild: plan chunks of people, fit and share one snapshot, score and stage each
chunk with it, publish, catch up."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from config import Settings
from matcher.models import (
    CivilServantProfile,
    MatchRun,
    MatchRunChunk,
    MatchRunStatus,
    StagedMatch,
    utcnow,
)
from matcher.observability.metrics import observe_rebuild
from matcher.stored_matches.incremental import placement_changed, recompute_people
from matcher.stored_matches.publishing import (
    changed_since,
    chunk_done,
    discard_rows,
    drop_stale_build_tables,
    publish_run,
    start_run,
    validate_matches,
)
from matcher.stored_matches.snapshot import Snapshot, current_snapshot, save_snapshot
from matcher.stored_matches.storing import stage_rows

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Plan:
    """A started run and the person ids of each of its chunks."""

    run_id: int
    chunks: list[list[int]]


@dataclass(frozen=True)
class Published:
    """The outcome of publishing a run."""

    run_id: int
    rows: int
    caught_up_people: int
    caught_up_placements: int


def plan_rebuild(session: Session, settings: Settings) -> Plan:
    """Start a run over every person with a completed profile, split into chunks (commits)."""
    ids = list(
        session.scalars(
            select(CivilServantProfile.user_id)
            .where(CivilServantProfile.completed_at.is_not(None))
            .order_by(CivilServantProfile.user_id)
        )
    )
    drop_stale_build_tables(session)
    size = settings.match_chunk_size
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    run = start_run(session, people=len(ids), chunks=len(chunks))
    session.commit()
    _discard_stale_snapshots(session, settings)
    return Plan(run_id=run.id, chunks=chunks)


def _snapshot_prefix(session: Session) -> str:
    # The folder may serve several databases (tests, benches): each names its own files.
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    return hashlib.sha256(database.encode()).hexdigest()[:16] + "-run-"


def shared_snapshot_path(session: Session, settings: Settings, run_id: int) -> Path:
    """Where run ``run_id``'s fitted snapshot is written for every worker to read."""
    return settings.match_snapshot_dir / f"{_snapshot_prefix(session)}{int(run_id)}.pickle"


def share_snapshot(session: Session, settings: Settings, run_id: int) -> Path:
    """Load and fit the run's snapshot once, keep it here and write it for the other workers."""
    started = time.perf_counter()
    snapshot = rebuild_snapshot(session, settings, run_id, shared=False)
    fitted = time.perf_counter()
    path = shared_snapshot_path(session, settings, run_id)
    save_snapshot(snapshot, path)
    logger.info(
        "match run %s: snapshot loaded and fitted in %.1f s, written in %.1f s (%d MB)",
        run_id,
        fitted - started,
        time.perf_counter() - fitted,
        path.stat().st_size // 2**20,
    )
    return path


def discard_shared_snapshot(session: Session, settings: Settings, run_id: int) -> None:
    """Delete run ``run_id``'s shared snapshot, if it is still there."""
    shared_snapshot_path(session, settings, run_id).unlink(missing_ok=True)


def _discard_stale_snapshots(session: Session, settings: Settings) -> None:
    """Delete this database's shared snapshots of runs no longer building (a crashed run's)."""
    prefix = _snapshot_prefix(session)
    building = set(
        session.scalars(select(MatchRun.id).where(MatchRun.status == MatchRunStatus.BUILDING))
    )
    for path in settings.match_snapshot_dir.glob(f"{prefix}*.pickle"):
        run_id = path.name[len(prefix) : -len(".pickle")]
        if run_id.isdigit() and int(run_id) not in building:
            path.unlink(missing_ok=True)


def rebuild_snapshot(
    session: Session, settings: Settings, run_id: int, shared: bool = True
) -> Snapshot:
    """This process's snapshot, unless loaded before the run started: then the run's shared
    one (``shared``), or else loaded and fitted here."""
    started_at = session.scalar(select(MatchRun.started_at).where(MatchRun.id == run_id))
    assert started_at is not None
    saved = shared_snapshot_path(session, settings, run_id) if shared else None
    return current_snapshot(session, settings, loaded_after=started_at, saved=saved)


def run_chunk(
    session: Session, settings: Settings, run_id: int, chunk: int, person_ids: list[int]
) -> bool:
    """Score one chunk's people and stage their rows (commits); True if it was the last chunk."""
    if session.get(MatchRunChunk, (run_id, chunk)) is not None:
        return False  # a redelivery of a chunk already stored
    snapshot = rebuild_snapshot(session, settings, run_id)
    engine = snapshot.engine
    wanted = np.asarray(person_ids, np.int64)
    present = wanted[np.isin(wanted, snapshot.people.ids)]
    # A chunk's rows and its record commit together, so nothing of an unrecorded chunk is
    # stored; this only clears what an earlier attempt left in the session's view.
    for start in range(0, len(person_ids), 10_000):
        session.execute(
            delete(StagedMatch).where(
                StagedMatch.run_id == run_id,
                StagedMatch.person_id.in_(person_ids[start : start + 10_000]),
            )
        )
    rows = 0
    if len(present):
        rows = stage_rows(
            session, run_id, engine.top_placements_for_people(engine.person_indices(present))
        )
    last = chunk_done(session, run_id, chunk, rows)
    if last is None:
        # Another delivery of this chunk already stored its rows: drop this one's.
        session.rollback()
        return False
    session.commit()
    return last


def finish_rebuild(session: Session, settings: Settings, run_id: int) -> Published:
    """Publish the run atomically, then redo what changed while it was building (commits)."""
    rows = publish_run(session, run_id)
    started_at = session.scalar(select(MatchRun.started_at).where(MatchRun.id == run_id))
    session.commit()
    discard_shared_snapshot(session, settings, run_id)
    discard_rows(session, run_id)
    validate_matches(session)
    session.commit()
    assert started_at is not None
    # Changes after the run started may be missing from its rows, and incremental updates
    # made meanwhile were just overwritten: redo both.
    changed = changed_since(session, started_at)
    if changed.person_ids:
        recompute_people(session, settings, changed.person_ids)
        session.commit()
    for placement_id in sorted(changed.placement_ids):
        placement_changed(session, settings, placement_id)
        session.commit()
    observe_rebuild((utcnow() - started_at).total_seconds())
    return Published(
        run_id=run_id,
        rows=rows,
        caught_up_people=len(changed.person_ids),
        caught_up_placements=len(changed.placement_ids),
    )


def rebuild_sync(
    session: Session, settings: Settings, progress: Progress | None = None
) -> Published:
    """Run a whole rebuild in this process: fit the snapshot, every chunk, then publish."""
    advance = progress or (lambda _: None)
    plan = plan_rebuild(session, settings)
    started = time.perf_counter()
    if plan.chunks:
        rebuild_snapshot(session, settings, plan.run_id, shared=False)
    for index, ids in enumerate(plan.chunks):
        run_chunk(session, settings, plan.run_id, index, ids)
        advance(len(ids))
    if not plan.chunks:
        # Nobody to match: publishing the empty run still clears stale matches.
        session.commit()
    published = finish_rebuild(session, settings, plan.run_id)
    logger.info(
        "match run %s published %d rows in %.1f s",
        plan.run_id,
        published.rows,
        time.perf_counter() - started,
    )
    return published
