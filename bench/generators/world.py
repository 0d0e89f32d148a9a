"""The shared frame of every generator: hidden interests, noisy declared views of them, real
postcodes, and a graded ground truth for every pair.

Written without reference to the engine's features: the ground truth comes only from what a
generator hides (interests, true skills, how far a person is willing to go), never from what
the engine computes. People and placements reach the engine as PeopleFrame and PlacementFrame,
the engine's input format, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from bench.generators.vocabulary import (
    PERSON_CLOSINGS,
    PERSON_OPENINGS,
    PLACEMENT_CLOSINGS,
    PLACEMENT_OPENINGS,
    ROLE_NOUNS,
    THEME_NEIGHBOURHOODS,
    THEME_WORDS,
)
from matcher.engine.frames import KINDS, PeopleFrame, PlacementFrame
from matcher.reference import catalogue
from matcher.reference.postcodes import postcode_sample

TODAY = date(2027, 1, 4)
THEME_SLUGS: tuple[str, ...] = tuple(theme["slug"] for theme in catalogue.themes())
# Theme and skill ids as the database would number them: reference order, from 1.
THEME_IDS = np.arange(1, len(THEME_SLUGS) + 1)
SKILL_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(s["description"] for s in catalogue.skills()))
SKILL_GROUP = np.array([SKILL_GROUPS.index(s["description"]) for s in catalogue.skills()])
# Skill groups a placement in each theme neighbourhood is likely to ask for.
NEIGHBOURHOOD_SKILL_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Local services", "Policy", "People and engagement"),
    ("Policing and justice", "Local services"),
    ("Local services", "People and engagement", "Policy"),
    ("Finance and resources", "Delivery", "Local services"),
    ("Delivery", "Analysis and evidence", "Local services"),
    ("Digital and data", "Governance and law", "Policy", "Analysis and evidence"),
    ("People and engagement", "Communication", "Delivery"),
)
KIND_SHARE = np.array([0.35, 0.3, 0.15, 0.1, 0.1])
ORGANISATION_KINDS = ("council", "police_force", "regional_partnership", "public_body")
ORGANISATION_SHARE = np.array([0.55, 0.15, 0.1, 0.2])
GRADE_SHARE = np.array([0.0, 0.05, 0.25, 0.3, 0.2, 0.15, 0.05])  # ranks 1 (AA) to 7 (G6)


@dataclass(frozen=True)
class Knobs:
    """What makes one generator differ from another."""

    # Declared themes: chance a hidden interest goes undeclared, spurious themes per person.
    person_theme_miss: float
    person_theme_spurious: float
    placement_theme_miss: float = 0.1
    placement_theme_spurious: float = 0.2
    # About text: sentences from hidden interests, chance a phrase is in lay words, chance of an
    # empty about, sentences about things the person is not after.
    about_sentences: tuple[int, int] = (1, 3)
    lay_share: float = 0.7
    empty_about: float = 0.2
    about_distractors: float = 0.3
    # Ground truth: weights of interest, skill fit, nearness and an early start in a pair's worth.
    truth_interest: float = 1.0
    truth_skills: float = 0.3
    truth_nearness: float = 0.2
    truth_start: float = 0.1
    truth_noise: float = 0.05
    # Geography: travel limits (km), who accepts remote work, how fast nearness fades.
    travel_limit_km: tuple[float, ...] = (15, 25, 40, 60, 80, 120, 200)
    person_remote: float = 0.5
    placement_remote: float = 0.3
    nearness_fraction_of_limit: float = 0.6
    remote_nearness: float = 0.8


@dataclass(frozen=True)
class Dataset:
    """People, placements and a 0-3 relevance per pair (0 for every pair a hard filter bars)."""

    name: str
    today: date
    people: PeopleFrame
    placements: PlacementFrame
    relevance: NDArray[np.int8]
    feasible: NDArray[np.bool_]


def neighbour_matrix() -> NDArray[np.float64]:
    """Theme-to-theme affinity of the hidden world: 1 for a theme, 0.3 within its neighbourhood."""
    index = {slug: i for i, slug in enumerate(THEME_SLUGS)}
    matrix = np.eye(len(THEME_SLUGS))
    for group in THEME_NEIGHBOURHOODS:
        rows = [index[slug] for slug in group]
        for i in rows:
            for j in rows:
                if i != j:
                    matrix[i, j] = 0.3
    return matrix


def _neighbourhood_of() -> NDArray[np.intp]:
    index = {slug: i for i, slug in enumerate(THEME_SLUGS)}
    owner = np.zeros(len(THEME_SLUGS), np.intp)
    for n, group in enumerate(THEME_NEIGHBOURHOODS):
        owner[[index[slug] for slug in group]] = n
    return owner


def _draw_topics(rng: np.random.Generator, count: int, sizes: tuple[int, int], stray: float):
    """Weights over themes: a few from one neighbourhood, sometimes one from anywhere."""
    members = [np.flatnonzero(_neighbourhood_of() == n) for n in range(len(THEME_NEIGHBOURHOODS))]
    topics = np.zeros((count, len(THEME_SLUGS)))
    home = rng.integers(0, len(members), count)
    for i in range(count):
        group = members[home[i]]
        size = min(int(rng.integers(sizes[0], sizes[1] + 1)), len(group))
        chosen = list(rng.choice(group, size=size, replace=False))
        if rng.random() < stray:
            chosen.append(int(rng.integers(0, len(THEME_SLUGS))))
        topics[i, chosen] += rng.dirichlet(np.ones(len(chosen)))
    return topics / topics.sum(axis=1, keepdims=True), home


def _declare(rng: np.random.Generator, weights: NDArray[np.float64], miss: float, spurious: float):
    """Theme ids a profile shows: each true theme unless missed, plus Poisson spurious ones."""
    declared = []
    for row in weights:
        shown = {int(THEME_IDS[t]) for t in np.flatnonzero(row) if rng.random() >= miss}
        shown |= {int(t) for t in rng.choice(THEME_IDS, size=rng.poisson(spurious))}
        if not shown:
            shown = {int(THEME_IDS[rng.choice(np.flatnonzero(row))])}
        declared.append(sorted(shown))
    return declared


def _skills(rng: np.random.Generator, home: NDArray[np.intp], count: tuple[int, int]):
    """Skill index sets, mostly from groups that go with each row's home neighbourhood."""
    rows = []
    for n in home:
        groups = [SKILL_GROUPS.index(g) for g in NEIGHBOURHOOD_SKILL_GROUPS[n]]
        pool = np.flatnonzero(np.isin(SKILL_GROUP, rng.choice(groups, size=2)))
        size = int(rng.integers(count[0], count[1] + 1))
        chosen = set(rng.choice(pool, size=min(size, len(pool)), replace=False).tolist())
        if rng.random() < 0.5:
            chosen.add(int(rng.integers(0, len(SKILL_GROUP))))
        rows.append(sorted(chosen))
    return rows


