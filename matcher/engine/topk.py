"""Top k of each row of a score grid, exact, with ties broken by the smaller id."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_LOWEST = np.float32(np.finfo(np.float32).min)


def _lower_bounds(scores: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    """A value per row that at least k of the row's entries reach.

    The columns are dealt into m strided groups; the k-th largest of the m group maxima is
    attained by k distinct entries, so it cannot exceed the row's k-th largest entry. This
    costs one max pass plus a tiny partition, instead of an argpartition over every column.
    """
    rows, cols = scores.shape
    m = min(4 * k, cols)
    q = cols // m
    maxima = scores[:, : q * m].reshape(rows, q, m).max(axis=1)
    return np.partition(maxima, m - k, axis=1)[:, m - k]


def top_k_rows(
    scores: NDArray[np.float32], tiebreak: NDArray[np.int64], k: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Row, column and score of each row's k best finite entries, best first.

    Entries equal to -inf are never returned (they are filtered pairs), so a row may have fewer
    than k. Equal scores are ordered by ``tiebreak[column]`` (the ids), ascending.
    """
    rows, cols = scores.shape
    if rows == 0 or cols == 0 or k <= 0:
        empty = np.empty(0, np.intp)
        return empty, empty, np.empty(0, np.float32)
    if cols <= 2 * k:
        candidates = scores > -np.inf
    else:
        bound = np.maximum(_lower_bounds(scores, k), _LOWEST)
        candidates = scores >= bound[:, None]
    r, c = np.nonzero(candidates)
    v = scores[r, c]
    order = np.lexsort((tiebreak[c], -v, r))
    r, c, v = r[order], c[order], v[order]
    counts = np.bincount(r, minlength=rows)
    starts = np.cumsum(counts) - counts
    keep = np.arange(len(r)) - starts[r] < k
    return r[keep], c[keep], v[keep]
