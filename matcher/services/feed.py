"""What the Atom feed announces: the newest placements and practice notes, published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matcher.models import Placement, PlacementStatus, Theme
from matcher.services.practice_notes import published_notes_since

FEED_SIZE = 30


@dataclass(frozen=True)
class FeedEntry:
    """One entry: a placement or a practice note, when it was published, and its words."""

    kind: Literal["placement", "note"]
    id: int
    title: str
    summary: str
    organisation: str
    published_at: datetime


def feed_entries(session: Session, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The ``limit`` newest placements open to interest and published practice notes."""
    placements = session.scalars(
        select(Placement)
        .where(Placement.status == PlacementStatus.OPEN)
        .options(selectinload(Placement.organisation))
        .order_by(Placement.published_at.desc(), Placement.id.desc())
        .limit(limit)
    )
    entries = [
        FeedEntry("placement", p.id, p.title, p.summary, p.organisation.name, _when(p.published_at))
        for p in placements
    ]
    every_theme = list(session.scalars(select(Theme.id)))
    entries += [
        FeedEntry("note", n.id, n.title, n.problem, n.organisation.name, _when(n.published_at))
        for n in published_notes_since(session, None, every_theme, limit=limit)
    ]
    entries.sort(key=lambda e: (e.published_at, e.kind, e.id), reverse=True)
    return entries[:limit]


def _when(published_at: datetime | None) -> datetime:
    assert published_at is not None, "a published row has its time"
    return published_at
