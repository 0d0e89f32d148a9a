"""What the quality benchmarks share: datasets, the engine's score per component, baselines, NDCG.

Every ranker ranks only the pairs the hard filters allow (the engine by its own filters, the
baselines by the generator's), and is scored by NDCG@10 against the generator's 0-3 relevance.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bench.generators import GENERATORS
from bench.generators.world import Dataset
from matcher.engine import Engine, EngineConfig, Weights

DEPTH = 10
PEOPLE, PLACEMENTS = 2_000, 1_000
TRAINING_SEED = 0
EVALUATION_SEEDS = (1, 2)
COMPONENTS: tuple[str, ...] = tuple(f.name for f in fields(Weights))
WORD = re.compile(r"[a-z][a-z]+")


def datasets(seed: int) -> dict[str, Dataset]:
    """One dataset per generator, all drawn with ``seed``."""
    return {name: generate(PEOPLE, PLACEMENTS, seed) for name, generate in GENERATORS.items()}


def fitted_engine(data: Dataset, weights: Weights, priced: bool = True) -> Engine:
    """The engine fitted to ``data`` with ``weights``, on the generator's today; with its
    exposure prices unless ``priced`` is false."""
    config = EngineConfig(weights=weights, today=data.today)
    if not priced:
        config = replace(config, exposure_depth=0)
    return Engine(config).fit(data.people, data.placements)


def engine_scores(data: Dataset, weights: Weights, priced: bool = True) -> NDArray[np.float32]:
    """The engine's people x placements scores, -inf where its filters bar the pair."""
    engine = fitted_engine(data, weights, priced)
    return engine.scores(np.arange(len(data.people)), np.arange(len(data.placements)))


def component_scores(data: Dataset) -> dict[str, NDArray[np.float32]]:
    """The engine's relevance with one component at weight 1 and the rest at 0, per component.

    Relevance is linear in the weights, so any weighting's scores are the weighted sum of these
    grids: fitting weights needs one engine fit per component, not one per trial. Exposure
    prices are left out: they are fitted to the weighted scores, so they are not linear.
    """
    zero = dict.fromkeys(COMPONENTS, 0.0)
    return {
        name: engine_scores(data, Weights(**{**zero, name: 1.0}), priced=False)
        for name in COMPONENTS
    }


def combine(grids: dict[str, NDArray[np.float32]], weights: Weights) -> NDArray[np.float32]:
    """Scores under ``weights`` from the per-component grids (-inf stays -inf)."""
    first = next(iter(grids.values()))
    allowed = np.isfinite(first)
    total = np.zeros_like(first)
    for name, grid in grids.items():
        total += np.float32(getattr(weights, name)) * np.where(allowed, grid, np.float32(0.0))
    total[~allowed] = -np.inf
    return total


def ndcg(scores: NDArray[np.floating], relevance: NDArray[np.int8]) -> float:
    """Mean NDCG@10 (gain 2^rel - 1) over people with any relevant pair; ties go to lower index.

    Pairs scored -inf are never listed.
    """
    gain = (2.0 ** relevance.astype(np.float64)) - 1.0
    discount = 1.0 / np.log2(np.arange(2, DEPTH + 2))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :DEPTH]
    listed = np.isfinite(np.take_along_axis(scores, top, axis=1))
    dcg = (np.take_along_axis(gain, top, axis=1) * listed * discount).sum(axis=1)
    ideal = (-np.sort(-gain, axis=1)[:, :DEPTH] * discount).sum(axis=1)
    some = ideal > 0
    return float(np.mean(dcg[some] / ideal[some]))


def top_lists(scores: NDArray[np.floating]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Person and placement index of every listed pair in each person's top 10."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :DEPTH]
    rows = np.repeat(np.arange(len(scores)), DEPTH).reshape(top.shape)
    listed = np.isfinite(np.take_along_axis(scores, top, axis=1))
    return rows[listed], top[listed]


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)


def _shared_counts(left: list[frozenset], right: list[frozenset]) -> NDArray[np.float32]:
    """How many items each left set shares with each right set, as a dense grid."""
    vocabulary = {item: i for i, item in enumerate(set().union(*left, *right))}
    a = np.zeros((len(left), len(vocabulary)), np.float32)
    b = np.zeros((len(right), len(vocabulary)), np.float32)
    for matrix, sets in ((a, left), (b, right)):
        for i, items in enumerate(sets):
            matrix[i, [vocabulary[x] for x in items]] = 1.0
    return a @ b.T


def raw_signals(data: Dataset) -> dict[str, NDArray[np.float32]]:
    """The baselines' signals, computed from the frames without the engine."""
    people, placements = data.people, data.placements
    km = (
        np.hypot(
            people.easting[:, None] - placements.easting[None, :],
            people.northing[:, None] - placements.northing[None, :],
        )
        / 1000.0
    )
    return {
        "tag overlap": _shared_counts(people.themes, placements.themes),
        "word overlap": _shared_counts(
            [_words(t) for t in people.about], [_words(t) for t in placements.text]
        ),
        "skills overlap": _shared_counts(people.skills, placements.skills),
        "distance decay": np.exp(-km / 30.0).astype(np.float32),
    }


# Set by hand before any figure was seen: a shared theme counts most, three shared words or two
# shared skills as much as one theme, and a placement next door as much as a shared theme.
HAND_WEIGHTS = {
    "tag overlap": 1.0,
    "word overlap": 1 / 3,
    "skills overlap": 0.5,
    "distance decay": 1.0,
}


def baselines(data: Dataset) -> dict[str, NDArray[np.float32]]:
    """Each single-signal ranker and the hand-weighted sum, -inf where the generator bars a pair."""
    signals = raw_signals(data)
    mixed = np.zeros_like(signals["tag overlap"])
    for name, signal in signals.items():
        mixed += np.float32(HAND_WEIGHTS[name]) * signal
    signals["hand-weighted sum"] = mixed
    barred = ~data.feasible
    for grid in signals.values():
        grid[barred] = -np.inf
    return signals
