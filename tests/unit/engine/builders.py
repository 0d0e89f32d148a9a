"""Small random people and placements, and a per-pair reference scorer that is easy to check."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from matcher.engine import KINDS, Engine, EngineConfig
from matcher.engine.config import HOST_RATING_PRIOR

TODAY = date(2026, 3, 2)
WORDS = ["housing", "care", "rural", "police", "digital", "finance", "youth", "transport"]
ORGANISATIONS = ["council", "police_force", "regional_partnership", "other_public_body"]


def _day(offset: int | None) -> date | None:
    return None if offset is None else TODAY + timedelta(days=offset)


def _coordinates(draw: st.DrawFn) -> tuple[float | None, float | None]:
    # Whole kilometres keep squared distances exact, so limits are never a rounding matter.
    if draw(st.booleans()) and draw(st.booleans()):
        return None, None
    return draw(st.integers(0, 60)) * 1000.0, draw(st.integers(0, 60)) * 1000.0


@st.composite
def people_records(draw: st.DrawFn, n_placements: int) -> list[dict[str, Any]]:
    """Between 1 and 12 people with ids 1..n."""
    people = []
    for pid in range(1, draw(st.integers(1, 12)) + 1):
        easting, northing = _coordinates(draw)
        start = draw(st.one_of(st.none(), st.integers(-30, 90)))
        people.append(
            {
                "id": pid * 7,
                "grade_rank": draw(st.integers(1, 11)),
                "themes": draw(st.sets(st.integers(1, 5), max_size=3)),
                "skills": draw(st.sets(st.integers(1, 6), max_size=3)),
                "about": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=5))),
                "easting": easting,
                "northing": northing,
                "travel_limit_km": draw(st.integers(0, 40)),
                "remote_ok": draw(st.booleans()),
                "available_from": _day(start),
                "available_until": _day(
                    draw(st.one_of(st.none(), st.integers(max(start or 0, 0), 200)))
                ),
                "wanted_kinds": draw(st.sets(st.sampled_from(KINDS), min_size=1)),
                "discoverable": draw(st.booleans()),
                "policy_profession": draw(st.booleans()),
                "dismissed": draw(st.sets(st.integers(1, n_placements), max_size=2)),
                "interested": draw(st.sets(st.integers(1, n_placements), max_size=2)),
            }
        )
    return people


@st.composite
def placement_records(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    """Exactly n placements with ids 1..n."""
    placements = []
    for pid in range(1, n + 1):
        easting, northing = _coordinates(draw)
        low = draw(st.integers(1, 11))
        start = draw(st.integers(1, 150))
        reflections = draw(st.integers(0, 6))
        placements.append(
            {
                "id": pid,
                "organisation_kind": draw(st.sampled_from(ORGANISATIONS)),
                "status": draw(st.sampled_from(["open", "open", "open", "closed", "draft"])),
                "closing_date": _day(draw(st.integers(-5, start - 1))),
                "grade_min_rank": low,
                "grade_max_rank": draw(st.integers(low, 11)),
                "kind": draw(st.sampled_from(KINDS)),
                # Few distinct themes and words so that equal scores (ties) happen.
                "themes": draw(st.sets(st.integers(1, 5), max_size=3)),
                "skills": draw(st.sets(st.integers(1, 6), max_size=3)),
                "title": draw(st.sampled_from(WORDS)),
                "description": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=6))),
                "easting": easting,
                "northing": northing,
                "remote_possible": draw(st.booleans()),
                "start_date": _day(start),
                "duration_weeks": draw(st.integers(1, 30)),
                # The host's ratings by past secondees (a mean of whole ratings 1-5).
                "host_rating": draw(st.integers(reflections, 5 * reflections)) / reflections
                if reflections
                else None,
                "host_reflections": reflections,
            }
        )
    return placements


def open_placement(pid: int, themes: set[int], text: str) -> dict[str, Any]:
    """A remote-friendly council secondment, open, starting in a month, for hand-made cases."""
    return {
        "id": pid,
        "organisation_kind": "council",
        "status": "open",
        "closing_date": TODAY + timedelta(days=10),
        "grade_min_rank": 4,
        "grade_max_rank": 6,
        "kind": "secondment",
        "themes": themes,
        "description": text,
        "remote_possible": True,
        "start_date": TODAY + timedelta(days=30),
        "duration_weeks": 12,
    }


def eligible(
    person: dict[str, Any], placement: dict[str, Any], organisation_side: bool = False
) -> bool:
    """Every hard filter, written out for one pair."""
    if placement["status"] != "open" or placement["closing_date"] < TODAY:
        return False
    if not placement["grade_min_rank"] <= person["grade_rank"] <= placement["grade_max_rank"]:
        return False
    if placement["kind"] not in person["wanted_kinds"]:
        return False
    first_free_day = max(person["available_from"] or TODAY, TODAY)
    if placement["start_date"] < first_free_day:
        return False
    if (
        person["available_until"] is not None
        and placement["start_date"] > person["available_until"]
    ):
        return False
    squared = squared_km(person, placement)
    near = squared is not None and squared <= person["travel_limit_km"] ** 2
    if not near and not (placement["remote_possible"] and person["remote_ok"]):
        return False
    if placement["id"] in person["dismissed"]:
        return False
    return not organisation_side or person["discoverable"]


def squared_km(person: dict[str, Any], placement: dict[str, Any]) -> float | None:
    """Squared distance in km, or None when a coordinate is unknown."""
    if person["easting"] is None or placement["easting"] is None:
        return None
    de = (person["easting"] - placement["easting"]) / 1000
    dn = (person["northing"] - placement["northing"]) / 1000
    return de * de + dn * dn


def _overlap(a: set[int], b: set[int]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def _related(a: set[int], b: set[int], ids: Any, affinity: Any) -> float:
    """Sum of the fitted affinity over every pair of ids, scaled as the cosine overlap is."""
    if not a or not b:
        return 0.0
    column = {int(t): i for i, t in enumerate(ids)}
    total = sum(float(affinity[column[x], column[y]]) for x in a for y in b)
    return total / math.sqrt(len(a) * len(b))


def reference_score(
    engine: Engine,
    person: dict[str, Any],
    placement: dict[str, Any],
    placements: dict[int, dict[str, Any]],
    config: EngineConfig,
) -> float:
    """The score of one pair from its records; text vectors, the affinities of themes and
    skills and the exposure prices come from the fitted engine."""
    w = config.weights
    fitted = engine.fitted
    i = int(engine.person_indices([person["id"]])[0])
    j = int(engine.placement_indices([placement["id"]])[0])
    score = w.themes * _overlap(person["themes"], placement["themes"])
    score += w.related_themes * _related(
        person["themes"], placement["themes"], fitted.theme_ids, fitted.theme_affinity
    )
    score += w.skills * _overlap(person["skills"], placement["skills"])
    score += w.related_skills * _related(
        person["skills"], placement["skills"], fitted.skill_ids, fitted.skill_affinity
    )
    score += w.text * float(fitted.p_text[i].astype(float) @ fitted.q_text[j])
    squared = squared_km(person, placement)
    closeness = 0.0
    if squared is not None:
        limit = max(person["travel_limit_km"], 1e-3)
        closeness = max(0.0, 1 - math.sqrt(squared) / limit) ** 2
    if person["remote_ok"] and placement["remote_possible"]:
        closeness = max(closeness, config.remote_closeness)
    score += w.distance * closeness
    anchor = max(person["available_from"] or TODAY, TODAY)
    days = (placement["start_date"] - anchor).days
    score += w.start * max(0.0, 1 - abs(days) / config.start_horizon_days)
    if placement["organisation_kind"] != "other_public_body":
        score += w.bridging * (1 + config.policy_bridging_extra * person["policy_profession"])
    for feedback, weight in (("dismissed", -w.not_for_me), ("interested", w.interests)):
        for other_id in person[feedback]:
            other = placements[other_id]
            k = int(engine.placement_indices([other_id])[0])
            similarity = _overlap(other["themes"], placement["themes"])
            similarity += float(fitted.q_text[k].astype(float) @ fitted.q_text[j])
            score += 0.5 * weight * similarity
    if placement.get("host_rating") is not None:
        n = placement["host_reflections"]
        above = min(max((placement["host_rating"] - 3) / 2, 0.0), 1.0)
        score += config.host_rating_weight * above * n / (n + HOST_RATING_PRIOR)
    return score - float(fitted.q_price[j])
