"""Re-score what one event changed: a person's top k, or a placement and the lists it affects.

A changed placement is merged into the stored lists rather than rewriting them. Its own rows
are deleted and re-inserted where they now belong; in each list the rows between its old and
new place shift by one rank, all lists in one set-based UPDATE; a full list it enters loses
its k-th row. Only a full list it leaves (or may have fallen out of) needs the engine, since
only then is a replacement due, and even then just the replacement is written when the rest
of the list is as stored. Scoring one placement changes no other pair's score, except for the
people who marked it "not for me" (their person vector holds it), whose lists are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from config import Settings
from matcher.engine import TopK
from matcher.models import Match
from matcher.stored_matches.publishing import lock_for_incremental
from matcher.stored_matches.snapshot import Snapshot, current_snapshot
from matcher.stored_matches.storing import (
    delete_people_matches,
    delete_placement_matches,
    drop_from_rank,
    pg_array,
    replace_people_matches,
    shift_ranks,
    write_top,
)

ID_BATCH = 10_000
# One pair scored in differently shaped blocks can differ by a few float32 ulps, so a full
# rebuild may put two scores this close in either order: such lists go to the engine instead
# of being merged by comparing scores.
TIE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class PlacementUpdate:
    """What re-scoring one placement did to the stored lists."""

    eligible_people: int
    entered: int  # lists that hold it now and did not
    kept: int  # lists that held it and still do, at its new rank
    left: int  # lists that held it and no longer do
    recomputed: int  # lists rewritten in full
    rows: int  # rows inserted
    shifted: int  # other rows whose rank moved


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


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _within_reach(
    session: Session, person_ids: NDArray[np.int64], scores: NDArray[np.float32], k: int
) -> NDArray[np.int64]:
    """Of these people, those whose score reaches (or nearly reaches) their stored k-th.

    Everyone with a list shorter than k is within reach. PostgreSQL compares in the query, so
    only the few within reach come back; elsewhere every stored k-th is read and compared here.
    """
    if len(person_ids) == 0:
        return np.empty(0, np.int64)
    if _postgres(session):
        found = session.scalars(
            text(
                "SELECT c.person_id FROM unnest(CAST(:ids AS integer[]), "
                "CAST(:scores AS float8[])) AS c(person_id, score) "
                "LEFT JOIN matches m ON m.person_id = c.person_id AND m.rank = :k "
                "WHERE m.score IS NULL OR c.score >= m.score - :tolerance"
            ),
            {
                "ids": pg_array(person_ids),
                "scores": pg_array(scores.astype(np.float64)),
                "k": k,
                "tolerance": TIE_TOLERANCE,
            },
        )
        return np.fromiter(found, np.int64)
    kth_of: dict[int, float] = {}
    for start in range(0, len(person_ids), ID_BATCH):
        batch = person_ids[start : start + ID_BATCH].tolist()
        rows = session.execute(
            select(Match.person_id, Match.score).where(Match.person_id.in_(batch), Match.rank == k)
        )
        kth_of.update((int(person), float(score)) for person, score in rows)
    kth = np.array([kth_of.get(int(i), -np.inf) for i in person_ids], np.float64)
    return person_ids[scores >= kth - TIE_TOLERANCE]


@dataclass(frozen=True)
class _Lists:
    """Stored rows of some people, ordered by person then rank, without their reasons."""

    slot: NDArray[np.intp]  # the row's person, as a position in the sorted ids asked for
    placement: NDArray[np.int64]
    score: NDArray[np.float32]
    rank: NDArray[np.int64]


def _stored_lists(session: Session, person_ids: NDArray[np.int64]) -> _Lists:
    """The stored rows of ``person_ids`` (sorted and unique)."""
    ids = person_ids.tolist()
    rows: Sequence[Any] = []
    if _postgres(session) and ids:
        rows = session.execute(
            text(
                "SELECT person_id, placement_id, score, rank FROM matches "
                "WHERE person_id = ANY(CAST(:ids AS integer[]))"
            ),
            {"ids": pg_array(ids)},
        ).all()
    else:
        columns = (Match.person_id, Match.placement_id, Match.score, Match.rank)
        rows = [
            row
            for start in range(0, len(ids), ID_BATCH)
            for row in session.execute(
                select(*columns).where(Match.person_id.in_(ids[start : start + ID_BATCH]))
            )
        ]
    # Plain tuples: numpy would probe each Row for the array protocols, which is slow.
    table = np.array([tuple(r) for r in rows], np.float64).reshape(-1, 4)
    person, placement = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    rank = table[:, 3].astype(np.int64)
    order = np.lexsort((rank, person))
    return _Lists(
        slot=np.searchsorted(person_ids, person[order]).astype(np.intp),
        placement=placement[order],
        # Stored scores round-trip the engine's float32 ones: as float32 they compare exactly.
        score=table[order, 2].astype(np.float32),
        rank=rank[order],
    )


def _count(slots: NDArray[np.intp], size: int) -> NDArray[np.int64]:
    return np.bincount(slots, minlength=size).astype(np.int64)


def _positions(people: NDArray[np.int64], ids: NDArray[np.int64]) -> NDArray[np.intp]:
    """Row of each id in ``people``, or -1 for an id the snapshot does not have."""
    if len(people) == 0:
        return np.full(len(ids), -1, np.intp)
    order = np.argsort(people, kind="stable")
    found = order[np.minimum(np.searchsorted(people, ids, sorter=order), len(people) - 1)]
    return np.where(people[found] == ids, found, -1).astype(np.intp)


@dataclass(frozen=True)
class _Standing:
    """Where the placement stood and now stands in each affected person's stored list."""

    ids: NDArray[np.int64]  # sorted
    row: NDArray[np.intp]  # in the snapshot, -1 if the person has no profile there
    size: NDArray[np.int64]  # stored rows, the placement's included
    first: NDArray[np.int64]  # offset of the person's rows in the lists
    score: NDArray[np.float32]  # the placement's new score, -inf when ineligible
    held: NDArray[np.bool_]
    old_rank: NDArray[np.int64]  # 0 when not held
    new_rank: NDArray[np.int64]  # 1 + the other rows that come before it
    enter: NDArray[np.bool_]
    keep: NDArray[np.bool_]
    leave: NDArray[np.bool_]
    rescore: NDArray[np.bool_]  # for the engine: a near tie, or a replacement may be due
    broken: NDArray[np.bool_]  # ranks not 1..n: rewritten in full by the engine
    gone: NDArray[np.bool_]  # no profile any more: every row deleted


