"""Builders for stored-match tests: a small seeded database and an obviously-correct filter."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.demo.seed import seed_demo
from matcher.models import (
    CivilServantProfile,
    Dismissal,
    Match,
    Organisation,
    Placement,
    WantedKind,
)


def seed(session: Session, people: int = 60, placements: int = 40, seed_value: int = 3) -> None:
    """Seed a small demo database and commit."""
    seed_demo(session, people=people, placements=placements, seed=seed_value)
    session.commit()


def stored(session: Session) -> dict[tuple[int, int], tuple[float, int]]:
    """Every stored match as (person, placement) -> (score, rank)."""
    return {
        (m.person_id, m.placement_id): (m.score, m.rank) for m in session.scalars(select(Match))
    }


def violations(session: Session) -> list[str]:
    """Stored matches that break a hard filter, checked row by row in plain Python."""
    today = london_today()
    people = {p.user_id: p for p in session.scalars(select(CivilServantProfile))}
    kinds: dict[int, set[str]] = {}
    for wanted in session.scalars(select(WantedKind)):
        kinds.setdefault(wanted.user_id, set()).add(str(wanted.kind))
    dismissed = {(d.person_id, d.placement_id) for d in session.scalars(select(Dismissal))}
    placements = {p.id: p for p in session.scalars(select(Placement))}
    organisations = {o.id: o for o in session.scalars(select(Organisation))}
    problems = []
    for match in session.scalars(select(Match)):
        person, placement = people.get(match.person_id), placements.get(match.placement_id)
        pair = f"{match.person_id}/{match.placement_id}"
        if person is None or person.completed_at is None or placement is None:
            problems.append(f"{pair}: unknown person or placement")
            continue
        assert organisations[placement.organisation_id] is not None
        first_free_day = max(person.available_from or today, today)
        checks: dict[str, Any] = {
            "open": str(placement.status) == "open" and placement.closing_date >= today,
            "grade": placement.grade_min_rank
            <= (person.grade_rank or 0)
            <= placement.grade_max_rank,
            "can start": first_free_day
            <= placement.start_date
            <= (person.available_until or date.max),
            "kind": str(placement.kind) in kinds.get(person.user_id, set()),
            "travel": _reachable(person, placement),
            "not for me": (person.user_id, placement.id) not in dismissed,
        }
        problems += [f"{pair}: {name}" for name, ok in checks.items() if not ok]
    return problems


def _reachable(person: CivilServantProfile, placement: Placement) -> bool:
    if person.remote_ok and placement.remote_possible:
        return True
    if None in (person.easting, person.northing, placement.easting, placement.northing):
        return False
    km = math.hypot(person.easting - placement.easting, person.northing - placement.northing)
    return km / 1000 <= person.travel_limit_km + 1e-6
