"""Relevance components, for grids of pairs (scoring) and for lists of pairs (reasons)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matcher.engine.config import EngineConfig
from matcher.engine.features import Fitted

COMPONENTS: tuple[str, ...] = (
    "themes",
    "skills",
    "text",
    "distance",
    "start",
    "bridging",
    "not_for_me",
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
        # Themes, text, bridging and the "not for me" penalty are one dense product.
        scores = fitted.p_u[people] @ fitted.q_v[placements].T
        skills = fitted.p_skills[people] @ fitted.q_skills[placements].T
    else:
        pa, qa = qa, pa
        scores = fitted.q_v[placements] @ fitted.p_u[people].T
        skills = fitted.q_skills[placements] @ fitted.p_skills[people].T
    skills = skills.tocoo()
    scores[skills.row, skills.col] += np.float32(w.skills) * skills.data
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


def pair_contributions(
    fitted: Fitted,
    config: EngineConfig,
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
    shared_themes: NDArray[np.float64],
    shared_skills: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Float64 contributions of each listed pair, plus its text similarity, distance and days.

    ``shared_themes`` and ``shared_skills`` are the counts of ids the two sides share.
    """
    w = config.weights
    themes = shared_themes * fitted.p_theme_norm[people] * fitted.q_theme_norm[placements]
    skills = shared_skills * fitted.p_skill_norm[people] * fitted.q_skill_norm[placements]
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
    # Only people with a "not for me" carry a penalty; skip the rest.
    dismissed = np.zeros(len(people), np.float64)
    some = np.flatnonzero(fitted.p_has_dismissed[people])
    if len(some):
        n_themes = fitted.q_themes.shape[1]
        pd, pi, qi = fitted.p_dismissed, people[some], placements[some]
        dismissed[some] = _rowwise_dot(pd[:, :n_themes], fitted.q_themes, pi, qi)
        dismissed[some] += _rowwise_dot(pd[:, n_themes:], fitted.q_text, pi, qi)
    contributions = np.stack(
        [
            w.themes * themes,
            w.skills * skills,
            w.text * text,
            w.distance * closeness,
            w.start * fit,
            w.bridging * bridging,
            -0.5 * w.not_for_me * dismissed,
        ],
        axis=1,
    )
    far = distance_km > 1.0e5  # a stand-in for unknown coordinates
    distance_km[far] = np.nan
    return contributions, text, distance_km, days