def _standing(
    lists: _Lists,
    ids: NDArray[np.int64],
    row: NDArray[np.intp],
    score: NDArray[np.float32],
    placement_id: int,
    k: int,
) -> _Standing:
    m, slot = len(ids), lists.slot
    size = _count(slot, m)
    first = np.cumsum(size) - size
    gaps = lists.rank != np.arange(len(slot)) - first[slot] + 1
    broken = _count(slot[gaps], m) > 0
    own = lists.placement == placement_id
    held = _count(slot[own], m) > 0
    old_rank = np.zeros(m, np.int64)
    old_rank[slot[own]] = lists.rank[own]
    old_score = np.full(m, -np.inf, np.float32)
    old_score[slot[own]] = lists.score[own]
    theirs = score[slot]
    # The engine's order: score descending, then placement id ascending.
    before = ~own & (
        (lists.score > theirs) | ((lists.score == theirs) & (lists.placement < placement_id))
    )
    new_rank = 1 + _count(slot[before], m)
    near = _count(slot[~own & (np.abs(lists.score - theirs) <= TIE_TOLERANCE)], m) > 0
    finite = np.isfinite(score)
    full = size >= k
    # Last in a full list it may have fallen below the (k+1)-th, which is not stored; only if
    # it was k-th already and its score did not fall is it sure to stay.
    sure_to_stay = (old_rank == k) & (score >= old_score)
    gone = row < 0
    rescore = ~gone & (
        broken
        | (finite & near)
        | (~finite & held & full)
        | (finite & held & full & (new_rank >= k) & ~sure_to_stay)
        | (finite & ~held & full & (new_rank > k))
    )
    merge = ~gone & ~rescore
    return _Standing(
        ids=ids,
        row=row,
        size=size,
        first=first,
        score=score,
        held=held,
        old_rank=old_rank,
        new_rank=new_rank,
        enter=merge & finite & ~held,
        keep=merge & finite & held,
        leave=merge & ~finite & held,
        rescore=rescore,
        broken=broken,
        gone=gone,
    )


