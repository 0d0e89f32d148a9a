"""Weights and knobs of the matching engine, passed in by the application config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from matcher.clock import london_today


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each relevance component counts; a pair's score is their weighted sum."""

    themes: float = 0.5
    # Themes and skills that go together in the data (see features._affinity): a person tagged
    # "housing" is near a placement on "homelessness". They count inside the themes and skills
    # components, so a reason for a theme or skill says how much the neighbours added.
    related_themes: float = 0.5
    skills: float = 0.4
    related_skills: float = 0.3
    text: float = 1.0
    distance: float = 0.4
    start: float = 0.3
    bridging: float = 0.2
    not_for_me: float = 1.0
    # Placements like those a person said they were interested in count more for them.
    interests: float = 0.5
    # Placements of organisations their past secondees rated well (see host_rating_signal);
    # never more than HOST_RATING_CAP, so a rating cannot outweigh a clearly better fit.
    host_rating: float = 0.05


# The most a host's ratings can add to a pair's score, whatever its weight is set to.
HOST_RATING_CAP = 0.1
# Ratings of a host count as if this many neutral (3 out of 5) ones came first: one glowing
# reflection lifts a host a little, many lift it fully.
HOST_RATING_PRIOR = 2.0


def host_rating_signal(mean: NDArray[np.float64], count: NDArray[np.int64]) -> NDArray[np.float64]:
    """Each placement's host signal in [0, 1] from its host's mean rating (1-5) and count:
    0 at 3 out of 5 or below (or with no rating), up to 1 for many ratings of 5."""
    above = np.clip((np.nan_to_num(mean, nan=3.0) - 3.0) / 2.0, 0.0, 1.0)
    return np.asarray(above * count / (count + HOST_RATING_PRIOR), np.float64)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Everything the engine needs besides the data: weights, sizes and the reference date."""

    weights: Weights = field(default_factory=Weights)
    k: int = 20
    block_size: int = 512
    today: date | None = None
    # LSA dimension of the text vectors; a smaller vocabulary keeps exact TF-IDF vectors.
    text_dims: int = 64
    # Texts the LSA is fitted on when there are more: every placement's up to half of them,
    # people's for the rest, drawn with ``seed``; every text is then projected. Fitting on all
    # 110,000 texts of 100,000 x 10,000 was half a full rebuild's fit (#14 §4).
    text_fit_sample: int = 30_000
    # Days between availability and start at which the start-date fit reaches zero.
    start_horizon_days: int = 180
    # Closeness of a pair both sides would do remotely, however far apart (1 is next door):
    # no journey, but not the same as being there.
    remote_closeness: float = 0.5
    # Extra bridging for policy professionals going to local delivery (1.0 doubles it).
    policy_bridging_extra: float = 0.5
    # Exposure control: at fit, each open placement gets a price (subtracted from its scores)
    # that keeps it in at most about exposure_cap_factor times its fair share of the top
    # exposure_depth lists of up to exposure_sample people (see exposure.exposure_prices).
    # Without it a few placements that suit many people fill most lists. 0 turns it off.
    # 2,000 people give 20,000 list places to share out, enough to price 10,000 placements;
    # pricing them took 1.3-3 s at 100,000 x 10,000 on 2 busy cores (5,000 took 4.7-5.3 s).
    exposure_depth: int = 10
    exposure_cap_factor: float = 2.0
    exposure_sample: int = 2_000
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = 0

    @property
    def host_rating_weight(self) -> float:
        """The host rating's weight, held to HOST_RATING_CAP."""
        return min(self.weights.host_rating, HOST_RATING_CAP)

    def reference_date(self) -> date:
        """The day eligibility and start-date fit are computed for."""
        return self.today if self.today is not None else london_today()
