"""Engine quality on planted preferences: NDCG@10 and recall@10 against single signals; exposure.

Run: .venv/bin/python -m bench.engine_quality
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bench.synthetic import Synthetic, generate
from matcher.engine import Engine, EngineConfig, Weights, exposure, rerank_for_exposure

DEPTH = 10
ONLY = {name: 0.0 for name in Weights.__dataclass_fields__}
METHODS: dict[str, Weights | None] = {
    "engine": Weights(),
    "random": None,
    "themes only": Weights(**{**ONLY, "themes": 1.0}),
    "text only": Weights(**{**ONLY, "text": 1.0}),
    "skills only": Weights(**{**ONLY, "skills": 1.0}),
    "distance only": Weights(**{**ONLY, "distance": 1.0}),
}


def _grid(engine: Engine, people: NDArray[np.intp], n_placements: int) -> NDArray[np.float32]:
    columns = np.arange(n_placements)
    return np.vstack(
        [engine.scores(people[s : s + 500], columns) for s in range(0, len(people), 500)]
    )


def _metrics(scores: NDArray[np.float32], truth: NDArray[np.float64]) -> tuple[float, float]:
    """Mean NDCG@10 and recall@10 of rankings by ``scores`` (ties by id) against ``truth``."""
    eligible = np.isfinite(scores)
    gains = np.where(eligible, np.maximum(truth, 0.0), 0.0)
    discount = 1.0 / np.log2(np.arange(2, DEPTH + 2))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :DEPTH]
    ideal = np.argsort(-np.where(eligible, truth, -np.inf), axis=1, kind="stable")[:, :DEPTH]
    dcg = (np.take_along_axis(gains, top, axis=1) * discount).sum(axis=1)
    idcg = (np.take_along_axis(gains, ideal, axis=1) * discount).sum(axis=1)
    hits = (top[:, :, None] == ideal[:, None, :]).any(axis=2).sum(axis=1)
    return float(np.mean(dcg / idcg)), float(np.mean(hits / DEPTH))


def _pair_truth(data: Synthetic, people: NDArray[np.intp], placements: NDArray[np.intp]) -> float:
    """Mean ground-truth relevance of listed pairs."""
    total = 0.0
    for start in range(0, len(people), 50_000):
        p, q = people[start : start + 50_000], placements[start : start + 50_000]
        affinity = np.einsum("ij,ij->i", data.person_interest[p], data.placement_topic[q])
        total += float(affinity.sum())
    return total / max(len(people), 1)


def main() -> None:
    """Print NDCG@10 and recall@10 per method, then exposure before and after re-ranking."""
    data = generate(20_000, 2_000, seed=2)
    base = EngineConfig(today=data.today)
    rng = np.random.default_rng(3)
    engine = Engine(base).fit(data.people, data.placements)
    sample = np.sort(rng.choice(len(data.people), 4_000, replace=False))
    grid = _grid(engine, sample, len(data.placements))
    sample = sample[np.isfinite(grid).sum(axis=1) >= DEPTH]
    truth = data.true_relevance(sample, np.arange(len(data.placements)))
    print(f"{len(sample):,} people with >= {DEPTH} eligible placements; 2,000 placements")
    print(f"{'method':<14} NDCG@10  recall@10")
    for name, weights in METHODS.items():
        if weights is None:
            scores = _grid(engine, sample, len(data.placements))
            scores[np.isfinite(scores)] = rng.random(int(np.isfinite(scores).sum()))
        else:
            method = Engine(EngineConfig(today=data.today, weights=weights))
            scores = _grid(method.fit(data.people, data.placements), sample, len(data.placements))
        ndcg, recall = _metrics(scores, truth)
        print(f"{name:<14} {ndcg:.3f}    {recall:.3f}")

    candidates = engine.top_placements_for_people(k=5 * DEPTH)
    open_placements = np.flatnonzero(engine.fitted.q_eligible)
    before = exposure(candidates.placement_index, candidates.ranks, open_placements, DEPTH)
    shown = candidates.ranks <= DEPTH
    after = rerank_for_exposure(
        candidates.person_index, candidates.placement_index, candidates.scores, depth=DEPTH
    )
    reranked = exposure(after.placement_index, after.ranks, open_placements, DEPTH)
    kept = after.scores.sum() / candidates.scores[shown].sum()
    truth_before = _pair_truth(
        data, candidates.person_index[shown], candidates.placement_index[shown]
    )
    truth_after = _pair_truth(data, after.person_index, after.placement_index)
    print(f"\nexposure over {len(open_placements):,} open placements, top {DEPTH} of 20,000 people")
    print(f"{'':<12} coverage  gini   max appearances")
    for name, seen in (("engine", before), ("re-ranked", reranked)):
        print(f"{name:<12} {seen.coverage:.3f}     {seen.gini:.3f}  {seen.counts.max()}")
    print(f"engine score kept after re-ranking: {kept:.3f} (lost {1 - kept:.1%})")
    print(f"mean true affinity per shown pair: {truth_before:.3f} -> {truth_after:.3f}")


if __name__ == "__main__":
    main()
