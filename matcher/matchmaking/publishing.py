"""Runs of a full rebuild: start, count chunks, publish atomically, list what changed meanwhile.

Chunks write into ``match_run_rows`` under their run's id; readers keep reading ``matches``.
Publishing replaces the contents of ``matches`` with the run's rows in one transaction, so a
reader sees the old set or the new one, never a mix (PostgreSQL's MVCC; SQLite has one writer
and readers see only committed data). Incremental writers hold a shared advisory lock and the
publisher an exclusive one, so an incremental write cannot interleave with the swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from matcher.events import PERSON_CHANGED, PLACEMENT_CHANGED
from matcher.matching import ENGINE_VERSION
from matcher.models import (
    Match,
    MatchRun,
    MatchRunChunk,
    MatchRunStatus,
    OutboxEvent,
    Placement,
    StagedMatch,
    User,
    utcnow,
)

# Any fixed number: the advisory lock that orders incremental writes around a publish.
PUBLISH_LOCK_KEY = 6_000_001


class RunNotBuilding(RuntimeError):
    """The run was already published, superseded or failed."""


@dataclass(frozen=True)
class Changed:
    """People and placements named by matching events, and those events' ids."""

    person_ids: frozenset[int]
    placement_ids: frozenset[int]
    event_ids: frozenset[int]


def lock_for_incremental(session: Session) -> None:
    """Hold off a publish until the caller's transaction ends (PostgreSQL; SQLite serialises)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": PUBLISH_LOCK_KEY}
        )


def start_run(session: Session, people: int, chunks: int) -> MatchRun:
    """Record a new building run (caller commits)."""
    run = MatchRun(
        status=MatchRunStatus.BUILDING,
        engine_version=ENGINE_VERSION,
        started_at=utcnow(),
        people=people,
        chunks=chunks,
        chunks_done=0,
        rows=0,
    )
    session.add(run)
    session.flush()
    return run


def chunk_done(session: Session, run_id: int, chunk: int, rows: int) -> bool:
    """Record a staged chunk (once) in the caller's transaction; True when it was the last.

    The run's row is locked first, so of two chunks finishing together exactly one sees that
    every chunk is done.
    """
    run = session.execute(
        select(MatchRun).where(MatchRun.id == run_id).with_for_update()
    ).scalar_one()
    if session.get(MatchRunChunk, (run_id, chunk)) is None:
        session.add(MatchRunChunk(run_id=run_id, chunk=chunk, rows=rows))
        run.chunks_done += 1
        run.rows += rows
        session.flush()
    return run.status == MatchRunStatus.BUILDING and run.chunks_done >= run.chunks


def publish_run(session: Session, run_id: int) -> int:
    """Swap run ``run_id``'s rows into ``matches`` in the caller's transaction; return the count.

    Rows whose person or placement no longer exists are left out.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK_KEY})
    run = session.execute(
        select(MatchRun).where(MatchRun.id == run_id).with_for_update()
    ).scalar_one()
    if run.status != MatchRunStatus.BUILDING:
        raise RunNotBuilding(f"match run {run_id} is {run.status.value}")
    newer = session.scalar(
        select(MatchRun.id).where(MatchRun.id > run_id, MatchRun.status == MatchRunStatus.PUBLISHED)
    )
    if newer is not None:
        # A later rebuild already published fresher rows: this one must not replace them.
        run.status = MatchRunStatus.SUPERSEDED
        session.flush()
        raise RunNotBuilding(f"match run {run_id} was overtaken by run {newer}")
    session.execute(delete(Match).execution_options(synchronize_session=False))
    staged = StagedMatch
    columns = ["person_id", "placement_id", "score", "rank", "reasons", "engine_version"]
    source = select(*(getattr(staged, name) for name in columns), staged.computed_at).where(
        staged.run_id == run_id,
        select(User.id).where(User.id == staged.person_id).exists(),
        select(Placement.id).where(Placement.id == staged.placement_id).exists(),
    )
    session.execute(insert(Match).from_select([*columns, "computed_at"], source))
    published = session.scalar(select(func.count()).select_from(Match)) or 0
    session.execute(
        update(MatchRun)
        .where(MatchRun.status == MatchRunStatus.PUBLISHED)
        .values(status=MatchRunStatus.SUPERSEDED)
    )
    run.status = MatchRunStatus.PUBLISHED
    run.published_at = utcnow()
    run.rows = published
    session.flush()
    return int(published)


def discard_rows(session: Session, run_id: int) -> None:
    """Delete a finished run's staged rows (caller commits)."""
    session.execute(delete(StagedMatch).where(StagedMatch.run_id == run_id))


def fail_run(session: Session, run_id: int) -> None:
    """Mark a building run failed and drop its rows (caller commits)."""
    session.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.status == MatchRunStatus.BUILDING)
        .values(status=MatchRunStatus.FAILED)
    )
    discard_rows(session, run_id)


def _changes(session: Session, *conditions: ColumnElement[bool]) -> Changed:
    people: set[int] = set()
    placements: set[int] = set()
    events: set[int] = set()
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.task_name, OutboxEvent.payload).where(
            OutboxEvent.task_name.in_([PERSON_CHANGED, PLACEMENT_CHANGED]), *conditions
        )
    )
    for event_id, name, payload in rows:
        events.add(int(event_id))
        if name == PERSON_CHANGED:
            people.add(int(payload["person_id"]))
        else:
            placements.add(int(payload["placement_id"]))
    return Changed(frozenset(people), frozenset(placements), frozenset(events))


def changed_since(session: Session, moment: datetime) -> Changed:
    """What matching events recorded at or after ``moment`` name."""
    return _changes(session, OutboxEvent.created_at >= moment)


def changed_since_id(session: Session, floor: int, exclude: set[int]) -> Changed:
    """What matching events numbered above ``floor`` name, leaving out ``exclude``'s ids."""
    changes = _changes(session, OutboxEvent.id > floor)
    if not exclude or not changes.event_ids & exclude:
        return changes
    fresh = changes.event_ids - exclude
    if not fresh:
        return Changed(frozenset(), frozenset(), frozenset())
    return _changes(session, OutboxEvent.id.in_(sorted(fresh)))
