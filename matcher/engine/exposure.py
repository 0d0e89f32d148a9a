"""How widely placements are seen, and the prices that spread attention among them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class Exposure:
    """Coverage and inequality of placements' appearances in people's top lists."""

    coverage: float  # share of open placements in at least one person's list
    gini: float  # Gini coefficient of appearance counts over open placements
    counts: NDArray[np.int64]  # appearances per open placement


def gini(values: NDArray[np.floating] | NDArray[np.integer]) -> float:
    """Gini coefficient of non-negative values: 0 when equal, near 1 when one has all."""
    x = np.sort(np.asarray(values, np.float64))
    n, total = len(x), float(x.sum())
    if n == 0 or total == 0.0:
        return 0.0
    return float(2.0 * np.dot(np.arange(1, n + 1), x) / (n * total) - (n + 1) / n)


def exposure(
    placement_index: NDArray[np.intp],
    ranks: NDArray[np.integer],
    open_placements: NDArray[np.intp],
    depth: int = 10,
) -> Exposure:
    """Exposure of ``open_placements`` in lists cut at ``depth``."""
    shown = placement_index[ranks <= depth]
    size = int(max(open_placements.max(initial=-1), shown.max(initial=-1))) + 1
    counts = np.bincount(shown, minlength=size)[open_placements]
    if len(open_placements) == 0:
        return Exposure(coverage=0.0, gini=0.0, counts=counts)
    return Exposure(coverage=float(np.mean(counts > 0)), gini=gini(counts), counts=counts)


def _candidate_grid(
    rows: NDArray[np.intp], cols: NDArray[np.intp], scores: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Each person's candidates as one row of a people x candidates grid, in column order:
    their columns (padding: 0) and scores (padding: -inf)."""
    order = np.lexsort((cols, rows))
    sorted_rows = rows[order]
    new = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    starts = np.flatnonzero(new)
    person = np.cumsum(new) - 1
    slot = np.arange(len(order)) - starts[person]
    grid_cols = np.zeros((len(starts), int(slot.max()) + 1), np.intp)
    grid_scores = np.full(grid_cols.shape, -np.inf, np.float64)
    grid_cols[person, slot] = cols[order]
    grid_scores[person, slot] = scores[order]
    return grid_cols, grid_scores


def _choose(
    grid_cols: NDArray[np.intp],
    grid_scores: NDArray[np.float64],
    price: NDArray[np.float64],
    depth: int,
) -> NDArray[np.intp]:
    """The columns of each person's ``depth`` best scores minus price, ties by column.

    A stable sort of each row, whose candidates are in column order, breaks ties by column;
    padding (-inf) sorts last and is never chosen.
    """
    adjusted = grid_scores - price[grid_cols]
    best = np.argsort(-adjusted, axis=1, kind="stable")[:, :depth]
    chosen = np.take_along_axis(adjusted, best, axis=1) > -np.inf
    return np.take_along_axis(grid_cols, best, axis=1)[chosen]


def exposure_prices(
    person_index: NDArray[np.intp],
    placement_index: NDArray[np.intp],
    scores: NDArray[np.float64],
    depth: int = 10,
    cap_factor: float = 2.0,
    step: float = 0.02,
    iterations: int = 40,
) -> NDArray[np.float64]:
    """A price per placement (index up to the largest in ``placement_index``) that keeps each
    one in at most about ``cap_factor`` times its fair share of the ``depth``-long lists people
    pick from their candidates by score minus price.

    Prices come from a Lagrangian relaxation of the caps: each round, placements shown more
    than the cap get dearer and the rest cheaper (never below 0), and every person takes the
    best score minus price.
    """
    if len(scores) == 0:
        return np.zeros(0, np.float64)
    rows = np.asarray(person_index, np.intp)
    cols = np.asarray(placement_index, np.intp)
    n_people = len(np.unique(rows))
    n_seen = len(np.unique(cols))
    cap = max(1, math.ceil(cap_factor * n_people * depth / n_seen))
    price = np.zeros(int(cols.max()) + 1, np.float64)
    grid_cols, grid_scores = _candidate_grid(rows, cols, np.asarray(scores, np.float64))
    chosen = _choose(grid_cols, grid_scores, price, depth)
    for _ in range(iterations):
        counts = np.bincount(chosen, minlength=len(price))
        price = np.maximum(price + step * (counts - cap) / cap, 0.0)
        chosen = _choose(grid_cols, grid_scores, price, depth)
    return price