def _skill_fit(person_skills: list[list[int]], placement_skills: list[list[int]]):
    """Share of each placement's skills a person has: 1 for the skill, 0.4 for its group."""
    n_skills, n_groups = len(SKILL_GROUP), len(SKILL_GROUPS)
    has = np.zeros((len(person_skills), n_skills))
    group = np.zeros((len(person_skills), n_groups))
    for i, skills in enumerate(person_skills):
        has[i, skills] = 1.0
        group[i, SKILL_GROUP[skills]] = 1.0
    need = np.zeros((len(placement_skills), n_skills))
    for j, skills in enumerate(placement_skills):
        need[j, skills] = 1.0 / len(skills)
    exact = has @ need.T
    near = group @ (need @ np.eye(n_groups)[SKILL_GROUP]).T
    return exact + 0.4 * np.clip(near - exact, 0.0, None)


def _phrase(rng: np.random.Generator, theme: int, lay_share: float, side: str) -> str:
    words = THEME_WORDS[THEME_SLUGS[theme]]
    own = words.lay if side == "person" else words.formal
    pool = own if rng.random() < lay_share else words.shared
    return str(rng.choice(pool))


def _sentences(rng, templates, topics_row, n, lay_share, side, distractor=0.0) -> list[str]:
    themes = np.flatnonzero(topics_row)
    p = topics_row[themes] / topics_row[themes].sum()
    out = []
    for _ in range(n):
        pick = rng.choice(themes, size=2, p=p)
        if rng.random() < distractor:
            pick[0] = rng.integers(0, len(THEME_SLUGS))
        a, b = (_phrase(rng, int(t), lay_share, side) for t in pick)
        out.append(str(rng.choice(templates)).format(a=a, b=b))
    return out


