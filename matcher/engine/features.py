"""Turn frames into the vectors and per-row arrays that block scoring reads."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from matcher.engine.config import EngineConfig, host_rating_signal
from matcher.engine.frames import Frame, PeopleFrame, PlacementFrame, day_number
from matcher.engine.text import Tfidf

# Stand-ins for unknown coordinates (km): people and placements sit on opposite sides, so a
# pair with either end unknown is never within a travel limit and is reachable only remotely.
MISSING_PERSON_KM = 1.0e6
MISSING_PLACEMENT_KM = -1.0e6


@dataclass(frozen=True, eq=False)
class TextModel:
    """The fitted TF-IDF vocabulary and idf, the LSA components when the text is reduced, and
    the themes each word points to."""

    vectorizer: Tfidf | None  # None when no text had any word
    svd: TruncatedSVD | None  # None when the vocabulary is small enough to keep exact TF-IDF
    dims: int
    # Words x themes: how much more often than on average a text with the word comes from a
    # profile or placement declaring the theme. It lets "rough sleepers" in a person's words
    # meet "temporary accommodation" in a placement's, and reveals interests never declared.
    theme_lift: NDArray[np.float32] | None = None

    def transform(self, texts: list[str]) -> NDArray[np.float32]:
        """Unit text vectors of ``texts`` under the fitted model (unknown words are ignored)."""
        if self.vectorizer is None or not texts:
            return np.zeros((len(texts), self.dims), np.float32)
        return self.vectors(self.vectorizer.transform(texts))

    def vectors(self, tfidf: sp.csr_matrix) -> NDArray[np.float32]:
        """Unit text vectors from TF-IDF rows: their meaning (LSA) beside the themes they imply."""
        meaning = tfidf.toarray() if self.svd is None else self.svd.transform(tfidf)
        parts = [normalize(meaning)]
        if self.theme_lift is not None:
            parts.append(THEME_EVIDENCE_SHARE * normalize(tfidf @ self.theme_lift))
        return normalize(np.hstack(parts)).astype(np.float32)


# Weight of the implied themes against the LSA meaning inside a text vector (1: equal halves).
THEME_EVIDENCE_SHARE = 1.0


def _theme_lift(tfidf: sp.csr_matrix, themes: sp.csr_matrix) -> NDArray[np.float32] | None:
    """Words x themes lift P(theme | word) - P(theme), clipped at 0; None without themes."""
    if themes.shape[1] == 0 or themes.nnz == 0:
        return None
    has_word = (tfidf > 0).astype(np.float32)
    df = np.asarray(has_word.sum(axis=0)).ravel()
    together = np.asarray((has_word.T @ themes).todense(), np.float32)
    given_word = together / np.maximum(df, 1.0)[:, None]
    prior = np.asarray(themes.mean(axis=0), np.float32).ravel()
    return np.maximum(given_word - prior[None, :], 0.0).astype(np.float32)


def _affinity(sets: sp.csr_matrix) -> NDArray[np.float32]:
    """Items x items: how much more often than on average a row with one item holds the other.

    Lift P(j | i) - P(j) over the declared sets of both sides, clipped at 0, made symmetric,
    with a zero diagonal (an item's own match is counted by the shared ids). Tags that people
    and placements declare together are neighbours: "housing" is near "homelessness".
    """
    n_items = sets.shape[1]
    if n_items == 0 or sets.nnz == 0:
        return np.zeros((n_items, n_items), np.float32)
    has = sets.astype(np.float64)
    df = np.asarray(has.sum(axis=0)).ravel()
    together = np.asarray((has.T @ has).todense())
    lift = together / np.maximum(df, 1.0)[:, None] - (df / sets.shape[0])[None, :]
    np.fill_diagonal(lift, 0.0)
    lift = np.maximum(lift, 0.0)
    return ((lift + lift.T) / 2.0).astype(np.float32)


@dataclass(frozen=True, slots=True, eq=False)
class Fitted:
    """Everything precomputed from the two frames; read-only while scoring."""

    # Person side.
    # Weighted dense vector: themes, text, bridging, minus dismissals, the host rating's
    # weight, and -1 for the price.
    p_u: NDArray[np.float32]
    p_themes: NDArray[np.float32]  # unit theme vectors
    p_near_themes: NDArray[np.float32]  # unit theme vectors spread to neighbours: p_themes @ A
    p_theme_norm: NDArray[np.float64]  # 1 / sqrt(number of themes), 0 for none
    p_has_dismissed: NDArray[np.bool_]
    p_text: NDArray[np.float32]  # unit text vectors
    p_dismissed: NDArray[np.float32]  # sum of dismissed placements' [themes, text]
    p_skills: sp.csr_matrix  # unit skill vectors
    p_theme_sets: sp.csr_matrix  # binary themes, for shared-theme evidence
    p_skill_sets: sp.csr_matrix
    p_dismissed_pairs: sp.csr_matrix  # people x placements, 1 where "not for me"
    p_has_liked: NDArray[np.bool_]
    p_liked: NDArray[np.float32]  # sum of the [themes, text] of placements they were interested in
    p_interested_pairs: sp.csr_matrix  # people x placements, 1 where interested
    p_e: NDArray[np.float32]
    p_n: NDArray[np.float32]
    p_lim2: NDArray[np.float32]
    p_inv_lim: NDArray[np.float32]
    p_remote_ok: NDArray[np.bool_]
    p_until: NDArray[np.int32]
    p_anchor: NDArray[np.int32]  # first day the person could start: max(available_from, today)
    p_grade: NDArray[np.int16]
    p_wanted: NDArray[np.uint8]
    p_discoverable: NDArray[np.bool_]
    p_policy: NDArray[np.bool_]
    # Placement side.
    q_v: NDArray[np.float32]  # dense vector: themes, text, bridging, host signal, exposure price
    q_themes: NDArray[np.float32]
    q_theme_norm: NDArray[np.float64]
    q_text: NDArray[np.float32]
    q_skills: sp.csr_matrix
    # Dense skill vectors weighted for the grid: skills * unit skills + related_skills * their
    # neighbours; a person's sparse unit skills times this is both skill terms at once.
    q_skill_mix: NDArray[np.float32]
    q_theme_sets: sp.csr_matrix
    q_skill_sets: sp.csr_matrix
    q_e: NDArray[np.float32]
    q_n: NDArray[np.float32]
    q_remote: NDArray[np.bool_]
    q_start: NDArray[np.int32]
    q_eligible: NDArray[np.bool_]  # open and not past its closing date
    q_gmin: NDArray[np.int16]
    q_gmax: NDArray[np.int16]
    q_kind: NDArray[np.uint8]
    q_local: NDArray[np.bool_]
    q_host_rating: NDArray[np.float32]  # the host's mean rating, NaN for none (evidence)
    q_host_reflections: NDArray[np.int32]
    q_host_signal: NDArray[np.float32]  # in [0, 1]: see config.host_rating_signal
    # Exposure price subtracted from every score of the placement (0 until priced; see
    # with_prices). A placement changed since the fit keeps 0 until the next fit.
    q_price: NDArray[np.float32]
    # Vocabularies mapping matrix columns back to taxonomy ids.
    theme_ids: NDArray[np.int64]
    skill_ids: NDArray[np.int64]
    # Neighbouring themes and skills learned from the fit's declared sets (see _affinity).
    theme_affinity: NDArray[np.float32]
    skill_affinity: NDArray[np.float32]
    # The fitted text model, kept so that changed rows get their vectors alone.
    text_model: TextModel


def _sets_matrix(sets: list[frozenset[int]], vocab: dict[int, int]) -> sp.csr_matrix:
    """Binary CSR of id sets over ``vocab`` columns (ids outside it are dropped)."""
    lengths = np.fromiter(map(len, sets), np.int64, count=len(sets))
    flat = np.fromiter(chain.from_iterable(sets), np.int64, count=int(lengths.sum()))
    keys = np.fromiter(vocab.keys(), np.int64, count=len(vocab))
    values = np.fromiter(vocab.values(), np.int64, count=len(vocab))
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    rows = np.repeat(np.arange(len(sets), dtype=np.int64), lengths)
    if len(keys):
        found = np.minimum(np.searchsorted(keys, flat), len(keys) - 1)
        known = keys[found] == flat
    else:
        found = np.zeros(len(flat), np.int64)
        known = np.zeros(len(flat), bool)
    indptr = np.zeros(len(sets) + 1, np.int64)
    np.cumsum(np.bincount(rows[known], minlength=len(sets)), out=indptr[1:])
    indices = values[found[known]].astype(np.int32)
    data = np.ones(len(indices), np.float32)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(sets), len(vocab)))
    matrix.sort_indices()
    return matrix


def _vocabulary(*groups: list[frozenset[int]]) -> NDArray[np.int64]:
    return np.array(sorted(set().union(*(s for g in groups for s in g))), np.int64)


def _fit_sample(n_texts: int, n_about: int, config: EngineConfig) -> NDArray[np.intp] | slice:
    """The rows of ``texts + about`` the LSA is fitted on: all, or ``text_fit_sample`` of
    them, placements' first (up to half), ascending."""
    size = config.text_fit_sample
    if n_texts + n_about <= size:
        return slice(None)
    rng = np.random.default_rng(config.seed)
    from_texts = min(n_texts, size // 2)
    texts = rng.choice(n_texts, from_texts, replace=False)
    about = n_texts + rng.choice(n_about, min(n_about, size - from_texts), replace=False)
    return np.sort(np.concatenate([texts, about])).astype(np.intp)


def _text_vectors(
    about: list[str],
    texts: list[str],
    themes: sp.csr_matrix,
    config: EngineConfig,
) -> tuple[NDArray[np.float32], NDArray[np.float32], TextModel]:
    """Unit text vectors: TF-IDF, reduced by LSA when the vocabulary is larger than text_dims,
    beside the themes the words imply. ``themes`` holds the declared themes of the placements
    and then the people, row for row with ``texts + about``."""
    vectorizer = Tfidf()
    try:
        # One pass over both corpora: tokenising is most of the cost of fitting.
        both = vectorizer.fit_transform(texts + about).tocsr()
    except ValueError:  # no words at all: every text similarity is zero
        model = TextModel(None, None, 1)
        return model.transform(about), model.transform(texts), model
    lift = _theme_lift(both, themes)
    n_themes = 0 if lift is None else lift.shape[1]
    svd = None
    if both.shape[1] > config.text_dims:
        # LSA fitted on both sides, so that words only people use still find their meaning
        # through the words they share with placements.
        svd = TruncatedSVD(config.text_dims, algorithm="randomized", random_state=config.seed)
        svd.fit(both[_fit_sample(len(texts), len(about), config)])
    dims = (both.shape[1] if svd is None else config.text_dims) + n_themes
    model = TextModel(vectorizer, svd, dims, lift)
    vectors = model.vectors(both)
    return vectors[len(texts) :], vectors[: len(texts)], model


def _inverse_root_sizes(sets: sp.csr_matrix) -> NDArray[np.float64]:
    sizes = np.diff(sets.indptr).astype(np.float64)
    return np.divide(1.0, np.sqrt(sizes), out=np.zeros_like(sizes), where=sizes > 0)


def _unit(sets: sp.csr_matrix) -> sp.csr_matrix:
    """Binary rows scaled to unit length (rows without ids stay zero)."""
    scale = _inverse_root_sizes(sets).astype(np.float32)
    return sp.csr_matrix(sp.diags(scale) @ sets, dtype=np.float32)


def _km(values: NDArray[np.float64], missing: float) -> NDArray[np.float32]:
    return np.where(np.isnan(values), missing, values / 1000.0).astype(np.float32)


def _id_vocab(ids: NDArray[np.int64]) -> dict[int, int]:
    return {int(t): i for i, t in enumerate(ids)}


def _person_rows(
    people: PeopleFrame,
    theme_vocab: dict[int, int],
    skill_vocab: dict[int, int],
    text: NDArray[np.float32],
    theme_affinity: NDArray[np.float32],
    config: EngineConfig,
) -> dict[str, Any]:
    """The person-side fields that depend on each person's own row only."""
    today = day_number(config.reference_date(), 0)
    theme_sets = _sets_matrix(people.themes, theme_vocab)
    skill_sets = _sets_matrix(people.skills, skill_vocab)
    limit = people.travel_limit_km.astype(np.float64)
    themes = _unit(theme_sets).toarray()
    return {
        # Cosine (Ochiai) overlap: shared / sqrt(|A| |B|), a dot product of unit vectors.
        "p_themes": themes,
        "p_near_themes": themes @ theme_affinity,
        "p_theme_norm": _inverse_root_sizes(theme_sets),
        "p_text": text,
        "p_skills": _unit(skill_sets),
        "p_theme_sets": theme_sets,
        "p_skill_sets": skill_sets,
        "p_e": _km(people.easting, MISSING_PERSON_KM),
        "p_n": _km(people.northing, MISSING_PERSON_KM),
        "p_lim2": (limit * limit).astype(np.float32),
        # A zero limit still lets a placement at the person's own location count as near.
        "p_inv_lim": (1.0 / np.maximum(limit, 1e-3)).astype(np.float32),
        "p_remote_ok": people.remote_ok.copy(),
        "p_until": np.clip(people.available_until, -(2**30), 2**30).astype(np.int32),
        "p_anchor": np.maximum(people.available_from, today).astype(np.int32),
        "p_grade": people.grade_rank.astype(np.int16),
        "p_wanted": people.wanted_kinds.astype(np.uint8),
        "p_discoverable": people.discoverable.copy(),
        "p_policy": people.policy_profession.copy(),
    }


def _placement_rows(
    placements: PlacementFrame,
    theme_vocab: dict[int, int],
    skill_vocab: dict[int, int],
    text: NDArray[np.float32],
    config: EngineConfig,
) -> dict[str, Any]:
    """The placement-side fields that depend on each placement's own row only."""
    today = day_number(config.reference_date(), 0)
    theme_sets = _sets_matrix(placements.themes, theme_vocab)
    skill_sets = _sets_matrix(placements.skills, skill_vocab)
    return {
        "q_themes": _unit(theme_sets).toarray(),
        "q_theme_norm": _inverse_root_sizes(theme_sets),
        "q_text": text,
        "q_skills": _unit(skill_sets),
        "q_theme_sets": theme_sets,
        "q_skill_sets": skill_sets,
        "q_e": _km(placements.easting, MISSING_PLACEMENT_KM),
        "q_n": _km(placements.northing, MISSING_PLACEMENT_KM),
        "q_remote": placements.remote_possible.copy(),
        "q_start": placements.start_date.astype(np.int32),
        "q_eligible": placements.is_open & (placements.closing_date >= today),
        "q_gmin": placements.grade_min_rank.astype(np.int16),
        "q_gmax": placements.grade_max_rank.astype(np.int16),
        "q_kind": placements.kind_bit.astype(np.uint8),
        "q_local": placements.local.copy(),
        "q_host_rating": placements.host_rating.astype(np.float32),
        "q_host_reflections": placements.host_reflections.astype(np.int32),
        "q_host_signal": host_rating_signal(
            placements.host_rating, placements.host_reflections
        ).astype(np.float32),
        "q_price": np.zeros(len(placements), np.float32),
    }


def _pairs(sets: list[frozenset[int]], placements: PlacementFrame) -> sp.csr_matrix:
    """People x placements, 1 where the person's set (of placement ids) holds the placement."""
    position = _id_vocab(placements.ids)
    some = [(i, d) for i, d in enumerate(sets) if d]
    rows = [i for i, d in some for pid in d if pid in position]
    cols = [position[pid] for _, d in some for pid in d if pid in position]
    pairs = sp.csr_matrix(
        (np.ones(len(rows), np.int8), (rows, cols)), shape=(len(sets), len(placements))
    )
    pairs.sum_duplicates()
    return pairs


def _p_u(
    p: dict[str, Any],
    dismissed: NDArray[np.float32],
    liked: NDArray[np.float32],
    rows: Any,
    config: EngineConfig,
) -> NDArray[np.float32]:
    """Weighted person vectors of ``rows``: themes and their neighbours, text, bridging, minus
    dismissals, plus interests, the host rating's weight, and -1 that takes the placement's
    exposure price."""
    w = config.weights
    themes, text = p["p_themes"][rows], p["p_text"][rows]
    n_themes, n_text = themes.shape[1], text.shape[1]
    out = np.empty((len(themes), n_themes + n_text + 4), np.float32)
    np.multiply(themes, np.float32(w.themes), out=out[:, :n_themes])
    out[:, :n_themes] += np.float32(w.related_themes) * p["p_near_themes"][rows]
    np.multiply(text, np.float32(w.text), out=out[:, n_themes : n_themes + n_text])
    out[:, -4] = w.bridging
    out[:, -3] = w.bridging * config.policy_bridging_extra * p["p_policy"][rows]
    out[:, -2] = config.host_rating_weight
    out[:, -1] = -1.0
    out[:, : n_themes + n_text] -= np.float32(0.5 * w.not_for_me) * dismissed
    out[:, : n_themes + n_text] += np.float32(0.5 * w.interests) * liked
    return out


def _feedback(
    sets: list[frozenset[int]],
    people: PeopleFrame,
    placements: PlacementFrame,
    q_similarity: NDArray[np.float32],
    previous: tuple[sp.csr_matrix, NDArray[np.float32]] | None,
    touched_people: NDArray[np.intp],
    touched_placements: NDArray[np.intp],
) -> tuple[sp.csr_matrix, NDArray[np.float32], NDArray[np.intp]]:
    """People x placements pairs of one kind of feedback, each person's sum of the [themes,
    text] of their placements, and the rows redone.

    With ``previous`` (pairs and sums, same rows) only the people in ``touched_people``, or with
    a placement in ``touched_placements``, are redone; without it, every row.
    """
    if previous is None:
        pairs = _pairs(sets, placements)
        sums = (pairs.astype(np.float32) @ q_similarity).astype(np.float32)
        return pairs, sums, np.arange(len(people), dtype=np.intp)
    pairs, sums = previous
    if len(touched_people):
        fresh = _pairs([sets[i] for i in touched_people], placements)
        stacked = sp.vstack([pairs, fresh], format="csr")
        index = np.arange(len(people))
        index[touched_people] = len(people) + np.arange(len(touched_people))
        pairs = stacked[index]
    by_placement = pairs[:, touched_placements].tocoo()
    rows = np.union1d(touched_people, by_placement.row).astype(np.intp)
    sums = sums.copy()
    sums[rows] = (pairs[rows].astype(np.float32) @ q_similarity).astype(np.float32)
    return pairs, sums, rows


def _cross(
    people: PeopleFrame,
    placements: PlacementFrame,
    p: dict[str, Any],
    q: dict[str, Any],
    config: EngineConfig,
    skill_affinity: NDArray[np.float32],
    previous: Fitted | None = None,
    touched_people: NDArray[np.intp] | None = None,
    touched_placements: NDArray[np.intp] | None = None,
) -> dict[str, Any]:
    """Fields that join the two sides: feedback ("not for me", interests) and the weighted
    vectors.

    With ``previous`` (same people and placements, in the same rows) only the people in
    ``touched_people``, or with feedback on a placement in ``touched_placements``, are redone.
    """
    # "Not for me": dismissed pairs are filtered; the sum of their theme and text vectors is
    # subtracted from the person's vector so that look-alike placements score lower. Interests
    # are the mirror image: their sum is added, so that look-alikes score higher.
    local = q["q_local"].astype(np.float32)[:, None]
    q_similarity = np.hstack([q["q_themes"], q["q_text"]]).astype(np.float32)
    price = q["q_price"].astype(np.float32)[:, None]
    host = q["q_host_signal"].astype(np.float32)[:, None]
    q_v = np.hstack([q_similarity, local, local, host, price]).astype(np.float32)
    incremental = not (previous is None or touched_people is None or touched_placements is None)
    touched = (
        np.empty(0, np.intp) if touched_people is None else touched_people,
        np.empty(0, np.intp) if touched_placements is None else touched_placements,
    )
    dismissed_pairs, p_dismissed, rows = _feedback(
        people.dismissed,
        people,
        placements,
        q_similarity,
        (previous.p_dismissed_pairs, previous.p_dismissed) if incremental and previous else None,
        *touched,
    )
    interested_pairs, p_liked, liked_rows = _feedback(
        people.interested,
        people,
        placements,
        q_similarity,
        (previous.p_interested_pairs, previous.p_liked) if incremental and previous else None,
        *touched,
    )
    if incremental and previous is not None:
        rows = np.union1d(rows, liked_rows).astype(np.intp)
        p_u = previous.p_u.copy()
        p_u[rows] = _p_u(p, p_dismissed[rows], p_liked[rows], rows, config)
    else:
        p_u = _p_u(p, p_dismissed, p_liked, slice(None), config)
    w = config.weights
    skills = q["q_skills"].toarray()
    q_skill_mix = np.float32(w.skills) * skills
    q_skill_mix += np.float32(w.related_skills) * (skills @ skill_affinity)
    return {
        "p_u": np.ascontiguousarray(p_u),
        "p_has_dismissed": np.diff(dismissed_pairs.indptr) > 0,
        "p_dismissed": p_dismissed,
        "p_dismissed_pairs": dismissed_pairs,
        "p_has_liked": np.diff(interested_pairs.indptr) > 0,
        "p_liked": p_liked,
        "p_interested_pairs": interested_pairs,
        "q_v": np.ascontiguousarray(q_v),
        "q_skill_mix": q_skill_mix.astype(np.float32),
    }


def fit(people: PeopleFrame, placements: PlacementFrame, config: EngineConfig) -> Fitted:
    """Precompute vectors and arrays for both sides."""
    theme_ids = _vocabulary(people.themes, placements.themes)
    skill_ids = _vocabulary(people.skills, placements.skills)
    theme_vocab, skill_vocab = _id_vocab(theme_ids), _id_vocab(skill_ids)
    declared = sp.vstack(
        [_sets_matrix(placements.themes, theme_vocab), _sets_matrix(people.themes, theme_vocab)],
        format="csr",
    )
    declared_skills = sp.vstack(
        [_sets_matrix(placements.skills, skill_vocab), _sets_matrix(people.skills, skill_vocab)],
        format="csr",
    )
    theme_affinity, skill_affinity = _affinity(declared), _affinity(declared_skills)
    p_text, q_text, model = _text_vectors(people.about, placements.text, declared, config)
    p = _person_rows(people, theme_vocab, skill_vocab, p_text, theme_affinity, config)
    q = _placement_rows(placements, theme_vocab, skill_vocab, q_text, config)
    return Fitted(
        **p,
        **q,
        **_cross(people, placements, p, q, config, skill_affinity),
        theme_ids=theme_ids,
        skill_ids=skill_ids,
        theme_affinity=theme_affinity,
        skill_affinity=skill_affinity,
        text_model=model,
    )


def with_prices(fitted: Fitted, prices: NDArray[np.floating]) -> Fitted:
    """``fitted`` with these exposure prices, one per placement row."""
    q_price = np.asarray(prices, np.float32)
    q_v = fitted.q_v.copy()
    q_v[:, -1] = q_price
    return dataclasses.replace(fitted, q_price=q_price, q_v=q_v)


def take_rows(frame: Frame, index: NDArray[np.intp]) -> Frame:
    """The rows ``index`` of a frame, in that order."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(frame):
        value = getattr(frame, f.name)
        values[f.name] = (
            value[index] if isinstance(value, np.ndarray) else [value[i] for i in index]
        )
    return type(frame)(**values)


def _sources(
    old_ids: NDArray[np.int64], new_ids: NDArray[np.int64], changed: NDArray[np.int64]
) -> NDArray[np.intp]:
    """For each new row, its old row when it exists and is unchanged, else -1."""
    if len(old_ids) == 0:
        return np.full(len(new_ids), -1, np.intp)
    order = np.argsort(old_ids, kind="stable")
    pos = np.minimum(np.searchsorted(old_ids, new_ids, sorter=order), len(old_ids) - 1)
    src = order[pos].astype(np.intp)
    src[(old_ids[src] != new_ids) | np.isin(new_ids, changed)] = -1
    return src


def _covered(sets: list[frozenset[int]], vocab: dict[int, int]) -> bool:
    return all(x in vocab for s in sets for x in s)


def _regather(
    fitted: Fitted,
    prefix: str,
    old_ids: NDArray[np.int64],
    frame: Frame,
    changed: NDArray[np.int64],
    rows_of: Callable[[Frame], dict[str, Any]] | None,
) -> dict[str, Any] | None:
    """One side's per-row fields for ``frame``: unchanged rows copied, changed ones computed.

    None when a changed row names a theme or skill the fitted vocabulary does not know.
    """
    names = [f.name for f in dataclasses.fields(Fitted) if f.name.startswith(prefix)]
    names = [n for n in names if n not in CROSS_FIELDS]
    src = _sources(old_ids, frame.ids, changed)
    if len(src) == len(old_ids) and np.array_equal(src, np.arange(len(old_ids))):
        return {name: getattr(fitted, name) for name in names}
    fresh = np.flatnonzero(src < 0)
    part = take_rows(frame, fresh)
    theme_vocab, skill_vocab = _id_vocab(fitted.theme_ids), _id_vocab(fitted.skill_ids)
    if not (_covered(part.themes, theme_vocab) and _covered(part.skills, skill_vocab)):
        return None
    assert rows_of is not None
    computed = rows_of(part)
    kept = np.flatnonzero(src >= 0)
    # Row i of the result is row src[i] of the old arrays, or a row of the computed part.
    stacked_index = src.copy()
    stacked_index[fresh] = len(old_ids) + np.arange(len(fresh))
    out: dict[str, Any] = {}
    for name in names:
        # Any: a sparse matrix (scipy has no types) or an array.
        old: Any = getattr(fitted, name)
        new = computed[name]
        if sp.issparse(old):
            out[name] = sp.vstack([old, new.astype(old.dtype)], format="csr")[stacked_index]
        else:
            merged = np.empty((len(src), *old.shape[1:]), old.dtype)
            merged[kept] = old[src[kept]]
            merged[fresh] = new
            out[name] = merged
    return out


CROSS_FIELDS = frozenset(
    {
        "p_u",
        "p_has_dismissed",
        "p_dismissed",
        "p_dismissed_pairs",
        "p_has_liked",
        "p_liked",
        "p_interested_pairs",
        "q_v",
        "q_skill_mix",
    }
)


def update(
    fitted: Fitted,
    config: EngineConfig,
    old_people_ids: NDArray[np.int64],
    old_placement_ids: NDArray[np.int64],
    people: PeopleFrame,
    placements: PlacementFrame,
    changed_people: NDArray[np.int64],
    changed_placements: NDArray[np.int64],
) -> Fitted | None:
    """``fitted`` brought to new frames that differ only in the changed ids' rows.

    Only the changed rows are vectorised, with the fitted text model (vocabulary, idf and LSA
    components are kept as they were fitted, so a new word counts for nothing until the next
    full fit); the rows joining both sides ("not for me", the weighted vectors) are rebuilt
    from arrays. None when a changed row brings a theme or skill id unknown to the fit.
    """
    model = fitted.text_model
    theme_vocab, skill_vocab = _id_vocab(fitted.theme_ids), _id_vocab(fitted.skill_ids)
    p = _regather(
        fitted,
        "p_",
        old_people_ids,
        people,
        np.asarray(changed_people, np.int64),
        lambda part: _person_rows(
            part,
            theme_vocab,
            skill_vocab,
            model.transform(part.about),
            fitted.theme_affinity,
            config,
        ),
    )
    q = _regather(
        fitted,
        "q_",
        old_placement_ids,
        placements,
        np.asarray(changed_placements, np.int64),
        lambda part: _placement_rows(
            part, theme_vocab, skill_vocab, model.transform(part.text), config
        ),
    )
    if p is None or q is None:
        return None
    same_rows = np.array_equal(old_people_ids, people.ids) and np.array_equal(
        old_placement_ids, placements.ids
    )
    touched_people = np.flatnonzero(np.isin(people.ids, changed_people))
    touched_placements = np.flatnonzero(np.isin(placements.ids, changed_placements))
    affinity = fitted.skill_affinity
    if same_rows:
        cross = _cross(
            people,
            placements,
            p,
            q,
            config,
            affinity,
            fitted,
            touched_people,
            touched_placements,
        )
    else:
        cross = _cross(people, placements, p, q, config, affinity)
    return Fitted(
        **p,
        **q,
        **cross,
        theme_ids=fitted.theme_ids,
        skill_ids=fitted.skill_ids,
        theme_affinity=fitted.theme_affinity,
        skill_affinity=affinity,
        text_model=model,
    )
