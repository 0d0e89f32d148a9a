"""Engine quality on data it was not tuned to: NDCG@10 against baselines run in the same process.

Run: .venv/bin/python -m bench.engine_quality

For every generator in bench/generators, on the evaluation seeds (never the training seed that
bench.fit_weights fits on), prints the NDCG@10 of the engine with the shipped weights and of each
baseline: one ranker per raw signal (shared themes, shared words, shared skills, distance decay)
and a hand-weighted sum of them. Then the targets of issue #14: the engine at least 0.05 ahead of
every single signal and 0.02 ahead of the sum, no pair a hard filter bars in anyone's top 10,
placement coverage of the top 10 of at least 90 % and an exposure Gini of at most 0.5.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bench.ranking import (
    DEPTH,
    EVALUATION_SEEDS,
    baselines,
    datasets,
    fitted_engine,
    ndcg,
    top_lists,
)
from config import MATCH_WEIGHT_DEFAULTS
from matcher.engine import Engine, Weights, exposure, rerank_for_exposure
from matcher.engine.frames import day_number

SINGLE_SIGNAL_MARGIN = 0.05
HAND_WEIGHTED_MARGIN = 0.02
MIN_COVERAGE = 0.9
MAX_GINI = 0.5


def main() -> None:
    """Print the per-generator table and whether each target is met."""
    weights = Weights(**dict(MATCH_WEIGHT_DEFAULTS))
    results: dict[str, dict[str, list[float]]] = {}
    checks: dict[str, dict[str, list[float]]] = {}
    for seed in EVALUATION_SEEDS:
        for name, data in datasets(seed).items():
            engine = fitted_engine(data, weights)
            scores = engine.scores(np.arange(len(data.people)), np.arange(len(data.placements)))
            reranked = _reranked_scores(engine, scores.shape)
            table = results.setdefault(name, {})
            table.setdefault("engine", []).append(ndcg(scores, data.relevance))
            table.setdefault("engine, re-ranked", []).append(ndcg(reranked, data.relevance))
            for method, grid in baselines(data).items():
                table.setdefault(method, []).append(ndcg(grid, data.relevance))
            open_placements = np.flatnonzero(
                data.placements.is_open
                & (data.placements.closing_date >= day_number(data.today, 0))
            )
            check = checks.setdefault(name, {})
            for suffix, grid in (("", scores), (" re-ranked", reranked)):
                people, placements = top_lists(grid)
                seen = exposure(placements, np.ones(len(placements), np.int32), open_placements)
                check.setdefault("infeasible" + suffix, []).append(
                    float((~data.feasible[people, placements]).sum())
                )
                check.setdefault("coverage" + suffix, []).append(seen.coverage)
                check.setdefault("gini" + suffix, []).append(seen.gini)

    seeds = ", ".join(map(str, EVALUATION_SEEDS))
    print(f"NDCG@{DEPTH}, mean over seeds {seeds}; 2,000 people x 1,000 placements each")
    print(f"weights: {' '.join(f'{k}={v:g}' for k, v in MATCH_WEIGHT_DEFAULTS)}\n")
    names = list(results)
    methods = list(results[names[0]])
    print(f"{'method':<18}" + "".join(f"{name:>15}" for name in names))
    for method in methods:
        row = "".join(f"{np.mean(results[name][method]):>15.3f}" for name in names)
        print(f"{method:<18}{row}")

    print(f"\n{'target':<40}" + "".join(f"{name:>15}" for name in names))
    singles = ["tag overlap", "word overlap", "skills overlap", "distance decay"]
    rows = {
        f"engine - best single signal (>= {SINGLE_SIGNAL_MARGIN})": lambda r, c: (
            np.mean(r["engine"]) - max(np.mean(r[m]) for m in singles)
        ),
        f"engine - hand-weighted sum (>= {HAND_WEIGHTED_MARGIN})": lambda r, c: (
            np.mean(r["engine"]) - np.mean(r["hand-weighted sum"])
        ),
        "infeasible pairs in any top 10 (0)": lambda r, c: sum(c["infeasible"]),
        f"placement coverage of top 10 (>= {MIN_COVERAGE})": lambda r, c: min(c["coverage"]),
        f"exposure Gini of top 10 (<= {MAX_GINI})": lambda r, c: max(c["gini"]),
        f"re-ranked - best single (>= {SINGLE_SIGNAL_MARGIN})": lambda r, c: (
            np.mean(r["engine, re-ranked"]) - max(np.mean(r[m]) for m in singles)
        ),
        f"re-ranked - hand-weighted (>= {HAND_WEIGHTED_MARGIN})": lambda r, c: (
            np.mean(r["engine, re-ranked"]) - np.mean(r["hand-weighted sum"])
        ),
        "re-ranked infeasible in top 10 (0)": lambda r, c: sum(c["infeasible re-ranked"]),
        f"re-ranked coverage (>= {MIN_COVERAGE})": lambda r, c: min(c["coverage re-ranked"]),
        f"re-ranked Gini (<= {MAX_GINI})": lambda r, c: max(c["gini re-ranked"]),
    }
    limits = (
        lambda v: v >= SINGLE_SIGNAL_MARGIN,
        lambda v: v >= HAND_WEIGHTED_MARGIN,
        lambda v: v == 0,
        lambda v: v >= MIN_COVERAGE,
        lambda v: v <= MAX_GINI,
    ) * 2
    for (label, figure), met in zip(rows.items(), limits, strict=True):
        cells = ""
        for name in names:
            value = float(figure(results[name], checks[name]))
            cells += f"{value:>+11.3f} {'ok' if met(value) else 'NO':<3}"
        print(f"{label:<40}{cells}")


def _reranked_scores(engine: Engine, shape: tuple[int, ...]) -> NDArray[np.float32]:
    """People's top 10 after rerank_for_exposure picks them from their top 50, as a score grid
    (-inf off the lists) that ranks each list in its order."""
    candidates = engine.top_placements_for_people(k=5 * DEPTH)
    after = rerank_for_exposure(
        candidates.person_index, candidates.placement_index, candidates.scores, depth=DEPTH
    )
    grid = np.full(shape, -np.inf, np.float32)
    grid[after.person_index, after.placement_index] = -after.ranks.astype(np.float32)
    return grid


if __name__ == "__main__":
    main()
