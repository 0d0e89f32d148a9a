"""Re-score what one event changed: a person's top k, or a placement and the lists it affects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from matcher.matchmaking.publishing import lock_for_incremental
from matcher.matchmaking.snapshot import Snapshot, current_snapshot
from matcher.matchmaking.storing import replace_people_matches
from matcher.models import Match

ID_BATCH = 10_000


@dataclass(frozen=True)
class PlacementUpdate:
    """What re-scoring one placement did."""

    eligible_people: int
    entered: int
    left_or_moved: int
    rows: int


def _recompute(session: Session, snapshot: Snapshot, person_ids: Iterable[int]) -> int:
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return 0
    engine = snapshot.engine
    known = np.asarray(ids, np.int64)
    known = known[np.isin(known, snapshot.people.ids)]
    top = engine.top_placements_for_people(engine.person_indices(known)) if len(known) else None
    return replace_people_matches(session, ids, top)


def recompute_people(session: Session, settings: Settings, person_ids: Iterable[int]) -> int:
    """Replace these people's stored top k with fresh ones (none if they have no profile)."""
    snapshot = current_snapshot(session, settings)
    lock_for_incremental(session)
    return _recompute(session, snapshot, person_ids)


def _kth_scores(session: Session, person_ids: np.ndarray, k: int) -> dict[int, float]:
    """Each person's stored k-th best score, for those who have k matches."""
    scores: dict[int, float] = {}
    for start in range(0, len(person_ids), ID_BATCH):
        batch = [int(i) for i in person_ids[start : start + ID_BATCH]]
        rows = session.execute(
            select(Match.person_id, Match.score).where(Match.person_id.in_(batch), Match.rank == k)
        )
        scores.update((int(person), float(score)) for person, score in rows)
    return scores


def placement_changed(session: Session, settings: Settings, placement_id: int) -> PlacementUpdate:
    """Re-score one placement against everyone and update the lists it enters or leaves.

    The placement is scored against every person in one block; it enters the list of anyone
    whose score beats their stored k-th (or whose list is short). Everyone whose list holds it
    now is recomputed too, since it may have left, moved or changed its reasons.
    """
    snapshot = current_snapshot(session, settings)
    lock_for_incremental(session)
    engine = snapshot.engine
    k = engine.config.k
    holders = set(
        session.scalars(select(Match.person_id).where(Match.placement_id == placement_id))
    )
    entered: list[int] = []
    eligible = 0
    known = np.flatnonzero(snapshot.placements.ids == placement_id)
    if len(known) and len(snapshot.people):
        everyone = np.arange(len(snapshot.people), dtype=np.intp)
        scores = engine.scores(everyone, known)[:, 0]
        candidates = np.flatnonzero(np.isfinite(scores))
        eligible = len(candidates)
        candidate_ids = snapshot.people.ids[candidates]
        kth = _kth_scores(session, candidate_ids, k)
        floor = np.array([kth.get(int(i), -np.inf) for i in candidate_ids], np.float64)
        # Ties may go either way in the engine's order: recomputing them is the safe side.
        entering = scores[candidates].astype(np.float64) >= floor - 1e-6
        entered = [int(i) for i in candidate_ids[entering] if int(i) not in holders]
    rows = _recompute(session, snapshot, holders | set(entered))
    return PlacementUpdate(
        eligible_people=eligible, entered=len(entered), left_or_moved=len(holders), rows=rows
    )
