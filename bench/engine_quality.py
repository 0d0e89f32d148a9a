"""Engine quality on data it was not tuned to: NDCG@10 against baselines run in the same process.

Run: .venv/bin/python -m bench.engine_quality

For every generator in bench/generators, on the evaluation seeds (never the training seed that
bench.fit_weights fits on), prints the NDCG@10 of the engine with the shipped weights and of each
baseline: one ranker per raw signal (shared themes, shared words, shared skills, distance decay)
and a hand-weighted sum of them. Then the targets of issue #14: the engine at least 0.05 ahead of
every single signal and 0.02 ahead of the sum, no pair a hard filter bars in anyone's top 10,
placement coverage of the top 10 of at least 90 % and an exposure Gini of at most 0.5.

Last, simulated people learning with the engine: SIMULATED people of each dataset, over ROUNDS
rounds, are shown their top 10 and answer every placement on it they have not answered yet by
their hidden preference (the generator's relevance): "interested" at 2 or 3, "not for me" at 0,
nothing at 1. Their answers reach the engine as the product's do (``Engine.update_people`` with
the changed rows). Printed per round: the NDCG@10 of the list they are shown (the target: it
must rise from round 1 to round 5), and of their ranking of the placements they have not
answered yet, beside the same placements ranked by the engine of round 1 (what the engine
learned about the rest, against what it knew before any answer).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from bench.generators.world import Dataset
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
from matcher.engine import Engine, Weights, exposure
from matcher.engine.features import take_rows
from matcher.engine.frames import day_number

SIMULATED = 300
MEASURES = ("shown", "not yet answered", "same, engine not told")
ROUNDS = 5
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
            table = results.setdefault(name, {})
            table.setdefault("engine", []).append(ndcg(scores, data.relevance))
            for method, grid in baselines(data).items():
                table.setdefault(method, []).append(ndcg(grid, data.relevance))
            open_placements = np.flatnonzero(
                data.placements.is_open
                & (data.placements.closing_date >= day_number(data.today, 0))
            )
            check = checks.setdefault(name, {})
            people, placements = top_lists(scores)
            seen = exposure(placements, np.ones(len(placements), np.int32), open_placements)
            check.setdefault("infeasible", []).append(
                float((~data.feasible[people, placements]).sum())
            )
            check.setdefault("coverage", []).append(seen.coverage)
            check.setdefault("gini", []).append(seen.gini)
            for measure, values in _simulated_rounds(engine, data, seed).items():
                for number, value in enumerate(values, start=1):
                    table.setdefault(f"{measure}, round {number}", []).append(value)

    seeds = ", ".join(map(str, EVALUATION_SEEDS))
    print(f"NDCG@{DEPTH}, mean over seeds {seeds}; 2,000 people x 1,000 placements each")
    print(f"weights: {' '.join(f'{k}={v:g}' for k, v in MATCH_WEIGHT_DEFAULTS)}\n")
    names = list(results)
    methods = [m for m in results[names[0]] if "round" not in m]
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
    }
    limits = (
        lambda v: v >= SINGLE_SIGNAL_MARGIN,
        lambda v: v >= HAND_WEIGHTED_MARGIN,
        lambda v: v == 0,
        lambda v: v >= MIN_COVERAGE,
        lambda v: v <= MAX_GINI,
    )
    for (label, figure), met in zip(rows.items(), limits, strict=True):
        cells = ""
        for name in names:
            value = float(figure(results[name], checks[name]))
            cells += f"{value:>+11.3f} {'ok' if met(value) else 'NO':<3}"
        print(f"{label:<40}{cells}")

    print(f"\nsimulated people ({SIMULATED} per dataset), NDCG@{DEPTH} of what they are shown")
    print(f"{'round':<40}" + "".join(f"{name:>15}" for name in names))
    for measure in MEASURES:
        for number in range(1, ROUNDS + 1):
            label = f"{measure}, round {number}"
            row = "".join(f"{np.mean(results[name][label]):>15.3f}" for name in names)
            print(f"{label:<40}{row}")
    cells = ""
    for name in names:
        gain = np.mean(results[name][f"shown, round {ROUNDS}"])
        gain -= np.mean(results[name]["shown, round 1"])
        cells += f"{gain:>+11.3f} {'ok' if gain > 0 else 'NO':<3}"
    print(f"{f'shown: round {ROUNDS} - round 1 (> 0)':<40}{cells}")


def _simulated_rounds(engine: Engine, data: Dataset, seed: int) -> dict[str, list[float]]:
    """NDCG@10 per round of SIMULATED people answering their lists by hidden preference."""
    rng = np.random.default_rng(seed)
    some = np.flatnonzero(data.relevance.max(axis=1) >= 2)
    people = np.sort(rng.choice(some, size=min(SIMULATED, len(some)), replace=False))
    ids = data.people.ids[people]  # sorted, as the generators number people in order
    relevance = data.relevance[people]
    answered = np.zeros(relevance.shape, bool)
    frame = engine.people
    assert frame is not None
    dismissed = [set(frame.dismissed[i]) for i in people]
    interested = [set(frame.interested[i]) for i in people]
    placement_ids = data.placements.ids
    out: dict[str, list[float]] = {m: [] for m in MEASURES}
    first: NDArray[np.float32] | None = None
    for _ in range(ROUNDS):
        # Long enough lists that the first 10 not yet answered are in them.
        top = engine.top_placements_for_people(engine.person_indices(ids), k=DEPTH * (ROUNDS + 1))
        row = np.searchsorted(ids, top.person_ids)
        ranked = np.full(relevance.shape, -np.inf, np.float32)
        ranked[row, top.placement_index] = -top.ranks.astype(np.float32)
        out["shown"].append(ndcg(np.where(ranked >= -DEPTH, ranked, -np.inf), relevance))
        first = ranked if first is None else first
        unanswered = np.where(answered, 0, relevance)
        for measure, grid in (("not yet answered", ranked), ("same, engine not told", first)):
            out[measure].append(ndcg(np.where(answered, -np.inf, grid), unanswered))
        on_list = top.ranks <= DEPTH
        for r, j in zip(row[on_list].tolist(), top.placement_index[on_list].tolist(), strict=True):
            if answered[r, j]:
                continue
            answered[r, j] = True
            if relevance[r, j] >= 2:
                interested[r].add(int(placement_ids[j]))
            elif relevance[r, j] == 0:
                dismissed[r].add(int(placement_ids[j]))
        rows = take_rows(frame, engine.person_indices(ids))
        rows = replace(
            rows,
            dismissed=[frozenset(d) for d in dismissed],
            interested=[frozenset(i) for i in interested],
        )
        engine.update_people(rows)
        frame = engine.people
        assert frame is not None
    return out


if __name__ == "__main__":
    main()
