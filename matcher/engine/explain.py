"""Structured reasons for scored pairs: each component's contribution and its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matcher.engine.components import COMPONENTS, pair_contributions
from matcher.engine.config import EngineConfig

if TYPE_CHECKING:
    from matcher.engine.features import Fitted

# Decimal places kept of each stored figure: contributions, text similarity, distance (km).
CONTRIBUTION_PLACES = 6
SIMILARITY_PLACES = 4
DISTANCE_PLACES = 1
RATING_PLACES = 1


def decimal_round(values: NDArray[np.float64], places: int) -> NDArray[np.float64]:
    """``values`` rounded to ``places`` decimals, as the nearest doubles to those decimals.

    rint(x * 10**places) / 10**places: the integer is exact and the division correctly
    rounded, so the result is exactly what the decimal text of that integer parses to.
    """
    return np.rint(np.asarray(values, np.float64) * 10.0**places) / 10.0**places


class Reason(TypedDict):
    """One component of a match's score, as stored with the match."""

    component: str
    contribution: float
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True, eq=False)
class Reasons:
    """Reasons for n pairs in columnar form; ``for_pair(i)`` gives the stored list."""

    contributions: NDArray[np.float64]  # n x len(COMPONENTS), to CONTRIBUTION_PLACES decimals
    shared_themes: sp.csr_matrix  # n x themes; the stored column indices are the evidence
    shared_skills: sp.csr_matrix
    theme_ids: NDArray[np.int64]
    skill_ids: NDArray[np.int64]
    text_similarity: NDArray[np.float64]
    distance_km: NDArray[np.float64]  # NaN where a coordinate is unknown
    remote: NDArray[np.bool_]  # the pair is beyond the travel limit but remote is possible
    days_to_start: NDArray[np.int64]
    dismissed: sp.csr_matrix  # n x placements: the person's "not for me" placements
    interested: sp.csr_matrix  # n x placements: the placements the person was interested in
    placement_ids: NDArray[np.int64]
    organisation_local: NDArray[np.bool_]
    host_rating: NDArray[np.float64]  # the host's mean rating (NaN: none)
    host_reflections: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.contributions)

    def subset(self, index: NDArray[np.intp]) -> Reasons:
        """The reasons of the pairs at ``index``, in that order."""
        return Reasons(
            contributions=self.contributions[index],
            shared_themes=self.shared_themes[index],
            shared_skills=self.shared_skills[index],
            theme_ids=self.theme_ids,
            skill_ids=self.skill_ids,
            text_similarity=self.text_similarity[index],
            distance_km=self.distance_km[index],
            remote=self.remote[index],
            days_to_start=self.days_to_start[index],
            dismissed=self.dismissed[index],
            interested=self.interested[index],
            placement_ids=self.placement_ids,
            organisation_local=self.organisation_local[index],
            host_rating=self.host_rating[index],
            host_reflections=self.host_reflections[index],
        )

    def for_pair(self, i: int) -> list[Reason]:
        """The non-zero components of pair i with their evidence; contributions sum to score."""
        themes = self.shared_themes
        skills = self.shared_skills
        shared_themes = self.theme_ids[themes.indices[themes.indptr[i] : themes.indptr[i + 1]]]
        shared_skills = self.skill_ids[skills.indices[skills.indptr[i] : skills.indptr[i + 1]]]
        distance = self.distance_km[i]
        dismissed = self.dismissed.indices[self.dismissed.indptr[i] : self.dismissed.indptr[i + 1]]
        liked = self.interested.indices[self.interested.indptr[i] : self.interested.indptr[i + 1]]
        evidence: dict[str, dict[str, Any]] = {
            "themes": {"shared_theme_ids": sorted(int(t) for t in shared_themes)},
            "skills": {"shared_skill_ids": sorted(int(s) for s in shared_skills)},
            "text": {
                "similarity": float(decimal_round(self.text_similarity[i], SIMILARITY_PLACES))
            },
            "distance": {
                "distance_km": None
                if np.isnan(distance)
                else float(decimal_round(distance, DISTANCE_PLACES)),
                "remote": bool(self.remote[i]),
            },
            "start": {"days_to_start": int(self.days_to_start[i])},
            "bridging": {"local_organisation": bool(self.organisation_local[i])},
            "not_for_me": {
                "similar_to_dismissed_ids": sorted(int(p) for p in self.placement_ids[dismissed])
            },
            "interests": {
                "similar_to_interest_ids": sorted(int(p) for p in self.placement_ids[liked])
            },
            "host_rating": {
                "rating": None
                if np.isnan(self.host_rating[i])
                else float(decimal_round(self.host_rating[i], RATING_PLACES)),
                "reflections": int(self.host_reflections[i]),
            },
            # The price of a placement in many lists: it says nothing about the pair.
            "exposure": {},
        }
        return [
            Reason(component=name, contribution=float(value), evidence=evidence[name])
            for name, value in zip(COMPONENTS, self.contributions[i], strict=True)
            if value != 0.0
        ]


def explain_pairs(
    fitted: Fitted,
    config: EngineConfig,
    people: NDArray[np.intp],
    placements: NDArray[np.intp],
    placement_ids: NDArray[np.int64],
) -> Reasons:
    """Reasons for many pairs at once (vectorised over the pairs)."""
    shared_themes = fitted.p_theme_sets[people].multiply(fitted.q_theme_sets[placements]).tocsr()
    shared_skills = fitted.p_skill_sets[people].multiply(fitted.q_skill_sets[placements]).tocsr()
    shared_themes.sort_indices()
    shared_skills.sort_indices()
    contributions, text, distance_km, days = pair_contributions(
        fitted,
        config,
        people,
        placements,
        np.diff(shared_themes.indptr).astype(np.float64),
    )
    within = distance_km * distance_km <= fitted.p_lim2[people]
    return Reasons(
        # Stored figures, so kept to a fixed number of decimals: they still sum to the score
        # within len(COMPONENTS) * 5e-7.
        contributions=decimal_round(contributions, CONTRIBUTION_PLACES),
        shared_themes=shared_themes,
        shared_skills=shared_skills,
        theme_ids=fitted.theme_ids,
        skill_ids=fitted.skill_ids,
        text_similarity=text,
        distance_km=distance_km,
        remote=~within,
        days_to_start=days,
        dismissed=fitted.p_dismissed_pairs[people],
        interested=fitted.p_interested_pairs[people],
        placement_ids=placement_ids,
        organisation_local=fitted.q_local[placements].copy(),
        host_rating=fitted.q_host_rating[placements].astype(np.float64),
        host_reflections=fitted.q_host_reflections[placements].astype(np.int64),
    )
