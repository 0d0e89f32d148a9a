"""Synthetic people and placements with planted preferences, at any size, from a seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from matcher.engine.frames import (
    KIND_BIT,
    KINDS,
    OPEN_END,
    OPEN_START,
    PeopleFrame,
    PlacementFrame,
    day_number,
)

TODAY = date(2026, 1, 5)
N_TOPICS = 24
N_THEMES = 48  # two themes per topic
N_SKILLS = 300
WORDS_PER_TOPIC = 40
GENERIC_WORDS = [f"common{i}" for i in range(300)]
TOWNS = 40


@dataclass(frozen=True, slots=True, eq=False)
class Synthetic:
    """Frames plus the hidden truth that generated them."""

    people: PeopleFrame
    placements: PlacementFrame
    person_interest: NDArray[np.float64]  # people x topics, unit rows
    placement_topic: NDArray[np.float64]  # placements x topics, unit rows
    today: date

    def true_relevance(
        self, people: NDArray[np.intp], placements: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        """Ground-truth relevance of a grid: shared interest first, then place and timing."""
        affinity = self.person_interest[people] @ self.placement_topic[placements].T
        p, q = self.people, self.placements
        de = (p.easting[people][:, None] - q.easting[placements][None, :]) / 1000.0
        dn = (p.northing[people][:, None] - q.northing[placements][None, :]) / 1000.0
        km = np.nan_to_num(np.hypot(de, dn), nan=1.0e4)
        near = np.clip(1.0 - km / p.travel_limit_km[people][:, None], 0.0, 1.0)
        anchor = np.maximum(p.available_from[people], day_number(self.today, 0))
        days = np.abs(q.start_date[placements][None, :] - anchor[:, None])
        soon = np.clip(1.0 - days / 180.0, 0.0, 1.0)
        return affinity + 0.35 * near + 0.25 * soon + 0.1 * q.local[placements][None, :]


def _topic_mix(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    mix = rng.dirichlet(np.full(N_TOPICS, 0.15), size=n)
    return mix


def _draw_ids(
    rng: np.random.Generator,
    mix: NDArray[np.float64],
    per_topic: list[NDArray[np.int64]],
    low: int,
    high: int,
    noise: float,
    vocabulary: int,
) -> list[frozenset[int]]:
    """Sets of ids drawn mostly from each row's topics, sometimes at random."""
    n = len(mix)
    sizes = rng.integers(low, high + 1, size=n)
    total = int(sizes.sum())
    owner = np.repeat(np.arange(n), sizes)
    cumulative = np.cumsum(mix, axis=1)
    topics = (rng.random(total)[:, None] > cumulative[owner]).sum(axis=1).clip(0, N_TOPICS - 1)
    lengths = np.array([len(per_topic[t]) for t in range(N_TOPICS)])
    pick = (rng.random(total) * lengths[topics]).astype(np.int64)
    offsets = np.cumsum(lengths) - lengths
    flat = np.concatenate(per_topic)[offsets[topics] + pick]
    random_ids = rng.integers(0, vocabulary, size=total)
    flat = np.where(rng.random(total) < noise, random_ids, flat)
    bounds = np.cumsum(sizes)[:-1]
    return [frozenset(int(x) + 1 for x in chunk) for chunk in np.split(flat, bounds)]


def _texts(rng: np.random.Generator, mix: NDArray[np.float64], low: int, high: int) -> list[str]:
    per_topic = [
        np.arange(t * WORDS_PER_TOPIC, (t + 1) * WORDS_PER_TOPIC, dtype=np.int64)
        for t in range(N_TOPICS)
    ]
    # A third of the topical words are off-topic: people write about more than they seek.
    words = _draw_ids(rng, mix, per_topic, low, high, 0.33, N_TOPICS * WORDS_PER_TOPIC)
    texts = []
    generic = rng.integers(0, len(GENERIC_WORDS), size=(len(mix), 12))
    for row, ws in enumerate(words):
        topical = [f"topic{w // WORDS_PER_TOPIC}word{w % WORDS_PER_TOPIC}" for w in sorted(ws)]
        texts.append(" ".join(topical + [GENERIC_WORDS[g] for g in generic[row]]))
    return texts


