"""Relevance components, for grids of pairs (scoring) and for lists of pairs (reasons).

The themes and skills components each count the ids the two sides share and, through the
fitted affinities, the neighbouring ones (weights ``related_themes`` and ``related_skills``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matcher.engine.config import EngineConfig

if TYPE_CHECKING:
    from matcher.engine.features import Fitted

COMPONENTS: tuple[str, ...] = (
    "themes",
    "skills",
    "text",
    "distance",
    "start",
    "bridging",
    "not_for_me",
    "interests",
    "host_rating",
    "exposure",
)


def grid_scores(
    fitted: Fitted,
    config: EngineConfig,
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
    d2: NDArray[np.float32],
    people_rows: bool,
) -> NDArray[np.float32]:
    """Weighted sum of every component over a grid of pairs (float32, unfiltered)."""
    w = config.weights
    pa: tuple[slice | None, slice | None] = (slice(None), None)
    qa: tuple[slice | None, slice | None] = (None, slice(None))
    if people_rows:
        # Themes, text, bridging, the host rating and the "not for me" penalty are one dense
        # product.
        scores = fitted.p_u[people] @ fitted.q_v[placements].T
        scores += fitted.p_skills[people] @ fitted.q_skill_mix[placements].T
    else:
        pa, qa = qa, pa
        scores = fitted.q_v[placements] @ fitted.p_u[people].T
        scores += (fitted.p_skills[people] @ fitted.q_skill_mix[placements].T).T
    # Closeness (1 - d / limit)^2, 0 beyond the limit, and at least remote_closeness when both
    # sides accept remote work. Squared because the wish to travel falls fast: a placement
    # halfway to the limit counts a quarter of one next door, not half (linear closeness lost
    # to plain distance decay on the geography-led generator of bench/generators).
    closeness = np.sqrt(d2)
    closeness *= -fitted.p_inv_lim[people][pa]
    closeness += np.float32(1.0)
    np.maximum(closeness, np.float32(0.0), out=closeness)
    closeness *= closeness
    remote = fitted.p_remote_ok[people][pa] & fitted.q_remote[placements][qa]
    np.maximum(closeness, np.float32(config.remote_closeness) * remote, out=closeness)
    closeness *= np.float32(w.distance)
    scores += closeness
    days = np.abs(fitted.q_start[placements][qa] - fitted.p_anchor[people][pa]).astype(np.float32)
    days *= np.float32(-1.0 / config.start_horizon_days)
    days += np.float32(1.0)
    np.maximum(days, np.float32(0.0), out=days)
    days *= np.float32(w.start)
    scores += days
    return scores


def _rowwise_dot(
    left: NDArray[np.float32],
    right: NDArray[np.float32],
    li: NDArray[np.intp],
    ri: NDArray[np.intp],
) -> NDArray[np.float64]:
    """left[li[n]] . right[ri[n]] for every n, in chunks that stay in cache."""
    out = np.empty(len(li), np.float64)
    for start in range(0, len(li), _CHUNK):
        part = slice(start, start + _CHUNK)
        out[part] = np.einsum("ij,ij->i", left[li[part]], right[ri[part]], dtype=np.float64)
    return out


_CHUNK = 16_384


def _rowwise_sparse_dot(
    left: sp.csr_matrix, right: NDArray[np.float32], li: NDArray[np.intp], ri: NDArray[np.intp]
) -> NDArray[np.float64]:
    """left[li[n]] . right[ri[n]] for every n, a sparse row against a dense one: each stored
    entry of the left rows meets its column of the right row, summed per pair."""
    counts = np.diff(left.indptr)[li]
    pair = np.repeat(np.arange(len(li)), counts)
    first = np.cumsum(counts) - counts
    entry = np.repeat(left.indptr[li], counts) + np.arange(len(pair)) - first[pair]
    values = left.data[entry].astype(np.float64) * right[ri[pair], left.indices[entry]]
    return np.asarray(np.bincount(pair, values, minlength=len(li)), np.float64)


def _feedback_similarity(
    fitted: Fitted,
    has: NDArray[np.bool_],
    sums: NDArray[np.float32],
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
) -> NDArray[np.float64]:
    """Each pair's placement against the sum of the person's placements of one kind of
    feedback; only people with such feedback are computed, the rest are 0."""
    out = np.zeros(len(people), np.float64)
    some = np.flatnonzero(has[people])
    if len(some):
        n_themes = fitted.q_themes.shape[1]
        pi, qi = people[some], placements[some]
        out[some] = _rowwise_dot(sums[:, :n_themes], fitted.q_themes, pi, qi)
        out[some] += _rowwise_dot(sums[:, n_themes:], fitted.q_text, pi, qi)
    return out


def pair_contributions(
    fitted: Fitted,
    config: EngineConfig,
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
    shared_themes: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Float64 contributions of each listed pair, plus its text similarity, distance and days.

    ``shared_themes`` is the count of theme ids the two sides share.
    """
    w = config.weights
    themes = w.themes * (
        shared_themes * fitted.p_theme_norm[people] * fitted.q_theme_norm[placements]
    )
    themes += w.related_themes * _rowwise_dot(
        fitted.p_near_themes, fitted.q_themes, people, placements
    )
    # Shared and neighbouring skills at once, as the grid adds them.
    skills = _rowwise_sparse_dot(fitted.p_skills, fitted.q_skill_mix, people, placements)
    text = _rowwise_dot(fitted.p_text, fitted.q_text, people, placements)
    de = fitted.p_e[people].astype(np.float64) - fitted.q_e[placements]
    dn = fitted.p_n[people].astype(np.float64) - fitted.q_n[placements]
    distance_km = np.hypot(de, dn)
    inv_lim = fitted.p_inv_lim[people].astype(np.float64)
    closeness = np.maximum(1.0 - distance_km * inv_lim, 0.0) ** 2
    remote = fitted.p_remote_ok[people] & fitted.q_remote[placements]
    closeness = np.maximum(closeness, config.remote_closeness * remote)
    days = fitted.q_start[placements].astype(np.int64) - fitted.p_anchor[people]
    fit = np.maximum(1.0 - np.abs(days) / config.start_horizon_days, 0.0)
    bridging = fitted.q_local[placements] * (
        1.0 + config.policy_bridging_extra * fitted.p_policy[people]
    )
    dismissed = _feedback_similarity(
        fitted, fitted.p_has_dismissed, fitted.p_dismissed, people, placements
    )
    liked = _feedback_similarity(fitted, fitted.p_has_liked, fitted.p_liked, people, placements)
    contributions = np.stack(
        [
            themes,
            skills,
            w.text * text,
            w.distance * closeness,
            w.start * fit,
            w.bridging * bridging,
            -0.5 * w.not_for_me * dismissed,
            0.5 * w.interests * liked,
            config.host_rating_weight * fitted.q_host_signal[placements].astype(np.float64),
            -fitted.q_price[placements].astype(np.float64),
        ],
        axis=1,
    )
    far = distance_km > 1.0e5  # a stand-in for unknown coordinates
    distance_km[far] = np.nan
    return contributions, text, distance_km, days
