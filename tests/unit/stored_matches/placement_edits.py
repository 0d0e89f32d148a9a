"""A placement edited several ways in turn, each checked against the engine's own full lists.

Shared by the SQLite unit test and the PostgreSQL integration test, since each database takes
its own path through the set-based writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from config import Settings
from matcher.events import PERSON_CHANGED, PLACEMENT_CHANGED
from matcher.models import Dismissal, Match, Placement, PlacementStatus
from matcher.models.placements import placement_skills, placement_themes
from matcher.outbox import record_event
from matcher.stored_matches.incremental import (
    PlacementUpdate,
    placement_changed,
    recompute_people,
)
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import current_snapshot, forget_snapshots
from tests.unit.stored_matches.helpers import seed

Rows = dict[tuple[int, int], tuple[float, int, list[dict[str, Any]]]]


def stored_rows(session: Session) -> Rows:
    """Every stored match with its score, rank and reasons."""
    return {
        (m.person_id, m.placement_id): (m.score, m.rank, m.reasons)
        for m in session.scalars(select(Match))
    }


def engine_rows(session: Session, settings: Settings) -> Rows:
    """Every person's top k as the current snapshot's engine ranks them from scratch."""
    top = current_snapshot(session, settings).engine.top_placements_for_people()
    return {
        (r["person_id"], r["placement_id"]): (r["score"], r["rank"], r["reasons"])
        for r in top.records()
    }


def differences(stored: Rows, expected: Rows) -> list[str]:
    """Pairs missing, extra, or stored with another rank, score or reasons."""
    problems = [f"missing {pair}" for pair in expected.keys() - stored.keys()]
    problems += [f"extra {pair}" for pair in stored.keys() - expected.keys()]
    for pair in stored.keys() & expected.keys():
        (score, rank, reasons), (score_e, rank_e, reasons_e) = stored[pair], expected[pair]
        # Scores are float32 sums whose last bits depend on the shape of the block scored.
        if rank != rank_e or abs(score - score_e) > 1e-5:
            problems.append(f"{pair}: rank {rank} score {score}, expected {rank_e} {score_e}")
        elif [r["component"] for r in reasons] != [r["component"] for r in reasons_e]:
            problems.append(f"{pair}: reasons {reasons}, expected {reasons_e}")
    return problems


@dataclass(frozen=True)
class Step:
    """One edit, what the update reported, and how the placement's ranks moved."""

    name: str
    update: PlacementUpdate
    entered: int
    left: int
    moved_up: int
    moved_down: int
    rows_changed: int  # stored rows added, removed, or with another score, rank or reasons
    problems: list[str]


def _ranks_of(rows: Rows, placement_id: int) -> dict[int, int]:
    return {
        person: rank
        for (person, placement), (_, rank, _) in rows.items()
        if placement == placement_id
    }


def _edit(
    session: Session,
    settings: Settings,
    placement_id: int,
    name: str,
    change: Callable[[], None],
) -> Step:
    previous = stored_rows(session)
    before = _ranks_of(previous, placement_id)
    change()
    record_event(session, PLACEMENT_CHANGED, {"placement_id": placement_id})
    session.commit()
    update_result = placement_changed(session, settings, placement_id)
    session.commit()
    stored = stored_rows(session)
    after = _ranks_of(stored, placement_id)
    both = before.keys() & after.keys()
    return Step(
        name=name,
        update=update_result,
        entered=len(after.keys() - before.keys()),
        left=len(before.keys() - after.keys()),
        moved_up=sum(after[p] < before[p] for p in both),
        moved_down=sum(after[p] > before[p] for p in both),
        rows_changed=len(previous.keys() ^ stored.keys())
        + sum(previous[pair] != stored[pair] for pair in previous.keys() & stored.keys()),
        problems=differences(stored, engine_rows(session, settings)),
    )


def edit_one_placement_every_way(session: Session, settings: Settings) -> list[Step]:
    """Rebuild, then edit the most widely held placement: down, up, wider, same, new text, closed.

    Lists are cut at 5 so that most are full: entering one then pushes a row out, and falling
    to the bottom of one may let a placement outside it in.
    """
    settings = dataclasses.replace(settings, match_k=5)
    seed(session, people=120, placements=200)
    forget_snapshots()
    rebuild_sync(session, settings)
    current_snapshot(session, settings)  # warm, so that the edits go through refresh
    holders = func.count(Match.person_id)
    themed = select(placement_themes.c.placement_id)
    placement_id = session.scalars(
        select(Match.placement_id)
        .where(Match.placement_id.in_(themed))
        .group_by(Match.placement_id)
        .order_by(holders.desc(), Match.placement_id)
        .limit(1)
    ).one()
    # Someone who said "not for me" to it: their person vector holds its themes and text.
    dismisser = session.scalars(
        select(Match.person_id).where(Match.placement_id == placement_id).order_by(Match.person_id)
    ).first()
    session.add(Dismissal(person_id=dismisser, placement_id=placement_id))
    record_event(session, PERSON_CHANGED, {"person_id": dismisser})
    session.commit()
    recompute_people(session, settings, [dismisser])
    session.commit()
    themes = [
        r._asdict()
        for r in session.execute(
            select(placement_themes).where(placement_themes.c.placement_id == placement_id)
        )
    ]
    skills = [
        r._asdict()
        for r in session.execute(
            select(placement_skills).where(placement_skills.c.placement_id == placement_id)
        )
    ]

    def strip() -> None:
        session.execute(
            delete(placement_themes).where(placement_themes.c.placement_id == placement_id)
        )
        session.execute(
            delete(placement_skills).where(placement_skills.c.placement_id == placement_id)
        )

    def restore() -> None:
        session.execute(insert(placement_themes), themes)
        if skills:
            session.execute(insert(placement_skills), skills)

    def widen() -> None:
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(remote_possible=True, grade_min_rank=1, grade_max_rank=11)
        )

    def rewrite() -> None:
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(description="Harbour dredging logistics and coastal flood defences.")
        )

    def close() -> None:
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(status=PlacementStatus.CLOSED)
        )

    return [
        _edit(session, settings, placement_id, "themes and skills removed", strip),
        _edit(session, settings, placement_id, "themes and skills restored", restore),
        _edit(session, settings, placement_id, "remote and every grade", widen),
        _edit(session, settings, placement_id, "nothing changed", lambda: None),
        _edit(session, settings, placement_id, "description rewritten", rewrite),
        _edit(session, settings, placement_id, "closed", close),
    ]