def _locations(
    rng: np.random.Generator, towns: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    town = rng.integers(0, len(towns), size=n)
    spread = rng.normal(0.0, 12_000.0, size=(n, 2))
    return towns[town, 0] + spread[:, 0], towns[town, 1] + spread[:, 1]


def generate(n_people: int, n_placements: int, seed: int = 0) -> Synthetic:
    """People and placements whose themes, skills and text follow hidden topic interests."""
    rng = np.random.default_rng(seed)
    liked = np.random.default_rng([seed, 1])
    today = day_number(TODAY, 0)
    towns = np.column_stack(
        [rng.uniform(150_000, 650_000, TOWNS), rng.uniform(50_000, 950_000, TOWNS)]
    )
    theme_topics = [np.array([2 * t, 2 * t + 1]) for t in range(N_TOPICS)]
    skill_topics = [np.arange(t, N_SKILLS, N_TOPICS) for t in range(N_TOPICS)]

    p_mix = _topic_mix(rng, n_people)
    e, n = _locations(rng, towns, n_people)
    missing = rng.random(n_people) < 0.03
    e[missing] = np.nan
    n[missing] = np.nan
    start = today + rng.integers(0, 180, n_people)
    start[rng.random(n_people) < 0.2] = OPEN_START
    until = np.maximum(start, today) + rng.integers(60, 720, n_people)
    until[rng.random(n_people) < 0.3] = OPEN_END
    wanted = np.zeros(n_people, np.uint8)
    for bit in KIND_BIT.values():
        wanted |= np.where(rng.random(n_people) < 0.4, bit, 0).astype(np.uint8)
    wanted[wanted == 0] = KIND_BIT["secondment"]
    people = PeopleFrame(
        ids=np.arange(1, n_people + 1, dtype=np.int64),
        grade_rank=rng.choice(np.arange(1, 12), n_people, p=_GRADE_SHARE).astype(np.int16),
        themes=_draw_ids(rng, p_mix, theme_topics, 1, 4, 0.2, N_THEMES),
        skills=_draw_ids(rng, p_mix, skill_topics, 2, 6, 0.3, N_SKILLS),
        about=_texts(rng, p_mix, 10, 30),
        easting=e,
        northing=n,
        travel_limit_km=rng.choice([15.0, 25.0, 50.0, 80.0, 150.0], n_people),
        remote_ok=rng.random(n_people) < 0.7,
        available_from=start,
        available_until=until,
        wanted_kinds=wanted,
        discoverable=rng.random(n_people) < 0.7,
        policy_profession=rng.random(n_people) < 0.35,
        dismissed=[
            frozenset(int(x) for x in rng.integers(1, n_placements + 1, rng.integers(1, 4)))
            if rng.random() < 0.1
            else frozenset()
            for _ in range(n_people)
        ],
        # Drawn from a stream of their own, so that every other field is as it was before
        # people had interests (and speed figures stay comparable across that change).
        interested=[
            frozenset(int(x) for x in liked.integers(1, n_placements + 1, liked.integers(1, 4)))
            if liked.random() < 0.1
            else frozenset()
            for _ in range(n_people)
        ],
    )

    q_mix = _topic_mix(rng, n_placements)
    e, n = _locations(rng, towns, n_placements)
    remote = rng.random(n_placements) < 0.25
    unknown = remote & (rng.random(n_placements) < 0.3)
    e[unknown] = np.nan
    n[unknown] = np.nan
    q_start = today + rng.integers(20, 240, n_placements)
    weeks = rng.integers(4, 53, n_placements)
    gmin = rng.choice(np.arange(1, 12), n_placements, p=_GRADE_SHARE).astype(np.int16)
    gmin = np.maximum(gmin - rng.integers(0, 2, n_placements), 1).astype(np.int16)
    gmax = np.minimum(gmin + rng.integers(0, 4, n_placements), 11).astype(np.int16)
    kinds = rng.choice(len(KINDS), n_placements, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    closing = q_start - rng.integers(7, 30, n_placements)
    closing[rng.random(n_placements) < 0.03] = today - 1
    placements = PlacementFrame(
        ids=np.arange(1, n_placements + 1, dtype=np.int64),
        local=rng.random(n_placements) < 0.85,
        is_open=rng.random(n_placements) < 0.92,
        closing_date=closing,
        grade_min_rank=gmin,
        grade_max_rank=gmax,
        kind_bit=np.array([1 << k for k in kinds], np.uint8),
        themes=_draw_ids(rng, q_mix, theme_topics, 1, 3, 0.1, N_THEMES),
        skills=_draw_ids(rng, q_mix, skill_topics, 2, 5, 0.2, N_SKILLS),
        text=_texts(rng, q_mix, 30, 80),
        easting=e,
        northing=n,
        remote_possible=remote,
        start_date=q_start,
        end_date=q_start + 7 * weeks - 1,
        # No reflections: the host rating adds nothing here.
        host_rating=np.full(n_placements, np.nan),
        host_reflections=np.zeros(n_placements, np.int64),
    )
    norm = np.linalg.norm
    return Synthetic(
        people=people,
        placements=placements,
        person_interest=p_mix / norm(p_mix, axis=1, keepdims=True),
        placement_topic=q_mix / norm(q_mix, axis=1, keepdims=True),
        today=TODAY,
    )


# Share of people at each grade rank, AA..SCS4: most new recruits sit at EO to SEO.
_GRADE_SHARE = np.array([0.03, 0.1, 0.2, 0.22, 0.18, 0.14, 0.08, 0.03, 0.01, 0.005, 0.005])
