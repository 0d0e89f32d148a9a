"""A fitted engine kept per worker process and brought up to date from the outbox log.

Loading 100,000 people and fitting the text model takes seconds, so a process keeps one
snapshot and, before each use, applies the matching events recorded since it was loaded:
the changed rows are re-read by id and spliced into the frames. A change of a placement's
status or closing date only flips its eligibility mask (microseconds); any other change
vectorises only the changed rows with the fitted text model and splices them into the fitted
arrays (``Engine.update``; milliseconds). The vocabulary, idf and LSA components stay as
loaded until the snapshot is reloaded, so the snapshot drifts a little from a fresh fit as
text changes; a theme or skill id the fit never saw makes it refit on the spliced frames.
A snapshot older than ``MATCH_SNAPSHOT_MAX_AGE_SECONDS``, or from another day, is reloaded
from scratch (the periodic full refit).

A full rebuild fits one snapshot and shares it: ``save_snapshot`` writes it to a file that
each worker reads instead of loading and fitting its own (``current_snapshot``'s ``saved``),
so every chunk is scored by the same fitted model and the fit is paid once. The file is a
pickle, written and read only by this service's workers in a folder of their own: the fitted
arrays go through it at memory speed, and the frames, text model and sparse matrices with
them, without a second serialisation of the engine's state to keep in step with it.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from matcher.clock import london_today
from matcher.engine import Engine, PeopleFrame, PlacementFrame
from matcher.engine.frames import day_number, splice
from matcher.models import OutboxEvent, utcnow
from matcher.stored_matches.cores import matching_threads
from matcher.stored_matches.loading import engine_config, load_people, load_placements
from matcher.stored_matches.publishing import changed_since_id

logger = logging.getLogger(__name__)

# Events are numbered when flushed but visible only once committed; a transaction still open
# when the snapshot was loaded may commit later with a lower id, so re-read this far back.
EVENT_ID_MARGIN = 1_000
# Placement fields that only decide eligibility: changing them needs no refit.
ELIGIBILITY_FIELDS = frozenset({"is_open", "closing_date"})


@dataclass
class Snapshot:
    """A fitted engine over frames loaded from one database, and how current it is."""

    database: str
    engine: Engine
    today: date
    loaded_at: float
    loaded_wall: datetime
    event_floor: int
    applied: set[int] = field(default_factory=set)
    refits: int = 0
    updates: int = 0

    @property
    def people(self) -> PeopleFrame:
        assert self.engine.people is not None
        return self.engine.people

    @property
    def placements(self) -> PlacementFrame:
        assert self.engine.placements is not None
        return self.engine.placements


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}


def forget_snapshots() -> None:
    """Drop every cached snapshot (tests, and after a full rebuild's own load)."""
    with _lock:
        _snapshots.clear()


def _max_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(OutboxEvent.id))) or 0)


@contextmanager
def _bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while a snapshot's objects are made.

    Loading or reading a snapshot makes millions of tuples, sets and strings, none of them in
    a cycle, and the collector, set off every few hundred new objects, walked all those made so
    far again and again: it was two thirds of the CPU time of loading 100,000 people and half
    of reading a shared snapshot. Reference counting still frees what is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_snapshot(session: Session, settings: Settings) -> Snapshot:
    """Load every person and placement and fit a new engine."""
    floor = max(0, _max_event_id(session) - EVENT_ID_MARGIN)
    loaded_wall = utcnow()
    today = london_today()
    with _bulk_objects():
        people = load_people(session)
        placements = load_placements(session)
        engine = Engine(engine_config(settings, today)).fit(people, placements)
    return Snapshot(
        database=str(session.get_bind().engine.url),
        engine=engine,
        today=today,
        loaded_at=time.monotonic(),
        loaded_wall=loaded_wall,
        event_floor=floor,
    )


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write ``snapshot`` to ``path`` for other processes; readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as out:
        try:
            pickle.dump(snapshot, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, path)