@dataclass
class _Writes:
    """What to do to ``matches``, gathered before any of it is done."""

    replace: set[int] = field(default_factory=set)  # deleted in full, then inserted afresh
    shifts: list[tuple[int, int, int, int]] = field(default_factory=list)  # person, low, high, by
    overflow: list[int] = field(default_factory=list)  # full lists it enters: their k-th goes
    inserts: list[TopK] = field(default_factory=list)
    entered: int = 0
    kept: int = 0
    left: int = 0

    def shift(self, person: int, low: int, high: int, by: int) -> None:
        if low <= high:
            self.shifts.append((person, low, high, by))

    def count(self, held: bool, holds: bool) -> None:
        self.entered += holds and not held
        self.kept += holds and held
        self.left += held and not holds


def _concatenate(parts: list[TopK], snapshot: Snapshot) -> TopK:
    kinds = {
        "person_index": np.intp,
        "placement_index": np.intp,
        "person_ids": np.int64,
        "placement_ids": np.int64,
        "scores": np.float64,
        "ranks": np.int32,
    }
    arrays = {
        name: np.concatenate([np.empty(0, kind)] + [getattr(p, name) for p in parts]).astype(kind)
        for name, kind in kinds.items()
    }
    return TopK(**arrays, engine=snapshot.engine)


def _plan_merges(
    writes: _Writes, s: _Standing, snapshot: Snapshot, column: NDArray[np.intp], k: int
) -> None:
    """The moves that need no engine: enter, move within a list, or leave a short list."""
    for i in np.flatnonzero(s.enter | s.keep | s.leave).tolist():
        person, n = int(s.ids[i]), int(s.size[i])
        old, new = int(s.old_rank[i]), int(s.new_rank[i])
        if s.enter[i]:
            writes.shift(person, new, min(n, k - 1), 1)
        elif s.leave[i]:
            writes.shift(person, old + 1, n, -1)
        elif new < old:
            writes.shift(person, new, old - 1, 1)
        else:
            writes.shift(person, old + 1, new, -1)
    writes.overflow = s.ids[s.enter & (s.size >= k)].tolist()
    writes.entered += int(s.enter.sum())
    writes.kept += int(s.keep.sum())
    writes.left += int(s.leave.sum())
    placing = np.flatnonzero(s.enter | s.keep)
    if len(placing):
        writes.inserts.append(
            TopK(
                person_index=s.row[placing],
                placement_index=np.repeat(column, len(placing)).astype(np.intp),
                person_ids=s.ids[placing],
                placement_ids=snapshot.placements.ids[np.repeat(column, len(placing))],
                scores=s.score[placing].astype(np.float64),
                ranks=s.new_rank[placing].astype(np.int32),
                engine=snapshot.engine,
            )
        )


