"""Fit the engine's weights on the training seed of every generator; write them with the figures.

Run: .venv/bin/python -m bench.fit_weights

Procedure (deterministic, so a rerun writes the same file):
1. Draw each generator in bench/generators with TRAINING_SEED (2,000 people x 1,000 placements).
2. Score every pair once per component with that component alone at weight 1; the engine's score
   is linear in its weights, so a weighting's scores are the weighted sum of those grids.
3. Coordinate ascent from the engine's own defaults (``Weights()``): for each fitted component in
   turn, try every value of GRID and keep the one with the highest NDCG@10 averaged over the
   generators (a tie keeps the current value); repeat passes until one changes nothing.
Scores only rank, so the text weight is held at 1 to fix the scale; otherwise the ascent would
inflate every fitted weight to shrink the ones it may not touch. Bridging, "not for me" and
interests are policy, not relevance: no generator has a truth for them (a preference for local
practice, the look-alikes of a dismissal or an interest), so they keep their set values on that
scale. Exposure prices are left out while fitting (see bench.ranking.component_scores); the
engine adds them to whatever weights are chosen, and bench.engine_quality scores the two together.
The chosen weights, the NDCG@10 per generator before and after, and every pass are written to
bench/fitted_weights.json; config.MATCH_WEIGHT_DEFAULTS must equal them (a unit test checks).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.ranking import TRAINING_SEED, combine, component_scores, datasets, ndcg
from matcher.engine import Weights

FITTED_WEIGHTS = Path(__file__).with_name("fitted_weights.json")
FITTED = ("themes", "related_themes", "skills", "related_skills", "distance", "start")
GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0)
MAX_PASSES = 6


def load_fitted_weights() -> Weights:
    """The weights last written by this command."""
    return Weights(**json.loads(FITTED_WEIGHTS.read_text())["weights"])


def main() -> None:
    """Fit, print the table and write bench/fitted_weights.json."""
    training = datasets(TRAINING_SEED)
    grids = {name: component_scores(data) for name, data in training.items()}

    def per_generator(weights: Weights) -> dict[str, float]:
        return {
            name: round(ndcg(combine(grids[name], weights), training[name].relevance), 4)
            for name in training
        }

    def mean(weights: Weights) -> float:
        return float(np.mean(list(per_generator(weights).values())))

    start = Weights()
    weights, best = start, mean(start)
    passes = []
    for number in range(1, MAX_PASSES + 1):
        before = weights
        for component in FITTED:
            for value in GRID:
                trial = replace(weights, **{component: value})
                score = mean(trial)
                if score > best + 1e-6:
                    weights, best = trial, score
        passes.append({"pass": number, "weights": asdict(weights), "mean_ndcg_at_10": best})
        print(f"pass {number}: mean NDCG@10 {best:.4f}  {_short(weights)}")
        if weights == before:
            break

    figures: dict[str, Any] = {
        "procedure": "coordinate ascent over GRID, see bench/fit_weights.py",
        "training_seed": TRAINING_SEED,
        "grid": GRID,
        "fitted_components": FITTED,
        "weights": asdict(weights),
        "ndcg_at_10_before": per_generator(start),
        "ndcg_at_10_after": per_generator(weights),
        "passes": passes,
    }
    FITTED_WEIGHTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\n{'generator':<15} {'start':>8} {'fitted':>8}   (NDCG@10, training seed)")
    for name in training:
        before, after = figures["ndcg_at_10_before"][name], figures["ndcg_at_10_after"][name]
        print(f"{name:<15} {before:>8.4f} {after:>8.4f}")
    print(f"\nwrote {FITTED_WEIGHTS.name}: {_short(weights)}")


def _short(weights: Weights) -> str:
    return " ".join(f"{k}={v:g}" for k, v in asdict(weights).items())


if __name__ == "__main__":
    main()
