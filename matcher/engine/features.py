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

from matcher.engine.config import EngineConfig
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


@dataclass(frozen=True, slots=True, eq=False)
class Fitted:
    """Everything precomputed from the two frames; read-only while scoring."""

    # Person side.
    p_u: NDArray[np.float32]  # weighted dense vector: themes, text, bridging, minus dismissals
    p_themes: NDArray[np.float32]  # unit theme vectors
    p_theme_norm: NDArray[np.float64]  # 1 / sqrt(number of themes), 0 for none
    p_skill_norm: NDArray[np.float64]
    p_has_dismissed: NDArray[np.bool_]
    p_text: NDArray[np.float32]  # unit text vectors
    p_dismissed: NDArray[np.float32]  # sum of dismissed placements' [themes, text]
    p_skills: sp.csr_matrix  # unit skill vectors
    p_theme_sets: sp.csr_matrix  # binary themes, for shared-theme evidence
    p_skill_sets: sp.csr_matrix
    p_dismissed_pairs: sp.csr_matrix  # people x placements, 1 where "not for me"
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
    q_v: NDArray[np.float32]  # dense vector: themes, text, bridging
    q_themes: NDArray[np.float32]
    q_theme_norm: NDArray[np.float64]
    q_skill_norm: NDArray[np.float64]
    q_text: NDArray[np.float32]
    q_skills: sp.csr_matrix
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
    # Vocabularies mapping matrix columns back to taxonomy ids.
    theme_ids: NDArray[np.int64]
    skill_ids: NDArray[np.int64]
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
        svd.fit(both)
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
    config: EngineConfig,
) -> dict[str, Any]:
    """The person-side fields that depend on each person's own row only."""
    today = day_number(config.reference_date(), 0)
    theme_sets = _sets_matrix(people.themes, theme_vocab)
    skill_sets = _sets_matrix(people.skills, skill_vocab)
    limit = people.travel_limit_km.astype(np.float64)
    return {
        # Cosine (Ochiai) overlap: shared / sqrt(|A| |B|), a dot product of unit vectors.
        "p_themes": _unit(theme_sets).toarray(),
        "p_theme_norm": _inverse_root_sizes(theme_sets),
        "p_skill_norm": _inverse_root_sizes(skill_sets),
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
        "q_skill_norm": _inverse_root_sizes(skill_sets),
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
    }


def _dismissed_pairs(people: PeopleFrame, placements: PlacementFrame) -> sp.csr_matrix:
    """People x placements, 1 where the person marked the placement "not for me"."""
    position = _id_vocab(placements.ids)
    some = [(i, d) for i, d in enumerate(people.dismissed) if d]
    rows = [i for i, d in some for pid in d if pid in position]
    cols = [position[pid] for _, d in some for pid in d if pid in position]
    pairs = sp.csr_matrix(
        (np.ones(len(rows), np.int8), (rows, cols)), shape=(len(people), len(placements))
    )
    pairs.sum_duplicates()
    return pairs


def _p_u(
    p: dict[str, Any], dismissed: NDArray[np.float32], rows: Any, config: EngineConfig
) -> NDArray[np.float32]:
    """Weighted person vectors of ``rows``: themes, text, bridging, minus dismissals."""
    w = config.weights
    themes, text = p["p_themes"][rows], p["p_text"][rows]
    n_themes, n_text = themes.shape[1], text.shape[1]
    out = np.empty((len(themes), n_themes + n_text + 2), np.float32)
    np.multiply(themes, np.float32(w.themes), out=out[:, :n_themes])
    np.multiply(text, np.float32(w.text), out=out[:, n_themes : n_themes + n_text])
    out[:, -2] = w.bridging
    out[:, -1] = w.bridging * config.policy_bridging_extra * p["p_policy"][rows]
    out[:, : n_themes + n_text] -= np.float32(0.5 * w.not_for_me) * dismissed
    return out


def _cross(
    people: PeopleFrame,
    placements: PlacementFrame,
    p: dict[str, Any],
    q: dict[str, Any],
    config: EngineConfig,
    previous: Fitted | None = None,
    touched_people: NDArray[np.intp] | None = None,
    touched_placements: NDArray[np.intp] | None = None,
) -> dict[str, Any]:
    """Fields that join the two sides: "not for me" and the weighted dense vectors.

    With ``previous`` (same people and placements, in the same rows) only the people in
    ``touched_people``, or who dismissed a placement in ``touched_placements``, are redone.
    """
    # "Not for me": dismissed pairs are filtered; the sum of their theme and text vectors is
    # subtracted from the person's vector so that look-alike placements score lower.
    local = q["q_local"].astype(np.float32)[:, None]
    q_similarity = np.hstack([q["q_themes"], q["q_text"]])
    q_v = np.hstack([q_similarity, local, local]).astype(np.float32)
    if previous is None or touched_people is None or touched_placements is None:
        dismissed_pairs = _dismissed_pairs(people, placements)
        p_dismissed = (dismissed_pairs.astype(np.float32) @ q_similarity).astype(np.float32)
        p_u = _p_u(p, p_dismissed, slice(None), config)
    else:
        dismissed_pairs = previous.p_dismissed_pairs
        if len(touched_people):
            fresh = _dismissed_pairs(take_rows(people, touched_people), placements)
            stacked = sp.vstack([dismissed_pairs, fresh], format="csr")
            index = np.arange(len(people))
            index[touched_people] = len(people) + np.arange(len(touched_people))
            dismissed_pairs = stacked[index]
        by_placement = dismissed_pairs[:, touched_placements].tocoo()
        rows = np.union1d(touched_people, by_placement.row).astype(np.intp)
        p_dismissed = previous.p_dismissed.copy()
        p_dismissed[rows] = (dismissed_pairs[rows].astype(np.float32) @ q_similarity).astype(
            np.float32
        )
        p_u = previous.p_u.copy()
        p_u[rows] = _p_u(p, p_dismissed[rows], rows, config)
    return {
        "p_u": np.ascontiguousarray(p_u),
        "p_has_dismissed": np.diff(dismissed_pairs.indptr) > 0,
        "p_dismissed": p_dismissed,
        "p_dismissed_pairs": dismissed_pairs,
        "q_v": np.ascontiguousarray(q_v),
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
    p_text, q_text, model = _text_vectors(people.about, placements.text, declared, config)
    p = _person_rows(people, theme_vocab, skill_vocab, p_text, config)
    q = _placement_rows(placements, theme_vocab, skill_vocab, q_text, config)
    return Fitted(
        **p,
        **q,
        **_cross(people, placements, p, q, config),
        theme_ids=theme_ids,
        skill_ids=skill_ids,
        text_model=model,
    )


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


CROSS_FIELDS = frozenset({"p_u", "p_has_dismissed", "p_dismissed", "p_dismissed_pairs", "q_v"})


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
            part, theme_vocab, skill_vocab, model.transform(part.about), config
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
    if same_rows:
        cross = _cross(people, placements, p, q, config, fitted, touched_people, touched_placements)
    else:
        cross = _cross(people, placements, p, q, config)
    return Fitted(
        **p,
        **q,
        **cross,
        theme_ids=fitted.theme_ids,
        skill_ids=fitted.skill_ids,
        text_model=model,
    )