def _plan_rescores(
    writes: _Writes,
    s: _Standing,
    lists: _Lists,
    snapshot: Snapshot,
    with_feedback: NDArray[np.int64],
    placement_id: int,
) -> None:
    """Ask the engine for the lists merging cannot settle, and write as little as it allows."""
    redo = np.union1d(s.ids[s.rescore], with_feedback)
    if len(redo) == 0:
        return
    engine = snapshot.engine
    top = engine.top_placements_for_people(engine.person_indices(redo))
    # Grouped by person index; regroup by id, keeping each list's order.
    top = top.subset(np.argsort(top.person_ids, kind="stable"))
    bounds = [*np.searchsorted(top.person_ids, redo).tolist(), len(top)]
    slots = np.searchsorted(s.ids, redo)
    for r, person in enumerate(redo.tolist()):
        whole = np.arange(bounds[r], bounds[r + 1])
        fresh = top.placement_ids[whole]
        i = int(slots[r])
        if i >= len(s.ids) or s.ids[i] != person:  # a dismisser: every score may have moved
            writes.replace.add(person)
            writes.inserts.append(top.subset(whole))
            continue
        mine = slice(int(s.first[i]), int(s.first[i] + s.size[i]))
        others = lists.placement[mine][lists.placement[mine] != placement_id]
        writes.count(bool(s.held[i]), bool(np.any(fresh == placement_id)))
        if not s.broken[i] and np.array_equal(fresh[: len(others)], others):
            # The rest of the list is as stored: close the placement's gap, append the tail.
            if s.held[i]:
                writes.shift(person, int(s.old_rank[i]) + 1, int(s.size[i]), -1)
            writes.inserts.append(top.subset(whole[len(others) :]))
        else:
            writes.replace.add(person)
            writes.inserts.append(top.subset(whole))


def placement_changed(session: Session, settings: Settings, placement_id: int) -> PlacementUpdate:
    """Re-score one placement against everyone and merge it into the lists it affects.

    It enters the list of anyone whose score beats their stored k-th (or whose list is
    short), moves within the lists that hold it, and leaves those where it became ineligible
    or fell below the k-th; see the module docstring for how each is written.
    """
    snapshot = current_snapshot(session, settings)
    engine = snapshot.engine
    k = engine.config.k
    people = snapshot.people.ids
    scores = np.full(len(people), -np.inf, np.float32)
    with_feedback = np.empty(0, np.int64)
    column = np.flatnonzero(snapshot.placements.ids == placement_id)[:1]
    if len(column) and len(people):
        scores = engine.scores(np.arange(len(people), dtype=np.intp), column)[:, 0]
        # Their "not for me" or interest vectors hold its themes and text: whole lists redone.
        feedback = engine.fitted.p_dismissed_pairs + engine.fitted.p_interested_pairs
        with_feedback = np.unique(people[feedback[:, column].tocoo().row])
    eligible = np.isfinite(scores)

    # Scoring needs no lock; from here on, what is read is what is written.
    lock_for_incremental(session)
    holders = np.fromiter(
        session.scalars(select(Match.person_id).where(Match.placement_id == placement_id)),
        np.int64,
    )
    candidates = np.flatnonzero(eligible & ~np.isin(people, holders))
    reach = _within_reach(session, people[candidates], scores[candidates], k)
    ids = np.setdiff1d(np.union1d(holders, reach), with_feedback)
    row = _positions(people, ids)
    score = np.where(row >= 0, scores[np.maximum(row, 0)], np.float32(-np.inf)).astype(np.float32)
    lists = _stored_lists(session, ids)
    standing = _standing(lists, ids, row, score, placement_id, k)

    writes = _Writes(replace=set(ids[standing.gone].tolist()))
    writes.left += int((standing.gone & standing.held).sum())
    _plan_merges(writes, standing, snapshot, column, k)
    _plan_rescores(writes, standing, lists, snapshot, with_feedback, placement_id)

    # Rows that go, go first: every shift below then moves only rows that stay.
    delete_placement_matches(session, placement_id)
    delete_people_matches(session, sorted(writes.replace))
    drop_from_rank(session, writes.overflow, k)
    shifted = shift_ranks(session, writes.shifts)
    rows = write_top(session, Match.__tablename__, _concatenate(writes.inserts, snapshot))
    return PlacementUpdate(
        eligible_people=int(eligible.sum()),
        entered=writes.entered,
        kept=writes.kept,
        left=writes.left,
        recomputed=len(writes.replace),
        rows=rows,
        shifted=shifted,
    )