def _day(offset: int) -> date:
    return TODAY + timedelta(days=int(offset))


def build(name: str, knobs: Knobs, n_people: int, n_placements: int, seed: int) -> Dataset:
    """Draw one dataset from ``knobs``; the same arguments always give the same data."""
    rng = np.random.default_rng(seed)
    sample = postcode_sample()

    person_topics, person_home = _draw_topics(rng, n_people, (1, 3), stray=0.5)
    place_topics, place_home = _draw_topics(rng, n_placements, (1, 2), stray=0.2)
    person_skills = _skills(rng, person_home, (3, 7))
    place_skills = _skills(rng, place_home, (2, 4))

    where = sample.draw_anywhere(rng, n_people)
    p_east, p_north = sample.easting[where], sample.northing[where]
    there = sample.draw_anywhere(rng, n_placements)
    q_east, q_north = sample.easting[there], sample.northing[there]

    grade = rng.choice(np.arange(1, 8), size=n_people, p=GRADE_SHARE)
    limit = rng.choice(np.array(knobs.travel_limit_km, float), size=n_people)
    remote_ok = rng.random(n_people) < knobs.person_remote
    available_from = rng.integers(-90, 150, n_people)
    window = rng.integers(60, 400, n_people)
    open_ended = rng.random(n_people) < 0.2
    wanted = [
        list(rng.choice(len(KINDS), size=int(rng.integers(2, 5)), replace=False, p=KIND_SHARE))
        for _ in range(n_people)
    ]

    kind = rng.choice(len(KINDS), size=n_placements, p=KIND_SHARE)
    organisation = rng.choice(len(ORGANISATION_KINDS), size=n_placements, p=ORGANISATION_SHARE)
    grade_min = rng.integers(2, 7, n_placements)
    grade_max = np.minimum(grade_min + rng.integers(1, 4, n_placements), 11)
    start = rng.integers(3, 300, n_placements)
    weeks = rng.integers(4, 53, n_placements)
    # Closing dates are never today, so no filter has to decide which side of it today falls.
    closing = start - rng.integers(5, 40, n_placements)
    closing[closing == 0] = 1
    status = np.where(rng.random(n_placements) < 0.95, "open", "closed")
    remote_possible = rng.random(n_placements) < knobs.placement_remote
    dismissed = [
        sorted({int(j) + 1 for j in rng.integers(0, n_placements, rng.poisson(0.5))})
        for _ in range(n_people)
    ]

    people = PeopleFrame.from_records(
        {
            "id": i + 1,
            "grade_rank": int(grade[i]),
            "themes": declared,
            "skills": [s + 1 for s in _noisy_skills(rng, person_skills[i])],
            "about": _about(rng, knobs, person_topics[i]),
            "easting": float(p_east[i]),
            "northing": float(p_north[i]),
            "travel_limit_km": float(limit[i]),
            "remote_ok": bool(remote_ok[i]),
            "available_from": _day(available_from[i]),
            "available_until": None if open_ended[i] else _day(available_from[i] + window[i]),
            "wanted_kinds": [KINDS[k] for k in wanted[i]],
            "discoverable": bool(rng.random() < 0.7),
            "policy_profession": bool(rng.random() < 0.4),
            "dismissed": dismissed[i],
        }
        for i, declared in enumerate(
            _declare(rng, person_topics, knobs.person_theme_miss, knobs.person_theme_spurious)
        )
    )
    placements = PlacementFrame.from_records(
        {
            "id": j + 1,
            "organisation_kind": ORGANISATION_KINDS[organisation[j]],
            "status": str(status[j]),
            "closing_date": _day(closing[j]),
            "grade_min_rank": int(grade_min[j]),
            "grade_max_rank": int(grade_max[j]),
            "kind": KINDS[kind[j]],
            "themes": declared,
            "skills": [s + 1 for s in place_skills[j]],
            **_placement_text(rng, place_topics[j]),
            "easting": float(q_east[j]),
            "northing": float(q_north[j]),
            "remote_possible": bool(remote_possible[j]),
            "start_date": _day(start[j]),
            "duration_weeks": int(weeks[j]),
        }
        for j, declared in enumerate(
            _declare(rng, place_topics, knobs.placement_theme_miss, knobs.placement_theme_spurious)
        )
    )

    distance = np.hypot(p_east[:, None] - q_east[None, :], p_north[:, None] - q_north[None, :])
    distance /= 1000.0
    both_remote = remote_ok[:, None] & remote_possible[None, :]
    free = np.maximum(available_from, 0)
    until = np.where(open_ended, np.iinfo(np.int64).max, available_from + window)
    wanted_mask = np.zeros((n_people, len(KINDS)), bool)
    for i, kinds in enumerate(wanted):
        wanted_mask[i, kinds] = True
    feasible = (
        ((status == "open") & (closing > 0))[None, :]
        & (grade_min[None, :] <= grade[:, None])
        & (grade[:, None] <= grade_max[None, :])
        & (free[:, None] <= start[None, :])
        & (start[None, :] <= until[:, None])
        & wanted_mask[:, kind]
        & ((distance <= limit[:, None]) | both_remote)
    )
    for i, ids in enumerate(dismissed):
        feasible[i, np.array(ids, np.intp) - 1] = False

    interest = (person_topics @ neighbour_matrix()) @ place_topics.T
    interest /= interest.max(axis=1, keepdims=True)
    nearness = np.exp(-distance / (knobs.nearness_fraction_of_limit * limit[:, None]))
    nearness = np.where(both_remote, np.maximum(nearness, knobs.remote_nearness), nearness)
    early = np.exp(-np.clip(start[None, :] - free[:, None], 0, None) / 90.0)
    worth = (
        knobs.truth_interest * interest
        + knobs.truth_skills * _skill_fit(person_skills, place_skills)
        + knobs.truth_nearness * nearness
        + knobs.truth_start * early
        + knobs.truth_noise * rng.standard_normal(interest.shape)
    )
    cuts = np.quantile(worth[feasible], [0.7, 0.88, 0.96])
    relevance = np.where(feasible, np.searchsorted(cuts, worth), 0).astype(np.int8)
    return Dataset(name, TODAY, people, placements, relevance, feasible)


