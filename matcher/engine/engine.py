"""The engine: fit once on both sides, then top k for any people or placements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.engine.config import EngineConfig
from matcher.engine.explain import Reason, Reasons, explain_pairs
from matcher.engine.exposure import exposure_prices
from matcher.engine.features import Fitted, fit, update, with_prices
from matcher.engine.frames import PeopleFrame, PlacementFrame, splice
from matcher.engine.scoring import people_blocks, placement_blocks, score_grid, top_k_blocks

ENGINE_VERSION = "host-rating-5"


@dataclass(frozen=True, eq=False)
class TopK:
    """Scored pairs, grouped by the side they were ranked for and best first within a group.

    Arrays are parallel; ``rank`` starts at 1 within each person (or placement). Reasons are
    computed for all pairs at once, on first use.
    """

    person_index: NDArray[np.intp]
    placement_index: NDArray[np.intp]
    person_ids: NDArray[np.int64]
    placement_ids: NDArray[np.int64]
    scores: NDArray[np.float64]
    ranks: NDArray[np.int32]
    engine: Engine = field(repr=False)

    def __len__(self) -> int:
        return len(self.scores)

    def subset(self, index: NDArray[np.intp]) -> TopK:
        """These pairs only, in ``index`` order; reasons are computed afresh when asked for."""
        return TopK(
            person_index=self.person_index[index],
            placement_index=self.placement_index[index],
            person_ids=self.person_ids[index],
            placement_ids=self.placement_ids[index],
            scores=self.scores[index],
            ranks=self.ranks[index],
            engine=self.engine,
        )

    @cached_property
    def reasons(self) -> Reasons:
        """Reasons of every pair, vectorised over the pairs."""
        return self.engine.explain_pairs(self.person_index, self.placement_index)

    def records(self) -> Iterator[dict[str, Any]]:
        """One plain dict per match, in the shape the matches table stores."""
        reasons = self.reasons
        for i in range(len(self)):
            yield {
                "person_id": int(self.person_ids[i]),
                "placement_id": int(self.placement_ids[i]),
                "score": float(self.scores[i]),
                "rank": int(self.ranks[i]),
                "reasons": reasons.for_pair(i),
                "engine_version": ENGINE_VERSION,
            }


def _ranks(groups: NDArray[np.intp]) -> NDArray[np.int32]:
    """1-based position of each element within its run of equal, adjacent group values."""
    if len(groups) == 0:
        return np.empty(0, np.int32)
    new = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(new)
    run = np.cumsum(new) - 1
    return (np.arange(len(groups)) - starts[run] + 1).astype(np.int32)


class Engine:
    """Matches people and placements; fit on frames, then ask for top k either way."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self._fitted: Fitted | None = None
        self.people: PeopleFrame | None = None
        self.placements: PlacementFrame | None = None

    def fit(self, people: PeopleFrame, placements: PlacementFrame) -> Engine:
        """Precompute vectors and arrays for both sides, then price exposure; returns self."""
        self._fitted = fit(people, placements, self.config)
        self.people = people
        self.placements = placements
        self._price_exposure()
        return self

    def _price_exposure(self) -> None:
        """Give each placement the exposure price that spreads a sample of people's top lists.

        The sample's candidates are their top 5 x exposure_depth by relevance alone; prices
        are then part of every score, on every path (full, incremental, either side).
        """
        config, fitted = self.config, self.fitted
        n_people = len(self._frames()[0])
        if config.exposure_depth <= 0 or n_people == 0:
            return
        size = min(n_people, config.exposure_sample)
        rng = np.random.default_rng(config.seed)
        sample = np.sort(rng.choice(n_people, size=size, replace=False)).astype(np.intp)
        blocks = people_blocks(fitted, config, sample)
        ids = self._frames()[1].ids
        r, c, v = top_k_blocks(fitted, config, blocks, ids, 5 * config.exposure_depth, True)
        prices = np.zeros(len(ids), np.float64)
        found = exposure_prices(
            r, c, v.astype(np.float64), config.exposure_depth, config.exposure_cap_factor
        )
        prices[: len(found)] = found
        self._fitted = with_prices(fitted, prices)

    def update(
        self,
        people: PeopleFrame,
        placements: PlacementFrame,
        person_ids: Iterable[int] = (),
        placement_ids: Iterable[int] = (),
    ) -> bool:
        """Bring the engine to frames that differ from the fitted ones only in the given ids.

        Only those rows are vectorised again, with the fitted text model: the vocabulary, idf
        and LSA components stay as fitted (a word new since the fit counts for nothing) until
        the next ``fit``. Falls back to a full fit, returning False, when a changed row brings
        a theme or skill id the fit never saw; returns True when the update was incremental.
        """
        old_people, old_placements = self._frames()
        updated = update(
            self.fitted,
            self.config,
            old_people.ids,
            old_placements.ids,
            people,
            placements,
            np.fromiter((int(i) for i in person_ids), np.int64),
            np.fromiter((int(i) for i in placement_ids), np.int64),
        )
        if updated is None:
            self.fit(people, placements)
            return False
        self._fitted, self.people, self.placements = updated, people, placements
        return True

    def update_people(self, rows: PeopleFrame, removed: Iterable[int] = ()) -> bool:
        """Replace or add these people's rows and drop ``removed``; see ``update``."""
        ids = {int(i) for i in rows.ids} | {int(i) for i in removed}
        people, _ = splice(self._frames()[0], rows, ids)
        return self.update(people, self._frames()[1], person_ids=ids)

    def update_placements(self, rows: PlacementFrame, removed: Iterable[int] = ()) -> bool:
        """Replace or add these placements' rows and drop ``removed``; see ``update``."""
        ids = {int(i) for i in rows.ids} | {int(i) for i in removed}
        placements, _ = splice(self._frames()[1], rows, ids)
        return self.update(self._frames()[0], placements, placement_ids=ids)

    @property
    def fitted(self) -> Fitted:
        """The precomputed state; fit() must have run."""
        if self._fitted is None:
            raise RuntimeError("Engine.fit() has not been called")
        return self._fitted

    def _frames(self) -> tuple[PeopleFrame, PlacementFrame]:
        if self.people is None or self.placements is None:
            raise RuntimeError("Engine.fit() has not been called")
        return self.people, self.placements

    def person_indices(self, ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.intp]:
        """Row positions of the given person ids (KeyError for an unknown id)."""
        return _positions(self._frames()[0].ids, ids)

    def placement_indices(self, ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.intp]:
        """Row positions of the given placement ids (KeyError for an unknown id)."""
        return _positions(self._frames()[1].ids, ids)

    def scores(
        self,
        person_indices: NDArray[np.intp],
        placement_indices: NDArray[np.intp],
        organisation_side: bool = False,
    ) -> NDArray[np.float32]:
        """Dense people x placements scores, -inf for filtered pairs; for small grids."""
        people = np.asarray(person_indices, np.intp)
        placements = np.asarray(placement_indices, np.intp)
        if organisation_side:
            return score_grid(self.fitted, self.config, people, placements, False).T
        return score_grid(self.fitted, self.config, people, placements, True)

    def top_placements_for_people(
        self, person_indices: NDArray[np.intp] | None = None, k: int | None = None
    ) -> TopK:
        """Each person's k best eligible placements (all people when indices are None)."""
        people_frame, placements_frame = self._frames()
        rows = _all_or(person_indices, len(people_frame))
        k = self.config.k if k is None else k
        blocks = people_blocks(self.fitted, self.config, rows)
        r, c, v = top_k_blocks(self.fitted, self.config, blocks, placements_frame.ids, k, True)
        # Each block's rows come out best first; a stable sort by row keeps that order.
        order = np.argsort(r, kind="stable")
        return self._top_k(r[order], c[order], v[order], ranks=_ranks(r[order]))

    def top_people_for_placements(
        self, placement_indices: NDArray[np.intp] | None = None, k: int | None = None
    ) -> TopK:
        """Each open placement's k best discoverable people (all placements when None)."""
        people_frame, placements_frame = self._frames()
        rows = _all_or(placement_indices, len(placements_frame))
        k = self.config.k if k is None else k
        blocks = placement_blocks(self.fitted, self.config, rows)
        r, c, v = top_k_blocks(self.fitted, self.config, blocks, people_frame.ids, k, False)
        order = np.argsort(r, kind="stable")
        return self._top_k(c[order], r[order], v[order], ranks=_ranks(r[order]))

    def _top_k(
        self,
        people: NDArray[np.intp],
        placements: NDArray[np.intp],
        scores: NDArray[np.float32],
        ranks: NDArray[np.int32],
    ) -> TopK:
        people_frame, placements_frame = self._frames()
        return TopK(
            person_index=people,
            placement_index=placements,
            person_ids=people_frame.ids[people],
            placement_ids=placements_frame.ids[placements],
            scores=scores.astype(np.float64),
            ranks=ranks,
            engine=self,
        )

    def explain_pairs(
        self, person_indices: NDArray[np.intp], placement_indices: NDArray[np.intp]
    ) -> Reasons:
        """Reasons for many pairs at once, whether or not they pass the filters."""
        return explain_pairs(
            self.fitted,
            self.config,
            np.asarray(person_indices, np.intp),
            np.asarray(placement_indices, np.intp),
            self._frames()[1].ids,
        )

    def explain(self, person_id: int, placement_id: int) -> list[Reason]:
        """Reasons for one pair, by ids."""
        reasons = self.explain_pairs(
            self.person_indices([person_id]), self.placement_indices([placement_id])
        )
        return reasons.for_pair(0)


def _all_or(indices: NDArray[np.intp] | None, n: int) -> NDArray[np.intp]:
    if indices is None:
        return np.arange(n, dtype=np.intp)
    return np.unique(np.asarray(indices, np.intp))


def _positions(
    all_ids: NDArray[np.int64], ids: Sequence[int] | NDArray[np.int64]
) -> NDArray[np.intp]:
    wanted = np.asarray(ids, np.int64)
    order = np.argsort(all_ids, kind="stable")
    found = np.searchsorted(all_ids, wanted, sorter=order)
    found = np.minimum(found, len(all_ids) - 1) if len(all_ids) else found
    positions = order[found] if len(all_ids) else found
    if len(wanted) and (len(all_ids) == 0 or np.any(all_ids[positions] != wanted)):
        raise KeyError("unknown id")
    return positions.astype(np.intp)