def read_snapshot(path: Path, database: str) -> Snapshot | None:
    """The snapshot saved at ``path``, as this process's for ``database``; None if absent."""
    started = time.perf_counter()
    try:
        with path.open("rb") as saved, _bulk_objects():
            snapshot: Snapshot = pickle.load(saved)
    except FileNotFoundError:
        return None
    logger.info("matching snapshot read from %s in %.1f s", path, time.perf_counter() - started)
    snapshot.database = database
    # Its age counts from when it was loaded, on this process's clock; the threads from this
    # process's share of this machine's cores.
    snapshot.loaded_at = time.monotonic() - (utcnow() - snapshot.loaded_wall).total_seconds()
    engine = snapshot.engine
    engine.config = replace(engine.config, threads=matching_threads())
    return snapshot


def current_snapshot(
    session: Session,
    settings: Settings,
    loaded_after: datetime | None = None,
    saved: Path | None = None,
) -> Snapshot:
    """This process's snapshot for the session's database, brought up to date.

    ``loaded_after`` forces a reload unless the snapshot was loaded after that moment. A
    reload reads the snapshot ``saved`` at that path when there is one, else loads and fits.
    """
    database = str(session.get_bind().engine.url)
    with _lock:
        snapshot = _snapshots.get(database)
        if _stale(session, settings, snapshot, loaded_after):
            snapshot = None if saved is None else read_snapshot(saved, database)
            if snapshot is None or _stale(session, settings, snapshot, loaded_after):
                if saved is not None:
                    logger.warning("no usable matching snapshot at %s: fitting one here", saved)
                snapshot = load_snapshot(session, settings)
            _snapshots[database] = snapshot
        assert snapshot is not None
        refresh(session, snapshot)
        return snapshot


def _stale(
    session: Session,
    settings: Settings,
    snapshot: Snapshot | None,
    loaded_after: datetime | None,
) -> bool:
    return (
        snapshot is None
        or snapshot.today != london_today()
        or time.monotonic() - snapshot.loaded_at > settings.match_snapshot_max_age_seconds
        # The outbox was emptied (a restored or reset database): nothing can be trusted.
        or _max_event_id(session) < snapshot.event_floor
        or (loaded_after is not None and snapshot.loaded_wall < loaded_after)
    )


def refresh(session: Session, snapshot: Snapshot) -> None:
    """Apply the matching events recorded since the snapshot was loaded."""
    events = changed_since_id(session, snapshot.event_floor, exclude=snapshot.applied)
    if not events.event_ids:
        return
    apply_changes(session, snapshot, events.person_ids, events.placement_ids)
    snapshot.applied |= events.event_ids


def apply_changes(
    session: Session, snapshot: Snapshot, person_ids: frozenset[int], placement_ids: frozenset[int]
) -> None:
    """Re-read the given rows and make the snapshot's engine reflect them."""
    people, people_changed = splice(snapshot.people, load_people(session, person_ids), person_ids)
    placements, placements_changed = splice(
        snapshot.placements, load_placements(session, placement_ids), placement_ids
    )
    if not people_changed and placements_changed <= ELIGIBILITY_FIELDS:
        if placements_changed:
            _update_eligibility(snapshot, placements)
        return
    started = time.perf_counter()
    # A new engine object: a TopK still held elsewhere keeps the engine it was computed with.
    engine = Engine(snapshot.engine.config)
    engine._fitted = snapshot.engine.fitted
    engine.people, engine.placements = snapshot.people, snapshot.placements
    incremental = engine.update(people, placements, person_ids, placement_ids)
    snapshot.engine = engine
    if incremental:
        snapshot.updates += 1
    else:
        snapshot.refits += 1
    logger.info(
        "matching snapshot %s for %d people and %d placements in %.3f s",
        "updated" if incremental else "refitted",
        len(person_ids),
        len(placement_ids),
        time.perf_counter() - started,
    )


def _update_eligibility(snapshot: Snapshot, placements: PlacementFrame) -> None:
    """Set the fitted eligibility mask from the new frame: open and not past closing."""
    today = day_number(snapshot.today, 0)
    engine = snapshot.engine
    engine.fitted.q_eligible[:] = placements.is_open & (placements.closing_date >= today)
    engine.placements = placements