def _noisy_skills(rng: np.random.Generator, skills: list[int]) -> list[int]:
    """A profile's skills: a fifth of the true ones left out, sometimes one that is not true."""
    shown = [s for s in skills if rng.random() >= 0.2] or skills[:1]
    if rng.random() < 0.3:
        shown.append(int(rng.integers(0, len(SKILL_GROUP))))
    return sorted(set(shown))


def _about(rng: np.random.Generator, knobs: Knobs, topics_row: NDArray[np.float64]) -> str:
    if rng.random() < knobs.empty_about:
        return ""
    low, high = knobs.about_sentences
    sentences = _sentences(
        rng,
        PERSON_OPENINGS,
        topics_row,
        int(rng.integers(low, high + 1)),
        knobs.lay_share,
        "person",
        knobs.about_distractors,
    )
    return " ".join([*sentences, str(rng.choice(PERSON_CLOSINGS))]).strip()


def _placement_text(rng: np.random.Generator, topics_row: NDArray[np.float64]) -> dict[str, str]:
    main = int(np.argmax(topics_row))
    title = f"{_phrase(rng, main, 0.6, 'placement').capitalize()} {rng.choice(ROLE_NOUNS)}"
    summary, *rest = _sentences(
        rng, PLACEMENT_OPENINGS, topics_row, int(rng.integers(2, 4)), 0.6, "placement"
    )
    description = " ".join([*rest, str(rng.choice(PLACEMENT_CLOSINGS))]).strip()
    return {"title": title, "summary": summary, "description": description}
