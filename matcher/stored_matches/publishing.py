"""Runs of a full rebuild: start, count chunks, publish atomically, list what changed meanwhile.

On PostgreSQL each run gets its own build table, ``match_build_<run id>``, made like
``matches`` but without indexes or foreign keys, and chunks COPY into it. Publishing indexes
it, drops the rows whose person or placement has gone, then in one transaction drops
``matches`` and renames the build table, its indexes and constraints to take its place: no
row is copied. A reader sees the old set until the commit (waiting, at most, for the brief
swap at its end) and the whole new set after it. Elsewhere (SQLite) chunks write into
``match_run_rows`` under their run's id and publishing replaces the contents of ``matches``
with them in one transaction (one writer; readers see only committed data). Incremental writers
hold a shared advisory lock and the publisher an exclusive one, so an incremental write
cannot interleave with the swap.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from matcher.engine import ENGINE_VERSION
from matcher.events import PERSON_CHANGED, PLACEMENT_CHANGED
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

# Any fixed numbers: the advisory lock that orders incremental writes around a publish, and
# the one that makes incremental writers take turns.
PUBLISH_LOCK_KEY = 6_000_001
INCREMENTAL_LOCK_KEY = 6_000_002
BUILD_PREFIX = "match_build_"
INDEX_BUILD_MEMORY = "512MB"
# A row ``b`` of matches or a build table is an orphan when its person or placement is gone.
PERSON_GONE = "NOT EXISTS (SELECT 1 FROM users u WHERE u.id = b.person_id)"
PLACEMENT_GONE = "NOT EXISTS (SELECT 1 FROM placements p WHERE p.id = b.placement_id)"


def build_table(run_id: int) -> str:
    """The PostgreSQL table a run's chunks write into."""
    return f"{BUILD_PREFIX}{int(run_id)}"


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _create_build_table(run_id: int) -> str:
    return (
        f'CREATE TABLE IF NOT EXISTS "{build_table(run_id)}" '
        "(LIKE matches INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )


def create_build_table(session: Session, run_id: int) -> None:
    """A bare copy of ``matches``' columns, defaults and checks (PostgreSQL; caller commits)."""
    session.execute(text(_create_build_table(run_id)))


def drop_build_table(session: Session, run_id: int) -> None:
    """Drop a run's build table if it is still there (PostgreSQL; caller commits)."""
    if _postgres(session):
        session.execute(text(f'DROP TABLE IF EXISTS "{build_table(run_id)}"'))


class RunNotBuilding(RuntimeError):
    """The run was already published, superseded or failed."""


@dataclass(frozen=True)
class Changed:
    """People and placements named by matching events, and those events' ids."""

    person_ids: frozenset[int]
    placement_ids: frozenset[int]
    event_ids: frozenset[int]


def lock_for_incremental(session: Session) -> None:
    """Hold off a publish, and other incremental writers, until the caller's transaction ends.

    Incremental writes read a person's stored ranks and shift them, so two at once on the same
    person would leave gaps or duplicates: they take turns (PostgreSQL; SQLite serialises).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:publish), pg_advisory_xact_lock(:mine)"),
            {"publish": PUBLISH_LOCK_KEY, "mine": INCREMENTAL_LOCK_KEY},
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
    if _postgres(session):
        create_build_table(session, run.id)
    return run


def chunk_done(session: Session, run_id: int, chunk: int, rows: int) -> bool | None:
    """Record a staged chunk in the caller's transaction; True when it was the last.

    The run's row is locked first, so of two chunks finishing together exactly one sees that
    every chunk is done. None when the chunk was already recorded (a redelivery): the caller
    rolls back the rows it wrote.
    """
    run = session.execute(
        select(MatchRun).where(MatchRun.id == run_id).with_for_update()
    ).scalar_one()
    if session.get(MatchRunChunk, (run_id, chunk)) is not None:
        return None
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
    published = _swap_in(session, run_id) if _postgres(session) else _copy_in(session, run_id)
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


def _copy_in(session: Session, run_id: int) -> int:
    """Replace ``matches``' rows with the run's staged ones (SQLite and the like)."""
    session.execute(delete(Match).execution_options(synchronize_session=False))
    staged = StagedMatch
    columns = ["person_id", "placement_id", "score", "rank", "reasons", "engine_version"]
    source = select(*(getattr(staged, name) for name in columns), staged.computed_at).where(
        staged.run_id == run_id,
        select(User.id).where(User.id == staged.person_id).exists(),
        select(Placement.id).where(Placement.id == staged.placement_id).exists(),
    )
    session.execute(insert(Match).from_select([*columns, "computed_at"], source))
    return int(session.scalar(select(func.count()).select_from(Match)) or 0)


def _swap_in(session: Session, run_id: int) -> int:
    """Make the run's build table ``matches`` (PostgreSQL), keeping every name and constraint.

    Work proportional to the rows (indexes, finding orphans) happens before ``matches`` is
    locked, side by side on connections of its own; from then on only the catalogue changes,
    so readers wait for milliseconds. Foreign keys are added NOT VALID (their ON DELETE
    CASCADE acts at once; existing rows are checked after the commit by ``validate_matches``,
    which takes no lock readers or writers wait for).
    """
    build = build_table(run_id)
    indexes = session.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype = 'p' "
            "WHERE x.indrelid = 'matches'::regclass ORDER BY i.relname"
        )
    ).all()
    foreign_keys = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'matches'::regclass AND contype = 'f' ORDER BY conname"
        )
    ).all()
    renames = []
    statements = []
    for position, (name, definition, primary) in enumerate(indexes):
        temporary = f"{build}_ix{position}"
        head, _, columns = definition.partition(" USING ")
        unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
        statements.append(
            f'CREATE {unique}INDEX IF NOT EXISTS "{temporary}" ON "{build}" USING {columns}'
        )
        renames.append((temporary, name, primary))
    # A person or placement deleted between finding the orphans and the commit cascades into
    # the old table only; ``validate_matches`` drops those few rows before validating the
    # foreign keys.
    *_, [rows], gone_people, gone_placements = _side_by_side(
        session,
        [_create_build_table(run_id)],  # a run without chunks still publishes (empty)
        [
            *statements,
            f'SELECT count(*) FROM "{build}"',
            f'SELECT DISTINCT b.person_id FROM "{build}" b WHERE {PERSON_GONE}',
            f'SELECT DISTINCT b.placement_id FROM "{build}" b WHERE {PLACEMENT_GONE}',
        ],
    )
    orphans = 0
    if gone_people or gone_placements:
        orphans = session.execute(
            text(
                f'DELETE FROM "{build}" WHERE person_id = ANY(:people) '
                "OR placement_id = ANY(:placements)"
            ),
            {"people": gone_people, "placements": gone_placements},
        ).rowcount  # type: ignore[attr-defined]
    session.execute(text("LOCK TABLE matches IN ACCESS EXCLUSIVE MODE"))
    session.execute(text("DROP TABLE matches"))
    session.execute(text(f'ALTER TABLE "{build}" RENAME TO matches'))
    for temporary, name, primary in renames:
        if primary:
            session.execute(
                text(
                    f'ALTER TABLE matches ADD CONSTRAINT "{primary}" PRIMARY KEY USING INDEX '
                    f'"{temporary}"'
                )
            )
            if primary != name:
                session.execute(text(f'ALTER INDEX "{primary}" RENAME TO "{name}"'))
        else:
            session.execute(text(f'ALTER INDEX "{temporary}" RENAME TO "{name}"'))
    for name, definition in foreign_keys:
        session.execute(text(f'ALTER TABLE matches ADD CONSTRAINT "{name}" {definition} NOT VALID'))
    return int(rows) - orphans


def _side_by_side(session: Session, first: list[str], statements: list[str]) -> list[list[Any]]:
    """Run ``first`` in order, then every one of ``statements`` at once, each on a connection
    of its own and committed; each statement's first column, if it gives rows.

    The server builds the indexes, counts and scans for orphans on every core instead of one
    after another in the publish's transaction. The caller holds the publish lock, so no other
    publisher works on the build table meanwhile, and a publish that fails after this finds
    its indexes built (IF NOT EXISTS).
    """
    engine = session.get_bind().engine

    def run(*sql: str) -> list[Any]:
        with engine.connect() as connection:
            # Room to sort an index's keys in memory: the server's default (64 MB) is about
            # what a 100,000-person run needs. This transaction only.
            connection.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
            for statement in sql:
                result = connection.execute(text(statement))
            values = list(result.scalars()) if result.returns_rows else []
            connection.commit()
            return values

    run(*first)
    with ThreadPoolExecutor(len(statements)) as pool:
        return [done.result() for done in [pool.submit(run, sql) for sql in statements]]


def _drop_orphans(session: Session, table: str) -> None:
    session.execute(text(f'DELETE FROM "{table}" b WHERE {PERSON_GONE} OR {PLACEMENT_GONE}'))


def drop_stale_build_tables(session: Session) -> None:
    """Drop build tables whose run is no longer building (PostgreSQL; caller commits)."""
    if not _postgres(session):
        return
    names = session.scalars(
        text("SELECT tablename FROM pg_tables WHERE tablename LIKE :prefix"),
        {"prefix": BUILD_PREFIX + "%"},
    ).all()
    building = set(
        session.scalars(select(MatchRun.id).where(MatchRun.status == MatchRunStatus.BUILDING))
    )
    for name in names:
        suffix = name[len(BUILD_PREFIX) :]
        if suffix.isdigit() and int(suffix) not in building:
            session.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def validate_matches(session: Session) -> None:
    """Validate ``matches``' NOT VALID foreign keys and refresh its statistics (PostgreSQL).

    Run after a publish commits: validating takes a lock that lets readers and writers on,
    and each check is a single join. The caller commits.
    """
    if not _postgres(session):
        return
    pending = list(
        session.execute(
            text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'matches'::regclass "
                "AND contype = 'f' AND NOT convalidated"
            )
        ).scalars()
    )
    if pending:
        _drop_orphans(session, "matches")
    for name in pending:
        session.execute(text(f'ALTER TABLE matches VALIDATE CONSTRAINT "{name}"'))
    session.execute(text("ANALYZE matches"))


def discard_rows(session: Session, run_id: int) -> None:
    """Delete a finished run's staged rows or build table (caller commits)."""
    session.execute(delete(StagedMatch).where(StagedMatch.run_id == run_id))
    drop_build_table(session, run_id)


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
