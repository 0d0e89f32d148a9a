"""Score grids of pairs block by block: filters as masks, components as array operations."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from matcher.engine.components import grid_scores
from matcher.engine.config import EngineConfig
from matcher.engine.features import Fitted
from matcher.engine.filters import eligible_people_for, eligible_placements_for, pair_mask
from matcher.engine.topk import top_k_rows

Block = tuple[NDArray[np.intp], NDArray[np.intp]]
Hits = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]


def score_grid(
    fitted: Fitted,
    config: EngineConfig,
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
    people_rows: bool = True,
) -> NDArray[np.float32]:
    """Scores of every pair in the grid, -inf where a hard filter fails.

    On the organisation side (``people_rows`` false) people who are not discoverable fail.
    """
    ok, d2 = pair_mask(fitted, people, placements, people_rows)
    if not people_rows:
        ok &= fitted.p_discoverable[people][None, :]
    scores = grid_scores(fitted, config, people, placements, d2, people_rows)
    scores[~ok] = -np.inf
    return scores


def _split(rows: NDArray[np.intp], n_cols: int, config: EngineConfig) -> Iterator[NDArray[np.intp]]:
    # Rows per block: at most block_size, and few enough that a grid stays near
    # block_size x 10,000 cells whatever the number of columns.
    cells = config.block_size * 10_000
    step = max(1, min(config.block_size, cells // max(n_cols, 1)))
    for start in range(0, len(rows), step):
        yield rows[start : start + step]


def people_blocks(
    fitted: Fitted, config: EngineConfig, people: NDArray[np.intp]
) -> Iterator[Block]:
    """Blocks of people sharing grade and wanted kinds, with the placements they may match."""
    key = fitted.p_grade[people].astype(np.int64) * 256 + fitted.p_wanted[people]
    order = np.argsort(key, kind="stable")
    people, key = people[order], key[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    for group in np.split(people, bounds):
        if len(group) == 0:
            continue
        grade, wanted = int(fitted.p_grade[group[0]]), int(fitted.p_wanted[group[0]])
        columns = eligible_placements_for(fitted, grade, wanted)
        if len(columns) == 0:
            continue
        for rows in _split(group, len(columns), config):
            yield rows, columns


def placement_blocks(
    fitted: Fitted, config: EngineConfig, placements: NDArray[np.intp]
) -> Iterator[Block]:
    """Blocks of open placements sharing kind and grade range, with the people they may match."""
    placements = placements[fitted.q_eligible[placements]]
    gmin = fitted.q_gmin[placements].astype(np.int64)
    gmax = fitted.q_gmax[placements].astype(np.int64)
    key = (gmin * 256 + gmax) * 256 + fitted.q_kind[placements]
    order = np.argsort(key, kind="stable")
    placements, key = placements[order], key[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    for group in np.split(placements, bounds):
        if len(group) == 0:
            continue
        j = group[0]
        columns = eligible_people_for(
            fitted, int(fitted.q_gmin[j]), int(fitted.q_gmax[j]), int(fitted.q_kind[j])
        )
        if len(columns) == 0:
            continue
        for rows in _split(group, len(columns), config):
            yield rows, columns


def top_k_blocks(
    fitted: Fitted,
    config: EngineConfig,
    blocks: Iterator[Block],
    tiebreak: NDArray[np.int64],
    k: int,
    people_rows: bool,
) -> Hits:
    """Row index, column index and float32 score of each row's top k, over all blocks."""

    def run(block: Block) -> Hits:
        rows, cols = block
        people, placements = (rows, cols) if people_rows else (cols, rows)
        scores = score_grid(fitted, config, people, placements, people_rows)
        r, c, v = top_k_rows(scores, tiebreak[cols], k)
        return rows[r], cols[c], v

    work = list(blocks)
    if config.threads > 1 and len(work) > 1:
        # Our threads share the blocks; BLAS threads on top would only oversubscribe.
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(config.threads) as pool:
            results = list(pool.map(run, work))
    else:
        results = [run(block) for block in work]
    if not results:
        empty = np.empty(0, np.intp)
        return empty, empty, np.empty(0, np.float32)
    return (
        np.concatenate([r for r, _, _ in results]),
        np.concatenate([c for _, c, _ in results]),
        np.concatenate([v for _, _, v in results]),
    )
