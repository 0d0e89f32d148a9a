"""Hard filters: which person-placement pairs may ever be matched."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matcher.engine.features import Fitted

Days = NDArray[np.int32] | NDArray[np.int64]


def eligible_placements_for(fitted: Fitted, grade: int, wanted: int) -> NDArray[np.intp]:
    """Placements open to a grade and a wanted-kinds bitmask, before per-pair filters."""
    ok = (
        fitted.q_eligible
        & (fitted.q_gmin <= grade)
        & (grade <= fitted.q_gmax)
        & ((fitted.q_kind & np.uint8(wanted)) != 0)
    )
    return np.flatnonzero(ok)


def eligible_people_for(fitted: Fitted, gmin: int, gmax: int, kind: int) -> NDArray[np.intp]:
    """Discoverable people of a grade range who want a kind, before per-pair filters."""
    ok = (
        fitted.p_discoverable
        & (gmin <= fitted.p_grade)
        & (fitted.p_grade <= gmax)
        & ((fitted.p_wanted & np.uint8(kind)) != 0)
    )
    return np.flatnonzero(ok)


def can_start(first_free_day: Days, free_until: Days, start_day: Days) -> NDArray[np.bool_]:
    """Whether a person free from ``first_free_day`` (today at the earliest) to ``free_until``
    can start a placement that starts on ``start_day``; day numbers, broadcast together.

    It must start inside their window. Overlapping windows are not enough: a placement that
    started weeks before someone is free is not one they can take.
    """
    return (first_free_day <= start_day) & (start_day <= free_until)


def pair_mask(
    fitted: Fitted, people: NDArray[np.intp], placements: NDArray[np.intp], people_rows: bool
) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
    """Grid of pairs passing every per-pair filter, and the squared distance in km it used.

    The grid is people x placements when ``people_rows``, else placements x people.
    Discoverability is the caller's concern: it only applies on the organisation side.
    """
    pa: tuple[slice | None, slice | None] = (slice(None), None)
    qa: tuple[slice | None, slice | None] = (None, slice(None))
    if not people_rows:
        pa, qa = qa, pa
    de = fitted.p_e[people][pa] - fitted.q_e[placements][qa]
    dn = fitted.p_n[people][pa] - fitted.q_n[placements][qa]
    d2 = de * de
    d2 += dn * dn
    ok = d2 <= fitted.p_lim2[people][pa]
    # Out of range is still fine when both sides accept remote work.
    ok |= fitted.p_remote_ok[people][pa] & fitted.q_remote[placements][qa]
    ok &= can_start(
        fitted.p_anchor[people][pa], fitted.p_until[people][pa], fitted.q_start[placements][qa]
    )
    grade = fitted.p_grade[people][pa]
    ok &= fitted.q_gmin[placements][qa] <= grade
    ok &= grade <= fitted.q_gmax[placements][qa]
    ok &= (fitted.p_wanted[people][pa] & fitted.q_kind[placements][qa]) != 0
    ok &= fitted.q_eligible[placements][qa]
    dismissed = fitted.p_dismissed_pairs[people][:, placements].tocoo()
    if dismissed.nnz:
        rows, cols = (
            (dismissed.row, dismissed.col) if people_rows else (dismissed.col, dismissed.row)
        )
        ok[rows, cols] = False
    return ok, d2
